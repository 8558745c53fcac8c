//! Turning raw command output into the text a person reads: `\n` line ends, terminal artefacts
//! (stray carriage returns, backspace pairs) removed, invalid UTF-8 replaced, trailing blank lines
//! trimmed; deciding from that text whether the device rejected the command; and dropping the
//! volatile lines of a configuration listing before it is diffed.

use regex::Regex;

/// Clean the raw bytes between a command's echo and the next prompt, keeping every byte of
/// content (valid UTF-8 or not): carriage returns dropped, backspace pairs removed, trailing
/// whitespace trimmed.
pub(super) fn clean_output_bytes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut line_start = 0;
    for &b in raw {
        match b {
            b'\r' => {}
            b'\n' => {
                out.push(b);
                line_start = out.len();
            }
            // A backspace erases the character before it on this line, as on a terminal: a
            // whole UTF-8 sequence, or one byte that is not part of one.
            b'\x08' => erase_char(&mut out, line_start),
            _ => out.push(b),
        }
    }
    let end = out
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    out.truncate(end);
    out
}

/// Remove the last character of `out` after `line_start`.
fn erase_char(out: &mut Vec<u8>, line_start: usize) {
    let Some(&last) = out.get(line_start..).and_then(<[u8]>::last) else {
        return;
    };
    let mut start = out.len() - 1;
    if last >= 0x80 {
        // Back over continuation bytes to the lead byte of a sequence that ends here.
        let lead = (line_start..out.len())
            .rev()
            .take(4)
            .find(|&i| out[i] & 0xC0 != 0x80);
        if let Some(lead) = lead {
            if std::str::from_utf8(&out[lead..]).is_ok() {
                start = lead;
            }
        }
    }
    out.truncate(start);
}

/// True when a line of `output` starts (after indentation) with one of `patterns`.
pub(super) fn is_failed(output: &str, patterns: &[&str]) -> bool {
    output.lines().any(|line| {
        let line = line.trim_start();
        patterns.iter().any(|p| line.starts_with(p))
    })
}

/// `config` without the lines `volatile` matches (build banners, byte counts, timestamps) and
/// without the blank lines that then lead it.
pub(super) fn drop_volatile_lines(config: &str, volatile: Option<&Regex>) -> String {
    let kept: Vec<&str> = config
        .lines()
        .filter(|line| !volatile.is_some_and(|v| v.is_match(line)))
        .skip_while(|line| line.trim().is_empty())
        .collect();
    kept.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cleaned output as text (invalid UTF-8 replaced), as `output` holds it.
    fn clean_output(raw: &[u8]) -> String {
        String::from_utf8_lossy(&clean_output_bytes(raw)).into_owned()
    }

    #[test]
    fn crlf_stray_cr_and_backspaces_are_cleaned() {
        let raw = b"\r\nab\x08c\r\n\rline\r\r\n\x08x\r\n\r\n  \r\n";
        assert_eq!(clean_output(raw), "\nac\nline\nx");
    }

    #[test]
    fn the_bytes_are_kept_and_a_backspace_erases_a_whole_character() {
        assert_eq!(
            clean_output_bytes(b"ok \xff\xfe done\r\n"),
            b"ok \xff\xfe done"
        );
        assert_eq!(clean_output("caf\u{e9}\x08e".as_bytes()), "cafe");
        assert_eq!(clean_output_bytes(b"a\xff\x08b"), b"ab");
        assert_eq!(clean_output_bytes(b"\x08\x08x"), b"x");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(
            clean_output(b"ok \xff\xfe done\r\n"),
            "ok \u{fffd}\u{fffd} done"
        );
    }

    #[test]
    fn failure_is_a_line_start_not_any_mention() {
        let patterns = &["% Invalid input"];
        assert!(is_failed(
            "        ^\n% Invalid input detected at '^' marker.",
            patterns
        ));
        assert!(!is_failed("description see % Invalid input", patterns));
    }

    #[test]
    fn volatile_config_lines_and_the_blank_lines_they_leave_are_dropped() {
        let shown = "Building configuration...\n\nCurrent configuration : 1234 bytes\n!\n! Last configuration change at 10:52:35 UTC\nhostname R1\n!\nend";
        let volatile = Regex::new(
            r"^(Building configuration|Current configuration :|! Last configuration change at)",
        )
        .unwrap();
        assert_eq!(
            drop_volatile_lines(shown, Some(&volatile)),
            "!\nhostname R1\n!\nend"
        );
    }
}

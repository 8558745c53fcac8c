//! Turning raw command output into the text a person reads: `\n` line ends, terminal artefacts
//! (stray carriage returns, backspace pairs) removed, invalid UTF-8 replaced, trailing blank lines
//! trimmed; deciding from that text whether the device rejected the command; and dropping the
//! volatile lines of a configuration listing before it is diffed.

/// Clean the raw bytes between a command's echo and the next prompt.
pub(super) fn clean_output(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line_start = out.len();
        for c in line.chars() {
            match c {
                '\r' => {}
                // A backspace erases the character before it on this line, as on a terminal.
                '\x08' => {
                    if out.len() > line_start {
                        out.pop();
                    }
                }
                _ => out.push(c),
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// True when a line of `output` starts (after indentation) with one of `patterns`.
pub(super) fn is_failed(output: &str, patterns: &[&str]) -> bool {
    output.lines().any(|line| {
        let line = line.trim_start();
        patterns.iter().any(|p| line.starts_with(p))
    })
}

/// `config` without the lines starting with one of `volatile` (build banners, byte counts,
/// timestamps) and without the blank lines that then lead it.
pub(super) fn drop_volatile_lines(config: &str, volatile: &[&str]) -> String {
    let kept: Vec<&str> = config
        .lines()
        .filter(|line| !volatile.iter().any(|v| line.starts_with(v)))
        .skip_while(|line| line.trim().is_empty())
        .collect();
    kept.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_stray_cr_and_backspaces_are_cleaned() {
        let raw = b"\r\nab\x08c\r\n\rline\r\r\n\x08x\r\n\r\n  \r\n";
        assert_eq!(clean_output(raw), "\nac\nline\nx");
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
        let volatile = &[
            "Building configuration...",
            "Current configuration :",
            "! Last configuration change at",
        ];
        assert_eq!(
            drop_volatile_lines(shown, volatile),
            "!\nhostname R1\n!\nend"
        );
    }
}

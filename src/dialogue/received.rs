//! The bytes received since the last prompt, with pager prompts cut out as they appear.
//!
//! Everything here looks only at the tail of the buffer (the last line) or at bytes not yet
//! scanned, so a 10 MB output costs linear time however it is chunked.

use regex::Regex;

use super::ansi::AnsiStripper;
use super::mask::Mask;

/// A prompt line longer than this is not a prompt; the tail scan never looks further back.
const MAX_PROMPT_LINE: usize = 256;
/// How much of the most recent input a failure message quotes.
const RECENT_LIMIT: usize = 200;
/// How much of the most recent input is kept for that quote: more than is shown, so that the
/// mask sees any secret in view whole.
const RECENT_KEPT: usize = 2 * RECENT_LIMIT;
/// How far back from the end a login or enable rejection message is looked for.
const REJECTION_WINDOW: usize = 1024;

#[derive(Debug, Default)]
pub(super) struct Received {
    buf: Vec<u8>,
    /// After a pager prompt was answered: the spaces, backspaces and carriage returns received
    /// since, not yet known to be the device's erase sequence or the start of the next line.
    erase_run: Option<Vec<u8>>,
    /// The last bytes received, whatever was consumed, for failure messages.
    recent: Vec<u8>,
    /// The host's secrets: every quote of what was received (`recent_printable`,
    /// `find_line_near_end`) masks them.
    mask: Mask,
    /// Cuts ANSI escape sequences out of what is received, on platforms that send them.
    ansi: Option<AnsiStripper>,
}

impl Received {
    /// Nothing received yet; quotes will mask `mask`'s secrets. With `strip_ansi`, escape
    /// sequences are cut out of everything received (see `ansi`).
    pub(super) fn new(mask: Mask, strip_ansi: bool) -> Received {
        Received {
            mask,
            ansi: strip_ansi.then(AnsiStripper::default),
            ..Received::default()
        }
    }

    pub(super) fn mask(&self) -> &Mask {
        &self.mask
    }

    /// `push`, then whether everything held still fits in `limit` bytes; when it does not, the
    /// first `limit` bytes are kept.
    pub(super) fn push_within(&mut self, data: &[u8], limit: usize) -> bool {
        self.push(data);
        let erasing = self.erase_run.as_ref().map_or(0, Vec::len);
        if self.buf.len() + erasing <= limit {
            return true;
        }
        self.buf.truncate(limit);
        self.erase_run = None;
        false
    }

    pub(super) fn push(&mut self, data: &[u8]) {
        self.remember(data);
        let stripped;
        let mut data = match self.ansi.as_mut() {
            Some(ansi) => {
                let mut text = Vec::with_capacity(data.len());
                ansi.strip(data, &mut text);
                stripped = text;
                &stripped[..]
            }
            None => data,
        };
        if let Some(run) = self.erase_run.as_mut() {
            let n = data
                .iter()
                .take_while(|&&b| matches!(b, b'\x08' | b' ' | b'\r'))
                .count();
            run.extend_from_slice(&data[..n]);
            data = &data[n..];
            if data.is_empty() {
                return;
            }
            // The erase sequence ends with the device's last backspace or carriage return; what
            // follows (indentation, say) is content.
            let content_from = run
                .iter()
                .rposition(|&b| b == b'\x08' || b == b'\r')
                .map_or(0, |p| p + 1);
            self.buf.extend_from_slice(&run[content_from..]);
            self.erase_run = None;
        }
        self.buf.extend_from_slice(data);
    }

    fn remember(&mut self, data: &[u8]) {
        // Keep twice what is shown (a secret straddling the cut is then out of view), but only
        // the tail of a large read.
        let data = &data[data.len().saturating_sub(RECENT_KEPT)..];
        self.recent.extend_from_slice(data);
        if self.recent.len() > 2 * RECENT_KEPT {
            let excess = self.recent.len() - RECENT_KEPT;
            self.recent.drain(..excess);
        }
    }

    /// Forget everything up to now (a prompt was consumed); `recent` is kept.
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.erase_run = None;
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The unfinished last line (after the last `\n`) and where it starts; `None` when it is too
    /// long to be a prompt. Carriage returns and NULs are dropped from the text.
    pub(super) fn last_line(&self) -> Option<(usize, String)> {
        let window_start = self.buf.len().saturating_sub(MAX_PROMPT_LINE);
        let start = match self.buf[window_start..].iter().rposition(|&b| b == b'\n') {
            Some(p) => window_start + p + 1,
            None if window_start == 0 => 0,
            None => return None,
        };
        let line: Vec<u8> = self.buf[start..]
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != 0)
            .collect();
        Some((start, String::from_utf8_lossy(&line).into_owned()))
    }

    /// If the last line ends in a pager prompt, cut it out and expect the device's erase
    /// sequence next. Returns whether a pager prompt was found (the caller answers it).
    pub(super) fn cut_pager_prompt(&mut self, pager: &Regex) -> bool {
        let Some((start, _)) = self.last_line() else {
            return false;
        };
        let tail = String::from_utf8_lossy(&self.buf[start..]).into_owned();
        let Some(found) = pager.find(&tail) else {
            return false;
        };
        // `found.start()` counts chars of the lossy text; it equals the byte offset while the
        // line is ASCII, which a pager line is. Otherwise cut the whole line.
        let cut = if tail.is_ascii() {
            start + found.start()
        } else {
            start
        };
        self.buf.truncate(cut);
        self.erase_run = Some(Vec::new());
        true
    }

    /// The line holding the first of `needles` found in the last KiB received. Only the end is
    /// searched: a rejection comes just before the re-prompt or the close, and the scan stays
    /// cheap however long the device talks.
    pub(super) fn find_line_near_end(&self, needles: &[&str]) -> Option<String> {
        let hay = &self.buf[self.buf.len().saturating_sub(REJECTION_WINDOW)..];
        let at = needles
            .iter()
            .filter_map(|n| find(hay, n.as_bytes()))
            .min()?;
        let line_start = hay[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line_end = hay[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(hay.len(), |p| at + p);
        let line = self.mask.bytes(&hay[line_start..line_end]);
        Some(String::from_utf8_lossy(&line).trim().to_string())
    }

    /// The last ≤200 bytes received, printable: secrets masked, control characters escaped,
    /// invalid UTF-8 as U+FFFD, at most 200 characters. The mask sees more than is shown, so a
    /// secret cut by the window is never shown in part.
    pub(super) fn recent_printable(&self) -> String {
        let recent = self.mask.bytes(&self.recent);
        let from = recent.len().saturating_sub(RECENT_LIMIT);
        let text: String = String::from_utf8_lossy(&recent[from..])
            .chars()
            .flat_map(|c| {
                let escaped: Vec<char> = if c.is_control() {
                    c.escape_default().collect()
                } else {
                    vec![c]
                };
                escaped
            })
            .collect();
        let chars = text.chars().count();
        text.chars()
            .skip(chars.saturating_sub(RECENT_LIMIT))
            .collect()
    }
}

/// Position of `needle` in `hay` (the empty needle is found at 0).
pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erase_sequence_split_anywhere_is_removed_but_indentation_kept() {
        let pager = Regex::new(r"[ \t]*--More--[ \t]*$").unwrap();
        // The device stops at the pager prompt and sends the rest only after it is answered.
        let page: &[u8] = b"line1\r\n --More-- ";
        let after: &[u8] = b"\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08  indented\r\n";
        for page_split in 1..page.len() {
            for after_split in 0..after.len() {
                let mut r = Received::default();
                let mut cut = false;
                for part in [&page[..page_split], &page[page_split..]] {
                    r.push(part);
                    cut |= r.cut_pager_prompt(&pager);
                }
                assert!(cut, "pager prompt missed at split {page_split}");
                r.push(&after[..after_split]);
                r.push(&after[after_split..]);
                assert_eq!(
                    r.bytes(),
                    b"line1\r\n  indented\r\n",
                    "{page_split}/{after_split}"
                );
            }
        }
    }

    #[test]
    fn last_line_ignores_long_lines() {
        let mut r = Received::default();
        r.push(&[b'x'; 1000]);
        assert_eq!(r.last_line(), None);
        r.push(b"\r\nR1#");
        assert_eq!(r.last_line(), Some((1002, "R1#".to_string())));
    }

    #[test]
    fn recent_is_printable_and_bounded() {
        let mut r = Received::default();
        r.push(&[b'a'; 500]);
        r.push(b"\r\n\xff\x07end");
        let recent = r.recent_printable();
        assert!(recent.chars().count() <= 200);
        assert!(recent.ends_with("\\r\\n\u{fffd}\\u{7}end"), "{recent}");
    }
}

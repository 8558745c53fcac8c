//! ANSI escape sequences cut out of a byte stream split anywhere, for CLIs that frame their text
//! with them (Netmiko's `ansi_escape_codes`): bash ≥ 5.1 sends `ESC[?2004h` (bracketed paste)
//! before every prompt and `ESC[?2004l` after every Enter, a Debian prompt sets the window
//! title with `ESC]0;…BEL`, NX-OS and EOS colour some output. Left in, they hide the prompt.
//!
//! Recognised: CSI (`ESC [`, parameter and intermediate bytes, a final byte), OSC (`ESC ]` up to
//! BEL or `ESC \`) and two-byte escapes (`ESC =`). Anything else starting with ESC, and a
//! sequence longer than `MAX_SEQUENCE`, is kept as it came.

/// Longer than any sequence these CLIs send: past it the bytes are not one, and are kept.
const MAX_SEQUENCE: usize = 256;
const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not in a sequence.
    #[default]
    Text,
    /// After ESC.
    Escape,
    /// In `ESC [ …`.
    Csi,
    /// In `ESC ] …`.
    Osc,
    /// After ESC inside an OSC (a `\` ends it).
    OscEscape,
}

/// A stream filter: each call's bytes without the sequences; an unfinished sequence at the end
/// of one call is held until the next decides it.
#[derive(Debug, Default)]
pub(super) struct AnsiStripper {
    state: State,
    /// The bytes of the sequence being read.
    pending: Vec<u8>,
}

impl AnsiStripper {
    /// Append `data` to `out` without its escape sequences.
    pub(super) fn strip(&mut self, data: &[u8], out: &mut Vec<u8>) {
        for &byte in data {
            self.feed(byte, out);
        }
    }

    fn feed(&mut self, byte: u8, out: &mut Vec<u8>) {
        let next = match (self.state, byte) {
            (State::Text, ESC) => State::Escape,
            (State::Text, _) => {
                out.push(byte);
                return;
            }
            (State::Escape, b'[') => State::Csi,
            (State::Escape, b']') => State::Osc,
            (State::Escape, 0x20..=0x7e) => return self.end(),
            (State::Csi, 0x20..=0x3f) => State::Csi,
            (State::Csi, 0x40..=0x7e) => return self.end(),
            (State::Osc, BEL) => return self.end(),
            (State::Osc, ESC) => State::OscEscape,
            (State::Osc, _) => State::Osc,
            (State::OscEscape, b'\\') => return self.end(),
            (State::OscEscape, _) => State::Osc,
            // Not a sequence after all: what was held is text, and this byte starts afresh.
            (State::Escape | State::Csi, _) => {
                self.keep(out);
                return self.feed(byte, out);
            }
        };
        self.pending.push(byte);
        self.state = next;
        if self.pending.len() > MAX_SEQUENCE {
            self.keep(out);
        }
    }

    /// The sequence is complete: dropped.
    fn end(&mut self) {
        self.pending.clear();
        self.state = State::Text;
    }

    /// What was held is not a sequence: kept as text.
    fn keep(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.pending);
        self.state = State::Text;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(chunks: &[&[u8]]) -> Vec<u8> {
        let mut stripper = AnsiStripper::default();
        let mut out = Vec::new();
        for chunk in chunks {
            stripper.strip(chunk, &mut out);
        }
        out
    }

    /// Bytes a real bash 5.2 sent over SSH (captured with `ssh -tt`, `od -c`).
    const BASH: &[u8] =
        b"\x1b[?2004hbash-5.2# echo hello\r\n\x1b[?2004l\rhello\r\n\x1b[?2004hbash-5.2# ";

    #[test]
    fn bracketed_paste_around_bash_prompts_is_cut_however_split() {
        let expected = b"bash-5.2# echo hello\r\n\rhello\r\nbash-5.2# ".to_vec();
        assert_eq!(stripped(&[BASH]), expected);
        for split in 0..BASH.len() {
            let (a, b) = BASH.split_at(split);
            assert_eq!(stripped(&[a, b]), expected, "split at {split}");
        }
    }

    #[test]
    fn titles_colours_and_two_byte_escapes_are_cut() {
        assert_eq!(
            stripped(&[b"\x1b]0;admin@box: ~\x07admin@box:~$ "]),
            b"admin@box:~$ "
        );
        assert_eq!(stripped(&[b"\x1b]0;t\x1b\\ok"]), b"ok");
        assert_eq!(stripped(&[b"\x1b[01;32mgreen\x1b[0m \x1b=x"]), b"green x");
    }

    #[test]
    fn what_is_not_a_sequence_is_kept() {
        assert_eq!(stripped(&[b"a\x1b\r\nb"]), b"a\x1b\r\nb");
        assert_eq!(stripped(&[b"\x1b[12\n"]), b"\x1b[12\n");
        let endless: Vec<u8> = [&b"\x1b["[..], &[b'1'; 300]].concat();
        assert_eq!(stripped(&[&endless]), endless);
    }
}

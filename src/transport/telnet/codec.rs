//! The sans-IO Telnet client codec (RFC 854 NVT, RFC 855 options): it strips commands and option
//! negotiation out of received bytes, answers them, and encodes what the client types. No sockets,
//! no clocks: bytes in, bytes out.
//!
//! Options: the client accepts the server's ECHO and SGA (`WILL` → `DO`), offers SGA, NAWS and
//! TTYPE when asked (`DO` → `WILL`, then the window size 511x24 and the terminal type `VT100`),
//! and refuses everything else. The client never starts a negotiation, so each option is simply
//! enabled or not on each side; following RFC 1143, a request that matches the current state is
//! not answered, which is what keeps two agents from looping.

/// Interpret As Command: starts every command; doubled, it is a 0xff data byte.
pub const IAC: u8 = 255;
pub const DONT: u8 = 254;
pub const DO: u8 = 253;
pub const WONT: u8 = 252;
pub const WILL: u8 = 251;
/// Subnegotiation begin (`IAC SB option ... IAC SE`).
pub const SB: u8 = 250;
/// Subnegotiation end.
pub const SE: u8 = 240;

pub const OPT_ECHO: u8 = 1;
/// Suppress go-ahead.
pub const OPT_SGA: u8 = 3;
/// Terminal type (RFC 1091).
pub const OPT_TTYPE: u8 = 24;
/// Negotiate about window size (RFC 1073).
pub const OPT_NAWS: u8 = 31;

/// RFC 1091's `IS` and `SEND` subnegotiation codes.
const TTYPE_IS: u8 = 0;
const TTYPE_SEND: u8 = 1;

/// The terminal type and window size offered, the same shape as the SSH pty (wide, so devices do
/// not wrap long lines).
pub const TERMINAL_TYPE: &[u8] = b"VT100";
pub const WINDOW: (u16, u16) = (511, 24);

/// Options the server may enable (`WILL`) with the client's agreement.
const SERVER_OPTIONS: [u8; 2] = [OPT_ECHO, OPT_SGA];
/// Options the client enables when the server asks (`DO`).
const CLIENT_OPTIONS: [u8; 3] = [OPT_SGA, OPT_NAWS, OPT_TTYPE];

/// The longest subnegotiation kept; longer ones are cut (nothing the client reads is that long).
const SUBNEGOTIATION_LIMIT: usize = 64;

/// Where the decoder is in the received stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    /// After IAC.
    Command,
    /// After IAC WILL/WONT/DO/DONT: the option byte comes next.
    Option(u8),
    /// After IAC SB: the option byte comes next.
    SubOption,
    /// Inside a subnegotiation.
    Sub,
    /// IAC inside a subnegotiation.
    SubIac,
}

/// Telnet state of one client connection.
#[derive(Debug, Clone)]
pub struct TelnetCodec {
    state: State,
    /// Options enabled on the server's side (it sent WILL and the client agreed).
    server: [bool; 256],
    /// Options enabled on the client's side.
    client: [bool; 256],
    /// The subnegotiation being read: its option, then its bytes (IAC IAC undone).
    sub_option: u8,
    sub: Vec<u8>,
    /// The previous received data byte was CR (so a NUL after it is dropped).
    received_cr: bool,
    /// The last byte encoded was a CR sent as CR LF (so an LF right after it is dropped).
    sent_cr: bool,
    /// Negotiation answers not yet taken by the driver.
    transmit: Vec<u8>,
}

impl Default for TelnetCodec {
    fn default() -> Self {
        TelnetCodec {
            state: State::Data,
            server: [false; 256],
            client: [false; 256],
            sub_option: 0,
            sub: Vec::new(),
            received_cr: false,
            sent_cr: false,
            transmit: Vec::new(),
        }
    }
}

impl TelnetCodec {
    pub fn new() -> TelnetCodec {
        TelnetCodec::default()
    }

    /// Decode received bytes: application data is appended to `data` (never more bytes than
    /// `input` has), answers owed to the server are queued for `take_transmit`. Any sequence may
    /// be split across calls at any byte.
    pub fn decode(&mut self, input: &[u8], data: &mut Vec<u8>) {
        let mut rest = input;
        while !rest.is_empty() {
            if self.state == State::Data {
                // Fast path: copy the run of plain bytes up to the next IAC in one go.
                let run = rest.iter().position(|&b| b == IAC).unwrap_or(rest.len());
                self.data(&rest[..run], data);
                rest = &rest[run..];
                if let Some((_iac, tail)) = rest.split_first() {
                    self.state = State::Command;
                    rest = tail;
                }
                continue;
            }
            let Some((&byte, tail)) = rest.split_first() else {
                break;
            };
            rest = tail;
            self.state = self.step(byte, data);
        }
    }

    /// The negotiation answers queued so far (empty when there are none).
    pub fn take_transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.transmit)
    }

    /// Encode what the client types, appending to `out`: 0xff is doubled; an end of line (`\n`,
    /// `\r\n`, or `\r` ending the write) is sent as CR LF, the Enter Cisco devices expect from a
    /// client; a CR inside a write and not followed by LF is a bare carriage return, CR NUL.
    pub fn encode(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        out.reserve(bytes.len() + 2);
        let mut rest = bytes;
        if self.sent_cr {
            self.sent_cr = false;
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
        while let Some((&byte, tail)) = rest.split_first() {
            rest = tail;
            match byte {
                IAC => out.extend_from_slice(&[IAC, IAC]),
                b'\n' => out.extend_from_slice(b"\r\n"),
                b'\r' => match rest.first() {
                    Some(b'\n') => {
                        out.extend_from_slice(b"\r\n");
                        rest = &rest[1..];
                    }
                    Some(_) => out.extend_from_slice(b"\r\0"),
                    None => {
                        out.extend_from_slice(b"\r\n");
                        self.sent_cr = true;
                    }
                },
                _ => out.push(byte),
            }
        }
    }

    /// One byte (`decode` copies runs of plain data itself); returns the next state.
    fn step(&mut self, byte: u8, data: &mut Vec<u8>) -> State {
        match self.state {
            State::Data => {
                self.data(&[byte], data);
                State::Data
            }
            State::Command => self.command(byte, data),
            State::Option(verb) => {
                self.negotiate(verb, byte);
                State::Data
            }
            State::SubOption => {
                self.sub_option = byte;
                self.sub.clear();
                State::Sub
            }
            State::Sub if byte == IAC => State::SubIac,
            State::Sub => {
                self.sub_byte(byte);
                State::Sub
            }
            State::SubIac => match byte {
                IAC => {
                    self.sub_byte(IAC);
                    State::Sub
                }
                SE => {
                    self.subnegotiation();
                    State::Data
                }
                // IAC followed by anything else ends a malformed subnegotiation (unanswered) and
                // is read as a command, so a lost SE cannot swallow the rest of the session.
                _ => self.command(byte, data),
            },
        }
    }

    /// The byte after IAC.
    fn command(&mut self, byte: u8, data: &mut Vec<u8>) -> State {
        match byte {
            IAC => {
                self.data(&[IAC], data);
                State::Data
            }
            WILL | WONT | DO | DONT => State::Option(byte),
            SB => State::SubOption,
            // NOP, GA, DM, AYT, ...: nothing for a CLI client to do.
            _ => State::Data,
        }
    }

    /// Received data bytes: CR NUL becomes CR (CR LF passes as it is).
    fn data(&mut self, bytes: &[u8], data: &mut Vec<u8>) {
        let Some(&last) = bytes.last() else {
            return;
        };
        if bytes.contains(&0) {
            let mut previous_cr = self.received_cr;
            for &byte in bytes {
                if !(previous_cr && byte == 0) {
                    data.push(byte);
                }
                previous_cr = byte == b'\r';
            }
        } else {
            data.extend_from_slice(bytes);
        }
        self.received_cr = last == b'\r';
    }

    /// Answer IAC `verb` `option` if it asks for a change; refuse options the client lacks.
    fn negotiate(&mut self, verb: u8, option: u8) {
        let index = usize::from(option);
        let (enabled, supported, yes, no) = match verb {
            WILL | WONT => (
                &mut self.server[index],
                SERVER_OPTIONS.contains(&option),
                DO,
                DONT,
            ),
            _ => (
                &mut self.client[index],
                CLIENT_OPTIONS.contains(&option),
                WILL,
                WONT,
            ),
        };
        let wanted = matches!(verb, WILL | DO);
        if wanted == *enabled {
            return;
        }
        let agreed = wanted && supported;
        // Refusing an option that is already off leaves the state as it is.
        *enabled = agreed;
        self.transmit
            .extend_from_slice(&[IAC, if agreed { yes } else { no }, option]);
        if agreed && verb == DO && option == OPT_NAWS {
            self.send_window_size();
        }
    }

    fn sub_byte(&mut self, byte: u8) {
        if self.sub.len() < SUBNEGOTIATION_LIMIT {
            self.sub.push(byte);
        }
    }

    /// A complete subnegotiation: answer the server's request for the terminal type.
    fn subnegotiation(&mut self) {
        let ttype_enabled = self.client[usize::from(OPT_TTYPE)];
        if self.sub_option == OPT_TTYPE && ttype_enabled && self.sub == [TTYPE_SEND] {
            let mut body = vec![TTYPE_IS];
            body.extend_from_slice(TERMINAL_TYPE);
            self.send_subnegotiation(OPT_TTYPE, &body);
        }
    }

    fn send_window_size(&mut self) {
        let (width, height) = WINDOW;
        let mut body = width.to_be_bytes().to_vec();
        body.extend_from_slice(&height.to_be_bytes());
        self.send_subnegotiation(OPT_NAWS, &body);
    }

    /// Queue IAC SB `option` `body` IAC SE, with 0xff in the body doubled.
    fn send_subnegotiation(&mut self, option: u8, body: &[u8]) {
        self.transmit.extend_from_slice(&[IAC, SB, option]);
        for &byte in body {
            self.transmit.push(byte);
            if byte == IAC {
                self.transmit.push(IAC);
            }
        }
        self.transmit.extend_from_slice(&[IAC, SE]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode `input` in one call: (data, answers).
    fn decode(codec: &mut TelnetCodec, input: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut data = Vec::new();
        codec.decode(input, &mut data);
        (data, codec.take_transmit())
    }

    /// Decode `input` split into chunks at `cuts`: (data, answers).
    fn decode_split(input: &[u8], cuts: &[usize]) -> (Vec<u8>, Vec<u8>) {
        let mut codec = TelnetCodec::new();
        let (mut data, mut answers) = (Vec::new(), Vec::new());
        let mut start = 0;
        for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
            codec.decode(&input[start..cut], &mut data);
            answers.extend(codec.take_transmit());
            start = cut;
        }
        (data, answers)
    }

    fn encode(codec: &mut TelnetCodec, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        codec.encode(bytes, &mut out);
        out
    }

    /// The window-size subnegotiation: 511 is 0x01ff, so its low byte is a doubled IAC.
    const NAWS_REPLY: [u8; 10] = [IAC, SB, OPT_NAWS, 0x01, IAC, IAC, 0x00, 24, IAC, SE];

    #[test]
    fn plain_data_and_cr_lf_pass_through() {
        let mut codec = TelnetCodec::new();
        assert_eq!(
            decode(&mut codec, b"R1>show clock\r\n*10:52:35 UTC\r\nR1>"),
            (b"R1>show clock\r\n*10:52:35 UTC\r\nR1>".to_vec(), vec![])
        );
    }

    #[test]
    fn doubled_iac_is_one_data_byte() {
        let mut codec = TelnetCodec::new();
        assert_eq!(
            decode(&mut codec, &[b'a', IAC, IAC, b'b', IAC, IAC]),
            (vec![b'a', 0xff, b'b', 0xff], vec![])
        );
    }

    #[test]
    fn cr_nul_is_cr_even_across_reads() {
        let mut codec = TelnetCodec::new();
        assert_eq!(decode(&mut codec, b"x\r\0y\r").0, b"x\ry\r".to_vec());
        assert_eq!(decode(&mut codec, b"\0z\0").0, b"z\0".to_vec());
        assert_eq!(decode(&mut codec, b"\r\r\0\0").0, b"\r\r\0".to_vec());
    }

    #[test]
    fn the_testbed_login_transcript_is_answered_and_stripped() {
        let mut codec = TelnetCodec::new();
        let mut greeting = vec![IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_NAWS];
        greeting.extend_from_slice(b"\r\nUser Access Verification\r\n\r\nUsername: ");
        let (data, answers) = decode(&mut codec, &greeting);
        assert_eq!(
            data,
            b"\r\nUser Access Verification\r\n\r\nUsername: ".to_vec()
        );
        let mut expected = vec![IAC, DO, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WILL, OPT_NAWS];
        expected.extend_from_slice(&NAWS_REPLY);
        assert_eq!(answers, expected);
        // The server confirming what it already has changes nothing and gets no answer.
        let (data, answers) = decode(&mut codec, &[IAC, WILL, OPT_ECHO, b'x']);
        assert_eq!((data, answers), (b"x".to_vec(), vec![]));
    }

    #[test]
    fn every_split_of_a_transcript_decodes_the_same() {
        let mut transcript = vec![IAC, WILL, OPT_ECHO, b'a', IAC, IAC, b'\r', 0, IAC, DO, 42];
        transcript.extend_from_slice(&[IAC, SB, OPT_NAWS, 1, IAC, IAC, 0, 24, IAC, SE, b'b']);
        transcript.extend_from_slice(&[IAC, DO, OPT_TTYPE, IAC, SB, OPT_TTYPE, TTYPE_SEND]);
        transcript.extend_from_slice(&[IAC, SE, b'\r', b'\n', IAC, 241, b'c', IAC, IAC]);
        let whole = decode_split(&transcript, &[]);
        assert_eq!(
            whole.0,
            vec![b'a', 0xff, b'\r', b'b', b'\r', b'\n', b'c', 0xff]
        );
        for first in 1..transcript.len() {
            assert_eq!(decode_split(&transcript, &[first]), whole, "cut at {first}");
            for second in first + 1..transcript.len() {
                let split = decode_split(&transcript, &[first, second]);
                assert_eq!(split, whole, "cuts at {first} and {second}");
            }
        }
        let byte_by_byte: Vec<usize> = (1..transcript.len()).collect();
        assert_eq!(decode_split(&transcript, &byte_by_byte), whole);
    }

    #[test]
    fn unknown_options_are_refused_on_both_sides() {
        let mut codec = TelnetCodec::new();
        let (data, answers) = decode(
            &mut codec,
            &[
                IAC, DO, 42, IAC, WILL, 42, IAC, WILL, OPT_NAWS, IAC, DO, OPT_ECHO,
            ],
        );
        assert!(data.is_empty());
        assert_eq!(
            answers,
            [IAC, WONT, 42, IAC, DONT, 42, IAC, DONT, OPT_NAWS, IAC, WONT, OPT_ECHO]
        );
        // Refusals of options that are off need no answer: nothing loops.
        let (_, answers) = decode(&mut codec, &[IAC, WONT, 42, IAC, DONT, 42]);
        assert!(answers.is_empty());
    }

    #[test]
    fn requests_matching_the_current_state_are_not_answered() {
        let mut codec = TelnetCodec::new();
        let (_, answers) = decode(&mut codec, &[IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA]);
        assert_eq!(answers, [IAC, DO, OPT_SGA, IAC, WILL, OPT_SGA]);
        let (_, answers) = decode(&mut codec, &[IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA]);
        assert!(answers.is_empty());
        // Switching off is acknowledged once, then the state matches again.
        let (_, answers) = decode(&mut codec, &[IAC, WONT, OPT_SGA, IAC, DONT, OPT_SGA]);
        assert_eq!(answers, [IAC, DONT, OPT_SGA, IAC, WONT, OPT_SGA]);
        let (_, answers) = decode(&mut codec, &[IAC, WONT, OPT_SGA, IAC, DONT, OPT_SGA]);
        assert!(answers.is_empty());
    }

    #[test]
    fn naws_sends_the_wide_window_with_its_iac_doubled() {
        let mut codec = TelnetCodec::new();
        let (_, answers) = decode(&mut codec, &[IAC, DO, OPT_NAWS]);
        let mut expected = vec![IAC, WILL, OPT_NAWS];
        expected.extend_from_slice(&NAWS_REPLY);
        assert_eq!(answers, expected);
    }

    #[test]
    fn ttype_send_is_answered_with_vt100_only_once_ttype_is_on() {
        let mut codec = TelnetCodec::new();
        let send = [IAC, SB, OPT_TTYPE, TTYPE_SEND, IAC, SE];
        assert!(decode(&mut codec, &send).1.is_empty());
        let (_, answers) = decode(&mut codec, &[IAC, DO, OPT_TTYPE]);
        assert_eq!(answers, [IAC, WILL, OPT_TTYPE]);
        let (data, answers) = decode(&mut codec, &send);
        assert!(data.is_empty());
        let mut expected = vec![IAC, SB, OPT_TTYPE, TTYPE_IS];
        expected.extend_from_slice(b"VT100");
        expected.extend_from_slice(&[IAC, SE]);
        assert_eq!(answers, expected);
    }

    #[test]
    fn other_subnegotiations_and_commands_are_dropped() {
        let mut codec = TelnetCodec::new();
        let mut input = vec![b'a', IAC, SB, 42];
        input.extend(std::iter::repeat_n(7, 300));
        input.extend_from_slice(&[IAC, SE, b'b', IAC, 241, IAC, 249, b'c']);
        assert_eq!(decode(&mut codec, &input), (b"abc".to_vec(), vec![]));
    }

    #[test]
    fn a_subnegotiation_without_se_ends_at_the_next_command() {
        let mut codec = TelnetCodec::new();
        let input = [IAC, SB, 42, 1, 2, IAC, WILL, OPT_SGA, b'x'];
        assert_eq!(
            decode(&mut codec, &input),
            (b"x".to_vec(), vec![IAC, DO, OPT_SGA])
        );
    }

    #[test]
    fn typed_lines_end_in_cr_lf_and_iac_is_doubled() {
        let mut codec = TelnetCodec::new();
        assert_eq!(encode(&mut codec, b"show version\n"), b"show version\r\n");
        assert_eq!(encode(&mut codec, b"a\r\nb\n"), b"a\r\nb\r\n");
        assert_eq!(
            encode(&mut codec, &[b'k', IAC, b'\n']),
            [b'k', IAC, IAC, b'\r', b'\n']
        );
        assert_eq!(encode(&mut codec, b"a\rb\n"), b"a\r\0b\r\n");
        assert_eq!(encode(&mut codec, b" "), b" ");
    }

    #[test]
    fn a_cr_ending_one_write_and_an_lf_starting_the_next_are_one_enter() {
        let mut codec = TelnetCodec::new();
        assert_eq!(encode(&mut codec, b"cisco\r"), b"cisco\r\n");
        assert_eq!(encode(&mut codec, b"\nshow clock\r"), b"show clock\r\n");
        assert_eq!(encode(&mut codec, b"x"), b"x");
    }
}

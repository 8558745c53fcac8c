//! The Telnet server: a sans-IO RFC 854/855 option codec (what the server offers, how it answers
//! the client's options, stripping IAC sequences split across reads) and the connection driver
//! that runs the device CLI behind its `Username:`/`Password:` login (and plays the flood fault).

use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

use crate::device::{CliSession, SessionStart};
pub use crate::player::escape_iac;
use crate::player::{pause, Flow, Player, SimDevice, Sink};

pub const IAC: u8 = 255;
pub const DONT: u8 = 254;
pub const DO: u8 = 253;
pub const WONT: u8 = 252;
pub const WILL: u8 = 251;
pub const SB: u8 = 250;
pub const SE: u8 = 240;
pub const OPT_ECHO: u8 = 1;
pub const OPT_SGA: u8 = 3;
pub const OPT_NAWS: u8 = 31;

/// What the server sends on connect: it echoes and suppresses go-ahead, like IOS; it asks for
/// the window size, which it accepts and ignores.
pub const GREETING: [u8; 9] = [IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_NAWS];

/// The server's options (`WILL`) it is willing to enable.
const OURS: [u8; 2] = [OPT_ECHO, OPT_SGA];
/// The client's options (`DO`) it accepts.
const THEIRS: [u8; 2] = [OPT_SGA, OPT_NAWS];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    /// After IAC.
    Command,
    /// After IAC WILL/WONT/DO/DONT: the option byte comes next.
    Option(u8),
    /// Inside IAC SB ... (ignored until IAC SE).
    Sub,
    /// IAC inside a subnegotiation.
    SubIac,
}

/// The result of decoding some received bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// What the user typed.
    pub data: Vec<u8>,
    /// Negotiation answers to send back.
    pub reply: Vec<u8>,
}

/// Telnet option state of one connection (server side).
#[derive(Debug)]
pub struct TelnetCodec {
    state: State,
    /// Options the server has enabled (it offers them in the greeting).
    ours: [bool; 256],
    /// Options the client has enabled.
    theirs: [bool; 256],
    /// The previous data byte was CR (CR NUL means CR).
    after_cr: bool,
}

impl Default for TelnetCodec {
    fn default() -> Self {
        let mut ours = [false; 256];
        for opt in OURS {
            ours[usize::from(opt)] = true;
        }
        let mut theirs = [false; 256];
        theirs[usize::from(OPT_NAWS)] = true;
        TelnetCodec {
            state: State::Data,
            ours,
            theirs,
            after_cr: false,
        }
    }
}

impl TelnetCodec {
    /// A codec in the state the greeting put the connection in.
    pub fn new() -> TelnetCodec {
        TelnetCodec::default()
    }

    /// Split received bytes into typed data and the answers the server owes.
    pub fn decode(&mut self, input: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        for &byte in input {
            self.state = match self.state {
                State::Data if byte == IAC => State::Command,
                State::Data => {
                    self.data(byte, &mut out.data);
                    State::Data
                }
                State::Command => match byte {
                    IAC => {
                        self.data(IAC, &mut out.data);
                        State::Data
                    }
                    WILL | WONT | DO | DONT => State::Option(byte),
                    SB => State::Sub,
                    // NOP, GA, AYT, ... carry nothing for a CLI.
                    _ => State::Data,
                },
                State::Option(verb) => {
                    self.negotiate(verb, byte, &mut out.reply);
                    State::Data
                }
                State::Sub if byte == IAC => State::SubIac,
                State::Sub => State::Sub,
                State::SubIac if byte == SE => State::Data,
                State::SubIac => State::Sub,
            };
        }
        out
    }

    fn data(&mut self, byte: u8, data: &mut Vec<u8>) {
        let skip = self.after_cr && byte == 0;
        self.after_cr = byte == b'\r';
        if !skip {
            data.push(byte);
        }
    }

    /// Answer only changes of state (RFC 1143's rule against negotiation loops); refuse options
    /// the server does not know.
    fn negotiate(&mut self, verb: u8, option: u8, reply: &mut Vec<u8>) {
        let opt = usize::from(option);
        match verb {
            DO if !self.ours[opt] => {
                let accept = OURS.contains(&option);
                self.ours[opt] = accept;
                reply.extend([IAC, if accept { WILL } else { WONT }, option]);
            }
            DONT if self.ours[opt] => {
                self.ours[opt] = false;
                reply.extend([IAC, WONT, option]);
            }
            WILL if !self.theirs[opt] => {
                let accept = THEIRS.contains(&option);
                self.theirs[opt] = accept;
                reply.extend([IAC, if accept { DO } else { DONT }, option]);
            }
            WONT if self.theirs[opt] => {
                self.theirs[opt] = false;
                reply.extend([IAC, DONT, option]);
            }
            _ => {}
        }
    }
}

/// Serve one Telnet connection to `sim`: greet, negotiate, log in, run the CLI.
pub(crate) async fn serve(stream: TcpStream, sim: Arc<SimDevice>) {
    let _ = stream.set_nodelay(true);
    let mut pacer = sim.pacer();
    pause(pacer.connect()).await;
    let (mut reader, writer) = stream.into_split();
    let mut player = Player::new(pacer, Sink::Telnet(writer));
    if player.sink().write_raw(&GREETING).await.is_err() {
        return;
    }
    let mut codec = TelnetCodec::new();
    let (mut cli, first) = CliSession::new(sim.device.clone(), SessionStart::Login);
    let mut flow = player.play(first).await;
    let mut buf = vec![0u8; 4096];
    loop {
        match flow {
            Flow::Close => break,
            Flow::Flood(length) => {
                // The client's bytes are read and dropped meanwhile; its closing ends the flood.
                tokio::select! {
                    () = player.flood(length) => {}
                    () = discard(&mut reader, &mut buf) => {}
                }
                break;
            }
            Flow::Continue | Flow::Stall => {}
        }
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let decoded = codec.decode(&buf[..n]);
        if !decoded.reply.is_empty() && player.sink().write_raw(&decoded.reply).await.is_err() {
            return;
        }
        // A stalled device keeps reading (and negotiating) but never answers typed input.
        if flow == Flow::Continue && !decoded.data.is_empty() {
            flow = player.typed(&mut cli, &decoded.data).await;
        }
    }
    player.sink().close().await;
}

/// Read and drop what the client sends until it closes its side (or the connection fails).
async fn discard(reader: &mut OwnedReadHalf, buf: &mut [u8]) {
    while let Ok(1..) = reader.read(buf).await {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_data_passes_through() {
        let mut c = TelnetCodec::new();
        assert_eq!(
            c.decode(b"show version\r\n"),
            Decoded {
                data: b"show version\r\n".to_vec(),
                reply: vec![]
            }
        );
    }

    #[test]
    fn doubled_iac_is_one_data_byte() {
        let mut c = TelnetCodec::new();
        assert_eq!(
            c.decode(&[b'a', IAC, IAC, b'b']).data,
            vec![b'a', 0xff, b'b']
        );
    }

    #[test]
    fn cr_nul_is_cr_even_across_reads() {
        let mut c = TelnetCodec::new();
        assert_eq!(c.decode(b"x\r").data, b"x\r".to_vec());
        assert_eq!(c.decode(&[0, b'y']).data, b"y".to_vec());
    }

    #[test]
    fn acknowledgements_of_the_greeting_get_no_answer() {
        let mut c = TelnetCodec::new();
        let d = c.decode(&[IAC, DO, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WILL, OPT_NAWS]);
        assert_eq!(d, Decoded::default());
    }

    #[test]
    fn unknown_options_are_refused_once() {
        let mut c = TelnetCodec::new();
        let d = c.decode(&[IAC, DO, 24, IAC, WILL, 24, IAC, WILL, OPT_SGA]);
        assert_eq!(
            d.reply,
            vec![IAC, WONT, 24, IAC, DONT, 24, IAC, DO, OPT_SGA]
        );
        assert!(d.data.is_empty());
        // The client repeating itself changes nothing and gets no answer (no loops).
        assert!(c.decode(&[IAC, WILL, OPT_SGA]).reply.is_empty());
    }

    #[test]
    fn dont_echo_is_acknowledged() {
        let mut c = TelnetCodec::new();
        assert_eq!(
            c.decode(&[IAC, DONT, OPT_ECHO]).reply,
            vec![IAC, WONT, OPT_ECHO]
        );
        assert!(c.decode(&[IAC, DONT, OPT_ECHO]).reply.is_empty());
    }

    #[test]
    fn sequences_split_across_reads_are_reassembled() {
        let mut c = TelnetCodec::new();
        let mut data = Vec::new();
        let mut reply = Vec::new();
        let stream = [
            b'a', IAC, DO, 24, b'b', IAC, SB, OPT_NAWS, 0, 80, IAC, IAC, 0, 24, IAC, SE, b'c',
        ];
        for byte in stream {
            let d = c.decode(&[byte]);
            data.extend(d.data);
            reply.extend(d.reply);
        }
        assert_eq!(data, b"abc".to_vec());
        assert_eq!(reply, vec![IAC, WONT, 24]);
    }

    #[test]
    fn other_commands_are_dropped() {
        let mut c = TelnetCodec::new();
        assert_eq!(c.decode(&[b'a', IAC, 241, b'b']).data, b"ab".to_vec());
    }

    #[test]
    fn output_escapes_iac() {
        assert_eq!(&*escape_iac(b"ok"), b"ok");
        assert_eq!(&*escape_iac(&[1, IAC, 2]), &[1, IAC, IAC, 2]);
    }
}

//! Telnet: the sans-IO codec (`codec`) and its two thin drivers, blocking (`blocking`, std
//! sockets) and async (`tokio`). What the drivers share — turning typed bytes into wire bytes,
//! raw received bytes into data plus negotiation answers, and classifying socket errors — lives
//! here, so the drivers differ only in their I/O calls.
//!
//! There is no handshake step: options are answered as the server's requests arrive with the
//! first receives, and the login (`Username:`/`Password:`) is the dialogue's job.

pub mod blocking;
pub mod codec;
pub mod tokio;

use crate::job::ErrorKind;

pub use self::blocking::TelnetShell;
pub use self::codec::TelnetCodec;
pub use self::tokio::AsyncTelnetShell;

use super::TransportError;

/// What a session is doing, for error messages.
const SENDING: &str = "sending over Telnet";
const RECEIVING: &str = "receiving over Telnet";

/// One Telnet connection's protocol state, without its socket.
#[derive(Debug, Default)]
struct Connection {
    codec: TelnetCodec,
    /// Decoded data not yet copied out (reused between receives).
    data: Vec<u8>,
}

/// What one read produced once decoded.
#[derive(Debug, PartialEq, Eq)]
struct Inbound {
    /// Negotiation answers to write before reading on (empty when none).
    answers: Vec<u8>,
    /// Application data now at the start of the caller's buffer; 0 when the read held only
    /// Telnet commands, and the driver reads again.
    data: usize,
}

impl Connection {
    /// The wire bytes for what the dialogue types, after any negotiation answers still owed.
    fn outgoing(&mut self, typed: &[u8]) -> Vec<u8> {
        let mut wire = self.codec.take_transmit();
        self.codec.encode(typed, &mut wire);
        wire
    }

    /// Decode `raw` (at most `buffer.len()` bytes, so the data always fits) into `buffer`.
    fn incoming(&mut self, raw: &[u8], buffer: &mut [u8]) -> Inbound {
        debug_assert!(raw.len() <= buffer.len());
        self.data.clear();
        self.codec.decode(raw, &mut self.data);
        buffer[..self.data.len()].copy_from_slice(&self.data);
        Inbound {
            answers: self.codec.take_transmit(),
            data: self.data.len(),
        }
    }
}

/// Classify a socket error met while `what`: a missed deadline is a timeout, anything else means
/// the connection is gone.
fn io_error(err: &std::io::Error, what: &str) -> TransportError {
    match err.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            TransportError::timeout(what)
        }
        _ => TransportError::new(ErrorKind::Closed, format!("{what}: {err}")),
    }
}

/// A scripted Telnet server on loopback for the drivers' tests.
#[cfg(test)]
mod script {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::thread::JoinHandle;
    use std::time::Duration;

    use super::codec::{DO, IAC, OPT_ECHO, OPT_NAWS, SB, SE, WILL};

    /// What the server asks before its first data.
    const ASK: [u8; 6] = [IAC, WILL, OPT_ECHO, IAC, DO, OPT_NAWS];
    /// The answers a client owes: DO ECHO, WILL NAWS, the 511x24 window.
    pub const ANSWERS: [u8; 16] = [
        IAC, DO, OPT_ECHO, IAC, WILL, OPT_NAWS, IAC, SB, OPT_NAWS, 1, IAC, IAC, 0, 24, IAC, SE,
    ];

    /// Serve one client: negotiate, wait for all the answers, prompt `Username: `, then return
    /// everything the client sent up to its first CR LF.
    pub fn login_prompt() -> (u16, JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            stream.write_all(&ASK).unwrap();
            let mut received = vec![0u8; ANSWERS.len()];
            stream.read_exact(&mut received).unwrap();
            stream.write_all(b"Username: ").unwrap();
            read_line(&mut stream, &mut received);
            received
        });
        (port, server)
    }

    /// Accept one client and hold the connection open, silent, until the client closes it.
    pub fn silent() -> (u16, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let _ = stream.read(&mut [0u8; 1]);
        });
        (port, server)
    }

    /// Read until CR LF (bounded by the read timeout and the line's length).
    fn read_line(stream: &mut TcpStream, into: &mut Vec<u8>) {
        let mut byte = [0u8; 1];
        while !into.ends_with(b"\r\n") && into.len() < 1024 {
            stream.read_exact(&mut byte).unwrap();
            into.push(byte[0]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::codec::{DO, IAC, OPT_ECHO, OPT_SGA, WILL};
    use super::*;

    #[test]
    fn a_read_of_only_commands_yields_answers_and_no_data() {
        let mut connection = Connection::default();
        let mut buffer = [0u8; 16];
        let inbound = connection.incoming(&[IAC, WILL, OPT_ECHO], &mut buffer);
        assert_eq!(
            inbound,
            Inbound {
                answers: vec![IAC, DO, OPT_ECHO],
                data: 0
            }
        );
        let inbound = connection.incoming(b"R1>", &mut buffer);
        assert_eq!(
            (inbound.answers.len(), &buffer[..inbound.data]),
            (0, &b"R1>"[..])
        );
    }

    #[test]
    fn owed_answers_go_out_before_typed_bytes() {
        let mut connection = Connection::default();
        connection
            .codec
            .decode(&[IAC, WILL, OPT_SGA], &mut Vec::new());
        assert_eq!(
            connection.outgoing(b"cisco\n"),
            [IAC, DO, OPT_SGA, b'c', b'i', b's', b'c', b'o', b'\r', b'\n']
        );
        assert_eq!(connection.outgoing(b"x\n"), b"x\r\n");
    }

    #[test]
    fn socket_errors_map_to_timeout_or_closed() {
        let slow = std::io::Error::from(std::io::ErrorKind::WouldBlock);
        assert_eq!(io_error(&slow, RECEIVING).kind, ErrorKind::Timeout);
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(io_error(&reset, SENDING).kind, ErrorKind::Closed);
    }
}

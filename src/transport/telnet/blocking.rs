//! The blocking Telnet driver: a socket (TCP, or a socketpair end a jump host or ProxyCommand
//! carries) whose read and write timeouts are set from each operation's deadline, pumping the
//! shared `Connection`.

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Instant;

use super::{io_error, Connection, RECEIVING, SENDING};
use crate::os::{self, SocketWait};
use crate::transport::reach::Socket;
use crate::transport::{time_left, Channel, Received, TransportError};

/// A Telnet session to a device's CLI (not yet logged in: the dialogue answers the login).
pub struct TelnetShell {
    stream: Socket,
    connection: Connection,
    /// Raw bytes as read, before decoding.
    raw: Vec<u8>,
}

impl TelnetShell {
    /// Speak Telnet on a connected `stream`.
    pub fn new(stream: impl Into<Socket>) -> TelnetShell {
        TelnetShell {
            stream: stream.into(),
            connection: Connection::default(),
            raw: Vec::new(),
        }
    }

    /// Write all of `wire` before `deadline`, re-arming the timeout for each partial write.
    fn write_before(&mut self, mut wire: &[u8], deadline: Instant) -> Result<(), TransportError> {
        while !wire.is_empty() {
            let left = time_left(deadline, SENDING)?;
            self.stream
                .set_write_timeout(Some(left))
                .map_err(|err| io_error(&err, SENDING))?;
            match self.stream.write(wire) {
                Ok(0) => return Err(io_error(&std::io::ErrorKind::WriteZero.into(), SENDING)),
                Ok(n) => wire = &wire[n..],
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(io_error(&err, SENDING)),
            }
        }
        Ok(())
    }
}

impl Channel for TelnetShell {
    fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), TransportError> {
        let wire = self.connection.outgoing(bytes);
        self.write_before(&wire, deadline)
    }

    fn recv(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
        wake: Option<BorrowedFd<'_>>,
    ) -> Result<Received, TransportError> {
        self.raw.resize(buffer.len(), 0);
        // A read holding only negotiation yields no data: answer it and read on, until data,
        // EOF or the deadline.
        loop {
            let left = time_left(deadline, RECEIVING)?;
            // The codec holds no undelivered data, so a socket with nothing to read means
            // nothing is waiting: it is safe to wait on it beside `wake`.
            if let Some(wake) = wake {
                let waited = os::wait_socket(self.stream.as_fd(), true, false, wake, deadline)
                    .map_err(|err| io_error(&err, RECEIVING))?;
                match waited {
                    SocketWait::Ready => {}
                    SocketWait::Woken => return Ok(Received::Woken),
                    SocketWait::TimedOut => return Err(TransportError::timeout(RECEIVING)),
                }
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|err| io_error(&err, RECEIVING))?;
            let n = match self.stream.read(&mut self.raw) {
                Ok(0) => return Ok(Received::Eof),
                Ok(n) => n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(io_error(&err, RECEIVING)),
            };
            let inbound = self.connection.incoming(&self.raw[..n], buffer);
            if !inbound.answers.is_empty() {
                self.write_before(&inbound.answers, deadline)?;
            }
            if inbound.data > 0 {
                return Ok(Received::Data(inbound.data));
            }
        }
    }

    fn close(&mut self, _deadline: Instant) {
        // Telnet has no goodbye of its own: shutting the socket down is the polite end.
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;
    use std::time::Duration;

    use super::*;
    use crate::job::ErrorKind;
    use crate::transport::telnet::script;

    fn connect(port: u16) -> TelnetShell {
        TelnetShell::new(TcpStream::connect(("127.0.0.1", port)).unwrap())
    }

    #[test]
    fn negotiates_reads_the_prompt_and_types_a_line() {
        let (port, server) = script::login_prompt();
        let mut shell = connect(port);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buffer = [0u8; 64];
        let received = shell.recv(&mut buffer, deadline, None).unwrap();
        assert_eq!(received, Received::Data(10));
        assert_eq!(&buffer[..10], b"Username: ");
        shell.send(b"cisco\n", deadline).unwrap();
        let mut expected = script::ANSWERS.to_vec();
        expected.extend_from_slice(b"cisco\r\n");
        assert_eq!(server.join().unwrap(), expected);
        assert_eq!(
            shell.recv(&mut buffer, deadline, None).unwrap(),
            Received::Eof
        );
    }

    #[test]
    fn a_silent_server_is_a_timeout() {
        let (port, server) = script::silent();
        let mut shell = connect(port);
        let deadline = Instant::now() + Duration::from_millis(200);
        let err = shell.recv(&mut [0u8; 16], deadline, None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
        drop(shell);
        server.join().unwrap();
    }
}

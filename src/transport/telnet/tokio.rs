//! The async Telnet driver for the tokio strategy: a tokio socket (TCP, or a socketpair end a
//! jump host or ProxyCommand carries), each operation bounded by `timeout_at` its deadline,
//! pumping the shared `Connection`.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{io_error, Connection, RECEIVING, SENDING};
use crate::transport::ssh_async::AsyncSocket;
use crate::transport::{AsyncChannel, Received, TransportError};

/// A Telnet session to a device's CLI, driven by tokio (not yet logged in).
pub struct AsyncTelnetShell {
    stream: AsyncSocket,
    connection: Connection,
    /// Raw bytes as read, before decoding.
    raw: Vec<u8>,
}

impl AsyncTelnetShell {
    /// Speak Telnet on a connected `stream`.
    pub fn new(stream: impl Into<AsyncSocket>) -> AsyncTelnetShell {
        AsyncTelnetShell {
            stream: stream.into(),
            connection: Connection::default(),
            raw: Vec::new(),
        }
    }
}

impl AsyncChannel for AsyncTelnetShell {
    async fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), TransportError> {
        let wire = self.connection.outgoing(bytes);
        tokio::time::timeout_at(deadline.into(), self.stream.write_all(&wire))
            .await
            .map_err(|_| TransportError::timeout(SENDING))?
            .map_err(|err| io_error(&err, SENDING))
    }

    async fn recv(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
    ) -> Result<Received, TransportError> {
        self.raw.resize(buffer.len(), 0);
        let (stream, connection, raw) = (&mut self.stream, &mut self.connection, &mut self.raw);
        // A read holding only negotiation yields no data: answer it and read on (the deadline
        // bounds the loop).
        let receive = async {
            loop {
                let n = match stream.read(raw).await {
                    Ok(0) => return Ok(Received::Eof),
                    Ok(n) => n,
                    Err(err) => return Err(io_error(&err, RECEIVING)),
                };
                let inbound = connection.incoming(&raw[..n], buffer);
                if !inbound.answers.is_empty() {
                    stream
                        .write_all(&inbound.answers)
                        .await
                        .map_err(|err| io_error(&err, SENDING))?;
                }
                if inbound.data > 0 {
                    return Ok(Received::Data(inbound.data));
                }
            }
        };
        tokio::time::timeout_at(deadline.into(), receive)
            .await
            .unwrap_or_else(|_| Err(TransportError::timeout(RECEIVING)))
    }

    async fn close(&mut self, deadline: Instant) {
        // Telnet has no goodbye of its own: shutting the socket down is the polite end.
        let _ = tokio::time::timeout_at(deadline.into(), self.stream.shutdown()).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::net::TcpStream;

    use super::*;
    use crate::job::ErrorKind;
    use crate::transport::telnet::script;

    async fn connect(port: u16) -> AsyncTelnetShell {
        AsyncTelnetShell::new(TcpStream::connect(("127.0.0.1", port)).await.unwrap())
    }

    #[tokio::test]
    async fn negotiates_reads_the_prompt_and_types_a_line() {
        let (port, server) = script::login_prompt();
        let mut shell = connect(port).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buffer = [0u8; 64];
        let received = shell.recv(&mut buffer, deadline).await.unwrap();
        assert_eq!(received, Received::Data(10));
        assert_eq!(&buffer[..10], b"Username: ");
        shell.send(b"cisco\n", deadline).await.unwrap();
        let mut expected = script::ANSWERS.to_vec();
        expected.extend_from_slice(b"cisco\r\n");
        assert_eq!(server.join().unwrap(), expected);
        assert_eq!(
            shell.recv(&mut buffer, deadline).await.unwrap(),
            Received::Eof
        );
    }

    #[tokio::test]
    async fn a_silent_server_is_a_timeout() {
        let (port, server) = script::silent();
        let mut shell = connect(port).await;
        let deadline = Instant::now() + Duration::from_millis(200);
        let err = shell.recv(&mut [0u8; 16], deadline).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
        drop(shell);
        server.join().unwrap();
    }
}

//! Transports: byte channels to a device's CLI, blocking and async, each read and write bounded
//! by a deadline the caller gives. The session driver pumps a `Dialogue` over a `Channel`
//! (blocking) or an `AsyncChannel` (tokio), waiting until the instant the dialogue asks for
//! (`poll_timeout`); it never sees SSH or Telnet details. SSH (libssh2, blocking and
//! async) and Telnet (a sans-IO codec with blocking and async adapters) implement these two small
//! traits.

pub mod ssh;
pub mod ssh_async;
pub mod telnet;

use std::future::Future;
use std::time::{Duration, Instant};

use crate::job::{ErrorKind, Failure, Host};

/// A transport failure, already classified the way a host's failure is reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    pub kind: ErrorKind,
    pub message: String,
}

impl TransportError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// The error for an operation that did not finish by its deadline.
    pub fn timeout(what: &str) -> Self {
        TransportError::new(
            ErrorKind::Timeout,
            format!("{what}: no answer before the deadline"),
        )
    }
}

impl From<TransportError> for Failure {
    fn from(err: TransportError) -> Failure {
        Failure::new(err.kind, err.message)
    }
}

/// What a receive produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// This many bytes were written to the start of the caller's buffer (never 0).
    Data(usize),
    /// The device closed its side.
    Eof,
}

/// A blocking byte channel to a device's CLI.
pub trait Channel {
    /// Write all of `bytes` before `deadline`.
    fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), TransportError>;
    /// Wait until `deadline` for bytes (or EOF); a missed deadline is `ErrorKind::Timeout`.
    fn recv(&mut self, buffer: &mut [u8], deadline: Instant) -> Result<Received, TransportError>;
    /// End the session politely before `deadline`: SSH closes the channel and disconnects (so a
    /// device frees its vty line at once, and libssh2 frees the session), Telnet shuts the socket
    /// down. Best effort: a device that does not answer in time changes no outcome.
    fn close(&mut self, deadline: Instant);
}

/// The async counterpart of `Channel`, for the tokio strategy. Futures need not be `Send`.
pub trait AsyncChannel {
    fn send(
        &mut self,
        bytes: &[u8],
        deadline: Instant,
    ) -> impl Future<Output = Result<(), TransportError>>;
    fn recv(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
    ) -> impl Future<Output = Result<Received, TransportError>>;
    /// `Channel::close`, awaited. It matters more here: in non-blocking mode libssh2 cannot
    /// free a session that still has a channel to close, so a session dropped without this leaks.
    fn close(&mut self, deadline: Instant) -> impl Future<Output = ()>;
}

/// Time left before `deadline`, or a timeout error naming `what`.
pub fn time_left(deadline: Instant, what: &str) -> Result<Duration, TransportError> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(|| TransportError::timeout(what))
}

/// `host:port`, with IPv6 literals bracketed.
pub fn address(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Classify a failed TCP connect.
pub fn connect_error(addr: &str, err: &std::io::Error) -> TransportError {
    let kind = match err.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ErrorKind::Timeout,
        _ => ErrorKind::Connect,
    };
    TransportError::new(kind, format!("connecting to {addr}: {err}"))
}

/// Resolve the host and connect to the first address that answers before `deadline`.
pub fn tcp_connect(host: &Host, deadline: Instant) -> Result<std::net::TcpStream, TransportError> {
    let addr = address(&host.host, host.port);
    let candidates = std::net::ToSocketAddrs::to_socket_addrs(&(host.host.as_str(), host.port))
        .map_err(|err| {
            TransportError::new(ErrorKind::Connect, format!("resolving {addr}: {err}"))
        })?;
    let mut last =
        TransportError::new(ErrorKind::Connect, format!("{addr} resolves to no address"));
    for candidate in candidates {
        let left = time_left(deadline, &format!("connecting to {addr}"))?;
        match std::net::TcpStream::connect_timeout(&candidate, left) {
            Ok(stream) => {
                // Commands are small writes answered by the device: don't let Nagle hold them.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(err) => last = connect_error(&addr, &err),
        }
    }
    Err(last)
}

/// The async `tcp_connect`: resolve the host and connect to the first address that answers before `deadline`.
pub async fn tcp_connect_async(
    host: &Host,
    deadline: Instant,
) -> Result<tokio::net::TcpStream, TransportError> {
    let addr = address(&host.host, host.port);
    let what = format!("connecting to {addr}");
    let candidates: Vec<std::net::SocketAddr> = match host.host.parse::<std::net::IpAddr>() {
        // An address literal needs no resolver (whose lookups run on a blocking thread).
        Ok(ip) => vec![(ip, host.port).into()],
        Err(_) => tokio::time::timeout_at(
            deadline.into(),
            tokio::net::lookup_host((host.host.as_str(), host.port)),
        )
        .await
        .map_err(|_| TransportError::timeout(&what))?
        .map_err(|err| TransportError::new(ErrorKind::Connect, format!("resolving {addr}: {err}")))?
        .collect(),
    };
    let mut last =
        TransportError::new(ErrorKind::Connect, format!("{addr} resolves to no address"));
    for candidate in candidates {
        match tokio::time::timeout_at(deadline.into(), tokio::net::TcpStream::connect(candidate))
            .await
        {
            Err(_) => return Err(TransportError::timeout(&what)),
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(err)) => last = connect_error(&addr, &err),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_bracket_ipv6_literals() {
        assert_eq!(address("127.0.0.1", 22), "127.0.0.1:22");
        assert_eq!(address("::1", 22), "[::1]:22");
        assert_eq!(address("r1.lab", 2222), "r1.lab:2222");
    }

    #[test]
    fn refused_is_connect_and_timed_out_is_timeout() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(connect_error("a:1", &refused).kind, ErrorKind::Connect);
        let slow = std::io::Error::from(std::io::ErrorKind::TimedOut);
        assert_eq!(connect_error("a:1", &slow).kind, ErrorKind::Timeout);
    }

    #[test]
    fn a_passed_deadline_has_no_time_left() {
        let err = time_left(Instant::now(), "reading").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout);
        assert!(time_left(Instant::now() + Duration::from_secs(5), "reading").is_ok());
    }
}

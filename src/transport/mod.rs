//! Transports: byte channels to a device's CLI, blocking and async, each read and write bounded
//! by a deadline the caller gives. The session driver pumps a `Dialogue` over a `Channel`
//! (blocking) or an `AsyncChannel` (tokio), waiting until the instant the dialogue asks for
//! (`poll_timeout`); it never sees SSH or Telnet details. `reach` obtains an SSH session's
//! socket: TCP, a jump host's channel (`jump`) or a ProxyCommand (`proxy`). SSH (libssh2, blocking and
//! async) and Telnet (a sans-IO codec with blocking and async adapters) implement these two small
//! traits.

pub mod jump;
pub mod proxy;
pub mod reach;
pub mod ssh;
pub mod ssh_async;
pub mod telnet;

use std::future::Future;
use std::os::fd::BorrowedFd;
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
    /// The wake descriptor given to a blocking receive became readable first (a stop signal).
    Woken,
}

/// A blocking byte channel to a device's CLI.
pub trait Channel {
    /// Write all of `bytes` before `deadline`.
    fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), TransportError>;
    /// Wait until `deadline` for bytes (or EOF); a missed deadline is `ErrorKind::Timeout`.
    /// With `wake`, the wait also ends (`Received::Woken`) once that descriptor is readable.
    fn recv(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
        wake: Option<BorrowedFd<'_>>,
    ) -> Result<Received, TransportError>;
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

/// Classify a failed TCP connect. A reset means the device accepted, then dropped the
/// connection (`closed`, as at any later step); a descriptor shortage is this machine's (`local`).
pub fn connect_error(addr: &str, err: &std::io::Error) -> TransportError {
    let doing = format!("connecting to {addr}");
    if out_of_descriptors(err) {
        return local_error(&doing, err);
    }
    if is_connection_lost(err) {
        return closed_by_device("connect", err);
    }
    let kind = match err.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ErrorKind::Timeout,
        _ => ErrorKind::Connect,
    };
    TransportError::new(kind, format!("{doing}: {err}"))
}

/// Whether `err` says the connection is gone: the device reset or closed it. Which call sees
/// that first (connect, the first read, the first write) is chance, so they all say the same.
pub fn is_connection_lost(err: &std::io::Error) -> bool {
    use std::io::ErrorKind as Io;
    matches!(
        err.kind(),
        Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof
    )
}

/// The device ended the connection during `phase` (`detail` is what the failed call said).
///
/// It is `closed`, not `connect` (the TCP handshake had completed: the device accepted) nor
/// `protocol` (no byte was malformed; none may have arrived at all): a server that accepts
/// then resets gives this one kind, whichever step met the reset first.
pub fn closed_by_device(phase: &str, detail: impl std::fmt::Display) -> TransportError {
    TransportError::new(
        ErrorKind::Closed,
        format!("connection reset or closed by the device during {phase}: {detail}"),
    )
}

/// Whether `err` is this machine out of file descriptors: EMFILE (this process's open-files
/// limit) or ENFILE (the system's file table).
pub fn out_of_descriptors(err: &std::io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// The failure for a descriptor shortage met while `doing`: `local`, naming the limit, since
/// the device had nothing to do with it.
pub fn local_error(doing: &str, err: &std::io::Error) -> TransportError {
    let limit = match (err.raw_os_error(), crate::os::open_files_limit()) {
        (Some(libc::ENFILE), _) => "the system's file table is full (fs.file-max)".to_string(),
        (_, Ok(limit)) => format!("the open-files limit (RLIMIT_NOFILE) is {limit}"),
        (_, Err(_)) => "the open-files limit (RLIMIT_NOFILE) is reached".to_string(),
    };
    TransportError::new(
        ErrorKind::Local,
        format!(
            "{doing}: {err}: no file descriptor left on this machine, {limit}; \
             lower --workers or raise `ulimit -n`"
        ),
    )
}

/// Classify a failed name lookup: `connect`, unless the resolver had no descriptor left.
fn resolve_error(addr: &str, err: &std::io::Error) -> TransportError {
    let doing = format!("resolving {addr}");
    if out_of_descriptors(err) {
        return local_error(&doing, err);
    }
    TransportError::new(ErrorKind::Connect, format!("{doing}: {err}"))
}

/// Resolve the host and connect to the first address that answers before `deadline`.
pub fn tcp_connect(host: &Host, deadline: Instant) -> Result<std::net::TcpStream, TransportError> {
    let addr = address(&host.host, host.port);
    let candidates = std::net::ToSocketAddrs::to_socket_addrs(&(host.host.as_str(), host.port))
        .map_err(|err| resolve_error(&addr, &err))?;
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
        .map_err(|err| resolve_error(&addr, &err))?
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
    fn a_reset_at_connect_is_closed_by_the_device() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let err = connect_error("a:1", &reset);
        assert_eq!(err.kind, ErrorKind::Closed);
        assert!(
            err.message
                .contains("reset or closed by the device during connect"),
            "{err}"
        );
    }

    #[test]
    fn no_descriptor_left_is_local_and_names_the_limit() {
        for errno in [libc::EMFILE, libc::ENFILE] {
            let err = connect_error("a:1", &std::io::Error::from_raw_os_error(errno));
            assert_eq!(err.kind, ErrorKind::Local, "{err}");
            assert!(err.message.contains("no file descriptor left"), "{err}");
        }
        let emfile = connect_error("a:1", &std::io::Error::from_raw_os_error(libc::EMFILE));
        assert!(emfile.message.contains("RLIMIT_NOFILE"), "{emfile}");
    }

    #[test]
    fn a_passed_deadline_has_no_time_left() {
        let err = time_left(Instant::now(), "reading").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout);
        assert!(time_left(Instant::now() + Duration::from_secs(5), "reading").is_ok());
    }
}

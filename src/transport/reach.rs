//! How a session's socket is obtained (a socket is any descriptor): a TCP connect, a
//! direct-tcpip channel through the host's jump hosts (`jump`), or a ProxyCommand child's stdio
//! (`proxy`), for SSH and Telnet alike. What carries the socket is kept alongside it until the
//! session is done.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::jump::{AsyncTunnel, Tunnel};
use super::proxy::ProxyChild;
use super::ssh_async::AsyncSocket;
use super::TransportError;
use crate::hostkeys::KnownHosts;
use crate::job::{ErrorKind, Host};

/// A blocking session's socket.
pub enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Socket::Tcp(s) => s.as_raw_fd(),
            Socket::Unix(s) => s.as_raw_fd(),
        }
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Socket::Tcp(s) => s.as_fd(),
            Socket::Unix(s) => s.as_fd(),
        }
    }
}

impl From<TcpStream> for Socket {
    fn from(stream: TcpStream) -> Socket {
        Socket::Tcp(stream)
    }
}

impl From<UnixStream> for Socket {
    fn from(stream: UnixStream) -> Socket {
        Socket::Unix(stream)
    }
}

/// What the Telnet driver needs of a socket, whichever kind it is.
impl Socket {
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_read_timeout(timeout),
            Socket::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_write_timeout(timeout),
            Socket::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.shutdown(how),
            Socket::Unix(s) => s.shutdown(how),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.flush(),
            Socket::Unix(s) => s.flush(),
        }
    }
}

/// What carries a socket and must outlive the session on it (dropped after it).
pub enum Carrier {
    Direct,
    Jump { _tunnel: Tunnel },
    Proxy { _child: ProxyChild },
}

impl Carrier {
    /// A failure of the session on this carrier, with what the carrier knows of it.
    pub fn explain(&mut self, err: TransportError) -> TransportError {
        match self {
            Carrier::Proxy { _child: child } => child.explain(err),
            _ => err,
        }
    }
}

/// The async `Carrier`; `finish` it after the session is closed, so its bastion is kept.
pub enum AsyncCarrier {
    Direct,
    Jump(AsyncTunnel),
    Proxy { _child: ProxyChild },
}

impl AsyncCarrier {
    /// `Carrier::explain`, awaited.
    pub async fn explain(&mut self, err: TransportError) -> TransportError {
        match self {
            AsyncCarrier::Proxy { _child: child } => child.explain_async(err).await,
            _ => err,
        }
    }

    pub async fn finish(self) {
        if let AsyncCarrier::Jump(tunnel) = self {
            tunnel.finish().await;
        }
    }
}

/// The TCP connect's deadline: ssh_config's ConnectTimeout, if shorter than `deadline`.
fn connect_deadline(host: &Host, deadline: Instant) -> Instant {
    host.reach
        .connect_timeout
        .map_or(deadline, |bound| deadline.min(Instant::now() + bound))
}

/// `host`'s socket, before `deadline`.
/// Jump hosts' keys are checked against `known`, like the device's.
pub fn connect(
    host: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<(Socket, Carrier), TransportError> {
    if !host.reach.jump.is_empty() {
        let (socket, tunnel) = super::jump::connect(host, known, deadline)?;
        return Ok((Socket::Unix(socket), Carrier::Jump { _tunnel: tunnel }));
    }
    if let Some(command) = &host.reach.proxy_command {
        let (socket, child) = super::proxy::spawn(command, host)?;
        return Ok((Socket::Unix(socket), Carrier::Proxy { _child: child }));
    }
    let stream = super::tcp_connect(host, connect_deadline(host, deadline))?;
    Ok((Socket::Tcp(stream), Carrier::Direct))
}

/// The async `connect`.
pub async fn connect_async(
    host: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<(AsyncSocket, AsyncCarrier), TransportError> {
    if !host.reach.jump.is_empty() {
        let (socket, tunnel) = super::jump::connect_async(host, known, deadline).await?;
        return Ok((AsyncSocket::Unix(socket), AsyncCarrier::Jump(tunnel)));
    }
    if let Some(command) = &host.reach.proxy_command {
        let (socket, child) = super::proxy::spawn(command, host)?;
        let socket = socket
            .set_nonblocking(true)
            .and_then(|()| tokio::net::UnixStream::from_std(socket))
            .map_err(|err| {
                TransportError::new(ErrorKind::Local, format!("proxy_command socket: {err}"))
            })?;
        return Ok((
            AsyncSocket::Unix(socket),
            AsyncCarrier::Proxy { _child: child },
        ));
    }
    let stream = super::tcp_connect_async(host, connect_deadline(host, deadline)).await?;
    Ok((AsyncSocket::Tcp(stream), AsyncCarrier::Direct))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_bounds_only_the_tcp_connect() {
        let mut host = crate::strategy::testing::jobs(1).remove(0).host;
        let far = Instant::now() + Duration::from_secs(60);
        assert_eq!(connect_deadline(&host, far), far);
        host.reach.connect_timeout = Some(Duration::from_secs(2));
        let bounded = connect_deadline(&host, far);
        assert!(bounded < far && bounded <= Instant::now() + Duration::from_secs(2));
        let near = Instant::now() + Duration::from_millis(10);
        assert_eq!(connect_deadline(&host, near), near);
    }
}

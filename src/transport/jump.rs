//! Jump hosts: device connections carried as direct-tcpip channels of a logged-in bastion
//! session, each channel bridged to one end of a socketpair whose other end is the device
//! session's socket (libssh2 takes any descriptor). A chain reaches each bastion through the
//! previous one the same way.
//!
//! **One bastion login per worker, not per device.** Bastion sessions are kept per thread and
//! reused for the next host through the same chain, and logged in again only when one has died:
//! - blocking strategies (sequential, threads, fork): a thread-local pool, one chain per
//!   worker thread (a fork worker is a process with one such thread). While a device session runs, a pump
//!   thread moves bytes between its channel and the socketpair (non-blocking libssh2 + poll);
//!   it ends when the device session closes its end, and the bastion goes back to the pool.
//! - async: sessions in flight take an idle chain from the thread's pool or log in a new one,
//!   so there are at most as many logins as sessions in flight (`-w`); a pump task (on the
//!   strategy's `LocalSet`) carries each channel. One channel per bastion session at a time, so
//!   no task waits on a socket whose data another task's call has already read.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_ssh2_lite::AsyncSession;
use ssh2::{BlockDirections, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ssh::{arm, classify, is_channel_refused, Phase, DISCONNECT_REASON};
use super::ssh_async::{AsyncSocket, ReadinessStream};
use super::{address, TransportError};
use crate::hostkeys::KnownHosts;
use crate::job::{ErrorKind, Host, JumpHost, Reach};

/// Bytes a pump holds in each direction.
const PUMP_BUFFER: usize = 64 * 1024;
/// libssh2's "would block" (`LIBSSH2_ERROR_EAGAIN`), which non-blocking calls return.
const ERROR_EAGAIN: ssh2::ErrorCode = ssh2::ErrorCode::Session(-37);
/// The most closing a channel or a bastion session may take.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The host to log in to as jump host `jump` on the way to `device`: the jump host's own
/// username, password and key file, else the device's.
fn hop_host(jump: &JumpHost, device: &Host) -> Host {
    let own_key = jump.key_file.is_some();
    Host {
        name: jump.describe(),
        host: jump.host.clone(),
        port: jump.port(),
        username: jump
            .username
            .clone()
            .unwrap_or_else(|| device.username.clone()),
        password: jump
            .password
            .clone()
            .unwrap_or_else(|| device.password.clone()),
        secret: None,
        ssh_legacy: false,
        key_file: jump.key_file.clone().or_else(|| device.key_file.clone()),
        key_passphrase: if own_key {
            None
        } else {
            device.key_passphrase.clone()
        },
        groups: Vec::new(),
        data: Default::default(),
        reach: Reach::default(),
        ..device.clone()
    }
}

/// The pool key of `device`'s chain: each hop as it logs in (no secret).
fn chain_key(device: &Host) -> String {
    device
        .reach
        .jump
        .iter()
        .map(|jump| {
            let hop = hop_host(jump, device);
            let key = hop.key_file.as_deref().unwrap_or("");
            format!("{}@{}|{key}", hop.username, address(&hop.host, hop.port))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A failure at jump host `hop`, said so.
fn at_hop(hop: &Host, err: TransportError) -> TransportError {
    TransportError::new(err.kind, format!("jump host {}: {}", hop.name, err.message))
}

/// Why a channel through a bastion did not open.
enum OpenError {
    /// The bastion answered: it could not reach the address, or time ran out.
    Refused(TransportError),
    /// The bastion session is gone; a new login may work.
    Lost(TransportError),
}

fn open_error(err: &ssh2::Error, hop: &str, target: &str) -> OpenError {
    let failure = classify(err, Phase::Shell);
    if is_channel_refused(err) {
        return OpenError::Refused(TransportError::new(
            ErrorKind::Connect,
            format!(
                "jump host {hop} could not open a connection to {target}: {}",
                err.message()
            ),
        ));
    }
    let failure = TransportError::new(
        failure.kind,
        format!(
            "jump host {hop}, opening a channel to {target}: {}",
            failure.message
        ),
    );
    match failure.kind {
        ErrorKind::Timeout => OpenError::Refused(failure),
        _ => OpenError::Lost(failure),
    }
}

// ---- blocking strategies ----

thread_local! {
    /// This worker thread's logged-in chains, by `chain_key`.
    static BASTIONS: RefCell<HashMap<String, Bastion>> = RefCell::new(HashMap::new());
}

/// A logged-in bastion session (blocking libssh2) and what carries its socket.
struct Bastion {
    name: String,
    session: Session,
    /// A duplicate of the session's socket, for the pump's poll.
    socket: Arc<OwnedFd>,
    /// For a bastion reached through the previous one: that channel's pump, then the previous
    /// bastion (dropped in this order, after this session).
    _carrier: Option<(Tunnel, Box<Bastion>)>,
}

impl Drop for Bastion {
    fn drop(&mut self) {
        // No pump uses this session any more (its tunnels were joined): say goodbye, briefly.
        self.session.set_blocking(true);
        self.session.set_timeout(CLOSE_GRACE.as_millis() as u32);
        let _ = self.session.disconnect(None, DISCONNECT_REASON, None);
    }
}

/// A channel's pump thread; dropping waits for it, which ends once the socketpair end it
/// serves is closed (or its idle bound passes).
pub struct Tunnel(Option<std::thread::JoinHandle<()>>);

impl Drop for Tunnel {
    fn drop(&mut self) {
        if let Some(pump) = self.0.take() {
            let _ = pump.join();
        }
    }
}

/// A socket to `device` through its jump hosts, and the tunnel to keep until the session is
/// done. Logs in to the chain only when this thread has none alive for it.
pub fn connect(
    device: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<(UnixStream, Tunnel), TransportError> {
    let key = chain_key(device);
    let idle = Some(device.timeout + CLOSE_GRACE);
    let open = |bastion: &Bastion| bastion.open(&device.host, device.port, deadline, idle);
    BASTIONS.with(|pool| {
        let mut pool = pool.borrow_mut();
        if let Some(kept) = pool.get(&key) {
            match open(kept) {
                Ok(opened) => return Ok(opened),
                Err(OpenError::Refused(err)) => return Err(err),
                // The kept chain has died: log in afresh, once.
                Err(OpenError::Lost(_)) => drop(pool.remove(&key)),
            }
        }
        let bastion = login_chain(device, known, deadline)?;
        let opened = open(&bastion);
        if !matches!(opened, Err(OpenError::Lost(_))) {
            pool.insert(key, bastion);
        }
        opened.map_err(|(OpenError::Refused(err) | OpenError::Lost(err))| err)
    })
}

/// Log in to every hop of `device`'s chain, each through the one before, checking each hop's
/// host key as the device's would be (the hop inherits the device's policy and files).
fn login_chain(
    device: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<Bastion, TransportError> {
    let mut previous: Option<Bastion> = None;
    for jump in &device.reach.jump {
        let hop = hop_host(jump, device);
        let bastion = match previous.take() {
            None => {
                let stream = super::tcp_connect(&hop, deadline).map_err(|e| at_hop(&hop, e))?;
                login(&hop, stream, None, known, deadline)?
            }
            Some(before) => {
                let (stream, tunnel) = before
                    .open(&hop.host, hop.port, deadline, None)
                    .map_err(|(OpenError::Refused(err) | OpenError::Lost(err))| err)?;
                login(
                    &hop,
                    stream,
                    Some((tunnel, Box::new(before))),
                    known,
                    deadline,
                )?
            }
        };
        previous = Some(bastion);
    }
    previous.ok_or_else(|| TransportError::new(ErrorKind::Local, "an empty jump host chain"))
}

fn login(
    hop: &Host,
    stream: impl AsFd + AsRawFd + 'static,
    carrier: Option<(Tunnel, Box<Bastion>)>,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<Bastion, TransportError> {
    let socket = stream
        .as_fd()
        .try_clone_to_owned()
        .map_err(|err| super::local_error("duplicating a socket", &err))?;
    let session = super::ssh::login(stream, hop, known, deadline).map_err(|e| at_hop(hop, e))?;
    Ok(Bastion {
        name: hop.name.clone(),
        session,
        socket: Arc::new(socket),
        _carrier: carrier,
    })
}

impl Bastion {
    /// A direct-tcpip channel to `host:port`, pumped to a socketpair: our end, and its tunnel.
    /// `idle` bounds how long the pump waits with nothing moving (`None`: while the end is open).
    fn open(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
        idle: Option<Duration>,
    ) -> Result<(UnixStream, Tunnel), OpenError> {
        let target = address(host, port);
        self.session.set_blocking(true);
        arm(&self.session, deadline, Phase::Shell).map_err(OpenError::Refused)?;
        let channel = self
            .session
            .channel_direct_tcpip(host, port, None)
            .map_err(|err| open_error(&err, &self.name, &target))?;
        let (ours, theirs) = UnixStream::pair()
            .map_err(|err| OpenError::Refused(super::local_error("making a socketpair", &err)))?;
        self.session.set_blocking(false);
        let session = self.session.clone();
        let socket = Arc::clone(&self.socket);
        let pump = std::thread::Builder::new()
            .name("netrun-jump".into())
            .spawn(move || pump(&session, channel, theirs, &socket, idle))
            .map_err(|err| OpenError::Refused(super::local_error("starting a pump", &err)))?;
        Ok((ours, Tunnel(Some(pump))))
    }
}

/// Move bytes between `channel` (non-blocking) and `local` until the local side closes, the
/// channel ends, or nothing moves for `idle`; then close the channel within the grace.
fn pump(
    session: &Session,
    mut channel: ssh2::Channel,
    mut local: UnixStream,
    socket: &OwnedFd,
    idle: Option<Duration>,
) {
    if local.set_nonblocking(true).is_err() {
        return;
    }
    let mut flow = Flow::default();
    let mut last_moved = Instant::now();
    loop {
        match flow.step(&mut channel, &mut local) {
            Step::Moved => last_moved = Instant::now(),
            Step::Done => break,
            Step::Wait => {
                let outbound = matches!(
                    session.block_directions(),
                    BlockDirections::Outbound | BlockDirections::Both
                );
                let fds = [
                    (socket.as_fd(), true, outbound),
                    (
                        local.as_fd(),
                        flow.wants_local_read(),
                        flow.wants_local_write(),
                    ),
                ];
                let deadline = idle.map(|idle| last_moved + idle);
                match crate::os::poll_ready(&fds, deadline) {
                    Ok(true) => {}
                    Ok(false) | Err(_) => break,
                }
            }
        }
    }
    drop(local);
    close_channel(session, socket, &mut channel);
}

/// Close `channel` on a non-blocking session: send the close and wait for the server's, within
/// the grace (a bastion that does not answer leaves the channel to libssh2's free).
fn close_channel(session: &Session, socket: &OwnedFd, channel: &mut ssh2::Channel) {
    let deadline = Instant::now() + CLOSE_GRACE;
    let mut closed = false;
    while Instant::now() < deadline {
        let result = if closed {
            channel.wait_close()
        } else {
            channel.close()
        };
        match result {
            Ok(()) if closed => return,
            Ok(()) => closed = true,
            Err(err) if err.code() == ERROR_EAGAIN => {
                let outbound = matches!(session.block_directions(), BlockDirections::Outbound);
                if !matches!(
                    crate::os::poll_ready(&[(socket.as_fd(), true, outbound)], Some(deadline)),
                    Ok(true)
                ) {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

/// What one round of a pump did.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Moved,
    Wait,
    Done,
}

/// The pump's buffers and ends, independent of how it waits: each `step` tries every
/// non-blocking transfer once.
#[derive(Default)]
struct Flow {
    /// From the channel, for the local end.
    down: Vec<u8>,
    /// From the local end, for the channel.
    up: Vec<u8>,
    channel_eof: bool,
    local_shut: bool,
    local_eof: bool,
    eof_sent: bool,
}

impl Flow {
    fn wants_local_read(&self) -> bool {
        !self.local_eof && self.up.len() < PUMP_BUFFER
    }

    fn wants_local_write(&self) -> bool {
        !self.down.is_empty()
    }

    fn step(&mut self, channel: &mut ssh2::Channel, local: &mut UnixStream) -> Step {
        let mut moved = false;
        let mut chunk = [0u8; 16 * 1024];
        if !self.channel_eof && self.down.len() < PUMP_BUFFER {
            match channel.read(&mut chunk) {
                Ok(0) if channel.eof() => {
                    self.channel_eof = true;
                    moved = true;
                }
                Ok(0) => {}
                Ok(n) => {
                    self.down.extend_from_slice(&chunk[..n]);
                    moved = true;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return Step::Done,
            }
        }
        if !self.down.is_empty() {
            match local.write(&self.down) {
                Ok(n) => {
                    self.down.drain(..n);
                    moved = true;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return Step::Done,
            }
        }
        if self.channel_eof && self.down.is_empty() && !self.local_shut {
            let _ = local.shutdown(std::net::Shutdown::Write);
            self.local_shut = true;
            moved = true;
        }
        if self.wants_local_read() {
            match local.read(&mut chunk) {
                Ok(0) => {
                    self.local_eof = true;
                    moved = true;
                }
                Ok(n) => {
                    self.up.extend_from_slice(&chunk[..n]);
                    moved = true;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return Step::Done,
            }
        }
        if !self.up.is_empty() {
            match channel.write(&self.up) {
                Ok(n) => {
                    self.up.drain(..n);
                    moved |= n > 0;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return Step::Done,
            }
        }
        if self.local_eof && self.up.is_empty() && !self.eof_sent {
            match channel.send_eof() {
                Ok(()) => {
                    self.eof_sent = true;
                    moved = true;
                }
                Err(err) if err.code() == ERROR_EAGAIN => {}
                Err(_) => return Step::Done,
            }
        }
        // The session that used the local end has closed it: nothing more to carry.
        if self.local_eof && self.eof_sent {
            return Step::Done;
        }
        if moved {
            Step::Moved
        } else {
            Step::Wait
        }
    }
}

// ---- async strategy ----

thread_local! {
    /// Idle logged-in chains of this runtime's thread, by `chain_key`.
    static IDLE: RefCell<HashMap<String, Vec<AsyncBastion>>> = RefCell::new(HashMap::new());
}

/// A logged-in bastion session (async) and what carries its socket.
struct AsyncBastion {
    name: String,
    session: AsyncSession<ReadinessStream>,
    /// The previous hop's channel pump and that hop, for a bastion reached through it.
    _carrier: Option<(AbortOnDrop, Box<AsyncBastion>)>,
}

/// A pump task, stopped when its owner goes.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A device connection's channel pump and the bastion it runs on. [`AsyncTunnel::finish`]
/// (after the device session is closed) waits for the pump and gives the bastion back to the
/// pool; dropped without it, both are discarded.
pub struct AsyncTunnel {
    key: String,
    pump: Option<AbortOnDrop>,
    bastion: Option<AsyncBastion>,
}

impl AsyncTunnel {
    /// Wait (within the grace) for the pump to see the device session's end, then keep the
    /// bastion for the next host.
    pub async fn finish(mut self) {
        let Some(mut pump) = self.pump.take() else {
            return;
        };
        let ended = tokio::time::timeout(CLOSE_GRACE, &mut pump.0).await;
        if matches!(ended, Ok(Ok(()))) {
            if let Some(bastion) = self.bastion.take() {
                IDLE.with(|idle| {
                    idle.borrow_mut()
                        .entry(std::mem::take(&mut self.key))
                        .or_default()
                        .push(bastion)
                });
            }
        }
    }
}

/// The async `connect`: a socket to `device` through its jump hosts, and the tunnel to finish.
pub async fn connect_async(
    device: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<(tokio::net::UnixStream, AsyncTunnel), TransportError> {
    let key = chain_key(device);
    let idle = Some(device.timeout + CLOSE_GRACE);
    let open = |bastion: AsyncBastion| async move {
        let opened = bastion
            .open(&device.host, device.port, deadline, idle)
            .await;
        (bastion, opened)
    };
    let kept = IDLE.with(|pool| pool.borrow_mut().get_mut(&key).and_then(Vec::pop));
    let (bastion, opened) = match kept {
        Some(kept) => match open(kept).await {
            // The kept chain has died: log in afresh, once.
            (_, Err(OpenError::Lost(_))) => {
                open(login_chain_async(device, known, deadline).await?).await
            }
            tried => tried,
        },
        None => open(login_chain_async(device, known, deadline).await?).await,
    };
    match opened {
        Ok((socket, pump)) => {
            let tunnel = AsyncTunnel {
                key,
                pump: Some(pump),
                bastion: Some(bastion),
            };
            Ok((socket, tunnel))
        }
        Err(OpenError::Refused(err)) => {
            IDLE.with(|pool| pool.borrow_mut().entry(key).or_default().push(bastion));
            Err(err)
        }
        Err(OpenError::Lost(err)) => Err(err),
    }
}

async fn login_chain_async(
    device: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<AsyncBastion, TransportError> {
    let mut previous: Option<AsyncBastion> = None;
    for jump in &device.reach.jump {
        let hop = hop_host(jump, device);
        let (socket, carrier) = match previous.take() {
            None => {
                let stream = super::tcp_connect_async(&hop, deadline)
                    .await
                    .map_err(|e| at_hop(&hop, e))?;
                (AsyncSocket::Tcp(stream), None)
            }
            Some(before) => {
                let (stream, pump) = before
                    .open(&hop.host, hop.port, deadline, None)
                    .await
                    .map_err(|(OpenError::Refused(err) | OpenError::Lost(err))| err)?;
                (AsyncSocket::Unix(stream), Some((pump, Box::new(before))))
            }
        };
        let session = super::ssh_async::login(socket, &hop, known, deadline)
            .await
            .map_err(|e| at_hop(&hop, e))?;
        previous = Some(AsyncBastion {
            name: hop.name.clone(),
            session,
            _carrier: carrier,
        });
    }
    previous.ok_or_else(|| TransportError::new(ErrorKind::Local, "an empty jump host chain"))
}

impl AsyncBastion {
    /// A direct-tcpip channel to `host:port`, pumped by a task to a socketpair: our end, and
    /// the pump.
    async fn open(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
        idle: Option<Duration>,
    ) -> Result<(tokio::net::UnixStream, AbortOnDrop), OpenError> {
        let target = address(host, port);
        let opening = self.session.channel_direct_tcpip(host, port, None);
        let channel = match tokio::time::timeout_at(deadline.into(), opening).await {
            Err(_) => {
                return Err(OpenError::Refused(TransportError::timeout(&format!(
                    "jump host {}, opening a channel to {target}",
                    self.name
                ))))
            }
            Ok(Ok(channel)) => channel,
            Ok(Err(async_ssh2_lite::Error::Ssh2(err))) => {
                return Err(open_error(&err, &self.name, &target))
            }
            Ok(Err(err)) => {
                return Err(OpenError::Lost(TransportError::new(
                    ErrorKind::Closed,
                    format!(
                        "jump host {}, opening a channel to {target}: {err}",
                        self.name
                    ),
                )))
            }
        };
        let local_error =
            |err: io::Error| OpenError::Refused(super::local_error("making a socketpair", &err));
        let (ours, theirs) = tokio::net::UnixStream::pair().map_err(local_error)?;
        let pump = tokio::task::spawn_local(pump_async(channel, theirs, idle));
        Ok((ours, AbortOnDrop(pump)))
    }
}

/// Move bytes between `channel` and `local` until either ends or nothing moves for `idle`.
/// Each round starts a fresh channel read, whose first try reads what libssh2 may already have
/// buffered during a write, before waiting on the socket.
async fn pump_async(
    mut channel: async_ssh2_lite::AsyncChannel<ReadinessStream>,
    mut local: tokio::net::UnixStream,
    idle: Option<Duration>,
) {
    let mut down = vec![0u8; 16 * 1024];
    let mut up = vec![0u8; 16 * 1024];
    let mut last_moved = Instant::now();
    loop {
        let bound = idle.map(|idle| last_moved + idle);
        let quiet = async {
            match bound {
                Some(bound) => tokio::time::sleep_until(bound.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = channel.read(&mut down) => match read {
                Ok(0) if channel.eof() => break,
                Ok(0) => tokio::task::yield_now().await,
                Ok(n) => {
                    if local.write_all(&down[..n]).await.is_err() {
                        break;
                    }
                }
                Err(_) => break,
            },
            // Written without `flush`, which would discard the channel's unread input.
            read = local.read(&mut up) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if channel.write_all(&up[..n]).await.is_err() {
                        break;
                    }
                }
            },
            () = quiet => break,
        }
        last_moved = Instant::now();
    }
    drop(local);
    let close = async {
        channel.close().await?;
        channel.wait_close().await
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, close).await;
}

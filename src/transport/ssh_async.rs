//! SSH over libssh2 for the tokio strategy (`async-ssh2-lite`): the same steps, algorithm lists,
//! authentication choice and error classification as the blocking `ssh` module — only the I/O
//! calls differ. Deadlines are `tokio::time::timeout_at`.
//!
//! libssh2 reads and writes the socket itself, so tokio never sees the `WouldBlock` that would
//! clear its cached readiness; async-ssh2-lite's own tokio stream therefore re-polls every
//! millisecond while waiting. `ReadinessStream` instead runs each libssh2 call inside
//! `TcpStream::try_io`, so a `WouldBlock` clears the readiness and the task sleeps in epoll until
//! the socket really has something for it. The socket is TCP or a socketpair end (`AsyncSocket`).
//! Each call inside `try_io` first tells libssh2 to ask the socket itself (`ask_socket`), since
//! only a real `EAGAIN` proves the readiness stale; between those calls libssh2 does not ask a
//! socket it has just emptied. And a call whose own read emptied the socket clears the
//! readiness at once (`ReadinessStream::run`), so the next wait does not ask it either.
//!
//! The host key is checked right after the key exchange, before any authentication (see the
//! `ssh` module). The known_hosts lookup and a new key's locked append are plain file I/O on the
//! runtime's thread: a few microseconds, and another writer holds the lock only for one append.

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_ssh2_lite::ssh2::{BlockDirections, Session};
use async_ssh2_lite::util::ssh2_error_is_would_block;
use async_ssh2_lite::{AsyncChannel as SshChannel, AsyncSession, AsyncSessionStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::{TcpStream, UnixStream};

use super::ssh::{
    agent_available, agent_rejected, check_host_key, classify, failed_attempt, judge,
    methods_after, password_first, pipeline, preferences_for, rejected, settle, AuthMethod,
    LoginAttempt, PasswordPrompter, Phase, PTY_SIZE, PTY_TERM,
};
use super::{closed_by_device, is_connection_lost, AsyncChannel, Received, TransportError};
use crate::hostkeys::{HostKeySeen, KnownHosts};
use crate::job::{ErrorKind, Host};
use crate::os;

/// Run `future` until `deadline`; a missed deadline is a timeout of `phase`.
async fn before<T>(
    deadline: Instant,
    phase: Phase,
    future: impl Future<Output = Result<T, TransportError>>,
) -> Result<T, TransportError> {
    tokio::time::timeout_at(deadline.into(), future)
        .await
        .unwrap_or_else(|_| Err(TransportError::timeout(phase.describe())))
}

/// Classify an async-ssh2-lite error met during `phase`.
fn classify_async(err: &async_ssh2_lite::Error, phase: Phase) -> TransportError {
    match err {
        async_ssh2_lite::Error::Ssh2(err) => classify(err, phase),
        async_ssh2_lite::Error::Io(err) => io_error(err, phase),
        async_ssh2_lite::Error::Other(err) => {
            TransportError::new(ErrorKind::Protocol, format!("{}: {err}", phase.describe()))
        }
    }
}

/// Classify a socket error met during `phase`: a reset or close is the device's (`closed`) in
/// every phase, as in the blocking transport; other errors break the handshake (`protocol`).
fn io_error(err: &io::Error, phase: Phase) -> TransportError {
    let kind = match (err.kind(), phase) {
        (io::ErrorKind::TimedOut, _) => return TransportError::timeout(phase.describe()),
        _ if is_connection_lost(err) => return closed_by_device(phase.describe(), err),
        (_, Phase::Handshake) => ErrorKind::Protocol,
        _ => ErrorKind::Closed,
    };
    TransportError::new(kind, format!("{}: {err}", phase.describe()))
}

/// A logged-in SSH shell on a pty, driven by tokio.
pub struct AsyncSshShell {
    session: AsyncSession<ReadinessStream>,
    channel: SshChannel<ReadinessStream>,
    /// The session's socket, for `close`.
    fd: RawFd,
}

/// A session whose key exchange is done and whose host key passed the check.
pub struct AsyncSshHandshake {
    session: AsyncSession<ReadinessStream>,
    fd: RawFd,
}

impl AsyncSshHandshake {
    /// Key exchange on `stream` and the host key check, before `deadline`.
    pub async fn new(
        socket: AsyncSocket,
        host: &Host,
        known: &KnownHosts,
        deadline: Instant,
    ) -> Result<(AsyncSshHandshake, HostKeySeen), TransportError> {
        let fd = socket.as_raw_fd();
        let mut session = AsyncSession::new(ReadinessStream(socket), None)
            .map_err(|e| classify_async(&e, Phase::Handshake))?;
        pipeline(session.session());
        before(deadline, Phase::Handshake, async {
            for (method, preferences) in preferences_for(host, known) {
                session
                    .method_pref(method, &preferences)
                    .await
                    .map_err(|e| classify_async(&e, Phase::Handshake))?;
            }
            session
                .handshake()
                .await
                .map_err(|e| classify_async(&e, Phase::Handshake))
        })
        .await?;
        let seen = check_host_key(session.host_key().map(|(key, _)| key), host, known)?;
        Ok((AsyncSshHandshake { session, fd }, seen))
    }

    /// Disconnect without logging in (a host key scan), before `deadline`.
    pub async fn disconnect(self, deadline: Instant) {
        let polite = self
            .session
            .disconnect(None, super::ssh::DISCONNECT_REASON, None);
        let _ = tokio::time::timeout_at(deadline.into(), polite).await;
    }

    /// Authenticate and start a shell, before `deadline`.
    pub async fn open_shell(
        self,
        host: &Host,
        deadline: Instant,
    ) -> Result<AsyncSshShell, TransportError> {
        let AsyncSshHandshake { session, fd } = self;
        before(deadline, Phase::Auth, authenticate(&session, host)).await?;
        let channel = before(deadline, Phase::Shell, async {
            let shell = async {
                let mut channel = session.channel_session().await?;
                channel.request_pty(PTY_TERM, None, Some(PTY_SIZE)).await?;
                channel.shell().await?;
                Ok(channel)
            };
            shell
                .await
                .map_err(|e: async_ssh2_lite::Error| classify_async(&e, Phase::Shell))
        })
        .await?;
        Ok(AsyncSshShell {
            session,
            channel,
            fd,
        })
    }
}

/// Handshake, check the host key and authenticate on `socket` before `deadline`: a jump host's
/// logged-in session, which will carry direct-tcpip channels.
pub async fn login(
    socket: AsyncSocket,
    host: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<AsyncSession<ReadinessStream>, TransportError> {
    let (AsyncSshHandshake { session, .. }, _seen) =
        AsyncSshHandshake::new(socket, host, known, deadline).await?;
    before(deadline, Phase::Auth, authenticate(&session, host)).await?;
    Ok(session)
}

/// The blocking module's authentication, with awaits.
async fn authenticate(
    session: &AsyncSession<ReadinessStream>,
    host: &Host,
) -> Result<(), TransportError> {
    let agent = agent_available();
    let guessed = password_first(host, agent);
    let mut rejected_so_far = Vec::new();
    if let Some(method) = guessed {
        if logs_in(session, host, method, &mut rejected_so_far).await? {
            return Ok(());
        }
    }
    let offered = match session.auth_methods(&host.username).await {
        Ok(offered) => offered.to_string(),
        Err(_) if session.authenticated() => return Ok(()),
        Err(async_ssh2_lite::Error::Ssh2(err)) => {
            return Err(failed_attempt(&err, host, &rejected_so_far))
        }
        Err(err) => return Err(classify_async(&err, Phase::Auth)),
    };
    for method in methods_after(host, &offered, agent, guessed)? {
        if logs_in(session, host, method, &mut rejected_so_far).await? {
            return Ok(());
        }
    }
    Err(rejected(host, &rejected_so_far))
}

/// Whether `method` logged in; a rejection is added to `rejected_so_far`.
async fn logs_in(
    session: &AsyncSession<ReadinessStream>,
    host: &Host,
    method: AuthMethod,
    rejected_so_far: &mut Vec<AuthMethod>,
) -> Result<bool, TransportError> {
    let password = host.password.expose();
    let result = match method {
        AuthMethod::PublicKey => {
            session
                .userauth_pubkey_file(
                    &host.username,
                    None,
                    std::path::Path::new(host.key_file.as_deref().unwrap_or_default()),
                    host.key_passphrase.as_ref().map(|p| p.expose()),
                )
                .await
        }
        AuthMethod::Agent => agent_login(session, &host.username).await,
        AuthMethod::Password => session.userauth_password(&host.username, password).await,
        AuthMethod::KeyboardInteractive => {
            session
                .userauth_keyboard_interactive(&host.username, &mut PasswordPrompter(password))
                .await
        }
    };
    let answer = libssh2_answer(result).map_err(|e| classify_async(&e, Phase::Auth))?;
    settle(
        answer,
        session.authenticated(),
        host,
        method,
        rejected_so_far,
    )
}

/// The blocking module's agent login, with awaits: the agent's identities one by one until the
/// server accepts one. libssh2 talks to the agent over a blocking Unix socket, so each exchange
/// with the (local) agent holds the task's thread for the agent's reply, a signature taking
/// microseconds; the waits for the server stay non-blocking.
async fn agent_login(
    session: &AsyncSession<ReadinessStream>,
    username: &str,
) -> Result<(), async_ssh2_lite::Error> {
    let mut agent = session.agent()?;
    let reached = async {
        agent.connect().await?;
        agent.list_identities().await
    };
    if reached.await.is_err() {
        return Err(agent_rejected().into());
    }
    for identity in agent.identities()? {
        let result = agent.userauth(username, &identity).await;
        match judge(libssh2_answer(result)?, session.authenticated()) {
            LoginAttempt::LoggedIn => return Ok(()),
            LoginAttempt::Rejected => {}
            LoginAttempt::Failed(err) => return Err(err.into()),
        }
    }
    Err(agent_rejected().into())
}

/// libssh2's own answer to a call, for `judge`; the outer error is one of async-ssh2-lite's own
/// (I/O, other), which `judge` has no say on.
fn libssh2_answer(
    result: Result<(), async_ssh2_lite::Error>,
) -> Result<Result<(), async_ssh2_lite::ssh2::Error>, async_ssh2_lite::Error> {
    match result {
        Ok(()) => Ok(Ok(())),
        Err(async_ssh2_lite::Error::Ssh2(err)) => Ok(Err(err)),
        Err(err) => Err(err),
    }
}

impl AsyncChannel for AsyncSshShell {
    async fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), TransportError> {
        before(deadline, Phase::Io, async {
            // No `flush`: it would discard received output (see the blocking `send`).
            let lost = |err: io::Error| io_error(&err, Phase::Io);
            self.channel.write_all(bytes).await.map_err(lost)
        })
        .await
    }

    async fn recv(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
    ) -> Result<Received, TransportError> {
        before(deadline, Phase::Io, async {
            // libssh2 may return 0 bytes without EOF; read again until data or EOF (the deadline
            // bounds the loop).
            loop {
                match self.channel.read(buffer).await {
                    Ok(0) if self.channel.eof() => return Ok(Received::Eof),
                    Ok(0) => tokio::task::yield_now().await,
                    Ok(n) => return Ok(Received::Data(n)),
                    Err(err) => return Err(io_error(&err, Phase::Io)),
                }
            }
        })
        .await
    }

    async fn close(&mut self, deadline: Instant) {
        // SAFETY: the session owns its socket (`self.fd`) until it is dropped, after this
        // function.
        let socket = unsafe { BorrowedFd::borrow_raw(self.fd) };
        // EOF, CLOSE and DISCONNECT in one segment, as in the blocking transport.
        os::cork(socket, true);
        let polite = async {
            let _ = self.channel.close().await;
            let _ = self
                .session
                .disconnect(None, super::ssh::DISCONNECT_REASON, None)
                .await;
        };
        let _ = tokio::time::timeout_at(deadline.into(), polite).await;
        os::cork(socket, false);
    }
}

/// The socket an async SSH session runs over: TCP, or one end of a socketpair that a jump
/// host's channel or a ProxyCommand carries.
pub enum AsyncSocket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsyncSocket {
    async fn ready(&self, interest: Interest) -> io::Result<tokio::io::Ready> {
        match self {
            AsyncSocket::Tcp(s) => s.ready(interest).await,
            AsyncSocket::Unix(s) => s.ready(interest).await,
        }
    }

    fn try_io<R>(&self, interest: Interest, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        match self {
            AsyncSocket::Tcp(s) => s.try_io(interest, f),
            AsyncSocket::Unix(s) => s.try_io(interest, f),
        }
    }

    fn poll_read_ready(&self, cx: &mut Context) -> Poll<io::Result<()>> {
        match self {
            AsyncSocket::Tcp(s) => s.poll_read_ready(cx),
            AsyncSocket::Unix(s) => s.poll_read_ready(cx),
        }
    }

    fn poll_write_ready(&self, cx: &mut Context) -> Poll<io::Result<()>> {
        match self {
            AsyncSocket::Tcp(s) => s.poll_write_ready(cx),
            AsyncSocket::Unix(s) => s.poll_write_ready(cx),
        }
    }
}

impl AsRawFd for AsyncSocket {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            AsyncSocket::Tcp(s) => s.as_raw_fd(),
            AsyncSocket::Unix(s) => s.as_raw_fd(),
        }
    }
}

impl From<TcpStream> for AsyncSocket {
    fn from(stream: TcpStream) -> AsyncSocket {
        AsyncSocket::Tcp(stream)
    }
}

/// For the Telnet driver, which reads and writes the socket itself.
impl tokio::io::AsyncRead for AsyncSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            AsyncSocket::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for AsyncSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            AsyncSocket::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_flush(cx),
            AsyncSocket::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            AsyncSocket::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// An `AsyncSocket` that async-ssh2-lite drives with correct readiness (see the module docs).
pub struct ReadinessStream(AsyncSocket);

impl AsRawFd for ReadinessStream {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// What libssh2 is waiting for, as a tokio interest.
fn interest(session: &Session) -> Interest {
    match session.block_directions() {
        BlockDirections::Inbound => Interest::READABLE,
        BlockDirections::Outbound => Interest::WRITABLE,
        BlockDirections::Both | BlockDirections::None => Interest::READABLE | Interest::WRITABLE,
    }
}

/// Make libssh2's next read ask the socket (netrun's libssh2 patch 9,
/// `vendor/libssh2-sys/PATCHES.md`): until this is called again, after a short read libssh2
/// answers `EAGAIN` without asking the socket it has just emptied. Such an `EAGAIN` must not clear
/// tokio's readiness when the short read was made in an earlier poll (a channel write reads
/// too): an event recorded since would be lost.
fn ask_socket(session: &Session) {
    let mut raw = session.raw();
    // SAFETY: `raw` is this session's own `LIBSSH2_SESSION`, locked by the guard for the call;
    // the function only sets two of its fields.
    unsafe { libssh2_sys::libssh2_session_ask_socket(&mut *raw) };
}

/// Whether libssh2's last read emptied the socket (a short read) and it has not asked since.
fn socket_drained(session: &Session) -> bool {
    let mut raw = session.raw();
    // SAFETY: as in `ask_socket`; the function only reads one field.
    unsafe { libssh2_sys::libssh2_session_socket_drained(&mut *raw) != 0 }
}

fn would_block() -> io::Error {
    io::Error::from(io::ErrorKind::WouldBlock)
}

/// The stream's answer to one libssh2 call made inside `try_io`.
enum Attempt<R> {
    Done(Result<R, async_ssh2_lite::ssh2::Error>),
    Blocked,
}

impl ReadinessStream {
    /// Run `op`; if a read it made emptied the socket, clear tokio's read readiness now, so the
    /// next wait sleeps instead of first asking the empty socket. Safe only here, in the poll
    /// that made the read: the reactor has not run since, so any event it holds came before
    /// that read, and whatever arrives after it is a new edge that epoll reports again.
    fn run<R>(&self, session: &Session, op: &mut impl FnMut() -> R) -> R {
        let drained_before = socket_drained(session);
        let result = op();
        if !drained_before && socket_drained(session) {
            // A `WouldBlock` without a system call: `try_io` clears the readiness it saw.
            let _ = self
                .0
                .try_io(Interest::READABLE, || Err::<(), _>(would_block()));
        }
        result
    }

    /// `op` as `try_io` runs it: asking the socket first, so its `WouldBlock` is the socket's
    /// own, and clearing the readiness at once if it emptied the socket (`run`).
    fn asking<'a, R>(
        &'a self,
        session: &'a Session,
        op: &'a mut impl FnMut() -> R,
    ) -> impl FnMut() -> R + 'a {
        move || {
            ask_socket(session);
            self.run(session, op)
        }
    }

    /// Wait until the socket is ready for `interest`, then run `op` inside `try_io` so a
    /// `WouldBlock` clears tokio's (possibly stale) readiness.
    async fn attempt<R>(
        &self,
        session: &Session,
        op: &mut (impl FnMut() -> Result<R, async_ssh2_lite::ssh2::Error> + Send),
    ) -> io::Result<Attempt<R>> {
        let interest = interest(session);
        self.0.ready(interest).await?;
        let mut done = None;
        let mut op = self.asking(session, op);
        let tried = self.0.try_io(interest, || match op() {
            Err(err) if ssh2_error_is_would_block(&err) => Err(would_block()),
            result => {
                done = Some(result);
                Ok(())
            }
        });
        match (tried, done) {
            (_, Some(result)) => Ok(Attempt::Done(result)),
            (Err(err), None) if err.kind() != io::ErrorKind::WouldBlock => Err(err),
            _ => Ok(Attempt::Blocked),
        }
    }

    /// One non-blocking round of `poll_x_with`: `None` when the readiness was stale and was
    /// cleared, so the caller should poll again.
    fn poll_attempt<R>(
        &self,
        cx: &mut Context,
        session: &Session,
        op: &mut (impl FnMut() -> io::Result<R> + Send),
    ) -> Poll<Option<io::Result<R>>> {
        let interest = interest(session);
        let ready = if interest.is_readable() && self.0.poll_read_ready(cx).is_ready() {
            Interest::READABLE
        } else if interest.is_writable() && self.0.poll_write_ready(cx).is_ready() {
            Interest::WRITABLE
        } else {
            // The first try after the wake-up reads what arrived.
            ask_socket(session);
            return Poll::Pending;
        };
        match self.0.try_io(ready, self.asking(session, op)) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Poll::Ready(None),
            result => Poll::Ready(Some(result)),
        }
    }
}

/// Rounds of stale readiness `poll_x_with` clears before yielding to other tasks.
const POLL_ROUNDS: usize = 4;

impl AsyncSessionStream for ReadinessStream {
    fn x_with<'life0, 'life1, 'async_trait, R>(
        &'life0 self,
        mut op: impl FnMut() -> Result<R, async_ssh2_lite::ssh2::Error> + Send + 'async_trait,
        sess: &'life1 Session,
        _expected_block_directions: BlockDirections,
        _sleep_dur: Option<Duration>,
    ) -> Pin<Box<dyn Future<Output = Result<R, async_ssh2_lite::Error>> + Send + 'async_trait>>
    where
        R: 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            match self.run(sess, &mut op) {
                Err(err) if ssh2_error_is_would_block(&err) => {}
                result => return result.map_err(Into::into),
            }
            // Ends when libssh2 finishes; the caller's deadline bounds the wait.
            loop {
                if let Attempt::Done(result) = self.attempt(sess, &mut op).await? {
                    return result.map_err(Into::into);
                }
            }
        })
    }

    fn poll_x_with<R>(
        &self,
        cx: &mut Context,
        mut op: impl FnMut() -> io::Result<R> + Send,
        sess: &Session,
        _expected_block_directions: BlockDirections,
        _sleep_dur: Option<Duration>,
    ) -> Poll<io::Result<R>> {
        match self.run(sess, &mut op) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            result => return Poll::Ready(result),
        }
        for _ in 0..POLL_ROUNDS {
            match self.poll_attempt(cx, sess, &mut op) {
                Poll::Ready(Some(result)) => return Poll::Ready(result),
                Poll::Ready(None) => {}
                Poll::Pending => return Poll::Pending,
            }
        }
        // Readiness keeps flipping: let other tasks run and come back.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_port_is_a_connect_failure() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = Host {
            port,
            ..crate::strategy::testing::jobs(1).remove(0).host
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = runtime
            .block_on(crate::transport::tcp_connect_async(
                &host,
                Instant::now() + Duration::from_secs(5),
            ))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Connect, "{err}");
    }

    #[test]
    fn a_silent_server_times_out_the_handshake() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            // Accepts the connection and never says a word.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let host = Host {
                port,
                ..crate::strategy::testing::jobs(1).remove(0).host
            };
            let deadline = Instant::now() + Duration::from_millis(300);
            let stream = crate::transport::tcp_connect_async(&host, deadline)
                .await
                .unwrap();
            let (_server_side, _) = listener.accept().await.unwrap();
            let err = AsyncSshHandshake::new(
                AsyncSocket::Tcp(stream),
                &host,
                &KnownHosts::default(),
                deadline,
            )
            .await
            .err()
            .unwrap();
            assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
            assert!(err.message.contains("handshake"), "{err}");
        });
    }
}

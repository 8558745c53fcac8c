//! The operating-system calls netrun makes itself, in one place: fork and `_exit`, pipes and
//! closing inherited descriptors, stdout silenced for a chatty library, poll, pidfds, the open-files limit, signals (sending them, and catching SIGINT and
//! SIGTERM as a [`StopSource`]), children that die with their parent, and reaping a child with
//! wait4 and its rusage, and the flock that serialises known_hosts writers. The fork strategy, the bench's measurement and `--lab` call these;
//! nothing else in netrun calls fork, wait4, sigaction, prctl or pidfd_open. Each `unsafe` block
//! says the invariant it relies on.
//!
//! **Stop signals.** The SIGINT/SIGTERM handler does only what is async-signal-safe: it records
//! the signal in an atomic and writes one byte to a non-blocking self-pipe whose read end is
//! never read, so it stays readable from the first signal on and every waiter (poll, tokio's
//! `AsyncFd`) wakes however many there are. A second signal `_exit`s at once with 128 + its
//! number; children made here die with netrun (`PR_SET_PDEATHSIG`), so none is left behind.
//!
//! **EINTR policy.** A call that a signal interrupts is restarted here, up to [`RESTARTS`] times
//! in a row, and a timed wait restarts with the time that is left, so a signal never stretches a
//! deadline. Only a call interrupted that many times in a row reaches its caller, as an
//! `ErrorKind::Interrupted` error that the caller treats like any other failure of the call; no
//! caller retries on its own. (std's `read_exact` and `write_all` restart by themselves.)

use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout};

pub use nix::sys::signal::Signal;
pub use nix::unistd::Pid;

/// How many times in a row a call interrupted by a signal is restarted before EINTR is returned.
pub const RESTARTS: u32 = 1000;

/// Run `call`, and again while it fails with EINTR, at most [`RESTARTS`] more times.
fn restarting<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut result = call();
    for _ in 0..RESTARTS {
        match &result {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => result = call(),
            _ => break,
        }
    }
    result
}

/// Hold an exclusive flock(2) on `file` (waiting for it), restarted on EINTR. It is released when
/// the file is closed: flock locks belong to the open file description, so two opens of one file
/// exclude each other whether they are threads of one process or forked workers.
pub fn lock_exclusive(file: &std::fs::File) -> io::Result<()> {
    restarting(|| file.lock())
}

/// How many threads this process has: the `Threads:` line of /proc/self/status.
pub fn thread_count() -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no Threads: line"))
}

/// Which side of a fork this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// The new process.
    Child,
    /// The process that forked, and the new child's pid.
    Parent(Pid),
}

/// fork(2).
///
/// # Safety
/// The child gets a copy of the calling thread only: a lock that another thread held at that
/// instant (the allocator's, stdout's, a runtime's) stays locked forever in the child. The caller
/// guarantees that the process has exactly one thread ([`thread_count`] says 1; no thread can
/// appear between that check and the fork, since only this thread could start one), or, in unit
/// tests, that the child takes no lock another thread may hold. The child must end with
/// [`exit_now`] and never return into code that owns the parent's resources.
pub unsafe fn fork() -> io::Result<Forked> {
    // SAFETY: the caller upholds this function's contract (see above).
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => Ok(Forked::Child),
        nix::unistd::ForkResult::Parent { child } => Ok(Forked::Parent(child)),
    }
}

/// End this process at once with `code`: `_exit(2)`, no destructors, no atexit handlers, no
/// stdio flush. A forked child leaves this way, since those all belong to its parent.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions; skipping destructors is safe in Rust (like
    // `mem::forget`), and nothing runs after it in this process.
    unsafe { libc::_exit(code) }
}

/// `f`'s result, run with stdout (fd 1) pointed at /dev/null and put back after: for a library
/// that prints on stdout, which is netrun's report. netrun writes stdout only after a run, so
/// nothing of its own is lost; the caller keeps `f` from unwinding (the fd would stay
/// redirected) and serialises its calls. If stdout cannot be redirected, `f` runs as it is.
pub fn with_stdout_discarded<T>(f: impl FnOnce() -> T) -> T {
    use std::io::Write;
    let stdout = io::stdout();
    let _ = stdout.lock().flush();
    let saved = nix::unistd::dup(stdout.as_fd()).ok();
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
    let redirected =
        saved.is_some() && null.is_ok_and(|null| nix::unistd::dup2_stdout(null).is_ok());
    let result = f();
    // What `f` printed without a line end is still in std's buffer: it goes to /dev/null too.
    let _ = stdout.lock().flush();
    if let (true, Some(saved)) = (redirected, saved) {
        let _ = nix::unistd::dup2_stdout(saved);
    }
    result
}

/// A pipe, both ends close-on-exec: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(OFlag::O_CLOEXEC)?)
}

/// Close every descriptor above stderr except those in `keep`.
///
/// # Safety
/// The caller owns no object that will use or close any of the descriptors this closes: it is a
/// forked child that never returns into the code holding them (their owners' drops never run),
/// so no descriptor is closed twice or used after it was closed.
pub unsafe fn close_fds_except(keep: &[RawFd]) {
    let mut first = 3;
    let mut kept: Vec<RawFd> = keep.iter().copied().filter(|&fd| fd >= first).collect();
    kept.sort_unstable();
    kept.dedup();
    for fd in kept {
        // SAFETY: the range excludes every kept descriptor; the caller vouches for the rest.
        unsafe { close_range(first, fd - 1) };
        first = fd + 1;
    }
    // SAFETY: as above.
    unsafe { close_range(first, RawFd::MAX) };
}

/// close_range(2) of `first..=last`; on kernels without it (before 5.9), close one by one up to
/// the descriptor limit.
///
/// # Safety
/// As for [`close_fds_except`], for the descriptors in the range.
unsafe fn close_range(first: RawFd, last: RawFd) {
    if first > last {
        return;
    }
    // SAFETY: close_range only closes descriptors and shares no memory; the caller guarantees
    // that nothing uses the ones in range again.
    let closed = unsafe { libc::syscall(libc::SYS_close_range, first as u32, last as u32, 0u32) };
    if closed == 0 {
        return;
    }
    // SAFETY: sysconf has no preconditions.
    let limit = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) };
    let limit = RawFd::try_from(limit).unwrap_or(RawFd::MAX).min(1 << 20);
    for fd in first..=last.min(limit) {
        // SAFETY: as above; EBADF for a descriptor that is not open is harmless.
        unsafe { libc::close(fd) };
    }
}

/// Which process group a child made by [`spawn_tied`] joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// netrun's own: a Ctrl-C on the terminal reaches the child too.
    Same,
    /// A new group led by the child: the terminal's Ctrl-C reaches only netrun, which stops the
    /// child itself once the sessions using it are done.
    Own,
}

/// Make `command` spawn with fork+exec rather than std's vfork-style spawn (`CLONE_VM`), as a
/// child that the kernel kills (SIGKILL) when the calling thread ends, even if netrun itself is
/// killed with SIGKILL (`PR_SET_PDEATHSIG`, kept across exec).
///
/// The death signal is sent when the *thread* that forked exits, not the process. netrun spawns
/// tied children only from its main thread (`--lab` while resolving the flags, the bench's
/// children from its loop), and the main thread lives until the process exits: so the child dies
/// exactly when netrun does.
pub fn spawn_tied(command: &mut Command, group: Group) {
    let parent = Pid::this();
    // SAFETY: the hook runs in the forked child before exec and makes only async-signal-safe
    // system calls (prctl, getppid, setpgid) on values copied before the fork; it allocates
    // nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            die_with_parent(parent)?;
            if group == Group::Own && libc::setpgid(0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The open-files limit (RLIMIT_NOFILE) after raising its soft value to the hard one: the
/// soft value now in force. Each session holds a socket, so a soft limit left at the common
/// 1024 would fail hundreds of hosts of a big run with EMFILE; the hard limit is what the
/// administrator allows. If the raise is refused, the soft value stays and is returned.
pub fn raise_open_files_limit() -> io::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft >= hard {
        return Ok(soft);
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => Ok(hard),
        Err(_) => Ok(soft),
    }
}

/// The soft open-files limit (RLIMIT_NOFILE) in force, for messages that name it.
pub fn open_files_limit() -> io::Result<u64> {
    Ok(nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)?.0)
}

/// The memory the kernel estimates is available for new work without swapping
/// (`MemAvailable` in /proc/meminfo), in bytes.
pub fn mem_available() -> io::Result<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "no MemAvailable in /proc/meminfo",
            )
        })
}

/// In a child just forked by `parent`: be sent SIGKILL when the parent's forking thread ends.
/// Fails (ESRCH) if the parent is already gone, which the death signal would never report.
pub fn die_with_parent(parent: Pid) -> io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes integers only and shares no memory.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent.as_raw() {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    Ok(())
}

/// Where SIGINT and SIGTERM are recorded once [`catch_stop_signals`] has run: an atomic holding
/// the first stop signal's number, and a self-pipe woken by it.
pub struct StopSource {
    signal: AtomicI32,
    watch: OwnedFd,
    wake: OwnedFd,
}

impl StopSource {
    /// A source no signal feeds (tests trigger it by hand; `catch_stop_signals` wires one up).
    pub fn new() -> io::Result<StopSource> {
        let (watch, wake) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        Ok(StopSource {
            signal: AtomicI32::new(0),
            watch,
            wake,
        })
    }

    /// Record `signal` as the reason to stop and wake every waiter. Returns false when a stop
    /// had already been recorded. Async-signal-safe: an atomic and one `write(2)`.
    pub fn trigger(&self, signal: Signal) -> bool {
        let first = self
            .signal
            .compare_exchange(0, signal as i32, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if first {
            // SAFETY: `wake` is open for the life of this source and the buffer is a live
            // static byte; a full pipe (EAGAIN) is fine, since one byte already makes it readable.
            unsafe { libc::write(self.wake.as_raw_fd(), b"!".as_ptr().cast(), 1) };
        }
        first
    }

    /// The stop signal received, if any.
    pub fn signal(&self) -> Option<Signal> {
        Signal::try_from(self.signal.load(Ordering::SeqCst)).ok()
    }

    /// A descriptor that is readable from the first stop signal on (it is never read).
    pub fn watch(&self) -> BorrowedFd<'_> {
        self.watch.as_fd()
    }
}

/// The source the handler feeds; set once, never freed.
static CAUGHT: AtomicPtr<StopSource> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn on_stop_signal(number: libc::c_int) {
    // SAFETY: errno is thread-local; saving and restoring it keeps the interrupted code's value.
    let errno = unsafe { *libc::__errno_location() };
    // SAFETY: CAUGHT is only ever null or a leaked, never-freed `StopSource`.
    if let Some(source) = unsafe { CAUGHT.load(Ordering::SeqCst).as_ref() } {
        let first = Signal::try_from(number).is_ok_and(|signal| source.trigger(signal));
        if !first {
            // The second signal: the person wants out now. Children die with us (pdeathsig).
            remove_abandoned_paths();
            exit_now(128 + number);
        }
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Paths a second stop signal removes before it ends the process (the lab's temporary
/// inventory): null, or a leaked list of C strings, files first, then their directories.
static ABANDONED: AtomicPtr<Vec<std::ffi::CString>> = AtomicPtr::new(std::ptr::null_mut());

/// Have a second stop signal remove `paths` (files, then empty directories, in this order) on its
/// way out, since no destructor runs then; replaces any earlier list. Paths with a NUL byte are
/// left out.
pub fn remove_on_second_signal(paths: &[&std::path::Path]) {
    use std::os::unix::ffi::OsStrExt;
    let paths: Vec<std::ffi::CString> = paths
        .iter()
        .filter_map(|p| std::ffi::CString::new(p.as_os_str().as_bytes()).ok())
        .collect();
    // The old list is leaked, not freed: the handler may be reading it right now.
    ABANDONED.store(Box::into_raw(Box::new(paths)), Ordering::SeqCst);
}

/// Forget the paths given to [`remove_on_second_signal`] (they were removed the normal way).
pub fn keep_on_second_signal() {
    ABANDONED.store(std::ptr::null_mut(), Ordering::SeqCst);
}

/// In the handler: unlink or rmdir each abandoned path (both async-signal-safe).
fn remove_abandoned_paths() {
    // SAFETY: ABANDONED is only ever null or a leaked, never-freed list.
    let Some(paths) = (unsafe { ABANDONED.load(Ordering::SeqCst).as_ref() }) else {
        return;
    };
    for path in paths {
        // SAFETY: each is a NUL-terminated string that lives forever; a failure is harmless.
        unsafe {
            if libc::unlink(path.as_ptr()) != 0 {
                libc::rmdir(path.as_ptr());
            }
        }
    }
}

/// Catch SIGINT and SIGTERM from now on: the first is recorded in the returned source (the run
/// stops starting sessions and winds down), the second ends the process at once. Calling it
/// again returns the same source.
pub fn catch_stop_signals() -> io::Result<&'static StopSource> {
    // SAFETY: CAUGHT is only ever null or a leaked, never-freed `StopSource`.
    if let Some(source) = unsafe { CAUGHT.load(Ordering::SeqCst).as_ref() } {
        return Ok(source);
    }
    let source: &'static StopSource = Box::leak(Box::new(StopSource::new()?));
    CAUGHT.store(std::ptr::from_ref(source).cast_mut(), Ordering::SeqCst);
    let action = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_stop_signal),
        nix::sys::signal::SaFlags::SA_RESTART,
        nix::sys::signal::SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only touches an atomic, a never-freed source and write(2), all
        // async-signal-safe, and saves errno.
        unsafe { nix::sys::signal::sigaction(signal, &action) }?;
    }
    Ok(source)
}

/// Ignore SIGINT and SIGTERM in this process (a forked worker: its parent decides when it
/// stops, and a terminal's Ctrl-C reaches the whole process group).
pub fn ignore_stop_signals() -> io::Result<()> {
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: SIG_IGN installs no handler code.
        unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigIgn) }?;
    }
    Ok(())
}

/// Send `signal` to process `pid`.
pub fn send_signal(pid: Pid, signal: Signal) -> io::Result<()> {
    Ok(nix::sys::signal::kill(pid, signal)?)
}

/// Hold (`true`) or release (`false`) a TCP socket's partly filled segments (`TCP_CORK`), so
/// messages written in between leave together. On another kind of socket (a socketpair end)
/// it does nothing: the messages still go, each on its own.
pub fn cork(socket: BorrowedFd<'_>, on: bool) {
    let value = libc::c_int::from(on);
    // SAFETY: `socket` is open for the borrow; the option value is a live `c_int` of the size
    // passed, which the kernel only reads.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CORK,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// One `read` from `source`, restarted on EINTR.
pub fn read(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    restarting(|| source.read(buf))
}

/// Wait until one of `fds` is readable or hung up, or until `deadline` (`None`: no deadline).
/// Returns, per descriptor, whether it is ready; none is once the deadline has passed.
pub fn poll_readable(fds: &[BorrowedFd<'_>], deadline: Option<Instant>) -> io::Result<Vec<bool>> {
    let mut polled: Vec<PollFd> = fds
        .iter()
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    restarting(|| {
        let timeout = deadline.map_or(PollTimeout::NONE, poll_timeout);
        Ok(nix::poll::poll(&mut polled, timeout)?)
    })?;
    Ok(polled
        .iter()
        .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
        .collect())
}

/// What a wait for a socket beside a wake descriptor saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketWait {
    /// The socket is ready for what was asked (or has an error or hang-up to report).
    Ready,
    /// The wake descriptor became readable first.
    Woken,
    /// Neither before the deadline.
    TimedOut,
}

/// Wait until `socket` is readable (and writable, when `write` is set) or `wake` is readable,
/// or until `deadline`. A socket that is ready wins over a wake seen in the same poll, so data
/// that already arrived is never left unread.
pub fn wait_socket(
    socket: BorrowedFd<'_>,
    read: bool,
    write: bool,
    wake: BorrowedFd<'_>,
    deadline: Instant,
) -> io::Result<SocketWait> {
    let mut interest = PollFlags::empty();
    interest.set(PollFlags::POLLIN, read);
    interest.set(PollFlags::POLLOUT, write);
    let mut polled = [
        PollFd::new(socket, interest),
        PollFd::new(wake, PollFlags::POLLIN),
    ];
    restarting(|| Ok(nix::poll::poll(&mut polled, poll_timeout(deadline))?))?;
    let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
    Ok(match (ready(&polled[0]), ready(&polled[1])) {
        (true, _) => SocketWait::Ready,
        (false, true) => SocketWait::Woken,
        (false, false) => SocketWait::TimedOut,
    })
}

/// Wait until one of `fds` is ready for what it is asked (`(fd, readable, writable)`), hung up,
/// or in error, or until `deadline` (`None`: no deadline). Returns whether any was ready.
pub fn poll_ready(
    fds: &[(BorrowedFd<'_>, bool, bool)],
    deadline: Option<Instant>,
) -> io::Result<bool> {
    let mut polled: Vec<PollFd> = fds
        .iter()
        .map(|&(fd, readable, writable)| {
            let mut flags = PollFlags::empty();
            flags.set(PollFlags::POLLIN, readable);
            flags.set(PollFlags::POLLOUT, writable);
            PollFd::new(fd, flags)
        })
        .collect();
    let ready = restarting(|| {
        let timeout = deadline.map_or(PollTimeout::NONE, poll_timeout);
        Ok(nix::poll::poll(&mut polled, timeout)?)
    })?;
    Ok(ready > 0)
}

/// Whether `fd` becomes readable (or hung up) before `deadline`.
pub fn readable_before(fd: BorrowedFd<'_>, deadline: Instant) -> io::Result<bool> {
    Ok(poll_readable(&[fd], Some(deadline))?[0])
}

/// The time left until `deadline` as a poll timeout, rounded up to whole milliseconds so that a
/// wait never ends before its deadline.
fn poll_timeout(deadline: Instant) -> PollTimeout {
    let left = deadline.saturating_duration_since(Instant::now());
    let millis = left.as_micros().div_ceil(1000);
    i32::try_from(millis)
        .ok()
        .and_then(|ms| PollTimeout::try_from(ms).ok())
        .unwrap_or(PollTimeout::MAX)
}

/// A pidfd (pidfd_open(2), Linux 5.3+): a descriptor that becomes readable when its process ends.
pub struct PidFd(OwnedFd);

impl PidFd {
    /// A pidfd for `pid`, which must be an unreaped child of this process, so that its pid cannot
    /// have been recycled for another process.
    pub fn open(pid: Pid) -> io::Result<PidFd> {
        // SAFETY: pidfd_open takes a pid and flags, shares no memory, and returns a new
        // descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = RawFd::try_from(fd).map_err(io::Error::other)?;
        // SAFETY: `fd` was just returned by pidfd_open, is open, and nothing else owns it.
        Ok(PidFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Whether the process ends before `deadline`.
    pub fn exits_before(&self, deadline: Instant) -> io::Result<bool> {
        readable_before(self.0.as_fd(), deadline)
    }
}

/// For an async wait (tokio's `AsyncFd`): readable once the process has ended.
impl AsRawFd for PidFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// How a reaped process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// This signal killed it.
    Killed(i32),
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Ended::Exited(code) => write!(f, "exited with status {code}"),
            Ended::Killed(number) => match Signal::try_from(number) {
                Ok(signal) => write!(f, "killed by signal {}", signal.as_str()),
                Err(_) => write!(f, "killed by signal {number}"),
            },
        }
    }
}

/// What the kernel accounted to a reaped process (and the descendants it reaped itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResourceUsage {
    pub user: Duration,
    pub system: Duration,
    /// Peak resident set size (Linux reports ru_maxrss in KiB).
    pub max_rss_kib: u64,
    /// Voluntary context switches (the process blocked, e.g. waiting for a socket).
    pub voluntary_switches: u64,
    /// Involuntary context switches (the scheduler preempted it).
    pub involuntary_switches: u64,
}

/// A child reaped by [`reap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reaped {
    pub ended: Ended,
    pub usage: ResourceUsage,
}

/// Wait for child `pid` to end, reap it with wait4(2) and return how it ended and its rusage.
/// `pid` must be a child of this process that nothing else reaps (for a std `Child`: one that is
/// never waited on), so that wait4 reaps exactly that process.
pub fn reap(pid: Pid) -> io::Result<Reaped> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data (integers and timevals), valid when zeroed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    restarting(|| {
        // SAFETY: `status` and `usage` are live, aligned locals of the types wait4 expects, and
        // wait4 writes to them only for the duration of the call.
        let reaped = unsafe { libc::wait4(pid.as_raw(), &mut status, 0, &mut usage) };
        if reaped == pid.as_raw() {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    })?;
    Ok(Reaped {
        ended: ended(status)?,
        usage: resource_usage(&usage),
    })
}

/// A wait status of a terminated child: without WUNTRACED or WCONTINUED, wait4 reports nothing
/// else.
fn ended(status: libc::c_int) -> io::Result<Ended> {
    if libc::WIFEXITED(status) {
        Ok(Ended::Exited(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Ok(Ended::Killed(libc::WTERMSIG(status)))
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("wait4 returned wait status {status:#x}, neither an exit nor a signal"),
        ))
    }
}

fn resource_usage(usage: &libc::rusage) -> ResourceUsage {
    let duration = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    let count = |n: libc::c_long| n.max(0) as u64;
    ResourceUsage {
        user: duration(usage.ru_utime),
        system: duration(usage.ru_stime),
        max_rss_kib: count(usage.ru_maxrss),
        voluntary_switches: count(usage.ru_nvcsw),
        involuntary_switches: count(usage.ru_nivcsw),
    }
}

/// This process's own peak resident set size, KiB: `VmHWM` of /proc/self/status. Unlike
/// getrusage's ru_maxrss it starts afresh at exec (ru_maxrss keeps the pre-exec address space's
/// high-water mark) and, unlike a parent's wait4, it never folds in reaped children.
pub fn own_peak_rss_kib() -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status_field_kib(&status, "VmHWM:").ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "/proc/self/status has no VmHWM line",
        )
    })
}

/// A `NAME:   1234 kB` line's number in a /proc status file.
fn status_field_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix(name))?;
    line.split_whitespace().next()?.parse().ok()
}

/// The CPU time (user + sys, all its threads) process `pid` has used so far, from
/// /proc/PID/stat; the kernel counts it in clock ticks (usually 10 ms).
pub fn process_cpu(pid: Pid) -> io::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw()))?;
    // SAFETY: sysconf only reads a configuration value; _SC_CLK_TCK is a valid name.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let malformed = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("/proc/{pid}/stat: {stat:?}"),
        )
    };
    let ticks = stat_cpu_ticks(&stat).ok_or_else(malformed)?;
    if ticks_per_second <= 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Duration::from_secs_f64(
        ticks as f64 / ticks_per_second as f64,
    ))
}

/// utime + stime (fields 14 and 15) of a /proc/PID/stat line. The command name (field 2) is in
/// parentheses and may hold spaces or parentheses itself, so fields are counted after the last `)`.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_peak_rss_is_this_process_vmhwm() {
        let peak = own_peak_rss_kib().unwrap();
        assert!(peak > 0);
        let status = "Name:\tnetrun\nVmPeak:\t  9000 kB\nVmHWM:\t    4242 kB\n";
        assert_eq!(status_field_kib(status, "VmHWM:"), Some(4242));
        assert_eq!(status_field_kib(status, "VmRSS:"), None);
    }

    #[test]
    fn process_cpu_counts_fields_after_the_command_name() {
        // A name with a space and a parenthesis; utime 7 and stime 5 are fields 14 and 15.
        let stat = "41 (a b) c) S 1 41 41 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 99 0 0";
        assert_eq!(stat_cpu_ticks(stat), Some(12));
        assert_eq!(stat_cpu_ticks("41 (short) S 1"), None);
        let own = process_cpu(Pid::this()).unwrap();
        assert!(own < Duration::from_secs(3600));
    }

    #[test]
    fn the_open_files_limit_is_raised_never_lowered() {
        let before = open_files_limit().unwrap();
        let raised = raise_open_files_limit().unwrap();
        assert!(raised >= before);
        assert_eq!(open_files_limit().unwrap(), raised);
    }

    #[test]
    fn restarting_retries_only_eintr_and_only_so_often() {
        let mut calls = 0;
        let result: io::Result<()> = restarting(|| {
            calls += 1;
            Err(io::ErrorKind::Interrupted.into())
        });
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::Interrupted);
        assert_eq!(calls, RESTARTS + 1);
        let mut calls = 0;
        let result: io::Result<u8> = restarting(|| {
            calls += 1;
            match calls {
                1 | 2 => Err(io::ErrorKind::Interrupted.into()),
                _ => Ok(7),
            }
        });
        assert_eq!(result.unwrap(), 7);
        let mut calls = 0;
        let result: io::Result<()> = restarting(|| {
            calls += 1;
            Err(io::ErrorKind::BrokenPipe.into())
        });
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(calls, 1, "other errors are not retried");
    }

    #[test]
    fn counts_a_thread_while_it_lives() {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || stopped.recv());
        assert!(thread_count().unwrap() >= 2);
        stop.send(()).unwrap();
        thread.join().unwrap().unwrap();
    }

    #[test]
    fn wait_statuses_read_as_exits_and_signals() {
        assert_eq!(ended(3 << 8).unwrap(), Ended::Exited(3));
        assert_eq!(ended(libc::SIGKILL).unwrap(), Ended::Killed(libc::SIGKILL));
        assert_eq!(Ended::Exited(3).to_string(), "exited with status 3");
        assert_eq!(
            Ended::Killed(libc::SIGKILL).to_string(),
            "killed by signal SIGKILL"
        );
        // A stopped child (0x7f) is neither.
        assert!(ended(0x137f).is_err());
    }

    #[test]
    fn a_pipe_polls_readable_once_written_and_not_before_its_deadline() {
        use std::io::Write;
        let (rx, tx) = pipe().unwrap();
        let started = Instant::now();
        let deadline = started + Duration::from_millis(30);
        assert!(!readable_before(rx.as_fd(), deadline).unwrap());
        assert!(Instant::now() >= deadline, "returned before the deadline");
        std::fs::File::from(tx).write_all(b"x").unwrap();
        assert_eq!(poll_readable(&[rx.as_fd()], None).unwrap(), vec![true]);
        let mut buf = [0u8; 4];
        assert_eq!(read(&mut std::fs::File::from(rx), &mut buf).unwrap(), 1);
    }

    #[test]
    fn reaps_a_killed_child_with_its_usage_through_a_pidfd() {
        let mut command = Command::new("sleep");
        command.arg("30");
        spawn_tied(&mut command, Group::Own);
        let mut child = command.spawn().unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        let pidfd = PidFd::open(pid).unwrap();
        assert!(!pidfd
            .exits_before(Instant::now() + Duration::from_millis(20))
            .unwrap());
        send_signal(pid, Signal::SIGKILL).unwrap();
        assert!(pidfd
            .exits_before(Instant::now() + Duration::from_secs(30))
            .unwrap());
        let reaped = reap(pid).unwrap();
        assert_eq!(reaped.ended, Ended::Killed(libc::SIGKILL));
        assert!(reaped.usage.max_rss_kib > 0);
        assert!(reap(pid).is_err(), "reaped once");
        assert!(child.try_wait().is_err(), "nothing left for std to reap");
    }

    #[test]
    fn a_stop_source_records_the_first_signal_and_stays_readable() {
        let source = StopSource::new().unwrap();
        let soon = || Instant::now() + Duration::from_millis(10);
        assert_eq!(source.signal(), None);
        assert!(!readable_before(source.watch(), soon()).unwrap());
        assert!(source.trigger(Signal::SIGTERM));
        assert!(!source.trigger(Signal::SIGINT), "only the first counts");
        assert_eq!(source.signal(), Some(Signal::SIGTERM));
        for _ in 0..2 {
            assert!(readable_before(source.watch(), soon()).unwrap());
        }
    }
}

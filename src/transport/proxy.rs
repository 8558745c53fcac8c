//! ProxyCommand, as OpenSSH runs it: `sh -c COMMAND` with `%h %p %r %n %%` expanded, its stdin
//! and stdout one end of a socketpair; the SSH session runs over the other end (libssh2 takes
//! any descriptor as its socket). The child's stderr is netrun's, as with `ssh`. It is killed
//! and reaped when the session is done.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};

use super::TransportError;
use crate::job::{ErrorKind, Host};

/// Whether `template` uses only the tokens netrun expands.
pub fn check(template: &str) -> Result<(), String> {
    expand(template, "h", 22, "r", "n").map(drop)
}

/// `template` with `%h` (host), `%p` (port), `%r` (remote user), `%n` (the name as given) and
/// `%%` replaced.
pub fn expand(
    template: &str,
    host: &str,
    port: u16,
    user: &str,
    name: &str,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(host),
            Some('p') => out.push_str(&port.to_string()),
            Some('r') => out.push_str(user),
            Some('n') => out.push_str(name),
            Some('%') => out.push('%'),
            Some(other) => {
                return Err(format!(
                    "unknown token %{other} (netrun expands %h %p %r %n %%)"
                ))
            }
            None => return Err("a lone % at the end (write %% for a percent sign)".into()),
        }
    }
    Ok(out)
}

/// A running ProxyCommand; killed and reaped on drop.
pub struct ProxyChild(Child);

/// How long a failed session waits for its ProxyCommand's exit status, to quote it.
const EXIT_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

impl ProxyChild {
    /// `err` with the ProxyCommand's exit status once it has ended, within `EXIT_WAIT` (a
    /// command that failed closes the socket, which the session sees as the device closing).
    pub fn explain(&mut self, err: TransportError) -> TransportError {
        if let Ok(pidfd) = self.pidfd() {
            let _ = pidfd.exits_before(std::time::Instant::now() + EXIT_WAIT);
        }
        self.with_status(err)
    }

    /// `explain`, awaiting the exit.
    pub async fn explain_async(&mut self, err: TransportError) -> TransportError {
        let registered = self.pidfd().ok().and_then(|pidfd| {
            // SAFETY: the `PidFd` owns an open descriptor, and it is moved into the `AsyncFd`,
            // which neither replaces nor closes it while it holds it.
            unsafe { tokio::io::unix::AsyncFd::register(pidfd) }.ok()
        });
        if let Some(exit) = registered {
            let _ = tokio::time::timeout(EXIT_WAIT, exit.readable()).await;
        }
        self.with_status(err)
    }

    fn pidfd(&self) -> std::io::Result<crate::os::PidFd> {
        crate::os::PidFd::open(crate::os::Pid::from_raw(self.0.id() as i32))
    }

    fn with_status(&mut self, err: TransportError) -> TransportError {
        match self.0.try_wait() {
            Ok(Some(status)) => TransportError::new(
                err.kind,
                format!("{}; the proxy_command ended: {status}", err.message),
            ),
            _ => err,
        }
    }
}

impl Drop for ProxyChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `host`'s ProxyCommand: the socket to run SSH over, and the child to keep until done.
pub fn spawn(template: &str, host: &Host) -> Result<(UnixStream, ProxyChild), TransportError> {
    let command = expand(template, &host.host, host.port, &host.username, &host.host)
        .map_err(|err| TransportError::new(ErrorKind::Local, format!("proxy_command: {err}")))?;
    let failed = |err: std::io::Error| {
        let kind = if super::out_of_descriptors(&err) {
            return super::local_error("starting the proxy_command", &err);
        } else {
            ErrorKind::Connect
        };
        TransportError::new(kind, format!("starting the proxy_command: {err}"))
    };
    let (ours, theirs) = UnixStream::pair().map_err(failed)?;
    let output = theirs.try_clone().map_err(failed)?;
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(&command)
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::from(OwnedFd::from(output)))
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(failed)?;
    Ok((ours, ProxyChild(child)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expand_like_openssh() {
        assert_eq!(
            expand(
                "ssh -W %h:%p -l %r gw # %n 100%%",
                "10.0.0.1",
                22,
                "ops",
                "r1"
            )
            .unwrap(),
            "ssh -W 10.0.0.1:22 -l ops gw # r1 100%"
        );
        assert!(expand("nc %x", "h", 1, "r", "n")
            .unwrap_err()
            .contains("%x"));
        assert!(check("nc %h %").unwrap_err().contains("lone %"));
    }

    #[test]
    fn the_childs_stdio_is_the_socket() {
        use std::io::{Read, Write};
        let host = crate::strategy::testing::jobs(1).remove(0).host;
        // `cat` echoes what the session would send: the socket is both its stdin and stdout.
        let (mut socket, _child) = spawn("cat", &host).unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        socket.write_all(b"SSH-2.0-x\r\n").unwrap();
        let mut echoed = [0u8; 11];
        socket.read_exact(&mut echoed).unwrap();
        assert_eq!(&echoed, b"SSH-2.0-x\r\n");
    }
}

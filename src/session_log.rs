//! `--session-log DIR`: each host's session as raw bytes, both ways in the order they passed
//! (what netrun sent, what the device sent back, as Netmiko's `session_log` with
//! `session_log_record_writes`), written through to `DIR/<name>.log` as the session goes, so a
//! hung session's log ends with what it last saw.
//!
//! Secrets (the password, enable secret, key passphrase, secret-looking data) become `***`. The
//! [`Masker`] core holds back only a tail that could be the start of a secret, so one split
//! across two reads (a device echoing a password slowly) is still masked whole.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::dialogue::mask::Mask;
use crate::job::{Host, Secret};

/// Sans-IO: turns the bytes of a session into the bytes its log may show.
pub(crate) struct Masker {
    mask: Mask,
    secrets: Vec<Vec<u8>>,
    /// Bytes held back: they may be the start of a secret the next chunk completes.
    held: Vec<u8>,
}

impl Masker {
    pub(crate) fn new(secrets: &[Secret]) -> Masker {
        Masker {
            mask: Mask::new(secrets),
            secrets: secrets
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.expose().as_bytes().to_vec())
                .collect(),
            held: Vec::new(),
        }
    }

    /// `chunk`'s bytes (after any held ones) that can be logged now, secrets masked.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.held.extend_from_slice(chunk);
        let mut masked = self.mask.bytes(&self.held).into_owned();
        let hold = self.partial_secret_at_end(&masked);
        self.held = masked.split_off(masked.len() - hold);
        masked
    }

    /// What is still held back, at the end of the session: no whole secret, so it is shown.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }

    /// The length of the longest tail of `bytes` that is a secret's proper beginning.
    fn partial_secret_at_end(&self, bytes: &[u8]) -> usize {
        self.secrets
            .iter()
            .flat_map(|secret| (1..secret.len()).map(move |k| &secret[..k]))
            .filter(|start| bytes.ends_with(start))
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0)
    }
}

/// One host's log file, written through.
pub(crate) struct SessionLog {
    file: File,
    masker: Masker,
    path: PathBuf,
    /// The first write error, reported once; the session goes on without its log.
    failed: bool,
}

impl SessionLog {
    /// Create (or truncate) `dir/<name>.log`, readable by its owner only (it may hold config).
    pub(crate) fn create(dir: &Path, host: &Host) -> io::Result<SessionLog> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = dir.join(format!("{}.log", crate::report::safe_file_name(&host.name)));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)?;
        let secrets: Vec<Secret> = host.secret_values().into_iter().map(Secret::new).collect();
        Ok(SessionLog {
            file,
            masker: Masker::new(&secrets),
            path,
            failed: false,
        })
    }

    /// Log bytes that passed either way.
    pub(crate) fn record(&mut self, bytes: &[u8]) {
        let shown = self.masker.push(bytes);
        self.write(&shown);
    }

    /// Log what was held back; the session is over.
    pub(crate) fn finish(&mut self) {
        let shown = self.masker.finish();
        self.write(&shown);
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.failed || bytes.is_empty() {
            return;
        }
        if let Err(err) = self.file.write_all(bytes) {
            self.failed = true;
            eprintln!(
                "netrun: warning: session log {} stopped: {err}",
                self.path.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(secrets: &[&str], chunks: &[&[u8]]) -> Vec<u8> {
        let secrets: Vec<Secret> = secrets.iter().map(|s| Secret::new(s.to_string())).collect();
        let mut masker = Masker::new(&secrets);
        let mut out: Vec<u8> = chunks.iter().flat_map(|c| masker.push(c)).collect();
        out.extend(masker.finish());
        out
    }

    #[test]
    fn a_secret_split_across_chunks_is_masked_whole() {
        let out = logged(&["s3cr3t"], &[b"Password: s3", b"cr", b"3t\r\nR1>"]);
        assert_eq!(out, b"Password: ***\r\nR1>");
    }

    #[test]
    fn only_a_possible_secret_start_is_held_back() {
        let secrets = [Secret::new("s3cr3t".to_string())];
        let mut masker = Masker::new(&secrets);
        assert_eq!(masker.push(b"R1#show clock\r\n"), b"R1#show clock\r\n");
        assert_eq!(masker.push(b"abc s3c"), b"abc ");
        assert_eq!(masker.push(b"x"), b"s3cx");
        assert_eq!(masker.finish(), b"");
    }

    #[test]
    fn a_session_that_ends_on_a_partial_secret_shows_it() {
        assert_eq!(logged(&["s3cr3t"], &[b"end s3"]), b"end s3");
        assert_eq!(logged(&[], &[b"no ", b"secrets"]), b"no secrets");
    }
}

//! The device player: one simulated device as its servers see it (CLI state, latency, the
//! server-side faults), and the player that sends a CLI session's output to its client with the
//! profile's latency (echo at once, think before output, output paced per KiB, close, stall,
//! flood). The SSH and Telnet servers are built on it; it knows neither.

use std::borrow::Cow;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use crate::device::{CliSession, Device, DeviceSpec, FloodLength, Out};
use crate::lab::{DevicePlan, ENABLE_SECRET, PASSWORD, USERNAME};
use crate::profile::{mix, Delays, Pacer};

/// Output is sent (and paced) in pieces of this size.
const OUTPUT_CHUNK: usize = 16 * 1024;

/// What the flood fault repeats: printable, with no line end and no prompt character (`>`, `#`),
/// so nothing in it can look like the end of an output.
const FLOOD_PATTERN: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// One chunk of flood, built once, so a flood of any length needs no buffer of its own.
static FLOOD_CHUNK: [u8; OUTPUT_CHUNK] = flood_chunk();

const fn flood_chunk() -> [u8; OUTPUT_CHUNK] {
    let mut chunk = [0u8; OUTPUT_CHUNK];
    let mut i = 0;
    while i < OUTPUT_CHUNK {
        chunk[i] = FLOOD_PATTERN[i % FLOOD_PATTERN.len()];
        i += 1;
    }
    chunk
}

/// How long a closed SSH session's connection stays up for the client to go away by itself.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// One simulated device as its servers see it.
pub(crate) struct SimDevice {
    pub device: Arc<Device>,
    pub index: usize,
    pub delays: Delays,
    pub auth_fail: bool,
    /// The reset fault: every accepted connection is reset at once.
    pub reset: bool,
    /// The refuse-first fault: how many more accepted connections are reset.
    refusals_left: AtomicU64,
    lab_seed: u64,
    sessions: AtomicU64,
}

impl SimDevice {
    /// Whether the connection just accepted is to be reset: always under `reset`, and the
    /// first ones under `refuse-first` (each call uses one up).
    pub fn resets_connection(&self) -> bool {
        self.reset
            || self
                .refusals_left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
    }

    /// The latency of a new connection: its own seeded stream (device index, connection number).
    pub fn pacer(&self) -> Pacer {
        let session = self.sessions.fetch_add(1, Ordering::Relaxed);
        Pacer::new(self.delays, self.lab_seed, self.index, session)
    }
}

impl SimDevice {
    /// Device `index` of a lab seeded with `lab_seed`, as `plan` describes it.
    pub fn new(lab_seed: u64, index: usize, plan: &DevicePlan) -> SimDevice {
        let device_seed = mix(lab_seed, index as u64);
        // Under auth-fail the device's own password is one no client knows, so its Telnet login
        // (played by the CLI model) fails too; the SSH server also rejects explicitly.
        let password = if plan.faults.auth_fail {
            format!("auth-fail-{device_seed:016x}")
        } else {
            PASSWORD.to_string()
        };
        let spec = DeviceSpec {
            index,
            hostname: plan.name.clone(),
            seed: device_seed,
            username: USERNAME.to_string(),
            password,
            enable_secret: ENABLE_SECRET.to_string(),
            faults: plan.faults.cli,
            platform: plan.platform,
        };
        let profile = plan.profile.delays();
        SimDevice {
            device: Device::new(spec),
            index,
            delays: if plan.faults.slow {
                profile.slowed()
            } else {
                profile
            },
            auth_fail: plan.faults.auth_fail,
            reset: plan.faults.reset,
            refusals_left: AtomicU64::new(plan.faults.refuse_first.into()),
            lab_seed,
            sessions: AtomicU64::new(0),
        }
    }
}

/// Where a session's output goes.
pub(crate) enum Sink {
    Ssh {
        handle: russh::server::Handle,
        channel: russh::ChannelId,
    },
    Telnet(tokio::net::tcp::OwnedWriteHalf),
}

impl Sink {
    /// Send device output (Telnet doubles 0xff bytes). Over SSH the bytes are handed to russh
    /// as they are: a `Vec<u8>` or a `&'static [u8]` becomes `Bytes` without a copy.
    async fn send(&mut self, bytes: impl Into<Bytes> + AsRef<[u8]>) -> io::Result<()> {
        match self {
            Sink::Ssh { handle, channel } => handle
                .data(*channel, bytes)
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe)),
            Sink::Telnet(w) => w.write_all(&escape_iac(bytes.as_ref())).await,
        }
    }

    /// Send protocol bytes as they are (Telnet negotiation).
    pub async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Ssh { .. } => self.send(bytes.to_vec()).await,
            Sink::Telnet(w) => w.write_all(bytes).await,
        }
    }

    /// End the session the way a router does: the whole connection goes away. Over SSH the
    /// channel closes first and the disconnect follows after a grace period, so a client can
    /// still print what it was sent (OpenSSH drops unwritten output on a disconnect).
    pub async fn close(&mut self) {
        match self {
            Sink::Ssh { handle, channel } => {
                let _ = handle.eof(*channel).await;
                let _ = handle.close(*channel).await;
                let handle = handle.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(CLOSE_GRACE).await;
                    let _ = handle
                        .disconnect(
                            russh::Disconnect::ByApplication,
                            String::new(),
                            String::new(),
                        )
                        .await;
                });
            }
            Sink::Telnet(w) => {
                let _ = w.shutdown().await;
            }
        }
    }
}

/// What a session does after playing some output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Close,
    Stall,
    /// Stream the flood fault's bytes (`Player::flood`) while discarding input, then close.
    Flood(FloodLength),
}

/// Plays a CLI session's output to its client with the profile's latency.
///
/// What is due at the same moment goes out as one write: echo and output are gathered in
/// `pending` and sent before every non-zero pause and at the end of each `play`, so without
/// delays (profile `instant`) one answer is one SSH data message and one socket write instead of
/// one per piece. The bytes and their order are the same either way.
pub(crate) struct Player {
    pacer: Pacer,
    sink: Sink,
    /// The last output asked for a password (login or `enable`): the line that answers it pays
    /// the profile's authentication delay.
    awaiting_password: bool,
    /// Output due now and not yet sent; empty between calls to `play`.
    pending: Vec<u8>,
}

impl Player {
    pub fn new(pacer: Pacer, sink: Sink) -> Player {
        Player {
            pacer,
            sink,
            awaiting_password: false,
            pending: Vec::new(),
        }
    }

    pub fn sink(&mut self) -> &mut Sink {
        &mut self.sink
    }

    /// Feed what the client typed to `cli` and play the answer.
    pub async fn typed(&mut self, cli: &mut CliSession, bytes: &[u8]) -> Flow {
        if self.awaiting_password && bytes.iter().any(|&b| b == b'\r' || b == b'\n') {
            self.awaiting_password = false;
            pause(self.pacer.auth()).await;
        }
        let outs = cli.input(bytes);
        self.play(outs).await
    }

    /// Send what the CLI printed: echo at once, think, pace text, or stop. Whatever is due is
    /// sent before returning, also when the session stops.
    pub async fn play(&mut self, outs: Vec<Out>) -> Flow {
        let flow = self.play_pieces(outs).await;
        if self.flush().await.is_err() {
            return Flow::Close;
        }
        flow
    }

    async fn play_pieces(&mut self, outs: Vec<Out>) -> Flow {
        for out in outs {
            let sent = match out {
                Out::Echo(bytes) => self.queue(&bytes).await,
                Out::Think => {
                    let think = self.pacer.command();
                    self.wait(think).await
                }
                Out::Text(bytes) => {
                    self.awaiting_password = asks_password(&bytes);
                    self.paced(&bytes).await
                }
                Out::Close => return Flow::Close,
                Out::Stall => return Flow::Stall,
                Out::Flood(length) => return Flow::Flood(length),
            };
            if sent.is_err() {
                return Flow::Close;
            }
        }
        Flow::Continue
    }

    /// The flood fault: newline-free bytes as fast as the client takes them (not paced), until
    /// `length` is sent or a write fails. Each write waits for the transport to take the chunk
    /// (TCP's send buffer; over SSH russh stops taking data while the client's window is full),
    /// so the server holds at most a chunk or so per flooding session. The session's driver
    /// also ends the flood when the client closes its side.
    pub async fn flood(&mut self, length: FloodLength) {
        // "Until closed" is a budget no client reads to the end (16 EiB).
        let mut left = match length {
            FloodLength::UntilClosed => u64::MAX,
            FloodLength::Bytes(bytes) => bytes,
        };
        while left > 0 {
            let n = usize::try_from(left).map_or(OUTPUT_CHUNK, |left| left.min(OUTPUT_CHUNK));
            if self.sink.send(&FLOOD_CHUNK[..n]).await.is_err() {
                return;
            }
            left -= n as u64;
        }
    }

    async fn paced(&mut self, bytes: &[u8]) -> io::Result<()> {
        for chunk in bytes.chunks(OUTPUT_CHUNK) {
            let d = self.pacer.output(chunk.len());
            self.wait(d).await?;
            self.queue(chunk).await?;
        }
        Ok(())
    }

    /// Add output that is due now; a full chunk goes out at once, so a long output is still
    /// sent in pieces the transport can take.
    async fn queue(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= OUTPUT_CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// Pause for `d`; what is due before it is sent first.
    async fn wait(&mut self, d: Duration) -> io::Result<()> {
        if !d.is_zero() {
            self.flush().await?;
            pause(d).await;
        }
        Ok(())
    }

    /// Send the pending output, if any.
    async fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.pending);
        self.sink.send(bytes).await
    }
}

/// Whether printed text ends with a password prompt.
fn asks_password(text: &[u8]) -> bool {
    let trimmed = text.trim_ascii_end();
    trimmed.len() >= 9 && trimmed[trimmed.len() - 9..].eq_ignore_ascii_case(b"password:")
}

/// The testbed's latency simulation: sleeping is its job.
pub(crate) async fn pause(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

/// Telnet's IAC byte: in data it is sent twice.
const IAC: u8 = 0xff;

/// Output bytes with every 0xff doubled (IAC IAC), as RFC 854 requires for data.
pub fn escape_iac(bytes: &[u8]) -> Cow<'_, [u8]> {
    if !bytes.contains(&IAC) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for &b in bytes {
        out.push(b);
        if b == IAC {
            out.push(IAC);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_prompts_are_recognised() {
        assert!(asks_password(b"\r\nPassword: "));
        assert!(asks_password(b"password:"));
        assert!(!asks_password(b"Username: "));
        assert!(!asks_password(b"R1#"));
    }
}

//! The running lab: one tokio runtime on a background thread, one listener per device and
//! transport, accept loops (which play the reset fault), and the shared player that sends a CLI's
//! output with the profile's latency (echo at once, think before output, output paced per KiB,
//! close, stall, flood).

use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::device::{CliSession, Device, DeviceSpec, FloodLength, Out, Platform};
use crate::lab::{LabConfig, LabError};
use crate::profile::{mix, Delays, Pacer};
use crate::{fdlimit, ports, ssh, telnet};

/// Worker threads of the lab's runtime: the testbed is I/O-bound and shares a small machine with
/// the client it serves.
const WORKER_THREADS: usize = 2;

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

/// Credentials every device accepts (the book's).
pub const USERNAME: &str = "cisco";
pub const PASSWORD: &str = "cisco";
pub const ENABLE_SECRET: &str = "cisco";

/// Where one device can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEndpoint {
    /// `R1`, `R2`, ...
    pub name: String,
    /// The SSH port, if the device speaks SSH (refused devices keep their port number: it is
    /// simply not listened on).
    pub ssh_port: Option<u16>,
    /// The Telnet port, if the device speaks Telnet.
    pub telnet_port: Option<u16>,
    /// Offers only the legacy SSH algorithms.
    pub legacy: bool,
    /// Under the `refuse` fault: nothing listens on its ports.
    pub refused: bool,
    /// Which vendor's CLI it plays.
    pub platform: Platform,
}

/// A lab serving on a background runtime; stopped by `stop()` or on drop.
#[derive(Debug)]
pub struct RunningLab {
    address: IpAddr,
    endpoints: Vec<DeviceEndpoint>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningLab {
    pub fn address(&self) -> IpAddr {
        self.address
    }

    /// Every device, in order (R1 first).
    pub fn devices(&self) -> &[DeviceEndpoint] {
        &self.endpoints
    }

    /// The inventory of this lab in the book's devices.yaml shape.
    pub fn inventory(&self) -> Vec<crate::inventory::InventoryEntry> {
        crate::inventory::entries(self.address, &self.endpoints)
    }

    /// Stop serving: every listener and session is closed when this returns.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningLab {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// One simulated device as its servers see it.
pub(crate) struct SimDevice {
    pub device: Arc<Device>,
    pub index: usize,
    pub delays: Delays,
    pub auth_fail: bool,
    /// The reset fault: every accepted connection is reset at once.
    pub reset: bool,
    lab_seed: u64,
    sessions: AtomicU64,
}

impl SimDevice {
    /// The latency of a new connection: its own seeded stream (device index, connection number).
    pub fn pacer(&self) -> Pacer {
        let session = self.sessions.fetch_add(1, Ordering::Relaxed);
        Pacer::new(self.delays, self.lab_seed, self.index, session)
    }
}

/// Start serving `config` on a new background thread; returns once every listener is bound.
pub(crate) fn start(config: LabConfig) -> Result<RunningLab, LabError> {
    let listeners = config.listener_count();
    fdlimit::ensure_room(listeners, config.devices.len())?;
    let (ready_tx, ready_rx) = std_mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let address = config.address;
    let thread = std::thread::Builder::new()
        .name("testbed".into())
        .spawn(move || serve(config, ready_tx, stop_rx))
        .map_err(LabError::Thread)?;
    match ready_rx.recv() {
        Ok(Ok(endpoints)) => Ok(RunningLab {
            address,
            endpoints,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(LabError::Thread(io::Error::other(
                "the lab thread ended early",
            )))
        }
    }
}

type Ready = std_mpsc::Sender<Result<Vec<DeviceEndpoint>, LabError>>;

/// The lab thread: build the runtime, bind, report, serve until told to stop.
fn serve(config: LabConfig, ready: Ready, stop: oneshot::Receiver<()>) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .thread_name("testbed-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(LabError::Thread(e)));
            return;
        }
    };
    runtime.block_on(async move {
        match bind_and_spawn(&config).await {
            Ok(endpoints) => {
                let _ = ready.send(Ok(endpoints));
                let _ = stop.await;
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        }
    });
    // Dropping the runtime cancels every accept loop and session, closing their sockets.
    runtime.shutdown_timeout(Duration::from_secs(2));
}

async fn bind_and_spawn(config: &LabConfig) -> Result<Vec<DeviceEndpoint>, LabError> {
    let ports::BoundPorts {
        ssh_base,
        ssh: ssh_listeners,
        telnet_base,
        telnet: telnet_listeners,
    } = ports::bind(config)?;
    let keys = ssh::HostKeys::generate();
    // One SSH configuration per (platform, legacy) in use: the identification is per platform.
    let mut ssh_configs: Vec<((Platform, bool), ssh::ServerConfig)> = Vec::new();
    let mut endpoints = Vec::with_capacity(config.devices.len());
    let mut ssh_listeners = ssh_listeners.into_iter();
    let mut telnet_listeners = telnet_listeners.into_iter();
    for (index, plan) in config.devices.iter().enumerate() {
        let sim = Arc::new(sim_device(config.seed, index, plan));
        // One slot per device in each list (None where nothing listens), consumed in step.
        if let Some(listener) = ssh_listeners.next().flatten() {
            let kind = (plan.platform, plan.legacy);
            let cfg = match ssh_configs.iter().find(|(k, _)| *k == kind) {
                Some((_, cfg)) => cfg.clone(),
                None => {
                    let cfg = ssh::server_config(
                        &keys,
                        plan.legacy,
                        &config.authorized_keys,
                        plan.platform.personality().ssh_server_id,
                    );
                    ssh_configs.push((kind, cfg.clone()));
                    cfg
                }
            };
            tokio::spawn(accept_ssh(listener, sim.clone(), cfg));
        }
        if let Some(listener) = telnet_listeners.next().flatten() {
            tokio::spawn(accept_telnet(listener, sim.clone()));
        }
        let port = |base: u16, on: bool| on.then(|| base + index as u16);
        endpoints.push(DeviceEndpoint {
            name: plan.name.clone(),
            ssh_port: port(ssh_base, plan.transport.ssh()),
            telnet_port: port(telnet_base, plan.transport.telnet()),
            legacy: plan.legacy,
            refused: plan.faults.refuse,
            platform: plan.platform,
        });
    }
    Ok(endpoints)
}

fn sim_device(lab_seed: u64, index: usize, plan: &crate::lab::DevicePlan) -> SimDevice {
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
        lab_seed,
        sessions: AtomicU64::new(0),
    }
}

async fn accept_ssh(listener: TcpListener, sim: Arc<SimDevice>, config: ssh::ServerConfig) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) if sim.reset => reset(stream),
            Ok((stream, _)) => {
                tokio::spawn(ssh::serve(stream, sim.clone(), config.clone()));
            }
            Err(e) => accept_failed(&listener, e).await,
        }
    }
}

async fn accept_telnet(listener: TcpListener, sim: Arc<SimDevice>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) if sim.reset => reset(stream),
            Ok((stream, _)) => {
                tokio::spawn(telnet::serve(stream, sim.clone()));
            }
            Err(e) => accept_failed(&listener, e).await,
        }
    }
}

/// The reset fault: close an accepted connection with a zero linger time, which aborts it: the
/// kernel sends a TCP RST instead of a FIN, before any byte, so the client's next read (or
/// write) fails with ECONNRESET.
// Tokio deprecates SO_LINGER because a non-zero linger makes the drop block the thread; a zero
// linger never blocks (nothing is flushed, the socket is discarded at once).
#[allow(deprecated)]
fn reset(stream: tokio::net::TcpStream) {
    if let Err(e) = stream.set_linger(Some(Duration::ZERO)) {
        eprintln!("netrun-testbed: cannot reset a connection (SO_LINGER): {e}");
    }
    drop(stream);
}

/// Out of file descriptors (or another transient accept error): say so and back off briefly
/// instead of spinning; the connection waits in the backlog.
async fn accept_failed(listener: &TcpListener, e: io::Error) {
    let at = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    eprintln!("netrun-testbed: accept on {at} failed: {e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
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
    /// Send device output (Telnet doubles 0xff bytes).
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Ssh { handle, channel } => handle
                .data(*channel, bytes.to_vec())
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe)),
            Sink::Telnet(w) => w.write_all(&telnet::escape_iac(bytes)).await,
        }
    }

    /// Send protocol bytes as they are (Telnet negotiation).
    pub async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Ssh { .. } => self.write(bytes).await,
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
pub(crate) struct Player {
    pacer: Pacer,
    sink: Sink,
    /// The last output asked for a password (login or `enable`): the line that answers it pays
    /// the profile's authentication delay.
    awaiting_password: bool,
}

impl Player {
    pub fn new(pacer: Pacer, sink: Sink) -> Player {
        Player {
            pacer,
            sink,
            awaiting_password: false,
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

    /// Send what the CLI printed: echo at once, think, pace text, or stop.
    pub async fn play(&mut self, outs: Vec<Out>) -> Flow {
        for out in outs {
            let sent = match out {
                Out::Echo(bytes) => self.sink.write(&bytes).await,
                Out::Think => {
                    pause(self.pacer.command()).await;
                    Ok(())
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
            if self.sink.write(&FLOOD_CHUNK[..n]).await.is_err() {
                return;
            }
            left -= n as u64;
        }
    }

    async fn paced(&mut self, bytes: &[u8]) -> io::Result<()> {
        for chunk in bytes.chunks(OUTPUT_CHUNK) {
            pause(self.pacer.output(chunk.len())).await;
            self.sink.write(chunk).await?;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{Lab, Transport};
    use crate::profile::ProfileName;
    use std::io::{BufRead, BufReader, Read};
    use std::net::TcpStream;

    fn first_bytes(port: u16, n: usize) -> Vec<u8> {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = vec![0; n];
        (&stream).read_exact(&mut buf).unwrap();
        buf
    }

    #[test]
    fn a_lab_serves_both_transports_until_stopped() {
        let mut config = LabConfig::new(3, ProfileName::Instant);
        config.devices[2].transport = Transport::Both;
        config.apply_fault(&"refuse:R2".parse().unwrap()).unwrap();
        let lab = Lab::start(config).unwrap();
        let [r1, r2, r3] = [0, 1, 2].map(|i| lab.devices()[i].clone());
        assert!(r2.refused && r2.ssh_port.is_some());
        assert!(TcpStream::connect(("127.0.0.1", r2.ssh_port.unwrap())).is_err());

        let banner = TcpStream::connect(("127.0.0.1", r1.ssh_port.unwrap())).unwrap();
        let mut line = String::new();
        BufReader::new(banner).read_line(&mut line).unwrap();
        assert_eq!(line, "SSH-2.0-Cisco-1.25\r\n");
        assert_eq!(
            first_bytes(r3.telnet_port.unwrap(), telnet::GREETING.len()),
            telnet::GREETING
        );
        assert_eq!(lab.inventory()[2].telnet_port, r3.telnet_port);

        let r1_port = r1.ssh_port.unwrap();
        lab.stop();
        assert!(TcpStream::connect(("127.0.0.1", r1_port)).is_err());
    }

    #[test]
    fn password_prompts_are_recognised() {
        assert!(asks_password(b"\r\nPassword: "));
        assert!(asks_password(b"password:"));
        assert!(!asks_password(b"Username: "));
        assert!(!asks_password(b"R1#"));
    }
}

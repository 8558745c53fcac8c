//! The running lab: `Lab::start` checks the fd budget, binds the ports, and serves on one tokio
//! runtime on a background thread: one listener per device and transport, accept loops (which
//! play the reset and refuse-first faults) handing connections to the SSH and Telnet servers.

use std::io;
use std::net::IpAddr;
use std::sync::{mpsc as std_mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::device::Platform;
use crate::lab::{DeviceEndpoint, LabConfig, LabError};
use crate::player::SimDevice;
use crate::{fdlimit, ports, ssh, telnet};

/// Worker threads of the lab's runtime: the testbed is I/O-bound and shares a small machine with
/// the client it serves.
const WORKER_THREADS: usize = 2;

/// Starts labs in this process.
pub struct Lab;

impl Lab {
    /// Bind every listener and serve on a background runtime thread (2 worker threads) until the
    /// returned lab is stopped or dropped.
    pub fn start(config: LabConfig) -> anyhow::Result<RunningLab> {
        if config.devices.is_empty() {
            return Err(LabError::Empty.into());
        }
        Ok(start(config)?)
    }
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
        crate::inventory::entries(&self.endpoints)
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

/// Start serving `config` on a new background thread; returns once every listener is bound.
fn start(config: LabConfig) -> Result<RunningLab, LabError> {
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
    let auth_log = match &config.auth_log {
        Some(path) => Some(Arc::new(ssh::AuthLog::open(path).map_err(|error| {
            LabError::AuthLog {
                path: path.clone(),
                error,
            }
        })?)),
        None => None,
    };
    // One SSH configuration per (platform, legacy) in use: the identification is per platform.
    let mut ssh_configs: Vec<((Platform, bool), ssh::ServerConfig)> = Vec::new();
    let mut endpoints = Vec::with_capacity(config.devices.len());
    let mut ssh_listeners = ssh_listeners.into_iter();
    let mut telnet_listeners = telnet_listeners.into_iter();
    for (index, plan) in config.devices.iter().enumerate() {
        let sim = Arc::new(SimDevice::new(
            config.seed,
            config.first_index + index,
            plan,
        ));
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
                        auth_log.clone(),
                        config.password_auth,
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
        let port = |base: u16, on: bool| on.then(|| config.socket_of(index, base).port());
        endpoints.push(DeviceEndpoint {
            name: plan.name.clone(),
            address: config.socket_of(index, 0).ip(),
            ssh_port: port(ssh_base, plan.transport.ssh()),
            telnet_port: port(telnet_base, plan.transport.telnet()),
            legacy: plan.legacy,
            refused: plan.faults.refuse,
            host_key: plan.transport.ssh().then(|| keys.public(plan.legacy)),
            platform: plan.platform,
        });
    }
    Ok(endpoints)
}

async fn accept_ssh(listener: TcpListener, sim: Arc<SimDevice>, config: ssh::ServerConfig) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) if sim.resets_connection() => reset(stream),
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
            Ok((stream, _)) if sim.resets_connection() => reset(stream),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Transport;
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
}

//! Port ranges: device i listens on `base + i` per transport; fixed bases are bound as given,
//! `Auto` bases are searched from a random start, outside the kernel's ephemeral port range first
//! (a client socket in TIME_WAIT there makes binding fail), stepping past ports in use.

use std::io;
use std::net::{IpAddr, SocketAddr};

use rand::Rng;
use tokio::net::{TcpListener, TcpSocket};

use crate::lab::{LabConfig, LabError, PortChoice};

/// Listen backlog per port, so a burst of hundreds of logins on one device is not dropped.
const BACKLOG: u32 = 1024;

/// Automatic ranges start here (well above the registered services people run locally).
const AUTO_PORT_LOW: u16 = 20000;

/// Linux's default ephemeral range, if /proc does not say otherwise.
const DEFAULT_EPHEMERAL: (u16, u16) = (32768, 60999);

/// One listener slot per device (`None` where nothing listens).
pub(crate) type Listeners = Vec<Option<TcpListener>>;

/// The bound listeners of a lab and the bases their ports count from.
pub(crate) struct BoundPorts {
    pub ssh_base: u16,
    pub ssh: Listeners,
    pub telnet_base: u16,
    pub telnet: Listeners,
}

/// Bind every listener `config` needs. Must run inside the lab's runtime (listeners register with
/// its reactor).
pub(crate) fn bind(config: &LabConfig) -> Result<BoundPorts, LabError> {
    let n = config.devices.len();
    let wanted = |speaks: fn(&crate::lab::DevicePlan) -> bool| -> Vec<bool> {
        config
            .devices
            .iter()
            .map(|d| speaks(d) && !d.faults.refuse)
            .collect()
    };
    let wants_ssh = wanted(|d| d.transport.ssh());
    let wants_telnet = wanted(|d| d.transport.telnet());
    let any_ssh = config.devices.iter().any(|d| d.transport.ssh());
    let any_telnet = config.devices.iter().any(|d| d.transport.telnet());
    let address = config.address;
    match (any_ssh, any_telnet, config.ssh_port, config.telnet_port) {
        // Both automatic: one range of 2N ports, SSH first, so a single free window suffices.
        (true, true, PortChoice::Auto, PortChoice::Auto) => {
            let (base, (ssh, telnet)) = auto(address, 2 * n, None, |base| {
                let ssh = bind_all(address, base, &wants_ssh)?;
                let telnet = bind_all(address, base + n as u16, &wants_telnet)?;
                Ok((ssh, telnet))
            })?;
            Ok(BoundPorts {
                ssh_base: base,
                ssh,
                telnet_base: base + n as u16,
                telnet,
            })
        }
        _ => {
            let (ssh_base, ssh) = if any_ssh {
                bind_range(address, config.ssh_port, &wants_ssh, None)?
            } else {
                (0, Vec::new())
            };
            let taken = any_ssh.then_some((ssh_base, n));
            let (telnet_base, telnet) = if any_telnet {
                bind_range(address, config.telnet_port, &wants_telnet, taken)?
            } else {
                (0, Vec::new())
            };
            Ok(BoundPorts {
                ssh_base,
                ssh,
                telnet_base,
                telnet,
            })
        }
    }
}

fn bind_range(
    address: IpAddr,
    choice: PortChoice,
    wanted: &[bool],
    taken: Option<(u16, usize)>,
) -> Result<(u16, Listeners), LabError> {
    match choice {
        PortChoice::Base(base) => {
            check_range(base, wanted.len())?;
            Ok((base, bind_all(address, base, wanted)?))
        }
        PortChoice::Auto => auto(address, wanted.len(), taken, |base| {
            bind_all(address, base, wanted)
        }),
    }
}

/// Find a base for `span` consecutive ports that `try_bind` can bind. Each window of possible
/// bases is scanned from a random start (so parallel labs spread out), wrapping once; a port in
/// use at `p` moves the next try to `p + 1`, so every try advances and the scan is bounded by
/// the number of ports. Errors other than "in use" are final.
fn auto<T>(
    address: IpAddr,
    span: usize,
    taken: Option<(u16, usize)>,
    mut try_bind: impl FnMut(u16) -> Result<T, LabError>,
) -> Result<(u16, T), LabError> {
    let mut rng = rand::rng();
    for (low, high) in auto_windows(span, ephemeral_range()) {
        let start = rng.random_range(low..=high);
        let segments = [(start, high), (low, start.saturating_sub(1))];
        for (first, last) in segments.into_iter().filter(|(f, l)| f <= l && *f >= low) {
            let mut base = usize::from(first);
            while base <= usize::from(last) {
                if let Some(end) = overlap_end(base, span, taken) {
                    base = end;
                    continue;
                }
                match try_bind(base as u16) {
                    Ok(bound) => return Ok((base as u16, bound)),
                    Err(LabError::Bind { addr, error })
                        if error.kind() == io::ErrorKind::AddrInUse =>
                    {
                        base = usize::from(addr.port()) + 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Err(LabError::NoFreePorts {
        address,
        ports: span,
        from: AUTO_PORT_LOW,
    })
}

/// The ranges of possible base ports (inclusive) for `span` consecutive ports above
/// `AUTO_PORT_LOW`: first those outside the ephemeral range, then anywhere (a client socket in
/// TIME_WAIT inside the ephemeral range blocks a port; the scan steps past it).
fn auto_windows(span: usize, (eph_low, eph_high): (u16, u16)) -> Vec<(u16, u16)> {
    let fit = |low: usize, high: usize| -> Option<(u16, u16)> {
        // Bases b with low <= b and b + span - 1 <= high.
        let last = (high + 1).checked_sub(span)?;
        (last >= low).then_some((low as u16, last as u16))
    };
    let (low, top) = (usize::from(AUTO_PORT_LOW), usize::from(u16::MAX));
    [
        fit(low, usize::from(eph_low).saturating_sub(1)),
        fit(usize::from(eph_high) + 1, top),
        fit(low, top),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut it = text.split_whitespace().map(|s| s.parse::<u16>());
            Some((it.next()?.ok()?, it.next()?.ok()?))
        })
        .unwrap_or(DEFAULT_EPHEMERAL)
}

fn check_range(base: u16, count: usize) -> Result<(), LabError> {
    if base == 0 || usize::from(base) + count > 65536 {
        return Err(LabError::PortRange {
            base,
            devices: count,
        });
    }
    Ok(())
}

/// Where the range `taken` ends, if `span` ports from `base` would overlap it.
fn overlap_end(base: usize, span: usize, taken: Option<(u16, usize)>) -> Option<usize> {
    let (other, count) = taken?;
    let (start, end) = (usize::from(other), usize::from(other) + count);
    (base < end && start < base + span).then_some(end)
}

fn bind_all(address: IpAddr, base: u16, wanted: &[bool]) -> Result<Listeners, LabError> {
    wanted
        .iter()
        .enumerate()
        .map(|(i, &on)| {
            if !on {
                return Ok(None);
            }
            let addr = SocketAddr::new(address, base + i as u16);
            listen(addr)
                .map(Some)
                .map_err(|error| LabError::Bind { addr, error })
        })
        .collect()
}

fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_ranges_are_detected() {
        assert_eq!(overlap_end(100, 10, Some((105, 10))), Some(115));
        assert_eq!(overlap_end(105, 10, Some((100, 10))), Some(110));
        assert_eq!(overlap_end(100, 10, Some((110, 10))), None);
        assert_eq!(overlap_end(100, 10, None), None);
    }

    #[test]
    fn ranges_past_the_last_port_are_refused() {
        assert!(check_range(65530, 6).is_ok());
        assert!(check_range(65530, 7).is_err());
        assert!(check_range(0, 1).is_err());
    }

    #[test]
    fn automatic_ranges_avoid_the_ephemeral_ports() {
        let eph = (32768, 60999);
        assert_eq!(
            auto_windows(10, eph),
            vec![(20000, 32758), (61000, 65526), (20000, 65526)]
        );
        assert_eq!(
            auto_windows(10920, eph),
            vec![(20000, 21848), (20000, 54616)]
        );
        assert_eq!(auto_windows(20000, eph), vec![(20000, 45536)]);
        assert_eq!(auto_windows(50000, eph), vec![]);
    }
}

//! Port ranges: device i listens on `base + i` per transport; fixed bases are bound as given,
//! `Auto` bases are searched outside the kernel's ephemeral port range (read from /proc), where
//! any client socket may take a port at any moment, and only inside it when no range outside
//! fits. Each search window is scanned from a random start so parallel labs spread out; a port
//! found in use moves the next try past it, so a collision is retried with another range rather
//! than failing the lab.

use std::io;
use std::net::{IpAddr, SocketAddr};

use rand::Rng;
use tokio::net::{TcpListener, TcpSocket};

use crate::lab::{LabConfig, LabError, PortChoice};

/// Listen backlog per port, so a burst of hundreds of logins on one device is not dropped.
const BACKLOG: u32 = 1024;

/// Automatic ranges start here (well above the registered services people run locally).
const AUTO_PORT_LOW: u16 = 20000;

/// When no window outside the ephemeral range fits above `AUTO_PORT_LOW`, automatic ranges may
/// reach down to here (the testbed's own default is 10022; the common local services, databases
/// and web servers, sit below).
const AUTO_PORT_FLOOR: u16 = 10000;

/// Linux's default ephemeral range, if /proc does not say otherwise.
const DEFAULT_EPHEMERAL: (u16, u16) = (32768, 60999);

/// Where the kernel's ephemeral port range is published.
const EPHEMERAL_RANGE_FILE: &str = "/proc/sys/net/ipv4/ip_local_port_range";

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
    if !config.device_addresses.is_empty() {
        return bind_per_address(config, (any_ssh, &wants_ssh), (any_telnet, &wants_telnet));
    }
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

/// Devices at their own addresses: each binds its address on the base port of each transport.
fn bind_per_address(
    config: &LabConfig,
    (any_ssh, wants_ssh): (bool, &[bool]),
    (any_telnet, wants_telnet): (bool, &[bool]),
) -> Result<BoundPorts, LabError> {
    let base = |any: bool, choice: PortChoice| match (any, choice) {
        (false, _) => Ok(0),
        (true, PortChoice::Base(0) | PortChoice::Auto) => Err(LabError::AutoPortPerAddress),
        (true, PortChoice::Base(port)) => Ok(port),
    };
    let (ssh_base, telnet_base) = (
        base(any_ssh, config.ssh_port)?,
        base(any_telnet, config.telnet_port)?,
    );
    let each = |base: u16, wanted: &[bool]| -> Result<Listeners, LabError> {
        wanted
            .iter()
            .enumerate()
            .map(|(i, &on)| {
                if !on {
                    return Ok(None);
                }
                let addr = config.socket_of(i, base);
                listen(addr)
                    .map(Some)
                    .map_err(|error| LabError::Bind { addr, error })
            })
            .collect()
    };
    Ok(BoundPorts {
        ssh_base,
        ssh: each(ssh_base, wants_ssh)?,
        telnet_base,
        telnet: each(telnet_base, wants_telnet)?,
    })
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

/// Find a base for `span` consecutive ports that `try_bind` can bind, in the windows
/// [`auto_windows`] gives for this machine's ephemeral range.
fn auto<T>(
    address: IpAddr,
    span: usize,
    taken: Option<(u16, usize)>,
    try_bind: impl FnMut(u16) -> Result<T, LabError>,
) -> Result<(u16, T), LabError> {
    let mut rng = rand::rng();
    let windows = auto_windows(span, ephemeral_range());
    search(
        &windows,
        span,
        taken,
        |low, high| rng.random_range(low..=high),
        try_bind,
    )?
    .ok_or(LabError::NoFreePorts {
        address,
        ports: span,
        from: AUTO_PORT_FLOOR,
    })
}

/// Try bases in each window of possible bases (inclusive) in turn, from the start `start_in`
/// picks inside it, wrapping once. A port in use at `p` moves the next try to `p + 1`: every
/// range that holds `p` is skipped at once, and since every try advances, a window of W bases
/// takes at most W tries. Ranges overlapping `taken` (the other transport's) are skipped.
/// Errors other than "in use" are final; `None` when every window is exhausted.
fn search<T>(
    windows: &[(u16, u16)],
    span: usize,
    taken: Option<(u16, usize)>,
    mut start_in: impl FnMut(u16, u16) -> u16,
    mut try_bind: impl FnMut(u16) -> Result<T, LabError>,
) -> Result<Option<(u16, T)>, LabError> {
    for &(low, high) in windows {
        let start = start_in(low, high).clamp(low, high);
        let segments = [(start, high), (low, start.saturating_sub(1))];
        for (first, last) in segments.into_iter().filter(|(f, l)| f <= l && *f >= low) {
            let mut base = usize::from(first);
            while base <= usize::from(last) {
                if let Some(end) = overlap_end(base, span, taken) {
                    base = end;
                    continue;
                }
                match try_bind(base as u16) {
                    Ok(bound) => return Ok(Some((base as u16, bound))),
                    Err(LabError::Bind { addr, error })
                        if error.kind() == io::ErrorKind::AddrInUse =>
                    {
                        base = usize::from(addr.port()).max(base) + 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(None)
}

/// The windows of possible base ports (inclusive) for `span` consecutive ports, best first:
/// outside the ephemeral range above `AUTO_PORT_LOW`, then outside it above `AUTO_PORT_FLOOR`,
/// and only as a last resort anywhere above them (inside the ephemeral range a port can be
/// taken by a client socket; the search steps past it).
fn auto_windows(span: usize, (eph_low, eph_high): (u16, u16)) -> Vec<(u16, u16)> {
    let fit = |low: usize, high: usize| -> Option<(u16, u16)> {
        // Bases b with low <= b and b + span - 1 <= high.
        let last = (high + 1).checked_sub(span)?;
        (last >= low).then_some((low as u16, last as u16))
    };
    let top = usize::from(u16::MAX);
    let floors = [AUTO_PORT_LOW, AUTO_PORT_FLOOR].map(usize::from);
    let outside = floors.into_iter().flat_map(|floor| {
        [
            fit(floor, usize::from(eph_low).saturating_sub(1)),
            fit(floor.max(usize::from(eph_high) + 1), top),
        ]
    });
    let anywhere = floors.into_iter().map(|floor| fit(floor, top));
    let mut windows: Vec<(u16, u16)> = Vec::new();
    for window in outside.chain(anywhere).flatten() {
        if !windows.contains(&window) {
            windows.push(window);
        }
    }
    windows
}

/// The kernel's ephemeral port range; Linux's default when it cannot be read or makes no sense.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string(EPHEMERAL_RANGE_FILE)
        .ok()
        .and_then(|text| parse_port_range(&text))
        .unwrap_or(DEFAULT_EPHEMERAL)
}

/// `"32768\t60999\n"` → (32768, 60999); `None` unless two ports, low ≤ high.
fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    let mut ports = text.split_whitespace().map(str::parse::<u16>);
    let (low, high) = (ports.next()?.ok()?, ports.next()?.ok()?);
    (ports.next().is_none() && 0 < low && low <= high).then_some((low, high))
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

    /// Whether `span` ports from every base of `window` stay clear of `eph`.
    fn outside(window: (u16, u16), span: usize, eph: (u16, u16)) -> bool {
        let last_port = usize::from(window.1) + span - 1;
        last_port < usize::from(eph.0) || usize::from(window.0) > usize::from(eph.1)
    }

    #[test]
    fn automatic_ranges_avoid_the_ephemeral_ports() {
        let eph = (32768, 60999);
        assert_eq!(
            auto_windows(10, eph),
            vec![
                (20000, 32758),
                (61000, 65526),
                (10000, 32758),
                (20000, 65526),
                (10000, 65526)
            ]
        );
        assert_eq!(
            auto_windows(10920, eph),
            vec![
                (20000, 21848),
                (10000, 21848),
                (20000, 54616),
                (10000, 54616)
            ]
        );
        // Too wide for 20000..32767 but not for 10000..32767: still outside the ephemeral range.
        assert_eq!(
            auto_windows(20000, eph),
            vec![(10000, 12768), (20000, 45536), (10000, 45536)]
        );
        assert_eq!(auto_windows(50000, eph), vec![(10000, 15536)]);
        assert_eq!(auto_windows(60000, eph), vec![]);
    }

    #[test]
    fn windows_outside_the_ephemeral_range_come_first_whatever_the_range() {
        for eph in [
            (32768, 60999),
            (15000, 65000),
            (1024, 65535),
            (40000, 45000),
        ] {
            for span in [1, 10, 5000, 12000, 30000] {
                let windows = auto_windows(span, eph);
                let inside_from = windows
                    .iter()
                    .position(|&w| !outside(w, span, eph))
                    .unwrap_or(windows.len());
                assert!(
                    windows[inside_from..]
                        .iter()
                        .all(|&w| !outside(w, span, eph)),
                    "{eph:?} span {span}: {windows:?}"
                );
                assert!(
                    windows.iter().all(|&(low, high)| low >= AUTO_PORT_FLOOR
                        && low <= high
                        && usize::from(high) + span - 1 <= 65535),
                    "{eph:?} span {span}: {windows:?}"
                );
            }
        }
        // A kernel range starting at 15000 leaves 10000..14999 outside it.
        assert_eq!(
            auto_windows(3000, (15000, 65000)),
            [(10000, 12000), (20000, 62536), (10000, 62536)]
        );
        // A kernel range over everything leaves only the last resort.
        assert_eq!(
            auto_windows(10, (1024, 65535)),
            vec![(20000, 65526), (10000, 65526)]
        );
    }

    #[test]
    fn the_ephemeral_range_is_read_or_defaulted() {
        assert_eq!(parse_port_range("32768\t60999\n"), Some((32768, 60999)));
        assert_eq!(parse_port_range(" 1024 65535 "), Some((1024, 65535)));
        for bad in [
            "",
            "32768",
            "60999 32768",
            "0 100",
            "a b",
            "1 2 3",
            "1 70000",
        ] {
            assert_eq!(parse_port_range(bad), None, "{bad:?}");
        }
        let (low, high) = ephemeral_range();
        assert!(0 < low && low <= high);
    }

    /// A runtime for tokio's listeners (`bind_all` registers them with its reactor).
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap()
    }

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    /// `count` consecutive loopback ports known free: all bound here, then all but the last
    /// released. Returns the first port and the listener holding the last one (the collision).
    fn free_block_ending_in_use(count: u16) -> (u16, std::net::TcpListener) {
        for _ in 0..100 {
            let probe = std::net::TcpListener::bind((LOOPBACK, 0)).unwrap();
            let first = probe.local_addr().unwrap().port();
            if !(1024..=65000).contains(&first) {
                continue;
            }
            let rest: Result<Vec<_>, _> = (first + 1..first + count)
                .map(|port| std::net::TcpListener::bind((LOOPBACK, port)))
                .collect();
            if let Ok(mut held) = rest {
                let last = held.pop().unwrap_or(probe);
                return (first, last);
            }
        }
        panic!("no {count} free consecutive loopback ports in 100 tries");
    }

    #[test]
    fn a_collision_is_retried_past_the_port_in_use() {
        let rt = runtime();
        let _context = rt.enter();
        // A would-be range of 5 from `start` with a port taken by someone else in its middle.
        let (start, occupied) = free_block_ending_in_use(3);
        let in_use = occupied.local_addr().unwrap().port();
        assert_eq!(in_use, start + 2);
        let windows = [(start - 50, start + 200)];
        let mut tries = Vec::new();
        let found = search(
            &windows,
            5,
            None,
            |_, _| start,
            |base| {
                tries.push(base);
                bind_all(LOOPBACK, base, &[true; 5])
            },
        )
        .unwrap();
        let (base, listeners) = found.expect("a free range past the port in use");
        assert_eq!(
            tries[..2],
            [start, in_use + 1],
            "retried right past the collision"
        );
        assert!(base > in_use, "{base} must not cover {in_use}");
        assert_eq!(listeners.len(), 5);
        for (i, listener) in listeners.iter().enumerate() {
            let port = listener.as_ref().unwrap().local_addr().unwrap().port();
            assert_eq!(port, base + i as u16);
        }
        // The failed try released what it had bound: the ports before the collision are free.
        drop(listeners);
        bind_all(LOOPBACK, start, &[true; 2]).expect("ports of the failed try were released");
    }

    #[test]
    fn a_window_full_of_collisions_is_exhausted_not_looped() {
        let rt = runtime();
        let _context = rt.enter();
        let (first, occupied) = free_block_ending_in_use(4);
        let in_use = occupied.local_addr().unwrap().port();
        assert_eq!(in_use, first + 3);
        // Every base of this window covers the port in use.
        let windows = [(in_use - 3, in_use)];
        let mut tries = 0;
        let found = search(
            &windows,
            4,
            None,
            |low, _| low + 1,
            |base| {
                tries += 1;
                bind_all(LOOPBACK, base, &[true; 4])
            },
        )
        .unwrap();
        assert!(found.is_none());
        // From in_use-2: one try, collides, steps past the window; then from in_use-3: one try.
        assert_eq!(tries, 2);
    }

    #[test]
    fn devices_at_their_own_addresses_share_one_port() {
        // A loopback /29 of its own (all of 127.0.0.0/8 is local on Linux), port picked free.
        let seed = std::process::id();
        let prefix = format!("127.{}.{}", 100 + seed % 100, seed / 100 % 250);
        let port = std::net::TcpListener::bind((LOOPBACK, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = LabConfig::new(3, crate::ProfileName::Instant);
        let spec: crate::lab::AddressSpec = format!("{prefix}.0/29").parse().unwrap();
        config.device_addresses = spec.device_addresses(3).unwrap();
        config.ssh_port = PortChoice::Base(port);
        let rt = runtime();
        let _context = rt.enter();
        let bound = bind(&config).unwrap();
        let addrs: Vec<SocketAddr> = bound
            .ssh
            .iter()
            .map(|l| l.as_ref().unwrap().local_addr().unwrap())
            .collect();
        let wanted: Vec<SocketAddr> = (1..=3)
            .map(|host| format!("{prefix}.{host}:{port}").parse().unwrap())
            .collect();
        assert_eq!(addrs, wanted);
        config.ssh_port = PortChoice::Auto;
        assert!(matches!(bind(&config), Err(LabError::AutoPortPerAddress)));
    }

    #[test]
    fn a_lab_on_automatic_ports_lies_outside_the_ephemeral_range() {
        let (low, high) = ephemeral_range();
        let mut config = LabConfig::new(20, crate::ProfileName::Instant);
        for device in &mut config.devices {
            device.transport = crate::Transport::Both;
        }
        let rt = runtime();
        let _context = rt.enter();
        for _ in 0..5 {
            let bound = bind(&config).unwrap();
            for base in [bound.ssh_base, bound.telnet_base] {
                let ports = base..base + 20;
                assert!(
                    ports.end <= low || ports.start > high,
                    "{ports:?} overlaps the ephemeral range {low}-{high}"
                );
            }
        }
    }
}

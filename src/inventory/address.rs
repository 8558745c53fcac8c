//! What a host's address may be: an IPv4 literal, an IPv6 literal (with an optional `%zone`), or
//! a DNS name (letters, digits, `-`, `_`, labels of 1 to 63 characters, 253 at most). Anything
//! else would only fail at connect time, after the other hosts have run, so it is an error at
//! load time that says what is wrong, such as a port written into the address.

use std::net::{IpAddr, Ipv6Addr};

/// Longest DNS name and label (RFC 1035), without the trailing dot.
const MAX_NAME: usize = 253;
const MAX_LABEL: usize = 63;

/// Why `address` (written under `field`, e.g. `host` or `hostname`) cannot be connected to, if
/// it cannot.
pub(crate) fn problem(address: &str, field: &str) -> Option<String> {
    if address.parse::<IpAddr>().is_ok() || is_scoped_ipv6(address) {
        return None;
    }
    if let Some((host, port)) = with_port(address) {
        return Some(format!(
            "{address:?} includes a port: write `{field}: {host}` and `port: {port}`"
        ));
    }
    if let Some(ipv6) = bracketed_ipv6(address) {
        return Some(format!(
            "{address:?} is in brackets: write the IPv6 address alone, `{field}: {ipv6}`"
        ));
    }
    if address.contains(':') {
        return Some(format!("{address:?} is not a valid IPv6 address"));
    }
    name_problem(address).map(|why| format!("{address:?} is not a host name or address: {why}"))
}

/// `fe80::1%eth0`: a link-local address with the interface it is reached through.
fn is_scoped_ipv6(address: &str) -> bool {
    address.split_once('%').is_some_and(|(ip, zone)| {
        ip.parse::<Ipv6Addr>().is_ok()
            && !zone.is_empty()
            && zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    })
}

/// `[2001:db8::1]` as `2001:db8::1`.
fn bracketed_ipv6(address: &str) -> Option<&str> {
    let ipv6 = address.strip_prefix('[')?.strip_suffix(']')?;
    ipv6.parse::<Ipv6Addr>().is_ok().then_some(ipv6)
}

/// `10.0.0.1:22`, `router:22` or `[2001:db8::1]:22` as (address, port).
fn with_port(address: &str) -> Option<(&str, &str)> {
    let (host, port) = address.rsplit_once(':')?;
    if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let host = match bracketed_ipv6(host) {
        Some(ipv6) => ipv6,
        None if host.parse::<IpAddr>().is_ok() || name_problem(host).is_none() => host,
        None => return None,
    };
    Some((host, port))
}

/// Why `name` is not a DNS name, if it is not.
fn name_problem(name: &str) -> Option<String> {
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.".contains(*c)))
    {
        return Some(format!("it contains {}", describe(bad)));
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > MAX_NAME {
        return Some(format!("it is longer than {MAX_NAME} characters"));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Some("it has an empty part between dots".to_string());
        }
        if label.len() > MAX_LABEL {
            return Some(format!(
                "its part {label:?} is longer than {MAX_LABEL} characters"
            ));
        }
    }
    None
}

fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_control() => format!("the control character {c:?}"),
        c => format!("{c:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_names_that_can_be_reached() {
        for address in [
            "10.0.0.1",
            "127.0.0.1",
            "::1",
            "2001:db8::1",
            "::ffff:192.0.2.1",
            "fe80::1%eth0",
            "R1",
            "core-1.dc1.example.net",
            "router.example.com.",
            "edge_2",
            "localhost",
        ] {
            assert_eq!(problem(address, "host"), None, "{address}");
        }
    }

    #[test]
    fn a_port_in_the_address_is_named() {
        assert_eq!(
            problem("1.2.3.4:22", "host").as_deref(),
            Some("\"1.2.3.4:22\" includes a port: write `host: 1.2.3.4` and `port: 22`")
        );
        assert_eq!(
            problem("r1.lab:2222", "hostname").as_deref(),
            Some("\"r1.lab:2222\" includes a port: write `hostname: r1.lab` and `port: 2222`")
        );
        assert_eq!(
            problem("[2001:db8::1]:830", "ip").as_deref(),
            Some("\"[2001:db8::1]:830\" includes a port: write `ip: 2001:db8::1` and `port: 830`")
        );
    }

    #[test]
    fn impossible_names_say_why() {
        for (address, why) in [
            (
                "core router",
                "\"core router\" is not a host name or address: it contains a space",
            ),
            (
                " 10.0.0.1",
                "\" 10.0.0.1\" is not a host name or address: it contains a space",
            ),
            (
                "r1\t",
                "\"r1\\t\" is not a host name or address: it contains a tab",
            ),
            (
                "r1/24",
                "\"r1/24\" is not a host name or address: it contains '/'",
            ),
            (
                "zürich",
                "\"zürich\" is not a host name or address: it contains 'ü'",
            ),
            (
                "a..b",
                "\"a..b\" is not a host name or address: it has an empty part between dots",
            ),
            (
                "2001:db8::zz",
                "\"2001:db8::zz\" is not a valid IPv6 address",
            ),
            (
                "[::1]",
                "\"[::1]\" is in brackets: write the IPv6 address alone, `host: ::1`",
            ),
            ("fe80::1%", "\"fe80::1%\" is not a valid IPv6 address"),
        ] {
            assert_eq!(problem(address, "host").as_deref(), Some(why), "{address}");
        }
        let long_label = "a".repeat(64);
        assert!(problem(&long_label, "host")
            .unwrap()
            .ends_with("is longer than 63 characters"));
        let long_name = ["abc"; 64].join(".");
        assert!(problem(&long_name, "host")
            .unwrap()
            .ends_with("it is longer than 253 characters"));
    }
}

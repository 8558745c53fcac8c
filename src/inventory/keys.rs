//! Which keys a host, group or defaults map may have, and which unknown keys are typos of them.
//!
//! An unknown key is template data (the book's format, Nornir's top level) unless it is so close
//! to a known key that it is almost certainly a misspelling: `pasword:` would otherwise connect
//! without a password, `trnsport:` with the wrong transport. Those are errors, before any
//! connection.
//!
//! "Close" is measured on the keys compared case-insensitively and with `-` read as `_` (so
//! `Password` and `device-type` are typos too), and depends on the known key's length, because
//! a one-letter change to a short word is often another word a person would use as data:
//! - 2 letters (`ip`): never (`id`, `os`, `as` are data keys of their own);
//! - 3 to 5 letters (`host`, `port`, `name`, `data`): one dropped letter or one swapped pair
//!   (`hst`, `prot`), not a changed or added one (`cost`, `ports`, `date` are real words);
//! - 6 and more (`secret`, `password`, `transport`): an optimal-string-alignment distance
//!   (Damerau–Levenshtein where a transposed pair counts as one edit) of at most 2, which catches
//!   `pasword`, `passwd`, `trnsport`, `usernme`, `secert` and no real word near those keys.

/// The book's devices.yaml: Netmiko's keys, `name`, and netrun's own.
pub(crate) const BOOK_KEYS: &[&str] = &[
    "device_type",
    "host",
    "ip",
    "port",
    "username",
    "password",
    "secret",
    "timeout",
    "name",
    "groups",
    "data",
    "passphrase",
    "transport",
    "telnet_port",
    "ssh_legacy",
    "key_file",
    "key_passphrase",
    "host_key_policy",
    "jump_host",
    "proxy_command",
    "ssh_config_file",
];

/// A Nornir host, group or defaults map: Nornir's keys and netrun's own.
pub(crate) const NORNIR_KEYS: &[&str] = &[
    "hostname",
    "port",
    "username",
    "password",
    "platform",
    "groups",
    "data",
    "connection_options",
    "secret",
    "telnet_port",
    "timeout",
    "transport",
    "ssh_legacy",
    "key_file",
    "key_passphrase",
    "host_key_policy",
    "jump_host",
    "proxy_command",
    "ssh_config_file",
];

/// The fields of one plugin's Nornir `connection_options`.
pub(crate) const CONNECTION_OPTION_KEYS: &[&str] = &[
    "hostname", "port", "username", "password", "platform", "extras",
];

/// The known key `key` is a misspelling of, if it is not known itself and is close to one of
/// `known` (the closest; the first listed among equally close ones).
pub(crate) fn misspelling_of(key: &str, known: &[&'static str]) -> Option<&'static str> {
    if known.contains(&key) {
        return None;
    }
    let typed = normalized(key);
    known
        .iter()
        .filter_map(|&candidate| {
            let candidate_chars = normalized(candidate);
            let distance = edit_distance(&typed, &candidate_chars);
            is_misspelling(&typed, &candidate_chars, distance).then_some((distance, candidate))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The name of `known` nearest to `typed` (fewest edits, case and `-`/`_` ignored; the first
/// listed among equally near ones), however far: for "did you mean" on a closed list of names.
pub(crate) fn nearest<'k>(typed: &str, known: &[&'k str]) -> Option<&'k str> {
    let typed = normalized(typed);
    known
        .iter()
        .min_by_key(|candidate| edit_distance(&typed, &normalized(candidate)))
        .copied()
}

/// The error message for a misspelt key.
pub(crate) fn misspelling_message(known: &str) -> String {
    format!("unknown key; did you mean `{known}`?")
}

/// Whether `typed`, `distance` edits from `known`, counts as a misspelling of it (see the module
/// comment).
fn is_misspelling(typed: &[char], known: &[char], distance: usize) -> bool {
    match (distance, known.len()) {
        (0, _) => true,
        (_, 0..=2) => false,
        (1, 3..=5) => typed.len() + 1 == known.len() || is_swap(typed, known),
        (_, 3..=5) => false,
        (distance, _) => distance <= 2,
    }
}

/// Same letters, same length: one edit apart, that edit is a swap of two neighbours.
fn is_swap(typed: &[char], known: &[char]) -> bool {
    let mut typed = typed.to_vec();
    let mut known = known.to_vec();
    typed.sort_unstable();
    known.sort_unstable();
    typed == known
}

fn normalized(key: &str) -> Vec<char> {
    key.chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions of
/// adjacent characters, one edit each. Two rows of the table and the one before them suffice.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::host::NETRUN_KEYS;

    /// The lists here and the keys the loader reads are written apart; a key netrun reads that
    /// is missing here would make its near-misses template data instead of errors.
    #[test]
    fn every_netrun_key_the_loader_reads_is_known_to_both_formats() {
        for key in NETRUN_KEYS {
            assert!(BOOK_KEYS.contains(key), "{key} missing from BOOK_KEYS");
            assert!(NORNIR_KEYS.contains(key), "{key} missing from NORNIR_KEYS");
        }
    }

    fn distance(a: &str, b: &str) -> usize {
        edit_distance(&normalized(a), &normalized(b))
    }

    #[test]
    fn counts_each_kind_of_edit_once() {
        assert_eq!(distance("password", "password"), 0);
        assert_eq!(distance("pasword", "password"), 1);
        assert_eq!(distance("passwordd", "password"), 1);
        assert_eq!(distance("passwprd", "password"), 1);
        assert_eq!(distance("secert", "secret"), 1);
        assert_eq!(distance("hsot", "host"), 1);
        assert_eq!(distance("passwd", "password"), 2);
        assert_eq!(distance("", "port"), 4);
        assert_eq!(distance("ca", "abc"), 3, "no edit of a transposed pair");
        assert_eq!(distance("Key-File", "key_file"), 0);
    }

    #[test]
    fn typos_of_known_keys_are_found() {
        for (typed, meant) in [
            ("pasword", "password"),
            ("Password", "password"),
            ("passwd", "password"),
            ("trnsport", "transport"),
            ("usernme", "username"),
            ("user_name", "username"),
            ("secert", "secret"),
            ("scret", "secret"),
            ("device-type", "device_type"),
            ("devicetype", "device_type"),
            ("timout", "timeout"),
            ("hots", "host"),
            ("hst", "host"),
            ("prot", "port"),
            ("nmae", "name"),
            ("dta", "data"),
            ("IP", "ip"),
            ("group", "groups"),
            ("key_fiel", "key_file"),
            ("sshlegacy", "ssh_legacy"),
            ("host_key_polcy", "host_key_policy"),
            ("hostkey_policy", "host_key_policy"),
        ] {
            assert_eq!(misspelling_of(typed, BOOK_KEYS), Some(meant), "{typed}");
        }
        for (typed, meant) in [
            ("hostnme", "hostname"),
            ("platfrom", "platform"),
            ("pasword", "password"),
            ("conection_options", "connection_options"),
        ] {
            assert_eq!(misspelling_of(typed, NORNIR_KEYS), Some(meant), "{typed}");
        }
    }

    #[test]
    fn the_nearest_name_is_found_however_far() {
        let names = crate::dialogue::platform::device_type_names();
        assert_eq!(nearest("cisco_iox", &names), Some("cisco_ios"));
        assert_eq!(nearest("NXOS-SSH", &names), Some("nxos_ssh"));
        assert_eq!(nearest("junos_ex", &names), Some("junos"));
        assert_eq!(nearest("anything", &[]), None);
    }

    #[test]
    fn known_keys_and_far_off_keys_are_not_typos() {
        for key in BOOK_KEYS {
            assert_eq!(misspelling_of(key, BOOK_KEYS), None, "{key}");
        }
        for key in [
            "id",
            "os",
            "as",
            "vrf",
            "site",
            "role",
            "rack",
            "asn",
            "cost",
            "post",
            "ports",
            "hosts",
            "names",
            "date",
            "vlans",
            "model",
            "hostname",
            "platform",
            "location",
            "loopback",
            "mgmt_ip",
            "snmp_community",
        ] {
            assert_eq!(misspelling_of(key, BOOK_KEYS), None, "{key}");
        }
        assert_eq!(misspelling_of("device_type", NORNIR_KEYS), None);
        assert_eq!(misspelling_of("vendor", NORNIR_KEYS), None);
    }

    /// Netmiko's other ConnectHandler arguments, kept as template data in the book's format,
    /// must never read as typos of netrun's keys.
    #[test]
    fn netmikos_other_arguments_are_not_typos() {
        for key in [
            "use_keys",
            "allow_agent",
            "pkey",
            "ssh_strict",
            "system_host_keys",
            "alt_host_keys",
            "alt_key_file",
            "ssh_config_file",
            "conn_timeout",
            "auth_timeout",
            "banner_timeout",
            "blocking_timeout",
            "read_timeout_override",
            "keepalive",
            "default_enter",
            "response_return",
            "serial_settings",
            "fast_cli",
            "session_log",
            "session_log_record_writes",
            "session_log_file_mode",
            "allow_auto_change",
            "encoding",
            "sock",
            "auto_connect",
            "global_delay_factor",
            "global_cmd_verify",
            "verbose",
            "disabled_algorithms",
            "disable_sha2_fix",
        ] {
            assert_eq!(misspelling_of(key, BOOK_KEYS), None, "{key}");
        }
    }

    #[test]
    fn the_closest_known_key_is_named() {
        assert_eq!(misspelling_of("pssword", BOOK_KEYS), Some("password"));
        assert_eq!(misspelling_of("telnetport", BOOK_KEYS), Some("telnet_port"));
        assert_eq!(
            misspelling_of("keypassphrase", BOOK_KEYS),
            Some("key_passphrase")
        );
        assert_eq!(misspelling_of("passphrse", BOOK_KEYS), Some("passphrase"));
    }
}

//! The book's devices.yaml: a YAML list of Netmiko keyword sets (`device_type`, `ip` or `host`,
//! `port`, `username`, `password`, `secret`, `timeout`), an optional `name`, and netrun's own
//! keys (`transport`, `telnet_port`, `ssh_legacy`, `key_file`, `key_passphrase`, `groups`,
//! `data`). A key that is none of these but close to one (`pasword`, `trnsport`) is an error;
//! any other key (Netmiko's `fast_cli`, `session_log`, ...) is kept as template data and named
//! in one warning.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use crate::job::Host;

use super::env::Env;
use super::error::InventoryError;
use super::host::{check_unique_names, HostSpec, Located};
use super::keys::{self, BOOK_KEYS};
use super::yaml::{Document, Node, Step};
use super::Loaded;

/// Read the list at `path` into hosts (in file order) and warnings.
#[cfg(test)]
pub(crate) fn load(path: &Path, env: Env) -> Result<Loaded, InventoryError> {
    load_doc(&Document::read(path)?, env)
}

/// Read the parsed list into hosts (in file order) and warnings.
pub(crate) fn load_doc(doc: &Document, env: Env) -> Result<Loaded, InventoryError> {
    let path = doc.file.as_path();
    let items = match &doc.root {
        Node::Seq(items) if !items.is_empty() => items,
        Node::Seq(_) | Node::Null => {
            return Err(doc.error_at_start("the inventory is empty: list at least one device"))
        }
        other => {
            return Err(doc.error(
                &[],
                None,
                format!(
                    "expected a list of devices (`- host: ...`), found {}",
                    other.kind()
                ),
            ))
        }
    };
    let mut entries = Vec::with_capacity(items.len());
    let mut unknown_keys = BTreeSet::new();
    for (index, item) in items.iter().enumerate() {
        let label = format!("device {}", index + 1);
        let entry = read_entry(
            doc,
            vec![Step::Index(index)],
            &label,
            item,
            env,
            &mut unknown_keys,
        )?;
        entries.push(entry);
    }
    let (hosts, name_at, repeated) = name_hosts(entries);
    check_unique_names(&hosts, &name_at)?;
    let mut warnings = unknown_keys_warning(path, &unknown_keys);
    if !repeated.is_empty() {
        let shown: Vec<&str> = repeated.iter().take(8).map(String::as_str).collect();
        let more = if repeated.len() > shown.len() {
            ", ..."
        } else {
            ""
        };
        warnings.push(format!(
            "{}: {} devices repeat the address and port of one before them; named {}{more} \
             (give each a `name:` to choose)",
            path.display(),
            repeated.len(),
            shown.join(", ")
        ));
    }
    Ok((hosts, warnings))
}

/// One warning naming the keys netrun does not use, if any.
pub(crate) fn unknown_keys_warning(path: &Path, unknown_keys: &BTreeSet<String>) -> Vec<String> {
    if unknown_keys.is_empty() {
        return Vec::new();
    }
    let keys: Vec<&str> = unknown_keys.iter().map(String::as_str).collect();
    vec![format!(
        "{}: netrun does not use {}; kept as template data",
        path.display(),
        keys.join(", ")
    )]
}

/// One device, built, with where its name came from (if given) or its address was written.
pub(crate) struct Entry<'d> {
    pub(crate) host: Host,
    explicit_name: bool,
    pub(crate) name_at: Located<'d>,
}

/// The device at `path` (a map of Netmiko keyword arguments); `label` names it in errors.
pub(crate) fn read_entry<'d>(
    doc: &'d Document,
    path: Vec<Step>,
    label: &str,
    item: &'d Node,
    env: Env,
    unknown_keys: &mut BTreeSet<String>,
) -> Result<Entry<'d>, InventoryError> {
    let Node::Map(settings) = item else {
        return Err(doc.error(
            &path,
            None,
            format!(
                "{label}: expected a map of settings (device_type, host, ...), found {}",
                item.kind()
            ),
        ));
    };
    let entry = Located::new(doc, item, path, "device");
    let mut spec = HostSpec::default();
    let mut name = None;
    let mut groups = Vec::new();
    let mut extras = Vec::new();
    for (key, value) in settings {
        let at = entry.child(key, value);
        match key.as_str() {
            // Netmiko takes `ip` over `host` when both are given.
            "ip" if value != &Node::Null => spec.host = Some(at),
            "ip" => {}
            // Netmiko's name for the key passphrase.
            "passphrase" => spec.offer("key_passphrase", at),
            "name" => name = at.text(env)?.filter(|n| !n.is_empty()).map(|n| (n, at)),
            "groups" => groups = at.names(env)?.into_iter().map(|(g, _)| g).collect(),
            "data" => {
                for (data_key, data_value) in at.entries()? {
                    let mut data_at = at.child(data_key, data_value);
                    data_at.field = format!("data.{data_key}");
                    spec.offer_data(data_key, data_at);
                }
            }
            setting if spec.slot(setting).is_some() => spec.offer(setting, at),
            other => {
                if let Some(meant) = keys::misspelling_of(other, BOOK_KEYS) {
                    return Err(entry.key_error(key, keys::misspelling_message(meant)));
                }
                unknown_keys.insert(other.to_string());
                extras.push((key, at));
            }
        }
    }
    // `data:` wins over a stray top-level key of the same name.
    for (key, at) in extras {
        spec.offer_data(key, at);
    }
    let address_at = spec.host.clone();
    let (name, explicit_name, name_at) = match name {
        Some((name, at)) => (name, true, at),
        None => (
            String::new(),
            false,
            address_at.unwrap_or_else(|| entry.clone()),
        ),
    };
    let host = spec.build(name, groups, &entry, env)?;
    Ok(Entry {
        host,
        explicit_name,
        name_at,
    })
}

/// A host without a `name` is named by its address, or `address:port` when the address appears
/// with several ports (a lab of many devices on one IP). The same address and port again (the
/// book's devices_all.yaml repeats its devices) is `address:port#2`, `#3`, ...; those names are
/// returned for a warning.
fn name_hosts(entries: Vec<Entry>) -> (Vec<Host>, Vec<Located>, Vec<String>) {
    let mut ports: HashMap<&str, HashSet<u16>> = HashMap::new();
    for entry in entries.iter().filter(|e| !e.explicit_name) {
        ports
            .entry(entry.host.host.as_str())
            .or_default()
            .insert(entry.host.port);
    }
    let shared: HashSet<String> = ports
        .into_iter()
        .filter(|(_, ports)| ports.len() > 1)
        .map(|(address, _)| address.to_string())
        .collect();
    let mut seen: HashMap<(String, u16), usize> = HashMap::new();
    let mut repeated = Vec::new();
    let (hosts, name_at) = entries
        .into_iter()
        .map(|mut entry| {
            if !entry.explicit_name {
                let host = &entry.host;
                let count = seen.entry((host.host.clone(), host.port)).or_insert(0);
                *count += 1;
                entry.host.name = if *count > 1 {
                    let name = format!("{}:{}#{count}", host.host, host.port);
                    repeated.push(name.clone());
                    name
                } else if shared.contains(&host.host) {
                    format!("{}:{}", host.host, host.port)
                } else {
                    host.host.clone()
                };
            }
            (entry.host, entry.name_at)
        })
        .unzip();
    (hosts, name_at, repeated)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::job::TransportKind;

    fn env(name: &str) -> Option<String> {
        match name {
            "LAB_PASS" => Some("cisco".into()),
            "LAB_SITE" => Some("dc1".into()),
            _ => None,
        }
    }

    /// Writes `text` as devices.yaml in a fresh folder and loads it.
    fn load_text(text: &str, env: Env) -> (Result<Loaded, InventoryError>, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.yaml");
        std::fs::write(&path, text).unwrap();
        (load(&path, env), path)
    }

    fn ok(text: &str) -> Loaded {
        load_text(text, &env).0.expect("loads")
    }

    /// The error's text with the temp path replaced by `devices.yaml`.
    fn error(text: &str) -> String {
        error_with(text, &env)
    }

    fn error_with(text: &str, env: Env) -> String {
        let (result, path) = load_text(text, env);
        let err = result.expect_err("an error");
        err.to_string()
            .replacen(&path.display().to_string(), "devices.yaml", 1)
    }

    const BOOK: &str = "\
- device_type: cisco_ios
  host: 192.168.100.1
  username: cisco
  password: ${LAB_PASS}
  secret: cisco
  timeout: 10
- device_type: cisco_ios
  ip: 192.168.100.2
  username: cisco
  password: cisco
  secret: cisco
- device_type: cisco_ios_telnet
  host: 192.168.100.3
  username: cisco
  password: cisco
";

    #[test]
    fn reads_the_books_devices_yaml() {
        let (hosts, warnings) = ok(BOOK);
        assert!(warnings.is_empty(), "{warnings:?}");
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["192.168.100.1", "192.168.100.2", "192.168.100.3"]);
        let r1 = &hosts[0];
        assert_eq!(
            (r1.port, r1.transport, r1.platform.as_str()),
            (22, TransportKind::Ssh, "cisco_ios")
        );
        assert_eq!(r1.username, "cisco");
        assert_eq!(r1.password.expose(), "cisco");
        assert_eq!(r1.secret.as_ref().map(|s| s.expose()), Some("cisco"));
        assert_eq!(r1.timeout, Duration::from_secs(10));
        assert_eq!(hosts[1].host, "192.168.100.2");
        assert_eq!(
            hosts[1].timeout,
            Duration::from_secs(super::super::DEFAULT_TIMEOUT_SECS)
        );
        assert_eq!(
            (
                hosts[2].port,
                hosts[2].transport,
                hosts[2].platform.as_str()
            ),
            (23, TransportKind::Telnet, "cisco_ios")
        );
        assert!(hosts[2].secret.is_none());
    }

    #[test]
    fn reads_netruns_own_keys() {
        let (hosts, _) = ok("\
- name: core-1
  host: 10.0.0.1
  port: 2222
  transport: telnet
  ssh_legacy: true
  key_file: /keys/id_rsa
  passphrase: ${LAB_PASS}
  timeout: 2.5
  groups: [core, dc1]
  data: {site: \"${LAB_SITE}\", vlans: [10, 20], loopback: {ip: 1.1.1.1}}
");
        let h = &hosts[0];
        assert_eq!(h.name, "core-1");
        assert_eq!((h.port, h.transport), (2222, TransportKind::Telnet));
        assert!(h.ssh_legacy);
        assert_eq!(h.key_file.as_deref(), Some("/keys/id_rsa"));
        assert_eq!(h.key_passphrase.as_ref().map(|s| s.expose()), Some("cisco"));
        assert_eq!(h.timeout, Duration::from_millis(2500));
        assert_eq!(h.groups, ["core", "dc1"]);
        assert_eq!(h.data["site"], serde_json::json!("dc1"));
        assert_eq!(h.data["vlans"], serde_json::json!([10, 20]));
        assert_eq!(h.data["loopback"], serde_json::json!({"ip": "1.1.1.1"}));
    }

    #[test]
    fn extra_keys_become_data_and_one_warning() {
        let (hosts, warnings) = ok("\
- {host: a, fast_cli: false, session_log: a.log, data: {session_log: kept}}
- {host: b, fast_cli: true, global_delay_factor: 2}
");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].ends_with(
                "netrun does not use fast_cli, global_delay_factor, session_log; kept as template data"
            ),
            "{}",
            warnings[0]
        );
        assert_eq!(hosts[0].data["fast_cli"], serde_json::json!(false));
        assert_eq!(hosts[0].data["session_log"], serde_json::json!("kept"));
        assert_eq!(hosts[1].data["global_delay_factor"], serde_json::json!(2));
    }

    #[test]
    fn environment_fills_missing_password_and_secret() {
        let env = |name: &str| match name {
            "NETRUN_PASSWORD" => Some("from-env".to_string()),
            "NETRUN_SECRET" => Some("enable-env".to_string()),
            _ => None,
        };
        let (result, _) = load_text(
            "- {host: a}\n- {host: b, password: own, secret: sec}\n",
            &env,
        );
        let hosts = result.unwrap().0;
        assert_eq!(hosts[0].password.expose(), "from-env");
        assert_eq!(hosts[0].secret.as_ref().unwrap().expose(), "enable-env");
        assert_eq!(hosts[1].password.expose(), "own");
        assert_eq!(hosts[1].secret.as_ref().unwrap().expose(), "sec");

        let (result, _) = load_text("- {host: a}\n", &|_: &str| None);
        let hosts = result.unwrap().0;
        assert!(hosts[0].password.is_empty());
        assert!(hosts[0].secret.is_none());
    }

    #[test]
    fn one_address_on_several_ports_is_named_with_its_port() {
        let (hosts, _) = ok("\
- {host: 127.0.0.1, port: 10022}
- {host: 127.0.0.1, port: 10023}
- {host: 10.0.0.9}
- {name: R4, host: 127.0.0.1, port: 10024}
");
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            ["127.0.0.1:10022", "127.0.0.1:10023", "10.0.0.9", "R4"]
        );
    }

    #[test]
    fn telnet_port_serves_a_device_that_speaks_both() {
        let testbed_entry = "\
- name: R2
  device_type: cisco_ios
  host: 127.0.0.1
  port: 10023
  telnet_port: 20023
";
        let (hosts, warnings) = ok(testbed_entry);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            (hosts[0].transport, hosts[0].port),
            (TransportKind::Ssh, 10023)
        );
        let (hosts, _) = ok(&format!("{testbed_entry}  transport: telnet\n"));
        assert_eq!(
            (hosts[0].transport, hosts[0].port),
            (TransportKind::Telnet, 20023)
        );
        let (hosts, _) = ok("- {host: a, device_type: cisco_ios_telnet, port: 2323}\n");
        assert_eq!(
            (hosts[0].transport, hosts[0].port),
            (TransportKind::Telnet, 2323)
        );
    }

    #[test]
    fn a_port_as_a_string_from_a_variable_is_read() {
        let env = |name: &str| (name == "PORT").then(|| "2022".to_string());
        let (result, _) = load_text("- {host: a, port: \"${PORT}\"}\n", &env);
        assert_eq!(result.unwrap().0[0].port, 2022);
    }

    #[test]
    fn malformed_yaml() {
        let text = error("- host: a\n  port: [22\n- host: b\n");
        assert!(
            text.starts_with("devices.yaml:3:7: malformed YAML: did not find expected ',' or ']'"),
            "{text}"
        );
    }

    #[test]
    fn wrong_types() {
        assert_eq!(
            error("- host: a\n  port: abc\n"),
            "devices.yaml:2:9: port: expected a port number (1-65535), found \"abc\""
        );
        assert_eq!(
            error("- host: a\n  username: {first: x}\n"),
            "devices.yaml:2:13: username: expected a string, found a map"
        );
        assert_eq!(
            error("- host: a\n  groups: {core: 1}\n"),
            "devices.yaml:2:11: groups: expected a list, found a map"
        );
        assert_eq!(
            error("- host: a\n  timeout: -3\n"),
            "devices.yaml:2:12: timeout: -3 is not a positive number of seconds"
        );
        assert_eq!(
            error("- host: a\n  ssh_legacy: maybe\n"),
            "devices.yaml:2:15: ssh_legacy: expected true or false, found \"maybe\""
        );
        assert_eq!(
            error("- host: a\n  host_key_policy: ask\n"),
            "devices.yaml:2:20: host_key_policy: expected strict, accept-new or off, found \"ask\""
        );
        assert_eq!(
            error("- host: a\n  host_key_policy: [strict]\n"),
            "devices.yaml:2:20: host_key_policy: expected strict, accept-new or off, found a list"
        );
        assert_eq!(
            error("- host: a\n  host_key_polcy: strict\n"),
            "devices.yaml:2:3: host_key_polcy: unknown key; did you mean `host_key_policy`?"
        );
        assert_eq!(
            error("- host: a\n- just a string\n"),
            "devices.yaml:2:3: device 2: expected a map of settings (device_type, host, ...), found a string"
        );
        assert_eq!(
            error("R1:\n  host: a\n"),
            "devices.yaml:1:1: expected a list of devices (`- host: ...`), found a map"
        );
    }

    #[test]
    fn missing_host() {
        assert_eq!(
            error("- host: a\n- device_type: cisco_ios\n  username: u\n"),
            "devices.yaml:2:3: host: missing: give the device's address as `host` or `ip`"
        );
        assert_eq!(
            error("- host: \"\"\n"),
            "devices.yaml:1:9: host: is empty: give the device's address"
        );
    }

    #[test]
    fn an_unknown_device_type_fails_only_its_host_naming_the_known_ones_and_the_nearest() {
        let (loaded, path) = load_text("- host: a\n- host: b\n  device_type: cisco_nxoss\n", &env);
        let (hosts, _) = loaded.expect("an unknown device type does not stop the inventory");
        assert_eq!(hosts[0].platform_error, None);
        assert_eq!(hosts[1].platform, "cisco_nxoss");
        let text = hosts[1]
            .platform_error
            .as_deref()
            .expect("the host carries why")
            .replacen(&path.display().to_string(), "devices.yaml", 1);
        assert!(
            text.starts_with(
                "devices.yaml:3:16: device_type: unknown device type \"cisco_nxoss\"; did you \
                 mean \"cisco_nxos\"? netrun knows "
            ),
            "{text}"
        );
        for known in crate::dialogue::platform::device_type_names() {
            assert!(text.contains(known), "{text} lacks {known}");
        }
    }

    #[test]
    fn bad_ports() {
        let book_like = "\
- device_type: cisco_ios
  host: 192.168.100.1
  username: cisco
- device_type: cisco_ios
  host: 192.168.100.2
  username: cisco
  port: 70000
";
        assert_eq!(
            error(book_like),
            "devices.yaml:7:9: port: 70000 is not a valid port (1-65535)"
        );
        assert_eq!(
            error("- {host: a, port: 0}\n"),
            "devices.yaml:1:19: port: 0 is not a valid port (1-65535)"
        );
    }

    #[test]
    fn duplicate_names_point_at_the_second() {
        assert_eq!(
            error("- name: R1\n  host: a\n- name: R2\n  host: b\n- name: R1\n  host: c\n"),
            "devices.yaml:5:9: name: duplicate name \"R1\" (first at line 1)"
        );
        assert_eq!(
            error("- host: 10.0.0.1\n- name: 10.0.0.1\n  host: 10.0.0.2\n"),
            "devices.yaml:2:9: name: duplicate name \"10.0.0.1\" (first at line 1)",
            "a name given is never renamed"
        );
    }

    #[test]
    fn repeated_addresses_are_numbered_with_a_warning() {
        let (hosts, warnings) = ok("\
- {host: 10.0.0.1}
- {host: 10.0.0.2}
- {host: 10.0.0.1}
- {host: 10.0.0.1, port: 2222}
- {host: 10.0.0.1}
");
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "10.0.0.1:22",
                "10.0.0.2",
                "10.0.0.1:22#2",
                "10.0.0.1:2222",
                "10.0.0.1:22#3"
            ]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].ends_with(
                "2 devices repeat the address and port of one before them; named \
                 10.0.0.1:22#2, 10.0.0.1:22#3 (give each a `name:` to choose)"
            ),
            "{}",
            warnings[0]
        );
        let (hosts, _) = ok("- {host: a}\n- {host: a}\n");
        assert_eq!(hosts[0].name, "a");
        assert_eq!(hosts[1].name, "a:22#2");
    }

    #[test]
    fn unset_variable_is_named() {
        assert_eq!(
            error("- host: a\n  password: ${NOPE}\n"),
            "devices.yaml:2:13: password: ${NOPE} is used but the environment variable NOPE is not set"
        );
        assert_eq!(
            error("- host: a\n  data:\n    site: x-${MISSING}\n"),
            "devices.yaml:3:11: data.site: ${MISSING} is used but the environment variable MISSING is not set"
        );
    }

    #[test]
    fn empty_inventories() {
        for text in ["", "# nothing yet\n", "[]\n", "---\n"] {
            assert_eq!(
                error(text),
                "devices.yaml:1:1: the inventory is empty: list at least one device",
                "{text:?}"
            );
        }
    }

    #[test]
    fn misspelt_keys_are_errors_at_the_key() {
        assert_eq!(
            error("- host: a\n  pasword: TypoSecret99\n"),
            "devices.yaml:2:3: pasword: unknown key; did you mean `password`?"
        );
        assert_eq!(
            error("- {host: a, trnsport: telnet}\n"),
            "devices.yaml:1:13: trnsport: unknown key; did you mean `transport`?"
        );
        assert_eq!(
            error("- host: a\n- host: b\n  usernme: cisco\n"),
            "devices.yaml:3:3: usernme: unknown key; did you mean `username`?"
        );
        assert_eq!(
            error("- host: a\n  data: {site: x}\n  secert: s\n"),
            "devices.yaml:3:3: secert: unknown key; did you mean `secret`?"
        );
        assert_eq!(
            error("- host: a\n  Port: 22\n"),
            "devices.yaml:2:3: Port: unknown key; did you mean `port`?"
        );
    }

    #[test]
    fn every_known_key_is_read_and_data_keys_are_never_typos() {
        let (hosts, warnings) = ok("\
- name: R1
  device_type: cisco_ios
  host: a
  ip: b
  port: 22
  telnet_port: 23
  username: u
  password: p
  secret: s
  timeout: 5
  transport: ssh
  ssh_legacy: false
  key_file: /k
  key_passphrase: kp
  passphrase: kp2
  groups: [g]
  data: {pasword: x, prot: 1}
  cost: 10
");
        assert_eq!(
            warnings.len(),
            1,
            "only the far-off key is named: {warnings:?}"
        );
        assert!(warnings[0].ends_with("netrun does not use cost; kept as template data"));
        assert_eq!(hosts[0].data["pasword"], serde_json::json!("x"));
        assert_eq!(hosts[0].data["cost"], serde_json::json!(10));
    }

    #[test]
    fn timeouts_out_of_range_say_the_range() {
        for (value, shown) in [
            ("1e300", "1e300"),
            (".inf", "inf"),
            ("\"inf\"", "inf"),
            ("86401", "86401"),
        ] {
            assert_eq!(
                error(&format!("- host: a\n  timeout: {value}\n")),
                format!(
                    "devices.yaml:2:12: timeout: {shown} is out of range: must be between 0 and \
                     86400 seconds (1 day)"
                ),
                "{value}"
            );
        }
        assert_eq!(
            error("- host: a\n  timeout: .nan\n"),
            "devices.yaml:2:12: timeout: NaN is out of range: must be between 0 and 86400 \
             seconds (1 day)"
        );
        assert_eq!(
            error("- host: a\n  timeout: -.inf\n"),
            "devices.yaml:2:12: timeout: -inf is not a positive number of seconds"
        );
        assert_eq!(
            error("- host: a\n  timeout: 0\n"),
            "devices.yaml:2:12: timeout: 0 is not a positive number of seconds"
        );
        let (hosts, _) = ok("- {host: a, timeout: 86400}\n- {host: b, timeout: 0.5}\n");
        assert_eq!(hosts[0].timeout, Duration::from_secs(86_400));
        assert_eq!(hosts[1].timeout, Duration::from_millis(500));
    }

    #[test]
    fn addresses_must_be_reachable_names_or_literals() {
        assert_eq!(
            error("- host: 1.2.3.4:22\n"),
            "devices.yaml:1:9: host: \"1.2.3.4:22\" includes a port: write `host: 1.2.3.4` and \
             `port: 22`"
        );
        assert_eq!(
            error("- {name: R1, ip: core router}\n"),
            "devices.yaml:1:18: ip: \"core router\" is not a host name or address: it contains \
             a space"
        );
        let env = |name: &str| (name == "ADDR").then(|| "10.0.0.1:2222".to_string());
        assert_eq!(
            error_with("- host: ${ADDR}\n", &env),
            "devices.yaml:1:9: host: \"10.0.0.1:2222\" includes a port: write `host: 10.0.0.1` \
             and `port: 2222`"
        );
        let (hosts, _) = ok("- host: ::1\n- host: \"2001:db8::1\"\n- host: fe80::1%lo\n");
        let addresses: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(addresses, ["::1", "2001:db8::1", "fe80::1%lo"]);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let (hosts, _) = ok("\u{feff}- host: 10.0.0.1\n  password: x\n");
        assert_eq!(hosts[0].host, "10.0.0.1");
        assert_eq!(
            error("\u{feff}- host: a\n  port: x\n"),
            "devices.yaml:2:9: port: expected a port number (1-65535), found \"x\""
        );
    }

    #[test]
    fn merge_keys_share_settings() {
        let (hosts, warnings) = ok("\
- &ios {device_type: cisco_ios, username: cisco, password: \"${LAB_PASS}\", host: base}
- <<: *ios
  host: 10.0.0.2
- <<: [{port: 2222, username: first}, *ios]
  host: 10.0.0.3
");
        assert!(warnings.is_empty(), "{warnings:?}");
        let r2 = &hosts[1];
        assert_eq!(
            (r2.host.as_str(), r2.username.as_str()),
            ("10.0.0.2", "cisco")
        );
        assert_eq!(r2.password.expose(), "cisco");
        let r3 = &hosts[2];
        assert_eq!((r3.port, r3.username.as_str()), (2222, "first"));
        assert_eq!(
            error(
                "- &base {host: a, transport: ssh}\n- <<: *base\n  host: b\n  \
                 device_type: cisco_ios_telnet\n"
            ),
            "devices.yaml:1:30: transport: is ssh but the device type is a Telnet one",
            "a merged value is pointed at where it is written"
        );
        assert_eq!(
            error("- host: a\n  <<: [x]\n"),
            "devices.yaml:2:8: <<: expected a map to merge (`<<: *name`) or a list of them, \
             found a string"
        );
    }

    #[test]
    fn telnet_device_type_with_ssh_transport_contradicts() {
        assert_eq!(
            error("- host: a\n  device_type: cisco_ios_telnet\n  transport: ssh\n"),
            "devices.yaml:3:14: transport: is ssh but the device type is a Telnet one"
        );
    }
}

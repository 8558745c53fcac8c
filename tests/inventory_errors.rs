//! Bad inventories: every case exits 2 with an error naming the file, line and field, and no
//! connection is attempted.

mod common;

use common::{netrun, netrun_env, stderr, stdout};

/// Write `yaml` to a temp file, run `netrun -i FILE show clock`, and return (path, stderr).
fn run_with(yaml: &str) -> (String, String, Option<i32>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.yaml");
    std::fs::write(&path, yaml).unwrap();
    let path = path.to_str().unwrap().to_string();
    let out = netrun(&["-i", &path, "show", "clock"]);
    (path, stderr(&out), out.status.code())
}

fn assert_error(yaml: &str, line: usize, needles: &[&str]) {
    let (path, err, code) = run_with(yaml);
    assert_eq!(code, Some(2), "{err}");
    let prefix = format!("{path}:{line}:");
    assert!(err.contains(&prefix), "expected `{prefix}` in: {err}");
    for needle in needles {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
}

const GOOD: &str =
    "- device_type: cisco_ios\n  host: 127.0.0.1\n  username: cisco\n  password: cisco\n";

#[test]
fn malformed_yaml() {
    assert_error(
        &format!("{GOOD}- device_type: [cisco_ios\n  host: x\n"),
        6,
        &[],
    );
}

#[test]
fn wrong_type() {
    assert_error(&format!("{GOOD}  port: abc\n"), 5, &["port"]);
}

#[test]
fn missing_host() {
    assert_error(
        &format!("{GOOD}- device_type: cisco_ios\n  username: cisco\n"),
        5,
        &["host"],
    );
}

#[test]
fn bad_port() {
    assert_error(&format!("{GOOD}  port: 70000\n"), 5, &["port", "70000"]);
}

#[test]
fn duplicate_name() {
    assert_error(
        &format!("{GOOD}  name: R1\n{GOOD}  name: R1\n"),
        10,
        &["R1"],
    );
}

#[test]
fn unset_variable() {
    let (path, err, code) = run_with(
        "- device_type: cisco_ios\n  host: 10.0.0.1\n  password: ${NETRUN_TEST_UNSET_VAR}\n",
    );
    assert_eq!(code, Some(2));
    assert!(err.contains(&format!("{path}:3:")), "{err}");
    assert!(err.contains("NETRUN_TEST_UNSET_VAR"), "{err}");
}

#[test]
fn empty_inventory() {
    let (path, err, code) = run_with("# nothing here\n");
    assert_eq!(code, Some(2));
    assert!(err.contains(&path), "{err}");
}

#[test]
fn variables_and_environment_fill_credentials_without_showing_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.yaml");
    std::fs::write(
        &path,
        "- device_type: cisco_ios\n  host: 10.0.0.1\n  name: core1\n  username: ${NETRUN_TEST_USER}\n",
    )
    .unwrap();
    let out = netrun_env(
        &["inventory", "-i", path.to_str().unwrap(), "-o", "json"],
        &[
            ("NETRUN_TEST_USER", "admin"),
            ("NETRUN_PASSWORD", "s3cr3t-pw"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = stdout(&out);
    let doc: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(doc[0]["name"], "core1");
    assert_eq!(doc[0]["username"], "admin");
    assert_eq!(doc[0]["has_password"], true);
    assert!(!listed.contains("s3cr3t-pw"));
}

#[test]
fn a_limit_that_matches_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.yaml");
    std::fs::write(&path, format!("{GOOD}  name: R1\n")).unwrap();
    let out = netrun(&["-i", path.to_str().unwrap(), "-l", "R9*", "show", "clock"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("R9*"), "{}", stderr(&out));
}

/// A listener on loopback that nothing should connect to, and its port.
fn untouched_listener() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn assert_never_connected(listener: &std::net::TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("netrun connected to the device: {other:?}"),
    }
}

#[test]
fn a_misspelt_key_exits_2_before_connecting() {
    let (listener, port) = untouched_listener();
    for (typo, meant) in [
        ("pasword", "password"),
        ("trnsport", "transport"),
        ("usernme", "username"),
        ("secert", "secret"),
    ] {
        let (path, err, code) = run_with(&format!(
            "- device_type: cisco_ios\n  host: 127.0.0.1\n  port: {port}\n  {typo}: TypoSecret99\n"
        ));
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "{path}:4:3: {typo}: unknown key; did you mean `{meant}`?"
            )),
            "{err}"
        );
        assert!(!err.contains("TypoSecret99"), "{err}");
    }
    assert_never_connected(&listener);
}

#[test]
fn a_misspelt_key_in_a_nornir_group_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hosts.yaml"),
        "R1:\n  hostname: 127.0.0.1\n  groups: [core]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("groups.yaml"), "core:\n  pasword: x\n").unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = netrun(&["-i", folder, "show", "clock"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{folder}/groups.yaml:2:3: pasword: unknown key; did you mean `password`?"
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_huge_timeout_names_the_range() {
    assert_error(
        &format!("{GOOD}  timeout: 1e300\n"),
        5,
        &["timeout: 1e300 is out of range: must be between 0 and 86400 seconds (1 day)"],
    );
    assert_error(&format!("{GOOD}  timeout: .nan\n"), 5, &["86400 seconds"]);
}

#[test]
fn an_address_with_a_port_or_a_space_exits_2() {
    assert_error(
        "- device_type: cisco_ios\n  host: 1.2.3.4:22\n",
        2,
        &["host: \"1.2.3.4:22\" includes a port: write `host: 1.2.3.4` and `port: 22`"],
    );
    assert_error(
        "- device_type: cisco_ios\n  host: core router 1\n",
        2,
        &["it contains a space"],
    );
}

/// Lists the inventory `yaml` with `netrun inventory -o json`.
fn listed(yaml: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = netrun(&["inventory", "-i", path.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn a_byte_order_mark_merge_keys_and_ipv6_load() {
    let doc = listed(
        "\u{feff}- &ios\n  name: R1\n  device_type: cisco_ios\n  host: 127.0.0.1\n  \
         username: ops\n- <<: *ios\n  name: R2\n  host: \"::1\"\n- <<: [{port: 2222}, *ios]\n  \
         name: R3\n  host: fe80::1%lo\n",
    );
    let hosts: Vec<(&str, &str, u64, &str)> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap(),
                h["host"].as_str().unwrap(),
                h["port"].as_u64().unwrap(),
                h["username"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hosts,
        [
            ("R1", "127.0.0.1", 22, "ops"),
            ("R2", "::1", 22, "ops"),
            ("R3", "fe80::1%lo", 2222, "ops")
        ]
    );
}

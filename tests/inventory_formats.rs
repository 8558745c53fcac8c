//! The inventories engineers have — a Nornir folder with connection_options, a Nornir
//! config.yaml, Ansible INI and YAML, Netmiko's .netmiko.yml, the book's devices_all.yaml —
//! each run against a real testbed by the netrun binary, and bad ones refused with FILE:LINE
//! and exit status 2 before any connection.

mod common;

use std::path::{Path, PathBuf};

use common::{json, netrun, netrun_in, stderr, stdout, TestLab};

/// The lab's devices as (name, port): every device listens on 127.0.0.1 with user, password
/// and enable secret `cisco`, and starts unprivileged (so a lost secret fails the host).
fn lab_ports(lab: &TestLab) -> Vec<(String, u16)> {
    let out = netrun(&[
        "inventory",
        "-i",
        lab.inventory().to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["port"].as_u64().unwrap() as u16,
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `netrun -i INVENTORY -o json show clock` in `dir`: every host of `expected` ran and is ok.
fn runs_everywhere(dir: &Path, inventory: &Path, expected: &[&str]) {
    let out = netrun_in(
        Some(dir),
        &[
            "-i",
            inventory.to_str().unwrap(),
            "-o",
            "json",
            "show",
            "clock",
        ],
        &[],
        std::time::Duration::from_secs(120),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let doc = json(&out);
    let hosts = doc["hosts"].as_array().unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, expected, "{}", inventory.display());
    for host in hosts {
        assert_eq!(host["ok"], serde_json::json!(true), "{host}");
        let output = host["commands"][0]["output"].as_str().unwrap();
        assert!(output.contains(':'), "show clock gave {output:?}");
    }
}

#[test]
fn nornir_connection_options_give_port_and_secret() {
    let lab = TestLab::start(3, &[]);
    let ports = lab_ports(&lab);
    let dir = tempfile::tempdir().unwrap();
    // R1's port and secret only in its own netmiko options; R2's via its group's; R3's via
    // napalm's optional_args in the defaults. Nothing at the top level but the address.
    write(
        dir.path(),
        "hosts.yml",
        &format!(
            "\
R1:
  hostname: 127.0.0.1
  connection_options:
    netmiko:
      port: {}
      extras: {{secret: cisco}}
R2:
  hostname: 127.0.0.1
  groups: [lab]
R3:
  hostname: 127.0.0.1
  connection_options:
    scrapli:
      port: {}
",
            ports[0].1, ports[2].1
        ),
    );
    write(
        dir.path(),
        "groups.yml",
        &format!(
            "lab:\n  connection_options:\n    netmiko:\n      port: {}\n      extras:\n        secret: cisco\n",
            ports[1].1
        ),
    );
    write(
        dir.path(),
        "defaults.yml",
        "username: cisco\npassword: cisco\nplatform: ios\nconnection_options:\n  napalm:\n    \
         extras: {optional_args: {secret: cisco}}\n",
    );
    runs_everywhere(dir.path(), dir.path(), &["R1", "R2", "R3"]);
}

#[test]
fn nornir_config_yaml_names_the_files_from_the_working_directory() {
    let lab = TestLab::start(2, &[]);
    let ports = lab_ports(&lab);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("inventory")).unwrap();
    let hosts: String = ports
        .iter()
        .map(|(name, port)| {
            format!("{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  groups: [ios]\n")
        })
        .collect();
    write(&dir.path().join("inventory"), "my_hosts.yaml", &hosts);
    write(
        &dir.path().join("inventory"),
        "my_groups.yaml",
        "ios:\n  platform: cisco_ios\n  username: cisco\n  password: cisco\n  \
         connection_options: {netmiko: {extras: {secret: cisco}}}\n",
    );
    let config = write(
        dir.path(),
        "config.yaml",
        "inventory:\n  plugin: SimpleInventory\n  options:\n    host_file: inventory/my_hosts.yaml\n    \
         group_file: inventory/my_groups.yaml\n",
    );
    runs_everywhere(dir.path(), &config, &["R1", "R2"]);
    runs_everywhere(dir.path(), dir.path(), &["R1", "R2"]);
}

#[test]
fn ansible_ini_and_yaml() {
    let lab = TestLab::start(3, &[]);
    let ports = lab_ports(&lab);
    let dir = tempfile::tempdir().unwrap();
    let ini = write(
        dir.path(),
        "hosts.ini",
        &format!(
            "\
[core]
r1 ansible_host=127.0.0.1 ansible_port={}
r2 ansible_host=127.0.0.1 ansible_port={}
[edge]
127.0.0.1:{}
[network:children]
core
edge
[network:vars]
ansible_network_os=cisco.ios.ios
ansible_connection=ansible.netcommon.network_cli
ansible_user=cisco
ansible_password=cisco
ansible_become_password=cisco
",
            ports[0].1, ports[1].1, ports[2].1
        ),
    );
    runs_everywhere(dir.path(), &ini, &["r1", "r2", "127.0.0.1"]);

    let yaml = write(
        dir.path(),
        "inventory.yml",
        &format!(
            "\
all:
  vars:
    ansible_network_os: ios
    ansible_user: cisco
    ansible_ssh_pass: cisco
  children:
    routers:
      vars:
        ansible_become_pass: cisco
      hosts:
        r1: {{ansible_host: 127.0.0.1, ansible_port: {}}}
        r2: {{ansible_host: 127.0.0.1, ansible_port: {}}}
        r3: {{ansible_host: 127.0.0.1, ansible_port: {}}}
",
            ports[0].1, ports[1].1, ports[2].1
        ),
    );
    runs_everywhere(dir.path(), &yaml, &["r1", "r2", "r3"]);
    let out = netrun_in(
        Some(dir.path()),
        &["inventory", "-i", "inventory.yml", "-l", "group:routers"],
        &[],
        std::time::Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 4, "{}", stdout(&out));
}

#[test]
fn netmiko_yml_and_the_books_repeated_devices() {
    let lab = TestLab::start(2, &[]);
    let ports = lab_ports(&lab);
    let dir = tempfile::tempdir().unwrap();
    let devices: String = ports
        .iter()
        .map(|(name, port)| {
            format!(
                "{name}:\n  device_type: cisco_ios\n  host: 127.0.0.1\n  port: {port}\n  \
                 username: cisco\n  password: cisco\n  secret: cisco\n"
            )
        })
        .collect();
    let netmiko = write(
        dir.path(),
        ".netmiko.yml",
        &format!("{devices}cisco:\n  - R1\n  - R2\n"),
    );
    runs_everywhere(dir.path(), &netmiko, &["R1", "R2"]);

    // devices_all.yaml: the same devices listed again and again.
    let one = |port: u16| {
        format!(
            "- device_type: cisco_ios\n  host: 127.0.0.1\n  port: {port}\n  username: cisco\n  \
             password: cisco\n  secret: cisco\n"
        )
    };
    let text = [one(ports[0].1), one(ports[1].1)].concat().repeat(2);
    let all = write(dir.path(), "devices_all.yaml", &text);
    let (p1, p2) = (ports[0].1, ports[1].1);
    let expected = [
        format!("127.0.0.1:{p1}"),
        format!("127.0.0.1:{p2}"),
        format!("127.0.0.1:{p1}#2"),
        format!("127.0.0.1:{p2}#2"),
    ];
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    runs_everywhere(dir.path(), &all, &expected);
    let out = netrun(&["inventory", "-i", all.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("2 devices repeat the address and port of one before them"),
        "{}",
        stderr(&out)
    );
}

/// Write `text` as `name`, run `netrun inventory -i FILE`: exit 2 and `FILE:LINE:` plus the
/// needles in the message, nothing on stdout.
fn refused(name: &str, text: &str, line: usize, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, text);
    let path = path.to_str().unwrap();
    let out = netrun(&["inventory", "-i", path]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let at = format!("{path}:{line}:");
    assert!(err.contains(&at), "expected `{at}` in {err}");
    for needle in needles {
        assert!(err.contains(needle), "expected `{needle}` in {err}");
    }
}

#[test]
fn bad_inventories_of_every_format_exit_2_with_file_and_line() {
    refused(
        "hosts.ini",
        "[core]\nr1 ansible_port=22\nr2 ansible_port=http\n",
        3,
        &["ansible_port", "http"],
    );
    refused(
        "hosts.ini",
        "[core]\nr1\n[dc:children]\ncore\nedge\n",
        5,
        &["edge"],
    );
    refused(
        "hosts",
        "[core]\nr1 ansible_become_pasword=x\n",
        2,
        &["did you mean `ansible_become_password`"],
    );
    refused(
        "inventory.yml",
        "all:\n  children:\n    core:\n      hosts:\n        r1:\n          ansible_connection: netconf\n",
        6,
        &["ansible_connection", "netconf"],
    );
    refused(
        ".netmiko.yml",
        "r1:\n  device_type: cisco_ios\n  host: 10.0.0.1\ncisco:\n  - r1\n  - r9\n",
        6,
        &["r9"],
    );
    refused(
        "config.yaml",
        "inventory:\n  plugin: NetBoxInventory2\n",
        2,
        &["SimpleInventory"],
    );
    refused(
        "hosts.yaml",
        "R1:\n  connection_options:\n    netmiko:\n      port: 70000\n",
        4,
        &["connection_options.netmiko.port", "70000"],
    );
    refused(
        "devices.yaml",
        "- name: R1\n  host: 10.0.0.1\n- name: R1\n  host: 10.0.0.2\n",
        3,
        &["duplicate name"],
    );
}

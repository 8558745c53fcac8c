//! What netrun resolves from Nornir, Ansible and Netmiko inventories, compared host by host with
//! what Nornir (`InitNornir`, `Host.get_connection_parameters`' own inheritance), Ansible
//! (`ansible-inventory --list`) and Netmiko (`load_netmiko_yml`, `obtain_all_devices`) make of
//! the same files.
//!
//! The tools come from a venv (`$NETRUN_INVENTORY_VENV`, else /tmp/netrun-inventory-venv, made
//! by .ci/run with `pip install nornir ansible-core netmiko`). Without it the test says so and checks
//! nothing, except under CI (`CI=true`), where a missing venv fails.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{json, netrun_in, stderr};
use serde_json::{json, Value};

/// Reads an inventory with the Python tools and prints, per host, what netrun should resolve:
/// Nornir's or Ansible's values, put in netrun's terms only where netrun defines them (the
/// plugin order netrun reads connection_options in, default port 22, Netmiko platform names).
const RESOLVE_PY: &str = r#"
import json, subprocess, sys

NETMIKO = {"ios": "cisco_ios", "cisco.ios.ios": "cisco_ios", "eos": "arista_eos",
           "arista.eos.eos": "arista_eos", "junos": "juniper_junos",
           "junipernetworks.junos.junos": "juniper_junos"}

def platform(name):
    if name is None:
        return "cisco_ios"
    return NETMIKO.get(name, name)

def nornir_hosts(config):
    from nornir import InitNornir
    nr = InitNornir(config_file=config, logging={"enabled": False})
    plugins = [("netrun", ["secret"]), ("netmiko", ["secret"]),
               ("scrapli", ["auth_secondary"]), ("napalm", ["optional_args", "secret"])]
    out = []
    for name, host in nr.inventory.hosts.items():
        chosen = {}
        secret = None
        for plugin, path in plugins:
            options = host._get_connection_options_recursively(plugin)
            for field in ["hostname", "port", "username", "password", "platform"]:
                value = getattr(options, field)
                if value is not None and field not in chosen:
                    chosen[field] = value
            extras = options.extras
            for key in path:
                extras = extras.get(key) if isinstance(extras, dict) else None
            if secret is None and extras is not None:
                secret = extras
        get = lambda field: chosen.get(field, getattr(host, field))
        out.append({
            "name": name,
            "hostname": get("hostname") or name,
            "port": get("port") or 22,
            "username": get("username") or "",
            "platform": platform(get("platform")),
            "groups": [g.name for g in host.extended_groups()],
            "has_password": bool(get("password")),
            "has_secret": secret is not None,
        })
    return out

def ansible_hosts(inventory):
    listed = json.loads(subprocess.check_output(
        [sys.argv[3], "-i", inventory, "--list"], stderr=subprocess.DEVNULL))
    hostvars = listed["_meta"]["hostvars"]
    parents = {}
    direct = {}
    for group, entry in listed.items():
        if group == "_meta":
            continue
        for child in entry.get("children", []):
            parents.setdefault(child, []).append(group)
        for host in entry.get("hosts", []):
            direct.setdefault(host, []).append(group)
    def ancestors(groups):
        seen = set()
        while groups:
            group = groups.pop()
            if group not in seen:
                seen.add(group)
                groups.extend(parents.get(group, []))
        seen.discard("all")
        return sorted(seen)
    out = []
    for name in hostvars.keys() | direct.keys():
        v = hostvars.get(name, {})
        out.append({
            "name": name,
            "hostname": v.get("ansible_host", name),
            "port": v.get("ansible_port", 22),
            "username": v.get("ansible_user", v.get("ansible_ssh_user", "")),
            "platform": platform(v.get("ansible_network_os")),
            "groups": ancestors(list(direct.get(name, []))),
            "has_password": bool(v.get("ansible_password", v.get("ansible_ssh_pass"))),
            "has_secret": ("ansible_become_password" in v or "ansible_become_pass" in v),
        })
    return out

def netmiko_hosts(path):
    from netmiko.utilities import load_netmiko_yml, obtain_all_devices
    _, devices = load_netmiko_yml(path)
    out = []
    for name, d in obtain_all_devices(devices).items():
        device_type = d["device_type"]
        telnet = device_type.endswith("_telnet")
        for suffix in ["_telnet", "_ssh"]:
            if device_type.endswith(suffix):
                device_type = device_type[: -len(suffix)]
        out.append({
            "name": name,
            # Netmiko's BaseConnection takes `ip` over `host`.
            "hostname": d.get("ip") or d.get("host"),
            "port": d.get("port") or (23 if telnet else 22),
            "username": d.get("username", ""),
            "platform": device_type,
            "groups": [g for g, v in devices.items() if isinstance(v, list) and name in v],
            "has_password": bool(d.get("password")),
            "has_secret": bool(d.get("secret")),
        })
    return out

mode, path = sys.argv[1], sys.argv[2]
readers = {"nornir": nornir_hosts, "ansible": ansible_hosts, "netmiko": netmiko_hosts}
hosts = readers[mode](path)
print(json.dumps(sorted(hosts, key=lambda h: h["name"])))
"#;

/// The venv's bin folder, or `None` (outside CI) when there is none.
fn venv_bin() -> Option<PathBuf> {
    let venv = std::env::var_os("NETRUN_INVENTORY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/netrun-inventory-venv"));
    let bin = venv.join("bin");
    let ready = bin.join("ansible-inventory").exists()
        && Command::new(bin.join("python"))
            .args(["-c", "import nornir, netmiko"])
            .output()
            .is_ok_and(|out| out.status.success());
    if ready {
        return Some(bin);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but there is no venv with nornir, ansible-core and netmiko at {} (.ci/run makes it)",
        venv.display()
    );
    eprintln!(
        "skipped: no venv with nornir, ansible-core and netmiko at {} (see .ci/run)",
        venv.display()
    );
    None
}

/// The Python tools' view of the inventory at `path` (run in `dir`).
fn python_view(bin: &Path, dir: &Path, mode: &str, path: &str) -> Vec<Value> {
    let script = dir.join("resolve.py");
    std::fs::write(&script, RESOLVE_PY).unwrap();
    let out = Command::new(bin.join("python"))
        .arg(&script)
        .args([mode, path])
        .arg(bin.join("ansible-inventory"))
        .current_dir(dir)
        .env("ANSIBLE_LOCAL_TEMP", dir.join(".ansible-tmp"))
        .env("ANSIBLE_HOME", dir.join(".ansible"))
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "{mode} {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

/// netrun's view, in the same terms.
fn netrun_view(dir: &Path, path: &str) -> Vec<Value> {
    let out = netrun_in(
        Some(dir),
        &["inventory", "-i", path, "-o", "json"],
        &[],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut hosts: Vec<Value> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            json!({
                "name": h["name"],
                "hostname": h["host"],
                "port": h["port"],
                "username": h["username"],
                "platform": h["platform"],
                "groups": h["groups"],
                "has_password": h["has_password"],
                "has_secret": h["has_secret"],
            })
        })
        .collect();
    hosts.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    hosts
}

fn compare(bin: &Path, dir: &Path, mode: &str, path: &str, expected_hosts: usize) {
    let theirs = python_view(bin, dir, mode, path);
    let ours = netrun_view(dir, path);
    assert_eq!(theirs.len(), expected_hosts, "{theirs:#?}");
    let by_name = |hosts: &[Value]| -> BTreeMap<String, Value> {
        hosts
            .iter()
            .map(|h| (h["name"].as_str().unwrap().to_string(), h.clone()))
            .collect()
    };
    let (theirs, ours) = (by_name(&theirs), by_name(&ours));
    assert_eq!(
        theirs.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "{path}: host names"
    );
    for (name, their) in &theirs {
        assert_eq!(
            &ours[name], their,
            "{path}: host {name} (left netrun, right {mode})"
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    if let Some(parent) = Path::new(name).parent() {
        std::fs::create_dir_all(dir.join(parent)).unwrap();
    }
    std::fs::write(dir.join(name), text).unwrap();
}

const NORNIR_HOSTS: &str = "\
R1:
  hostname: 10.0.0.1
  port: 22
  groups: [core, edge]
R2:
  hostname: 10.0.0.2
  groups: [edge]
  connection_options:
    netmiko: {extras: {fast_cli: false}}
R3:
  connection_options:
    netrun: {hostname: 10.0.0.3, port: 2000}
    netmiko: {hostname: 10.9.9.9, port: 9999, username: nm}
R4:
  hostname: 10.0.0.4
  groups: [napalm_boxes]
R5:
  hostname: 10.0.0.5
  username: own
  password: own-pw
  groups: [scrapli_boxes, core]
";

const NORNIR_GROUPS: &str = "\
core:
  groups: [dc]
  connection_options:
    netmiko:
      port: 2222
      extras: {secret: core-enable}
edge:
  username: edge-user
  platform: eos
  connection_options:
    netmiko:
      username: nm-edge
      extras: {secret: edge-enable}
dc:
  password: dc-pw
napalm_boxes:
  connection_options:
    napalm:
      platform: junos
      extras: {optional_args: {secret: napalm-enable}}
scrapli_boxes:
  connection_options:
    scrapli:
      port: 830
      extras: {auth_secondary: scrapli-enable}
";

const NORNIR_DEFAULTS: &str = "\
platform: ios
connection_options:
  netmiko:
    username: nm-default
";

#[test]
fn nornir_folder_and_config_resolve_as_nornir_does() {
    let Some(bin) = venv_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inv/hosts.yaml", NORNIR_HOSTS);
    write(dir.path(), "inv/groups.yaml", NORNIR_GROUPS);
    write(dir.path(), "inv/defaults.yaml", NORNIR_DEFAULTS);
    write(
        dir.path(),
        "config.yaml",
        "inventory:\n  plugin: SimpleInventory\n  options:\n    host_file: inv/hosts.yaml\n    \
         group_file: inv/groups.yaml\n    defaults_file: inv/defaults.yaml\n",
    );
    compare(&bin, dir.path(), "nornir", "config.yaml", 5);

    // The same folder read as a folder (netrun) and through Nornir's default file names.
    write(
        dir.path(),
        "inv/config.yaml",
        "inventory:\n  plugin: SimpleInventory\n",
    );
    let theirs = python_view(&bin, &dir.path().join("inv"), "nornir", "config.yaml");
    std::fs::remove_file(dir.path().join("inv/config.yaml")).unwrap();
    let ours = netrun_view(dir.path(), "inv");
    assert_eq!(ours, theirs);
}

const ANSIBLE_INI: &str = "\
r0 ansible_host=10.0.0.9
[core]
r1 ansible_host=10.0.0.1 ansible_port=2222 ansible_user=own
r[2:3] ansible_network_os=cisco.ios.ios
[core:vars]
ansible_user=core-user
ansible_network_os=eos
[edge]
r3:2200
edge[a:b].lab:2300 ansible_connection=telnet
sw[08:10] ansible_become_pass=x
[dc:children]
core
edge
[dc:vars]
ansible_become_password=en
ansible_connection=network_cli
ansible_user=dc-user
[all:vars]
ansible_password=pw
ntp=10.5.5.1
";

const ANSIBLE_YAML: &str = "\
all:
  vars:
    ansible_user: all-user
    ansible_network_os: junipernetworks.junos.junos
  hosts:
    r1:
      ansible_host: 10.0.0.1
    lonely:
  children:
    routers:
      vars: {ansible_user: routers-user, ansible_become_pass: en}
      children:
        core:
          vars: {ansible_user: core-user}
          hosts:
            r1:
            r2: {ansible_port: 2022}
            'r[5:6]:2200':
        aa_edge:
          vars: {ansible_user: aa-user, ansible_ssh_pass: pw}
          hosts:
            r2:
              ansible_host: 10.0.0.2
    zz_other:
      vars: {ansible_user: zz-user, ansible_network_os: arista.eos.eos}
      hosts:
        r1:
        r7: {ansible_port: 2007}
    prio:
      vars: {ansible_user: prio-user, ansible_group_priority: 5}
      hosts:
        r7:
      children: lone
    lone:
      hosts: r8
";

#[test]
fn ansible_ini_and_yaml_resolve_as_ansible_inventory_does() {
    let Some(bin) = venv_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "hosts.ini", ANSIBLE_INI);
    compare(&bin, dir.path(), "ansible", "hosts.ini", 9);
    write(dir.path(), "inventory.yml", ANSIBLE_YAML);
    compare(&bin, dir.path(), "ansible", "inventory.yml", 7);
}

const NETMIKO_YML: &str = "\
__meta__:
  encryption: false
cisco3: &cisco
  device_type: cisco_ios
  host: cisco3.lasthop.io
  username: pyclass
  password: pw
  secret: en
arista1:
  device_type: arista_eos
  ip: 10.0.0.11
  host: ignored.example.com
  port: 2222
  username: admin
  password: pw
rtr-telnet:
  <<: *cisco
  device_type: cisco_ios_telnet
  host: 10.0.0.12
  secret: ''
srx:
  device_type: juniper_junos
  host: 10.0.0.13
cisco:
  - cisco3
  - rtr-telnet
eos: [arista1]
lab: [arista1, cisco3]
";

#[test]
fn netmiko_yml_resolves_as_netmiko_does() {
    let Some(bin) = venv_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".netmiko.yml", NETMIKO_YML);
    compare(&bin, dir.path(), "netmiko", ".netmiko.yml", 4);
}

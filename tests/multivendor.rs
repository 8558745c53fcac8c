//! Issue 10's acceptance, end to end: the real netrun binary against a testbed of every
//! personality (`testbed/labs/multivendor.yaml`: cisco_ios, cisco_nxos, cisco_xr, arista_eos,
//! juniper_junos, cisco_asa, linux), over SSH and Telnet, under every strategy. netrun's profiles
//! and the testbed's personalities were built apart, each from vendor documentation and real
//! captured output, so a run that passes here is two independent readings agreeing.
//!
//! - the everyday show commands of each platform give the same outcomes under every strategy,
//!   and the same output over SSH and Telnet;
//! - a command a platform lacks fails its host quoting that platform's error text;
//! - a config push per platform (lines, XR and Junos commits, `--save` where it applies) is read
//!   back in new sessions;
//! - rejected lines and failed commits fail only their hosts, name the line, quote the device,
//!   and leave no device in config mode and no candidate behind (checked from fresh sessions);
//! - Nornir's filtering_deep_dive inventory runs against a matching lab.

mod common;

use std::path::{Path, PathBuf};

use common::{error_kinds, json, netrun, stderr, TestLab};
use serde_json::Value;

/// One device of the multivendor lab: its name there, device_type and everyday show commands
/// (the vendors' names for "version" and "interface summary").
struct Device {
    name: &'static str,
    device_type: &'static str,
    shows: [&'static str; 2],
    /// Text `shows[0]` prints on this platform.
    version_mark: &'static str,
}

const DEVICES: [Device; 7] = [
    Device {
        name: "R1",
        device_type: "cisco_ios",
        shows: ["show version", "show ip interface brief"],
        version_mark: "Cisco IOS Software",
    },
    Device {
        name: "R2",
        device_type: "cisco_nxos",
        shows: ["show version", "show interface brief"],
        version_mark: "Cisco Nexus Operating System (NX-OS) Software",
    },
    Device {
        name: "R3",
        device_type: "cisco_xr",
        shows: ["show version", "show ipv4 interface brief"],
        version_mark: "Cisco IOS XR Software",
    },
    Device {
        name: "R4",
        device_type: "arista_eos",
        shows: ["show version", "show interfaces status"],
        version_mark: "Arista",
    },
    Device {
        name: "R5",
        device_type: "juniper_junos",
        shows: ["show version", "show interfaces terse"],
        version_mark: "Junos:",
    },
    Device {
        name: "R6",
        device_type: "cisco_asa",
        shows: ["show version", "show interface ip brief"],
        version_mark: "Cisco Adaptive Security Appliance Software",
    },
    Device {
        name: "R7",
        device_type: "linux",
        shows: ["uname -a", "ip -br addr"],
        version_mark: "Linux R7",
    },
];

/// The prompt a fresh session ends at: the command level, never a config mode.
fn command_prompt(name: &str) -> String {
    match name {
        "R3" => "RP/0/RSP0/CPU0:R3#".to_string(),
        "R5" => "cisco@R5>".to_string(),
        "R7" => "cisco@R7:~$".to_string(),
        other => format!("{other}#"),
    }
}

fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

fn multivendor_lab(extra: &[&str]) -> TestLab {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("testbed/labs/multivendor.yaml");
    TestLab::start_lab(&lab, DEVICES.len(), extra)
}

/// The lab's devices as `<name>-telnet` entries with `transport: telnet` (their Telnet ports).
fn telnet_entries(lab: &TestLab) -> String {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut entries = String::new();
    for entry in text.split("- name: ").skip(1) {
        let (name, rest) = entry.split_once('\n').unwrap();
        assert!(rest.contains("telnet_port:"), "{name} speaks no Telnet");
        entries.push_str(&format!(
            "- name: {name}-telnet\n{}\n  transport: telnet\n",
            rest.trim_end()
        ));
    }
    entries
}

/// An inventory file `name` in the lab's folder holding `text`.
fn inventory_file(lab: &TestLab, name: &str, text: &str) -> PathBuf {
    let path = lab.dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The lab's inventory (every device over SSH, its Telnet port in `telnet_port`) plus the same
/// devices again over Telnet.
fn ssh_and_telnet_inventory(lab: &TestLab) -> PathBuf {
    let ssh = std::fs::read_to_string(lab.inventory()).unwrap();
    inventory_file(lab, "ssh_and_telnet.yaml", &(ssh + &telnet_entries(lab)))
}

/// IOS-XR stamps every show output with the time it ran (`Wed Sep  4 00:44:53.113 UTC`): the
/// one line that differs between two runs of the same command.
fn without_xr_stamp(output: &str) -> String {
    let stamp = regex::Regex::new(
        r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3} UTC$",
    )
    .unwrap();
    match output.split_once('\n') {
        Some((first, rest)) if stamp.is_match(first) => rest.to_string(),
        _ => output.to_string(),
    }
}

/// A host's outcome without its timings.
#[derive(Debug, PartialEq)]
struct Outcome {
    name: String,
    ok: bool,
    kind: String,
    prompt: String,
    /// (command, output) pairs.
    commands: Vec<(String, String)>,
}

fn outcomes(doc: &Value) -> Vec<Outcome> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Outcome {
            name: h["name"].as_str().unwrap().to_string(),
            ok: h["ok"].as_bool().unwrap(),
            kind: h["error"]["kind"].as_str().unwrap_or("ok").to_string(),
            prompt: h["prompt"].as_str().unwrap().to_string(),
            commands: h["commands"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["command"].as_str().unwrap().to_string(),
                        without_xr_stamp(c["output"].as_str().unwrap()),
                    )
                })
                .collect(),
        })
        .collect()
}

/// `netrun show` of `commands` on the hosts `limits` select; the JSON document.
fn show(inventory: &Path, limits: &[&str], strategy: &str, commands: &[&str]) -> Value {
    let mut args = vec![
        "-i",
        inventory.to_str().unwrap(),
        "-s",
        strategy,
        "-o",
        "json",
    ];
    for limit in limits {
        args.extend(["-l", limit]);
    }
    for command in commands {
        args.extend(["-c", command]);
    }
    let out = netrun(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{strategy} {limits:?} {commands:?}: {}",
        stderr(&out)
    );
    json(&out)
}

#[test]
fn every_platform_gives_the_same_outcomes_under_every_strategy_over_ssh_and_telnet() {
    let lab = multivendor_lab(&["--telnet-port", "auto"]);
    let inventory = ssh_and_telnet_inventory(&lab);
    let mut first: Option<Vec<_>> = None;
    for strategy in strategies() {
        let mut run = Vec::new();
        for device in &DEVICES {
            let telnet = format!("{}-telnet", device.name);
            let doc = show(&inventory, &[device.name, &telnet], strategy, &device.shows);
            let hosts = outcomes(&doc);
            assert_eq!(hosts.len(), 2, "{strategy}: {doc}");
            let (ssh, telnet) = (&hosts[0], &hosts[1]);
            let prompt = command_prompt(device.name);
            for host in [ssh, telnet] {
                assert!(host.ok, "{strategy} {}: {doc}", host.name);
                assert_eq!(host.prompt, prompt, "{strategy} {}", host.name);
                let version = &host.commands[0].1;
                assert!(
                    version.contains(device.version_mark),
                    "{strategy} {} ({}): {version}",
                    host.name,
                    device.device_type
                );
                assert!(host.commands[1].1.lines().count() >= 3, "{strategy}: {doc}");
            }
            // One device, two transports: the same words.
            assert_eq!(ssh.commands, telnet.commands, "{strategy} {}", device.name);
            run.extend(hosts);
        }
        match &first {
            None => first = Some(run),
            Some(expected) => assert_eq!(&run, expected, "{strategy} differs"),
        }
    }
}

/// What each platform answers a command it does not have, as its vendor documents it.
fn unknown_command_error(name: &str) -> &'static str {
    match name {
        "R1" | "R3" => "% Invalid input detected at '^' marker.",
        "R2" => "% Invalid command at '^' marker.",
        "R4" => "% Invalid input",
        "R5" => "syntax error, expecting <command>.",
        "R6" => "ERROR: % Invalid input detected at '^' marker.",
        _ => "-bash: show: command not found",
    }
}

#[test]
fn a_command_a_platform_lacks_fails_its_host_quoting_the_platforms_error() {
    let lab = multivendor_lab(&["--telnet-port", "auto"]);
    let inventory = ssh_and_telnet_inventory(&lab);
    for strategy in strategies() {
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "-c",
            "show bogus-thing",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let hosts = doc["hosts"].as_array().unwrap();
        assert_eq!(hosts.len(), 2 * DEVICES.len());
        for host in hosts {
            let entry = host["name"].as_str().unwrap();
            let name = entry.trim_end_matches("-telnet");
            assert_eq!(host["error"]["kind"], "command", "{strategy}: {host}");
            assert_eq!(
                host["error"]["message"].as_str().unwrap(),
                format!("`show bogus-thing` failed: {}", unknown_command_error(name)),
                "{strategy} {entry}"
            );
            // Still at the command level: the session went on to its polite exit.
            assert_eq!(host["prompt"], command_prompt(name), "{strategy}: {host}");
        }
    }
}

/// A template that pushes `lines(platform)` per platform, written into `dir`.
fn template(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// Every host's `config` object, by name.
fn configs(doc: &Value) -> Vec<(String, Value)> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["name"].as_str().unwrap().to_string(), h.clone()))
        .collect()
}

/// What `--save` does per platform, as the device (or netrun, where there is nothing to run)
/// answers it.
fn save_reply_mark(name: &str) -> &'static str {
    match name {
        "R1" => "[OK]",
        "R2" => "Copy complete.",
        "R3" => "saves by committing",
        "R4" => "Copy completed successfully.",
        "R5" => "saves by committing",
        "R6" => "[OK]",
        _ => "nothing to save",
    }
}

/// `--diff`'s unified diff changes only what the push did: each added line holds one of
/// `pushed` (or is the `ntp {` ... `}` frame Junos puts around a first server), each removed
/// line is an earlier push's description. Nothing volatile (IOS-XR's stamp, NX-OS's `!Time:`)
/// shows.
fn assert_diff_is_the_push(name: &str, config: &Value, pushed: &[String]) {
    let diff = config["diff"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no diff"));
    let body = diff
        .lines()
        .filter(|l| !l.starts_with("+++") && !l.starts_with("---"));
    let mut added = 0;
    for line in body {
        if let Some(line) = line.strip_prefix('+') {
            let line = line.trim();
            added += 1;
            assert!(
                pushed.iter().any(|p| line.contains(p.as_str())) || ["ntp {", "}"].contains(&line),
                "{name}: `{line}` is not the push:\n{diff}"
            );
        } else if let Some(line) = line.strip_prefix('-') {
            assert!(
                line.contains("netrun "),
                "{name}: `{line}` went away:\n{diff}"
            );
        }
    }
    assert!(added > 0, "{name}: the diff shows no push:\n{diff}");
}

#[test]
fn a_config_push_per_platform_under_every_strategy_is_read_back_in_new_sessions() {
    let lab = multivendor_lab(&["--telnet-port", "auto"]);
    let inventory = lab.inventory();
    let telnet = inventory_file(&lab, "telnet.yaml", &telnet_entries(&lab));
    let dir = tempfile::tempdir().unwrap();
    // Each strategy pushes over SSH, then over Telnet: push k sets its own values.
    let pushed: Vec<(&str, &Path, String)> = strategies()
        .flat_map(|s| {
            [
                (s, inventory.as_path(), format!("{s} ssh")),
                (s, telnet.as_path(), format!("{s} telnet")),
            ]
        })
        .collect();
    for (k, (strategy, inv, label)) in pushed.iter().enumerate() {
        let push = template(
            dir.path(),
            &format!("push{k}.j2"),
            &format!(
                "{{% if platform == 'juniper_junos' %}}set system ntp server 10.77.{k}.1\n\
                 set interfaces ge-0/0/2 description \"netrun {label}\"\n\
                 {{% elif platform == 'cisco_xr' %}}ntp server 10.77.{k}.1\n\
                 interface GigabitEthernet0/0/0/2\n description netrun {label}\n\
                 {{% elif platform == 'linux' %}}echo netrun {label} >> /etc/motd\n\
                 {{% else %}}ntp server 10.77.{k}.1\n{{% endif %}}"
            ),
        );
        let out = netrun(&[
            "config",
            "-i",
            inv.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "-t",
            push.to_str().unwrap(),
            "--save",
            "--diff",
        ]);
        assert_eq!(out.status.code(), Some(0), "{label}: {}", stderr(&out));
        for (entry, host) in configs(&json(&out)) {
            let name = entry.trim_end_matches("-telnet");
            let config = &host["config"];
            assert_eq!(host["ok"], true, "{label}: {host}");
            assert_eq!(config["final_prompt"], command_prompt(name), "{host}");
            let save = config["save"]["reply"].as_str().unwrap();
            assert!(save.contains(save_reply_mark(name)), "{label}: {host}");
            match name {
                "R3" => assert_eq!(config["commit"]["ok"], true, "{host}"),
                "R5" => assert_eq!(config["commit"]["reply"], "commit complete", "{host}"),
                _ => assert!(config["commit"].is_null(), "{host}"),
            }
            if name != "R7" {
                let pushed = [format!("10.77.{k}.1"), format!("netrun {label}")];
                assert_diff_is_the_push(&entry, config, &pushed);
            }
        }
    }

    // New sessions: every push is there, saved where the platform saves.
    let ntp = |k: usize| format!("ntp server 10.77.{k}.1");
    let read = |name: &str, commands: &[&str]| -> Vec<String> {
        let doc = show(&inventory, &[name], "threads", commands);
        let host = &doc["hosts"][0];
        assert_eq!(host["prompt"], command_prompt(name));
        host["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["output"].as_str().unwrap().to_string())
            .collect()
    };
    for name in ["R1", "R2", "R4", "R6"] {
        let texts = read(
            name,
            &[
                "show running-config | include ntp server 10.77.",
                "show startup-config | include ntp server 10.77.",
            ],
        );
        for text in &texts {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            let expected: Vec<String> = (0..pushed.len()).map(ntp).collect();
            assert_eq!(lines, expected, "{name}: {texts:?}");
        }
    }
    let xr = read("R3", &["show running-config"]).remove(0);
    for k in 0..pushed.len() {
        assert!(xr.contains(&ntp(k)), "R3: {xr}");
    }
    let last = &pushed.last().unwrap().2;
    assert!(
        xr.contains(&format!(
            "interface GigabitEthernet0/0/0/2\n description netrun {last}\n"
        )),
        "R3: {xr}"
    );
    let junos = read(
        "R5",
        &[
            "show configuration | display set | match ntp",
            "show configuration | display set | match ge-0/0/2",
        ],
    );
    let servers: Vec<String> = (0..pushed.len())
        .map(|k| format!("set system {}", ntp(k)))
        .collect();
    assert_eq!(junos[0].lines().collect::<Vec<_>>(), servers, "{junos:?}");
    assert!(
        junos[1].contains(&format!(
            "set interfaces ge-0/0/2 description \"netrun {last}\""
        )),
        "{junos:?}"
    );
    let motd = read("R7", &["cat /etc/motd"]).remove(0);
    for (_, _, label) in &pushed {
        assert!(
            motd.lines().any(|l| l == format!("netrun {label}")),
            "{motd}"
        );
    }
}

/// Rejected lines on some platforms, clean pushes on the others (round A); failed commits on
/// IOS-XR (one IPv4 address on two interfaces) and Junos (a login user without a class),
/// rejected lines and clean pushes elsewhere (round B). Values are per strategy (`{k}`).
const ROUND_A: &str = "{% if name in ['R1', 'R2', 'R4', 'R6'] %}ntp server 10.66.{k}.1
{% if name in ['R1', 'R6'] %}ntp bogus-knob on
{% endif %}ntp server 10.66.{k}.2
{% elif name == 'R3' %}ntp server 10.66.{k}.1
ntp bogus-knob on
ntp server 10.66.{k}.2
{% elif name == 'R5' %}set system ntp server 10.66.{k}.1
set system bogus-knob on
set system ntp server 10.66.{k}.2
{% else %}echo round-a-{k} >> /tmp/netrun-round
bogus-command --now
echo never-{k} >> /tmp/netrun-round
{% endif %}";

const ROUND_B: &str = "{% if name in ['R1', 'R2', 'R4', 'R6'] %}ntp server 10.55.{k}.1
{% if name in ['R2', 'R4'] %}ntp bogus-knob on
{% endif %}ntp server 10.55.{k}.2
{% elif name == 'R3' %}ntp server 10.55.{k}.1
interface GigabitEthernet0/0/0/3
 ipv4 address 10.0.2.1 255.255.255.0
{% elif name == 'R5' %}set system ntp server 10.55.{k}.1
set system login user netops{k} authentication encrypted-password \"$6$netrun\"
{% else %}echo round-b-{k} >> /tmp/netrun-round
{% endif %}";

/// The hosts a round fails: (round, host, what the message starts with, the device's words it
/// quotes, the discard netrun sends after it). Every other host's push is clean.
const FAILURES: [(&str, &str, &str, &str, Option<&str>); 9] = [
    (
        "A",
        "R1",
        "config line 2 'ntp bogus-knob on' rejected: ",
        "% Invalid input detected at '^' marker.",
        None,
    ),
    (
        "A",
        "R3",
        "config line 2 'ntp bogus-knob on' rejected: ",
        "% Invalid input detected at '^' marker.",
        Some("abort"),
    ),
    (
        "A",
        "R5",
        "config line 2 'set system bogus-knob on' rejected: ",
        "syntax error.",
        Some("rollback 0"),
    ),
    (
        "A",
        "R6",
        "config line 2 'ntp bogus-knob on' rejected: ",
        "ERROR: % Invalid input detected at '^' marker.",
        None,
    ),
    (
        "A",
        "R7",
        "config line 2 'bogus-command --now' rejected: ",
        "-bash: bogus-command: command not found",
        None,
    ),
    (
        "B",
        "R2",
        "config line 2 'ntp bogus-knob on' rejected: ",
        "% Invalid command at '^' marker.",
        None,
    ),
    (
        "B",
        "R4",
        "config line 2 'ntp bogus-knob on' rejected: ",
        "% Invalid input",
        None,
    ),
    (
        "B",
        "R3",
        "'commit' failed: ",
        "% Failed to commit one or more configuration items",
        Some("abort"),
    ),
    (
        "B",
        "R5",
        "'commit' failed: ",
        "Missing mandatory statement: 'class' error: commit failed: (missing mandatory statements)",
        Some("rollback 0"),
    ),
];

fn expected_failure(
    round: &str,
    name: &str,
) -> Option<(&'static str, &'static str, Option<&'static str>)> {
    FAILURES
        .iter()
        .find(|f| f.0 == round && f.1 == name)
        .map(|f| (f.2, f.3, f.4))
}

fn push_round(inventory: &str, dir: &Path, strategy: &str, k: usize, round: &str, body: &str) {
    let body = body.replace("{k}", &k.to_string());
    let path = template(dir, &format!("round{round}{k}.j2"), &body);
    let out = netrun(&[
        "config",
        "-i",
        inventory,
        "-s",
        strategy,
        "-o",
        "json",
        "-t",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{strategy} {round}: {}",
        stderr(&out)
    );
    for (name, host) in configs(&json(&out)) {
        let config = &host["config"];
        // Wherever the push ended, the session left config mode.
        assert_eq!(
            config["final_prompt"],
            command_prompt(&name),
            "{strategy} {round}: {host}"
        );
        match expected_failure(round, &name) {
            None => assert_eq!(host["ok"], true, "{strategy} {round}: {host}"),
            Some((start, quote, discard)) => {
                assert_eq!(host["error"]["kind"], "command", "{host}");
                let message = host["error"]["message"].as_str().unwrap();
                assert!(
                    message.starts_with(start),
                    "{strategy} {round} {name}: {message}"
                );
                assert!(
                    message.contains(quote),
                    "{strategy} {round} {name}: {message}"
                );
                match discard {
                    Some(discard) => {
                        assert_eq!(config["discard"]["command"], discard, "{host}");
                        assert!(
                            message.ends_with(&format!("(candidate discarded with '{discard}')")),
                            "{message}"
                        );
                    }
                    None => assert!(config["discard"].is_null(), "{host}"),
                }
                // Nothing is sent after a rejected line.
                if start.starts_with("config line") {
                    assert_eq!(config["failed_line"], 2, "{host}");
                    assert!(config["commit"].is_null(), "{host}");
                }
            }
        }
    }
}

/// `config` pushing `line` to `name` alone, in a fresh session: the reply to it.
fn config_reply(inventory: &str, name: &str, line: &str) -> String {
    let out = netrun(&[
        "config", "-i", inventory, "-l", name, "-o", "json", "-c", line,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name} {line}: {}",
        stderr(&out)
    );
    let doc = json(&out);
    doc["hosts"][0]["config"]["lines"][0]["reply"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn rejected_lines_and_failed_commits_fail_only_their_hosts_and_leave_nothing_behind() {
    let lab = multivendor_lab(&[]);
    let inventory = lab.inventory();
    let inv = inventory.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<&str> = strategies().collect();
    for (k, strategy) in runs.iter().enumerate() {
        push_round(inv, dir.path(), strategy, k, "A", ROUND_A);
        push_round(inv, dir.path(), strategy, k, "B", ROUND_B);
    }

    // Fresh sessions. Line-by-line platforms kept what came before a rejected line and nothing
    // after it; clean pushes are whole.
    let read = |name: &str, command: &str| -> String {
        let doc = show(&inventory, &[name], "threads", &[command]);
        assert_eq!(doc["hosts"][0]["prompt"], command_prompt(name), "{doc}");
        doc["hosts"][0]["commands"][0]["output"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for name in ["R1", "R2", "R4", "R6"] {
        let running = read(
            name,
            "show running-config | include ntp server 10.[56][56].",
        );
        let lines: Vec<&str> = running.lines().map(str::trim).collect();
        let mut expected = Vec::new();
        for round in ["66", "55"] {
            for k in 0..runs.len() {
                let rejected = match round {
                    "66" => ["R1", "R6"].contains(&name),
                    _ => ["R2", "R4"].contains(&name),
                };
                expected.push(format!("ntp server 10.{round}.{k}.1"));
                if !rejected {
                    expected.push(format!("ntp server 10.{round}.{k}.2"));
                }
            }
        }
        let mut lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        lines.sort();
        expected.sort();
        assert_eq!(lines, expected, "{name}: {running}");
    }
    // Candidate platforms: neither a rejected push nor a failed commit changed anything, and
    // no candidate is left: Junos's candidate is shared by every session, so a fresh one
    // compares clean; IOS-XR's is per session, and its running-config has neither push.
    let xr = read("R3", "show running-config");
    assert!(!xr.contains("10.66.") && !xr.contains("10.55."), "R3: {xr}");
    assert!(
        !xr.contains("interface GigabitEthernet0/0/0/3\n ipv4"),
        "R3: {xr}"
    );
    let junos = read("R5", "show configuration | display set");
    assert!(
        !junos.contains("10.66.") && !junos.contains("10.55."),
        "R5: {junos}"
    );
    assert!(!junos.contains("netops"), "R5: {junos}");
    assert_eq!(config_reply(inv, "R5", "show | compare").trim(), "", "R5");
    let candidate = config_reply(inv, "R3", "show configuration");
    assert!(
        !candidate.contains("ntp") && !candidate.contains("ipv4"),
        "R3: {candidate}"
    );
    // Linux ran up to the rejected command, as a shell does.
    let round = read("R7", "cat /tmp/netrun-round");
    let mut lines: Vec<&str> = round.lines().collect();
    lines.sort();
    let mut expected: Vec<String> = (0..runs.len())
        .flat_map(|k| [format!("round-a-{k}"), format!("round-b-{k}")])
        .collect();
    expected.sort();
    assert_eq!(lines, expected, "R7: {round}");
}

/// The device of the lab each NAPALM platform name of the deep-dive inventory goes to.
fn deep_dive_device(group: &str) -> Option<usize> {
    match group {
        "ios" => Some(0),
        "nxos" | "nxos_ssh" => Some(1),
        "eos" => Some(2),
        "junos" => Some(3),
        _ => None,
    }
}

/// Nornir's filtering_deep_dive folder copied into `dir` with each host's `hostname` pointed at
/// the lab device its first group's platform matches (Palo Alto hosts at a port where nothing
/// listens: a connection attempt would fail `connect`, not `platform`), and credentials added.
/// Groups and platforms are kept as they are.
fn deep_dive_against(lab: &TestLab, dir: &Path) -> PathBuf {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nornir_filtering_deep_dive");
    let lab_inventory = std::fs::read_to_string(lab.inventory()).unwrap();
    let ports: Vec<&str> = lab_inventory
        .lines()
        .filter_map(|l| l.trim().strip_prefix("port: "))
        .collect();
    let folder = dir.join("deep_dive");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(source.join("groups.yaml"), folder.join("groups.yaml")).unwrap();
    let hosts = std::fs::read_to_string(source.join("hosts.yaml")).unwrap();
    // Each host is a block from its unindented name line on; its first group is the first
    // `        - NAME` line of the block.
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in hosts.lines() {
        match blocks.last_mut() {
            Some(block) if line.starts_with(' ') || line.is_empty() => block.push(line),
            _ => blocks.push(vec![line]),
        }
    }
    let mut rewritten = String::new();
    for block in blocks {
        let group = block.iter().find_map(|l| l.strip_prefix("        - "));
        for line in block {
            match (line.starts_with("    hostname:"), group) {
                (true, Some(group)) => {
                    let port = deep_dive_device(group).map_or("1", |i| ports[i]);
                    rewritten.push_str(&format!(
                        "    hostname: 127.0.0.1\n    port: {port}\n    username: cisco\n    \
                         password: cisco\n    secret: cisco\n"
                    ));
                }
                _ => {
                    rewritten.push_str(line);
                    rewritten.push('\n');
                }
            }
        }
    }
    std::fs::write(folder.join("hosts.yaml"), rewritten).unwrap();
    folder
}

#[test]
fn nornirs_filtering_deep_dive_inventory_runs_against_a_matching_lab() {
    let dir = tempfile::tempdir().unwrap();
    let lab_file = dir.path().join("deep_dive_lab.yaml");
    std::fs::write(
        &lab_file,
        "groups:\n  - {count: 1, platform: cisco_ios}\n  - {count: 1, platform: cisco_nxos}\n  \
         - {count: 1, platform: arista_eos}\n  - {count: 1, platform: juniper_junos}\n",
    )
    .unwrap();
    let lab = TestLab::start_lab(&lab_file, 4, &[]);
    let folder = deep_dive_against(&lab, dir.path());
    let folder = folder.to_str().unwrap();
    let groups_of = |doc: &Value| -> Vec<(String, String)> {
        doc.as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["name"].as_str().unwrap().to_string(),
                    h["groups"][0].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let listed = groups_of(&json(&netrun(&["inventory", "-i", folder, "-o", "json"])));
    assert_eq!(listed.len(), 27);
    let mut first: Option<Vec<(String, String)>> = None;
    for strategy in strategies() {
        let out = netrun(&[
            "-i", folder, "-s", strategy, "-o", "json", "show", "version",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let kinds = error_kinds(&doc);
        assert_eq!(kinds.len(), 27);
        for (((name, kind), (listed_name, group)), host) in kinds
            .iter()
            .zip(&listed)
            .zip(doc["hosts"].as_array().unwrap())
        {
            assert_eq!(name, listed_name);
            match deep_dive_device(group) {
                Some(_) => {
                    assert_eq!(kind, "ok", "{strategy} {name}: {host}");
                    let version = host["commands"][0]["output"].as_str().unwrap();
                    let mark = match group.as_str() {
                        "ios" => "Cisco IOS Software",
                        "nxos" | "nxos_ssh" => "NX-OS",
                        "eos" => "Arista",
                        _ => "Junos:",
                    };
                    assert!(version.contains(mark), "{strategy} {name}: {version}");
                }
                None => {
                    assert_eq!(kind, "platform", "{strategy} {name}");
                    let message = host["error"]["message"].as_str().unwrap();
                    assert!(
                        message.starts_with(&format!(
                            "{folder}/groups.yaml:23:15: platform: unknown device type \
                             \"paloalto_panos\""
                        )),
                        "{message}"
                    );
                }
            }
        }
        match &first {
            None => first = Some(kinds),
            Some(expected) => assert_eq!(&kinds, expected, "{strategy}"),
        }
    }
}

//! `--parse textfsm` end to end: the real netrun binary against a real testbed, its records
//! compared with what Python's `ntc_templates.parse.parse_output` makes of netrun's own raw
//! output, and the ways a command can fail to parse (each reported, counted, and with
//! `--parse-strict` failing its host).
//!
//! The comparison needs a Python venv with ntc-templates (`.ci/run` makes one and exports
//! `NETRUN_TEST_VENV`). Under `CI=true` a missing venv fails the test; elsewhere it is skipped,
//! saying so on stderr.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{json, netrun, netrun_env, stderr, stdout, TestLab};
use serde_json::Value;

/// The testbed's IOS show commands that ntc-templates has templates for, some abbreviated (the
/// index resolves them as it does for Netmiko).
const IOS_COMMANDS: &[&str] = &[
    "show version",
    "sh ip int br",
    "show interfaces",
    "show ip route",
    "show arp",
    "show ip arp",
    "show clock",
];

/// The venv made by `.ci/run`, when it is there and imports ntc_templates.
fn venv() -> Option<PathBuf> {
    let found = std::env::var_os("NETRUN_TEST_VENV")
        .map(PathBuf::from)
        .filter(|venv| {
            Command::new(venv.join("bin/python3"))
                .args(["-c", "import ntc_templates, textfsm"])
                .stdin(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        });
    if found.is_none() {
        let why = "NETRUN_TEST_VENV does not name a venv with ntc-templates (.ci/run makes one)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("SKIPPED: {why}");
    }
    found
}

/// PATH with the venv's bin first, so netrun's `python3` is the venv's.
fn path_with(venv: &Path) -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", venv.join("bin").display())
}

/// What `ntc_templates.parse.parse_output` returns for every host's every command of a netrun
/// JSON report whose hosts are all of `platform`: per host, per command, the records.
fn python_records(venv: &Path, platform: &str, report: &[u8]) -> Value {
    const SCRIPT: &str = "import json, sys\n\
        from ntc_templates.parse import parse_output\n\
        doc = json.load(sys.stdin)\n\
        print(json.dumps([[parse_output(platform=sys.argv[1], command=c['command'], data=c['output'])\n\
                           for c in h['commands']] for h in doc['hosts']]))\n";
    let mut child = Command::new(venv.join("bin/python3"))
        .args(["-c", SCRIPT, platform])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), report).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn parsed_records_equal_what_ntc_templates_returns_under_every_strategy() {
    let Some(venv) = venv() else { return };
    let lab = TestLab::start(3, &[]);
    let inventory = lab.inventory();
    let mut args = vec![
        "-i",
        inventory.to_str().unwrap(),
        "-o",
        "json",
        "-p",
        "textfsm",
    ];
    for command in IOS_COMMANDS {
        args.extend(["-c", command]);
    }
    for strategy in netrun::strategies().map(|s| s.name()) {
        let argv = [&args[..], &["-s", strategy, "-w", "2"]].concat();
        // No --templates and no NET_TEXTFSM: the templates come from python3's package.
        let out = netrun_env(&argv, &[("PATH", &path_with(&venv)), ("NET_TEXTFSM", "")]);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("3 hosts, 3 ok, 0 failed in"),
            "{}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(", 0 commands not parsed"));
        let doc = json(&out);
        let python = python_records(&venv, "cisco_ios", &out.stdout);
        for (h, host) in doc["hosts"].as_array().unwrap().iter().enumerate() {
            for (c, command) in host["commands"].as_array().unwrap().iter().enumerate() {
                let what = format!("{strategy} {} `{}`", host["name"], command["command"]);
                assert_eq!(command["parse"]["ok"], true, "{what}: {}", command["parse"]);
                let ours = command["parsed"].as_array().unwrap();
                let theirs = python[h][c].as_array().unwrap();
                assert!(!ours.is_empty(), "{what}: no records");
                assert_eq!(ours.len(), theirs.len(), "{what}: record count");
                for (record, (mine, python)) in ours.iter().zip(theirs).enumerate() {
                    assert_eq!(mine, python, "{what}: record {record}");
                }
            }
        }
        let first = &doc["hosts"][0]["commands"];
        assert_eq!(
            first[1]["parse"]["template"],
            "cisco_ios_show_ip_interface_brief.textfsm"
        );
        assert!(first[0]["parsed"][0]["hostname"] == "R1", "{}", first[0]);
    }
}

/// A templates folder of our own: `show clock` gets a template whose `Error` action fires on
/// the testbed's output; nothing else has one.
fn failing_templates(dir: &Path) -> PathBuf {
    let templates = dir.join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("index"),
        "Template, Hostname, Platform, Command\n\nclock_error.textfsm, .*, cisco_ios, sh[[ow]] clo[[ck]]\n",
    )
    .unwrap();
    std::fs::write(
        templates.join("clock_error.textfsm"),
        "Value YEAR (\\d{4})\n\nStart\n  ^.* -> Error \"no clock here\"\n",
    )
    .unwrap();
    templates
}

#[test]
fn commands_not_parsed_say_why_are_counted_and_strict_fails_the_host() {
    let lab = TestLab::start(2, &[]);
    let templates = failing_templates(lab.dir());
    let inventory = lab.inventory();
    let base = [
        "-i",
        inventory.to_str().unwrap(),
        "--parse",
        "textfsm",
        "--templates",
        templates.to_str().unwrap(),
        "-c",
        "show clock",
        "-c",
        "show privilege",
    ];
    let out = netrun(&[&base[..], &["-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 hosts, 2 ok, 0 failed in")
            && stderr(&out).contains(", 4 commands not parsed"),
        "{}",
        stderr(&out)
    );
    let doc = json(&out);
    for host in doc["hosts"].as_array().unwrap() {
        let clock = &host["commands"][0];
        assert_eq!(clock["parse"]["ok"], false);
        assert_eq!(clock["parse"]["template"], "clock_error.textfsm");
        assert_eq!(clock["parsed"], serde_json::json!([]));
        let error = clock["parse"]["error"].as_str().unwrap();
        assert!(error.starts_with("clock_error.textfsm: "), "{error}");
        assert!(error.contains("no clock here"), "{error}");
        let privilege = &host["commands"][1];
        assert_eq!(privilege["parse"]["template"], "");
        let error = privilege["parse"]["error"].as_str().unwrap();
        assert!(
            error.starts_with(
                "no template for platform 'cisco_ios' and command 'show privilege' in "
            ),
            "{error}"
        );
        // The raw output is still there.
        assert!(privilege["output"]
            .as_str()
            .unwrap()
            .contains("privilege level"));
    }

    let text = netrun(&base);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let printed = stdout(&text);
    assert!(printed.contains("R1#show clock\n"), "{printed}");
    assert!(
        printed.contains("not parsed: clock_error.textfsm: "),
        "{printed}"
    );
    assert!(
        printed.contains("not parsed: no template for platform 'cisco_ios'"),
        "{printed}"
    );

    let strict = netrun(&[&base[..], &["-o", "json", "--parse-strict"]].concat());
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    let doc = json(&strict);
    for host in doc["hosts"].as_array().unwrap() {
        assert_eq!(host["ok"], false);
        assert_eq!(host["error"]["kind"], "parse");
        let message = host["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("`show clock` not parsed: clock_error.textfsm: "),
            "{message}"
        );
        assert!(
            message.contains("`show privilege` not parsed: no template"),
            "{message}"
        );
    }
}

#[test]
fn one_custom_template_parses_every_command_and_prints_a_table() {
    let lab = TestLab::start(1, &[]);
    let template = lab.dir().join("version.textfsm");
    std::fs::write(
        &template,
        // The first rule's trailing blanks and `\<` make textfsm-rs print warnings on stdout
        // as it compiles: none of that may reach netrun's report.
        "Value HOSTNAME (\\S+)\nValue UPTIME (.+)\n\nStart\n  ^\\<none\\>  \n  ^${HOSTNAME}\\s+uptime\\s+is\\s+${UPTIME} -> Record\n",
    )
    .unwrap();
    let inventory = lab.inventory();
    let out = netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "-p",
        "textfsm",
        "--template",
        template.to_str().unwrap(),
        "show",
        "version",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = stdout(&out);
    let table: Vec<&str> = printed
        .lines()
        .skip_while(|l| !l.starts_with("parsed with version.textfsm: 1 record"))
        .take(3)
        .collect();
    assert_eq!(table.len(), 3, "{printed}");
    assert!(table[1].starts_with("hostname  uptime"), "{printed}");
    assert!(table[2].starts_with("R1        "), "{printed}");

    let out = netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "-o",
        "json",
        "-p",
        "textfsm",
        "--template",
        template.to_str().unwrap(),
        "show",
        "version",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let version = &doc["hosts"][0]["commands"][0];
    assert_eq!(version["parse"]["template"], "version.textfsm");
    assert_eq!(version["parsed"][0]["hostname"], "R1");
}

#[test]
fn a_bad_template_or_no_templates_at_all_stop_the_run_before_any_connection() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.textfsm");
    std::fs::write(&bad, "Value X\n\nStart\n  ^${X}\n").unwrap();
    // The inventory does not exist: parsing is resolved first, so its error is the one seen.
    let missing = dir.path().join("none.yaml");
    let out = netrun(&[
        "-i",
        missing.to_str().unwrap(),
        "-p",
        "textfsm",
        "--template",
        bad.to_str().unwrap(),
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("--template {}", bad.display())),
        "{}",
        stderr(&out)
    );

    let index = dir.path().join("index");
    std::fs::write(
        &index,
        "Template, Platform, Command\nx.textfsm, cisco_ios, show (\n",
    )
    .unwrap();
    let args = [
        "-i",
        missing.to_str().unwrap(),
        "-p",
        "textfsm",
        "show",
        "clock",
    ];
    let out = netrun_env(&args, &[("NET_TEXTFSM", dir.path().to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "{}:2: field Command 'show (' is not a regex",
            index.display()
        )),
        "{}",
        stderr(&out)
    );

    // No flag, no variable, and a python3 that cannot be found: all three ways are named.
    let out = netrun_env(
        &args,
        &[("NET_TEXTFSM", ""), ("PATH", dir.path().to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(2));
    for named in ["--templates DIR", "NET_TEXTFSM", "ntc-templates"] {
        assert!(stderr(&out).contains(named), "{}", stderr(&out));
    }
}

/// Per personality of the multi-vendor lab (R2..R7, after R1's IOS): the show commands the
/// testbed plays that ntc-templates has a template for.
const OTHER_PLATFORMS: &[(&str, &str, &[&str])] = &[
    (
        "R2",
        "cisco_nxos",
        &[
            "show version",
            "show ip interface brief",
            "show interface brief",
            "show clock",
        ],
    ),
    (
        "R3",
        "cisco_xr",
        &["show version", "show ip interface brief"],
    ),
    (
        "R4",
        "arista_eos",
        &["show version", "show ip interface brief", "show clock"],
    ),
    (
        "R5",
        "juniper_junos",
        &["show version", "show system uptime"],
    ),
    (
        "R6",
        "cisco_asa",
        &["show version", "show interface ip brief"],
    ),
    ("R7", "linux", &["ip address show"]),
];

/// The lab's inventory logging in with `key` instead of the lab's password, and without the
/// enable secret where the platform needs none: the lab's password and secret (`cisco`) are
/// masked in every output, and real output (`cisco IOS-XRv 9000 () processor`) holds the word.
fn key_inventory(lab: &TestLab, key: &Path) -> PathBuf {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut devices: Vec<serde_norway::Mapping> = serde_norway::from_str(&text).unwrap();
    for device in &mut devices {
        device.remove("password");
        if device["device_type"].as_str() != Some("cisco_asa") {
            device.remove("secret");
        }
        device.insert("key_file".into(), key.to_str().unwrap().into());
    }
    let path = lab.dir().join("keys.yaml");
    std::fs::write(&path, serde_norway::to_string(&devices).unwrap()).unwrap();
    path
}

#[test]
fn every_personalitys_parsed_records_equal_what_ntc_templates_returns() {
    let Some(venv) = venv() else { return };
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id");
    common::ssh_keygen(&key, "");
    let public = format!("{}.pub", key.display());
    let lab_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("testbed/labs/multivendor.yaml");
    let lab = TestLab::start_lab(&lab_file, 7, &["--authorized-key", &public]);
    let inventory = key_inventory(&lab, &key);
    for (name, platform, commands) in OTHER_PLATFORMS {
        let mut args = vec![
            "-i",
            inventory.to_str().unwrap(),
            "-l",
            name,
            "-o",
            "json",
            "-p",
            "textfsm",
        ];
        for command in *commands {
            args.extend(["-c", command]);
        }
        let out = netrun_env(&args, &[("PATH", &path_with(&venv)), ("NET_TEXTFSM", "")]);
        assert_eq!(out.status.code(), Some(0), "{platform}: {}", stderr(&out));
        let doc = json(&out);
        let python = python_records(&venv, platform, &out.stdout);
        let host = &doc["hosts"][0];
        for (c, command) in host["commands"].as_array().unwrap().iter().enumerate() {
            let what = format!("{platform} `{}`", command["command"]);
            assert_eq!(command["parse"]["ok"], true, "{what}: {}", command["parse"]);
            let ours = command["parsed"].as_array().unwrap();
            let theirs = python[0][c].as_array().unwrap();
            assert!(
                !ours.is_empty(),
                "{what}: no records: {}",
                command["output"]
            );
            assert_eq!(ours, theirs, "{what}");
        }
    }
}

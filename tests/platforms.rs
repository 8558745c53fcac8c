//! Platform names end to end: a host whose platform netrun does not know fails alone, with kind
//! `platform`, before any connection, under every strategy, while the others run; `netrun
//! inventory` marks it; and Nornir's own filtering_deep_dive inventory (NAPALM platform names,
//! `tests/data/nornir_filtering_deep_dive/`, from nornir-automation/nornir's docs) loads.

mod common;

use common::{error_kinds, json, netrun, stderr, stdout, TestLab};

/// A Netmiko device_type netrun does not know, on a port where nothing listens: a connection
/// attempt would fail `connect`, not `platform`.
const UNKNOWN_HOST: &str =
    "- name: FW1\n  device_type: cisco_iox\n  host: 127.0.0.1\n  port: 1\n  username: cisco\n";

/// The lab's inventory with `UNKNOWN_HOST` appended, and the line its device_type is on.
fn with_unknown_host(lab: &TestLab) -> (String, usize) {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let line = text.lines().count() + 2;
    let path = lab.dir().join("mixed.yaml");
    std::fs::write(&path, format!("{text}{UNKNOWN_HOST}")).unwrap();
    (path.to_str().unwrap().to_string(), line)
}

#[test]
fn an_unknown_platform_fails_only_its_host_under_every_strategy() {
    let lab = TestLab::start(2, &[]);
    let (inventory, line) = with_unknown_host(&lab);
    for strategy in netrun::strategies().map(|s| s.name()) {
        let out = netrun(&[
            "-i", &inventory, "-s", strategy, "-o", "json", "show", "clock",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(
            error_kinds(&doc),
            [
                ("R1".to_string(), "ok".to_string()),
                ("R2".to_string(), "ok".to_string()),
                ("FW1".to_string(), "platform".to_string()),
            ],
            "{strategy}"
        );
        let message = doc["hosts"][2]["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "{inventory}:{line}:16: device_type: unknown device type \"cisco_iox\"; did you \
                 mean \"cisco_ios\"? netrun knows "
            )),
            "{strategy}: {message}"
        );
        for known in ["cisco_nxos", "cisco_xr", "juniper_junos", "nxos", "eos"] {
            assert!(message.contains(known), "{message} lacks {known}");
        }
    }
}

#[test]
fn netrun_inventory_marks_an_unknown_platform_in_text_and_json() {
    let lab = TestLab::start(1, &[]);
    let (inventory, line) = with_unknown_host(&lab);
    let text = netrun(&["inventory", "-i", &inventory]);
    assert_eq!(text.status.code(), Some(1), "{}", stderr(&text));
    let fw1 = stdout(&text)
        .lines()
        .find(|l| l.starts_with("FW1"))
        .unwrap()
        .to_string();
    assert!(fw1.contains("cisco_iox (unknown)"), "{fw1}");
    assert!(
        stderr(&text).contains(&format!("netrun: FW1: {inventory}:{line}:16: device_type:")),
        "{}",
        stderr(&text)
    );

    let listed = json(&netrun(&["inventory", "-i", &inventory, "-o", "json"]));
    assert_eq!(listed[0]["platform"], "cisco_ios");
    assert!(listed[0]["platform_error"].is_null());
    assert_eq!(listed[1]["platform"], "cisco_iox");
    let error = listed[1]["platform_error"].as_str().unwrap();
    assert!(error.contains("did you mean \"cisco_ios\""), "{error}");
}

fn deep_dive() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/nornir_filtering_deep_dive"
    )
    .to_string()
}

#[test]
fn nornirs_filtering_deep_dive_inventory_loads_with_napalm_platform_names() {
    let folder = deep_dive();
    let out = netrun(&["inventory", "-i", &folder, "-o", "json"]);
    // Its Palo Alto hosts (`platform: paloalto_panos`) are listed and marked: exit 1.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let hosts = json(&out);
    let hosts = hosts.as_array().unwrap();
    assert_eq!(hosts.len(), 27);
    for host in hosts {
        let groups: Vec<&str> = host["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        let expected = match groups[0] {
            "ios" => "cisco_ios",
            "eos" => "arista_eos",
            "junos" => "juniper_junos",
            "nxos" | "nxos_ssh" => "cisco_nxos",
            "panos" => "paloalto_panos",
            other => panic!("unexpected first group {other}"),
        };
        assert_eq!(host["platform"], expected, "{}", host["name"]);
        if groups[0] == "panos" {
            let error = host["platform_error"].as_str().unwrap();
            assert!(
                error.starts_with(&format!(
                    "{folder}/groups.yaml:23:15: platform: unknown device type \
                     \"paloalto_panos\""
                )),
                "{error}"
            );
        } else {
            assert!(host["platform_error"].is_null(), "{}", host["name"]);
        }
    }

    // Limited to the groups netrun knows, it is a clean inventory.
    let ios = netrun(&[
        "inventory",
        "-i",
        &folder,
        "-l",
        "group:ios",
        "-l",
        "group:nxos",
    ]);
    assert_eq!(ios.status.code(), Some(0), "{}", stderr(&ios));
    assert_eq!(stdout(&ios).lines().count(), 1 + 8, "{}", stdout(&ios));
}

//! A config push cut off mid-way (the testbed's `drop-config` fault: line N applied and echoed,
//! then the connection closes before its prompt) is reported honestly under every strategy: the
//! lines whose reply was seen are `applied`, the line sent without a reply is `in_flight` and the
//! `failed_line`, and the lines never sent are `skipped`.

mod common;

use common::{error_kinds, json, netrun, stderr, stdout, TestLab};

#[test]
fn a_push_cut_off_lists_applied_in_flight_and_skipped_lines() {
    let lab = TestLab::start(3, &["--fault", "drop-config=2:R2"]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    let lines = ["logging 10.7.7.1", "logging 10.7.7.2", "logging 10.7.7.3"];
    for strategy in netrun::strategies().map(|s| s.name()) {
        let mut args = vec!["config", "-i", inventory, "-s", strategy, "-o", "json"];
        for line in lines {
            args.extend(["-c", line]);
        }
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let expected = [("R1", "ok"), ("R2", "closed"), ("R3", "ok")]
            .map(|(name, kind)| (name.to_string(), kind.to_string()));
        assert_eq!(error_kinds(&doc), expected, "{strategy}");
        let config = &doc["hosts"][1]["config"];
        assert_eq!(
            config["applied"],
            serde_json::json!([lines[0]]),
            "{strategy}"
        );
        assert_eq!(
            config["in_flight"],
            serde_json::json!([lines[1]]),
            "{strategy}"
        );
        assert_eq!(config["failed_line"], 2, "{strategy}");
        assert_eq!(
            config["skipped"],
            serde_json::json!([lines[2]]),
            "{strategy}"
        );
        for ok in [&doc["hosts"][0]["config"], &doc["hosts"][2]["config"]] {
            assert_eq!(ok["applied"], serde_json::json!(lines), "{strategy}");
            assert_eq!(ok["in_flight"], serde_json::json!([]), "{strategy}");
        }

        let mut args = vec!["config", "-i", inventory, "-s", strategy, "-l", "R2"];
        for line in lines {
            args.extend(["-c", line]);
        }
        let text = stdout(&netrun(&args));
        assert!(
            text.contains(&format!(
                "(sent, no reply) {}\n(not sent) {}",
                lines[1], lines[2]
            )),
            "{strategy}: {text}"
        );
    }
    // The device did apply the line in flight: it is in its running-config.
    let out = netrun(&[
        "-i",
        inventory,
        "-l",
        "R2",
        "-o",
        "json",
        "-c",
        "show running-config | include logging",
    ]);
    let shown = json(&out)["hosts"][0]["commands"][0]["output"].clone();
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("10.7.7.2"), "{shown}: {}", stderr(&out));
    assert!(!shown.contains("10.7.7.3"), "{shown}");
}

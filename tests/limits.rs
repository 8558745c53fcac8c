//! `--max-output`: a device streaming 600 MB without a line end or a prompt (the testbed's
//! `flood` fault) fails only its host, with kind `output-limit`, under every strategy, and
//! netrun's peak memory stays within the cap plus a modest margin. This binary holds one test
//! so that RUSAGE_CHILDREN covers exactly the netrun runs it measures (the testbed child is
//! reaped only when the test ends).

mod common;

use common::{children_max_rss_kib, error_kinds, json, netrun, stderr, TestLab};

#[test]
fn a_flood_fails_only_its_host_within_the_output_cap() {
    let lab = TestLab::start(3, &["--fault", "flood=600M:R2"]);
    let inventory = lab.inventory();
    for strategy in netrun::strategies().map(|s| s.name()) {
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "--max-output",
            "4MiB",
            "show",
            "clock",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let kinds: Vec<(String, String)> = error_kinds(&doc);
        let expected = [("R1", "ok"), ("R2", "output-limit"), ("R3", "ok")]
            .map(|(name, kind)| (name.to_string(), kind.to_string()));
        assert_eq!(kinds, expected, "{strategy}");
        let message = doc["hosts"][1]["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("within the first 4194304 bytes (--max-output)"),
            "{strategy}: {message}"
        );
    }
    // A run without the cap holds 600 MB; with it, the cap and netrun's own few tens of MiB.
    let rss_mib = children_max_rss_kib() / 1024;
    assert!(rss_mib < 4 + 60, "netrun's max RSS was {rss_mib} MiB");
}

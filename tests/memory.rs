//! Sessions are freed when they end. In libssh2's non-blocking mode (the async strategy) a
//! session dropped with its channel still open cannot be freed, so each host used to leak ~88 KiB
//! (2,000 hosts: 184 MiB). This binary holds one test so that RUSAGE_CHILDREN covers exactly the
//! netrun run it measures (the testbed child is still running, so it is not counted yet).

mod common;

use common::{children_max_rss_kib, netrun, stderr, TestLab};

#[test]
fn async_sessions_are_freed_when_they_end() {
    let hosts = 2000;
    let lab = TestLab::start(hosts, &[]);
    let out = netrun(&[
        "-i",
        lab.inventory().to_str().unwrap(),
        "-s",
        "async",
        "-w",
        "50",
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rss_mib = children_max_rss_kib() / 1024;
    // 50 sessions in flight and 2,000 outcomes need a few tens of MiB; a leak of a session per
    // host needs several times more.
    assert!(
        rss_mib < 100,
        "netrun's max RSS was {rss_mib} MiB for {hosts} hosts"
    );
}

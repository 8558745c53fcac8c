//! Transcript tests per platform profile: login, escalation, paging off, real show output (from
//! ntc-templates' test fixtures, `data/`) with the pager in the middle, each platform's error
//! texts, config pushes with their commit, a failed commit or rejected line discarding the
//! candidate, the save each platform has (or says it has not) — and every one of these scripts
//! gives the same run however its bytes are split.
//!
//! The device side is written from the vendors' documented replies and the strings Netmiko and
//! scrapli wait for (see `platform.rs`), never from the testbed.

use super::*;
use crate::dialogue::platform::profile_names;

const NXOS_SHOW_VERSION: &str = include_str!("data/nxos_show_version.raw");
const XR_SHOW_VERSION: &str = include_str!("data/xr_show_version.raw");
const ASA_SHOW_VERSION: &str = include_str!("data/asa_show_version.raw");
const EOS_SHOW_VERSION: &str = include_str!("data/eos_show_version.raw");
const JUNOS_SHOW_VERSION: &str = include_str!("data/junos_show_version.raw");
const LINUX_IP_ROUTE: &str = include_str!("data/linux_ip_route_show.raw");

/// Erases a Cisco-style pager prompt: backspaces over it.
const CISCO_ERASE: &str =
    "\x08\x08\x08\x08\x08\x08\x08\x08\x08        \x08\x08\x08\x08\x08\x08\x08\x08\x08";
/// Erases Junos' and the ASA's pager prompt: carriage return, spaces, carriage return.
const LINE_ERASE: &str = "\r                                        \r";

/// `text` as a device sends it: CRLF line ends.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// The output as netrun reports it: LF line ends, trailing whitespace trimmed.
fn reported(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_string()
}

/// `command` answered with `output` and then `prompt`, paged once at the middle line: the
/// exchanges for the command and for the space that answers the pager.
fn paged(
    script: Script,
    command: &str,
    output: &str,
    (pager, erase): (&str, &str),
    prompt: &str,
) -> Script {
    let lines: Vec<String> = crlf(output).split("\r\n").map(str::to_string).collect();
    let middle = lines.len() / 2;
    let first = lines[..middle].join("\r\n");
    let rest = lines[middle..].join("\r\n");
    script
        .then(
            &format!("{command}\n"),
            format!("{command}\r\n{first}\r\n{pager}"),
        )
        .then(" ", format!("{erase}{rest}\r\n{prompt}"))
}

/// The echo of `line`, then `reply` lines, then `prompt`.
fn answer(line: &str, reply: &str, prompt: &str) -> String {
    if reply.is_empty() {
        format!("{line}\r\n{prompt}")
    } else {
        format!("{line}\r\n{}\r\n{prompt}", crlf(reply))
    }
}

fn push_plan(lines: &[&str], save: bool, secret: Option<&str>) -> Plan {
    Plan {
        config: Some(ConfigPlan {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            save,
            ..ConfigPlan::default()
        }),
        ..plan(&[], secret)
    }
}

fn config(run: &Run) -> &ConfigResult {
    results(run).config.as_ref().expect("config results")
}

fn sent(run: &Run) -> Vec<String> {
    run.sent.iter().map(|s| lossy(s)).collect()
}

// ---- NX-OS ----

const NXOS: &str = "nxos1#";

fn nxos_session() -> Script {
    Script::new("\r\nCisco NX-OS Software\r\nCopyright (c) 2002-2020, Cisco Systems, Inc. All rights reserved.\r\nnxos1# ")
        .then("terminal length 0\n", answer("terminal length 0", "", "nxos1# "))
        .then("terminal width 511\n", answer("terminal width 511", "", "nxos1# "))
}

fn nxos_show() -> Script {
    let script = paged(
        nxos_session(),
        "show version",
        NXOS_SHOW_VERSION,
        (" --More-- ", CISCO_ERASE),
        "nxos1# ",
    );
    script
        .then(
            "show foo\n",
            answer(
                "show foo",
                "              ^\n% Invalid command at '^' marker.\n",
                "nxos1# ",
            ),
        )
        .then("exit\n", "exit\r\n")
        .closing()
}

#[test]
fn nxos_logs_in_at_its_prompt_pages_off_and_cuts_the_pager_out_of_real_output() {
    let run = pump(
        "cisco_nxos",
        plan(&["show version", "show foo"], None),
        &nxos_show(),
        whole,
    );
    let results = results(&run);
    assert_eq!(results.prompt, NXOS);
    let version = &results.commands[0];
    assert!(version.ok);
    assert_eq!(version.output, reported(NXOS_SHOW_VERSION));
    assert!(!version.output.contains("More"));
    let foo = &results.commands[1];
    assert!(!foo.ok, "NX-OS's `% Invalid command at` marks a rejection");
    assert!(foo.output.ends_with("% Invalid command at '^' marker."));
}

fn nxos_push(save: &str) -> Script {
    nxos_session()
        .then(
            "configure terminal\n",
            answer(
                "configure terminal",
                "Enter configuration commands, one per line. End with CNTL/Z.",
                "nxos1(config)# ",
            ),
        )
        .then(
            "interface Ethernet1/1\n",
            answer("interface Ethernet1/1", "", "nxos1(config-if)# "),
        )
        .then(
            "description uplink\n",
            answer("description uplink", "", "nxos1(config-if)# "),
        )
        .then("end\n", answer("end", "", "nxos1# "))
        .then("copy running-config startup-config\n", save)
        .then("exit\n", "")
}

const NXOS_SAVED: &str = "copy running-config startup-config\r\n[########################################] 100%\r\nCopy complete, now saving to disk (please wait)...\r\nCopy complete.\r\nnxos1# ";

#[test]
fn nxos_pushes_like_ios_and_saves_with_copy_running_config_startup_config() {
    let plan = push_plan(&["interface Ethernet1/1", "description uplink"], true, None);
    let run = pump("cisco_nxos", plan, &nxos_push(NXOS_SAVED), whole);
    let config = config(&run);
    assert_eq!(config.failure(), None);
    let save = config.save.as_ref().unwrap();
    assert!(save.ok, "{save:?}");
    assert!(save.reply.ends_with("Copy complete."));
    assert_eq!(config.final_prompt, NXOS);
    assert_eq!(config.commit, None);
}

#[test]
fn nxos_save_without_its_success_line_fails_the_host() {
    let refused =
        "copy running-config startup-config\r\n% Permission denied for the role\r\nnxos1# ";
    let plan = push_plan(&["interface Ethernet1/1", "description uplink"], true, None);
    let run = pump("cisco_nxos", plan, &nxos_push(refused), whole);
    let failure = config(&run)
        .failure()
        .expect("a failed save fails the host");
    assert_eq!(failure.kind, ErrorKind::Command);
    assert_eq!(
        failure.message,
        "'copy running-config startup-config' failed: % Permission denied for the role"
    );
}

// ---- IOS-XR ----

const XR: &str = "RP/0/RSP0/CPU0:xr1#";
const XR_CONFIG: &str = "RP/0/RSP0/CPU0:xr1(config)#";
const XR_STAMP: &str = "Wed Dec  2 04:50:35.102 UTC";

fn xr_session() -> Script {
    Script::new("\r\n\r\nRP/0/RSP0/CPU0:xr1#")
        .then("terminal length 0\n", answer("terminal length 0", "", XR))
        .then("terminal width 511\n", answer("terminal width 511", "", XR))
}

fn xr_show() -> Script {
    paged(
        xr_session(),
        "show version",
        XR_SHOW_VERSION,
        (" --More-- ", CISCO_ERASE),
        XR,
    )
    .then(
        "show foo\n",
        answer(
            "show foo",
            &format!(
                "{XR_STAMP}\n                              ^\n% Invalid input detected at '^' marker."
            ),
            XR,
        ),
    )
    .then("exit\n", "exit\r\n")
    .closing()
}

#[test]
fn xr_logs_in_at_hash_keeps_the_timestamp_line_and_pages_real_output() {
    let run = pump(
        "cisco_xr",
        plan(&["show version", "show foo"], Some("unused")),
        &xr_show(),
        whole,
    );
    let results = results(&run);
    assert_eq!(results.prompt, XR, "IOS-XR has no enable");
    let version = &results.commands[0];
    assert!(version.ok);
    assert_eq!(version.output, reported(XR_SHOW_VERSION));
    assert!(version.output.starts_with("Wed Mar 14 12:31:28.607 UTC"));
    assert!(!results.commands[1].ok);
}

fn xr_in_config() -> Script {
    xr_session().then(
        "configure terminal\n",
        answer("configure terminal", "", XR_CONFIG),
    )
}

const XR_COMMIT_FAILED: &str = "% Failed to commit one or more configuration items during a pseudo-atomic operation. All changes made have been reverted. Please issue 'show configuration failed [inheritance]' from this session to view the errors";

#[test]
fn xr_commits_the_push_and_its_save_is_the_commit() {
    let script = xr_in_config()
        .then(
            "interface Loopback7\n",
            answer("interface Loopback7", "", "RP/0/RSP0/CPU0:xr1(config-if)#"),
        )
        .then(
            "description uplink\n",
            answer("description uplink", "", "RP/0/RSP0/CPU0:xr1(config-if)#"),
        )
        .then(
            "commit\n",
            answer("commit", XR_STAMP, "RP/0/RSP0/CPU0:xr1(config-if)#"),
        )
        .then("end\n", answer("end", "", XR))
        .then("exit\n", "");
    let plan = push_plan(&["interface Loopback7", "description uplink"], true, None);
    let run = pump("cisco_xr", plan, &script, whole);
    let config = config(&run);
    assert_eq!(config.failure(), None);
    assert!(config.commit.as_ref().unwrap().ok);
    assert_eq!(config.discard, None);
    let save = config.save.as_ref().unwrap();
    assert!(save.ok);
    assert_eq!(save.command, "commit");
    assert!(save.reply.contains("saves by committing"), "{}", save.reply);
    assert_eq!(config.final_prompt, XR);
}

fn xr_failed_commit() -> Script {
    xr_in_config()
        .then(
            "router static address-family ipv4 unicast 0.0.0.0/0 192.0.2.1\n",
            answer(
                "router static address-family ipv4 unicast 0.0.0.0/0 192.0.2.1",
                "",
                XR_CONFIG,
            ),
        )
        .then(
            "commit\n",
            answer(
                "commit",
                &format!("{XR_STAMP}\n\n{XR_COMMIT_FAILED}"),
                XR_CONFIG,
            ),
        )
        .then("abort\n", answer("abort", "", XR))
        .then("exit\n", "")
}

#[test]
fn xr_failed_commit_fails_the_host_quoting_the_device_and_aborts_the_candidate() {
    let plan = push_plan(
        &["router static address-family ipv4 unicast 0.0.0.0/0 192.0.2.1"],
        true,
        None,
    );
    let run = pump("cisco_xr", plan, &xr_failed_commit(), whole);
    let config = config(&run);
    let failure = config.failure().expect("a failed commit fails the host");
    assert_eq!(failure.kind, ErrorKind::Command);
    assert!(
        failure.message.starts_with(
            "'commit' failed: Wed Dec  2 04:50:35.102 UTC % Failed to commit one or more"
        ),
        "{}",
        failure.message
    );
    assert!(failure
        .message
        .ends_with("(candidate discarded with 'abort')"));
    assert!(!config.commit.as_ref().unwrap().ok);
    assert!(config.discard.as_ref().unwrap().ok);
    assert_eq!(config.save, None, "a failed commit is not saved");
    assert_eq!(config.final_prompt, XR, "abort left config mode");
}

#[test]
fn xr_rejected_line_aborts_without_committing() {
    let script = xr_in_config()
        .then("hostname xr1\n", answer("hostname xr1", "", XR_CONFIG))
        .then(
            "logginx 10.0.0.1\n",
            answer(
                "logginx 10.0.0.1",
                "                              ^\n% Invalid input detected at '^' marker.",
                XR_CONFIG,
            ),
        )
        .then("abort\n", answer("abort", "", XR))
        .then("exit\n", "");
    let plan = push_plan(
        &["hostname xr1", "logginx 10.0.0.1", "ntp server 10.0.0.2"],
        false,
        None,
    );
    let run = pump("cisco_xr", plan, &script, whole);
    let config = config(&run);
    let failure = config.failure().unwrap();
    assert_eq!(
        failure.message,
        "config line 2 'logginx 10.0.0.1' rejected: % Invalid input detected at '^' marker. \
         (candidate discarded with 'abort')"
    );
    assert_eq!(config.skipped, ["ntp server 10.0.0.2"]);
    assert_eq!(
        config.commit, None,
        "nothing is committed after a rejected line"
    );
    assert!(!sent(&run).contains(&"commit\n".to_string()));
}

#[test]
fn xr_uncommitted_changes_question_on_end_is_answered_no() {
    let script = Script::new(XR_CONFIG)
        .then(
            "end\n",
            "end\r\nUncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:",
        )
        .then("no\n", answer("no", "", XR))
        .then("terminal length 0\n", answer("terminal length 0", "", XR))
        .then("terminal width 511\n", answer("terminal width 511", "", XR))
        .then("exit\n", "");
    let run = pump("cisco_xr", plan(&[], None), &script, |_| 1);
    assert_eq!(results(&run).prompt, XR);
}

// ---- ASA ----

const ASA: &str = "ciscoasa#";

fn asa_session() -> Script {
    Script::new("Type help or '?' for a list of available commands.\r\nciscoasa> ")
        .then("enable\n", "enable\r\nPassword: ")
        .then("s3cret\n", "********\r\nciscoasa# ")
        .then(
            "terminal pager 0\n",
            answer("terminal pager 0", "", "ciscoasa# "),
        )
}

fn asa_show() -> Script {
    paged(
        asa_session(),
        "show version",
        ASA_SHOW_VERSION,
        ("<--- More --->", LINE_ERASE),
        "ciscoasa# ",
    )
    .then(
        "show foo\n",
        answer(
            "show foo",
            "          ^\nERROR: % Invalid input detected at '^' marker.",
            "ciscoasa# ",
        ),
    )
    .then("exit\n", "exit\r\n\r\nLogoff\r\n")
    .closing()
}

#[test]
fn asa_enables_with_its_password_and_pages_with_more_arrows() {
    let run = pump(
        "cisco_asa",
        plan(&["show version", "show foo"], Some("s3cret")),
        &asa_show(),
        whole,
    );
    let results = results(&run);
    assert_eq!(results.prompt, ASA);
    assert_eq!(results.commands[0].output, reported(ASA_SHOW_VERSION));
    assert!(
        !results.commands[1].ok,
        "ASA's `ERROR: %` marks a rejection"
    );
}

#[test]
fn asa_without_an_enable_secret_fails_auth_before_sending_enable() {
    let script = Script::new("ciscoasa> ");
    let run = pump("cisco_asa", plan(&["show version"], None), &script, whole);
    let failure = failure(&run);
    assert_eq!(failure.kind, ErrorKind::Auth);
    assert!(run.sent.is_empty());
}

#[test]
fn asa_push_saves_with_write_memory() {
    let script = asa_session()
        .then(
            "configure terminal\n",
            answer("configure terminal", "", "ciscoasa(config)# "),
        )
        .then(
            "logging host inside 10.0.0.5\n",
            answer("logging host inside 10.0.0.5", "", "ciscoasa(config)# "),
        )
        .then(
            "logging hots inside 10.0.0.6\n",
            answer(
                "logging hots inside 10.0.0.6",
                "                ^\nERROR: % Invalid input detected at '^' marker.",
                "ciscoasa(config)# ",
            ),
        )
        .then("end\n", answer("end", "", "ciscoasa# "))
        .then(
            "write memory\n",
            answer(
                "write memory",
                "Building configuration...\nCryptochecksum: 8d1e7a36 2c2b2a87 9b3c4e1f 44a1b0c2 \n\n14185 bytes copied in 0.690 secs\n[OK]",
                "ciscoasa# ",
            ),
        )
        .then("exit\n", "");
    let plan = Plan {
        config: Some(ConfigPlan {
            lines: vec![
                "logging host inside 10.0.0.5".into(),
                "logging hots inside 10.0.0.6".into(),
            ],
            save: true,
            continue_on_error: true,
            diff: false,
        }),
        ..plan(&[], Some("s3cret"))
    };
    let run = pump("cisco_asa", plan, &script, whole);
    let config = config(&run);
    assert_eq!(config.failed_line, Some(1));
    assert!(config.save.as_ref().unwrap().ok);
    assert_eq!(
        config.failure().unwrap().message,
        "config line 2 'logging hots inside 10.0.0.6' rejected: ERROR: % Invalid input \
         detected at '^' marker."
    );
}

// ---- EOS ----

const EOS: &str = "leaf1#";

fn eos_session() -> Script {
    Script::new("Last login: Wed Dec  2 04:50:30 2026 from 10.0.0.9\r\nleaf1>")
        .then("enable\n", answer("enable", "", "leaf1#"))
        .then(
            "terminal length 0\n",
            answer("terminal length 0", "Pagination disabled.", "leaf1#"),
        )
        .then(
            "terminal width 32767\n",
            answer(
                "terminal width 32767",
                "Width set to 32767 columns.",
                "leaf1#",
            ),
        )
}

fn eos_show() -> Script {
    paged(
        eos_session(),
        "show version",
        EOS_SHOW_VERSION,
        (" --More-- ", CISCO_ERASE),
        "leaf1#",
    )
    .then(
        "show foo\n",
        answer("show foo", "% Invalid input (at token 1: 'foo')", "leaf1#"),
    )
    .then("exit\n", "")
}

#[test]
fn eos_enables_without_a_secret_and_pages_real_output() {
    let run = pump(
        "arista_eos",
        plan(&["show version", "show foo"], None),
        &eos_show(),
        whole,
    );
    let results = results(&run);
    assert_eq!(results.prompt, EOS);
    assert_eq!(results.commands[0].output, reported(EOS_SHOW_VERSION));
    assert!(!results.commands[1].ok);
}

#[test]
fn eos_enable_password_without_a_secret_fails_auth() {
    let script = Script::new("leaf1>").then("enable\n", "enable\r\nPassword: ");
    let run = pump("arista_eos", plan(&[], None), &script, whole);
    let failure = failure(&run);
    assert_eq!(failure.kind, ErrorKind::Auth);
    assert!(
        failure.message.contains("no enable secret was given"),
        "{failure:?}"
    );
}

#[test]
fn eos_push_saves_with_write_memory() {
    let script = eos_session()
        .then(
            "configure terminal\n",
            answer("configure terminal", "", "leaf1(config)#"),
        )
        .then(
            "interface Ethernet1\n",
            answer("interface Ethernet1", "", "leaf1(config-if-Et1)#"),
        )
        .then(
            "description uplink\n",
            answer("description uplink", "", "leaf1(config-if-Et1)#"),
        )
        .then("end\n", answer("end", "", "leaf1#"))
        .then(
            "write memory\n",
            answer("write memory", "Copy completed successfully.", "leaf1#"),
        )
        .then("exit\n", "");
    let run = pump(
        "arista_eos",
        push_plan(&["interface Ethernet1", "description uplink"], true, None),
        &script,
        whole,
    );
    let config = config(&run);
    assert_eq!(config.failure(), None);
    assert!(config.save.as_ref().unwrap().ok);
    assert_eq!(config.final_prompt, EOS);
}

// ---- Junos ----

const JUNOS: &str = "admin@vmx1>";
const JUNOS_EDIT: &str = "\r\n[edit]\r\nadmin@vmx1# ";

fn junos_session() -> Script {
    Script::new(
        "\r\n--- JUNOS 21.2R1.10 Kernel 64-bit  JNPR-12.1-20210529.6d7f8fb_buil\r\nadmin@vmx1> ",
    )
    .then(
        "set cli screen-length 0\n",
        answer(
            "set cli screen-length 0 ",
            "Screen length set to 0\n",
            "admin@vmx1> ",
        ),
    )
    .then(
        "set cli screen-width 511\n",
        answer(
            "set cli screen-width 511 ",
            "Screen width set to 511\n",
            "admin@vmx1> ",
        ),
    )
    .then(
        "set cli complete-on-space off\n",
        answer(
            "set cli complete-on-space off ",
            "Disabling complete-on-space\n",
            "admin@vmx1> ",
        ),
    )
}

#[test]
fn junos_pages_with_more_and_marks_its_errors() {
    let script = paged(
        junos_session(),
        "show version",
        JUNOS_SHOW_VERSION,
        ("---(more 47%)---", LINE_ERASE),
        "\r\nadmin@vmx1> ",
    )
    .then(
        "show foo\n",
        answer(
            "show foo ",
            "       ^\nsyntax error, expecting <command>.\n",
            "admin@vmx1> ",
        ),
    )
    .then("exit\n", "exit \r\n\r\n")
    .closing();
    let run = pump(
        "juniper_junos",
        plan(&["show version", "show foo"], None),
        &script,
        whole,
    );
    let results = results(&run);
    assert_eq!(results.prompt, JUNOS);
    assert_eq!(results.commands[0].output, reported(JUNOS_SHOW_VERSION));
    assert!(!results.commands[1].ok);
}

fn junos_in_config() -> Script {
    junos_session().then(
        "configure\n",
        format!("configure \r\nEntering configuration mode\r\n{JUNOS_EDIT}"),
    )
}

fn junos_set(line: &str) -> (String, String) {
    (format!("{line}\n"), format!("{line} \r\n{JUNOS_EDIT}"))
}

fn junos_leave() -> (&'static str, &'static str) {
    (
        "exit configuration-mode\n",
        "exit configuration-mode \r\nExiting configuration mode\r\n\r\nadmin@vmx1> ",
    )
}

const JUNOS_CONFIG_BEFORE: &str = "## Last commit: 2026-12-02 04:40:00 UTC by admin\nversion 21.2R1.10;\nsystem {\n    host-name vmx1;\n}";
const JUNOS_CONFIG_AFTER: &str = "## Last commit: 2026-12-02 04:50:36 UTC by admin\nversion 21.2R1.10;\nsystem {\n    host-name vmx1;\n    ntp {\n        server 10.0.0.1;\n    }\n}";

fn junos_committed() -> Script {
    let (set, set_reply) = junos_set("set system ntp server 10.0.0.1");
    let (leave, leave_reply) = junos_leave();
    junos_session()
        .then(
            "show configuration\n",
            answer(
                "show configuration ",
                JUNOS_CONFIG_BEFORE,
                "\r\nadmin@vmx1> ",
            ),
        )
        .then(
            "configure\n",
            format!("configure \r\nEntering configuration mode\r\n{JUNOS_EDIT}"),
        )
        .then(&set, set_reply)
        .then(
            "commit\n",
            format!("commit \r\ncommit complete\r\n{JUNOS_EDIT}"),
        )
        .then(leave, leave_reply)
        .then(
            "show configuration\n",
            answer(
                "show configuration ",
                JUNOS_CONFIG_AFTER,
                "\r\nadmin@vmx1> ",
            ),
        )
        .then("exit\n", "exit \r\n")
        .closing()
}

#[test]
fn junos_push_is_configure_lines_commit_and_the_edit_line_is_the_prompts() {
    let plan = Plan {
        config: Some(ConfigPlan {
            lines: vec!["set system ntp server 10.0.0.1".into()],
            save: true,
            diff: true,
            continue_on_error: false,
        }),
        ..plan(&[], None)
    };
    let run = pump("juniper_junos", plan, &junos_committed(), whole);
    let config = config(&run);
    assert_eq!(config.failure(), None);
    assert_eq!(
        config.lines[0].reply, "",
        "the [edit] line belongs to the prompt"
    );
    assert_eq!(config.lines[0].prompt, "admin@vmx1#");
    let commit = config.commit.as_ref().unwrap();
    assert!(commit.ok);
    assert_eq!(commit.reply, "commit complete");
    assert!(config.save.as_ref().unwrap().ok);
    assert_eq!(config.final_prompt, JUNOS);
    // `show configuration` at the operational prompt, its `## Last commit` line dropped.
    assert_eq!(
        config.before.as_deref(),
        Some("version 21.2R1.10;\nsystem {\n    host-name vmx1;\n}")
    );
    assert!(config
        .after
        .as_deref()
        .unwrap()
        .contains("server 10.0.0.1;"));
}

fn junos_failed_commit() -> Script {
    let (set, set_reply) = junos_set("set protocols bgp group ext neighbor 192.0.2.1");
    let (leave, leave_reply) = junos_leave();
    junos_in_config()
        .then(&set, set_reply)
        .then(
            "commit\n",
            format!(
                "commit \r\n[edit protocols bgp group ext]\r\n  'neighbor 192.0.2.1'\r\n    Peer AS must be configured for an external peer\r\nerror: configuration check-out failed\r\n{JUNOS_EDIT}"
            ),
        )
        .then("rollback 0\n", format!("rollback 0 \r\nload complete\r\n{JUNOS_EDIT}"))
        .then(leave, leave_reply)
        .then("exit\n", "")
}

#[test]
fn junos_failed_commit_fails_the_host_with_the_devices_words_and_rolls_back() {
    let plan = push_plan(
        &["set protocols bgp group ext neighbor 192.0.2.1"],
        true,
        None,
    );
    let run = pump("juniper_junos", plan, &junos_failed_commit(), whole);
    let config = config(&run);
    let failure = config.failure().expect("a failed commit fails the host");
    assert_eq!(failure.kind, ErrorKind::Command);
    assert_eq!(
        failure.message,
        "'commit' failed: [edit protocols bgp group ext] 'neighbor 192.0.2.1' Peer AS must be \
         configured for an external peer error: configuration check-out failed (candidate \
         discarded with 'rollback 0')"
    );
    assert_eq!(config.discard.as_ref().unwrap().reply, "load complete");
    assert_eq!(config.save, None);
    assert_eq!(config.final_prompt, JUNOS, "config mode was left");
}

#[test]
fn junos_rejected_line_rolls_back_and_sends_no_commit() {
    let (good, good_reply) = junos_set("set system ntp server 10.0.0.1");
    let (leave, leave_reply) = junos_leave();
    let script = junos_in_config()
        .then(&good, good_reply)
        .then(
            "set system ntpp server 10.0.0.2\n",
            format!(
                "set system ntpp server 10.0.0.2 \r\n                  ^\r\nsyntax error.\r\n{JUNOS_EDIT}"
            ),
        )
        .then("rollback 0\n", format!("rollback 0 \r\nload complete\r\n{JUNOS_EDIT}"))
        .then(leave, leave_reply)
        .then("exit\n", "");
    let plan = push_plan(
        &[
            "set system ntp server 10.0.0.1",
            "set system ntpp server 10.0.0.2",
            "set system ntp server 10.0.0.3",
        ],
        true,
        None,
    );
    let run = pump("juniper_junos", plan, &script, whole);
    let config = config(&run);
    assert_eq!(
        config.failure().unwrap().message,
        "config line 2 'set system ntpp server 10.0.0.2' rejected: syntax error. (candidate \
         discarded with 'rollback 0')"
    );
    assert_eq!(config.skipped, ["set system ntp server 10.0.0.3"]);
    assert_eq!(config.commit, None);
    assert_eq!(config.save, None);
}

// ---- Linux ----

const LINUX: &str = "admin@box:~$";

fn linux_show() -> Script {
    Script::new("Last login: Wed Dec  2 04:50:30 2026 from 10.0.0.9\r\nadmin@box:~$ ")
        .then(
            "ip route show\n",
            answer("ip route show", LINUX_IP_ROUTE, "admin@box:~$ "),
        )
        .then(
            "ifconfgi\n",
            answer(
                "ifconfgi",
                "-bash: ifconfgi: command not found",
                "admin@box:~$ ",
            ),
        )
        .then("exit\n", "exit\r\nlogout\r\n")
        .closing()
}

#[test]
fn linux_runs_commands_at_the_login_prompt_without_paging() {
    let run = pump(
        "linux",
        plan(&["ip route show", "ifconfgi"], None),
        &linux_show(),
        whole,
    );
    let results = results(&run);
    assert_eq!(results.prompt, LINUX);
    assert_eq!(results.commands[0].output, reported(LINUX_IP_ROUTE));
    assert!(!results.commands[1].ok);
}

fn linux_sudo_push() -> Script {
    Script::new("admin@box:~$ ")
        .then("sudo -i\n", "sudo -i\r\n[sudo] password for admin: ")
        .then("s3cret\n", "\r\nroot@box:~# ")
        .then(
            "sysctl -w net.ipv4.ip_forward=1\n",
            answer(
                "sysctl -w net.ipv4.ip_forward=1",
                "net.ipv4.ip_forward = 1",
                "root@box:~# ",
            ),
        )
        .then("exit\n", answer("exit", "logout", "admin@box:~$ "))
        .then("exit\n", "")
}

#[test]
fn linux_push_runs_in_a_sudo_root_shell_and_has_nothing_to_save() {
    let plan = push_plan(&["sysctl -w net.ipv4.ip_forward=1"], true, Some("s3cret"));
    let run = pump("linux", plan, &linux_sudo_push(), whole);
    let config = config(&run);
    assert_eq!(config.failure(), None);
    assert_eq!(config.lines[0].prompt, "root@box:~#");
    assert_eq!(config.final_prompt, LINUX, "the root shell was left");
    let save = config.save.as_ref().unwrap();
    assert!(save.ok);
    assert_eq!(save.command, "");
    assert_eq!(
        save.reply,
        "nothing to save: linux keeps no configuration to save"
    );
}

#[test]
fn linux_logged_in_as_root_stays_root() {
    let script = Script::new("root@box:~# ")
        .then("id -u\n", answer("id -u", "0", "root@box:~# "))
        .then("id -u\n", answer("id -u", "0", "root@box:~# "))
        .then("exit\n", "");
    let plan = Plan {
        commands: vec!["id -u".into()],
        ..push_plan(&["id -u"], false, None)
    };
    let run = pump("linux", plan, &script, whole);
    let results = results(&run);
    assert_eq!(results.prompt, "root@box:~#");
    assert_eq!(
        sent(&run),
        ["id -u\n", "id -u\n", "exit\n"],
        "no sudo, and no `exit` out of the root login before the end"
    );
}

#[test]
fn linux_sudo_refused_fails_auth_quoting_sudo() {
    let script = Script::new("admin@box:~$ ").then(
        "sudo -i\n",
        "sudo -i\r\nadmin is not in the sudoers file.  This incident will be reported.\r\nadmin@box:~$ ",
    );
    let run = pump("linux", push_plan(&["id -u"], false, None), &script, whole);
    let failure = failure(&run);
    assert_eq!(failure.kind, ErrorKind::Auth);
    assert_eq!(
        failure.message,
        "enable secret rejected: admin is not in the sudoers file.  This incident will be \
         reported."
    );
}

// ---- every profile, every split ----

/// A run of each profile's scripts, with the plan it is run with.
fn every_platform_script() -> Vec<(&'static str, Plan, Script)> {
    let junos_push_plan = Plan {
        config: Some(ConfigPlan {
            lines: vec!["set system ntp server 10.0.0.1".into()],
            save: true,
            diff: true,
            continue_on_error: false,
        }),
        ..plan(&[], None)
    };
    vec![
        (
            "cisco_nxos",
            plan(&["show version", "show foo"], None),
            nxos_show(),
        ),
        (
            "cisco_nxos",
            push_plan(&["interface Ethernet1/1", "description uplink"], true, None),
            nxos_push(NXOS_SAVED),
        ),
        (
            "cisco_xr",
            plan(&["show version", "show foo"], None),
            xr_show(),
        ),
        (
            "cisco_xr",
            push_plan(
                &["router static address-family ipv4 unicast 0.0.0.0/0 192.0.2.1"],
                true,
                None,
            ),
            xr_failed_commit(),
        ),
        (
            "cisco_asa",
            plan(&["show version", "show foo"], Some("s3cret")),
            asa_show(),
        ),
        (
            "arista_eos",
            plan(&["show version", "show foo"], None),
            eos_show(),
        ),
        ("juniper_junos", junos_push_plan, junos_committed()),
        (
            "juniper_junos",
            push_plan(
                &["set protocols bgp group ext neighbor 192.0.2.1"],
                true,
                None,
            ),
            junos_failed_commit(),
        ),
        (
            "linux",
            plan(&["ip route show", "ifconfgi"], None),
            linux_show(),
        ),
        (
            "linux",
            push_plan(&["sysctl -w net.ipv4.ip_forward=1"], true, Some("s3cret")),
            linux_sudo_push(),
        ),
    ]
}

#[test]
fn every_platform_script_gives_the_same_run_however_its_bytes_are_split() {
    let scripts = every_platform_script();
    // cisco_ios has its own (`every_chunking_gives_the_same_run` and the config tests).
    for name in profile_names().into_iter().filter(|n| *n != "cisco_ios") {
        assert!(
            scripts.iter().any(|(p, _, _)| *p == name),
            "{name} has no script here"
        );
    }
    for (platform, plan, script) in scripts {
        let reference = pump(platform, plan.clone(), &script, whole);
        assert_eq!(
            pump(platform, plan.clone(), &script, |_| 1),
            reference,
            "{platform}: byte at a time"
        );
        for seed in 0..40 {
            let run = pump(platform, plan.clone(), &script, random_chunks(seed));
            assert_eq!(run, reference, "{platform}: seed {seed}");
        }
    }
}

// ---- error texts, and real output that is not an error ----

/// Each platform's rejection texts as its CLI prints them (scrapli's failure indicators,
/// Netmiko's markers, the vendors' CLI guides): a reply holding one marks the command failed.
const ERROR_TEXTS: &[(&str, &str)] = &[
    ("cisco_nxos", "% Invalid command at '^' marker."),
    ("cisco_nxos", "% Incomplete command at '^' marker."),
    ("cisco_nxos", "% Invalid parameter detected at '^' marker."),
    ("cisco_nxos", "% Ambiguous command at '^' marker."),
    ("cisco_xr", "% Invalid input detected at '^' marker."),
    ("cisco_xr", "% Incomplete command."),
    ("cisco_xr", "% Ambiguous command:  \"show i\""),
    (
        "cisco_asa",
        "ERROR: % Invalid input detected at '^' marker.",
    ),
    ("cisco_asa", "ERROR: % Incomplete command"),
    ("cisco_asa", "ERROR: % Ambiguous command:  \"show in\""),
    ("arista_eos", "% Invalid input (at token 1: 'foo')"),
    ("arista_eos", "% Incomplete command"),
    ("arista_eos", "% Ambiguous command"),
    (
        "arista_eos",
        "% Unavailable command (not supported on this hardware platform)",
    ),
    ("juniper_junos", "syntax error, expecting <command>."),
    ("juniper_junos", "unknown command."),
    ("juniper_junos", "error: could not resolve name: foo"),
    ("juniper_junos", "'show interfaces' is ambiguous."),
    ("linux", "-bash: ifconfgi: command not found"),
];

#[test]
fn each_platforms_error_texts_fail_the_command() {
    for (platform, error) in ERROR_TEXTS {
        let profile = profile(platform).unwrap();
        let (prompt, script) = logged_in(profile);
        let script = script
            .then(
                "show foo\n",
                answer("show foo", &format!("          ^\n{error}"), &prompt),
            )
            .then("exit\n", "");
        let run = pump(platform, plan(&["show foo"], None), &script, whole);
        let result = &results(&run).commands[0];
        assert!(!result.ok, "{platform}: {error:?} is a rejection");
        assert!(result.output.ends_with(error), "{platform}: {result:?}");
    }
}

/// A session logged in at `profile`'s command level with paging off, and its prompt.
fn logged_in(profile: &'static Profile) -> (String, Script) {
    let prompt = match profile.name {
        "cisco_xr" => "RP/0/RSP0/CPU0:r1#",
        "juniper_junos" => "admin@r1> ",
        "linux" => "admin@r1:~$ ",
        _ => "r1#",
    };
    let mut script = Script::new(prompt);
    for command in profile.paging_off {
        script = script.then(&format!("{command}\n"), answer(command, "", prompt));
    }
    (prompt.to_string(), script)
}

/// Real `show interface(s)` output (ntc-templates fixtures) mentions errors on every interface
/// (`0 input errors`, `Input errors:`): none of it is a rejection.
#[test]
fn real_interface_counters_are_not_rejections() {
    let outputs: &[(&str, &str)] = &[
        ("cisco_nxos", include_str!("data/nxos_show_interface.raw")),
        ("cisco_xr", include_str!("data/xr_show_interfaces.raw")),
        ("cisco_asa", include_str!("data/asa_show_interface.raw")),
        ("arista_eos", include_str!("data/eos_show_interfaces.raw")),
        (
            "juniper_junos",
            include_str!("data/junos_show_interfaces.raw"),
        ),
    ];
    for (platform, output) in outputs {
        assert!(output.to_lowercase().contains("error"), "{platform}");
        let profile = profile(platform).unwrap();
        let (prompt, script) = logged_in(profile);
        let script = script
            .then(
                "show interfaces\n",
                answer("show interfaces", output, &prompt),
            )
            .then("exit\n", "");
        let run = pump(platform, plan(&["show interfaces"], None), &script, whole);
        let result = &results(&run).commands[0];
        assert!(result.ok, "{platform}: counters are not a rejection");
        assert_eq!(result.output, reported(output), "{platform}");
    }
}

// ---- Telnet logins as these platforms ask ----

fn telnet(commands: &[&str]) -> Plan {
    Plan {
        login: Some(("admin".to_string(), Secret::new("pa55"))),
        ..plan(commands, None)
    }
}

#[test]
fn junos_and_linux_telnet_logins_are_answered() {
    let mut junos = Script::new("\r\nvmx1 (ttyu0)\r\n\r\nlogin: ")
        .then("admin\n", "admin\r\nPassword:")
        .then(
            "pa55\n",
            "\r\nLast login: Wed Dec  2 04:40:00 from 10.0.0.9\r\n\r\n--- JUNOS 21.2R1.10\r\nadmin@vmx1> ",
        );
    for command in profile("juniper_junos").unwrap().paging_off {
        junos = junos.then(&format!("{command}\n"), answer(command, "", "admin@vmx1> "));
    }
    let junos = junos.then("exit\n", "");
    let linux = Script::new("Debian GNU/Linux 12\r\nbox login: ")
        .then("admin\n", "admin\r\nPassword: ")
        .then(
            "pa55\n",
            "\r\nLast login: Wed Dec  2 04:40:00 UTC 2026 from 10.0.0.9 on pts/0\r\nadmin@box:~$ ",
        )
        .then("exit\n", "");
    for (platform, script, prompt) in [
        ("juniper_junos", junos, "admin@vmx1>"),
        ("linux", linux, "admin@box:~$"),
    ] {
        let reference = pump(platform, telnet(&[]), &script, whole);
        assert_eq!(results(&reference).prompt, prompt, "{platform}");
        assert_eq!(
            pump(platform, telnet(&[]), &script, |_| 1),
            reference,
            "{platform}: byte at a time, `Last login:` is no username prompt"
        );
    }
}

#[test]
fn xr_commit_after_other_sessions_commits_is_answered_no_and_fails_the_host() {
    let script = xr_in_config()
        .then("hostname xr1\n", answer("hostname xr1", "", XR_CONFIG))
        .then(
            "commit\n",
            "commit\r\n\r\nOne or more commits have occurred from other configuration sessions since this session started or since the last commit was made from this session. You can use the 'show configuration commit changes' command to browse the changes.\r\nDo you wish to proceed with this commit anyway? [no]: ",
        )
        .then("no\n", answer("no", "", XR_CONFIG))
        .then("abort\n", answer("abort", "", XR))
        .then("exit\n", "");
    let plan = push_plan(&["hostname xr1"], false, None);
    let reference = pump("cisco_xr", plan.clone(), &script, whole);
    assert_eq!(pump("cisco_xr", plan, &script, |_| 1), reference);
    let config = config(&reference);
    let failure = config.failure().expect("a commit not made fails the host");
    assert!(
        failure
            .message
            .starts_with("'commit' failed: One or more commits have occurred"),
        "{}",
        failure.message
    );
    assert!(config.discard.is_some());
    assert_eq!(config.final_prompt, XR);
}

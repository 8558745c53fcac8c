//! Transcript tests of the whole CLI through the public API: bytes in, tagged output out.

use std::sync::Arc;

use super::*;

fn device_with(faults: CliFaults) -> Arc<Device> {
    Device::new(DeviceSpec {
        index: 0,
        hostname: "R1".into(),
        seed: 1,
        username: "cisco".into(),
        password: "cisco".into(),
        enable_secret: "cisco".into(),
        faults,
        platform: Platform::CiscoIos,
    })
}

fn device() -> Arc<Device> {
    device_with(CliFaults::default())
}

fn ssh(device: &Arc<Device>) -> CliSession {
    let (session, first) = CliSession::new(Arc::clone(device), SessionStart::Authenticated);
    assert_eq!(first, [text("R1>")]);
    session
}

/// An SSH session already in privileged mode.
fn privileged(device: &Arc<Device>) -> CliSession {
    let mut s = ssh(device);
    s.input(b"enable\r");
    assert_eq!(s.input(b"cisco\r"), [text("\r\nR1#")]);
    s
}

fn text(s: &str) -> Out {
    Out::Text(s.as_bytes().to_vec())
}

fn echo(s: &str) -> Out {
    Out::Echo(s.as_bytes().to_vec())
}

/// Everything printed (echo and text), lossily decoded.
fn printed(outs: &[Out]) -> String {
    let mut bytes = Vec::new();
    for out in outs {
        if let Out::Echo(b) | Out::Text(b) = out {
            bytes.extend_from_slice(b);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The text after the command's echo, for a line typed in one go.
fn run(s: &mut CliSession, line: &str) -> String {
    let outs = s.input(format!("{line}\r").as_bytes());
    assert_eq!(outs[0], echo(&format!("{line}\r\n")), "echo of {line:?}");
    printed(&outs[1..])
}

#[test]
fn telnet_login_asks_username_and_hides_the_password() {
    let d = device();
    let (mut s, first) = CliSession::new(Arc::clone(&d), SessionStart::Login);
    assert_eq!(
        first,
        [text("\r\nUser Access Verification\r\n\r\nUsername: ")]
    );
    assert_eq!(
        s.input(b"cisco\r\n"),
        [echo("cisco\r\n"), text("Password: ")]
    );
    assert_eq!(s.input(b"cisco\r\n"), [text("\r\nR1>")]);
}

#[test]
fn telnet_login_closes_after_three_failures() {
    let (mut s, _) = CliSession::new(device(), SessionStart::Login);
    for _ in 0..2 {
        s.input(b"cisco\r");
        assert_eq!(
            s.input(b"wrong\r"),
            [text("\r\n% Login invalid\r\n\r\nUsername: ")]
        );
    }
    s.input(b"nobody\r");
    assert_eq!(
        s.input(b"cisco\r"),
        [text("\r\n% Login invalid\r\n"), Out::Close]
    );
    assert_eq!(s.input(b"cisco\r"), []);
}

#[test]
fn enable_with_the_right_secret() {
    let mut s = ssh(&device());
    assert_eq!(
        s.input(b"enable\r\n"),
        [echo("enable\r\n"), Out::Think, text("Password: ")]
    );
    assert_eq!(s.input(b"cisco\r\n"), [text("\r\nR1#")]);
    assert_eq!(run(&mut s, "disable"), "R1>");
}

#[test]
fn enable_gives_up_after_three_bad_secrets() {
    let mut s = ssh(&device());
    s.input(b"en\r");
    assert_eq!(s.input(b"x\r"), [text("\r\nPassword: ")]);
    assert_eq!(s.input(b"y\r"), [text("\r\nPassword: ")]);
    assert_eq!(s.input(b"z\r"), [text("\r\n% Bad secrets\r\n\r\nR1>")]);
    assert_eq!(
        run(&mut s, "show privilege"),
        "Current privilege level is 1\r\nR1>"
    );
}

#[test]
fn exit_and_logout_close_the_session() {
    let d = device();
    for word in ["exit", "logout", "quit"] {
        let mut s = ssh(&d);
        let line = format!("{word}\r");
        assert_eq!(
            s.input(line.as_bytes()),
            [echo(&format!("{word}\r\n")), Out::Think, Out::Close]
        );
        assert_eq!(s.input(b"show clock\r"), []);
    }
}

#[test]
fn cr_lf_and_cr_nul_are_one_enter_even_across_chunks() {
    let mut s = ssh(&device());
    let one = s.input(b"show privilege\r\n");
    assert_eq!(printed(&one).matches("R1>").count(), 1);
    assert_eq!(s.input(b"show privilege\r"), one);
    assert_eq!(s.input(b"\n"), []);
    assert_eq!(s.input(b"show privilege\r\0"), one);
    assert_eq!(s.input(b"\n"), [echo("\r\n"), text("R1>")]);
}

#[test]
fn typing_one_char_at_a_time_matches_typing_at_once() {
    let d = device();
    let mut whole = ssh(&d);
    let mut chars = ssh(&d);
    let line = b"term len 0\r\nsh ip int br\r\n";
    let expected = printed(&whole.input(line));
    let mut got = Vec::new();
    for b in line {
        got.extend(chars.input(&[*b]));
    }
    assert_eq!(printed(&got), expected);
    assert!(expected.ends_with("up      \r\nR1>"));
}

#[test]
fn typeahead_echo_follows_the_previous_prompt() {
    let mut s = ssh(&device());
    let outs = s.input(b"term len 0\nshow privilege\n");
    assert_eq!(
        outs,
        [
            echo("term len 0\r\n"),
            Out::Think,
            text("R1>"),
            echo("show privilege\r\n"),
            Out::Think,
            text("Current privilege level is 1\r\nR1>"),
        ]
    );
}

#[test]
fn backspace_and_delete_edit_the_line() {
    let mut s = ssh(&device());
    let outs = s.input(b"shw\x08\x7fhow privilege\r");
    assert_eq!(outs[0], echo("shw\x08 \x08\x08 \x08how privilege\r\n"));
    assert_eq!(printed(&outs[1..]), "Current privilege level is 1\r\nR1>");
    assert_eq!(s.input(b"\x7f"), []);
}

#[test]
fn ctrl_c_abandons_the_line() {
    let mut s = ssh(&device());
    assert_eq!(s.input(b"sho\x03"), [echo("sho^C\r\n"), text("R1>")]);
    assert_eq!(s.input(b"\r"), [echo("\r\n"), text("R1>")]);
}

#[test]
fn invalid_input_puts_the_caret_under_the_offending_word() {
    let d = device();
    let mut s = ssh(&d);
    assert_eq!(
        run(&mut s, "show foo"),
        "        ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1>"
    );
    assert_eq!(
        run(&mut s, "conf t"),
        "   ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1>"
    );
    assert_eq!(
        run(&mut s, "show running-config"),
        "        ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1>"
    );
    let mut p = privileged(&d);
    run(&mut p, "conf t");
    assert_eq!(
        run(&mut p, "hostname a b"),
        format!(
            "{}^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1(config)#",
            " ".repeat(11 + 11)
        )
    );
    assert_eq!(
        run(&mut p, "bogus"),
        "           ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1(config)#"
    );
}

#[test]
fn ambiguous_and_incomplete_commands() {
    let mut s = ssh(&device());
    assert_eq!(run(&mut s, "s"), "% Ambiguous command:  \"s\"\r\nR1>");
    assert_eq!(
        run(&mut s, "show i"),
        "% Ambiguous command:  \"show i\"\r\nR1>"
    );
    assert_eq!(run(&mut s, "show ip"), "% Incomplete command.\r\n\r\nR1>");
    assert_eq!(run(&mut s, "term len"), "% Incomplete command.\r\n\r\nR1>");
    assert_eq!(
        run(&mut s, "ping"),
        "   ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1>"
    );
}

#[test]
fn paging_stops_at_more_and_obeys_the_keys() {
    let mut s = privileged(&device());
    let first = run(&mut s, "show version");
    assert!(first.ends_with(" --More-- "), "{first}");
    assert_eq!(first.matches("\r\n").count(), 23);
    let erase = String::from_utf8(MORE_ERASE.to_vec()).unwrap();
    assert_eq!(erase, format!("{0}{1}{0}", "\x08".repeat(9), " ".repeat(9)));

    let line = printed(&s.input(b"\r"));
    assert!(line.starts_with(&erase));
    assert_eq!(line.matches("\r\n").count(), 1);
    assert!(line.ends_with(" --More-- "));

    let rest = printed(&s.input(b" "));
    assert!(rest.starts_with(&erase));
    assert!(
        rest.ends_with("Configuration register is 0x2102\r\nR1#"),
        "{rest}"
    );
    assert!(!rest.contains("--More--"));

    run(&mut s, "show version");
    assert_eq!(s.input(b"q"), [text(&format!("{erase}R1#"))]);
    assert_eq!(run(&mut s, "show clock").matches("R1#").count(), 1);
}

#[test]
fn terminal_length_zero_turns_paging_off() {
    let mut s = privileged(&device());
    assert_eq!(run(&mut s, "terminal length 0"), "R1#");
    assert_eq!(run(&mut s, "terminal width 511"), "R1#");
    assert_eq!(run(&mut s, "terminal no monitor"), "R1#");
    let out = run(&mut s, "sh ver");
    assert!(!out.contains("--More--"));
    assert!(out.starts_with("Cisco IOS Software"));
    assert!(out.ends_with("Configuration register is 0x2102\r\nR1#"));
    assert_eq!(run(&mut s, "term len 10"), "R1#");
    assert_eq!(run(&mut s, "sh ver").matches("\r\n").count(), 9);
}

#[test]
fn show_commands_reflect_the_device() {
    let mut s = privileged(&device());
    run(&mut s, "term len 0");
    let brief = run(&mut s, "sh ip int br");
    assert!(brief.starts_with("Interface                  IP-Address      OK? Method Status"));
    assert!(brief.contains("GigabitEthernet0/0         10.0.0.1        YES NVRAM  up"));
    let clock = run(&mut s, "sh clock");
    let clock_format =
        regex::Regex::new(r"^\*\d\d:\d\d:\d\d\.\d{3} UTC \w{3} \w{3} \d{1,2} 202[45]\r\nR1#$");
    assert!(clock_format.unwrap().is_match(&clock), "{clock}");
    assert!(run(&mut s, "sh int desc")
        .contains("Gi0/0                          up             up       uplink to core\r\n"));
    assert!(run(&mut s, "show arp").contains("Internet  10.0.0.1                -   5254.00"));
    assert!(run(&mut s, "sh int gi0/0")
        .starts_with("GigabitEthernet0/0 is up, line protocol is up \r\n"));
    let run_cfg = run(&mut s, "show run");
    assert!(run_cfg.starts_with("Building configuration...\r\n\r\nCurrent configuration : "));
    assert!(run_cfg.contains("\r\nhostname R1\r\n"));
    assert!(run_cfg.ends_with("end\r\nR1#"));
    assert!(run(&mut s, "show startup-config").starts_with("Using "));
    let tech = run(&mut s, "show tech-support");
    assert!((2_000..64_000).contains(&tech.len()));
}

#[test]
fn output_filters() {
    let mut s = privileged(&device());
    run(&mut s, "terminal length 0");
    assert_eq!(
        run(&mut s, "sh run | s ^router ospf"),
        "router ospf 1\r\n router-id 10.255.0.1\r\n network 10.0.0.0 0.0.0.255 area 0\r\n network 10.255.0.1 0.0.0.0 area 0\r\nR1#"
    );
    assert_eq!(run(&mut s, "sh run | i ^hostname"), "hostname R1\r\nR1#");
    assert_eq!(
        run(&mut s, "show running-config | include hostname|^end"),
        "hostname R1\r\nend\r\nR1#"
    );
    let route = run(&mut s, "sh ip route | ex -");
    assert!(
        route.starts_with("\r\nGateway of last resort is 10.0.0.254 to network 0.0.0.0\r\n\r\nS*    0.0.0.0/0 [1/0] via 10.0.0.254\r\n      10.0.0.0/8 is variably subnetted"),
        "{route}"
    );
    assert!(!route.contains("Codes"));
    assert!(run(&mut s, "sh run | b ^line").starts_with("line con 0\r\n"));
    assert_eq!(
        run(&mut s, "sh ip int br | count up"),
        "Number of lines which match regexp = 3\r\nR1#"
    );
    assert_eq!(
        run(&mut s, "sh run | x"),
        "            ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1#"
    );
    assert_eq!(
        run(&mut s, "sh run | i"),
        "% Incomplete command.\r\n\r\nR1#"
    );
    assert_eq!(
        run(&mut s, "term len 0 | i x"),
        "              ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1#"
    );
}

#[test]
fn configuration_is_shared_by_later_sessions() {
    let d = device();
    let mut a = privileged(&d);
    assert_eq!(
        run(&mut a, "conf t"),
        "Enter configuration commands, one per line.  End with CNTL/Z.\r\nR1(config)#"
    );
    assert_eq!(run(&mut a, "int lo5"), "R1(config-if)#");
    assert_eq!(run(&mut a, "description test loop"), "R1(config-if)#");
    assert_eq!(
        run(&mut a, "ip address 10.5.5.5 255.255.255.255"),
        "R1(config-if)#"
    );
    assert_eq!(
        run(&mut a, "ip address 10.5.5.5 255.0.255.0"),
        "Bad mask 0xFF00FF00 for address 10.5.5.5\r\nR1(config-if)#"
    );
    assert_eq!(run(&mut a, "router ospf 1"), "R1(config-router)#");
    assert_eq!(
        run(&mut a, "network 10.5.5.5 0.0.0.0 area 0"),
        "R1(config-router)#"
    );
    assert_eq!(run(&mut a, "exit"), "R1(config)#");
    assert_eq!(run(&mut a, "logging 10.9.9.9"), "R1(config)#");
    assert_eq!(
        run(&mut a, "username bob privilege 15 secret pw"),
        "R1(config)#"
    );
    assert_eq!(run(&mut a, "line vty 0 4"), "R1(config-line)#");
    assert_eq!(run(&mut a, "transport input ssh"), "R1(config-line)#");
    assert_eq!(run(&mut a, "int gi0/2"), "R1(config-if)#");
    assert_eq!(run(&mut a, "no shut"), "R1(config-if)#");
    assert_eq!(run(&mut a, "end"), "R1#");
    assert!(d.check_login("bob", "pw"));

    let mut b = privileged(&d);
    run(&mut b, "term len 0");
    assert_eq!(
        run(&mut b, "sh run | s Loopback5"),
        "interface Loopback5\r\n description test loop\r\n ip address 10.5.5.5 255.255.255.255\r\nR1#"
    );
    let cfg = run(&mut b, "show running-config");
    assert!(cfg.contains(" network 10.5.5.5 0.0.0.0 area 0\r\n"));
    assert!(cfg.contains("logging host 10.9.9.9\r\n"));
    assert!(cfg.contains("username bob privilege 15 secret 5 $1$"));
    assert!(cfg.contains("line vty 0 4\r\n login local\r\n transport input ssh\r\n"));
    assert!(run(&mut b, "sh ip int br | i Gi.*0/2|Loopback5")
        .contains("Loopback5                  10.5.5.5        YES manual up"));
    assert!(run(&mut b, "sh ip int br")
        .contains("GigabitEthernet0/2         unassigned      YES unset  up"));

    run(&mut b, "conf t");
    run(&mut b, "no int lo5");
    run(&mut b, "no logging host 10.9.9.9");
    run(&mut b, "no username bob");
    run(&mut b, "end");
    assert!(!d.check_login("bob", "pw"));
    assert_eq!(run(&mut a, "sh run | i Loopback5|10.9.9.9"), "R1#");
}

#[test]
fn write_memory_copies_running_to_startup() {
    let d = device();
    let mut s = privileged(&d);
    run(&mut s, "term len 0");
    run(&mut s, "conf t");
    run(&mut s, "ip domain-name example.net");
    run(&mut s, "end");
    assert_eq!(
        run(&mut s, "sh start | i domain"),
        "ip domain name lab.local\r\nR1#"
    );
    assert_eq!(
        run(&mut s, "wr"),
        "Building configuration...\r\n[OK]\r\nR1#"
    );
    assert_eq!(
        run(&mut s, "sh start | i domain"),
        "ip domain name example.net\r\nR1#"
    );
    assert_eq!(
        run(&mut s, "write memory"),
        "Building configuration...\r\n[OK]\r\nR1#"
    );
}

#[test]
fn copy_running_config_startup_config_asks_for_the_destination() {
    let d = device();
    let mut s = privileged(&d);
    run(&mut s, "term len 0");
    run(&mut s, "conf t");
    run(&mut s, "hostname EDGE");
    run(&mut s, "end");
    assert_eq!(
        run(&mut s, "copy run start"),
        "Destination filename [startup-config]? "
    );
    assert_eq!(
        s.input(b"\r\n"),
        [
            echo("\r\n"),
            Out::Think,
            text("Building configuration...\r\n[OK]\r\nEDGE#")
        ]
    );
    assert_eq!(
        run(&mut s, "sh startup | i ^hostname"),
        "hostname EDGE\r\nEDGE#"
    );
    assert_eq!(
        run(&mut s, "copy running-config startup-config"),
        "Destination filename [startup-config]? "
    );
    assert_eq!(
        run(&mut s, "flash:x"),
        "%Error opening nvram:/flash:x (Permission denied)\r\nEDGE#"
    );
}

#[test]
fn hostname_changes_every_sessions_prompt_at_once() {
    let d = device();
    let mut a = privileged(&d);
    let mut b = privileged(&d);
    run(&mut a, "conf t");
    assert_eq!(run(&mut a, "hostname CORE-1"), "CORE-1(config)#");
    assert_eq!(
        run(&mut b, "show privilege"),
        "Current privilege level is 15\r\nCORE-1#"
    );
    assert_eq!(d.hostname(), "CORE-1");
    assert_eq!(run(&mut a, "no hostname"), "Router(config)#");
}

#[test]
fn ctrl_z_ends_config_mode_and_exit_climbs_one_level() {
    let mut s = privileged(&device());
    run(&mut s, "conf t");
    run(&mut s, "int gi0/1");
    assert_eq!(s.input(b"desc x\x1a"), [echo("desc x^Z\r\n"), text("R1#")]);
    assert_eq!(s.input(b"\x1a"), []);
    run(&mut s, "conf t");
    assert_eq!(
        run(&mut s, "interface GigabitEthernet 0/1"),
        "R1(config-if)#"
    );
    assert_eq!(run(&mut s, "router ospf 2"), "R1(config-router)#");
    assert_eq!(run(&mut s, "line con 0"), "R1(config-line)#");
    assert_eq!(run(&mut s, "exit"), "R1(config)#");
    assert_eq!(run(&mut s, "exit"), "R1#");
}

#[test]
fn do_runs_exec_commands_from_config_mode() {
    let mut s = privileged(&device());
    run(&mut s, "conf t");
    assert_eq!(
        run(&mut s, "do sh run | i ^hostname"),
        "hostname R1\r\nR1(config)#"
    );
    assert_eq!(
        run(&mut s, "do show foo"),
        format!(
            "{}^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1(config)#",
            " ".repeat(11 + 8)
        )
    );
}

#[test]
fn stall_fault_never_shows_a_prompt() {
    let d = device_with(CliFaults {
        stall: true,
        ..CliFaults::default()
    });
    let (mut s, first) = CliSession::new(Arc::clone(&d), SessionStart::Authenticated);
    assert_eq!(first, [Out::Stall]);
    assert_eq!(s.input(b"\r\n"), []);
    let (mut t, _) = CliSession::new(Arc::clone(&d), SessionStart::Login);
    t.input(b"cisco\r");
    assert_eq!(t.input(b"cisco\r"), [text("\r\n"), Out::Stall]);
    assert_eq!(CliSession::exec(&d, "show clock"), (vec![Out::Stall], 0));
}

#[test]
fn drop_fault_closes_in_the_middle_of_output() {
    let mut s = privileged(&device_with(CliFaults {
        drop: true,
        ..CliFaults::default()
    }));
    run(&mut s, "term len 0");
    assert!(run(&mut s, "show clock").ends_with("R1#"));
    let outs = s.input(b"show version\r");
    assert_eq!(outs.last(), Some(&Out::Close));
    let partial = printed(&outs);
    assert!(partial.starts_with("show version\r\nCisco IOS Software"));
    assert!(!partial.contains("Configuration register"));
    assert!(!partial.ends_with("R1#"));
    assert_eq!(s.input(b"\r"), []);
}

#[test]
fn drop_config_fault_closes_after_applying_the_nth_config_line() {
    let d = device_with(CliFaults {
        drop_config: Some(3),
        ..CliFaults::default()
    });
    let mut s = privileged(&d);
    // Exec-mode lines do not count; blank lines in config mode do not either.
    run(&mut s, "conf t");
    assert_eq!(run(&mut s, "logging host 192.0.2.1"), "R1(config)#");
    assert_eq!(s.input(b"\r"), [echo("\r\n"), text("R1(config)#")]);
    assert_eq!(run(&mut s, "logging host 192.0.2.2"), "R1(config)#");
    // Line 3 and 4 typed ahead in one go: line 3 is applied, echoed, then the session closes
    // before its prompt; line 4 is never read.
    assert_eq!(
        s.input(b"logging host 192.0.2.3\rlogging host 192.0.2.4\r"),
        [echo("logging host 192.0.2.3\r\n"), Out::Think, Out::Close]
    );
    assert_eq!(s.input(b"\r"), []);

    let mut later = privileged(&d);
    run(&mut later, "term len 0");
    let logging = run(
        &mut later,
        "show running-config | include ^logging host 192.0.2",
    );
    assert_eq!(
        logging,
        "logging host 192.0.2.1\r\nlogging host 192.0.2.2\r\nlogging host 192.0.2.3\r\nR1#"
    );
    // Each session counts its own lines; sub-mode lines and `exit` count too.
    run(&mut later, "conf t");
    assert_eq!(run(&mut later, "interface Loopback9"), "R1(config-if)#");
    assert_eq!(run(&mut later, "exit"), "R1(config)#");
    assert_eq!(
        later.input(b"logging host 192.0.2.9\r"),
        [echo("logging host 192.0.2.9\r\n"), Out::Think, Out::Close]
    );
    assert!(d.with_running(|cfg| cfg.logging_hosts.iter().any(|h| h == "192.0.2.9")));
}

#[test]
fn plain_drop_fault_does_not_fire_on_config_lines() {
    let mut s = privileged(&device_with(CliFaults {
        drop: true,
        ..CliFaults::default()
    }));
    run(&mut s, "conf t");
    for n in 1..=10 {
        assert_eq!(
            run(&mut s, &format!("logging host 192.0.2.{n}")),
            "R1(config)#"
        );
    }
}

#[test]
fn flood_fault_replaces_the_first_prompt() {
    let length = FloodLength::Bytes(1000);
    let d = device_with(CliFaults {
        flood: Some(length),
        ..CliFaults::default()
    });
    let (mut s, first) = CliSession::new(Arc::clone(&d), SessionStart::Authenticated);
    assert_eq!(first, [Out::Flood(length)]);
    assert_eq!(s.input(b"show clock\r"), []);
    let (mut t, _) = CliSession::new(Arc::clone(&d), SessionStart::Login);
    t.input(b"cisco\r");
    assert_eq!(t.input(b"cisco\r"), [text("\r\n"), Out::Flood(length)]);
    assert_eq!(
        CliSession::exec(&d, "show clock"),
        (vec![Out::Flood(length)], 0)
    );
}

#[test]
fn echo_password_fault_echoes_the_login_and_enable_passwords() {
    let d = device_with(CliFaults {
        echo_password: true,
        ..CliFaults::default()
    });
    let (mut t, _) = CliSession::new(Arc::clone(&d), SessionStart::Login);
    t.input(b"cisco\r");
    assert_eq!(
        t.input(b"ciscx\x7fo\r"),
        [echo("ciscx\x08 \x08o"), text("\r\nR1>")]
    );
    let mut s = ssh(&d);
    s.input(b"enable\r");
    assert_eq!(s.input(b"cisco\r"), [echo("cisco"), text("\r\nR1#")]);
    // Without the fault nothing typed at Password: comes back.
    let mut quiet = ssh(&device());
    quiet.input(b"enable\r");
    assert_eq!(quiet.input(b"cisco\r"), [text("\r\nR1#")]);
}

#[test]
fn garbage_fault_puts_invalid_utf8_inside_output_lines() {
    let mut s = privileged(&device_with(CliFaults {
        garbage: true,
        ..CliFaults::default()
    }));
    run(&mut s, "term len 0");
    let outs = s.input(b"show ip interface brief\r");
    let Some(Out::Text(bytes)) = outs.last() else {
        panic!("no text in {outs:?}")
    };
    assert!(String::from_utf8(bytes.clone()).is_err());
    assert!(bytes.windows(3).any(|w| w == b"\xff\xfe\x80"));
    assert!(bytes.ends_with(b"\r\nR1#"));
    assert!(!bytes.starts_with(b"\xff"));
}

#[test]
fn huge_fault_makes_show_tech_about_ten_megabytes() {
    let d = device_with(CliFaults {
        huge: true,
        ..CliFaults::default()
    });
    let (outs, status) = CliSession::exec(&d, "show tech-support");
    assert_eq!(status, 0);
    let size: usize = outs
        .iter()
        .map(|o| match o {
            Out::Text(t) => t.len(),
            _ => 0,
        })
        .sum();
    assert!((HUGE_TECH_SUPPORT_BYTES..HUGE_TECH_SUPPORT_BYTES * 11 / 10).contains(&size));
    let (normal, _) = CliSession::exec(&device(), "show tech-support");
    assert!(printed(&normal).len() < 64 * 1024);
}

#[test]
fn exec_runs_one_privileged_command_without_echo_paging_or_prompt() {
    let d = device();
    let (outs, status) = CliSession::exec(&d, "show version");
    assert_eq!(status, 0);
    assert_eq!(outs[0], Out::Think);
    let out = printed(&outs);
    assert!(out.starts_with("Cisco IOS Software"));
    assert!(out.ends_with("Configuration register is 0x2102\r\n"));
    assert_eq!(
        CliSession::exec(&d, "sh run | i ^hostname"),
        (vec![Out::Think, text("hostname R1\r\n")], 0)
    );
    assert_eq!(
        CliSession::exec(&d, "show foo"),
        (
            vec![
                Out::Think,
                text("     ^\r\n% Invalid input detected at '^' marker.\r\n\r\n")
            ],
            1
        )
    );
    assert_eq!(
        CliSession::exec(&d, "copy run start"),
        (
            vec![
                Out::Think,
                text("Destination filename [startup-config]? "),
                Out::Think,
                text("Building configuration...\r\n[OK]\r\n")
            ],
            0
        )
    );
    assert_eq!(CliSession::exec(&d, ""), (vec![], 0));
}

#[test]
fn idle_devices_stay_small() {
    let d = device();
    // Two IOS config slots, one for the other platforms, the tick counter: four words.
    assert!(std::mem::size_of::<DeviceState>() <= 32);
    assert!(d.lock().running.is_none());
    let mut s = privileged(&d);
    run(&mut s, "show running-config");
    assert!(d.lock().running.is_none());
}

/// A privileged session in global config mode.
fn configuring(device: &Arc<Device>) -> CliSession {
    let mut s = privileged(device);
    run(&mut s, "configure terminal");
    s
}

#[test]
fn broader_config_grammar_lands_where_ios_lists_it() {
    let d = device();
    let mut s = configuring(&d);
    for line in [
        "! a comment line, as in a config file",
        "ntp server 10.1.1.1",
        "logging buffered 16384",
        "logging buffered 32768",
        "snmp-server community public RO",
        "ip route 0.0.0.0 0.0.0.0 10.0.0.254",
        "access-list 10 permit 10.0.0.0 0.0.0.255",
        "clock timezone CET 1",
        "banner motd #Authorised access only#",
        "vlan 10",
        "name users",
    ] {
        let out = run(&mut s, line);
        assert!(!out.contains('%'), "{line}: {out:?}");
    }
    assert!(run(&mut s, "clock timezone CET x").contains("% Invalid input detected at '^' marker."));
    run(&mut s, "end");
    run(&mut s, "terminal length 0");
    let config = run(&mut s, "show running-config");
    let order = [
        "boot-end-marker\r\n!\r\n!\r\nlogging buffered 32768\r\nenable secret",
        "no aaa new-model\r\nclock timezone CET 1\r\n",
        "vlan 10\r\n name users\r\n!\r\n",
        "ip ssh version 2\r\nip route 0.0.0.0 0.0.0.0 10.0.0.254\r\n",
        "access-list 10 permit 10.0.0.0 0.0.0.255\r\nsnmp-server community public RO\r\n",
        "banner motd ^CAuthorised access only^C\r\nline con 0",
        "ntp server 10.1.1.1\r\n!\r\nend",
    ];
    for piece in order {
        assert!(config.contains(piece), "{piece:?} not in {config}");
    }
    assert!(!config.contains("logging buffered 16384"));
}

#[test]
fn multi_line_banner_ends_at_the_delimiter() {
    let d = device();
    let mut s = configuring(&d);
    let asked = run(&mut s, "banner motd %");
    assert_eq!(
        asked,
        "Enter TEXT message.  End with the character '%'.\r\n"
    );
    assert_eq!(printed(&s.input(b"line one\r")), "line one\r\n");
    assert_eq!(
        printed(&s.input(b"line two%\r")),
        "line two%\r\nR1(config)#"
    );
    run(&mut s, "end");
    run(&mut s, "terminal length 0");
    assert!(run(&mut s, "show running-config").contains("banner motd ^Cline one\r\nline two^C"));
}

#[test]
fn interactive_commands_ask_what_ios_asks() {
    let d = device();
    let mut s = privileged(&d);
    assert_eq!(
        run(&mut s, "clear counters"),
        "Clear \"show interface\" counters on all interfaces [confirm]"
    );
    assert_eq!(printed(&s.input(b"\r")), "\r\nR1#");
    assert_eq!(
        run(&mut s, "delete flash0:/backup.cfg"),
        "Delete filename [backup.cfg]? "
    );
    assert_eq!(
        printed(&s.input(b"\r")),
        "\r\nDelete flash0:/backup.cfg? [confirm]"
    );
    assert_eq!(printed(&s.input(b"\r")), "\r\nR1#");
    run(&mut s, "delete backup.cfg");
    s.input(b"\r");
    assert!(printed(&s.input(b"\r"))
        .contains("%Error deleting flash0:/backup.cfg (No such file or directory)"));
    // A modified config: reload offers to save first; `no`, then cancel at [confirm].
    run(&mut s, "configure terminal");
    run(&mut s, "hostname R1");
    run(&mut s, "ntp server 10.2.2.2");
    run(&mut s, "end");
    assert_eq!(
        run(&mut s, "reload"),
        "System configuration has been modified. Save? [yes/no]: "
    );
    assert_eq!(
        printed(&s.input(b"no\r")),
        "no\r\nProceed with reload? [confirm]"
    );
    assert_eq!(printed(&s.input(b"n\r")), "n\r\nR1#");
    run(&mut s, "reload");
    s.input(b"no\r");
    let outs = s.input(b"\r");
    assert!(printed(&outs).contains("%SYS-5-RELOAD: Reload requested by cisco"));
    assert_eq!(outs.last(), Some(&Out::Close));
    // The unsaved change is gone after the reload.
    let mut s = privileged(&d);
    assert!(!run(&mut s, "show running-config").contains("10.2.2.2"));
}

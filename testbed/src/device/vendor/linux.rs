//! Linux: a bash-like prompt (`cisco@R1:~$ `, `root@R1:~# `), no pager, `sudo -i`/`sudo -s`
//! as the privilege step (`[sudo] password for cisco: `), a few everyday commands, and state a
//! new session reads back: the hostname and files written with `echo ... > FILE` as root.

use super::super::Device;
use super::model::VConfig;
use super::show::timestamp;
use super::{Action, Level, Shell};

/// Files a fresh device has (path, content).
pub fn initial_files(hostname: &str) -> Vec<(String, Vec<String>)> {
    vec![
        ("/etc/hostname".into(), vec![hostname.to_string()]),
        (
            "/etc/motd".into(),
            vec![
                String::new(),
                "The programs included with the Debian GNU/Linux system are free software;".into(),
                "the exact distribution terms for each program are described in the".into(),
                "individual files in /usr/share/doc/*/copyright.".into(),
            ],
        ),
        (
            "/etc/os-release".into(),
            vec![
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"".into(),
                "NAME=\"Debian GNU/Linux\"".into(),
                "VERSION_ID=\"12\"".into(),
                "VERSION=\"12 (bookworm)\"".into(),
                "ID=debian".into(),
            ],
        ),
    ]
}

pub fn prompt(shell: &Shell, hostname: &str) -> String {
    let sign = if shell.user == "root" { '#' } else { '$' };
    format!("{}@{hostname}:~{sign} ", shell.user)
}

pub fn run(shell: &mut Shell, device: &Device, line: &str) -> Action {
    let words: Vec<&str> = line.split_whitespace().collect();
    let root = shell.user == "root";
    let host = device.hostname();
    match words.as_slice() {
        ["exit" | "logout"] if root && shell.login_user != "root" => {
            shell.user = shell.login_user.clone();
            shell.level = Level::User;
            Action::Output("logout\n".into())
        }
        ["exit" | "logout"] => Action::Close,
        ["sudo", "-i" | "-s"] | ["sudo", "su"] | ["sudo", "su", "-"] if !root => {
            shell.tries = 0;
            Action::Secret(sudo_prompt(shell))
        }
        ["sudo", "-i" | "-s"] | ["sudo", "su"] | ["sudo", "su", "-"] => {
            Action::Output(String::new())
        }
        ["whoami"] => Action::Output(format!("{}\n", shell.user)),
        ["id"] if root => Action::Output("uid=0(root) gid=0(root) groups=0(root)\n".into()),
        ["id"] => Action::Output(format!(
            "uid=1000({u}) gid=1000({u}) groups=1000({u}),27(sudo)\n",
            u = shell.user
        )),
        ["uname"] => Action::Output("Linux\n".into()),
        ["uname", "-r"] => Action::Output("6.1.0-18-amd64\n".into()),
        ["uname", "-a"] => Action::Output(format!(
            "Linux {host} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux\n"
        )),
        ["hostname"] => Action::Output(format!("{host}\n")),
        ["hostname", name] | ["hostnamectl", "set-hostname", name] => {
            if !root {
                return Action::Error(
                    "hostname: you must be root to change the host name\n".into(),
                );
            }
            let name = name.to_string();
            device.with_vendor_mut(|s| {
                for cfg in [&mut s.running, &mut s.saved] {
                    cfg.hostname = name.clone();
                    write_file(cfg, "/etc/hostname", vec![name.clone()], false);
                }
            });
            Action::Output(String::new())
        }
        ["uptime"] => {
            let id = device.ident();
            let now = device.with_vendor(|_, ticks| timestamp(&id, ticks));
            let time = now.split(' ').nth(3).unwrap_or("00:00:00").get(..8).unwrap_or("");
            Action::Output(format!(
                " {time} up {} days,  1 user,  load average: 0.00, 0.01, 0.00\n",
                1 + id.mix(0x0917) % 90
            ))
        }
        ["date"] => {
            let id = device.ident();
            Action::Output(format!(
                "{}\n",
                device.with_vendor(|_, ticks| timestamp(&id, ticks))
            ))
        }
        ["ip", "-br", "a" | "addr" | "address"] => Action::Show(ip_brief(device)),
        ["ip", "a" | "addr" | "address"] | ["ip", "a" | "addr" | "address", "show"] => {
            Action::Show(ip_addr(device))
        }
        ["cat", path] => match device.with_vendor(|s, _| file(&s.running, path).cloned()) {
            Some(lines) => Action::Show(lines.iter().map(|l| format!("{l}\n")).collect()),
            None => Action::Error(format!("cat: {path}: No such file or directory\n")),
        },
        ["echo", ..] => echo(shell, device, line),
        ["true"] | ["sync"] => Action::Output(String::new()),
        [command, ..] => Action::Error(format!("-bash: {command}: command not found\n")),
        [] => Action::Output(String::new()),
    }
}

fn sudo_prompt(shell: &Shell) -> String {
    format!("[sudo] password for {}: ", shell.login_user)
}

pub fn secret(shell: &mut Shell, device: &Device, secret: &str) -> Action {
    if secret == device.spec.password {
        shell.user = "root".into();
        shell.level = Level::Privileged;
        shell.tries = 0;
        return Action::Output(String::new());
    }
    shell.tries += 1;
    if shell.tries >= 3 {
        shell.tries = 0;
        return Action::Error("sudo: 3 incorrect password attempts\n".into());
    }
    Action::Secret(format!("Sorry, try again.\r\n{}", sudo_prompt(shell)))
}

/// `echo TEXT`, `echo TEXT > FILE`, `echo TEXT >> FILE` (root only under /etc).
fn echo(shell: &Shell, device: &Device, line: &str) -> Action {
    let rest = line.trim_start().trim_start_matches("echo").trim();
    let (text, target) = match rest.split_once(">>") {
        Some((t, f)) => (t, Some((f.trim(), true))),
        None => match rest.split_once('>') {
            Some((t, f)) => (t, Some((f.trim(), false))),
            None => (rest, None),
        },
    };
    let text = text
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();
    let Some((path, append)) = target else {
        return Action::Output(format!("{text}\n"));
    };
    if shell.user != "root" && path.starts_with("/etc/") {
        return Action::Error(format!("-bash: {path}: Permission denied\n"));
    }
    let path = path.to_string();
    device.with_vendor_mut(|s| {
        write_file(&mut s.running, &path, vec![text.clone()], append);
        write_file(&mut s.saved, &path, vec![text], append);
    });
    Action::Output(String::new())
}

fn file<'a>(cfg: &'a VConfig, path: &str) -> Option<&'a Vec<String>> {
    cfg.section(path).map(|s| &s.lines)
}

fn write_file(cfg: &mut VConfig, path: &str, lines: Vec<String>, append: bool) {
    let section = cfg.section_mut(path);
    if !append {
        section.lines.clear();
    }
    section.lines.extend(lines);
}

fn ip_brief(device: &Device) -> String {
    let id = device.ident();
    format!(
        "lo               UNKNOWN        127.0.0.1/8 ::1/128 \n\
         eth0             UP             {}/24 fe80::5054:ff:fe{:02x}:{:04x}/64 \n\
         eth1             UP             {}/24 \n",
        id.uplink(),
        id.mix(1) & 0xff,
        id.mix(2) & 0xffff,
        id.lan()
    )
}

fn ip_addr(device: &Device) -> String {
    let id = device.ident();
    let mac = |k: u64| {
        let m = id.mix(0x3AC0 + k);
        format!(
            "52:54:00:{:02x}:{:02x}:{:02x}",
            (m >> 16) & 0xff,
            (m >> 8) & 0xff,
            m & 0xff
        )
    };
    format!(
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n\
         \x20   link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
         \x20   inet 127.0.0.1/8 scope host lo\n\
         \x20      valid_lft forever preferred_lft forever\n\
         2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n\
         \x20   link/ether {} brd ff:ff:ff:ff:ff:ff\n\
         \x20   inet {}/24 brd {} scope global eth0\n\
         \x20      valid_lft forever preferred_lft forever\n\
         3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n\
         \x20   link/ether {} brd ff:ff:ff:ff:ff:ff\n\
         \x20   inet {}/24 scope global eth1\n\
         \x20      valid_lft forever preferred_lft forever\n",
        mac(0),
        id.uplink(),
        std::net::Ipv4Addr::from(u32::from(id.uplink()) | 0xff),
        mac(1),
        id.lan()
    )
}

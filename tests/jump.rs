//! Jump hosts against a real OpenSSH server: the testbed's devices listen on the loopback of a
//! network namespace this test creates, so nothing outside it reaches them; Debian's sshd runs
//! in that namespace too, listening on its end of a veth pair, and is the only way in. netrun
//! reaches the devices under every strategy via `-J`, `jump_host:`, an ssh_config `ProxyJump`
//! and `proxy_command: ssh -W %h:%p ...`, and sshd's own log (`LogLevel VERBOSE`) counts the
//! bastion logins: never more than netrun's workers.
//!
//! The bastion logs in root with a key the test makes (`PermitRootLogin prohibit-password`,
//! its own `AuthorizedKeysFile`): no system user is created. Needs root, `ip netns` and
//! openssh-server/-client; without them the test says so loudly and passes, except under
//! `CI=true`, where it fails.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{json, netrun, outputs, stderr, NETRUN};

const SSHD: &str = "/usr/sbin/sshd";
/// sshd's port inside the namespace (the namespace is the test's own: no clash).
const BASTION_PORT: u16 = 2222;
/// How long a child may take to say it is ready.
const READY_LIMIT: Duration = Duration::from_secs(30);

/// A network namespace with a veth pair to the root namespace; deleted on drop (which deletes
/// the pair too).
struct Netns {
    name: String,
    /// The namespace's end of the veth pair.
    inside: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|err| format!("ip {args:?}: {err}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Netns {
    fn create() -> Result<Netns, String> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}{n}", std::process::id() % 100_000);
        // A /30 per namespace: 10.231.A.B, distinct per process and per test.
        let block = (std::process::id() % 60) * 4 + n;
        let (a, b) = (block / 64, (block % 64) * 4);
        let name = format!("nrj{id}");
        let ns = Netns {
            name: name.clone(),
            inside: format!("10.231.{a}.{}", b + 2),
        };
        ip(&["netns", "add", &name])?;
        let (host_end, ns_end) = (format!("nrjh{id}"), format!("nrjn{id}"));
        ip(&[
            "link", "add", &host_end, "type", "veth", "peer", "name", &ns_end,
        ])?;
        ip(&["link", "set", &ns_end, "netns", &name])?;
        ip(&[
            "addr",
            "add",
            &format!("10.231.{a}.{}/30", b + 1),
            "dev",
            &host_end,
        ])?;
        ip(&["link", "set", &host_end, "up"])?;
        let inside = format!("{}/30", ns.inside);
        for args in [
            vec!["addr", "add", inside.as_str(), "dev", ns_end.as_str()],
            vec!["link", "set", ns_end.as_str(), "up"],
            vec!["link", "set", "lo", "up"],
        ] {
            let mut full = vec!["netns", "exec", name.as_str(), "ip"];
            full.extend(args);
            ip(&full)?;
        }
        Ok(ns)
    }

    /// `command` run inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// A child process killed and reaped on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait (bounded) for a line that `ready` accepts on `lines`.
fn wait_for(lines: &mpsc::Receiver<String>, what: &str, ready: impl Fn(&str) -> bool) {
    loop {
        match lines.recv_timeout(READY_LIMIT) {
            Ok(line) if ready(&line) => return,
            Ok(_) => {}
            Err(err) => panic!("{what} never said it was ready: {err}"),
        }
    }
}

/// Lines a child writes, gathered by a reader thread, each also sent on a channel.
fn gather(
    stream: impl std::io::Read + Send + 'static,
) -> (Arc<Mutex<Vec<String>>>, mpsc::Receiver<String>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let kept = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            kept.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    (log, rx)
}

/// The namespace, its bastion and its devices, with the files a test needs.
struct Site {
    dir: tempfile::TempDir,
    /// The client key the bastion accepts for root.
    key: PathBuf,
    /// The devices' inventory (book format, `host: 127.0.0.1` inside the namespace).
    inventory: PathBuf,
    devices: usize,
    sshd_log: Arc<Mutex<Vec<String>>>,
    // Dropped in this order: the servers, then the namespace.
    _testbed: Killed,
    _sshd: Killed,
    ns: Netns,
}

impl Site {
    /// `None` (after a loud message) when this machine cannot host the test and CI is not set.
    fn start(devices: usize) -> Option<Site> {
        Site::start_with(devices, &[])
    }

    /// `start`, with testbed flags (faults) added.
    fn start_with(devices: usize, testbed_flags: &[&str]) -> Option<Site> {
        let missing = if !Path::new(SSHD).exists() {
            Some(format!(
                "{SSHD} is not installed (apt-get install openssh-server)"
            ))
        } else {
            None
        };
        let ns = match missing.map_or_else(Netns::create, Err) {
            Ok(ns) => ns,
            Err(why) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "jump host tests cannot run under CI: {why}"
                );
                eprintln!("\n!!! SKIPPING the jump host tests: {why} (they need root, ip netns and openssh-server)\n");
                return None;
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let (host_key, key) = (dir.path().join("host_key"), dir.path().join("client"));
        common::ssh_keygen(&host_key, "");
        common::ssh_keygen(&key, "");
        let authorized = dir.path().join("authorized_keys");
        std::fs::copy(key.with_extension("pub"), &authorized).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress {}:{BASTION_PORT}\nHostKey {}\nPidFile none\n\
                 AuthorizedKeysFile {}\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\n\
                 UsePAM no\nAllowTcpForwarding yes\nLogLevel VERBOSE\nMaxStartups 200\n",
                ns.inside,
                host_key.display(),
                authorized.display()
            ),
        )
        .unwrap();
        let mut sshd = ns
            .command(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sshd");
        let (sshd_log, sshd_lines) = gather(sshd.stderr.take().unwrap());
        let sshd = Killed(sshd);
        wait_for(&sshd_lines, "sshd", |line| {
            line.contains("Server listening on")
        });

        let inventory = dir.path().join("devices.yaml");
        let mut testbed = ns
            .command(NETRUN)
            .args(["__testbed", "--profile", "instant", "--ssh-port", "0"])
            .args(["--devices", &devices.to_string(), "--inventory-out"])
            .arg(&inventory)
            .args(testbed_flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the testbed");
        let (_, testbed_lines) = gather(testbed.stdout.take().unwrap());
        let testbed = Killed(testbed);
        let ready = format!("ready {devices} devices");
        wait_for(&testbed_lines, "the testbed", |line| line.trim() == ready);
        Some(Site {
            dir,
            key,
            inventory,
            devices,
            sshd_log,
            _testbed: testbed,
            _sshd: sshd,
            ns,
        })
    }

    /// Kill every process sshd forked (its connections), leaving the listener: each bastion
    /// session dies as a bastion's would.
    fn kill_bastion_sessions(&self) {
        let mut pending = vec![self._sshd.0.id()];
        let mut killed = 0;
        while let Some(pid) = pending.pop() {
            let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
                .into_iter()
                .flatten();
            for task in tasks.flatten() {
                let children = std::fs::read_to_string(task.path().join("children"));
                for child in children.unwrap_or_default().split_whitespace() {
                    let child: i32 = child.parse().unwrap();
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(child),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                    killed += 1;
                    pending.push(child as u32);
                }
            }
        }
        assert!(killed > 0, "sshd had no session to kill");
    }

    /// `root@BASTION:PORT`.
    fn bastion(&self) -> String {
        format!("root@{}:{BASTION_PORT}", self.ns.inside)
    }

    /// Bastion logins so far, as sshd logs them.
    fn logins(&self) -> usize {
        self.sshd_log
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.contains("Accepted publickey for root"))
            .count()
    }

    /// A file in the test's folder.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The devices' inventory with `line` added to every host.
    fn inventory_with(&self, name: &str, line: &str) -> PathBuf {
        let text = std::fs::read_to_string(&self.inventory).unwrap();
        let added = text.replace("- name:", &format!("- {line}\n  name:"));
        assert_ne!(added, text);
        self.write(name, &added)
    }

    /// An ssh_config giving the bastion's key, and `extra`.
    fn ssh_config(&self, name: &str, extra: &str) -> PathBuf {
        self.write(
            name,
            &format!(
                "{extra}\nHost {}\n  IdentityFile {}\n",
                self.ns.inside,
                self.key.display()
            ),
        )
    }
}

/// Run netrun with `args` and `-o json -c 'show clock'`; every host must succeed. Returns the
/// bastion logins the run made.
fn run_all_ok(site: &Site, what: &str, args: &[&str]) -> usize {
    let before = site.logins();
    let out = netrun(&[args, &["-o", "json", "-c", "show clock"]].concat());
    let doc = json(&out);
    let hosts = outputs(&doc);
    assert_eq!(hosts.len(), site.devices, "{what}: {}", stderr(&out));
    for (name, ok, prompt, commands) in &hosts {
        assert!(ok, "{what}: {name} failed: {doc}\n{}", stderr(&out));
        assert_eq!(prompt, &format!("{name}#"), "{what}");
        assert!(commands[0].contains("UTC"), "{what}: {name}: {commands:?}");
    }
    assert_eq!(out.status.code(), Some(0), "{what}");
    site.logins() - before
}

#[test]
fn every_strategy_reaches_the_devices_only_through_the_bastion() {
    let Some(site) = Site::start(6) else { return };
    let inventory = site.inventory.to_str().unwrap().to_string();

    // The devices listen on the namespace's own loopback, which nothing outside it can name;
    // its address on the veth pair does not lead to them either: only the bastion does.
    let outside = std::fs::read_to_string(&site.inventory)
        .unwrap()
        .replace("127.0.0.1", &site.ns.inside);
    let outside = site.write("outside.yaml", &outside);
    let direct = netrun(&[
        "-i",
        outside.to_str().unwrap(),
        "--no-ssh-config",
        "-o",
        "json",
        "-c",
        "show clock",
    ]);
    let doc = json(&direct);
    for host in doc["hosts"].as_array().unwrap() {
        assert_eq!(
            host["error"]["kind"], "connect",
            "reached without the bastion: {doc}"
        );
    }

    let bastion = site.bastion();
    let key = site.key.display().to_string();
    let keyed = site.ssh_config("keyed_config", "");
    let keyed = keyed.to_str().unwrap();
    let jump_host = site.inventory_with(
        "jump_host.yaml",
        &format!(
            "jump_host: {{host: {}, port: {BASTION_PORT}, username: root, key_file: {key}}}",
            site.ns.inside
        ),
    );
    let proxy_jump = site.ssh_config(
        "proxy_jump_config",
        &format!("Host 127.0.0.1\n  ProxyJump {bastion}"),
    );
    let proxy_command = site.inventory_with(
        "proxy_command.yaml",
        &format!(
            "proxy_command: ssh -F none -i {key} -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p {BASTION_PORT} -W %h:%p \
             root@{}",
            site.ns.inside
        ),
    );
    let routes: [(&str, Vec<&str>); 3] = [
        (
            "-J",
            vec!["-i", &inventory, "--ssh-config", keyed, "-J", &bastion],
        ),
        (
            "jump_host",
            vec!["-i", jump_host.to_str().unwrap(), "--no-ssh-config"],
        ),
        (
            "ProxyJump",
            vec![
                "-i",
                &inventory,
                "--ssh-config",
                proxy_jump.to_str().unwrap(),
            ],
        ),
    ];
    for strategy in netrun::strategies() {
        let workers = strategy.workers_for(Some(2), site.devices);
        for (route, args) in &routes {
            let what = format!("{route} under {}", strategy.name());
            let run = [args.as_slice(), &["-s", strategy.name(), "-w", "2"]].concat();
            let logins = run_all_ok(&site, &what, &run);
            assert!(
                (1..=workers).contains(&logins),
                "{what}: {logins} bastion logins for {workers} workers"
            );
        }
        // Each ProxyCommand is its own `ssh -W`: one bastion login per device.
        let what = format!("proxy_command under {}", strategy.name());
        let run = [
            "-i",
            proxy_command.to_str().unwrap(),
            "--no-ssh-config",
            "-s",
            strategy.name(),
            "-w",
            "2",
        ];
        assert_eq!(run_all_ok(&site, &what, &run), site.devices, "{what}");
    }
}

#[test]
fn a_chain_reaches_each_bastion_through_the_one_before() {
    let Some(site) = Site::start(4) else { return };
    let inventory = site.inventory.to_str().unwrap();
    let keyed = site.ssh_config("keyed_config", "");
    // The bastion reached a second time through its own channel: two hops, two logins per
    // worker.
    let chain = format!("{},{}", site.bastion(), site.bastion());
    for strategy in ["threads", "async"] {
        let logins = run_all_ok(
            &site,
            &format!("a chain under {strategy}"),
            &[
                "-i",
                inventory,
                "--ssh-config",
                keyed.to_str().unwrap(),
                "-J",
                &chain,
                "-s",
                strategy,
                "-w",
                "2",
            ],
        );
        assert!((2..=4).contains(&logins), "{strategy}: {logins} logins");
    }
}

#[test]
fn unreachable_devices_and_bastions_fail_their_hosts_with_the_reason() {
    let Some(site) = Site::start(1) else { return };
    let keyed = site.ssh_config("keyed_config", "");
    let inside = &site.ns.inside;
    let inventory = site.write(
        "unreachable.yaml",
        &format!(
            "- {{name: closed, host: 127.0.0.1, port: 1, username: cisco, password: cisco, \
             jump_host: 'root@{inside}:{BASTION_PORT}'}}\n\
             - {{name: no-bastion, host: 127.0.0.1, port: 1, username: cisco, password: cisco, \
             jump_host: 'root@{inside}:{}'}}\n",
            BASTION_PORT + 1
        ),
    );
    for strategy in ["threads", "async"] {
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "--ssh-config",
            keyed.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "-c",
            "show clock",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let doc = json(&out);
        let error = |i: usize| doc["hosts"][i]["error"].clone();
        assert_eq!(error(0)["kind"], "connect", "{doc}");
        let message = error(0)["message"].as_str().unwrap().to_string();
        assert!(
            message.contains("could not open a connection to 127.0.0.1:1"),
            "{message}"
        );
        assert_eq!(error(1)["kind"], "connect", "{doc}");
        let message = error(1)["message"].as_str().unwrap().to_string();
        assert!(
            message.contains(&format!("jump host root@{inside}:{}", BASTION_PORT + 1)),
            "{message}"
        );
    }
}

#[test]
fn a_bad_jump_or_ssh_config_exits_2_naming_where() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("devices.yaml");
    std::fs::write(
        &inventory,
        "- {name: R1, host: 127.0.0.1}\n- {name: R2, host: 127.0.0.1, jump_host: 'a@b:x'}\n",
    )
    .unwrap();
    let file = inventory.to_str().unwrap();
    let out = netrun(&["-i", file, "--no-ssh-config", "-c", "show clock"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{file}:2:")) && stderr(&out).contains("jump_host"),
        "{}",
        stderr(&out)
    );

    let config = dir.path().join("ssh_config");
    std::fs::write(&config, "Host *\n  ConnectTimeout soon\n").unwrap();
    std::fs::write(&inventory, "- {name: R1, host: 127.0.0.1}\n").unwrap();
    let out = netrun(&[
        "-i",
        file,
        "--ssh-config",
        config.to_str().unwrap(),
        "-c",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{}:2: ConnectTimeout", config.display())),
        "{}",
        stderr(&out)
    );

    let out = netrun(&["-i", file, "--no-ssh-config", "-J", "ops@", "-c", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--jump"), "{}", stderr(&out));
}

#[test]
fn the_inventory_listing_shows_what_ssh_config_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("devices.yaml");
    std::fs::write(
        &inventory,
        "- {name: R1, host: r1, username: cisco}\n- {name: R2, host: r2, port: 2022}\n",
    )
    .unwrap();
    let config = dir.path().join("ssh_config");
    std::fs::write(
        &config,
        "Host r?\n  HostName 10.9.0.1\n  Port 2201\n  User ops\n  ProxyJump gw\n\
         Host gw\n  HostName 192.0.2.1\n  User jump\n  Port 2222\n",
    )
    .unwrap();
    let out = netrun(&[
        "inventory",
        "-i",
        inventory.to_str().unwrap(),
        "--ssh-config",
        config.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hosts = json(&out);
    // R1 gave its username; R2 its port: those stay, ssh_config fills the rest.
    let r1 = &hosts[0];
    assert_eq!(
        (&r1["host"], &r1["port"], &r1["username"]),
        (&"10.9.0.1".into(), &2201.into(), &"cisco".into())
    );
    let r2 = &hosts[1];
    assert_eq!(
        (&r2["port"], &r2["username"]),
        (&2022.into(), &"ops".into())
    );
    for host in [r1, r2] {
        assert_eq!(
            host["jump"],
            serde_json::json!(["jump@192.0.2.1:2222"]),
            "{hosts}"
        );
    }
    let out = netrun(&[
        "inventory",
        "-i",
        inventory.to_str().unwrap(),
        "--no-ssh-config",
        "-o",
        "json",
    ]);
    assert_eq!(json(&out)[1]["port"], 2022);
    assert_eq!(json(&out)[0]["jump"], serde_json::json!([]));
}

#[test]
fn a_proxy_command_that_fails_is_named_in_the_failure() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("devices.yaml");
    std::fs::write(
        &inventory,
        "- {name: P, host: 10.0.0.1, username: u, password: p, \
         proxy_command: 'exit 3 # %h %p'}\n",
    )
    .unwrap();
    for strategy in netrun::strategies() {
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "--no-ssh-config",
            "-s",
            strategy.name(),
            "-o",
            "json",
            "-c",
            "show clock",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let doc = json(&out);
        let error = &doc["hosts"][0]["error"];
        assert_eq!(error["kind"], "closed", "{doc}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.ends_with("the proxy_command ended: exit status: 3"),
            "{}: {message}",
            strategy.name()
        );
    }
}

#[test]
fn a_flood_through_the_bastion_arrives_intact_up_to_the_cap() {
    // R2 sends 24 MB once logged in. Through the tunnel every byte must arrive in order (a
    // dropped or repeated one breaks the inner session's MAC, failing it as `closed`), so the
    // host fails exactly at netrun's cap, while R1 answers normally.
    let Some(site) = Site::start_with(2, &["--fault", "flood=24M:R2"]) else {
        return;
    };
    let keyed = site.ssh_config("keyed_config", "");
    for strategy in netrun::strategies() {
        let out = netrun(&[
            "-i",
            site.inventory.to_str().unwrap(),
            "--ssh-config",
            keyed.to_str().unwrap(),
            "-J",
            &site.bastion(),
            "-s",
            strategy.name(),
            "--max-output",
            "8M",
            "-o",
            "json",
            "-c",
            "show clock",
        ]);
        let doc = json(&out);
        let what = strategy.name();
        assert_eq!(doc["hosts"][0]["ok"], true, "{what}: {doc}");
        let error = &doc["hosts"][1]["error"];
        assert_eq!(error["kind"], "output-limit", "{what}: {doc}");
        assert!(
            error["message"].as_str().unwrap().contains("8388608 bytes"),
            "{what}: {error}"
        );
    }
}

#[test]
fn home_ssh_config_is_read_by_default_but_not_for_a_lab() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    // Nothing listens on 127.0.0.2: a host this config reaches fails with `connect`.
    std::fs::write(
        home.path().join(".ssh/config"),
        "Host *\n  HostName 127.0.0.2\n  Port 1\n",
    )
    .unwrap();
    let lab = common::TestLab::start(1, &[]);
    let inventory = lab.dir().join("no_port.yaml");
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let without_port: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("port:"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_ne!(without_port, text);
    std::fs::write(&inventory, without_port).unwrap();
    let home_env = [("HOME", home.path().to_str().unwrap())];
    let run = |args: &[&str]| {
        let args = [args, &["-o", "json", "-c", "show clock"]].concat();
        json(&common::netrun_env(&args, &home_env))["hosts"][0].clone()
    };
    let host = run(&["-i", inventory.to_str().unwrap()]);
    assert_eq!(host["host"], "127.0.0.2", "{host}");
    assert_eq!(host["port"], 1, "{host}");
    assert_eq!(host["error"]["kind"], "connect", "{host}");
    // The inventory's own port wins over ssh_config; HostName still names the address.
    let port = lab_port(&lab);
    let host = run(&["-i", lab.inventory().to_str().unwrap()]);
    assert_eq!(
        (&host["host"], &host["port"]),
        (&"127.0.0.2".into(), &port.into())
    );
    // `--no-ssh-config`, and a lab's own devices, read none.
    let host = run(&["-i", lab.inventory().to_str().unwrap(), "--no-ssh-config"]);
    assert_eq!(host["ok"], true, "{host}");
    let host = run(&["--lab", "1", "--lab-profile", "instant"]);
    assert_eq!(host["ok"], true, "{host}");
}

/// The SSH port of the lab's one device.
fn lab_port(lab: &common::TestLab) -> u16 {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let line = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("port:"))
        .unwrap();
    line.trim().parse().unwrap()
}

/// A TCP listener on the loopback of `ns`, made by a thread that enters the namespace only to
/// create it (a socket stays in the namespace it was made in).
fn listener_in(ns: &Netns) -> std::net::TcpListener {
    let path = format!("/var/run/netns/{}", ns.name);
    std::thread::spawn(move || {
        use std::os::fd::AsRawFd;
        let namespace = std::fs::File::open(path).unwrap();
        // SAFETY: setns is given an open network-namespace descriptor and CLONE_NEWNET, and
        // moves only this thread, which opens nothing but the listener and ends right after.
        let rc = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        std::net::TcpListener::bind("127.0.0.1:0").unwrap()
    })
    .join()
    .unwrap()
}

/// One connection on `listener` within `READY_LIMIT`, if one comes.
fn accept_bounded(listener: &std::net::TcpListener) -> Option<std::net::TcpStream> {
    use std::os::fd::AsFd;
    let mut fds = [nix::poll::PollFd::new(
        listener.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    let limit = nix::poll::PollTimeout::try_from(READY_LIMIT.as_millis() as i32).unwrap();
    match nix::poll::poll(&mut fds, limit).unwrap() {
        1 => Some(listener.accept().unwrap().0),
        _ => None,
    }
}

#[test]
fn a_bastion_session_that_dies_is_logged_in_again_for_the_next_host() {
    // `silent` is a device the test plays itself, inside the namespace: it reads the SSH
    // banner netrun's session sends through its bastion channel (so that channel is open and
    // in use) and never answers. The test then kills the bastion's side of the worker's one
    // bastion session: `silent` fails as closed, and R1, next in the same worker, finds the
    // kept session dead and gets a new login. Under every strategy, with one worker.
    let Some(site) = Site::start(1) else { return };
    let keyed = site.ssh_config("keyed_config", "");
    let bastion = site.bastion();
    for strategy in netrun::strategies() {
        let what = strategy.name();
        let listener = listener_in(&site.ns);
        let silent_port = listener.local_addr().unwrap().port();
        let inventory = site.write(
            "with_silent.yaml",
            &format!(
                "- {{name: silent, host: 127.0.0.1, port: {silent_port}, username: cisco, \
                 password: cisco}}\n{}",
                std::fs::read_to_string(&site.inventory).unwrap()
            ),
        );
        let before = site.logins();
        // A fresh HOME, as `common::netrun` gives: accept-new records the bastion's key there,
        // never in the real home, where a later run's bastion at the same address (another
        // key) would fail as `hostkey` before any channel opened.
        let home = tempfile::tempdir().unwrap();
        let errors = site.write("netrun.stderr", "");
        let mut run = Killed(
            Command::new(NETRUN)
                .env("HOME", home.path())
                .arg("-i")
                .arg(&inventory)
                .arg("--ssh-config")
                .arg(&keyed)
                .args(["-J", &bastion, "-s", what, "-w", "1", "--timeout", "60"])
                .args(["-o", "json", "-c", "show clock"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&errors).unwrap())
                .spawn()
                .unwrap(),
        );
        let Some(mut device) = accept_bounded(&listener) else {
            let _ = run.0.kill();
            let mut said = String::new();
            let _ = std::io::Read::read_to_string(run.0.stdout.as_mut().unwrap(), &mut said);
            panic!(
                "{what}: no connection came; netrun printed {said}{}",
                std::fs::read_to_string(&errors).unwrap()
            );
        };
        device.set_read_timeout(Some(READY_LIMIT)).unwrap();
        let mut heard = Vec::new();
        let mut chunk = [0u8; 256];
        while !heard.windows(8).any(|w| w == b"SSH-2.0-") {
            let n = std::io::Read::read(&mut device, &mut chunk).expect("netrun's banner");
            assert!(
                n > 0 && heard.len() < 4096,
                "{what}: no SSH banner: {heard:?}"
            );
            heard.extend_from_slice(&chunk[..n]);
        }
        site.kill_bastion_sessions();

        let (tx, rx) = mpsc::channel();
        let mut stdout = run.0.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stdout, &mut text);
            let _ = tx.send(text);
        });
        let text = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("netrun ended");
        let doc: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(doc["hosts"][0]["error"]["kind"], "closed", "{what}: {doc}");
        assert_eq!(doc["hosts"][1]["ok"], true, "{what}: {doc}");
        assert_eq!(site.logins() - before, 2, "{what}: {doc}");
    }
}

#[test]
fn a_device_that_fails_keeps_its_workers_bastion_session() {
    // The first host's device refuses its password; the bastion session that carried it
    // carries the next host too: one login per worker, under every strategy.
    let Some(site) = Site::start(1) else { return };
    let keyed = site.ssh_config("keyed_config", "");
    let text = std::fs::read_to_string(&site.inventory).unwrap();
    let refused = text
        .replace("name: R1", "name: refused")
        .replace("password: cisco", "password: wrong");
    let inventory = site.write("refused_first.yaml", &format!("{refused}{text}"));
    for strategy in netrun::strategies() {
        let what = strategy.name();
        let before = site.logins();
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "--ssh-config",
            keyed.to_str().unwrap(),
            "-J",
            &site.bastion(),
            "-s",
            what,
            "-w",
            "1",
            "-o",
            "json",
            "-c",
            "show clock",
        ]);
        let doc = json(&out);
        assert_eq!(doc["hosts"][0]["error"]["kind"], "auth", "{what}: {doc}");
        assert_eq!(doc["hosts"][1]["ok"], true, "{what}: {doc}");
        assert_eq!(site.logins() - before, 1, "{what}: {doc}");
    }
}

#[test]
fn telnet_devices_are_reached_through_the_bastion_too() {
    let Some(site) = Site::start_with(3, &["--telnet-port", "auto"]) else {
        return;
    };
    let keyed = site.ssh_config("keyed_config", "");
    let telnet = site.inventory_with("telnet.yaml", "transport: telnet");
    let proxied = site.inventory_with(
        "telnet_proxy.yaml",
        &format!(
            "transport: telnet\n  proxy_command: ssh -F none -i {} -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p {BASTION_PORT} -W %h:%p \
             root@{}",
            site.key.display(),
            site.ns.inside
        ),
    );
    let bastion = site.bastion();
    for strategy in netrun::strategies() {
        let workers = strategy.workers_for(Some(2), site.devices);
        let what = format!("telnet -J under {}", strategy.name());
        let logins = run_all_ok(
            &site,
            &what,
            &[
                "-i",
                telnet.to_str().unwrap(),
                "--ssh-config",
                keyed.to_str().unwrap(),
                "-J",
                &bastion,
                "-s",
                strategy.name(),
                "-w",
                "2",
            ],
        );
        assert!((1..=workers).contains(&logins), "{what}: {logins} logins");
        let what = format!("telnet proxy_command under {}", strategy.name());
        let run = [
            "-i",
            proxied.to_str().unwrap(),
            "--no-ssh-config",
            "-s",
            strategy.name(),
        ];
        assert_eq!(run_all_ok(&site, &what, &run), site.devices, "{what}");
    }
}

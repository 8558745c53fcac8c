//! The book's lab in containers and in a network namespace, and real network faults.
//!
//! - `testbed/docker/book.yml` (three containers at 192.168.100.1-3, SSH 22, Telnet 23): the
//!   book's devices.yaml (`testbed/docker/devices.yaml`) unchanged, over SSH and Telnet, under every
//!   strategy; Netmiko's `cisco_ios` and `cisco_ios_telnet` against the same addresses; `down`
//!   leaves nothing behind.
//! - `testbed/netns-lab`: the same devices.yaml, the same results, nothing left after `down`.
//! - Faults done to a router's container mid-session — `docker pause`, `docker network
//!   disconnect`, `docker kill` then `docker start` — under every strategy: the faulted host gets
//!   one honest outcome (paused or cut: `timeout`; killed: `closed`; while it is down: a connect
//!   `timeout`), the others are ok, netrun ends, and the router serves again once restored.
//!
//! - `deploy/compose/sharded.yml` (the Indexed Job stand-in): each of the three shard containers'
//!   results file holds exactly its `--shard K/3` of the inventory, the three cover it
//!   disjointly, `merge`'s report equals an unsharded run host by host, and `down -v` leaves no
//!   container, network or volume.
//!
//! They need Docker with the images `testbed/docker/build` makes (and root for the netns lab).
//! Without them each test prints `NOT RUN` and the reason on the terminal and returns, except
//! under CI (`CI=true`), where that fails the test.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{error_kinds, json, netrun_in, stderr, stdout, NETRUN};

const TESTBED_IMAGE: &str = "netrun-testbed:local";
/// The book's devices.yaml: three routers at 192.168.100.1-3, port 22, cisco/cisco, no names.
const BOOK_DEVICES: &str = "testbed/docker/devices.yaml";
/// The book's three routers: 192.168.100.0/24 can be one lab at a time, compose or netns.
static BOOK_ADDRESSES: Mutex<()> = Mutex::new(());

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Why these tests cannot run here, if they cannot: printed past the test harness's capture,
/// so a plain `cargo test` shows it; under CI it fails the test instead.
fn not_run(test: &str, reason: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: CI=true but {reason}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "containers.rs: {test}: NOT RUN: {reason}"
    );
}

/// Docker answers and has the testbed image, else the reason why not.
fn docker_missing() -> Option<String> {
    image_missing(TESTBED_IMAGE)
}

/// Docker answers and has `image`, else the reason why not.
fn image_missing(image: &str) -> Option<String> {
    match Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .output()
    {
        Err(e) => Some(format!("no docker command ({e})")),
        Ok(out) if !out.status.success() => Some(format!(
            "docker has no image {image} (run testbed/docker/build all): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    }
}

/// `docker ARGS`, which must succeed; its stdout.
fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Poll `done` every 100 ms until it holds, for at most `limit`.
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How many times a container has printed the testbed's `ready` line (once per start).
fn ready_count(container: &str) -> usize {
    let out = Command::new("docker")
        .args(["logs", container])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("ready "))
        .count()
}

/// `docker compose`, or `docker-compose` where the plugin is missing.
fn compose() -> Command {
    let plugin = Command::new("docker")
        .args(["compose", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if plugin {
        let mut cmd = Command::new("docker");
        cmd.arg("compose");
        cmd
    } else {
        Command::new("docker-compose")
    }
}

/// A compose project of `testbed/docker/book.yml`, taken down (containers and network) on drop.
struct BookLab {
    project: String,
}

impl BookLab {
    fn up() -> BookLab {
        let lab = BookLab {
            project: format!("netrun-book-test-{}", std::process::id()),
        };
        let out = lab.compose(&["up", "-d"]);
        assert!(out.status.success(), "compose up: {}", stderr(&out));
        for router in ["r1", "r2", "r3"] {
            let container = lab.container(router);
            wait_until(
                &format!("{container} ready"),
                Duration::from_secs(60),
                || ready_count(&container) == 1,
            );
        }
        lab
    }

    fn compose(&self, args: &[&str]) -> Output {
        compose()
            .args(["-p", &self.project, "-f"])
            .arg(repo().join("testbed/docker/book.yml"))
            .args(args)
            .output()
            .unwrap()
    }

    fn container(&self, service: &str) -> String {
        let id = self.compose(&["ps", "-q", service]);
        String::from_utf8_lossy(&id.stdout).trim().to_string()
    }

    /// Containers and networks still labelled with this project.
    fn leftovers(&self) -> String {
        let label = format!("label=com.docker.compose.project={}", self.project);
        docker(&["ps", "-aq", "--filter", &label])
            + &docker(&["network", "ls", "-q", "--filter", &label])
    }
}

impl Drop for BookLab {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "-t", "1", "--remove-orphans"]);
    }
}

/// Run netrun (bounded) with a fresh HOME, so accept-new records the lab's keys there.
fn run_netrun(args: &[&str]) -> Output {
    netrun_in(None, args, &[], Duration::from_secs(180))
}

/// The book's devices.yaml with every device reached over Telnet (port 23).
fn book_inventory_over_telnet(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join(BOOK_DEVICES)).unwrap();
    let mut devices: Vec<serde_norway::Mapping> = serde_norway::from_str(&text).unwrap();
    for device in &mut devices {
        device.insert("transport".into(), "telnet".into());
    }
    let path = dir.join("telnet.yaml");
    std::fs::write(&path, serde_norway::to_string(&devices).unwrap()).unwrap();
    path
}

/// The book's `sh ip int br` on the book's three routers over SSH and Telnet under every
/// strategy: every host ok (named by its address), R1-R3 in the prompts, the interface table.
fn book_devices_answer(what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let book = repo().join(BOOK_DEVICES);
    let telnet = book_inventory_over_telnet(dir.path());
    for (transport, inventory) in [("ssh", &book), ("telnet", &telnet)] {
        for strategy in netrun::strategies().map(|s| s.name()) {
            let run = format!("{what}: {transport} under {strategy}");
            let out = run_netrun(&[
                "-i",
                inventory.to_str().unwrap(),
                "-s",
                strategy,
                "-o",
                "json",
                "sh",
                "ip",
                "int",
                "br",
            ]);
            assert_eq!(out.status.code(), Some(0), "{run}: {}", stderr(&out));
            let hosts = common::outputs(&json(&out));
            let names: Vec<&str> = hosts.iter().map(|h| h.0.as_str()).collect();
            assert_eq!(
                names,
                ["192.168.100.1", "192.168.100.2", "192.168.100.3"],
                "{run}"
            );
            for (router, (name, ok, prompt, outputs)) in hosts.iter().enumerate() {
                assert!(ok, "{run}: {name}");
                assert_eq!(prompt, &format!("R{}#", router + 1), "{run}");
                // Each router its own (R<n>'s uplink is 10.0.<n-1>.1), as three boxes would be.
                let uplink = format!("10.0.{router}.1");
                assert!(
                    outputs[0].contains("Interface")
                        && outputs[0].contains("GigabitEthernet0/0")
                        && outputs[0].contains(&uplink),
                    "{run}: {name}: {}",
                    outputs[0]
                );
            }
        }
    }
}

/// Netmiko's own drivers (`cisco_ios`, `cisco_ios_telnet`) on the three addresses, if the venv
/// .ci/run makes is here (under CI it must be).
fn netmiko_answers(what: &str) {
    let venv = std::env::var_os("NETRUN_INVENTORY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/netrun-inventory-venv"));
    let python = venv.join("bin/python");
    let has_netmiko = Command::new(&python)
        .args(["-c", "import netmiko"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_netmiko {
        not_run(
            &format!("{what}, Netmiko"),
            &format!("no venv with netmiko at {}", venv.display()),
        );
        return;
    }
    let script = r#"
import sys
from netmiko import ConnectHandler
for device_type in ("cisco_ios", "cisco_ios_telnet"):
    for host in ("192.168.100.1", "192.168.100.2", "192.168.100.3"):
        with ConnectHandler(device_type=device_type, host=host, username="cisco",
                            password="cisco", secret="cisco") as conn:
            conn.enable()
            out = conn.send_command("show ip interface brief")
            assert "GigabitEthernet0/0" in out, out
            print(device_type, host, conn.find_prompt())
"#;
    let out = Command::new(&python).args(["-c", script]).output().unwrap();
    assert!(out.status.success(), "{what}: Netmiko: {}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            "cisco_ios 192.168.100.1 R1#",
            "cisco_ios 192.168.100.2 R2#",
            "cisco_ios 192.168.100.3 R3#",
            "cisco_ios_telnet 192.168.100.1 R1#",
            "cisco_ios_telnet 192.168.100.2 R2#",
            "cisco_ios_telnet 192.168.100.3 R3#"
        ],
        "{what}"
    );
}

#[test]
fn the_books_compose_lab_answers_the_books_devices_yaml_and_goes_away() {
    const TEST: &str = "compose book lab";
    if let Some(reason) = docker_missing() {
        return not_run(TEST, &reason);
    }
    let _book = BOOK_ADDRESSES.lock().unwrap_or_else(|e| e.into_inner());
    let lab = BookLab::up();
    book_devices_answer(TEST);
    netmiko_answers(TEST);
    let out = lab.compose(&["down", "-t", "1"]);
    assert!(out.status.success(), "compose down: {}", stderr(&out));
    assert_eq!(lab.leftovers().trim(), "", "compose down left these behind");
}

/// Root and `ip netns`, else why not.
fn netns_missing() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("the netns lab needs root".into());
    }
    match Command::new("ip").args(["netns", "list"]).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "ip netns: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Some(format!("no ip command ({e})")),
    }
}

/// `testbed/netns-lab` with a namespace of its own, taken down on drop.
struct NetnsLab {
    name: String,
}

impl NetnsLab {
    fn script(&self, args: &[&str]) -> Output {
        Command::new(repo().join("testbed/netns-lab"))
            .args(args)
            .env("NETRUN_NETNS", &self.name)
            .env("TESTBED", format!("{NETRUN} __testbed"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for NetnsLab {
    fn drop(&mut self) {
        let _ = self.script(&["down"]);
    }
}

#[test]
fn the_netns_lab_answers_the_same_devices_yaml_and_is_cleaned_up() {
    const TEST: &str = "netns book lab";
    if let Some(reason) = netns_missing() {
        return not_run(TEST, &reason);
    }
    let _book = BOOK_ADDRESSES.lock().unwrap_or_else(|e| e.into_inner());
    let lab = NetnsLab {
        name: format!("nrbook{}", std::process::id() % 100_000),
    };
    let out = lab.script(&["up"]);
    assert!(out.status.success(), "netns-lab up: {}", stderr(&out));
    book_devices_answer(TEST);
    let out = lab.script(&["down"]);
    assert!(out.status.success(), "netns-lab down: {}", stderr(&out));
    let namespaces = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(
        !stdout(&namespaces)
            .lines()
            .any(|l| l.split_whitespace().next() == Some(&lab.name)),
        "the namespace is still there"
    );
    let links = Command::new("ip").args(["-o", "link"]).output().unwrap();
    assert!(
        !stdout(&links).contains(&format!("veth-{}", &lab.name)),
        "the veth is still there"
    );
}

/// Three routers in containers on a network of their own: R1 and R3 at the `lan` pace, R2 the
/// `iosv` pace made ten times slower (the `slow` fault) so its session lasts seconds after login,
/// logging each SSH login to a file the test watches. Removed on drop.
struct FaultLab {
    network: String,
    prefix: String,
    containers: Vec<String>,
    log_dir: tempfile::TempDir,
    inventory: PathBuf,
}

impl FaultLab {
    fn start(tag: &str, subnet: u8) -> FaultLab {
        let id = format!("netrun-t13-{}-{tag}", std::process::id());
        // 10.213.0.0/16 split per process and test, so parallel runs do not overlap.
        let prefix = format!("10.213.{}", (std::process::id() % 60) as u8 * 4 + subnet);
        let log_dir = tempfile::tempdir().unwrap();
        let mut lab = FaultLab {
            network: id.clone(),
            prefix: prefix.clone(),
            containers: Vec::new(),
            inventory: log_dir.path().join("devices.yaml"),
            log_dir,
        };
        docker(&[
            "network",
            "create",
            "--subnet",
            &format!("{prefix}.0/24"),
            "--gateway",
            &format!("{prefix}.254"),
            &id,
        ]);
        let mut inventory = String::new();
        for router in 1..=3 {
            let name = format!("{id}-r{router}");
            let address = format!("{prefix}.{router}");
            let number = router.to_string();
            let mut args = vec![
                "run",
                "-d",
                "--name",
                &name,
                "--network",
                &id,
                "--ip",
                &address,
            ];
            let volume = format!("{}:/log", lab.log_dir.path().display());
            if router == 2 {
                args.extend(["-v", &volume]);
            }
            args.extend([
                TESTBED_IMAGE,
                "--address",
                &address,
                "--ssh-port",
                "22",
                "--devices",
                "1",
                "--first-device",
                &number,
            ]);
            if router == 2 {
                args.extend([
                    "--profile",
                    "iosv",
                    "--fault",
                    "slow:R1",
                    "--auth-log",
                    "/log/auth.log",
                ]);
            } else {
                args.extend(["--profile", "lan"]);
            }
            docker(&args);
            lab.containers.push(name);
            inventory += &format!(
                "- {{name: R{router}, device_type: cisco_ios, host: {address}, username: cisco, \
                 password: cisco, secret: cisco}}\n"
            );
        }
        std::fs::write(&lab.inventory, inventory).unwrap();
        for container in &lab.containers {
            wait_until(
                &format!("{container} ready"),
                Duration::from_secs(60),
                || ready_count(container) == 1,
            );
        }
        lab
    }

    fn r2(&self) -> &str {
        &self.containers[1]
    }

    fn logins(&self) -> usize {
        std::fs::read_to_string(self.log_dir.path().join("auth.log"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    /// Start netrun (three commands a host, `--timeout 5`) under `strategy`; once R2 has logged
    /// a login, do `fault` to it; return netrun's output.
    fn run_with_fault(&self, strategy: &str, fault: impl FnOnce(&FaultLab)) -> Output {
        let before = self.logins();
        let home = tempfile::tempdir().unwrap();
        let child = Command::new(NETRUN)
            .env("HOME", home.path())
            .args(["-i", self.inventory.to_str().unwrap(), "-s", strategy])
            .args(["--timeout", "5", "--host-key-policy", "off", "-o", "json"])
            .args([
                "-c",
                "show clock",
                "-c",
                "show version",
                "-c",
                "show ip interface brief",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut child = KillOnDrop(Some(child));
        wait_until("R2's login", Duration::from_secs(60), || {
            self.logins() > before
        });
        fault(self);
        let child = child.0.take().unwrap();
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        // Far past any of netrun's own bounds: a guard against a hang, not a timing check.
        rx.recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                // SAFETY: kill has no memory preconditions; pid is our child, not yet reaped.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                panic!("netrun under {strategy} did not end after the fault")
            })
            .unwrap()
    }

    /// A run with no fault: every host ok (after R2 came back).
    fn all_ok(&self, what: &str) {
        let out = run_netrun(&[
            "-i",
            self.inventory.to_str().unwrap(),
            "--timeout",
            "5",
            "--host-key-policy",
            "off",
            "-o",
            "json",
            "show",
            "clock",
        ]);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
    }
}

impl Drop for FaultLab {
    fn drop(&mut self) {
        for container in &self.containers {
            let _ = Command::new("docker")
                .args(["rm", "-f", container])
                .output();
        }
        let _ = Command::new("docker")
            .args(["network", "rm", &self.network])
            .output();
    }
}

struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// R2 got `kind` (one of the honest outcomes), R1 and R3 were ok, netrun said so with status 1;
/// R2's failure message.
fn only_r2_failed(out: &Output, kind: &str, what: &str) -> String {
    assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(out));
    let doc = json(out);
    let expected =
        [("R1", "ok"), ("R2", kind), ("R3", "ok")].map(|(n, k)| (n.to_string(), k.to_string()));
    assert_eq!(error_kinds(&doc), expected, "{what}: {}", stdout(out));
    doc["hosts"][1]["error"]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A fault done after login: R2 failed during the session, not while connecting.
fn failed_mid_session(message: &str, what: &str) {
    assert!(!message.starts_with("connecting to"), "{what}: {message}");
}

fn fault_test(test: &str, tag: &str, subnet: u8, body: impl Fn(&FaultLab, &str)) {
    if let Some(reason) = docker_missing() {
        return not_run(test, &reason);
    }
    let lab = FaultLab::start(tag, subnet);
    for strategy in netrun::strategies().map(|s| s.name()) {
        body(&lab, strategy);
    }
}

#[test]
fn a_paused_router_times_out_alone_under_every_strategy() {
    fault_test("docker pause", "pause", 0, |lab, strategy| {
        let what = format!("docker pause under {strategy}");
        let out = lab.run_with_fault(strategy, |lab| {
            docker(&["pause", lab.r2()]);
        });
        docker(&["unpause", lab.r2()]);
        failed_mid_session(&only_r2_failed(&out, "timeout", &what), &what);
        lab.all_ok(&format!("{what}, after unpause"));
    });
}

#[test]
fn a_disconnected_router_times_out_alone_under_every_strategy() {
    fault_test("docker network disconnect", "cut", 1, |lab, strategy| {
        let what = format!("docker network disconnect under {strategy}");
        let out = lab.run_with_fault(strategy, |lab| {
            docker(&["network", "disconnect", &lab.network, lab.r2()]);
        });
        let address = format!("{}.2", lab.prefix);
        docker(&[
            "network",
            "connect",
            "--ip",
            &address,
            &lab.network,
            lab.r2(),
        ]);
        failed_mid_session(&only_r2_failed(&out, "timeout", &what), &what);
        lab.all_ok(&format!("{what}, after reconnecting"));
    });
}

#[test]
fn a_killed_router_is_closed_then_times_out_connecting_then_is_back_under_every_strategy() {
    fault_test("docker kill", "kill", 2, |lab, strategy| {
        let what = format!("docker kill under {strategy}");
        let starts = ready_count(lab.r2());
        let out = lab.run_with_fault(strategy, |lab| {
            docker(&["kill", lab.r2()]);
        });
        failed_mid_session(&only_r2_failed(&out, "closed", &what), &what);
        let out = run_netrun(&[
            "-i",
            lab.inventory.to_str().unwrap(),
            "-s",
            strategy,
            "--timeout",
            "5",
            "--host-key-policy",
            "off",
            "-o",
            "json",
            "show",
            "clock",
        ]);
        // Its address is gone with its network namespace: the SYNs go unanswered (no RST, the
        // bridge still knows the old neighbour), so the connect runs into --timeout.
        let down = format!("{what}, while down");
        let message = only_r2_failed(&out, "timeout", &down);
        assert!(message.starts_with("connecting to "), "{down}: {message}");
        docker(&["start", lab.r2()]);
        wait_until(
            &format!("{what}: restarted"),
            Duration::from_secs(60),
            || ready_count(lab.r2()) > starts,
        );
        lab.all_ok(&format!("{what}, after docker start"));
    });
}

const NETRUN_IMAGE: &str = "netrun:local";
const SHARDED_COMPOSE: &str = "deploy/compose/sharded.yml";
const SHARDED_DEVICES: &str = "deploy/compose/devices.yaml";

/// A compose project of `deploy/compose/sharded.yml` on a subnet of its own (10.216.0.0/16,
/// one /24 per process), with the lab's credentials in compose's environment; `down -v` on drop.
struct ShardedCompose {
    project: String,
    subnet: String,
}

impl ShardedCompose {
    fn new() -> ShardedCompose {
        let pid = std::process::id();
        ShardedCompose {
            project: format!("netrun-sharded-test-{pid}"),
            subnet: format!("10.216.{}.0/24", pid % 250),
        }
    }

    fn compose(&self, args: &[&str]) -> Output {
        compose()
            .args(["-p", &self.project, "-f"])
            .arg(repo().join(SHARDED_COMPOSE))
            .args(args)
            .env("NETRUN_COMPOSE_SUBNET", &self.subnet)
            .env("NETRUN_PASSWORD", "cisco")
            .env("NETRUN_SECRET", "cisco")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn container(&self, service: &str) -> String {
        let id = self.compose(&["ps", "-aq", service]);
        String::from_utf8_lossy(&id.stdout).trim().to_string()
    }

    /// The service's container exists and has exited.
    fn exited(&self, service: &str) -> bool {
        let container = self.container(service);
        !container.is_empty()
            && docker(&["inspect", "--format", "{{.State.Status}}", &container]).trim() == "exited"
    }

    fn exit_code(&self, service: &str) -> String {
        let container = self.container(service);
        docker(&["inspect", "--format", "{{.State.ExitCode}}", &container])
            .trim()
            .to_string()
    }

    /// Containers, networks and volumes still labelled with this project.
    fn leftovers(&self) -> String {
        let label = format!("label=com.docker.compose.project={}", self.project);
        docker(&["ps", "-aq", "--filter", &label])
            + &docker(&["network", "ls", "-q", "--filter", &label])
            + &docker(&["volume", "ls", "-q", "--filter", &label])
    }
}

impl Drop for ShardedCompose {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "-v", "-t", "1", "--remove-orphans"]);
    }
}

/// The host names `netrun inventory --shard K/3` lists for the compose lab's inventory.
fn shard_names(shard: usize) -> Vec<String> {
    let inventory = repo().join(SHARDED_DEVICES);
    let id = format!("{shard}/3");
    let out = common::netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "--shard",
        &id,
        "inventory",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect()
}

/// A results file's host records (every line but the summary).
fn host_records(jsonl: &str) -> Vec<serde_json::Value> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("summary").is_none())
        .collect()
}

#[test]
fn three_shard_containers_and_a_merge_step_equal_one_unsharded_run() {
    const TEST: &str = "compose sharded";
    for image in [TESTBED_IMAGE, NETRUN_IMAGE] {
        if let Some(reason) = image_missing(image) {
            return not_run(TEST, &reason);
        }
    }
    let lab = ShardedCompose::new();
    let out = lab.compose(&["up", "-d"]);
    assert!(out.status.success(), "compose up: {}", stderr(&out));
    wait_until("merge exited", Duration::from_secs(180), || {
        lab.exited("merge")
    });
    for service in ["shard-0", "shard-1", "shard-2", "merge"] {
        assert_eq!(
            lab.exit_code(service),
            "0",
            "{TEST}: {service}'s exit status"
        );
    }

    // Each shard's results: its own shard's hosts, in its run, and nothing else.
    let files = tempfile::tempdir().unwrap();
    let mut covered = Vec::new();
    for index in 0..3 {
        let service = format!("shard-{index}");
        let local = files.path().join(format!("{index}.jsonl"));
        docker(&[
            "cp",
            &format!("{}:/results/{index}.jsonl", lab.container(&service)),
            local.to_str().unwrap(),
        ]);
        let records = host_records(&std::fs::read_to_string(&local).unwrap());
        let names: Vec<String> = records
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, shard_names(index + 1), "{TEST}: {service}");
        for record in &records {
            assert_eq!(
                record["shard"],
                format!("{}/3", index + 1),
                "{TEST}: {service}"
            );
            assert_eq!(record["run_id"], "compose-sharded", "{TEST}: {service}");
            assert_eq!(record["ok"], true, "{TEST}: {service}: {record}");
        }
        covered.extend(names);
    }
    covered.sort_by_key(|name| name[1..].parse::<u32>().unwrap());
    let all: Vec<String> = (1..=24).map(|i| format!("R{i}")).collect();
    assert_eq!(
        covered, all,
        "{TEST}: the shards are disjoint and cover the inventory"
    );

    // The merge's report against a fifth, unsharded run on the same network.
    let merge = docker(&["logs", &lab.container("merge")]);
    let merged: serde_json::Value = serde_json::from_str(&merge).unwrap();
    let out = lab.compose(&[
        "run",
        "--rm",
        "--no-deps",
        "-T",
        "-e",
        "JOB_COMPLETION_INDEX=",
        "-e",
        "NETRUN_SHARDS=",
        "shard-0",
        "--retries",
        "20",
        "--retry-delay",
        "0.5",
        "-o",
        "json",
        "-c",
        "show version",
        "-c",
        "show ip interface brief",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{TEST}: unsharded: {}",
        stderr(&out)
    );
    let unsharded = json(&out);
    assert_eq!(common::outputs(&merged).len(), 24, "{TEST}: {merge}");
    assert_eq!(
        common::outputs(&merged),
        common::outputs(&unsharded),
        "{TEST}: merged vs unsharded"
    );
    assert_eq!(error_kinds(&merged), error_kinds(&unsharded), "{TEST}");

    let out = lab.compose(&["down", "-v", "-t", "1"]);
    assert!(out.status.success(), "compose down: {}", stderr(&out));
    assert_eq!(
        lab.leftovers().trim(),
        "",
        "compose down -v left these behind"
    );
}

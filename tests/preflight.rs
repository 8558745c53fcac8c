//! Pre-flight: an option that names a bad file or folder exits 2 before any connection. The
//! inventory's one device is a listener of the test's own, which must see no connection at all.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use common::{netrun, stderr};

/// A device that only counts: a loopback listener and an inventory pointing at it.
struct Listener {
    socket: TcpListener,
    dir: tempfile::TempDir,
}

impl Listener {
    fn start() -> Listener {
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let port = socket.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let inventory = format!(
            "- name: R1\n  device_type: cisco_ios\n  host: 127.0.0.1\n  port: {port}\n  \
             username: cisco\n  password: cisco\n  secret: cisco\n"
        );
        std::fs::write(dir.path().join("devices.yaml"), inventory).unwrap();
        std::fs::write(dir.path().join("plain"), "a file, not a folder").unwrap();
        Listener { socket, dir }
    }

    fn inventory(&self) -> String {
        self.path("devices.yaml").to_str().unwrap().to_string()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A folder that cannot be created: its parent is a plain file.
    fn bad_dir(&self) -> String {
        self.path("plain").join("out").to_str().unwrap().to_string()
    }

    /// Whether anyone connected (a connection waits in the backlog even after its client exited).
    fn was_connected(&self) -> bool {
        match self.socket.accept() {
            Ok(_) => true,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(err) => panic!("accept: {err}"),
        }
    }
}

/// Run netrun with `args`; assert exit 2, a message naming `flag`, and no connection.
fn assert_refused_before_connecting(device: &Listener, args: &[&str], flag: &str) {
    let out = netrun(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(flag), "{args:?}: {err}");
    assert!(!device.was_connected(), "{args:?} connected to the device");
}

#[test]
fn a_show_save_folder_that_cannot_be_created_exits_2_before_connecting() {
    let device = Listener::start();
    let (inventory, bad) = (device.inventory(), device.bad_dir());
    assert_refused_before_connecting(
        &device,
        &["-i", &inventory, "--save", &bad, "show", "clock"],
        "--save",
    );
    let plain = device.path("plain");
    assert_refused_before_connecting(
        &device,
        &[
            "-i",
            &inventory,
            "--save",
            plain.to_str().unwrap(),
            "show",
            "clock",
        ],
        "--save",
    );
}

#[test]
fn a_config_save_dir_that_cannot_be_written_exits_2_before_any_push() {
    let device = Listener::start();
    let (inventory, bad) = (device.inventory(), device.bad_dir());
    for strategy in netrun::strategies().map(|s| s.name()) {
        assert_refused_before_connecting(
            &device,
            &[
                "config",
                "-i",
                &inventory,
                "-s",
                strategy,
                "-c",
                "ntp server 192.0.2.1",
                "--save",
                "--save-dir",
                &bad,
            ],
            "--save-dir",
        );
    }
}

#[test]
fn missing_line_files_and_templates_exit_2_before_connecting() {
    let device = Listener::start();
    let inventory = device.inventory();
    let missing = device.path("missing.txt");
    let missing = missing.to_str().unwrap();
    assert_refused_before_connecting(
        &device,
        &["config", "-i", &inventory, "-f", missing],
        "--file",
    );
    assert_refused_before_connecting(
        &device,
        &["config", "-i", &inventory, "-t", missing],
        "--template",
    );
    let folder = device.dir.path().to_str().unwrap().to_string();
    assert_refused_before_connecting(
        &device,
        &["config", "-i", &inventory, "-f", &folder],
        "--file",
    );
}

#[test]
fn a_template_that_fails_to_render_exits_2_before_connecting() {
    let device = Listener::start();
    let template = device.path("ntp.j2");
    std::fs::write(&template, "ntp server {{ ntp_server }}\n").unwrap();
    assert_refused_before_connecting(
        &device,
        &[
            "config",
            "-i",
            &device.inventory(),
            "-t",
            template.to_str().unwrap(),
        ],
        "ntp.j2",
    );
}

#[test]
fn a_dry_run_neither_connects_nor_creates_the_save_dir() {
    let device = Listener::start();
    let save = device.path("never");
    let out = netrun(&[
        "config",
        "-i",
        &device.inventory(),
        "-c",
        "ntp server 192.0.2.1",
        "--dry-run",
        "--save-dir",
        save.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!device.was_connected());
    assert!(!Path::new(&save).exists());
}

#[test]
fn a_bench_plot_that_cannot_be_written_exits_2_before_any_lab() {
    let device = Listener::start();
    let plot = Path::new(&device.bad_dir()).join("plot.svg");
    let out = netrun(&["bench", "--plot", plot.to_str().unwrap(), "show", "clock"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--plot"), "{err}");
}

#[test]
fn a_timeout_no_duration_can_hold_exits_2_without_a_panic() {
    let device = Listener::start();
    let inventory = device.inventory();
    for timeout in ["1e300", "inf", "NaN", "0"] {
        let flag = format!("--timeout={timeout}");
        let out = netrun(&["-i", &inventory, &flag, "show", "clock"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(
            err.contains("--timeout must be a positive number of seconds"),
            "{flag}: {err}"
        );
        assert!(!err.contains("panicked"), "{flag}: {err}");
        assert!(!device.was_connected(), "{flag} connected");
    }
}

#[test]
fn dry_run_with_diff_is_refused_clearly_before_connecting() {
    let device = Listener::start();
    let inventory = device.inventory();
    let out = netrun(&[
        "config",
        "-i",
        &inventory,
        "--dry-run",
        "--diff",
        "-c",
        "logging 10.1.1.1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--dry-run connects to nothing") && err.contains("--diff"),
        "{err}"
    );
    assert!(!device.was_connected());
}

#[test]
fn a_failed_out_file_that_cannot_be_written_exits_2_before_connecting() {
    let device = Listener::start();
    let (inventory, bad) = (device.inventory(), device.bad_dir());
    assert_refused_before_connecting(
        &device,
        &["-i", &inventory, "--failed-out", &bad, "show", "clock"],
        "--failed-out",
    );
    assert_refused_before_connecting(
        &device,
        &[
            "config",
            "-i",
            &inventory,
            "--failed-out",
            &bad,
            "-c",
            "logging 10.1.1.1",
        ],
        "--failed-out",
    );
}

#[test]
fn a_missing_default_inventory_says_how_to_give_one() {
    let empty = tempfile::tempdir().unwrap();
    let out = common::netrun_in(
        Some(empty.path()),
        &["show", "clock"],
        &[],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("-i PATH") && err.contains("$NETRUN_INVENTORY") && err.contains("--lab"),
        "{err}"
    );
    let out = common::netrun_in(
        Some(empty.path()),
        &["show", "clock"],
        &[("NETRUN_INVENTORY", "/nonexistent/lab.yaml")],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("$NETRUN_INVENTORY names the inventory /nonexistent/lab.yaml"),
        "{}",
        stderr(&out)
    );
}

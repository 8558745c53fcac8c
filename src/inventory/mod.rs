//! The inventory: reads the book's devices.yaml list or a Nornir SimpleInventory folder, fills
//! secrets from `${VAR}` and `NETRUN_PASSWORD`/`NETRUN_SECRET`/`NETRUN_KEY_PASSPHRASE`, validates
//! every value, and
//! yields the `Host`s to run on, in file order. `--limit` selection lives in `filter`.
//!
//! Every error is an [`InventoryError`] that names `FILE:LINE:COL: FIELD`.

mod address;
mod ansible;
mod ansible_ini;
mod env;
mod error;
mod filter;
mod host;
mod keys;
mod netmiko;
mod netmiko_yml;
mod nornir;
mod platforms;
mod secrets;
mod yaml;

use std::path::{Path, PathBuf};

pub use env::Env;
pub use error::InventoryError;
pub use filter::filter;
pub use secrets::{masked_data, secret_data_values};

use crate::job::{Host, Secret};

use yaml::{Document, Node};

/// Seconds a host gets for each operation (connect, login, each command) when neither the
/// inventory's `timeout` nor `--timeout` says otherwise. Netmiko waits 10 s to connect and 10 s
/// per command read; netrun reads to the prompt rather than sleeping, so a deadline only fires
/// on a device that is really stuck, and 20 s leaves room for a slow `show running-config`.
pub const DEFAULT_TIMEOUT_SECS: u64 = 20;

/// The longest timeout an inventory may give, in seconds (1 day): a longer one is a mistake
/// (`1e300`), and `Duration` cannot hold some of them.
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

/// The platform used when a host names none: the book's devices are all Cisco IOS.
pub const DEFAULT_DEVICE_TYPE: &str = "cisco_ios";

/// Fills a host's missing login password.
pub const PASSWORD_VAR: &str = "NETRUN_PASSWORD";
/// Fills a host's missing enable secret.
pub const SECRET_VAR: &str = "NETRUN_SECRET";
/// Fills the passphrase of a host's `key_file` when the inventory gives none.
pub const KEY_PASSPHRASE_VAR: &str = "NETRUN_KEY_PASSPHRASE";
/// The inventory to read when none is given.
pub const INVENTORY_VAR: &str = "NETRUN_INVENTORY";

/// What a format reads: hosts in file order, and warnings.
type Loaded = (Vec<Host>, Vec<String>);

/// A loaded inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// In file order (Nornir: hosts.yaml order).
    pub hosts: Vec<Host>,
    /// Things a person should know that do not stop the run (ignored keys), one line each.
    pub warnings: Vec<String>,
}

/// Load the inventory at `path`, whichever of the formats netrun reads it is:
/// - a folder: a Nornir SimpleInventory (`hosts.yaml`, optional `groups.yaml` and
///   `defaults.yaml`, or `.yml`), or a Nornir project with a `config.yaml` naming its files;
/// - an `.ini` file, or one without a YAML extension that reads as INI: an Ansible inventory;
/// - a YAML file: the book's devices.yaml list; a map of groups (`all: {hosts: ...}`), Ansible;
///   a Nornir `config.yaml`; a `.netmiko.yml` (devices and lists of names); a Nornir
///   `hosts.yaml` (with the groups and defaults files beside it).
///
/// `env` looks variables up for `${VAR}`, `NETRUN_PASSWORD`, `NETRUN_SECRET` and
/// `NETRUN_KEY_PASSPHRASE`.
pub fn load(path: &Path, env: Env) -> Result<Inventory, InventoryError> {
    let metadata = std::fs::metadata(path).map_err(|e| InventoryError::read(path, e))?;
    let (mut hosts, warnings) = if metadata.is_dir() {
        match nornir::CONFIG_FILES
            .iter()
            .map(|name| path.join(name))
            .find(|config| config.is_file())
        {
            Some(config) => nornir::load_config(Document::read(&config)?, env)?,
            None => nornir::load(path, env)?,
        }
    } else {
        load_file(path, env)?
    };
    if let Some(passphrase) = env(KEY_PASSPHRASE_VAR).filter(|p| !p.is_empty()) {
        fill_missing_key_passphrase(&mut hosts, &Secret::new(passphrase));
    }
    Ok(Inventory { hosts, warnings })
}

/// File names that are YAML, whatever they hold.
const YAML_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];
/// File names that are Ansible INI.
const INI_EXTENSIONS: &[&str] = &["ini", "cfg"];

fn load_file(path: &Path, env: Env) -> Result<Loaded, InventoryError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if INI_EXTENSIONS.contains(&extension.as_str()) {
        return ansible::load_ini(path, env);
    }
    let parsed = Document::read(path);
    if !YAML_EXTENSIONS.contains(&extension.as_str()) && reads_as_ini(path, &parsed) {
        return ansible::load_ini(path, env);
    }
    let doc = parsed?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match &doc.root {
        Node::Seq(_) | Node::Null => netmiko::load_doc(&doc, env),
        root if nornir::is_config(root) => nornir::load_config(doc, env),
        root if ansible::is_ansible_yaml(root) => ansible::load_yaml(doc, env),
        root if netmiko_yml::is_netmiko_yml(root) || file_name.contains("netmiko") => {
            netmiko_yml::load(&doc, env)
        }
        Node::Map(_) if matches!(file_name.as_str(), "hosts.yaml" | "hosts.yml") => {
            nornir::load_hosts_file(path, env)
        }
        Node::Map(_) => Err(doc.error(
            &[],
            None,
            "a map that is no inventory netrun reads: expected the book's list of devices \
             (`- host: ...`), an Ansible inventory (`all: {hosts: ...}`), a .netmiko.yml (devices \
             with a device_type), a Nornir config.yaml (`inventory: ...`) or hosts.yaml, or a \
             Nornir folder",
        )),
        _ => netmiko::load_doc(&doc, env),
    }
}

/// A file without a YAML extension is INI when its first line that is not a comment is a
/// `[section]` header, or when it is YAML for a single word or line (`r1`,
/// `r1 ansible_host=10.0.0.1`), or is not YAML and does not start like YAML (`- `, `key:`), so
/// that a broken devices.yaml under another name still gets YAML's message.
fn reads_as_ini(path: &Path, parsed: &Result<Document, InventoryError>) -> bool {
    let first_line = std::fs::read_to_string(path).ok().and_then(|text| {
        text.trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with(['#', ';']))
            .map(str::to_string)
    });
    let header = first_line.as_deref().is_some_and(|line| {
        line.starts_with('[')
            && line
                .split('#')
                .next()
                .unwrap_or("")
                .trim_end()
                .ends_with(']')
            && !line.contains(',')
    });
    let starts_like_yaml = first_line.as_deref().is_some_and(|line| {
        line.starts_with(['-', '{']) || line.ends_with(':') || line.contains(": ")
    });
    header
        || match parsed {
            Err(InventoryError::Invalid { .. }) => !starts_like_yaml,
            Err(InventoryError::Read { .. }) => false,
            Ok(doc) => matches!(
                doc.root,
                Node::Str(_) | Node::Int(_) | Node::Float(_) | Node::Bool(_)
            ),
        }
}

/// `$NETRUN_INVENTORY` if set, else `inventory/devices.yaml` (relative to the working directory).
pub fn default_path(env: Env) -> PathBuf {
    env(INVENTORY_VAR)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new("inventory").join("devices.yaml"))
}

/// Give `password` (from `--ask-pass`) to every host whose inventory and environment gave none.
/// Returns how many hosts got it.
pub fn fill_missing_password(hosts: &mut [Host], password: &Secret) -> usize {
    let mut filled = 0;
    for host in hosts.iter_mut().filter(|h| h.password.is_empty()) {
        host.password = password.clone();
        filled += 1;
    }
    filled
}

/// Whether `host` has a key file but no passphrase for it.
pub fn needs_key_passphrase(host: &Host) -> bool {
    host.key_file.is_some() && host.key_passphrase.is_none()
}

/// Give `passphrase` (from `NETRUN_KEY_PASSPHRASE` or `--ask-key-pass`) to every host with a key
/// file and no passphrase.
pub fn fill_missing_key_passphrase(hosts: &mut [Host], passphrase: &Secret) {
    for host in hosts.iter_mut().filter(|h| needs_key_passphrase(h)) {
        host.key_passphrase = Some(passphrase.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::TransportKind;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn default_path_prefers_the_environment() {
        assert_eq!(
            default_path(&no_env),
            Path::new("inventory").join("devices.yaml")
        );
        let env = |name: &str| (name == INVENTORY_VAR).then(|| "/srv/lab".to_string());
        assert_eq!(default_path(&env), PathBuf::from("/srv/lab"));
        let empty = |_: &str| Some(String::new());
        assert_eq!(
            default_path(&empty),
            Path::new("inventory").join("devices.yaml")
        );
    }

    #[test]
    fn load_picks_the_format_from_file_or_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("devices.yaml");
        std::fs::write(&file, "- host: 10.0.0.1\n  password: p\n").unwrap();
        let inv = load(&file, &no_env).unwrap();
        assert_eq!(inv.hosts[0].name, "10.0.0.1");

        let folder = dir.path().join("nornir");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("hosts.yaml"), "R1:\n  hostname: 10.0.0.2\n").unwrap();
        let inv = load(&folder, &no_env).unwrap();
        assert_eq!(inv.hosts[0].name, "R1");
        assert_eq!(inv.hosts[0].host, "10.0.0.2");
    }

    /// Write `files` (name, text) into a fresh folder.
    fn files(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn names(inv: &Inventory) -> Vec<(&str, &str)> {
        inv.hosts
            .iter()
            .map(|h| (h.name.as_str(), h.host.as_str()))
            .collect()
    }

    #[test]
    fn every_format_is_told_from_its_name_or_content() {
        let dir = files(&[
            ("hosts.ini", "[core]\nr1 ansible_host=10.0.0.1\n"),
            ("hosts", "# Ansible\n[core]\nr1 ansible_host=10.0.0.1\n"),
            ("plain", "r1 ansible_host=10.0.0.1\n"),
            (
                "inventory.yml",
                "all:\n  children:\n    core:\n      hosts:\n        r1: {ansible_host: 10.0.0.1}\n",
            ),
            (
                ".netmiko.yml",
                "r1: {device_type: cisco_ios, host: 10.0.0.1}\ncore: [r1]\n",
            ),
            ("hosts.yaml", "r1: {hostname: 10.0.0.1, groups: [core]}\n"),
            ("groups.yaml", "core: {username: ops}\n"),
            ("config.yaml", "inventory:\n  plugin: SimpleInventory\n"),
        ]);
        for name in [
            "hosts.ini",
            "hosts",
            "plain",
            "inventory.yml",
            ".netmiko.yml",
            "hosts.yaml",
        ] {
            let inv =
                load(&dir.path().join(name), &no_env).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(names(&inv), [("r1", "10.0.0.1")], "{name}");
            if name != "plain" {
                assert_eq!(inv.hosts[0].groups, ["core"], "{name}");
            }
        }
        let inv = load(&dir.path().join("hosts.yaml"), &no_env).unwrap();
        assert_eq!(
            inv.hosts[0].username, "ops",
            "the groups file beside it is read"
        );
    }

    #[test]
    fn broken_yaml_without_a_yaml_name_keeps_yamls_message() {
        let dir = files(&[("devices", "- host: a\n  port: [22\n")]);
        let err = load(&dir.path().join("devices"), &no_env).unwrap_err();
        assert!(err.to_string().contains("malformed YAML"), "{err}");
    }

    #[test]
    fn a_folder_with_a_config_file_is_read_through_it() {
        let dir = files(&[("hosts.yaml", "r1: {hostname: 10.0.0.1}\n")]);
        let other = files(&[("h.yml", "r2: {hostname: 10.0.0.2}\n")]);
        std::fs::write(
            dir.path().join("config.yml"),
            format!(
                "inventory:\n  options:\n    host_file: {}\n",
                other.path().join("h.yml").display()
            ),
        )
        .unwrap();
        let inv = load(dir.path(), &no_env).unwrap();
        assert_eq!(names(&inv), [("r2", "10.0.0.2")]);
    }

    #[test]
    fn a_map_no_loader_takes_is_a_clear_error() {
        let dir = files(&[("odd.yaml", "settings:\n  colour: blue\n")]);
        let err = load(&dir.path().join("odd.yaml"), &no_env).unwrap_err();
        let text = err.to_string();
        assert!(
            text.ends_with("odd.yaml:1:1: a map that is no inventory netrun reads: expected the book's list of devices (`- host: ...`), an Ansible inventory (`all: {hosts: ...}`), a .netmiko.yml (devices with a device_type), a Nornir config.yaml (`inventory: ...`) or hosts.yaml, or a Nornir folder"),
            "{text}"
        );
    }

    #[test]
    fn the_shipped_examples_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory");
        let book = load(&root.join("devices.yaml"), &no_env).unwrap();
        assert!(book.warnings.is_empty(), "{:?}", book.warnings);
        let hosts: Vec<(&str, &str)> = book
            .hosts
            .iter()
            .map(|h| (h.name.as_str(), h.host.as_str()))
            .collect();
        assert_eq!(
            hosts,
            [
                ("R1", "192.168.100.1"),
                ("R2", "192.168.100.2"),
                ("R3", "192.168.100.3")
            ]
        );

        for other in [
            "ansible/hosts.ini",
            "ansible/inventory.yml",
            "netmiko/.netmiko.yml",
        ] {
            let inv = load(&root.join(other), &no_env).unwrap();
            assert!(inv.warnings.is_empty(), "{other}: {:?}", inv.warnings);
            let same: Vec<(&str, &str, &str, &str, bool)> = inv
                .hosts
                .iter()
                .map(|h| {
                    let groups = h.groups.iter().find(|g| *g != "routers").unwrap();
                    (
                        h.name.as_str(),
                        h.host.as_str(),
                        h.platform.as_str(),
                        groups.as_str(),
                        h.secret.is_some(),
                    )
                })
                .collect();
            assert_eq!(
                same,
                [
                    ("R1", "192.168.100.1", "cisco_ios", "core", true),
                    ("R2", "192.168.100.2", "cisco_ios", "core", true),
                    ("R3", "192.168.100.3", "cisco_ios", "edge", true)
                ],
                "{other}"
            );
        }

        let nornir = load(&root.join("nornir"), &no_env).unwrap();
        assert!(nornir.warnings.is_empty(), "{:?}", nornir.warnings);
        let core = filter(nornir.hosts, &["group:core".to_string()]).unwrap();
        let names: Vec<&str> = core.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["R1", "R2"]);
        assert_eq!(core[0].platform, "cisco_ios");
        assert_eq!(core[0].groups, ["core", "cisco"]);
        assert_eq!(core[0].data["ntp_server"], serde_json::json!("10.5.5.1"));
        assert_eq!(core[0].data["logging_host"], serde_json::json!("10.5.5.5"));
    }

    #[test]
    fn a_missing_inventory_names_the_path() {
        let err = load(Path::new("/nonexistent/devices.yaml"), &no_env).unwrap_err();
        assert!(err.position().is_none());
        assert_eq!(
            format!("{:#}", anyhow::Error::from(err)),
            "/nonexistent/devices.yaml: cannot read the inventory: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn a_hosts_secrets_are_listed_and_its_data_masked_for_display() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("devices.yaml");
        std::fs::write(
            &file,
            "- host: a\n  password: pw\n  secret: enable-pw\n  key_file: /k\n  \
             key_passphrase: kp\n  snmp_community: public\n  data:\n    \
             tacacs: {key: tk, server: 10.0.0.9}\n    site: dc1\n    api_token: pw\n",
        )
        .unwrap();
        let inv = load(&file, &no_env).unwrap();
        let host = &inv.hosts[0];
        assert_eq!(
            host.secret_values(),
            ["enable-pw", "public", "kp", "pw", "tk"]
        );
        assert_eq!(
            serde_json::to_value(masked_data(&host.data)).unwrap(),
            serde_json::json!({
                "api_token": "***",
                "site": "dc1",
                "snmp_community": "***",
                "tacacs": {"key": "***", "server": "10.0.0.9"},
            })
        );
        assert_eq!(host.data["snmp_community"], serde_json::json!("public"));
    }

    #[test]
    fn ask_pass_fills_only_hosts_without_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("devices.yaml");
        std::fs::write(
            &file,
            "- {name: a, host: h1}\n- {name: b, host: h2, password: own}\n",
        )
        .unwrap();
        let mut inv = load(&file, &no_env).unwrap();
        assert_eq!(inv.hosts[0].transport, TransportKind::Ssh);
        let filled = fill_missing_password(&mut inv.hosts, &Secret::new("typed"));
        assert_eq!(filled, 1);
        assert_eq!(inv.hosts[0].password.expose(), "typed");
        assert_eq!(inv.hosts[1].password.expose(), "own");
    }

    #[test]
    fn the_key_passphrase_variable_fills_only_key_files_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("devices.yaml");
        std::fs::write(
            &file,
            "- {name: a, host: h1, key_file: /k/a}\n\
             - {name: b, host: h2, key_file: /k/b, key_passphrase: own}\n\
             - {name: c, host: h3}\n",
        )
        .unwrap();
        let passphrases = |env: Env| -> Vec<Option<String>> {
            let inv = load(&file, env).unwrap();
            inv.hosts
                .iter()
                .map(|h| h.key_passphrase.as_ref().map(|p| p.expose().to_string()))
                .collect()
        };
        let env = |name: &str| (name == KEY_PASSPHRASE_VAR).then(|| "typed".to_string());
        assert_eq!(
            passphrases(&env),
            [Some("typed".into()), Some("own".into()), None]
        );
        let empty = |name: &str| (name == KEY_PASSPHRASE_VAR).then(String::new);
        assert_eq!(passphrases(&empty), [None, Some("own".into()), None]);
        assert_eq!(passphrases(&no_env), [None, Some("own".into()), None]);
    }
}

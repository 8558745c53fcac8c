//! A Nornir SimpleInventory: a folder of `hosts.yaml` (required), `groups.yaml` and
//! `defaults.yaml` (optional; each may be spelt `.yml`), or a Nornir `config.yaml` naming them
//! (`inventory.options.host_file`, `group_file`, `defaults_file`), with Nornir's inheritance: a
//! setting or data key comes from the host, else from its groups in order (each group before the
//! groups it belongs to, depth first), else from defaults.
//!
//! Nornir's keys are `hostname`, `port`, `username`, `password`, `platform` (Netmiko, NAPALM or
//! scrapli names), `groups`, `data` and `connection_options`; netrun also reads its own `secret`,
//! `timeout`, `transport`, `ssh_legacy`, `key_file`, `key_passphrase` at the same level. A key
//! close to one of these (`hostnme`, `pasword`) is an error; any other is template data, named in
//! a warning. A host without `hostname` is reached at its name.
//!
//! `connection_options` of the plugins `netrun`, `netmiko`, `scrapli` and `napalm` (the first
//! that gives a field wins) are resolved as Nornir's `Host.get_connection_parameters` does: a
//! field given in the plugin's options anywhere along the host's chain (the host, then each of
//! its groups with that group's own chain and the defaults, then the defaults) beats the host's
//! own attribute, and `extras` is taken whole from the first element that has it. The enable
//! secret is `extras.secret` (netrun, Netmiko), `extras.auth_secondary` (scrapli) or
//! `extras.optional_args.secret` (NAPALM).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::job::Host;

use super::env::Env;
use super::error::InventoryError;
use super::host::{HostSpec, Located, NETRUN_KEYS};
use super::keys::{self, CONNECTION_OPTION_KEYS, NORNIR_KEYS};
use super::platforms;
use super::yaml::{Document, Node, Step};
use super::Loaded;

const HOSTS_FILE: &str = "hosts.yaml";
const GROUPS_FILE: &str = "groups.yaml";
const DEFAULTS_FILE: &str = "defaults.yaml";
/// Nornir's configuration file, when a folder has one.
pub(crate) const CONFIG_FILES: &[&str] = &["config.yaml", "config.yml"];

/// The connection plugins whose options netrun reads, the first that gives a field winning, and
/// where each keeps the enable secret under `extras`.
const PLUGINS: &[(&str, &[&str])] = &[
    ("netrun", &["secret"]),
    ("netmiko", &["secret"]),
    ("scrapli", &["auth_secondary"]),
    ("napalm", &["optional_args", "secret"]),
];

/// The folder's documents and what the hosts found in them to warn about.
struct Folder<'d> {
    /// The groups file's name (`groups.yaml`, `groups.yml`, a config's `group_file`), for
    /// messages.
    groups_file: String,
    groups: Option<Groups<'d>>,
    defaults: Option<Located<'d>>,
    unknown_keys: BTreeSet<String>,
}

/// The three files of a SimpleInventory; the groups and defaults files may be missing.
pub(crate) struct Files {
    hosts: PathBuf,
    groups: PathBuf,
    defaults: PathBuf,
}

impl Files {
    /// The files of the folder `dir`, each `.yaml` or else `.yml`.
    pub(crate) fn in_folder(dir: &Path) -> Files {
        let spelt = |name: &str| {
            let yaml = dir.join(name);
            let yml = yaml.with_extension("yml");
            if !yaml.exists() && yml.exists() {
                yml
            } else {
                yaml
            }
        };
        Files {
            hosts: spelt(HOSTS_FILE),
            groups: spelt(GROUPS_FILE),
            defaults: spelt(DEFAULTS_FILE),
        }
    }
}

/// Read the folder at `dir` into hosts (in hosts.yaml order) and warnings.
pub(crate) fn load(dir: &Path, env: Env) -> Result<Loaded, InventoryError> {
    load_files(&Files::in_folder(dir), dir, env)
}

/// A hosts file given alone: the groups and defaults files beside it are read too.
pub(crate) fn load_hosts_file(hosts: &Path, env: Env) -> Result<Loaded, InventoryError> {
    let dir = hosts.parent().unwrap_or(Path::new(""));
    let mut files = Files::in_folder(dir);
    files.hosts = hosts.to_path_buf();
    load_files(&files, hosts, env)
}

/// The sections of Nornir's configuration file.
const CONFIG_SECTIONS: &[&str] = &[
    "core",
    "runner",
    "inventory",
    "ssh",
    "logging",
    "user_defined",
];

/// Whether a parsed YAML tree is a Nornir configuration: a map of its sections, with
/// `inventory` among them.
pub(crate) fn is_config(root: &Node) -> bool {
    match root {
        Node::Map(entries) => {
            entries
                .iter()
                .all(|(key, _)| CONFIG_SECTIONS.contains(&key.as_str()))
                && root.get("inventory").is_some()
        }
        _ => false,
    }
}

/// Read a Nornir `config.yaml`: its SimpleInventory's files, relative paths read from the
/// working directory and `~` expanded, as Nornir (`pathlib.Path(...).expanduser()`) does.
pub(crate) fn load_config(doc: Document, env: Env) -> Result<Loaded, InventoryError> {
    let path = doc.file.clone();
    let path = path.as_path();
    let root = Located::new(&doc, &doc.root, Vec::new(), "config");
    let mut files = Files {
        hosts: PathBuf::from(HOSTS_FILE),
        groups: PathBuf::from(GROUPS_FILE),
        defaults: PathBuf::from(DEFAULTS_FILE),
    };
    let mut warnings = Vec::new();
    root.entries()?;
    if let Some(node) = doc.root.get("inventory") {
        let inventory = root.child("inventory", node);
        for (key, value) in inventory.entries()? {
            let at = inventory.child(key, value);
            match key.as_str() {
                "plugin" => {
                    let plugin = at.text(env)?.unwrap_or_default();
                    if plugin != "SimpleInventory" {
                        return Err(at.error(format!(
                            "netrun reads Nornir's SimpleInventory, not {plugin:?}"
                        )));
                    }
                }
                "options" => read_options(&at, env, &mut files)?,
                "transform_function" | "transform_function_options" => warnings.push(format!(
                    "{}: inventory.{key} is not run by netrun",
                    path.display()
                )),
                _ => {}
            }
        }
    }
    let (hosts, more) = load_files(&files, path, env)?;
    warnings.extend(more);
    Ok((hosts, warnings))
}

fn read_options(options: &Located, env: Env, files: &mut Files) -> Result<(), InventoryError> {
    for (key, value) in options.entries()? {
        let at = options.child(key, value);
        let slot = match key.as_str() {
            "host_file" => &mut files.hosts,
            "group_file" => &mut files.groups,
            "defaults_file" => &mut files.defaults,
            _ => continue,
        };
        let text = at
            .non_empty_text(env)?
            .ok_or_else(|| at.error("is empty: give a file name"))?;
        *slot = PathBuf::from(expand_user(&text, env));
    }
    Ok(())
}

/// `~/x` → `$HOME/x`, as Python's `expanduser`.
fn expand_user(path: &str, env: Env) -> String {
    match (path.strip_prefix("~/"), env("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", home.trim_end_matches('/')),
        _ => path.to_string(),
    }
}

/// Read the inventory's files into hosts and warnings (`origin` names it in warnings).
fn load_files(files: &Files, origin: &Path, env: Env) -> Result<Loaded, InventoryError> {
    let mut hosts_doc = Document::read(&files.hosts)?;
    let mut groups_doc = read_optional(&files.groups)?;
    let mut defaults_doc = read_optional(&files.defaults)?;
    rename_platforms(&mut hosts_doc.root, true);
    if let Some(doc) = &mut groups_doc {
        rename_platforms(&mut doc.root, true);
    }
    if let Some(doc) = &mut defaults_doc {
        rename_platforms(&mut doc.root, false);
    }

    let host_entries = host_map(&hosts_doc)?;
    if let Some(doc) = &groups_doc {
        top_level_map(doc, "groups")?;
    }
    if let Some(doc) = &defaults_doc {
        top_level_map(doc, "defaults")?;
    }
    let mut folder = Folder {
        groups_file: files
            .groups
            .file_name()
            .map_or_else(|| GROUPS_FILE.into(), |n| n.to_string_lossy().into_owned()),
        groups: groups_doc.as_ref().map(Groups::new),
        defaults: defaults_doc
            .as_ref()
            .map(|doc| Located::new(doc, &doc.root, Vec::new(), "defaults")),
        unknown_keys: BTreeSet::new(),
    };
    folder.check_keys(&hosts_doc, host_entries)?;
    // A host without `hostname` is reached at its name; these nodes stand for the names.
    let name_nodes: Vec<Node> = host_entries
        .iter()
        .map(|(name, _)| Node::Str(name.clone()))
        .collect();
    let mut hosts = Vec::with_capacity(host_entries.len());
    for ((name, node), name_node) in host_entries.iter().zip(&name_nodes) {
        let entry = Located::new(&hosts_doc, node, vec![Step::key(name)], name);
        let name_at = Located::new(
            &hosts_doc,
            name_node,
            vec![Step::KeyName(name.clone(), 0)],
            "hostname",
        );
        hosts.push(folder.host(name, &entry, name_at, env)?);
    }
    Ok((hosts, folder.warnings(origin)))
}

/// NAPALM and scrapli platform names as Netmiko's, in every element's `platform` and its
/// connection options' (`elements`: a map of hosts or groups; else the defaults map itself).
fn rename_platforms(root: &mut Node, elements: bool) {
    let rename_element = |element: &mut Node| {
        let Node::Map(entries) = element else {
            return;
        };
        for (key, value) in entries {
            match (key.as_str(), value) {
                ("platform", value) => platforms::rename(value),
                ("connection_options", Node::Map(plugins)) => {
                    for (_, options) in plugins {
                        if let Node::Map(options) = options {
                            options
                                .iter_mut()
                                .filter(|(key, _)| key == "platform")
                                .for_each(|(_, value)| platforms::rename(value));
                        }
                    }
                }
                _ => {}
            }
        }
    };
    match root {
        Node::Map(entries) if elements => entries
            .iter_mut()
            .for_each(|(_, element)| rename_element(element)),
        element => rename_element(element),
    }
}

/// hosts.yaml's map of hosts, not empty.
fn host_map(doc: &Document) -> Result<&[(String, Node)], InventoryError> {
    match &doc.root {
        Node::Map(entries) if !entries.is_empty() => Ok(entries),
        Node::Map(_) | Node::Null => {
            Err(doc.error_at_start("the inventory is empty: list at least one host"))
        }
        other => Err(doc.error(
            &[],
            None,
            format!(
                "expected a map of hosts (`R1: {{hostname: ...}}`), found {}",
                other.kind()
            ),
        )),
    }
}

fn read_optional(path: &Path) -> Result<Option<Document>, InventoryError> {
    if path.exists() {
        Document::read(path).map(Some)
    } else {
        Ok(None)
    }
}

/// Groups by name, so that finding a host's groups costs the same however many there are.
struct Groups<'d> {
    doc: &'d Document,
    /// In groups.yaml order, for messages.
    entries: &'d [(String, Node)],
    by_name: HashMap<&'d str, &'d Node>,
}

impl<'d> Groups<'d> {
    fn new(doc: &'d Document) -> Self {
        let entries = match &doc.root {
            Node::Map(entries) => entries.as_slice(),
            _ => &[],
        };
        let by_name = entries
            .iter()
            .map(|(name, node)| (name.as_str(), node))
            .collect();
        Groups {
            doc,
            entries,
            by_name,
        }
    }
}

/// A misspelt key in this host, group or defaults map is an error. Only maps are looked at:
/// any other value is reported where it is used.
fn check_element_keys(element: &Located) -> Result<(), InventoryError> {
    let Node::Map(entries) = element.node else {
        return Ok(());
    };
    for (key, value) in entries {
        if let Some(meant) = keys::misspelling_of(key, NORNIR_KEYS) {
            return Err(element.key_error(key, keys::misspelling_message(meant)));
        }
        if key == "connection_options" {
            check_connection_option_keys(&element.child(key, value))?;
        }
    }
    Ok(())
}

/// `connection_options` is a map of plugins, each a map of Nornir's `ConnectionOptions` fields;
/// a misspelt field (`prot`) is an error as anywhere else.
fn check_connection_option_keys(options: &Located) -> Result<(), InventoryError> {
    for (plugin, value) in options.entries()? {
        let plugin_at = options.child(plugin, value);
        for (key, _) in plugin_at.entries()? {
            if let Some(meant) = keys::misspelling_of(key, CONNECTION_OPTION_KEYS) {
                return Err(plugin_at.key_error(key, keys::misspelling_message(meant)));
            }
        }
    }
    Ok(())
}

/// One plugin's connection options as Nornir resolves them for an element; `None` = not given.
#[derive(Default)]
struct ConnectionOptions<'d> {
    hostname: Option<Located<'d>>,
    port: Option<Located<'d>>,
    username: Option<Located<'d>>,
    password: Option<Located<'d>>,
    platform: Option<Located<'d>>,
    extras: Option<Located<'d>>,
}

impl<'d> ConnectionOptions<'d> {
    /// The options `element` itself gives for `plugin`.
    fn own(element: &Located<'d>, plugin: &str) -> ConnectionOptions<'d> {
        let mut own = ConnectionOptions::default();
        let Some(options) = element.node.get("connection_options") else {
            return own;
        };
        let Some(node) = options.get(plugin) else {
            return own;
        };
        let at = element
            .child("connection_options", options)
            .child(plugin, node);
        let field = |key: &str| {
            at.node.get(key).filter(|v| **v != Node::Null).map(|value| {
                let mut field = at.child(key, value);
                field.field = format!("connection_options.{plugin}.{key}");
                field
            })
        };
        own.hostname = field("hostname");
        own.port = field("port");
        own.username = field("username");
        own.password = field("password");
        own.platform = field("platform");
        own.extras = field("extras");
        own
    }

    /// Fill what is still unset from `other` (Nornir: `p.x if p.x is not None else sp.x`).
    fn fill(&mut self, other: ConnectionOptions<'d>) {
        let pairs = [
            (&mut self.hostname, other.hostname),
            (&mut self.port, other.port),
            (&mut self.username, other.username),
            (&mut self.password, other.password),
            (&mut self.platform, other.platform),
            (&mut self.extras, other.extras),
        ];
        for (slot, value) in pairs {
            if slot.is_none() {
                *slot = value;
            }
        }
    }

    /// Offer these options to `spec`, the enable secret from `extras` at `secret_path`.
    fn offer(self, spec: &mut HostSpec<'d>, secret_path: &[&str]) -> Result<(), InventoryError> {
        let settings = [
            ("host", self.hostname),
            ("port", self.port),
            ("username", self.username),
            ("password", self.password),
            ("device_type", self.platform),
        ];
        for (setting, value) in settings {
            if let Some(value) = value {
                spec.offer(setting, value);
            }
        }
        let Some(mut at) = self.extras else {
            return Ok(());
        };
        at.entries()?;
        for key in secret_path {
            let Some(node) = at.node.get(key) else {
                return Ok(());
            };
            let field = format!("{}.{key}", at.field);
            at = at.child(key, node);
            at.field = field;
        }
        spec.offer("secret", at);
        Ok(())
    }
}

/// The values of a top-level map (hosts, groups), each named by its key.
fn elements<'d>(
    doc: &'d Document,
    entries: &'d [(String, Node)],
) -> impl Iterator<Item = Located<'d>> {
    entries
        .iter()
        .map(move |(name, node)| Located::new(doc, node, vec![Step::key(name)], name))
}

fn top_level_map(doc: &Document, what: &str) -> Result<(), InventoryError> {
    match &doc.root {
        Node::Map(_) | Node::Null => Ok(()),
        other => Err(doc.error(
            &[],
            None,
            format!("expected a map of {what}, found {}", other.kind()),
        )),
    }
}

impl<'d> Folder<'d> {
    /// A misspelt key is an error before any host is built, even in a group no host uses.
    fn check_keys(
        &self,
        hosts_doc: &'d Document,
        host_entries: &'d [(String, Node)],
    ) -> Result<(), InventoryError> {
        let groups = self
            .groups
            .iter()
            .flat_map(|groups| elements(groups.doc, groups.entries));
        elements(hosts_doc, host_entries)
            .chain(groups)
            .chain(self.defaults.clone())
            .try_for_each(|element| check_element_keys(&element))
    }

    fn host(
        &mut self,
        name: &str,
        entry: &Located<'d>,
        name_at: Located<'d>,
        env: Env,
    ) -> Result<Host, InventoryError> {
        let groups = self.extended_groups(entry, env)?;
        let mut spec = HostSpec::default();
        for (plugin, secret_path) in PLUGINS {
            self.connection_options(entry, plugin, env)?
                .offer(&mut spec, secret_path)?;
        }
        self.apply(&mut spec, entry, false)?;
        for (_, group) in &groups {
            self.apply(&mut spec, group, false)?;
        }
        if let Some(defaults) = self.defaults.clone() {
            self.apply(&mut spec, &defaults, true)?;
        }
        spec.offer("host", name_at);
        let group_names = groups.into_iter().map(|(g, _)| g).collect();
        spec.build(name.to_string(), group_names, entry, env)
    }

    /// `plugin`'s options for `element` as Nornir's `_get_connection_options_recursively`: its
    /// own, then each of its groups' (each with its own groups and the defaults), then the
    /// defaults'. Cycles were ruled out by `extended_groups` before.
    fn connection_options(
        &self,
        element: &Located<'d>,
        plugin: &str,
        env: Env,
    ) -> Result<ConnectionOptions<'d>, InventoryError> {
        let mut options = ConnectionOptions::own(element, plugin);
        if let Some(list) = element.node.get("groups") {
            for (group, reference) in element.child("groups", list).names(env)? {
                let group_at = self.group(&group, &reference)?;
                options.fill(self.connection_options(&group_at, plugin, env)?);
            }
        }
        if let Some(defaults) = &self.defaults {
            options.fill(ConnectionOptions::own(defaults, plugin));
        }
        Ok(options)
    }

    /// Offer `element`'s settings and data to `spec` (which keeps what it already has).
    fn apply(
        &mut self,
        spec: &mut HostSpec<'d>,
        element: &Located<'d>,
        is_defaults: bool,
    ) -> Result<(), InventoryError> {
        for (key, value) in element.entries()? {
            let at = element.child(key, value);
            match key.as_str() {
                "groups" if !is_defaults => {}
                "data" => {
                    for (data_key, data_value) in at.entries()? {
                        let mut data_at = at.child(data_key, data_value);
                        data_at.field = format!("data.{data_key}");
                        spec.offer_data(data_key, data_at);
                    }
                }
                "connection_options" => {}
                "hostname" => spec.offer("host", at),
                "platform" => spec.offer("device_type", at),
                "port" | "username" | "password" => spec.offer(key, at),
                setting if NETRUN_KEYS.contains(&setting) => spec.offer(setting, at),
                other => {
                    self.unknown_keys.insert(other.to_string());
                    spec.offer_data(key, at);
                }
            }
        }
        Ok(())
    }

    /// The host's groups as Nornir extends them: each group, then the groups it belongs to
    /// (depth first), each group once.
    fn extended_groups(
        &self,
        element: &Located<'d>,
        env: Env,
    ) -> Result<Vec<(String, Located<'d>)>, InventoryError> {
        let mut out = Vec::new();
        self.extend(element, env, &mut Vec::new(), &mut out)?;
        Ok(out)
    }

    fn extend(
        &self,
        element: &Located<'d>,
        env: Env,
        chain: &mut Vec<String>,
        out: &mut Vec<(String, Located<'d>)>,
    ) -> Result<(), InventoryError> {
        element.entries()?;
        let Some(list) = element.node.get("groups") else {
            return Ok(());
        };
        for (group, reference) in element.child("groups", list).names(env)? {
            if chain.contains(&group) {
                let cycle: Vec<&str> = chain.iter().map(String::as_str).collect();
                return Err(
                    reference.error(format!("group cycle: {} → {group}", cycle.join(" → ")))
                );
            }
            let group_at = self.group(&group, &reference)?;
            if out.iter().any(|(g, _)| *g == group) {
                continue;
            }
            out.push((group.clone(), group_at.clone()));
            chain.push(group);
            self.extend(&group_at, env, chain, out)?;
            chain.pop();
        }
        Ok(())
    }

    fn group(&self, group: &str, reference: &Located<'d>) -> Result<Located<'d>, InventoryError> {
        let Some(groups) = &self.groups else {
            return Err(reference.error(format!(
                "unknown group {group:?} (there is no {})",
                self.groups_file
            )));
        };
        if let Some(node) = groups.by_name.get(group) {
            return Ok(Located::new(
                groups.doc,
                node,
                vec![Step::key(group)],
                group,
            ));
        }
        if groups.entries.is_empty() {
            return Err(reference.error(format!(
                "unknown group {group:?} ({} defines none)",
                self.groups_file
            )));
        }
        let known: Vec<&str> = groups
            .entries
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        Err(reference.error(format!(
            "unknown group {group:?} ({} defines {})",
            self.groups_file,
            known.join(", ")
        )))
    }

    fn warnings(&self, dir: &Path) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.unknown_keys.is_empty() {
            let keys: Vec<&str> = self.unknown_keys.iter().map(String::as_str).collect();
            warnings.push(format!(
                "{}: netrun does not use {}; kept as template data",
                dir.display(),
                keys.join(", ")
            ));
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::job::TransportKind;

    fn env(name: &str) -> Option<String> {
        match name {
            "CORE_PASS" => Some("core-secret".into()),
            "NETRUN_SECRET" => Some("enable".into()),
            _ => None,
        }
    }

    /// A folder with the given files (name, text).
    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn ok(files: &[(&str, &str)]) -> Loaded {
        let dir = folder(files);
        load(dir.path(), &env).expect("loads")
    }

    /// The error's text with the temp folder replaced by `inv`.
    fn error(files: &[(&str, &str)]) -> String {
        let dir = folder(files);
        let err = load(dir.path(), &env).expect_err("an error");
        err.to_string()
            .replacen(&dir.path().display().to_string(), "inv", 1)
    }

    const HOSTS: &str = "\
R1:
  hostname: 192.168.100.1
  groups: [core, ios]
  data:
    site: dc1
R2:
  hostname: 192.168.100.2
  port: 2222
  groups: [edge]
  password: own
R3:
  groups: [telnet_boxes]
";
    const GROUPS: &str = "\
core:
  password: ${CORE_PASS}
  groups: [global]
  data:
    role: core
    site: should-not-win
ios:
  platform: ios
  username: ios-user
  data:
    role: ios-role-loses
    os: ios
edge:
  groups: [global]
  data:
    role: edge
global:
  username: global-user
  timeout: 5
  data:
    asn: 65000
telnet_boxes:
  platform: cisco_ios_telnet
";
    const DEFAULTS: &str = "\
username: admin
password: default-pass
platform: cisco_ios
data:
  ntp: 10.0.0.1
  asn: 1
";

    #[test]
    fn inherits_from_groups_in_order_then_defaults() {
        let (hosts, warnings) = ok(&[
            ("hosts.yaml", HOSTS),
            ("groups.yaml", GROUPS),
            ("defaults.yaml", DEFAULTS),
        ]);
        assert!(warnings.is_empty(), "{warnings:?}");
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["R1", "R2", "R3"]);

        let r1 = &hosts[0];
        assert_eq!(r1.host, "192.168.100.1");
        assert_eq!(r1.groups, ["core", "global", "ios"]);
        // core's groups (global) come before ios: global's username beats ios's.
        assert_eq!(r1.username, "global-user");
        assert_eq!(r1.password.expose(), "core-secret");
        assert_eq!(r1.platform, "cisco_ios");
        assert_eq!(r1.timeout, Duration::from_secs(5));
        assert_eq!(r1.secret.as_ref().unwrap().expose(), "enable");
        assert_eq!(
            serde_json::to_value(&r1.data).unwrap(),
            serde_json::json!({"site": "dc1", "role": "core", "asn": 65000, "os": "ios", "ntp": "10.0.0.1"})
        );

        let r2 = &hosts[1];
        assert_eq!((r2.port, r2.password.expose()), (2222, "own"));
        assert_eq!(r2.username, "global-user");
        assert_eq!(r2.groups, ["edge", "global"]);
        assert_eq!(r2.data["role"], serde_json::json!("edge"));

        let r3 = &hosts[2];
        assert_eq!(
            r3.host, "R3",
            "a host without hostname is reached at its name"
        );
        assert_eq!((r3.transport, r3.port), (TransportKind::Telnet, 23));
        assert_eq!(r3.username, "admin");
        assert_eq!(r3.password.expose(), "default-pass");
        assert_eq!(
            r3.timeout,
            Duration::from_secs(super::super::DEFAULT_TIMEOUT_SECS)
        );
    }

    #[test]
    fn host_key_policy_is_inherited_like_every_setting() {
        use crate::hostkeys::HostKeyPolicy;
        let (hosts, _) = ok(&[
            (
                "hosts.yaml",
                "R1: {groups: [lab]}\nR2: {host_key_policy: accept-new, groups: [lab]}\nR3:\n",
            ),
            ("groups.yaml", "lab: {host_key_policy: 'off'}\n"),
            ("defaults.yaml", "host_key_policy: strict\n"),
        ]);
        let policies: Vec<HostKeyPolicy> = hosts.iter().map(|h| h.host_keys.policy()).collect();
        assert_eq!(
            policies,
            [
                HostKeyPolicy::Off,
                HostKeyPolicy::AcceptNew,
                HostKeyPolicy::Strict
            ]
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1: {host_key_policy: yes}\n")]),
            "inv/hosts.yaml:1:23: host_key_policy: expected strict, accept-new or off, found \"yes\""
        );
    }

    #[test]
    fn hosts_alone_are_enough() {
        let (hosts, _) = ok(&[(
            "hosts.yaml",
            "R1:\nR2: {hostname: 10.0.0.2, platform: eos}\n",
        )]);
        assert_eq!(hosts[0].host, "R1");
        assert_eq!(hosts[0].platform, "cisco_ios");
        assert_eq!(hosts[1].platform, "arista_eos");
    }

    #[test]
    fn warns_once_about_unknown_keys() {
        let (hosts, warnings) = ok(&[
            (
                "hosts.yaml",
                "R1:\n  connection_options: {netmiko: {extras: {fast_cli: false}}}\n  vendor: cisco\nR2:\n  vendor: cisco\n  rack: 4\n",
            ),
            ("defaults.yaml", "connection_options: {}\n"),
        ]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].ends_with("netrun does not use rack, vendor; kept as template data"),
            "{}",
            warnings[0]
        );
        assert_eq!(hosts[1].data["rack"], serde_json::json!(4));
    }

    #[test]
    fn connection_options_are_inherited_as_nornir_does() {
        let (hosts, _) = ok(&[
            (
                "hosts.yml",
                "\
R1:
  hostname: 10.0.0.1
  port: 22
  groups: [core, edge]
R2:
  hostname: 10.0.0.2
  groups: [edge]
  connection_options:
    netmiko: {extras: {fast_cli: false}}
R3:
  connection_options:
    netrun: {hostname: 10.0.0.3, port: 2000}
    netmiko: {hostname: 10.9.9.9, port: 9999, username: nm}
R4:
  groups: [napalm_boxes]
R5:
  groups: [scrapli_boxes]
",
            ),
            (
                "groups.yml",
                "\
core:
  connection_options:
    netmiko:
      port: 2222
      extras: {secret: core-enable}
edge:
  username: edge-user
  connection_options:
    netmiko:
      username: nm-edge
      platform: arista_eos
      extras: {secret: edge-enable}
napalm_boxes:
  connection_options:
    napalm:
      platform: junos
      extras: {optional_args: {secret: napalm-enable}}
scrapli_boxes:
  connection_options:
    scrapli:
      platform: arista_eos
      extras: {auth_secondary: scrapli-enable}
",
            ),
            (
                "defaults.yml",
                "connection_options:\n  netmiko:\n    username: nm-default\n",
            ),
        ]);
        let r1 = &hosts[0];
        // A port in connection_options beats the host's own, as in Nornir.
        assert_eq!(r1.port, 2222);
        // The defaults' options come with core's (Nornir walks them inside each group).
        assert_eq!(r1.username, "nm-default");
        assert_eq!(r1.platform, "arista_eos");
        assert_eq!(r1.secret.as_ref().unwrap().expose(), "core-enable");
        assert_eq!(r1.groups, ["core", "edge"]);

        let r2 = &hosts[1];
        assert_eq!(r2.username, "nm-edge");
        assert_eq!(
            r2.secret.as_ref().unwrap().expose(),
            "enable",
            "the host's own extras are taken whole: no secret there, so NETRUN_SECRET's"
        );
        let r3 = &hosts[2];
        assert_eq!((r3.host.as_str(), r3.port), ("10.0.0.3", 2000));
        assert_eq!(r3.username, "nm", "netrun's section wins field by field");
        let r4 = &hosts[3];
        assert_eq!(r4.platform, "juniper_junos");
        assert_eq!(r4.secret.as_ref().unwrap().expose(), "napalm-enable");
        let r5 = &hosts[4];
        assert_eq!(r5.platform, "arista_eos");
        assert_eq!(r5.secret.as_ref().unwrap().expose(), "scrapli-enable");
    }

    #[test]
    fn connection_options_errors_name_their_place() {
        assert_eq!(
            error(&[(
                "hosts.yaml",
                "R1:\n  connection_options:\n    netmiko:\n      prot: 22\n"
            )]),
            "inv/hosts.yaml:4:7: prot: unknown key; did you mean `port`?"
        );
        assert_eq!(
            error(&[(
                "hosts.yaml",
                "R1:\n  connection_options:\n    netmiko: {port: 0}\n"
            )]),
            "inv/hosts.yaml:3:21: connection_options.netmiko.port: 0 is not a valid port (1-65535)"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1:\n  connection_options: [netmiko]\n")]),
            "inv/hosts.yaml:2:23: connection_options: expected a map, found a list"
        );
    }

    #[test]
    fn a_config_file_names_the_files() {
        let dir = folder(&[
            (
                "config.yaml",
                "inventory:\n  plugin: SimpleInventory\n  options:\n    host_file: HOSTS\n    group_file: GROUPS\n",
            ),
            ("h.yaml", "R1: {groups: [g]}\n"),
            ("g.yaml", "g: {hostname: 10.0.0.7}\n"),
        ]);
        let config = dir.path().join("config.yaml");
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace("HOSTS", &dir.path().join("h.yaml").display().to_string())
            .replace("GROUPS", &dir.path().join("g.yaml").display().to_string());
        std::fs::write(&config, text).unwrap();
        let (hosts, _) = load_config(Document::read(&config).unwrap(), &env).unwrap();
        assert_eq!(hosts[0].host, "10.0.0.7");

        std::fs::write(&config, "inventory:\n  plugin: NetBoxInventory2\n").unwrap();
        let err = load_config(Document::read(&config).unwrap(), &env).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("config.yaml:2:11: plugin: netrun reads Nornir's SimpleInventory, not \"NetBoxInventory2\""),
            "{err}"
        );
        std::fs::write(
            &config,
            "inventory:\n  options: {host_file: nowhere.yaml}\n",
        )
        .unwrap();
        let err = load_config(Document::read(&config).unwrap(), &env).unwrap_err();
        assert_eq!(err.to_string(), "nowhere.yaml: cannot read the inventory");
    }

    #[test]
    fn unknown_group() {
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1:\n  groups:\n    - core\n    - edgy\n"),
                ("groups.yaml", "core: {}\nedge: {}\n"),
            ]),
            "inv/hosts.yaml:4:7: groups: unknown group \"edgy\" (groups.yaml defines core, edge)"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1: {groups: [core]}\n")]),
            "inv/hosts.yaml:1:15: groups: unknown group \"core\" (there is no groups.yaml)"
        );
        assert_eq!(
            error(&[
                ("hosts.yml", "R1: {groups: [cor]}\n"),
                ("groups.yml", "core: {}\n"),
            ]),
            "inv/hosts.yml:1:15: groups: unknown group \"cor\" (groups.yml defines core)"
        );
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1: {groups: [core]}\n"),
                ("groups.yaml", "core:\n  groups: [nowhere]\n"),
            ]),
            "inv/groups.yaml:2:12: groups: unknown group \"nowhere\" (groups.yaml defines core)"
        );
    }

    #[test]
    fn group_cycles_are_errors() {
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1: {groups: [a]}\n"),
                ("groups.yaml", "a: {groups: [b]}\nb: {groups: [a]}\n"),
            ]),
            "inv/groups.yaml:2:14: groups: group cycle: a → b → a"
        );
    }

    #[test]
    fn errors_point_into_the_file_that_holds_the_value() {
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1: {groups: [core]}\n"),
                ("groups.yaml", "core:\n  port: 99999\n"),
            ]),
            "inv/groups.yaml:2:9: port: 99999 is not a valid port (1-65535)"
        );
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1: {}\n"),
                ("defaults.yaml", "data:\n  snmp: ${SNMP_COMMUNITY}\n"),
            ]),
            "inv/defaults.yaml:2:9: data.snmp: ${SNMP_COMMUNITY} is used but the environment \
             variable SNMP_COMMUNITY is not set"
        );
    }

    #[test]
    fn misspelt_keys_are_errors_in_hosts_groups_and_defaults() {
        assert_eq!(
            error(&[(
                "hosts.yaml",
                "R1:\n  hostname: a\n  pasword: TypoSecret99\n"
            )]),
            "inv/hosts.yaml:3:3: pasword: unknown key; did you mean `password`?"
        );
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1: {hostname: a}\n"),
                ("groups.yaml", "unused:\n  trnsport: telnet\n"),
            ]),
            "inv/groups.yaml:2:3: trnsport: unknown key; did you mean `transport`?",
            "even in a group no host uses"
        );
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1: {hostname: a}\n"),
                ("defaults.yaml", "usernme: admin\n"),
            ]),
            "inv/defaults.yaml:1:1: usernme: unknown key; did you mean `username`?"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1: {hostnme: a}\n")]),
            "inv/hosts.yaml:1:6: hostnme: unknown key; did you mean `hostname`?"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1: {platfrom: ios}\n")]),
            "inv/hosts.yaml:1:6: platfrom: unknown key; did you mean `platform`?"
        );
    }

    #[test]
    fn addresses_are_checked_wherever_they_come_from() {
        assert_eq!(
            error(&[("hosts.yaml", "R1:\n  hostname: 10.0.0.1:830\n")]),
            "inv/hosts.yaml:2:13: hostname: \"10.0.0.1:830\" includes a port: write \
             `hostname: 10.0.0.1` and `port: 830`"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1: {hostname: a}\ncore rtr: {}\n")]),
            "inv/hosts.yaml:2:1: hostname: \"core rtr\" is not a host name or address: it \
             contains a space"
        );
        let (hosts, _) = ok(&[("hosts.yaml", "core rtr: {hostname: \"2001:db8::7\"}\n")]);
        assert_eq!(
            (hosts[0].name.as_str(), hosts[0].host.as_str()),
            ("core rtr", "2001:db8::7")
        );
    }

    #[test]
    fn merge_keys_and_a_byte_order_mark_work_in_every_file() {
        let (hosts, warnings) = ok(&[
            (
                "hosts.yaml",
                "\u{feff}R1: &r1\n  hostname: 10.0.0.1\n  groups: [core]\nR2:\n  <<: *r1\n  \
                 hostname: 10.0.0.2\n",
            ),
            (
                "groups.yaml",
                "\u{feff}base: &base\n  username: ops\n  data: &data {site: dc1}\ncore:\n  \
                 <<: *base\n  data:\n    <<: *data\n    role: core\n",
            ),
            ("defaults.yaml", "\u{feff}<<: {password: pw}\n"),
        ]);
        assert!(warnings.is_empty(), "{warnings:?}");
        for host in &hosts {
            assert_eq!(host.groups, ["core"]);
            assert_eq!(host.username, "ops");
            assert_eq!(host.password.expose(), "pw");
            assert_eq!(
                serde_json::to_value(&host.data).unwrap(),
                serde_json::json!({"site": "dc1", "role": "core"})
            );
        }
        assert_eq!(hosts[1].host, "10.0.0.2");
        assert_eq!(
            error(&[
                ("hosts.yaml", "R1: {groups: [core]}\n"),
                ("groups.yaml", "base: &b {port: 0}\ncore: {<<: *b}\n"),
            ]),
            "inv/groups.yaml:1:17: port: 0 is not a valid port (1-65535)"
        );
    }

    #[test]
    fn many_groups_are_found_by_name() {
        let groups: String = (0..2000)
            .map(|i| format!("g{i}: {{data: {{n: {i}}}}}\n"))
            .collect();
        let (hosts, _) = ok(&[
            ("hosts.yaml", "R1: {groups: [g1999, g0]}\n"),
            ("groups.yaml", &groups),
        ]);
        assert_eq!(hosts[0].data["n"], serde_json::json!(1999));
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            error(&[("hosts.yaml", "# none yet\n")]),
            "inv/hosts.yaml:1:1: the inventory is empty: list at least one host"
        );
        assert_eq!(
            error(&[("hosts.yaml", "- R1\n")]),
            "inv/hosts.yaml:1:1: expected a map of hosts (`R1: {hostname: ...}`), found a list"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1:\n  hostname: a\nR2: [x]\n")]),
            "inv/hosts.yaml:3:5: R2: expected a map, found a list"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1:\n  hostname: a\nR1:\n  hostname: b\n")]),
            "inv/hosts.yaml:3:1: R1: given twice in the same map (first at line 1)"
        );
        assert_eq!(
            error(&[("hosts.yaml", "R1: {data: [1]}\n")]),
            "inv/hosts.yaml:1:12: data: expected a map, found a list"
        );
        let missing = load(Path::new("/nonexistent-nornir"), &env).unwrap_err();
        assert!(
            missing.to_string().contains("hosts.yaml: cannot read"),
            "{missing}"
        );
    }
}

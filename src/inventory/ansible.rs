//! Ansible inventories, YAML and INI (the INI file is first read into the same tree by
//! `ansible_ini`), resolved as Ansible does:
//!
//! - groups nest through `children`; a group named anywhere is one group; every group without a
//!   parent is a child of `all`, and a host in no group but `all` is in `ungrouped`;
//! - a host's variables are its own (the last assignment wins, wherever the host is listed), over
//!   those of its groups and their ancestors, applied in Ansible's order: by depth from `all`,
//!   then `ansible_group_priority`, then name, a later group winning;
//! - `name:port` and ranges (`r[1:3]`, `sw[01:10]`, `[a:c]`) in host patterns; the port of a
//!   pattern counts only where the host is first listed, as in Ansible.
//!
//! Variables netrun reads: `ansible_host`, `ansible_port`, `ansible_user`, `ansible_password`
//! (`ansible_ssh_pass`), `ansible_become_password` (`ansible_become_pass`) as the enable secret,
//! `ansible_network_os` (short or collection name) as the platform, `ansible_connection`
//! (`network_cli`, `ssh`, `paramiko`, `libssh` → SSH; `telnet`), `ansible_private_key_file`, and
//! netrun's own keys prefixed `netrun_` (`netrun_timeout`, `netrun_ssh_legacy`, ...). Every
//! other variable is template data. `group_vars/` and `host_vars/` folders are not read.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::env::Env;
use super::error::InventoryError;
use super::host::{HostSpec, Located, NETRUN_KEYS};
use super::keys;
use super::platforms;
use super::yaml::{with, Document, Node, Step};
use super::Loaded;

/// Ansible's variable → netrun's setting.
const SETTINGS: &[(&str, &str)] = &[
    ("ansible_host", "host"),
    ("ansible_ssh_host", "host"),
    ("ansible_port", "port"),
    ("ansible_ssh_port", "port"),
    ("ansible_user", "username"),
    ("ansible_ssh_user", "username"),
    ("ansible_password", "password"),
    ("ansible_ssh_pass", "password"),
    ("ansible_ssh_password", "password"),
    ("ansible_become_password", "secret"),
    ("ansible_become_pass", "secret"),
    ("ansible_network_os", "device_type"),
    ("ansible_connection", "transport"),
    ("ansible_private_key_file", "key_file"),
    ("ansible_ssh_private_key_file", "key_file"),
];

/// `ansible_*` variables Ansible defines that netrun does not read, so that their near-misses
/// of the ones it reads are not taken for typos.
const OTHER_ANSIBLE_VARIABLES: &[&str] = &[
    "ansible_become",
    "ansible_become_user",
    "ansible_become_method",
    "ansible_become_exe",
    "ansible_become_flags",
    "ansible_shell_type",
    "ansible_shell_executable",
    "ansible_python_interpreter",
    "ansible_ssh_args",
    "ansible_ssh_common_args",
    "ansible_ssh_extra_args",
    "ansible_sftp_extra_args",
    "ansible_scp_extra_args",
    "ansible_ssh_pipelining",
    "ansible_ssh_executable",
    "ansible_group_priority",
    "ansible_command_timeout",
    "ansible_connect_timeout",
    "ansible_network_cli_ssh_type",
    "ansible_host_key_checking",
];

/// `ansible_connection` values that are an SSH CLI session, and the one that is Telnet.
const SSH_CONNECTIONS: &[&str] = &[
    "network_cli",
    "ansible.netcommon.network_cli",
    "ssh",
    "ansible.builtin.ssh",
    "paramiko",
    "paramiko_ssh",
    "ansible.builtin.paramiko_ssh",
    "libssh",
    "ansible.netcommon.libssh",
    "smart",
];

/// The group every host is in, and the one for hosts in no other.
const ALL: &str = "all";
const UNGROUPED: &str = "ungrouped";

/// Read an Ansible YAML inventory (already parsed).
pub(crate) fn load_yaml(mut doc: Document, env: Env) -> Result<Loaded, InventoryError> {
    let model = Model::read(&mut doc)?;
    model.hosts_of(&doc, env)
}

/// Read an Ansible INI inventory.
pub(crate) fn load_ini(path: &Path, env: Env) -> Result<Loaded, InventoryError> {
    let mut doc = super::ansible_ini::read(path)?;
    let model = Model::read(&mut doc)?;
    model.hosts_of(&doc, env)
}

/// Whether a parsed YAML tree looks like an Ansible inventory: a map of groups, each nothing or
/// a map of `hosts`, `vars` and `children`, at least one of them with one of those.
pub(crate) fn is_ansible_yaml(root: &Node) -> bool {
    let Node::Map(groups) = root else {
        return false;
    };
    let is_group_key = |key: &str| matches!(key, "hosts" | "vars" | "children");
    let mut any = false;
    for (_, group) in groups {
        match group {
            Node::Null => {}
            Node::Map(entries) if entries.iter().all(|(key, _)| is_group_key(key)) => {
                any |= !entries.is_empty();
            }
            _ => return false,
        }
    }
    any
}

/// A variable: its name and where its value is.
struct Var {
    key: String,
    path: Vec<Step>,
}

/// Assign `key` (the last assignment wins, at the place of the first: order does not matter).
fn assign(vars: &mut Vec<Var>, key: &str, path: Vec<Step>) {
    match vars.iter_mut().find(|var| var.key == key) {
        Some(var) => var.path = path,
        None => vars.push(Var {
            key: key.to_string(),
            path,
        }),
    }
}

struct Group {
    name: String,
    vars: Vec<Var>,
    parents: Vec<usize>,
    /// Where it is first named.
    path: Vec<Step>,
}

struct HostEntry {
    name: String,
    vars: Vec<Var>,
    /// Groups it is listed in, in order.
    groups: Vec<usize>,
    /// The pattern it was first listed under (its key).
    path: Vec<Step>,
}

/// Groups and hosts as Ansible builds them from the tree.
#[derive(Default)]
struct Model {
    groups: Vec<Group>,
    group_index: HashMap<String, usize>,
    hosts: Vec<HostEntry>,
    host_index: HashMap<String, usize>,
}

impl Model {
    /// Walk the tree in Ansible's order. Values netrun reads are put in its terms in place
    /// (platform names, connection types, the port of a `name:port` pattern as `ansible_port`).
    fn read(doc: &mut Document) -> Result<Model, InventoryError> {
        let mut model = Model::default();
        model.group(ALL, Vec::new());
        let mut root = std::mem::replace(&mut doc.root, Node::Null);
        let result = match &mut root {
            Node::Map(groups) if !groups.is_empty() => {
                groups.iter_mut().try_for_each(|(name, node)| {
                    let parent = (name != ALL).then_some(0);
                    model.parse_group(doc, name, node, vec![Step::key(name)], parent)
                })
            }
            Node::Map(_) | Node::Null => Err(doc.error_at_start(
                "the inventory is empty: list at least one group (`all:`) with hosts",
            )),
            other => Err(doc.error(
                &[],
                None,
                format!(
                    "expected a map of groups (`all: {{hosts: ...}}`), found {}",
                    other.kind()
                ),
            )),
        };
        doc.root = root;
        result?;
        model.finish(doc)?;
        Ok(model)
    }

    fn group(&mut self, name: &str, path: Vec<Step>) -> usize {
        if let Some(&index) = self.group_index.get(name) {
            return index;
        }
        self.groups.push(Group {
            name: name.to_string(),
            vars: Vec::new(),
            parents: Vec::new(),
            path,
        });
        self.group_index
            .insert(name.to_string(), self.groups.len() - 1);
        self.groups.len() - 1
    }

    fn parse_group(
        &mut self,
        doc: &Document,
        name: &str,
        node: &mut Node,
        path: Vec<Step>,
        parent: Option<usize>,
    ) -> Result<(), InventoryError> {
        let index = self.group(name, path.clone());
        if let Some(parent) = parent {
            if !self.groups[index].parents.contains(&parent) && parent != index {
                self.groups[index].parents.push(parent);
            }
        }
        let entries = match node {
            Node::Null => return Ok(()),
            Node::Map(entries) => entries,
            other => {
                return Err(doc.error(
                    &path,
                    Some(name),
                    format!(
                        "expected a group (a map of hosts, vars, children), found {}",
                        other.kind()
                    ),
                ))
            }
        };
        for (key, value) in entries.iter_mut() {
            let at = with(&path, Step::key(key));
            // Ansible takes a lone name for a map of one (`hosts: r1`, `children: edge`).
            if let Node::Str(name) = value {
                *value = Node::Map(vec![(std::mem::take(name), Node::Null)]);
            }
            let section = match value {
                Node::Map(section) => section,
                Node::Null => continue,
                other => {
                    return Err(doc.error(
                        &at,
                        Some(key),
                        format!("expected a map, found {}", other.kind()),
                    ))
                }
            };
            match key.as_str() {
                "vars" => {
                    for (var, value) in section.iter_mut() {
                        check_variable(doc, &at, var)?;
                        in_netrun_terms(var, value);
                        assign(&mut self.groups[index].vars, var, with(&at, Step::key(var)));
                    }
                }
                "children" => {
                    for (child, value) in section.iter_mut() {
                        let child_path = with(&at, Step::key(child));
                        self.parse_group(doc, child, value, child_path, Some(index))?;
                    }
                }
                "hosts" => {
                    for (pattern, vars) in section.iter_mut() {
                        let host_path = with(&at, Step::key(pattern));
                        self.parse_hosts(doc, index, pattern, vars, host_path)?;
                    }
                }
                other => {
                    return Err(doc.error(
                        &at,
                        Some(other),
                        "unknown key in a group: expected hosts, vars or children",
                    ))
                }
            }
        }
        Ok(())
    }

    fn parse_hosts(
        &mut self,
        doc: &Document,
        group: usize,
        pattern: &str,
        vars: &mut Node,
        path: Vec<Step>,
    ) -> Result<(), InventoryError> {
        let (names, port) = expand_pattern(pattern).map_err(|problem| {
            let key_path = [&path[..path.len() - 1], &[Step::KeyName(pattern.into(), 0)]].concat();
            doc.error(&key_path, Some(pattern), problem)
        })?;
        if let Node::Null = vars {
            *vars = Node::Map(Vec::new());
        }
        let Node::Map(entries) = vars else {
            return Err(doc.error(
                &path,
                Some(pattern),
                format!(
                    "expected the host's variables (a map), found {}",
                    vars.kind()
                ),
            ));
        };
        // A pattern's port is the host's `ansible_port` only where the host is first listed,
        // and the host's own `ansible_port` beats it.
        let first_listed: Vec<bool> = names
            .iter()
            .map(|name| !self.host_index.contains_key(name))
            .collect();
        let pattern_port = port.is_some()
            && first_listed.contains(&true)
            && !entries.iter().any(|(key, _)| key == "ansible_port");
        if let (true, Some(port)) = (pattern_port, port) {
            entries.insert(0, ("ansible_port".to_string(), Node::Int(port.into())));
        }
        for (var, value) in entries.iter_mut() {
            check_variable(doc, &path, var)?;
            in_netrun_terms(var, value);
        }
        for (name, first) in names.into_iter().zip(first_listed) {
            let index = match self.host_index.get(&name) {
                Some(&index) => index,
                None => {
                    self.hosts.push(HostEntry {
                        name: name.clone(),
                        vars: Vec::new(),
                        groups: Vec::new(),
                        path: path.clone(),
                    });
                    self.host_index.insert(name, self.hosts.len() - 1);
                    self.hosts.len() - 1
                }
            };
            let host = &mut self.hosts[index];
            if !host.groups.contains(&group) {
                host.groups.push(group);
            }
            for (i, (var, _)) in entries.iter().enumerate() {
                if pattern_port && i == 0 && !first {
                    continue;
                }
                assign(&mut host.vars, var, with(&path, Step::key(var)));
            }
        }
        Ok(())
    }

    /// Groups without a parent are children of `all`; hosts in no group but `all` are in
    /// `ungrouped`; no group is its own ancestor; there are hosts.
    fn finish(&mut self, doc: &Document) -> Result<(), InventoryError> {
        for index in 1..self.groups.len() {
            if self.groups[index].parents.is_empty() {
                self.groups[index].parents.push(0);
            }
        }
        // A host listed before any section (or under `ungrouped`) and in a group too is only
        // in that group.
        if let Some(&ungrouped) = self.group_index.get(UNGROUPED) {
            for host in &mut self.hosts {
                if host.groups.iter().any(|&g| g != 0 && g != ungrouped) {
                    host.groups.retain(|&g| g != ungrouped);
                }
            }
        }
        let lonely: Vec<usize> = (0..self.hosts.len())
            .filter(|&h| self.hosts[h].groups.iter().all(|&g| g == 0))
            .collect();
        if !lonely.is_empty() {
            let ungrouped = self.group(UNGROUPED, Vec::new());
            if self.groups[ungrouped].parents.is_empty() {
                self.groups[ungrouped].parents.push(0);
            }
            for host in lonely {
                self.hosts[host].groups.retain(|&g| g != 0);
                self.hosts[host].groups.push(ungrouped);
            }
        }
        self.depths(doc)?;
        if self.hosts.is_empty() {
            return Err(doc.error_at_start("the inventory has no hosts"));
        }
        Ok(())
    }

    /// Distance from `all` along the longest path of parents (Ansible's `Group.depth`), each
    /// group's found once (`known`); a group that is its own ancestor is an error.
    fn depth(
        &self,
        doc: &Document,
        index: usize,
        chain: &mut Vec<usize>,
        known: &mut [Option<usize>],
    ) -> Result<usize, InventoryError> {
        if index == 0 {
            return Ok(0);
        }
        if let Some(depth) = known[index] {
            return Ok(depth);
        }
        if chain.contains(&index) {
            let names: Vec<&str> = chain
                .iter()
                .chain([&index])
                .map(|&g| self.groups[g].name.as_str())
                .collect();
            let group = &self.groups[index];
            return Err(doc.error(
                &group.path,
                Some(&group.name),
                format!("group cycle: {}", names.join(" → ")),
            ));
        }
        chain.push(index);
        let mut depth = 0;
        for &parent in &self.groups[index].parents {
            depth = depth.max(self.depth(doc, parent, chain, known)? + 1);
        }
        chain.pop();
        known[index] = Some(depth);
        Ok(depth)
    }

    fn depths(&self, doc: &Document) -> Result<Vec<usize>, InventoryError> {
        let mut known = vec![None; self.groups.len()];
        (0..self.groups.len())
            .map(|index| self.depth(doc, index, &mut Vec::new(), &mut known))
            .collect()
    }

    /// Every group `host` is in, directly or through children, `all` included.
    fn ancestors(&self, host: &HostEntry) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = host.groups.clone();
        while let Some(group) = stack.pop() {
            if seen.insert(group) {
                stack.extend(&self.groups[group].parents);
            }
        }
        seen.insert(0);
        seen
    }

    fn priority(&self, doc: &Document, group: &Group) -> i128 {
        group
            .vars
            .iter()
            .find(|var| var.key == "ansible_group_priority")
            .and_then(|var| node_at(&doc.root, &var.path))
            .and_then(|node| match node {
                Node::Int(i) => Some(*i),
                Node::Str(s) => s.trim().parse().ok(),
                _ => None,
            })
            .unwrap_or(1)
    }

    fn hosts_of(&self, doc: &Document, env: Env) -> Result<Loaded, InventoryError> {
        let depths = self.depths(doc)?;
        let name_nodes: Vec<Node> = self
            .hosts
            .iter()
            .map(|host| Node::Str(host.name.clone()))
            .collect();
        let mut hosts = Vec::with_capacity(self.hosts.len());
        for (host, name_node) in self.hosts.iter().zip(&name_nodes) {
            let mut groups: Vec<usize> = self.ancestors(host).into_iter().collect();
            groups.sort_by_key(|&g| {
                let group = &self.groups[g];
                (depths[g], self.priority(doc, group), group.name.clone())
            });
            let entry = Located::new(
                doc,
                node_at_or_root(doc, &host.path),
                host.path.clone(),
                &host.name,
            );
            let mut spec = HostSpec::default();
            offer_vars(doc, &mut spec, &host.vars);
            for &group in groups.iter().rev() {
                offer_vars(doc, &mut spec, &self.groups[group].vars);
            }
            let key_path = [
                &host.path[..host.path.len() - 1],
                &[Step::KeyName(last_key(&host.path), 0)],
            ]
            .concat();
            spec.offer(
                "host",
                Located::new(doc, name_node, key_path, "ansible_host"),
            );
            check_literal_settings(&mut spec, env)?;
            let mut group_names: Vec<String> = groups
                .iter()
                .filter(|&&g| g != 0)
                .map(|&g| self.groups[g].name.clone())
                .collect();
            group_names.sort();
            hosts.push(spec.build(host.name.clone(), group_names, &entry, env)?);
        }
        let mut warnings = Vec::new();
        if let Some(dir) = doc.file.parent() {
            for folder in ["group_vars", "host_vars"] {
                if dir.join(folder).is_dir() {
                    warnings.push(format!(
                        "{}: netrun does not read {folder}/ beside the inventory; give those \
                         variables in the inventory file",
                        doc.file.display()
                    ));
                }
            }
        }
        Ok((hosts, warnings))
    }
}

fn last_key(path: &[Step]) -> String {
    match path.last() {
        Some(Step::Key(key) | Step::KeyName(key, _)) => key.clone(),
        _ => String::new(),
    }
}

/// Offer a host's or group's variables to `spec` (which keeps what it already has).
fn offer_vars<'d>(doc: &'d Document, spec: &mut HostSpec<'d>, vars: &[Var]) {
    for var in vars {
        let Some(node) = node_at(&doc.root, &var.path) else {
            continue;
        };
        let at = Located::new(doc, node, var.path.clone(), &var.key);
        let setting = SETTINGS
            .iter()
            .find(|(name, _)| *name == var.key)
            .map(|(_, setting)| *setting)
            .or_else(|| {
                var.key
                    .strip_prefix("netrun_")
                    .and_then(|key| NETRUN_KEYS.iter().find(|k| **k == key).copied())
            });
        match setting {
            Some(setting) => spec.offer(setting, at),
            None => spec.offer_data(written_key(&var.key, &doc.root, &var.path), at),
        }
    }
}

/// The variable's name as the tree holds it (data keys borrow from the document).
fn written_key<'d>(key: &str, root: &'d Node, path: &[Step]) -> &'d str {
    let parent = node_at(root, &path[..path.len() - 1]);
    match parent {
        Some(Node::Map(entries)) => entries
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(k, _)| k.as_str()),
        _ => "",
    }
}

/// The settings a host got must be values, not what only Ansible can resolve: a Jinja
/// expression (`{{ lookup('env', 'PW') }}`) or an ansible-vault secret would otherwise be sent
/// to the device as written.
fn check_literal_settings(spec: &mut HostSpec, env: Env) -> Result<(), InventoryError> {
    let settings = SETTINGS
        .iter()
        .map(|(_, setting)| *setting)
        .chain(NETRUN_KEYS.iter().copied());
    for setting in settings {
        let Some(Some(at)) = spec.slot(setting).map(|slot| slot.as_ref()) else {
            continue;
        };
        let Some(text) = at.text(env).ok().flatten() else {
            continue;
        };
        if setting == "transport" && !matches!(text.to_ascii_lowercase().as_str(), "ssh" | "telnet")
        {
            return Err(at.error(format!(
                "{text:?} is not a CLI session netrun can open: use network_cli, ssh, \
                 paramiko or libssh (SSH), or telnet"
            )));
        }
        if text.contains("{{") || text.contains("{%") {
            return Err(at.error(
                "is a Jinja expression, which netrun does not evaluate: give the value, or \
                 ${VAR} to read it from the environment",
            ));
        }
        if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
            return Err(at.error(
                "is encrypted with ansible-vault, which netrun does not decrypt: give it as \
                 ${VAR} from the environment, or with --ask-pass",
            ));
        }
    }
    Ok(())
}

/// An `ansible_*` variable close to one netrun reads (`ansible_pasword`) is a typo: an error.
fn check_variable(doc: &Document, at: &[Step], var: &str) -> Result<(), InventoryError> {
    if !var.starts_with("ansible_") || OTHER_ANSIBLE_VARIABLES.contains(&var) {
        return Ok(());
    }
    let known: Vec<&'static str> = SETTINGS.iter().map(|(name, _)| *name).collect();
    match keys::misspelling_of(var, &known) {
        Some(meant) => Err(doc.error(
            &with(at, Step::KeyName(var.to_string(), 0)),
            Some(var),
            keys::misspelling_message(meant),
        )),
        None => Ok(()),
    }
}

/// Put a variable's value in netrun's terms: `ansible_network_os` as a Netmiko device type,
/// `ansible_connection` as `ssh` or `telnet` (another value is left for validation to refuse).
fn in_netrun_terms(var: &str, value: &mut Node) {
    match var {
        "ansible_network_os" => platforms::rename(value),
        "ansible_connection" => {
            if let Node::Str(connection) = value {
                let lower = connection.to_ascii_lowercase();
                if SSH_CONNECTIONS.contains(&lower.as_str()) {
                    *connection = "ssh".to_string();
                } else if lower == "telnet" || lower == "ansible.netcommon.telnet" {
                    *connection = "telnet".to_string();
                }
            }
        }
        _ => {}
    }
}

/// The node at `path` in `root`.
fn node_at<'n>(root: &'n Node, path: &[Step]) -> Option<&'n Node> {
    let mut node = root;
    for step in path {
        node = match (step, node) {
            (Step::Key(key) | Step::KeyName(key, _), Node::Map(_)) => node.get(key)?,
            (Step::Index(i), Node::Seq(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn node_at_or_root<'n>(doc: &'n Document, path: &[Step]) -> &'n Node {
    node_at(&doc.root, path).unwrap_or(&doc.root)
}

/// A host pattern's names and port: `r1`, `r1:2222`, `10.0.0.1:22`, `[2001:db8::1]:22`,
/// `2001:db8::1` (no port), and ranges `r[1:3]`, `sw[01:10]`, `r[1:9:2]`, `[a:c].lab`.
pub(crate) fn expand_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let pattern = pattern.trim();
    if pattern.is_empty() {
        return Err("an empty host name".into());
    }
    let (name, port) = split_port(pattern)?;
    Ok((expand_ranges(name)?, port))
}

fn split_port(pattern: &str) -> Result<(&str, Option<u16>), String> {
    // [v6]:port, or a bracketed v6 address alone
    if let Some(rest) = pattern.strip_prefix('[') {
        if let Some((inside, after)) = rest.split_once(']') {
            if inside.parse::<std::net::Ipv6Addr>().is_ok() {
                return match after.strip_prefix(':') {
                    Some(port) => Ok((inside, Some(parse_port(pattern, port)?))),
                    None if after.is_empty() => Ok((inside, None)),
                    None => Err(format!("{pattern:?} is not a host pattern")),
                };
            }
        }
    }
    if pattern.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok((pattern, None));
    }
    // a port is after the last `:` outside any range brackets
    let outside = pattern.rfind(']').map_or(0, |i| i + 1);
    match pattern[outside..].rfind(':') {
        Some(i) => {
            let at = outside + i;
            Ok((
                &pattern[..at],
                Some(parse_port(pattern, &pattern[at + 1..])?),
            ))
        }
        None => Ok((pattern, None)),
    }
}

fn parse_port(pattern: &str, port: &str) -> Result<u16, String> {
    port.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("{pattern:?}: {port:?} is not a valid port (1-65535)"))
}

/// Expand the first `[a:b]` or `[a:b:step]` range, then the rest of the name.
fn expand_ranges(name: &str) -> Result<Vec<String>, String> {
    let Some(open) = name.find('[') else {
        return Ok(vec![name.to_string()]);
    };
    let close = name[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| format!("{name:?}: a range `[` without `]`"))?;
    let (head, range, tail) = (&name[..open], &name[open + 1..close], &name[close + 1..]);
    let parts: Vec<&str> = range.split(':').collect();
    let (begin, end, step) = match parts.as_slice() {
        [b, e] => (*b, *e, 1),
        [b, e, s] => (
            *b,
            *e,
            s.parse::<usize>().ok().filter(|s| *s > 0).ok_or_else(|| {
                format!("{name:?}: the range step {s:?} is not a positive number")
            })?,
        ),
        _ => {
            return Err(format!(
                "{name:?}: a range is `[first:last]` or `[first:last:step]`"
            ))
        }
    };
    let items: Vec<String> = if let (Ok(b), Ok(e)) = (begin.parse::<u64>(), end.parse::<u64>()) {
        if b > e {
            return Err(format!("{name:?}: the range starts after it ends"));
        }
        let width = if begin.len() > 1 && begin.starts_with('0') {
            begin.len()
        } else {
            0
        };
        if b.abs_diff(e) > 100_000 {
            return Err(format!("{name:?}: a range of more than 100000 hosts"));
        }
        (b..=e)
            .step_by(step)
            .map(|i| format!("{i:0width$}"))
            .collect()
    } else {
        let letter = |s: &str| {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => Some(c),
                _ => None,
            }
        };
        match (letter(begin), letter(end)) {
            (Some(b), Some(e)) if b <= e => (b..=e).step_by(step).map(String::from).collect(),
            _ => {
                return Err(format!(
                    "{name:?}: a range is of numbers (`[1:3]`, `[01:10]`) or letters (`[a:c]`)"
                ))
            }
        }
    };
    let tails = expand_ranges(tail)?;
    Ok(items
        .iter()
        .flat_map(|item| tails.iter().map(move |t| format!("{head}{item}{t}")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::TransportKind;

    fn env(name: &str) -> Option<String> {
        (name == "LAB_PASS").then(|| "from-env".to_string())
    }

    /// Load `text` written as `name` in a fresh folder; errors with the folder replaced by `inv`.
    fn load_as(name: &str, text: &str) -> Result<Loaded, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let result = if name.ends_with(".ini") {
            load_ini(&path, &env)
        } else {
            Document::read(&path).and_then(|doc| load_yaml(doc, &env))
        };
        result.map_err(|e| {
            e.to_string()
                .replacen(&dir.path().display().to_string(), "inv", 1)
        })
    }

    /// name, address, port, platform, username, groups
    type Summary<'h> = (&'h str, &'h str, u16, &'h str, &'h str, Vec<&'h str>);

    const INI: &str = "\
r0 ansible_host=10.0.0.9
[core]
r1 ansible_host=10.0.0.1 ansible_port=2222 ansible_user=own
r[2:3] ansible_network_os=cisco.ios.ios
[core:vars]
ansible_user=core-user
ansible_network_os=eos
[edge]
r3:2200
edge[a:b].lab:2300 ansible_connection=telnet
[dc:children]
core
edge
[dc:vars]
ansible_become_password=en
ansible_connection=network_cli
ansible_user=dc-user
[all:vars]
ansible_password=${LAB_PASS}
ntp=10.5.5.1
";

    #[test]
    fn reads_an_ini_inventory_as_ansible_resolves_it() {
        let (hosts, warnings) = load_as("hosts.ini", INI).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let summary: Vec<Summary> = hosts
            .iter()
            .map(|h| {
                (
                    h.name.as_str(),
                    h.host.as_str(),
                    h.port,
                    h.platform.as_str(),
                    h.username.as_str(),
                    h.groups.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("r0", "10.0.0.9", 22, "cisco_ios", "", vec!["ungrouped"]),
                (
                    "r1",
                    "10.0.0.1",
                    2222,
                    "arista_eos",
                    "own",
                    vec!["core", "dc"]
                ),
                ("r2", "r2", 22, "cisco_ios", "core-user", vec!["core", "dc"]),
                // r3 was listed first in core: the port of its edge pattern does not count.
                (
                    "r3",
                    "r3",
                    22,
                    "cisco_ios",
                    "core-user",
                    vec!["core", "dc", "edge"]
                ),
                (
                    "edgea.lab",
                    "edgea.lab",
                    2300,
                    "cisco_ios",
                    "dc-user",
                    vec!["dc", "edge"]
                ),
                (
                    "edgeb.lab",
                    "edgeb.lab",
                    2300,
                    "cisco_ios",
                    "dc-user",
                    vec!["dc", "edge"]
                ),
            ]
        );
        assert_eq!(hosts[1].secret.as_ref().unwrap().expose(), "en");
        assert!(hosts[0].secret.is_none());
        assert_eq!(hosts[0].password.expose(), "from-env");
        assert_eq!(hosts[4].transport, TransportKind::Telnet);
        assert_eq!(hosts[1].transport, TransportKind::Ssh);
        assert_eq!(hosts[1].data["ntp"], serde_json::json!("10.5.5.1"));
    }

    #[test]
    fn reads_a_yaml_inventory_with_ansibles_precedence() {
        let (hosts, _) = load_as(
            "inventory.yml",
            "\
all:
  vars:
    ansible_user: all-user
    ansible_network_os: junipernetworks.junos.junos
  hosts:
    r1:
      ansible_host: 10.0.0.1
  children:
    routers:
      vars: {ansible_user: routers-user, ansible_become_pass: en}
      children:
        core:
          vars: {ansible_user: core-user}
          hosts:
            r1:
            r2: {ansible_port: 2022}
        aa_edge:
          vars: {ansible_user: aa-user}
          hosts:
            r2:
              ansible_host: 10.0.0.2
    zz_other:
      vars: {ansible_user: zz-user}
      hosts:
        r1:
",
        )
        .unwrap();
        let r1 = &hosts[0];
        assert_eq!(r1.host, "10.0.0.1");
        // core (depth 2) beats zz_other (depth 1) however they sort by name.
        assert_eq!(r1.username, "core-user");
        assert_eq!(r1.platform, "juniper_junos");
        assert_eq!(r1.groups, ["core", "routers", "zz_other"]);
        let r2 = &hosts[1];
        // aa_edge and core have the same depth: the later name wins.
        assert_eq!(r2.username, "core-user");
        assert_eq!((r2.host.as_str(), r2.port), ("10.0.0.2", 2022));
        assert_eq!(r2.secret.as_ref().unwrap().expose(), "en");
        assert_eq!(r2.groups, ["aa_edge", "core", "routers"]);
    }

    #[test]
    fn group_priority_reorders_groups_of_one_depth() {
        let (hosts, _) = load_as(
            "inventory.yaml",
            "\
a_first:
  vars: {ansible_user: a, ansible_group_priority: 10}
  hosts: {r1: {}}
b_second:
  vars: {ansible_user: b}
  hosts: {r1: {}}
",
        )
        .unwrap();
        assert_eq!(hosts[0].username, "a");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert_eq!(
            load_as("hosts.ini", "[core]\nr1 ansible_port=99999\n").unwrap_err(),
            "inv/hosts.ini:2:17: ansible_port: 99999 is not a valid port (1-65535)"
        );
        assert_eq!(
            load_as("hosts.ini", "[core]\nr1\n[core:vars]\nansible_pasword=x\n").unwrap_err(),
            "inv/hosts.ini:4:1: ansible_pasword: unknown key; did you mean `ansible_password`?"
        );
        assert_eq!(
            load_as("hosts.ini", "[core]\nr1 ansible_connection=netconf\n").unwrap_err(),
            "inv/hosts.ini:2:23: ansible_connection: \"netconf\" is not a CLI session netrun can \
             open: use network_cli, ssh, paramiko or libssh (SSH), or telnet"
        );
        assert_eq!(
            load_as("hosts.ini", "[core]\nr[3:1]\n").unwrap_err(),
            "inv/hosts.ini:2:1: r[3:1]: \"r[3:1]\": the range starts after it ends"
        );
        assert_eq!(
            load_as("hosts.ini", "[a:children]\nb\n[b:children]\na\n").unwrap_err(),
            "inv/hosts.ini:1:2: a: group cycle: a → b → a"
        );
        assert_eq!(
            load_as(
                "inventory.yml",
                "all:\n  hosts:\n    r1:\n      ansible_port: x\n"
            )
            .unwrap_err(),
            "inv/inventory.yml:4:21: ansible_port: expected a port number (1-65535), found \"x\""
        );
        assert_eq!(
            load_as("inventory.yml", "all:\n  hosts: [r1]\n").unwrap_err(),
            "inv/inventory.yml:2:10: hosts: expected a map, found a list"
        );
        assert_eq!(
            load_as("inventory.yml", "all:\n  children:\n    core:\n      hostz: {}\n")
                .unwrap_err(),
            "inv/inventory.yml:4:14: hostz: unknown key in a group: expected hosts, vars or children"
        );
        assert_eq!(
            load_as(
                "hosts.ini",
                "[core]\nr1\n[core:vars]\nansible_password={{ lookup('env', 'PW') }}\n"
            )
            .unwrap_err(),
            "inv/hosts.ini:4:18: ansible_password: is a Jinja expression, which netrun does not \
             evaluate: give the value, or ${VAR} to read it from the environment"
        );
        assert_eq!(
            load_as(
                "inventory.yml",
                "all:\n  hosts:\n    r1:\n      ansible_become_password: !vault |\n          \
                 $ANSIBLE_VAULT;1.1;AES256\n          6162\n"
            )
            .unwrap_err(),
            "inv/inventory.yml:4:32: ansible_become_password: is encrypted with ansible-vault, \
             which netrun does not decrypt: give it as ${VAR} from the environment, or with \
             --ask-pass"
        );
        assert!(
            load_as(
                "hosts.ini",
                "[core]\nr1 ansible_user=own\n[core:vars]\nansible_user={{ user }}\n"
            )
            .is_ok(),
            "a Jinja value the host does not use is no error"
        );
        assert_eq!(
            load_as("hosts.ini", "[core]\n").unwrap_err(),
            "inv/hosts.ini:1:1: the inventory has no hosts"
        );
    }

    #[test]
    fn host_patterns() {
        let names = |p: &str| expand_pattern(p).unwrap();
        assert_eq!(names("r1"), (vec!["r1".to_string()], None));
        assert_eq!(names("r1:2222"), (vec!["r1".to_string()], Some(2222)));
        assert_eq!(names("10.0.0.1:22").1, Some(22));
        assert_eq!(
            names("2001:db8::1"),
            (vec!["2001:db8::1".to_string()], None)
        );
        assert_eq!(
            names("[2001:db8::1]:830"),
            (vec!["2001:db8::1".to_string()], Some(830))
        );
        assert_eq!(names("sw[08:10]").0, ["sw08", "sw09", "sw10"]);
        assert_eq!(names("r[1:5:2]").0, ["r1", "r3", "r5"]);
        assert_eq!(
            names("[a:c]-[1:2]:23").0,
            ["a-1", "a-2", "b-1", "b-2", "c-1", "c-2"]
        );
        assert_eq!(names("[a:c]-[1:2]:23").1, Some(23));
        assert!(expand_pattern("r1:0").is_err());
        assert!(expand_pattern("r[1:x]").is_err());
    }

    #[test]
    fn yaml_shape_detection() {
        let is = |text: &str| {
            is_ansible_yaml(
                &Document::parse(Path::new("x.yml"), text.into())
                    .unwrap()
                    .root,
            )
        };
        assert!(is("all:\n  hosts: {r1: }\n"));
        assert!(is("core:\n  hosts: {r1: }\nedge:\n"));
        assert!(!is("R1: {hostname: a}\n"));
        assert!(!is("r1: {device_type: cisco_ios, host: a}\ncisco: [r1]\n"));
        assert!(!is("- host: a\n"));
    }
}

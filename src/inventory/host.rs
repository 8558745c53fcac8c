//! From the values a format found for one host (each with where it was written) to a validated
//! `Host`: types, ports, device types, `${VAR}`, defaults and environment fills. Shared by both
//! formats, so a value means the same thing wherever it is written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crate::dialogue::platform::{device_type_names, lookup_device_type, DeviceType};
use crate::hostkeys::{HostKeyCheck, HostKeyPolicy};
use crate::job::{Given, Host, JumpHost, Reach, Secret, TransportKind};

use super::address;
use super::env::{expand, Env};
use super::error::InventoryError;
use super::keys::nearest;
use super::yaml::{with, Document, Node, Step};
use super::{
    DEFAULT_DEVICE_TYPE, DEFAULT_TIMEOUT_SECS, MAX_TIMEOUT_SECS, PASSWORD_VAR, SECRET_VAR,
};

/// A value in a document, with its path there and the key it was written under.
#[derive(Clone)]
pub(crate) struct Located<'d> {
    pub(crate) node: &'d Node,
    pub(crate) doc: &'d Document,
    pub(crate) path: Vec<Step>,
    /// The key as written (`ip`, `hostname`, `data.site`), for `FIELD:` in errors.
    pub(crate) field: String,
}

impl<'d> Located<'d> {
    pub(crate) fn new(doc: &'d Document, node: &'d Node, path: Vec<Step>, field: &str) -> Self {
        Located {
            node,
            doc,
            path,
            field: field.to_string(),
        }
    }

    /// The value under `key` of this map.
    pub(crate) fn child(&self, key: &str, node: &'d Node) -> Located<'d> {
        Located::new(self.doc, node, with(&self.path, Step::key(key)), key)
    }

    /// Item `i` of this list, reported under the list's field.
    fn item(&self, i: usize, node: &'d Node) -> Located<'d> {
        Located::new(
            self.doc,
            node,
            with(&self.path, Step::Index(i)),
            &self.field,
        )
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> InventoryError {
        self.doc.error(&self.path, Some(&self.field), message)
    }

    /// An error about `key` itself (not its value) in this map, e.g. a misspelt key.
    pub(crate) fn key_error(&self, key: &str, message: impl Into<String>) -> InventoryError {
        let path = with(&self.path, Step::KeyName(key.to_string(), 0));
        self.doc.error(&path, Some(key), message)
    }

    fn expected(&self, what: &str) -> InventoryError {
        self.error(format!("expected {what}, found {}", self.node.kind()))
    }

    /// The entries of a map (`None` for null), or a wrong-type error.
    pub(crate) fn entries(&self) -> Result<&'d [(String, Node)], InventoryError> {
        match self.node {
            Node::Map(entries) => Ok(entries),
            Node::Null => Ok(&[]),
            _ => Err(self.expected("a map")),
        }
    }

    /// A scalar as text with `${VAR}` replaced; `None` for null.
    pub(crate) fn text(&self, env: Env) -> Result<Option<String>, InventoryError> {
        let Some(raw) = self.node.scalar_text() else {
            return match self.node {
                Node::Null => Ok(None),
                _ => Err(self.expected("a string")),
            };
        };
        match expand(&raw, env) {
            Ok(text) => Ok(Some(text.into_owned())),
            Err(err) => Err(self.error(err.message())),
        }
    }

    /// Like `text`, but an empty string counts as not given.
    pub(crate) fn non_empty_text(&self, env: Env) -> Result<Option<String>, InventoryError> {
        Ok(self.text(env)?.filter(|t| !t.is_empty()))
    }

    /// An integer, or a string (e.g. from `${PORT}`) that reads as one.
    fn integer(&self, env: Env, what: &str) -> Result<i128, InventoryError> {
        match self.node {
            Node::Int(i) => Ok(*i),
            Node::Str(_) => {
                let text = self.text(env)?.unwrap_or_default();
                text.trim()
                    .parse()
                    .map_err(|_| self.error(format!("expected {what}, found {text:?}")))
            }
            _ => Err(self.expected(what)),
        }
    }

    fn port(&self, env: Env) -> Result<u16, InventoryError> {
        let port = self.integer(env, "a port number (1-65535)")?;
        u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| self.error(format!("{port} is not a valid port (1-65535)")))
    }

    /// A timeout: more than 0 and at most `MAX_TIMEOUT_SECS`.
    fn seconds(&self, env: Env) -> Result<Duration, InventoryError> {
        let what = "a number of seconds";
        let seconds = match self.node {
            Node::Int(i) => *i as f64,
            Node::Float(x) => *x,
            Node::Str(_) => {
                let text = self.text(env)?.unwrap_or_default();
                text.trim()
                    .parse()
                    .map_err(|_| self.error(format!("expected {what}, found {text:?}")))?
            }
            _ => return Err(self.expected(what)),
        };
        let shown = number_text(seconds);
        if seconds <= 0.0 {
            return Err(self.error(format!("{shown} is not a positive number of seconds")));
        }
        if seconds.is_nan() || seconds > MAX_TIMEOUT_SECS as f64 {
            return Err(self.error(format!(
                "{shown} is out of range: must be between 0 and {MAX_TIMEOUT_SECS} seconds \
                 (1 day)"
            )));
        }
        Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| self.error(format!("{shown} is too short to be a timeout")))
    }

    fn flag(&self, env: Env) -> Result<bool, InventoryError> {
        match self.node {
            Node::Bool(b) => Ok(*b),
            Node::Str(_) => match self.text(env)?.unwrap_or_default().trim() {
                "true" | "True" | "yes" => Ok(true),
                "false" | "False" | "no" => Ok(false),
                other => Err(self.error(format!("expected true or false, found {other:?}"))),
            },
            _ => Err(self.expected("true or false")),
        }
    }

    /// A host key policy: `strict`, `accept-new` or `off`.
    fn host_key_policy(&self, env: Env) -> Result<HostKeyPolicy, InventoryError> {
        let text = match self.node {
            Node::Str(_) => self.text(env)?.unwrap_or_default(),
            _ => return Err(self.expected("strict, accept-new or off")),
        };
        HostKeyPolicy::parse(text.trim()).ok_or_else(|| {
            self.error(format!(
                "expected strict, accept-new or off, found {:?}",
                text.trim()
            ))
        })
    }

    /// A list of names (groups).
    pub(crate) fn names(&self, env: Env) -> Result<Vec<(String, Located<'d>)>, InventoryError> {
        let items = match self.node {
            Node::Seq(items) => items,
            Node::Null => return Ok(Vec::new()),
            _ => return Err(self.expected("a list")),
        };
        let mut names = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = self.item(i, item);
            match at.non_empty_text(env)? {
                Some(name) => names.push((name, at)),
                None => return Err(at.expected("a name")),
            }
        }
        Ok(names)
    }

    /// Template data: any YAML value as JSON, `${VAR}` replaced in its strings.
    pub(crate) fn json(&self, env: Env) -> Result<serde_json::Value, InventoryError> {
        use serde_json::Value as Json;
        Ok(match self.node {
            Node::Null => Json::Null,
            Node::Bool(b) => Json::Bool(*b),
            Node::Int(i) => i64::try_from(*i).map_or_else(
                |_| serde_json::Number::from_f64(*i as f64).map_or(Json::Null, Json::Number),
                Json::from,
            ),
            Node::Float(x) => serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number),
            Node::Str(_) => Json::String(self.text(env)?.unwrap_or_default()),
            Node::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.item(i, item).json(env)?);
                }
                Json::Array(out)
            }
            Node::Map(entries) => {
                let mut out = serde_json::Map::with_capacity(entries.len());
                for (key, value) in entries {
                    let mut at = self.child(key, value);
                    at.field = format!("{}.{key}", self.field);
                    out.insert(key.clone(), at.json(env)?);
                }
                Json::Object(out)
            }
        })
    }
}

/// What a format found for one host: each known setting with where it was written (the first one
/// found along the host's inheritance chain), and its template data.
#[derive(Default)]
pub(crate) struct HostSpec<'d> {
    pub(crate) device_type: Option<Located<'d>>,
    pub(crate) host: Option<Located<'d>>,
    pub(crate) port: Option<Located<'d>>,
    pub(crate) telnet_port: Option<Located<'d>>,
    pub(crate) username: Option<Located<'d>>,
    pub(crate) password: Option<Located<'d>>,
    pub(crate) secret: Option<Located<'d>>,
    pub(crate) timeout: Option<Located<'d>>,
    pub(crate) transport: Option<Located<'d>>,
    pub(crate) ssh_legacy: Option<Located<'d>>,
    pub(crate) key_file: Option<Located<'d>>,
    pub(crate) key_passphrase: Option<Located<'d>>,
    pub(crate) host_key_policy: Option<Located<'d>>,
    pub(crate) jump_host: Option<Located<'d>>,
    pub(crate) proxy_command: Option<Located<'d>>,
    pub(crate) ssh_config_file: Option<Located<'d>>,
    /// Data keys with their values, first one found wins.
    pub(crate) data: Vec<(String, Located<'d>)>,
    /// The keys in `data`, so that offering one costs the same however many there are.
    data_keys: HashSet<&'d str>,
}

/// netrun's own keys, accepted in both formats.
pub(crate) const NETRUN_KEYS: &[&str] = &[
    "secret",
    "telnet_port",
    "timeout",
    "transport",
    "ssh_legacy",
    "key_file",
    "key_passphrase",
    "host_key_policy",
    "jump_host",
    "proxy_command",
    "ssh_config_file",
];

impl<'d> HostSpec<'d> {
    /// The slot of a setting by its netrun name (see `NETRUN_KEYS` and the formats' own names).
    pub(crate) fn slot(&mut self, setting: &str) -> Option<&mut Option<Located<'d>>> {
        Some(match setting {
            "device_type" => &mut self.device_type,
            "host" => &mut self.host,
            "port" => &mut self.port,
            "telnet_port" => &mut self.telnet_port,
            "username" => &mut self.username,
            "password" => &mut self.password,
            "secret" => &mut self.secret,
            "timeout" => &mut self.timeout,
            "transport" => &mut self.transport,
            "ssh_legacy" => &mut self.ssh_legacy,
            "key_file" => &mut self.key_file,
            "key_passphrase" => &mut self.key_passphrase,
            "host_key_policy" => &mut self.host_key_policy,
            "jump_host" => &mut self.jump_host,
            "proxy_command" => &mut self.proxy_command,
            "ssh_config_file" => &mut self.ssh_config_file,
            _ => return None,
        })
    }

    /// Set `setting` unless an earlier (more specific) source already did; null counts as unset,
    /// as in Nornir.
    pub(crate) fn offer(&mut self, setting: &str, value: Located<'d>) {
        if let Some(slot) = self.slot(setting) {
            if slot.is_none() && value.node != &Node::Null {
                *slot = Some(value);
            }
        }
    }

    /// Add data keys that are not there yet.
    pub(crate) fn offer_data(&mut self, key: &'d str, value: Located<'d>) {
        if self.data_keys.insert(key) {
            self.data.push((key.to_string(), value));
        }
    }

    /// Validate and resolve everything into a `Host` named `name`. `groups` are the host's
    /// groups as the format resolved them; `entry` is where the host is defined, for errors about
    /// what it lacks.
    pub(crate) fn build(
        self,
        name: String,
        groups: Vec<String>,
        entry: &Located,
        env: Env,
    ) -> Result<Host, InventoryError> {
        let (device_type, platform_error) =
            match resolve_device_type(self.device_type.as_ref(), entry, env)? {
                Platform::Known(device_type) => (device_type, None),
                Platform::Unknown { name, error } => (
                    DeviceType {
                        platform: "",
                        transport: TransportKind::Ssh,
                    },
                    Some((name, error)),
                ),
            };
        let transport = match &self.transport {
            Some(at) => resolve_transport(at, &device_type, env)?,
            None => device_type.transport,
        };
        let host = self.address(entry, env)?;
        let port = self.port_for(transport, env)?;
        let password = match optional_text(&self.password, env)? {
            Some(password) => password,
            None => env(PASSWORD_VAR).unwrap_or_default(),
        };
        let secret =
            optional_text(&self.secret, env)?.or_else(|| env(SECRET_VAR).filter(|s| !s.is_empty()));
        let mut data = BTreeMap::new();
        for (key, at) in &self.data {
            data.insert(key.clone(), at.json(env)?);
        }
        let reach = self.reach(env)?;
        Ok(Host {
            name,
            host,
            port,
            transport,
            platform: match &platform_error {
                Some((name, _)) => name.clone(),
                None => device_type.platform.to_string(),
            },
            platform_error: platform_error.map(|(_, error)| error),
            username: optional_text(&self.username, env)?.unwrap_or_default(),
            password: Secret::new(password),
            secret: secret.map(Secret::new),
            timeout: match &self.timeout {
                Some(at) => at.seconds(env)?,
                None => Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            },
            limits: crate::job::Limits::default(),
            ssh_legacy: match &self.ssh_legacy {
                Some(at) => at.flag(env)?,
                None => false,
            },
            key_file: optional_text(&self.key_file, env)?.map(|path| home(path, env)),
            key_passphrase: optional_text(&self.key_passphrase, env)?.map(Secret::new),
            host_keys: HostKeyCheck {
                policy: self
                    .host_key_policy
                    .as_ref()
                    .map(|at| at.host_key_policy(env))
                    .transpose()?,
                files: Vec::new(),
            },
            groups,
            data,
            reach,
        })
    }

    /// `jump_host`, `proxy_command` and `ssh_config_file`, and which settings the inventory
    /// gave (ssh_config fills only the others).
    fn reach(&self, env: Env) -> Result<Reach, InventoryError> {
        let jump = match &self.jump_host {
            Some(at) => jump_hosts(at, env)?,
            None => Vec::new(),
        };
        let proxy_command = optional_text(&self.proxy_command, env)?;
        if let (Some(command), Some(at)) = (&proxy_command, &self.proxy_command) {
            if !jump.is_empty() {
                return Err(at.error("is given with jump_host: give one or the other"));
            }
            crate::transport::proxy::check(command).map_err(|err| at.error(err))?;
        }
        Ok(Reach {
            given: Given {
                port: self.port.is_some(),
                username: optional_text(&self.username, env)?.is_some(),
                key_file: self.key_file.is_some(),
                route: !jump.is_empty() || proxy_command.is_some(),
            },
            jump,
            proxy_command,
            ssh_config_file: optional_text(&self.ssh_config_file, env)?.map(|p| home(p, env)),
            ..Reach::default()
        })
    }
    /// The address to connect to; required.
    fn address(&self, entry: &Located, env: Env) -> Result<String, InventoryError> {
        match &self.host {
            Some(at) => {
                let address = at
                    .non_empty_text(env)?
                    .ok_or_else(|| at.error("is empty: give the device's address"))?;
                match address::problem(&address, &at.field) {
                    Some(problem) => Err(at.error(problem)),
                    None => Ok(address),
                }
            }
            None => Err(entry.doc.error(
                &entry.path,
                Some("host"),
                "missing: give the device's address as `host` or `ip`",
            )),
        }
    }

    /// `telnet_port` lets one entry describe a device that speaks both (as the testbed writes
    /// them): `port` is then the SSH port, and Telnet uses `telnet_port`. Both are checked.
    fn port_for(&self, transport: TransportKind, env: Env) -> Result<u16, InventoryError> {
        let ssh = self.port.as_ref().map(|at| at.port(env)).transpose()?;
        let telnet = self
            .telnet_port
            .as_ref()
            .map(|at| at.port(env))
            .transpose()?;
        let given = match transport {
            TransportKind::Telnet => telnet.or(ssh),
            TransportKind::Ssh => ssh,
        };
        Ok(given.unwrap_or_else(|| transport.default_port()))
    }
}

/// `jump_host:` — `user@host:port` (`,` for a chain), a map with its own `host`, `port`,
/// `username`, `password`, `key_file`, or a list of either, the first reached first.
fn jump_hosts(at: &Located, env: Env) -> Result<Vec<JumpHost>, InventoryError> {
    match at.node {
        Node::Seq(items) => {
            let mut hops = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                hops.extend(jump_hosts(&at.item(i, item), env)?);
            }
            Ok(hops)
        }
        Node::Map(_) => jump_map(at, env).map(|hop| vec![hop]),
        _ => {
            let text = at.non_empty_text(env)?.unwrap_or_default();
            text.split(',')
                .map(|hop| crate::ssh_config::parse_jump(hop).map_err(|err| at.error(err)))
                .collect()
        }
    }
}

/// One jump host written as a map.
fn jump_map(at: &Located, env: Env) -> Result<JumpHost, InventoryError> {
    let mut hop = JumpHost {
        host: String::new(),
        port: None,
        username: None,
        password: None,
        key_file: None,
    };
    for (key, value) in at.entries()? {
        let mut field = at.child(key, value);
        field.field = format!("{}.{key}", at.field);
        match key.as_str() {
            "host" | "hostname" | "ip" => hop.host = field.non_empty_text(env)?.unwrap_or_default(),
            "port" => hop.port = Some(field.port(env)?),
            "username" => hop.username = field.non_empty_text(env)?,
            "password" => hop.password = field.non_empty_text(env)?.map(Secret::new),
            "key_file" => hop.key_file = field.non_empty_text(env)?.map(|p| home(p, env)),
            _ => {
                return Err(at.key_error(
                    key,
                    "unknown jump host key (host, port, username, password, key_file)",
                ))
            }
        }
    }
    if hop.host.is_empty() {
        return Err(at.error("has no host: give the jump host's address as `host`"));
    }
    Ok(hop)
}

/// A number as a person would write it: `-3`, `2.5`, `1e300` (not 301 digits), `inf`.
fn number_text(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e16 {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

fn optional_text(at: &Option<Located>, env: Env) -> Result<Option<String>, InventoryError> {
    match at {
        Some(at) => at.non_empty_text(env),
        None => Ok(None),
    }
}

/// `~/x` → `$HOME/x`, as a shell would for a key path.
fn home(path: String, env: Env) -> String {
    match (path.strip_prefix("~/"), env("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", home.trim_end_matches('/')),
        _ => path,
    }
}

/// A host's device_type (or Nornir platform) as resolved.
enum Platform {
    Known(DeviceType),
    /// Not a name netrun knows: the host loads (so every other host still runs) and fails
    /// alone, with kind `platform`, before any connection.
    Unknown {
        /// The name as written.
        name: String,
        /// `FILE:LINE:COL: FIELD: unknown device type ...`, the known names and the nearest.
        error: String,
    },
}

fn resolve_device_type(
    at: Option<&Located>,
    entry: &Located,
    env: Env,
) -> Result<Platform, InventoryError> {
    let Some(at) = at else {
        return lookup_device_type(DEFAULT_DEVICE_TYPE)
            .map(Platform::Known)
            .ok_or_else(|| {
                entry.doc.error(
                    &entry.path,
                    Some("device_type"),
                    format!(
                        "missing, and the default {DEFAULT_DEVICE_TYPE} is not a known device type"
                    ),
                )
            });
    };
    let name = at
        .non_empty_text(env)?
        .ok_or_else(|| at.error("is empty: give a device type, e.g. cisco_ios"))?;
    if let Some(device_type) = lookup_device_type(&name) {
        return Ok(Platform::Known(device_type));
    }
    let known = device_type_names();
    let nearest = nearest(&name, &known).unwrap_or(DEFAULT_DEVICE_TYPE);
    let error = at.error(format!(
        "unknown device type {name:?}; did you mean {nearest:?}? netrun knows {}",
        known.join(", ")
    ));
    Ok(Platform::Unknown {
        name,
        error: error.to_string(),
    })
}

fn resolve_transport(
    at: &Located,
    device_type: &DeviceType,
    env: Env,
) -> Result<TransportKind, InventoryError> {
    let transport = match at
        .non_empty_text(env)?
        .map(|t| t.to_ascii_lowercase())
        .as_deref()
    {
        Some("ssh") => TransportKind::Ssh,
        Some("telnet") => TransportKind::Telnet,
        other => {
            return Err(at.error(format!(
                "expected ssh or telnet, found {:?}",
                other.unwrap_or("")
            )))
        }
    };
    // A Telnet-only device type (cisco_ios_telnet) with `transport: ssh` contradicts itself;
    // a plain device type takes the transport it is given.
    if device_type.transport == TransportKind::Telnet && transport == TransportKind::Ssh {
        return Err(at.error("is ssh but the device type is a Telnet one"));
    }
    Ok(transport)
}

/// Names must be unique: `--limit`, reports and `--save` files go by name. The error points at
/// the second one and says where the first is.
pub(crate) fn check_unique_names(
    hosts: &[Host],
    name_at: &[Located],
) -> Result<(), InventoryError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(hosts.len());
    for (i, host) in hosts.iter().enumerate() {
        if let Some(&first) = seen.get(host.name.as_str()) {
            let first_at = &name_at[first];
            let (line, _) = first_at.doc.locate(&first_at.path);
            let place = if first_at.doc.file == name_at[i].doc.file {
                format!("line {line}")
            } else {
                format!("{}:{line}", first_at.doc.file.display())
            };
            return Err(
                name_at[i].error(format!("duplicate name {:?} (first at {place})", host.name))
            );
        }
        seen.insert(&host.name, i);
    }
    Ok(())
}

#[cfg(test)]
mod reach_tests {
    use std::path::Path;

    use crate::inventory::{load, InventoryError};
    use crate::job::{Host, Secret};

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/me".into()),
            "JUMP_PASS" => Some("hop-secret".into()),
            _ => None,
        }
    }

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    fn book(text: &str) -> Result<Vec<Host>, InventoryError> {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("devices.yaml", text)]);
        load(&dir.path().join("devices.yaml"), &env).map(|inventory| inventory.hosts)
    }

    #[test]
    fn jump_hosts_are_a_string_a_chain_a_map_or_a_list() {
        let hosts = book(
            "- {name: a, host: 10.0.0.1, jump_host: 'ops@gw:2222,second'}\n\
             - name: b\n  host: 10.0.0.2\n  jump_host:\n    host: gw\n    port: 2200\n    \
             username: hop\n    password: ${JUMP_PASS}\n    key_file: ~/.ssh/hop\n\
             - {name: c, host: 10.0.0.3, jump_host: [first, {host: second, port: 22}]}\n\
             - {name: d, host: 10.0.0.4, proxy_command: 'ssh -W %h:%p gw', ssh_config_file: ~/cfg}\n",
        )
        .unwrap();
        let described = |host: &Host| -> Vec<String> {
            host.reach.jump.iter().map(|hop| hop.describe()).collect()
        };
        assert_eq!(described(&hosts[0]), ["ops@gw:2222", "second"]);
        assert!(hosts[0].reach.given.route);
        let hop = &hosts[1].reach.jump[0];
        assert_eq!(hop.describe(), "hop@gw:2200");
        assert_eq!(hop.password, Some(Secret::new("hop-secret")));
        assert_eq!(hop.key_file.as_deref(), Some("/home/me/.ssh/hop"));
        // The jump host's password is masked like the device's own.
        assert!(hosts[1].secret_values().contains(&"hop-secret".to_string()));
        assert_eq!(described(&hosts[2]), ["first", "second:22"]);
        let d = &hosts[3].reach;
        assert_eq!(d.proxy_command.as_deref(), Some("ssh -W %h:%p gw"));
        assert_eq!(d.ssh_config_file.as_deref(), Some("/home/me/cfg"));
        assert!(d.jump.is_empty() && d.given.route);
        assert!(!d.given.port && !d.given.username && !d.given.key_file);
    }

    #[test]
    fn nornir_jump_hosts_inherit_from_groups_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "hosts.yaml",
                    "R1:\n  hostname: 10.0.0.1\n  groups: [dc1]\nR2:\n  hostname: 10.0.0.2\n\
                     R3:\n  hostname: 10.0.0.3\n  port: 2222\n  username: me\n  \
                     jump_host: own@gw3\n",
                ),
                ("groups.yaml", "dc1:\n  jump_host: dc1-gw:2201\n"),
                ("defaults.yaml", "jump_host: [edge-gw, core-gw]\n"),
            ],
        );
        let hosts = load(dir.path(), &env).unwrap().hosts;
        let chain = |i: usize| -> Vec<String> {
            hosts[i]
                .reach
                .jump
                .iter()
                .map(|hop| hop.describe())
                .collect()
        };
        assert_eq!(chain(0), ["dc1-gw:2201"]);
        assert_eq!(chain(1), ["edge-gw", "core-gw"]);
        assert_eq!(chain(2), ["own@gw3"]);
        assert!(hosts[2].reach.given.port && hosts[2].reach.given.username);
    }

    #[test]
    fn bad_jump_hosts_and_proxy_commands_name_their_place() {
        for (text, says) in [
            (
                "- {name: a, host: h, jump_host: 'gw:0'}\n",
                "devices.yaml:1:33: jump_host: \"gw:0\"",
            ),
            (
                "- {name: a, host: h, jump_host: {port: 22}}\n",
                "jump_host: has no host",
            ),
            (
                "- {name: a, host: h, jump_host: {host: gw, pasword: x}}\n",
                "pasword: unknown jump host key",
            ),
            (
                "- {name: a, host: h, jump_host: gw, proxy_command: nc %h %p}\n",
                "proxy_command: is given with jump_host",
            ),
            (
                "- {name: a, host: h, proxy_command: 'nc %h %y'}\n",
                "proxy_command: unknown token %y",
            ),
        ] {
            let err = book(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}

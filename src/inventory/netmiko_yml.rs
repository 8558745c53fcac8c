//! Netmiko's `.netmiko.yml` (the file `netmiko-show` and `netmiko-cfg` read): a map where a map
//! value is a device (its name → Netmiko keyword arguments, read as the book's format reads them)
//! and a list value is a group of device names (`cisco: [rtr1, rtr2]`), which netrun gives its
//! hosts as groups for `--limit group:NAME`. `__meta__` holds the file's own settings; netrun
//! refuses one that says the file is encrypted (Netmiko's `encryption: true`), since it would
//! otherwise send ciphertext as passwords.

use std::collections::{BTreeSet, HashMap};

use super::env::Env;
use super::error::InventoryError;
use super::host::check_unique_names;
use super::netmiko::{read_entry, unknown_keys_warning};
use super::yaml::{Document, Node, Step};
use super::Loaded;

/// Whether a parsed YAML tree looks like a `.netmiko.yml`: a map of maps and lists, with at
/// least one device that has a `device_type` (Netmiko requires one).
pub(crate) fn is_netmiko_yml(root: &Node) -> bool {
    let Node::Map(entries) = root else {
        return false;
    };
    entries
        .iter()
        .all(|(_, value)| matches!(value, Node::Map(_) | Node::Seq(_)))
        && entries
            .iter()
            .any(|(_, value)| value.get("device_type").is_some())
}

/// The key of the file's own settings, which is no device.
const META: &str = "__meta__";

/// `__meta__` may set things netrun has no use for, but not encryption.
fn check_meta(doc: &Document) -> Result<(), InventoryError> {
    let Some(meta) = doc.root.get(META) else {
        return Ok(());
    };
    if let Some(Node::Bool(true)) = meta.get("encryption") {
        return Err(doc.error(
            &[Step::key(META), Step::key("encryption")],
            Some("encryption"),
            "netrun does not decrypt Netmiko's encrypted fields: give the secrets as ${VAR} \
             from the environment instead",
        ));
    }
    Ok(())
}

/// Read the devices and groups of a parsed `.netmiko.yml`.
pub(crate) fn load(doc: &Document, env: Env) -> Result<Loaded, InventoryError> {
    let Node::Map(entries) = &doc.root else {
        return Err(doc.error_at_start(
            "expected a map of devices (`rtr1: {device_type: ...}`) and groups (`cisco: [rtr1]`)",
        ));
    };
    check_meta(doc)?;
    let entries: Vec<&(String, Node)> = entries.iter().filter(|(key, _)| key != META).collect();
    let mut groups: HashMap<&str, Vec<String>> = HashMap::new();
    for (group, value) in entries.iter().map(|entry| (&entry.0, &entry.1)) {
        let Node::Seq(members) = value else {
            continue;
        };
        for (i, member) in members.iter().enumerate() {
            let path = [Step::key(group), Step::Index(i)];
            let name = match member {
                Node::Str(name) => name.as_str(),
                other => {
                    return Err(doc.error(
                        &path,
                        Some(group),
                        format!("expected a device name, found {}", other.kind()),
                    ))
                }
            };
            match doc.root.get(name) {
                Some(Node::Map(_)) => groups.entry(name).or_default().push(group.clone()),
                _ => {
                    return Err(doc.error(
                        &path,
                        Some(group),
                        format!("{name:?} is not a device of this file"),
                    ))
                }
            }
        }
    }
    let mut hosts = Vec::new();
    let mut name_at = Vec::new();
    let mut unknown_keys = BTreeSet::new();
    let name_nodes: Vec<Node> = entries
        .iter()
        .map(|(name, _)| Node::Str(name.clone()))
        .collect();
    for ((name, value), name_node) in entries
        .iter()
        .map(|entry| (&entry.0, &entry.1))
        .zip(&name_nodes)
    {
        match value {
            Node::Map(_) => {}
            Node::Seq(_) => continue,
            other => {
                return Err(doc.error(
                    &[Step::key(name)],
                    Some(name),
                    format!(
                        "expected a device (a map) or a group (a list of names), found {}",
                        other.kind()
                    ),
                ))
            }
        }
        let path = vec![Step::key(name)];
        let mut entry = read_entry(doc, path, name, value, env, &mut unknown_keys)?;
        entry.host.name = name.clone();
        entry
            .host
            .groups
            .extend(groups.remove(name.as_str()).unwrap_or_default());
        hosts.push(entry.host);
        name_at.push(super::host::Located::new(
            doc,
            name_node,
            vec![Step::KeyName(name.clone(), 0)],
            name,
        ));
    }
    if hosts.is_empty() {
        return Err(doc.error_at_start("the inventory has no devices"));
    }
    check_unique_names(&hosts, &name_at)?;
    Ok((hosts, unknown_keys_warning(&doc.file, &unknown_keys)))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parse(text: &str) -> Document {
        Document::parse(Path::new(".netmiko.yml"), text.into()).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    const NETMIKO_YML: &str = "\
cisco3: &cisco
  device_type: cisco_ios
  host: cisco3.lasthop.io
  username: pyclass
  password: pw
  secret: en
arista1:
  device_type: arista_eos
  host: arista1.lasthop.io
  username: pyclass
  password: pw
nxos1:
  <<: *cisco
  host: nxos1.lasthop.io
cisco: [cisco3, nxos1]
eos:
  - arista1
all: [cisco3, arista1, nxos1]
";

    #[test]
    fn devices_by_name_and_groups_as_lists() {
        let doc = parse(&format!("__meta__: {{encryption: false}}\n{NETMIKO_YML}"));
        assert!(is_netmiko_yml(&doc.root));
        let (hosts, warnings) = load(&doc, &no_env).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let summary: Vec<(&str, &str, &str, Vec<&str>)> = hosts
            .iter()
            .map(|h| {
                (
                    h.name.as_str(),
                    h.host.as_str(),
                    h.platform.as_str(),
                    h.groups.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "cisco3",
                    "cisco3.lasthop.io",
                    "cisco_ios",
                    vec!["cisco", "all"]
                ),
                (
                    "arista1",
                    "arista1.lasthop.io",
                    "arista_eos",
                    vec!["eos", "all"]
                ),
                (
                    "nxos1",
                    "nxos1.lasthop.io",
                    "cisco_ios",
                    vec!["cisco", "all"]
                ),
            ]
        );
        assert_eq!(hosts[0].secret.as_ref().unwrap().expose(), "en");
    }

    #[test]
    fn errors_point_at_the_entry() {
        let error = |text: &str| load(&parse(text), &no_env).unwrap_err().to_string();
        assert_eq!(
            error("r1: {device_type: cisco_ios, host: a}\ncisco: [r1, r2]\n"),
            ".netmiko.yml:2:13: cisco: \"r2\" is not a device of this file"
        );
        assert_eq!(
            error("r1: {device_type: cisco_ios, host: a, port: 0}\n"),
            ".netmiko.yml:1:45: port: 0 is not a valid port (1-65535)"
        );
        assert_eq!(
            error("__meta__: {encryption: true}\nr1: {device_type: cisco_ios, host: a}\n"),
            ".netmiko.yml:1:24: encryption: netrun does not decrypt Netmiko's encrypted fields: \
             give the secrets as ${VAR} from the environment instead"
        );
        assert_eq!(
            error("r1: {device_type: cisco_ios, host: a}\nr2: 3\n"),
            ".netmiko.yml:2:5: r2: expected a device (a map) or a group (a list of names), found an integer"
        );
    }
}

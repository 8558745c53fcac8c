//! `--limit`, with Ansible `--limit`'s meaning: each value is a term, several terms select the
//! union, in inventory order; a term that is only exclusions (`!R1`, `!group:lab`) removes hosts
//! from that union (from every host, when no term selects). Within a term, `&` intersects atoms:
//! `group:core&R1*`, `group:core&!R10`. An atom is a host name or glob (`R1*`, `core-?`,
//! `edge-[12]`), `group:NAME` (a glob too), `KEY=VALUE` (the host's inventory data, the value a
//! glob; numbers and booleans compare as written), or `@FILE` (the host names in FILE, one a line,
//! as `--failed-out` writes them; `#` comments and blank lines skipped). An atom that matches no
//! host, and limits that together select nothing, are errors, because they are almost always a
//! typo.

use std::path::PathBuf;

use glob::Pattern;

use crate::job::Host;

use super::error::LimitError;

/// How many names a "matches no host" message shows before "...".
const NAMES_SHOWN: usize = 8;

/// The hosts `limits` select, in their original order; all hosts when there are no limits.
pub fn filter(hosts: Vec<Host>, limits: &[String]) -> Result<Vec<Host>, LimitError> {
    if limits.is_empty() {
        return Ok(hosts);
    }
    let terms: Vec<Term> = limits
        .iter()
        .map(|l| Term::parse(l))
        .collect::<Result<_, _>>()?;
    for atom in terms.iter().flat_map(|t| &t.atoms) {
        atom.check_known(&hosts)?;
    }
    let (excluding, selecting): (Vec<&Term>, Vec<&Term>) = terms
        .iter()
        .partition(|t| t.atoms.iter().all(|a| a.negated));
    let selected: Vec<Host> = hosts
        .into_iter()
        .filter(|host| {
            (selecting.is_empty() || selecting.iter().any(|t| t.matches(host)))
                && !excluding
                    .iter()
                    .any(|t| t.atoms.iter().any(|a| a.target.matches(host)))
        })
        .collect();
    if selected.is_empty() {
        return Err(LimitError::NothingSelected {
            limits: limits.join(" "),
        });
    }
    Ok(selected)
}

/// One `--limit` value: atoms that must all match.
struct Term {
    atoms: Vec<Atom>,
}

/// `!`? then a name glob, `group:GLOB`, `KEY=GLOB` or `@FILE`.
struct Atom {
    text: String,
    negated: bool,
    target: Target,
}

enum Target {
    Name(Pattern),
    Group(Pattern),
    Data {
        key: String,
        value: Pattern,
    },
    Names {
        file: PathBuf,
        names: Vec<(usize, String)>,
    },
}

impl Term {
    fn parse(text: &str) -> Result<Term, LimitError> {
        let atoms = text.split('&').map(Atom::parse).collect::<Result<_, _>>()?;
        Ok(Term { atoms })
    }

    fn matches(&self, host: &Host) -> bool {
        self.atoms
            .iter()
            .all(|a| a.target.matches(host) != a.negated)
    }
}

impl Atom {
    fn parse(text: &str) -> Result<Atom, LimitError> {
        let (negated, body) = match text.strip_prefix('!') {
            Some(body) => (true, body),
            None => (false, text),
        };
        let bad = |reason: &str| LimitError::BadPattern {
            limit: text.to_string(),
            reason: reason.to_string(),
        };
        let glob = |pattern: &str| {
            if pattern.is_empty() {
                return Err(bad("empty"));
            }
            Pattern::new(pattern).map_err(|e| bad(e.msg))
        };
        let target = if let Some(file) = body.strip_prefix('@') {
            names_file(text, file)?
        } else if let Some(group) = body.strip_prefix("group:") {
            Target::Group(glob(group)?)
        } else if let Some((key, value)) = body.split_once('=') {
            if key.is_empty() {
                return Err(bad("no data key before `=`"));
            }
            Target::Data {
                key: key.to_string(),
                value: glob(value)?,
            }
        } else {
            Target::Name(glob(body)?)
        };
        Ok(Atom {
            text: text.to_string(),
            negated,
            target,
        })
    }

    /// Fails on an atom that matches no host of the inventory (a typo), naming what it has.
    fn check_known(&self, hosts: &[Host]) -> Result<(), LimitError> {
        if let Target::Names { file, names } = &self.target {
            return match names
                .iter()
                .find(|(_, n)| !hosts.iter().any(|h| &h.name == n))
            {
                Some((line, name)) => Err(LimitError::UnknownName {
                    file: file.clone(),
                    line: *line,
                    name: name.clone(),
                }),
                None => Ok(()),
            };
        }
        if hosts.iter().any(|h| self.target.matches(h)) {
            return Ok(());
        }
        Err(LimitError::NoMatch {
            limit: self.text.clone(),
            known: known_names(&self.target, hosts),
        })
    }
}

/// The names in a `@FILE` limit, each with its line number.
fn names_file(limit: &str, file: &str) -> Result<Target, LimitError> {
    let path = PathBuf::from(file);
    let text = std::fs::read_to_string(&path).map_err(|e| LimitError::NamesFile {
        limit: limit.to_string(),
        reason: e.to_string(),
    })?;
    let names: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(n, line)| (n, line.to_string()))
        .collect();
    if names.is_empty() {
        return Err(LimitError::NamesFile {
            limit: limit.to_string(),
            reason: "it names no host".to_string(),
        });
    }
    Ok(Target::Names { file: path, names })
}

impl Target {
    fn matches(&self, host: &Host) -> bool {
        match self {
            Target::Name(pattern) => pattern.matches(&host.name),
            Target::Group(pattern) => host.groups.iter().any(|g| pattern.matches(g)),
            Target::Data { key, value } => host.data.get(key).is_some_and(|v| match v {
                serde_json::Value::String(s) => value.matches(s),
                serde_json::Value::Null
                | serde_json::Value::Array(_)
                | serde_json::Value::Object(_) => false,
                other => value.matches(&other.to_string()),
            }),
            Target::Names { names, .. } => names.iter().any(|(_, n)| n == &host.name),
        }
    }
}

/// What the inventory has, for an atom that matched nothing: host names, group names for a
/// `group:` atom, or the values of the key for a data atom.
fn known_names(target: &Target, hosts: &[Host]) -> String {
    let (what, mut names): (String, Vec<String>) = match target {
        Target::Name(_) | Target::Names { .. } => (
            "hosts".to_string(),
            hosts.iter().map(|h| h.name.clone()).collect(),
        ),
        Target::Group(_) => (
            "groups".to_string(),
            hosts
                .iter()
                .flat_map(|h| h.groups.iter().cloned())
                .collect(),
        ),
        Target::Data { key, .. } => (
            format!("values of {key}"),
            hosts
                .iter()
                .filter_map(|h| h.data.get(key))
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
    };
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return format!("it has no {what}");
    }
    let more = names.len().saturating_sub(NAMES_SHOWN);
    names.truncate(NAMES_SHOWN);
    let mut text = format!("{what}: {}", names.join(", "));
    if more > 0 {
        text.push_str(&format!(", ... ({more} more)"));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::job::{Secret, TransportKind};

    fn host(name: &str, groups: &[&str]) -> Host {
        Host {
            name: name.to_string(),
            host: "127.0.0.1".to_string(),
            port: 22,
            transport: TransportKind::Ssh,
            platform: "cisco_ios".to_string(),
            platform_error: None,
            username: String::new(),
            password: Secret::default(),
            secret: None,
            timeout: Duration::from_secs(1),
            limits: crate::job::Limits::default(),
            ssh_legacy: false,
            key_file: None,
            key_passphrase: None,
            host_keys: Default::default(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            data: BTreeMap::new(),
            reach: Default::default(),
        }
    }

    fn lab() -> Vec<Host> {
        let mut hosts = vec![
            host("R1", &["core"]),
            host("R2", &["edge"]),
            host("R10", &["core", "dc1"]),
            host("core-a", &[]),
            host("core-bb", &["dc1"]),
        ];
        for (host, site) in hosts.iter_mut().zip(["ams", "ams", "fra"]) {
            host.data.insert("site".into(), site.into());
        }
        hosts[0].data.insert("rack".into(), 7.into());
        hosts
    }

    fn names(limits: &[&str]) -> Vec<String> {
        let limits: Vec<String> = limits.iter().map(|l| l.to_string()).collect();
        filter(lab(), &limits)
            .expect("matches")
            .into_iter()
            .map(|h| h.name)
            .collect()
    }

    fn error(limits: &[&str]) -> LimitError {
        let limits: Vec<String> = limits.iter().map(|l| l.to_string()).collect();
        filter(lab(), &limits).expect_err("should not match")
    }

    #[test]
    fn no_limit_keeps_everything() {
        assert_eq!(names(&[]), ["R1", "R2", "R10", "core-a", "core-bb"]);
    }

    #[test]
    fn names_and_globs() {
        assert_eq!(names(&["R2"]), ["R2"]);
        assert_eq!(names(&["R1*"]), ["R1", "R10"]);
        assert_eq!(names(&["core-?"]), ["core-a"]);
        assert_eq!(names(&["R[12]"]), ["R1", "R2"]);
    }

    #[test]
    fn groups() {
        assert_eq!(names(&["group:core"]), ["R1", "R10"]);
        assert_eq!(names(&["group:d*"]), ["R10", "core-bb"]);
    }

    #[test]
    fn several_limits_are_a_union_in_inventory_order() {
        assert_eq!(
            names(&["core-bb", "group:edge", "R1", "R1*"]),
            ["R1", "R2", "R10", "core-bb"]
        );
    }

    #[test]
    fn a_limit_matching_nothing_is_named() {
        assert_eq!(
            error(&["R1", "R3"]),
            LimitError::NoMatch {
                limit: "R3".into(),
                known: "hosts: R1, R10, R2, core-a, core-bb".into()
            }
        );
        assert_eq!(
            error(&["group:spine"]).to_string(),
            "--limit \"group:spine\" matches no host in the inventory (groups: core, dc1, edge)"
        );
    }

    #[test]
    fn exclusions_remove_from_the_union_or_from_everything() {
        assert_eq!(names(&["!R1"]), ["R2", "R10", "core-a", "core-bb"]);
        assert_eq!(names(&["!group:core"]), ["R2", "core-a", "core-bb"]);
        assert_eq!(names(&["R*", "!R1"]), ["R2", "R10"]);
        assert_eq!(names(&["!R1", "!R2"]), ["R10", "core-a", "core-bb"]);
    }

    #[test]
    fn intersections_within_one_term() {
        assert_eq!(names(&["group:core&R1*"]), ["R1", "R10"]);
        assert_eq!(names(&["group:core&!R10"]), ["R1"]);
        assert_eq!(names(&["group:dc1&core-*", "R2"]), ["R2", "core-bb"]);
        assert_eq!(
            error(&["group:edge&group:dc1"]).to_string(),
            "--limit group:edge&group:dc1: together they select no host"
        );
    }

    #[test]
    fn data_values() {
        assert_eq!(names(&["site=ams"]), ["R1", "R2"]);
        assert_eq!(names(&["site=*a*"]), ["R1", "R2", "R10"]);
        assert_eq!(names(&["rack=7"]), ["R1"]);
        assert_eq!(names(&["!site=ams"]), ["R10", "core-a", "core-bb"]);
        assert_eq!(
            error(&["site=lon"]).to_string(),
            "--limit \"site=lon\" matches no host in the inventory (values of site: ams, fra)"
        );
    }

    #[test]
    fn names_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("failed.txt");
        std::fs::write(&file, "# failed\nR10\n\nR2\n").unwrap();
        let at = format!("@{}", file.display());
        assert_eq!(names(&[&at]), ["R2", "R10"]);
        assert_eq!(names(&[&format!("!{at}")]), ["R1", "core-a", "core-bb"]);
        std::fs::write(&file, "R2\nR3\n").unwrap();
        assert_eq!(
            error(&[&at]),
            LimitError::UnknownName {
                file: file.clone(),
                line: 2,
                name: "R3".into()
            }
        );
        std::fs::write(&file, "# none\n").unwrap();
        assert!(
            matches!(error(&[&at]), LimitError::NamesFile { reason, .. } if reason == "it names no host")
        );
        assert!(matches!(
            error(&["@/nonexistent/x"]),
            LimitError::NamesFile { .. }
        ));
    }

    #[test]
    fn bad_patterns() {
        assert!(matches!(error(&["R[1"]), LimitError::BadPattern { limit, .. } if limit == "R[1"));
        assert!(
            matches!(error(&["group:"]), LimitError::BadPattern { limit, .. } if limit == "group:")
        );
    }

    #[test]
    fn long_host_lists_are_shortened() {
        let many: Vec<Host> = (1..=20).map(|i| host(&format!("D{i:02}"), &[])).collect();
        let err = filter(many, &["X".to_string()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--limit \"X\" matches no host in the inventory \
             (hosts: D01, D02, D03, D04, D05, D06, D07, D08, ... (12 more))"
        );
    }
}

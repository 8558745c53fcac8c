//! `--limit`: pick hosts by name, glob (`R1*`, `core-?`, `edge-[12]`) or `group:NAME` (the group
//! name may be a glob too). Several limits select the union, in inventory order. A limit that
//! selects nothing is an error, because it is almost always a typo.

use glob::Pattern;

use crate::job::Host;

use super::error::LimitError;

/// How many names a "matches no host" message shows before "...".
const NAMES_SHOWN: usize = 8;

/// The hosts selected by any of `limits`, in their original order; all hosts when there are no
/// limits.
pub fn filter(hosts: Vec<Host>, limits: &[String]) -> Result<Vec<Host>, LimitError> {
    if limits.is_empty() {
        return Ok(hosts);
    }
    let limits: Vec<Limit> = limits
        .iter()
        .map(|l| Limit::parse(l))
        .collect::<Result<_, _>>()?;
    let mut used = vec![false; limits.len()];
    let mut selected = Vec::with_capacity(hosts.len());
    let mut rest = Vec::new();
    for host in hosts {
        let mut keep = false;
        for (limit, used) in limits.iter().zip(used.iter_mut()) {
            if limit.matches(&host) {
                *used = true;
                keep = true;
            }
        }
        if keep {
            selected.push(host);
        } else {
            rest.push(host);
        }
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        return Err(LimitError::NoMatch {
            limit: limits[unused].text.clone(),
            known: known_names(&limits[unused], &selected, &rest),
        });
    }
    Ok(selected)
}

/// One `--limit` value.
struct Limit {
    text: String,
    target: Target,
}

enum Target {
    Name(Pattern),
    Group(Pattern),
}

impl Limit {
    fn parse(text: &str) -> Result<Limit, LimitError> {
        let (pattern, group) = match text.strip_prefix("group:") {
            Some(group) => (group, true),
            None => (text, false),
        };
        if pattern.is_empty() {
            return Err(LimitError::BadPattern {
                limit: text.to_string(),
                reason: "empty".to_string(),
            });
        }
        let pattern = Pattern::new(pattern).map_err(|e| LimitError::BadPattern {
            limit: text.to_string(),
            reason: e.msg.to_string(),
        })?;
        Ok(Limit {
            text: text.to_string(),
            target: if group {
                Target::Group(pattern)
            } else {
                Target::Name(pattern)
            },
        })
    }

    fn matches(&self, host: &Host) -> bool {
        match &self.target {
            Target::Name(pattern) => pattern.matches(&host.name),
            Target::Group(pattern) => host.groups.iter().any(|g| pattern.matches(g)),
        }
    }
}

/// What the inventory has, for a limit that matched nothing: host names, or group names for a
/// `group:` limit.
fn known_names(limit: &Limit, selected: &[Host], rest: &[Host]) -> String {
    let hosts = selected.iter().chain(rest);
    let (what, mut names): (&str, Vec<&str>) = match limit.target {
        Target::Name(_) => ("hosts", hosts.map(|h| h.name.as_str()).collect()),
        Target::Group(_) => (
            "groups",
            hosts
                .flat_map(|h| h.groups.iter().map(String::as_str))
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
        vec![
            host("R1", &["core"]),
            host("R2", &["edge"]),
            host("R10", &["core", "dc1"]),
            host("core-a", &[]),
            host("core-bb", &["dc1"]),
        ]
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

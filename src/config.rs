//! Config pushes, before any connection: where the lines come from (`-c`, a file, or a Jinja
//! template rendered per host with its inventory data), the `--dry-run` rendering, and the
//! `--diff` of running-configs read before and after. A template error stops the run before any
//! socket is opened.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use similar::TextDiff;

use crate::dialogue::mask::Mask;
use crate::dialogue::platform;
use crate::job::{Host, Secret};

/// Where a push's lines come from.
#[derive(Debug, Clone)]
pub enum LineSource {
    /// Repeated `-c LINE`.
    Lines(Vec<String>),
    /// A file, one line per line; `!` comments and blank lines skipped.
    File(PathBuf),
    /// A Jinja template rendered per host.
    Template(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message} (rendering for host {host})")]
    Template {
        path: String,
        line: usize,
        host: String,
        message: String,
    },
    #[error("no config lines: give -c LINE, -f FILE or -t TEMPLATE{0}")]
    Empty(String),
}

/// The lines for each host, in `hosts` order.
pub fn lines_per_host(
    source: &LineSource,
    hosts: &[Host],
) -> Result<Vec<Vec<String>>, ConfigError> {
    let per_host = match source {
        LineSource::Lines(lines) => vec![clean_lines(&lines.join("\n")); hosts.len()],
        LineSource::File(path) => vec![clean_lines(&read(path)?); hosts.len()],
        LineSource::Template(path) => render_template(path, &read(path)?, hosts)?,
    };
    if let Some((i, _)) = per_host.iter().enumerate().find(|(_, l)| l.is_empty()) {
        let whose = match source {
            LineSource::Template(_) => {
                format!(" (the template renders nothing for {})", hosts[i].name)
            }
            _ => String::new(),
        };
        return Err(ConfigError::Empty(whose));
    }
    Ok(per_host)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// One config line per text line, trimmed; blank lines and `!` comments dropped.
pub fn clean_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('!'))
        .map(str::to_string)
        .collect()
}

/// What a template sees for a host: `name`, `host`, `port`, `platform`, `groups`, `data`, and
/// every other key of `data` at the top level too (so `{{ ntp_server }}` and `{{
/// data.ntp_server }}` both work). The host's own fields win: a data key named like one is
/// reached as `data.X` only, never in its place.
#[derive(Serialize)]
struct TemplateContext<'a> {
    name: &'a str,
    host: &'a str,
    port: u16,
    platform: &'a str,
    groups: &'a [String],
    data: &'a std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(flatten)]
    flat: std::collections::BTreeMap<&'a str, &'a serde_json::Value>,
}

/// The host fields a template sees by name, which data keys must not shadow.
const HOST_FIELDS: [&str; 6] = ["name", "host", "port", "platform", "groups", "data"];

fn render_template(
    path: &Path,
    source: &str,
    hosts: &[Host],
) -> Result<Vec<Vec<String>>, ConfigError> {
    let shown = path.display().to_string();
    let mut env = Environment::new();
    // A missing variable must be an error, not an empty string pushed to a router.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    let error = |host: &str, err: minijinja::Error| ConfigError::Template {
        path: shown.clone(),
        line: err.line().unwrap_or(0),
        host: host.to_string(),
        message: match err.detail() {
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        },
    };
    let first = hosts.first().map(|h| h.name.as_str()).unwrap_or("-");
    env.add_template("config", source)
        .map_err(|err| error(first, err))?;
    let template = env
        .get_template("config")
        .map_err(|err| error(first, err))?;
    hosts
        .iter()
        .map(|h| {
            let context = TemplateContext {
                name: &h.name,
                host: &h.host,
                port: h.port,
                platform: &h.platform,
                groups: &h.groups,
                data: &h.data,
                flat: h
                    .data
                    .iter()
                    .filter(|(key, _)| !HOST_FIELDS.contains(&key.as_str()))
                    .map(|(key, value)| (key.as_str(), value))
                    .collect(),
            };
            template
                .render(context)
                .map(|text| clean_lines(&text))
                .map_err(|err| error(&h.name, err))
        })
        .collect()
}

/// The `--dry-run` text for one host: the lines as the device would echo them in config mode
/// (the platform's config prompt), then its commit where it has one, with the host's secrets
/// masked as in every report.
pub fn dry_run_text(host: &Host, lines: &[String]) -> String {
    let secrets: Vec<Secret> = host.secret_values().into_iter().map(Secret::new).collect();
    let mask = Mask::new(&secrets);
    let mut text = format!(
        "{} ({}:{}): {} lines\n",
        host.name,
        host.host,
        host.port,
        lines.len()
    );
    let Some(profile) = platform::profile(&host.platform) else {
        text.push_str(&format!(
            "(not pushed: unknown platform {:?})\n\n",
            host.platform
        ));
        return text;
    };
    let prompt = format!("{}{}", host.name, profile.config.prompt_example);
    for line in lines {
        text.push_str(&format!("{prompt}{}\n", mask.text(line)));
    }
    if let Some(commit) = &profile.config.commit {
        text.push_str(&format!("{prompt}{}\n", commit.command));
    }
    text.push('\n');
    text
}

/// A unified diff of two running-configs (already stripped of the lines a device changes on
/// every read, by the dialogue's profile). Empty when nothing changed.
pub fn config_diff(name: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} before"), &format!("{name} after"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Secret, TransportKind};
    use std::time::Duration;

    fn host(name: &str, data: &[(&str, &str)]) -> Host {
        Host {
            name: name.into(),
            host: "127.0.0.1".into(),
            port: 10022,
            transport: TransportKind::Ssh,
            platform: "cisco_ios".into(),
            platform_error: None,
            username: "cisco".into(),
            password: Secret::new("cisco"),
            secret: None,
            timeout: Duration::from_secs(5),
            limits: crate::job::Limits::default(),
            ssh_legacy: false,
            key_file: None,
            key_passphrase: None,
            host_keys: Default::default(),
            groups: vec!["core".into()],
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                .collect(),
            reach: Default::default(),
        }
    }

    #[test]
    fn files_skip_comments_and_blank_lines() {
        assert_eq!(
            clean_lines(
                "!\nlogging 10.5.5.5\n\n  ! a comment\ninterface Loopback0\n description x  \n"
            ),
            vec!["logging 10.5.5.5", "interface Loopback0", "description x"]
        );
    }

    #[test]
    fn data_keys_named_like_host_fields_never_shadow_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shadow.j2");
        std::fs::write(
            &path,
            "hostname {{ name }}\nlogging {{ host }}\ndescription {{ platform }} {{ data.host }} {{ data.name }} {{ data.platform }}\n",
        )
        .unwrap();
        let hosts = [host(
            "R1",
            &[
                ("host", "10.9.9.9"),
                ("name", "other"),
                ("platform", "junos"),
            ],
        )];
        let lines = lines_per_host(&LineSource::Template(path), &hosts).unwrap();
        assert_eq!(
            lines,
            vec![vec![
                "hostname R1",
                "logging 127.0.0.1",
                "description cisco_ios 10.9.9.9 other junos"
            ]]
        );
    }

    #[test]
    fn templates_render_per_host_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ntp.j2");
        std::fs::write(
            &path,
            "hostname {{ name }}-lab\nntp server {{ ntp }}\n{% for g in groups %}! {{ g }}\n{% endfor %}logging {{ data.log }}\n",
        )
        .unwrap();
        let hosts = [
            host("R1", &[("ntp", "10.0.0.1"), ("log", "10.5.5.5")]),
            host("R2", &[("ntp", "10.0.0.2"), ("log", "10.5.5.6")]),
        ];
        let lines = lines_per_host(&LineSource::Template(path), &hosts).unwrap();
        assert_eq!(
            lines,
            vec![
                vec!["hostname R1-lab", "ntp server 10.0.0.1", "logging 10.5.5.5"],
                vec!["hostname R2-lab", "ntp server 10.0.0.2", "logging 10.5.5.6"],
            ]
        );
    }

    #[test]
    fn a_missing_variable_names_the_template_line_and_host() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.j2");
        std::fs::write(&path, "logging 10.5.5.5\nntp server {{ ntp }}\n").unwrap();
        let hosts = [host("R1", &[("ntp", "10.0.0.1")]), host("R2", &[])];
        let err = lines_per_host(&LineSource::Template(path.clone()), &hosts)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(&format!("{}:2: ", path.display())), "{err}");
        assert!(err.contains("host R2"), "{err}");
    }

    #[test]
    fn no_lines_is_an_error() {
        let err = lines_per_host(
            &LineSource::Lines(vec!["! only a comment".into()]),
            &[host("R1", &[])],
        );
        assert!(matches!(err, Err(ConfigError::Empty(_))));
    }

    #[test]
    fn dry_run_shows_what_the_device_would_echo() {
        let text = dry_run_text(&host("R1", &[]), &["logging 10.5.5.5".into()]);
        assert_eq!(
            text,
            "R1 (127.0.0.1:10022): 1 lines\nR1(config)#logging 10.5.5.5\n\n"
        );
        let junos = Host {
            platform: "juniper_junos".into(),
            ..host("vmx1", &[])
        };
        assert_eq!(
            dry_run_text(&junos, &["set system ntp server 10.0.0.1".into()]),
            "vmx1 (127.0.0.1:10022): 1 lines\nvmx1# set system ntp server 10.0.0.1\nvmx1# commit\n\n"
        );
    }

    #[test]
    fn dry_run_masks_the_hosts_secrets() {
        let mut r1 = host("R1", &[]);
        r1.password = Secret::new("S3cret");
        let text = dry_run_text(&r1, &["snmp-server community S3cret RO".into()]);
        assert_eq!(
            text,
            "R1 (127.0.0.1:10022): 1 lines\nR1(config)#snmp-server community *** RO\n\n"
        );
    }

    #[test]
    fn diff_shows_exactly_the_changed_lines() {
        let before = "!\nhostname R1\n!\nline vty 0 4\n login local\n!\nend\n";
        let after =
            "!\nhostname R1\n!\nlogging host 10.5.5.5\nline vty 0 4\n login local\n!\nend\n";
        let diff = config_diff("R1", before, after);
        let changed: Vec<&str> = diff
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .collect();
        assert_eq!(changed, vec!["+logging host 10.5.5.5"]);
        assert!(diff.starts_with("--- R1 before\n+++ R1 after\n"), "{diff}");
        assert_eq!(config_diff("R1", before, before), "");
    }
}

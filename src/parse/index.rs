//! The ntc-templates `index` file: which template(s) parse a command's output on a platform.
//!
//! Read the way TextFSM's `clitable` reads it (ntc_templates.parse calls it): the first
//! non-comment line names the columns; each later line that does not start with `#` and has as
//! many comma-separated fields as the header is a row (others are dropped, as clitable drops
//! them); `[[xyz]]` in the Command column is completion, `(x(y(z)?)?)?`, so `sh ip int br`
//! finds `sh[[ow]] ip int[[erface]] br[[ief]]`; every other field is a regular expression that
//! must match at the start of the attribute (Python's `re.match`). The first row whose Platform
//! and Command match wins; its Template field lists one template or several joined by `:`.
//!
//! Every field is checked when the index is read, but a Command regex is compiled only when a
//! lookup reaches its row on a matching platform: compiling all ~1,000 of ntc-templates' took
//! 80 ms and 28 MiB per process, for the handful of rows a run uses.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, Context, Result};
use fancy_regex::Regex;

/// A parsed index: its rows, in file order.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    templates: Vec<String>,
    platform: Option<Pattern>,
    command: Option<Pattern>,
}

/// A field's regex (checked), compiled on its first use.
#[derive(Debug)]
struct Pattern {
    /// Anchored at the start: `^(?:FIELD)`.
    text: String,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// The pattern, or why it is not a regex.
    fn checked(text: String) -> Result<Pattern, String> {
        fancy_regex::Expr::parse_tree(&text).map_err(|err| err.to_string())?;
        Ok(Pattern {
            text,
            compiled: OnceLock::new(),
        })
    }

    /// An empty field matches anything (clitable skips it); a regex must match at the start.
    /// A pattern that parsed but does not compile matches nothing.
    fn matches(pattern: Option<&Pattern>, attribute: &str) -> bool {
        let Some(pattern) = pattern else {
            return true;
        };
        pattern
            .compiled
            .get_or_init(|| Regex::new(&pattern.text).ok())
            .as_ref()
            .is_some_and(|regex| regex.is_match(attribute).unwrap_or(false))
    }
}

impl Index {
    /// Read `DIR/index`; a missing file, a header without a Template column or a field that is
    /// not a regular expression is an error naming the file, line and column.
    pub fn load(dir: &Path) -> Result<Index> {
        let path = dir.join("index");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the TextFSM index {}", path.display()))?;
        let rows = parse(&text).map_err(|err| anyhow!("{}:{err}", path.display()))?;
        Ok(Index { path, rows })
    }

    /// The template file names for `command` on `platform`; `None` when no row matches.
    pub fn lookup(&self, platform: &str, command: &str) -> Option<&[String]> {
        self.rows
            .iter()
            .find(|row| {
                Pattern::matches(row.platform.as_ref(), platform)
                    && Pattern::matches(row.command.as_ref(), command)
            })
            .map(|row| row.templates.as_slice())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The rows of an index's text; errors start with `LINE: `.
fn parse(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text.lines().enumerate().map(|(n, line)| (n + 1, line));
    let header: Vec<String> = lines
        .by_ref()
        .map(|(_, line)| line.split('#').next().unwrap_or("").trim())
        .find(|line| !line.is_empty())
        .ok_or("1: the index has no header line")?
        .split(',')
        .map(|column| column.trim().to_string())
        .collect();
    let column = |name: &str| header.iter().position(|c| c == name);
    let template = column("Template").ok_or("the header has no 'Template' column")?;
    let (platform, command) = (column("Platform"), column("Command"));
    let mut rows = Vec::new();
    for (number, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if line.starts_with('#') || fields.len() != header.len() {
            continue;
        }
        let compile = |at: Option<usize>, field: &str, expand: bool| {
            let Some(text) = at.map(|i| fields[i]).filter(|t| !t.is_empty()) else {
                return Ok(None);
            };
            let pattern = if expand {
                completion(text)
            } else {
                text.to_string()
            };
            Pattern::checked(format!("^(?:{pattern})"))
                .map(Some)
                .map_err(|err| format!("{number}: field {field} '{text}' is not a regex: {err}"))
        };
        rows.push(Row {
            templates: fields[template].split(':').map(str::to_string).collect(),
            platform: compile(platform, "Platform", false)?,
            command: compile(command, "Command", true)?,
        });
    }
    Ok(rows)
}

/// `sh[[ow]]` → `sh(o(w)?)?`: clitable's completion, each `[[...]]` (shortest match) replaced.
fn completion(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some((before, word, after)) = completion_word(rest) {
        out.push_str(before);
        let letters: Vec<String> = word.chars().map(String::from).collect();
        out.push('(');
        out.push_str(&letters.join("("));
        out.push_str(&")?".repeat(letters.len()));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The text before the first `[[word]]` (word at least one character, as `\[\[.+?\]\]`
/// needs), the word, and the text after it.
fn completion_word(text: &str) -> Option<(&str, &str, &str)> {
    let start = text.find("[[")?;
    let inside = &text[start + 2..];
    let first = inside.chars().next()?.len_utf8();
    let end = first + inside[first..].find("]]")?;
    Some((&text[..start], &inside[..end], &inside[end + 2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "# comment\n\
        \n\
        Template, Hostname, Platform, Command\n\
        \n\
        cisco_ios_show_ip_interface_brief.textfsm, .*, cisco_ios, sh[[ow]] ip int[[erface]] br[[ief]]\n\
        cisco_ios_show_interfaces.textfsm, .*, cisco_ios, sh[[ow]] int[[erfaces]]\n\
        a.textfsm:b.textfsm, .*, cisco_ios, sh[[ow]] mod[[ule]]\n\
        dropped.textfsm, .*, cisco_ios, a, b\n\
        cisco_nxos_show_ip_interface_brief.textfsm, .*, cisco_nxos, sh[[ow]] ip int[[erface]] b[[rief]](?: vrf \\S+)?\\s*$\n";

    #[test]
    fn completion_is_clitables() {
        assert_eq!(completion("sh[[ow]]"), "sh(o(w)?)?");
        assert_eq!(
            completion("sh[[ow]] ip int[[erface]]"),
            "sh(o(w)?)? ip int(e(r(f(a(c(e)?)?)?)?)?)?"
        );
        assert_eq!(completion("show clock"), "show clock");
    }

    #[test]
    fn abbreviations_find_the_template_and_the_first_row_wins() {
        let rows = parse(INDEX).unwrap();
        let index = Index {
            path: PathBuf::from("index"),
            rows,
        };
        let find = |platform, command| index.lookup(platform, command).map(|t| t.join(":"));
        assert_eq!(
            find("cisco_ios", "sh ip int br").as_deref(),
            Some("cisco_ios_show_ip_interface_brief.textfsm")
        );
        assert_eq!(
            find("cisco_ios", "show interfaces").as_deref(),
            Some("cisco_ios_show_interfaces.textfsm")
        );
        assert_eq!(
            find("cisco_ios", "sh mod").as_deref(),
            Some("a.textfsm:b.textfsm")
        );
        assert_eq!(
            find("cisco_nxos", "show ip int brief vrf all").as_deref(),
            Some("cisco_nxos_show_ip_interface_brief.textfsm")
        );
        assert_eq!(find("cisco_nxos", "show ip int brief x"), None);
        assert_eq!(find("cisco_ios", "show clock"), None);
        assert_eq!(find("arista_eos", "show ip int br"), None);
    }

    #[test]
    fn a_bad_regex_names_the_line_and_the_field() {
        let err = parse("Template, Platform, Command\nx.textfsm, cisco_ios, show (\n").unwrap_err();
        assert!(
            err.starts_with("2: field Command 'show (' is not a regex"),
            "{err}"
        );
        let err = parse("Platform, Command\n").unwrap_err();
        assert_eq!(err, "the header has no 'Template' column");
    }
}

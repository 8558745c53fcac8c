//! An Ansible INI inventory read into the tree an Ansible YAML inventory has (a map of groups,
//! each with `hosts`, `vars` and `children`), with every node's line and column, so that
//! `ansible` resolves both formats the same way and errors name FILE:LINE:COL.
//!
//! As Ansible's `ini` plugin: lines before any section are hosts of `ungrouped`; `[g]` lists
//! hosts (`name[:port] key=value ...`, split as a shell would, `#` starting a comment),
//! `[g:vars]` one `key=value` a line, `[g:children]` group names; `;` and `#` lines are
//! comments. Values are read as Python literals (`2222` a number, `'x'` a string, `True`)
//! where they are ones, else kept as written. A `[g:vars]` or child group that no `[g]` or
//! `[g:children]` section declares is an error, as in Ansible.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::error::InventoryError;
use super::yaml::{Document, Node, Step};

/// Positions of nodes by path.
type Positions = HashMap<Vec<Step>, (usize, usize)>;

/// One group's sections, merged in file order.
#[derive(Default)]
struct Section {
    hosts: Vec<(String, Node)>,
    vars: Vec<(String, Node)>,
    children: Vec<(String, Node)>,
}

/// What the parser has read so far.
struct Reader<'f> {
    file: &'f Path,
    groups: Vec<(String, Section)>,
    index: HashMap<String, usize>,
    positions: Positions,
    /// Groups declared by a `[g]` or `[g:children]` header.
    declared: HashSet<String>,
    /// `[g:vars]` headers and child names, for the check that their groups are declared.
    referenced: Vec<(String, usize, usize, String)>,
}

/// Read the INI file at `path` as a document.
pub(crate) fn read(path: &Path) -> Result<Document, InventoryError> {
    let text = std::fs::read_to_string(path).map_err(|e| InventoryError::read(path, e))?;
    let mut reader = Reader {
        file: path,
        groups: Vec::new(),
        index: HashMap::new(),
        positions: Positions::new(),
        declared: HashSet::from(["all".to_string(), "ungrouped".to_string()]),
        referenced: Vec::new(),
    };
    let mut group = "ungrouped".to_string();
    let mut state = State::Hosts;
    for (number, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line_no = number + 1;
        let indent = raw.len() - raw.trim_start().len();
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let column = raw[..indent].chars().count() + 1;
        if let Some(header) = section_header(line) {
            let (name, kind) = header.map_err(|m| reader.error(line_no, column, None, m))?;
            state = kind;
            group = name.to_string();
            reader.group(&group, line_no, column + 1);
            match state {
                State::Vars => reader.referenced.push((
                    group.clone(),
                    line_no,
                    column + 1,
                    format!("section [{group}:vars] is for a group no section declares"),
                )),
                State::Hosts | State::Children => {
                    reader.declared.insert(group.clone());
                }
            }
            continue;
        }
        match state {
            State::Hosts => reader.host_line(&group, raw, line_no)?,
            State::Vars => reader.var_line(&group, raw, line, line_no, column)?,
            State::Children => {
                let child = line.split('#').next().unwrap_or("").trim();
                if child.is_empty() || child.contains([':', ']']) || child.contains(' ') {
                    return Err(reader.error(
                        line_no,
                        column,
                        None,
                        format!("expected a group name, found {line:?}"),
                    ));
                }
                reader.referenced.push((
                    child.to_string(),
                    line_no,
                    column,
                    format!("[{group}:children] includes {child:?}, a group no section declares"),
                ));
                let at = reader.group_path(&group, "children", child);
                reader.positions.entry(at).or_insert((line_no, column));
                reader
                    .section(&group)
                    .children
                    .push((child.to_string(), Node::Null));
            }
        }
    }
    reader.check_declared()?;
    let Reader {
        file,
        groups,
        positions,
        ..
    } = reader;
    let root = Node::Map(
        groups
            .into_iter()
            .map(|(name, section)| {
                let part = |entries: Vec<(String, Node)>| Node::Map(entries);
                let mut map = Vec::new();
                if !section.hosts.is_empty() {
                    map.push(("hosts".to_string(), part(section.hosts)));
                }
                if !section.vars.is_empty() {
                    map.push(("vars".to_string(), part(section.vars)));
                }
                if !section.children.is_empty() {
                    map.push(("children".to_string(), part(section.children)));
                }
                (
                    name,
                    if map.is_empty() {
                        Node::Null
                    } else {
                        Node::Map(map)
                    },
                )
            })
            .collect(),
    );
    Ok(Document::from_positions(file, root, positions))
}

#[derive(Clone, Copy)]
enum State {
    Hosts,
    Vars,
    Children,
}

/// `[name]`, `[name:vars]`, `[name:children]` (a trailing `# comment` allowed): `None` for a
/// line that is no header, an error for one that is a broken or unknown header.
fn section_header(line: &str) -> Option<Result<(&str, State), String>> {
    let body = line.strip_prefix('[')?;
    let (inside, rest) = body.split_once(']')?;
    let rest = rest.trim_start();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return Some(Err(format!(
            "invalid section header {line:?}: nothing may follow `]` but a comment"
        )));
    }
    let (name, kind) = match inside.split_once(':') {
        Some((name, kind)) => (name, Some(kind)),
        None => (inside, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Some(Err(format!(
            "invalid section header {line:?}: a group name without spaces goes between []"
        )));
    }
    let state = match kind {
        None | Some("hosts") => State::Hosts,
        Some("vars") => State::Vars,
        Some("children") => State::Children,
        Some(other) => {
            return Some(Err(format!(
                "section [{inside}] has unknown type {other:?}: expected vars or children"
            )))
        }
    };
    Some(Ok((name, state)))
}

impl Reader<'_> {
    fn error(
        &self,
        line: usize,
        column: usize,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> InventoryError {
        InventoryError::Invalid {
            file: self.file.to_path_buf(),
            line,
            column,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    fn group(&mut self, name: &str, line: usize, column: usize) {
        if !self.index.contains_key(name) {
            self.index.insert(name.to_string(), self.groups.len());
            self.groups.push((name.to_string(), Section::default()));
            self.positions.insert(vec![Step::key(name)], (line, column));
        }
    }

    fn section(&mut self, name: &str) -> &mut Section {
        let index = self.index[name];
        &mut self.groups[index].1
    }

    fn group_path(&self, group: &str, part: &str, key: &str) -> Vec<Step> {
        vec![Step::key(group), Step::key(part), Step::key(key)]
    }

    /// `pattern key=value ...`.
    fn host_line(&mut self, group: &str, raw: &str, line_no: usize) -> Result<(), InventoryError> {
        let words = split_words(raw).map_err(|(column, m)| self.error(line_no, column, None, m))?;
        let Some((pattern, pattern_column)) = words.first().cloned() else {
            return Ok(());
        };
        if pattern == "---" {
            return Err(self.error(
                line_no,
                pattern_column,
                None,
                "`---` starts a YAML document: give a YAML inventory a .yaml or .yml name",
            ));
        }
        self.group(group, line_no, pattern_column);
        let host_path = self.group_path(group, "hosts", &pattern);
        let mut key_path = host_path.clone();
        key_path.pop();
        key_path.push(Step::KeyName(pattern.clone(), 0));
        self.positions
            .entry(host_path.clone())
            .or_insert((line_no, pattern_column));
        self.positions
            .entry(key_path)
            .or_insert((line_no, pattern_column));
        self.positions
            .entry(host_path[..2].to_vec())
            .or_insert((line_no, pattern_column));
        let mut vars = Vec::new();
        for (word, column) in &words[1..] {
            let Some((key, value)) = word.split_once('=') else {
                return Err(self.error(
                    line_no,
                    *column,
                    None,
                    format!("expected key=value after the host name, found {word:?}"),
                ));
            };
            let value_column = column + key.chars().count() + 1;
            let mut var_path = host_path.clone();
            var_path.push(Step::key(key));
            self.positions.insert(var_path, (line_no, value_column));
            let mut name_path = host_path.clone();
            name_path.push(Step::KeyName(key.to_string(), 0));
            self.positions.insert(name_path, (line_no, *column));
            vars.push((key.to_string(), literal(value)));
        }
        let vars = if vars.is_empty() {
            Node::Null
        } else {
            Node::Map(vars)
        };
        self.section(group).hosts.push((pattern, vars));
        Ok(())
    }

    /// `key=value` (everything after the first `=`).
    fn var_line(
        &mut self,
        group: &str,
        raw: &str,
        line: &str,
        line_no: usize,
        column: usize,
    ) -> Result<(), InventoryError> {
        let Some((key, value)) = line.split_once('=') else {
            return Err(self.error(
                line_no,
                column,
                None,
                format!("expected key=value, found {line:?}"),
            ));
        };
        let key = key.trim();
        let value_start = raw.len() - raw.trim_start().len() + line.find('=').unwrap_or(0) + 1;
        let value_column = raw[..value_start].chars().count()
            + 1
            + (raw[value_start..].len() - raw[value_start..].trim_start().len());
        let var_path = self.group_path(group, "vars", key);
        self.positions.insert(var_path, (line_no, value_column));
        let mut name_path = vec![Step::key(group), Step::key("vars")];
        self.positions
            .entry(name_path.clone())
            .or_insert((line_no, column));
        name_path.push(Step::KeyName(key.to_string(), 0));
        self.positions.insert(name_path, (line_no, column));
        self.section(group)
            .vars
            .push((key.to_string(), literal(value.trim())));
        Ok(())
    }

    fn check_declared(&self) -> Result<(), InventoryError> {
        for (group, line, column, message) in &self.referenced {
            if !self.declared.contains(group) {
                return Err(self.error(*line, *column, None, message.clone()));
            }
        }
        Ok(())
    }
}

/// Split a host line into words with their 1-based columns, as Python's `shlex.split(line,
/// comments=True)`: whitespace separates, quotes group (and are removed), a backslash escapes
/// outside single quotes, `#` outside quotes ends the line.
fn split_words(line: &str) -> Result<Vec<(String, usize)>, (usize, String)> {
    let mut words = Vec::new();
    let mut current: Option<(String, usize)> = None;
    let mut quote: Option<(char, usize)> = None;
    let mut chars = line.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let column = i + 1;
        match quote {
            Some((q, _)) if c == q => quote = None,
            Some(('"', _)) if c == '\\' => {
                if let Some((_, next)) = chars.next() {
                    current.get_or_insert((String::new(), column)).0.push(next);
                }
            }
            Some(_) => current.get_or_insert((String::new(), column)).0.push(c),
            None if c.is_whitespace() => words.extend(current.take()),
            None if c == '#' => break,
            None if c == '\'' || c == '"' => {
                current.get_or_insert((String::new(), column));
                quote = Some((c, column));
            }
            None if c == '\\' => {
                if let Some((_, next)) = chars.next() {
                    current.get_or_insert((String::new(), column)).0.push(next);
                }
            }
            None => current.get_or_insert((String::new(), column)).0.push(c),
        }
    }
    if let Some((_, column)) = quote {
        return Err((column, "a quote that is never closed".to_string()));
    }
    words.extend(current);
    Ok(words)
}

/// A value as Python's `ast.literal_eval` reads the simple literals (an integer, a float,
/// `True`/`False`/`None`, a quoted string), a trailing `# comment` allowed; anything else is
/// the text as written.
fn literal(value: &str) -> Node {
    let trimmed = value.trim();
    let (body, rest) = match trimmed.chars().next() {
        Some(q @ ('\'' | '"')) => match trimmed[1..].find(q) {
            Some(end) => (&trimmed[..end + 2], &trimmed[end + 2..]),
            None => return Node::Str(value.to_string()),
        },
        _ => match trimmed.find(char::is_whitespace) {
            Some(end) => (&trimmed[..end], &trimmed[end..]),
            None => (trimmed, ""),
        },
    };
    let rest = rest.trim_start();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return Node::Str(value.to_string());
    }
    match body {
        "True" => return Node::Bool(true),
        "False" => return Node::Bool(false),
        "None" => return Node::Null,
        _ => {}
    }
    if let Some(inner) = body
        .strip_prefix('\'')
        .and_then(|b| b.strip_suffix('\''))
        .or_else(|| body.strip_prefix('"').and_then(|b| b.strip_suffix('"')))
    {
        if body.len() >= 2 && !inner.contains('\\') {
            return Node::Str(inner.to_string());
        }
        return Node::Str(value.to_string());
    }
    let digits = body.strip_prefix('-').unwrap_or(body);
    let leading_zero = digits.len() > 1 && digits.starts_with('0');
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && !leading_zero {
        if let Ok(i) = body.parse::<i128>() {
            return Node::Int(i);
        }
    }
    if digits.contains(['.', 'e', 'E'])
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
    {
        if let Ok(x) = body.parse::<f64>() {
            return Node::Float(x);
        }
    }
    Node::Str(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_python_literals() {
        assert_eq!(literal("2222"), Node::Int(2222));
        assert_eq!(literal("-3"), Node::Int(-3));
        assert_eq!(literal("010"), Node::Str("010".into()));
        assert_eq!(literal("2.5"), Node::Float(2.5));
        assert_eq!(literal("True"), Node::Bool(true));
        assert_eq!(literal("None"), Node::Null);
        assert_eq!(literal("'03#pa'"), Node::Str("03#pa".into()));
        assert_eq!(literal("8080 # port"), Node::Int(8080));
        assert_eq!(literal("ios # comment"), Node::Str("ios # comment".into()));
        assert_eq!(literal("a b"), Node::Str("a b".into()));
        assert_eq!(literal("true"), Node::Str("true".into()));
    }

    #[test]
    fn host_lines_split_as_a_shell_would() {
        assert_eq!(
            split_words("r1  x=1 y='a b' z=\"c#d\" # comment").unwrap(),
            [
                ("r1".to_string(), 1),
                ("x=1".to_string(), 5),
                ("y=a b".to_string(), 9),
                ("z=c#d".to_string(), 17),
            ]
        );
        assert_eq!(split_words("r1 x=ab#c").unwrap()[1].0, "x=ab");
        assert_eq!(split_words("r1 x='open").unwrap_err().0, 6);
    }

    fn doc(text: &str) -> Result<Document, String> {
        doc_or_error(text)
    }

    fn error(text: &str) -> String {
        match doc_or_error(text) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(message) => message,
        }
    }

    fn doc_or_error(text: &str) -> Result<Document, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts.ini");
        std::fs::write(&path, text).unwrap();
        read(&path).map_err(|e| {
            e.to_string()
                .replacen(&path.display().to_string(), "hosts.ini", 1)
        })
    }

    #[test]
    fn sections_become_the_yaml_tree_with_positions() {
        let d = doc("r0 ansible_host=10.0.0.9\n\n[core]\nr1  ansible_port=2222\n[core:vars]\nansible_user = admin\n[dc:children]\ncore\n")
            .unwrap();
        let core = d.root.get("core").unwrap();
        assert_eq!(
            core.get("hosts")
                .unwrap()
                .get("r1")
                .unwrap()
                .get("ansible_port"),
            Some(&Node::Int(2222))
        );
        assert_eq!(
            core.get("vars").unwrap().get("ansible_user"),
            Some(&Node::Str("admin".into()))
        );
        assert_eq!(
            d.root
                .get("dc")
                .unwrap()
                .get("children")
                .unwrap()
                .get("core"),
            Some(&Node::Null)
        );
        let at = |path: &[&str]| {
            let steps: Vec<Step> = path.iter().map(|k| Step::key(k)).collect();
            d.locate(&steps)
        };
        assert_eq!(at(&["ungrouped", "hosts", "r0", "ansible_host"]), (1, 17));
        assert_eq!(at(&["core", "hosts", "r1", "ansible_port"]), (4, 18));
        assert_eq!(at(&["core", "vars", "ansible_user"]), (6, 16));
        assert_eq!(at(&["dc", "children", "core"]), (8, 1));
        assert_eq!(at(&["core", "hosts", "r1", "not_there"]), (4, 1));
    }

    #[test]
    fn broken_lines_name_their_place() {
        assert_eq!(
            error("[core]\nr1 ansible_port\n"),
            "hosts.ini:2:4: expected key=value after the host name, found \"ansible_port\""
        );
        assert_eq!(
            error("[core:vars]\nx=1\n"),
            "hosts.ini:1:2: section [core:vars] is for a group no section declares"
        );
        assert_eq!(
            error("[core]\nr1\n[dc:children]\ncore\nedge\n"),
            "hosts.ini:5:1: [dc:children] includes \"edge\", a group no section declares"
        );
        assert_eq!(
            error("[core:hostz]\n"),
            "hosts.ini:1:1: section [core:hostz] has unknown type \"hostz\": expected vars or \
             children"
        );
        assert_eq!(
            error("[core]\n  r1 x='a\n"),
            "hosts.ini:2:8: a quote that is never closed"
        );
        assert_eq!(
            error("[core:vars]\nnovalue\n[core]\n"),
            "hosts.ini:2:1: expected key=value, found \"novalue\""
        );
    }
}

//! YAML documents that can say where things are: a plain tree of `Node`s to read values from,
//! and `Document::error` to point an error at any node by its path (FILE:LINE:COL).
//!
//! serde_norway gives positions only in its errors, and it gives an error the position of the
//! node being read when the error is raised. So to find a node, `locate` re-reads the text with a
//! visitor that walks the path and fails on purpose when it gets there. Only errors pay for it.
//!
//! serde_norway expands aliases (`*base`) but leaves YAML's merge key (`<<: *base`, or a list
//! of them) as a plain key, so `Document` applies merges to the tree it gives, and keeps the tree
//! as written to point errors about merged values at the place they are written.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::error::InventoryError;

/// A YAML value, keys as text, mapping order and duplicate keys kept (they are checked, with
/// their position, after parsing).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// What kind of value this is, for "expected X, found Y" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "nothing",
            Node::Bool(_) => "a boolean",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a map",
        }
    }

    /// The text of a scalar (`22` for the integer 22); `None` for null, lists and maps.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Bool(b) => Some(b.to_string()),
            Node::Int(i) => Some(i.to_string()),
            Node::Float(x) => Some(x.to_string()),
            Node::Str(s) => Some(s.clone()),
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
        }
    }

    /// The value of `key` in a map (the first, if repeated), `None` otherwise.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// One step from a node to a child.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    /// The n-th item of a list.
    Index(usize),
    /// The value under a key of a map.
    Key(String),
    /// The key itself, at its n-th occurrence (0 = first) in the map.
    KeyName(String, usize),
}

impl Step {
    pub(crate) fn key(key: &str) -> Step {
        Step::Key(key.to_string())
    }
}

/// The merge key: `<<: *base` (or `<<: [*a, *b]`) copies the keys of the map(s) that the map
/// does not have itself; with a list, an earlier map wins over a later one.
const MERGE_KEY: &str = "<<";

/// A parsed YAML file: its path (as given, for messages), its text and its tree.
pub(crate) struct Document {
    pub(crate) file: PathBuf,
    text: String,
    /// The tree with merge keys applied.
    pub(crate) root: Node,
    /// The tree as written, when it has merge keys (`root` is the same tree otherwise).
    written: Option<Node>,
    /// Where each node is, for a tree built from another format (an INI file): found by its
    /// path, or the longest prefix of it that is listed, instead of by re-reading YAML.
    positions: Option<HashMap<Vec<Step>, (usize, usize)>>,
}

impl Document {
    /// Read and parse `file`. Malformed YAML and repeated keys are errors with their position.
    pub(crate) fn read(file: &Path) -> Result<Document, InventoryError> {
        let text = std::fs::read_to_string(file).map_err(|e| InventoryError::read(file, e))?;
        Document::parse(file, text)
    }

    /// Parse `text`; a leading byte-order mark (some Windows editors write one) is skipped.
    pub(crate) fn parse(file: &Path, mut text: String) -> Result<Document, InventoryError> {
        if text.starts_with(BYTE_ORDER_MARK) {
            text.drain(..BYTE_ORDER_MARK.len_utf8());
        }
        let root = match serde_norway::from_str::<Node>(&text) {
            Ok(root) => root,
            Err(err) => {
                let (line, column) = err.location().map_or((1, 1), |l| (l.line(), l.column()));
                let message = without_position(&err.to_string(), line, column);
                return Err(InventoryError::Invalid {
                    file: file.to_path_buf(),
                    line,
                    column,
                    field: None,
                    message: format!("malformed YAML: {message}"),
                });
            }
        };
        let mut doc = Document {
            file: file.to_path_buf(),
            text,
            root,
            written: None,
            positions: None,
        };
        doc.check_unique_keys(&doc.root, &mut Vec::new())?;
        if has_merge_key(&doc.root) {
            let merged = doc.merged(doc.root.clone(), &mut Vec::new())?;
            doc.written = Some(std::mem::replace(&mut doc.root, merged));
        }
        Ok(doc)
    }

    /// A tree read from a format that is not YAML, with the 1-based line and column of its nodes.
    pub(crate) fn from_positions(
        file: &Path,
        root: Node,
        positions: HashMap<Vec<Step>, (usize, usize)>,
    ) -> Document {
        Document {
            file: file.to_path_buf(),
            text: String::new(),
            root,
            written: None,
            positions: Some(positions),
        }
    }

    /// An error about the node at `path`, shown as `FILE:LINE:COL: FIELD: message`.
    pub(crate) fn error(
        &self,
        path: &[Step],
        field: Option<&str>,
        message: impl Into<String>,
    ) -> InventoryError {
        let (line, column) = self.locate(path);
        InventoryError::Invalid {
            file: self.file.clone(),
            line,
            column,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// An error about the whole file, at its start (an empty file has no node to point at).
    pub(crate) fn error_at_start(&self, message: impl Into<String>) -> InventoryError {
        InventoryError::Invalid {
            file: self.file.clone(),
            line: 1,
            column: 1,
            field: None,
            message: message.into(),
        }
    }

    /// The 1-based line and column of the node at `path`, or of the deepest node on the way
    /// that exists (a map, for a key it lacks).
    pub(crate) fn locate(&self, path: &[Step]) -> (usize, usize) {
        if let Some(positions) = &self.positions {
            return (0..=path.len())
                .rev()
                .find_map(|len| positions.get(&path[..len]).copied())
                .unwrap_or((1, 1));
        }
        let path = match &self.written {
            Some(written) => written_path(written, path),
            None => path.to_vec(),
        };
        let mut deserializer = serde_norway::Deserializer::from_str(&self.text);
        let found = deserializer
            .next()
            .and_then(|document| Probe { path: &path }.deserialize(document).err());
        found
            .and_then(|err| err.location())
            .map_or((1, 1), |l| (l.line(), l.column()))
    }

    /// A key given twice in a map is almost always a mistake that YAML would silently resolve
    /// (last one wins), so it is an error at the second occurrence.
    fn check_unique_keys(&self, node: &Node, path: &mut Vec<Step>) -> Result<(), InventoryError> {
        match node {
            Node::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    self.check_unique_keys(item, path)?;
                    path.pop();
                }
            }
            Node::Map(entries) => {
                let mut seen = HashSet::with_capacity(entries.len());
                for (key, value) in entries {
                    if !seen.insert(key.as_str()) {
                        let first = with(path, Step::KeyName(key.clone(), 0));
                        let (first_line, _) = self.locate(&first);
                        path.push(Step::KeyName(key.clone(), 1));
                        return Err(self.error(
                            path,
                            Some(key),
                            format!("given twice in the same map (first at line {first_line})"),
                        ));
                    }
                    path.push(Step::Key(key.clone()));
                    self.check_unique_keys(value, path)?;
                    path.pop();
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `node` (at `path` in the tree as written) with every map's merge key applied, inner maps
    /// first, so that a merged map may itself merge others.
    fn merged(&self, node: Node, path: &mut Vec<Step>) -> Result<Node, InventoryError> {
        match node {
            Node::Seq(items) => {
                let mut merged = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    path.push(Step::Index(i));
                    merged.push(self.merged(item, path)?);
                    path.pop();
                }
                Ok(Node::Seq(merged))
            }
            Node::Map(entries) => {
                let mut merged = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    path.push(Step::Key(key.clone()));
                    merged.push((key, self.merged(value, path)?));
                    path.pop();
                }
                self.apply_merge_key(merged, path).map(Node::Map)
            }
            scalar => Ok(scalar),
        }
    }

    /// A map's own keys, with the keys of its merged maps it lacks where its `<<` is written.
    fn apply_merge_key(
        &self,
        entries: Vec<(String, Node)>,
        path: &[Step],
    ) -> Result<Vec<(String, Node)>, InventoryError> {
        if !entries.iter().any(|(key, _)| key == MERGE_KEY) {
            return Ok(entries);
        }
        let own: HashSet<String> = entries
            .iter()
            .filter(|(key, _)| key != MERGE_KEY)
            .map(|(key, _)| key.clone())
            .collect();
        let mut taken: HashSet<String> = HashSet::with_capacity(entries.len());
        let mut out = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if key != MERGE_KEY {
                taken.insert(key.clone());
                out.push((key, value));
                continue;
            }
            let merge_path = with(path, Step::key(MERGE_KEY));
            for source in self.merge_sources(value, &merge_path)? {
                for (key, value) in source {
                    if !own.contains(&key) && taken.insert(key.clone()) {
                        out.push((key, value));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The maps a merge key's value (at `path`) names: one map, or a list of maps.
    fn merge_sources(
        &self,
        value: Node,
        path: &[Step],
    ) -> Result<Vec<Vec<(String, Node)>>, InventoryError> {
        let not_a_map = |at: &[Step], found: &Node| {
            self.error(
                at,
                Some(MERGE_KEY),
                format!(
                    "expected a map to merge (`<<: *name`) or a list of them, found {}",
                    found.kind()
                ),
            )
        };
        match value {
            Node::Map(entries) => Ok(vec![entries]),
            Node::Seq(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Node::Map(entries) => Ok(entries),
                    other => Err(not_a_map(&with(path, Step::Index(i)), &other)),
                })
                .collect(),
            other => Err(not_a_map(path, &other)),
        }
    }
}

const BYTE_ORDER_MARK: char = '\u{feff}';

fn has_merge_key(node: &Node) -> bool {
    match node {
        Node::Seq(items) => items.iter().any(has_merge_key),
        Node::Map(entries) => entries
            .iter()
            .any(|(key, value)| key == MERGE_KEY || has_merge_key(value)),
        _ => false,
    }
}

/// A path in the merged tree as a path in the tree as written: a key a map got from a merge is
/// found through the map's `<<` (and the index of the merged map in a list of them).
fn written_path(written: &Node, path: &[Step]) -> Vec<Step> {
    let mut out = Vec::with_capacity(path.len());
    let mut node = written;
    for (i, step) in path.iter().enumerate() {
        let next = match (step, node) {
            (Step::Index(n), Node::Seq(items)) => items.get(*n).map(|item| (Vec::new(), item)),
            (Step::Key(key) | Step::KeyName(key, _), _) => written_key(node, key),
            (Step::Index(_), _) => None,
        };
        let Some((via, child)) = next else {
            out.extend_from_slice(&path[i..]);
            break;
        };
        out.extend(via);
        out.push(step.clone());
        node = child;
    }
    out
}

/// Where a map's `key` is written: in the map itself (no steps), else in a map it merges (the
/// steps to that map), and its value.
fn written_key<'n>(map: &'n Node, key: &str) -> Option<(Vec<Step>, &'n Node)> {
    let Node::Map(entries) = map else {
        return None;
    };
    if let Some((_, value)) = entries.iter().find(|(k, _)| k == key) {
        return Some((Vec::new(), value));
    }
    let (_, sources) = entries.iter().find(|(k, _)| k == MERGE_KEY)?;
    let through = |steps: Vec<Step>, source: &'n Node| {
        written_key(source, key).map(|(via, value)| ([steps, via].concat(), value))
    };
    match sources {
        Node::Seq(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, source)| through(vec![Step::key(MERGE_KEY), Step::Index(i)], source)),
        source => through(vec![Step::key(MERGE_KEY)], source),
    }
}

/// `path` followed by `step`.
pub(crate) fn with(path: &[Step], step: Step) -> Vec<Step> {
    let mut longer = Vec::with_capacity(path.len() + 1);
    longer.extend_from_slice(path);
    longer.push(step);
    longer
}

/// serde_norway's message without the " at line L column C" of the position that is already in
/// front of ours (a second position, where a construct started, is kept), and without the serde
/// path (`[0].host: `) it puts before messages raised while reading a value.
fn without_position(message: &str, line: usize, column: usize) -> String {
    let message = message.replacen(&format!(" at line {line} column {column}"), "", 1);
    match message.split_once(": ") {
        Some((path, rest)) if !path.contains(char::is_whitespace) => rest.to_string(),
        _ => message,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(i128::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key_seed(PlainKey)? {
            entries.push((key, map.next_value()?));
        }
        Ok(Node::Map(entries))
    }
    /// A tagged value (`!secret x`): the tag means nothing to netrun, the value is kept.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant(variant)
    }
}

/// A map key as text; a list or map as a key is an error at the key.
struct PlainKey;

impl<'de> DeserializeSeed<'de> for PlainKey {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl PlainKey {
    fn not_plain<E: de::Error>(found: &str) -> E {
        E::custom(format!("a map key must be a plain value, found {found}"))
    }
}

impl<'de> Visitor<'de> for PlainKey {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plain map key")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Err(Self::not_plain("nothing"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(Self::not_plain("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(Self::not_plain("a map"))
    }
}

/// Marks the error raised on purpose where the path ends.
const HERE: &str = "netrun: here";

/// Walks `path` through a document and fails on the node it leads to, so serde_norway stamps the
/// error with that node's position. Where the path cannot go on (no such key or index), it fails
/// on the last node it reached.
struct Probe<'p> {
    path: &'p [Step],
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn here<E: de::Error>() -> E {
    E::custom(HERE)
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the node to locate")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(here())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(here())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(here())
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Err(here())
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Err(here())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(here())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(here())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(here())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(here())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some((Step::Index(index), rest)) = self.path.split_first() {
            for _ in 0..*index {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    return Err(here());
                }
            }
            seq.next_element_seed(Probe { path: rest })?;
        }
        Err(here())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.path.split_first() {
            Some((Step::Key(wanted), rest)) => {
                while let Some(key) = map.next_key::<Node>()? {
                    if key.scalar_text().as_deref() == Some(wanted) {
                        map.next_value_seed(Probe { path: rest })?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Some((Step::KeyName(wanted, occurrence), _)) => {
                let mut skip = *occurrence;
                while map
                    .next_key_seed(KeyProbe {
                        wanted,
                        skip: &mut skip,
                    })?
                    .is_some()
                {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            _ => {}
        }
        Err(here())
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
}

/// Fails on a map key equal to `wanted` once `skip` earlier occurrences have gone by.
struct KeyProbe<'a> {
    wanted: &'a str,
    skip: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for KeyProbe<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl KeyProbe<'_> {
    fn check<E: de::Error>(self, key: String) -> Result<(), E> {
        if key != self.wanted {
            return Ok(());
        }
        match self.skip.checked_sub(1) {
            Some(left) => {
                *self.skip = left;
                Ok(())
            }
            None => Err(here()),
        }
    }
}

impl<'de> Visitor<'de> for KeyProbe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map key")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.check(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.check(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.check(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.check(v.to_string())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.check(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error `text` gives as d.yaml, or "" when it parses.
    fn message(text: &str) -> String {
        Document::parse(Path::new("d.yaml"), text.into())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    fn doc(text: &str) -> Document {
        Document::parse(Path::new("t.yaml"), text.to_string()).expect("parses")
    }

    #[test]
    fn locates_values_keys_and_items() {
        let d = doc("- name: R1\n  port: 22\n- {name: R2, port: 23}\n-   host: x\n    port: 24\n");
        assert_eq!(d.locate(&[]), (1, 1));
        assert_eq!(d.locate(&[Step::Index(0), Step::key("port")]), (2, 9));
        assert_eq!(d.locate(&[Step::Index(1), Step::key("port")]), (3, 20));
        assert_eq!(d.locate(&[Step::Index(2)]), (4, 5));
        assert_eq!(d.locate(&[Step::Index(2), Step::key("port")]), (5, 11));
        assert_eq!(
            d.locate(&[Step::Index(2), Step::KeyName("port".into(), 0)]),
            (5, 5)
        );
    }

    #[test]
    fn a_missing_step_stops_at_the_deepest_node_found() {
        let d = doc("- name: R1\n  port: 22\n- name: R2\n");
        assert_eq!(d.locate(&[Step::Index(1), Step::key("port")]), (3, 3));
        assert_eq!(d.locate(&[Step::Index(7)]), (1, 1));
    }

    #[test]
    fn counts_columns_in_characters() {
        let d = doc("- name: Zürich\n  port: 22\n- name: é\n  port: x\n");
        assert_eq!(d.locate(&[Step::Index(1), Step::key("port")]), (4, 9));
    }

    #[test]
    fn malformed_yaml_names_its_position() {
        let err = Document::parse(Path::new("d.yaml"), "- a: 1\n  b: [1, 2\n".into())
            .err()
            .expect("malformed");
        assert_eq!(
            err.to_string(),
            "d.yaml:3:1: malformed YAML: did not find expected ',' or ']', \
             while parsing a flow sequence at line 2 column 6"
        );
    }

    #[test]
    fn structural_yaml_errors_name_their_position() {
        assert_eq!(
            message("- host: a\n  [x]: 1\n"),
            "d.yaml:2:3: malformed YAML: a map key must be a plain value, found a list"
        );
        assert_eq!(
            message("- a: 1\n---\n- b: 2\n"),
            "d.yaml:1:1: malformed YAML: deserializing from YAML containing more than one \
             document is not supported"
        );
        assert_eq!(
            message("- host: a\n\tport: 1\n"),
            "d.yaml:2:1: malformed YAML: found a tab character that violates indentation, \
             while scanning a plain scalar at line 1 column 9"
        );
    }

    #[test]
    fn a_repeated_key_is_an_error_at_its_second_occurrence() {
        let err = Document::parse(
            Path::new("d.yaml"),
            "- host: a\n  port: 22\n  port: 23\n".into(),
        )
        .err()
        .expect("duplicate key");
        assert_eq!(
            err.to_string(),
            "d.yaml:3:3: port: given twice in the same map (first at line 2)"
        );
    }

    #[test]
    fn merge_keys_take_the_keys_a_map_lacks() {
        let d = doc("\
a: &a {x: 1, y: 1}
b: &b {y: 2, z: 2, <<: *a}
one: {<<: *a, x: 0}
list: {w: 0, <<: [*b, *a]}
");
        let map = |key: &str| d.root.get(key).cloned().unwrap();
        let entries = |pairs: &[(&str, i128)]| {
            Node::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Node::Int(*v)))
                    .collect(),
            )
        };
        assert_eq!(
            map("one"),
            entries(&[("y", 1), ("x", 0)]),
            "merged keys go where `<<` is written"
        );
        assert_eq!(map("b"), entries(&[("y", 2), ("z", 2), ("x", 1)]));
        assert_eq!(
            map("list"),
            entries(&[("w", 0), ("y", 2), ("z", 2), ("x", 1)]),
            "an earlier map in the list wins, and a merged map's own merges count"
        );
    }

    #[test]
    fn merged_keys_are_located_where_they_are_written() {
        let d = doc("\
base: &base
  port: 22
  user: x
more: &more {tz: utc}
R1:
  <<: *base
  port: 23
R2:
  <<: [*more, *base]
");
        assert_eq!(d.locate(&[Step::key("R1"), Step::key("port")]), (7, 9));
        assert_eq!(d.locate(&[Step::key("R1"), Step::key("user")]), (3, 9));
        assert_eq!(d.locate(&[Step::key("R2"), Step::key("tz")]), (4, 18));
        assert_eq!(d.locate(&[Step::key("R2"), Step::key("port")]), (2, 9));
        assert_eq!(
            d.locate(&[Step::key("R2"), Step::KeyName("user".into(), 0)]),
            (3, 3)
        );
        assert_eq!(d.locate(&[Step::key("R2"), Step::key("nope")]), (9, 3));
    }

    #[test]
    fn a_merge_key_needs_maps() {
        assert_eq!(
            message("a:\n  <<: 3\n"),
            "d.yaml:2:7: <<: expected a map to merge (`<<: *name`) or a list of them, found an \
             integer"
        );
        assert_eq!(
            message("x: &x {k: 1}\na:\n  <<: [*x, [1]]\n"),
            "d.yaml:3:12: <<: expected a map to merge (`<<: *name`) or a list of them, found a \
             list"
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_a_character_of_the_first_line() {
        let d = doc("\u{feff}- name: R1\n  port: 22\n");
        assert_eq!(d.locate(&[Step::Index(0), Step::key("name")]), (1, 9));
        assert_eq!(d.locate(&[Step::Index(0), Step::key("port")]), (2, 9));
    }

    #[test]
    fn tagged_values_keep_their_value() {
        let d = doc("a: !secret hidden\nb: [1, 2.5, true, ~]\n");
        assert_eq!(d.root.get("a"), Some(&Node::Str("hidden".into())));
        assert_eq!(
            d.root.get("b"),
            Some(&Node::Seq(vec![
                Node::Int(1),
                Node::Float(2.5),
                Node::Bool(true),
                Node::Null
            ]))
        );
    }
}

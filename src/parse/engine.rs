//! The TextFSM engine behind `--parse`: templates compiled once per process (a cache keyed by
//! path), outputs parsed into rows, and a command with several templates merged the way
//! TextFSM's `clitable` merges them (rows joined on the first template's `Key` values).
//!
//! textfsm-rs prints on stdout while it compiles some templates (warnings about rules it
//! rewrites: trailing blanks, `\<` escapes, a repeated look-behind); stdout is netrun's report,
//! so compiling runs with stdout discarded (`os::with_stdout_discarded`, under the cache's
//! lock). Parsing prints nothing. A panic inside the engine (a construct it does not support)
//! is caught and reported as that template's error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use textfsm_rs::{DataRecordConversion, TextFSM, Value};

use crate::job::{Field, ParseResult};
use crate::os;

/// A compiled template: the engine, and its values in template order.
#[derive(Debug)]
pub struct Compiled {
    fsm: TextFSM,
    values: Vec<ValueInfo>,
}

#[derive(Debug)]
struct ValueInfo {
    /// Lower-case, as the records carry it.
    name: String,
    list: bool,
    key: bool,
}

type Cached = Result<Arc<Compiled>, String>;

/// Every template this process compiled, by path (fork workers inherit the parent's).
static TEMPLATES: LazyLock<Mutex<HashMap<PathBuf, Cached>>> = LazyLock::new(Mutex::default);

/// `file` compiled, from the cache or now; the error names the file.
pub fn compiled(file: &Path) -> Cached {
    let mut templates = TEMPLATES
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    templates
        .entry(file.to_path_buf())
        .or_insert_with(|| compile(file).map(Arc::new))
        .clone()
}

fn compile(file: &Path) -> Result<Compiled, String> {
    let text = std::fs::read_to_string(file).map_err(|err| format!("{}: {err}", file.display()))?;
    let names = value_names(&text);
    let fsm = os::with_stdout_discarded(|| catch_unwind(|| TextFSM::from_string(&text)))
        .map_err(|panic| {
            format!(
                "{}: unsupported template: {}",
                file.display(),
                panic_text(&panic)
            )
        })?
        .map_err(|err| format!("{}: {err}", file.display()))?;
    let values = names
        .into_iter()
        .map(|name| ValueInfo {
            list: fsm.is_list_value(&name).unwrap_or(false),
            key: fsm.is_key_value(&name).unwrap_or(false),
            name: name.to_lowercase(),
        })
        .collect();
    Ok(Compiled { fsm, values })
}

/// The Value names of a template, in order: the `Value [OPTIONS] NAME (REGEX)` lines from the
/// first one to the blank line that ends them (comment lines among them are skipped).
fn value_names(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|line| !line.starts_with("Value "))
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            if words.next() != Some("Value") {
                return None;
            }
            let first = words.next()?;
            let second = words.next()?;
            Some(
                if second.starts_with('(') {
                    first
                } else {
                    second
                }
                .to_string(),
            )
        })
        .collect()
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the TextFSM engine panicked".to_string())
}

/// `output` parsed with `files` (the first gives the rows, each further one adds its columns
/// to the rows whose keys match, as clitable does).
pub fn parse_with(files: &[PathBuf], output: &str) -> ParseResult {
    let template = files
        .iter()
        .map(|f| f.file_name().unwrap_or(f.as_os_str()).to_string_lossy())
        .collect::<Vec<_>>()
        .join(":");
    match parse_all(files, output) {
        Ok(Table { header, rows, .. }) => ParseResult {
            template,
            ok: true,
            error: None,
            header,
            rows,
        },
        Err(error) => ParseResult {
            template,
            error: Some(error),
            ..ParseResult::default()
        },
    }
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Field>>,
    keys: Vec<String>,
}

fn parse_all(files: &[PathBuf], output: &str) -> Result<Table, String> {
    let mut table: Option<Table> = None;
    for file in files {
        let next = parse_one(file, &*compiled(file)?, output)
            .map_err(|err| format!("{}: {err}", name_of(file)))?;
        table = Some(match table {
            None => next,
            Some(table) => merge(table, next),
        });
    }
    table.ok_or_else(|| "no template".to_string())
}

fn name_of(file: &Path) -> String {
    file.file_name()
        .unwrap_or(file.as_os_str())
        .to_string_lossy()
        .into_owned()
}

thread_local! {
    /// This thread's engine per template, reset before each parse: a fresh clone per parse
    /// would rebuild its regexes' match caches every time (four times the cost, measured).
    static ENGINES: RefCell<HashMap<PathBuf, TextFSM>> = RefCell::default();
}

/// One template's rows: every value in template order, `""` or `[]` where the engine left it out.
fn parse_one(file: &Path, compiled: &Compiled, output: &str) -> Result<Table, String> {
    let records = ENGINES
        .with_borrow_mut(|engines| {
            let fsm = engines
                .entry(file.to_path_buf())
                .or_insert_with(|| compiled.fsm.clone());
            fsm.reset();
            catch_unwind(AssertUnwindSafe(|| {
                fsm.parse_string(output, Some(DataRecordConversion::LowercaseKeys))
            }))
        })
        .map_err(|panic| format!("unsupported template: {}", panic_text(&panic)))?
        .map_err(|err| err.to_string())?;
    let rows = records
        .into_iter()
        .map(|record| {
            compiled
                .values
                .iter()
                .map(|value| match record.fields.get(&value.name) {
                    Some(Value::Single(text)) => Field::Text(text.clone()),
                    Some(Value::List(items)) => Field::List(items.clone()),
                    None if value.list => Field::List(Vec::new()),
                    None => Field::Text(String::new()),
                })
                .collect()
        })
        .collect();
    Ok(Table {
        header: compiled.values.iter().map(|v| v.name.clone()).collect(),
        rows,
        keys: compiled
            .values
            .iter()
            .filter(|v| v.key)
            .map(|v| v.name.clone())
            .collect(),
    })
}

/// texttable's `extend`: `next`'s new columns added to `table`; with keys, each row takes the
/// first row of `next` whose keys equal its own, without keys the row at the same position.
fn merge(mut table: Table, next: Table) -> Table {
    if table.keys.is_empty() {
        table.keys = next.keys.clone();
    }
    let added: Vec<usize> = (0..next.header.len())
        .filter(|&i| !table.header.contains(&next.header[i]))
        .collect();
    if added.is_empty() {
        return table;
    }
    let key_at = |header: &[String], key: &String| header.iter().position(|h| h == key);
    let keys: Vec<(Option<usize>, Option<usize>)> = table
        .keys
        .iter()
        .map(|k| (key_at(&table.header, k), key_at(&next.header, k)))
        .collect();
    for (position, row) in table.rows.iter_mut().enumerate() {
        let partner = if keys.is_empty() {
            next.rows.get(position)
        } else {
            next.rows.iter().find(|other| {
                keys.iter().all(|&(mine, theirs)| match (mine, theirs) {
                    (Some(mine), Some(theirs)) => row[mine] == other[theirs],
                    _ => false,
                })
            })
        };
        for &i in &added {
            row.push(partner.map_or(Field::Text(String::new()), |p| p[i].clone()));
        }
    }
    table
        .header
        .extend(added.iter().map(|&i| next.header[i].clone()));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_names_keep_template_order_and_options() {
        let text = "Value Required,Filldown HOST (\\S+)\nValue List IPS (\\S+)\nValue A_B ([^ ]+)\n\nStart\n  ^x\n";
        assert_eq!(value_names(text), ["HOST", "IPS", "A_B"]);
    }

    #[test]
    fn several_templates_merge_on_the_first_ones_keys() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a.textfsm");
        let second = dir.path().join("b.textfsm");
        std::fs::write(&first, "Value Key SLOT (\\d+)\nValue MODEL (\\S+)\n\nStart\n  ^${SLOT} model ${MODEL} -> Record\n").unwrap();
        std::fs::write(&second, "Value Key SLOT (\\d+)\nValue STATUS (\\S+)\n\nStart\n  ^${SLOT} status ${STATUS} -> Record\n").unwrap();
        let output = "1 model X\n2 model Y\n2 status ok\n";
        let result = parse_with(&[first, second], output);
        assert!(result.ok, "{result:?}");
        assert_eq!(result.template, "a.textfsm:b.textfsm");
        assert_eq!(result.header, ["slot", "model", "status"]);
        let text = |s: &str| Field::Text(s.to_string());
        assert_eq!(
            result.rows,
            [
                vec![text("1"), text("X"), text("")],
                vec![text("2"), text("Y"), text("ok")]
            ]
        );
    }

    #[test]
    fn an_error_action_is_the_commands_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("strict.textfsm");
        std::fs::write(
            &file,
            "Value X (\\d+)\n\nStart\n  ^${X} -> Record\n  ^. -> Error\n",
        )
        .unwrap();
        let result = parse_with(std::slice::from_ref(&file), "1\nunexpected\n");
        assert!(!result.ok);
        let error = result.error.unwrap();
        assert!(error.starts_with("strict.textfsm: "), "{error}");
    }
}

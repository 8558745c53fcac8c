//! `--parse textfsm` against ntc-templates' own test corpus (not a test: its figures go to the
//! README). For each platform netrun has a profile for, every `tests/<platform>/<command>/*.raw`
//! is parsed the way netrun parses a command's output (the index picks the template from the
//! platform and the command, the folder name with `_` as spaces, as ntc-templates' own test
//! does) and compared, record by record, with the `.yml` beside it; failures are grouped by
//! cause. Then the cost: the corpus' `show ip interface brief` outputs parsed as often as a run
//! over 5,460 devices would.
//!
//! The corpus is not committed: point `NTC_TEMPLATES_REPO` at a checkout of
//! networktocode/ntc-templates (its `ntc_templates/templates` and `tests` folders):
//!
//! ```sh
//! NTC_TEMPLATES_REPO=/tmp/ntc-templates cargo bench --bench textfsm_corpus
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use netrun::textfsm::{Field, ParseResult, Parser};
use serde_json::Value;

/// The ntc-templates platforms of netrun's profiles (and of the testbed's personalities).
const PLATFORMS: &[&str] = &[
    "cisco_ios",
    "cisco_nxos",
    "cisco_xr",
    "arista_eos",
    "juniper_junos",
    "cisco_asa",
    "linux",
];

/// The book's large run.
const DEVICES: usize = 5460;

fn main() {
    let Some(repo) = std::env::var_os("NTC_TEMPLATES_REPO").map(PathBuf::from) else {
        eprintln!(
            "textfsm_corpus: set NTC_TEMPLATES_REPO to a checkout of networktocode/ntc-templates \
             (its tests/ and ntc_templates/templates/); nothing measured"
        );
        return;
    };
    let parser = Parser::from_dir(&repo.join("ntc_templates").join("templates"), false)
        .unwrap_or_else(|err| panic!("{err:#}"));
    let mut causes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    println!("platform        passed / cases");
    let (mut passed_all, mut cases_all) = (0, 0);
    for platform in PLATFORMS {
        let (mut passed, mut cases) = (0, 0);
        for (command, raw, expected) in corpus(&repo.join("tests").join(platform)) {
            cases += 1;
            let output = std::fs::read_to_string(&raw).unwrap_or_default();
            let result = parser.parse(platform, &command, &output);
            match verdict(&result, &expected) {
                None => passed += 1,
                Some(cause) => causes
                    .entry(cause)
                    .or_default()
                    .push(format!("{platform} `{command}` ({})", file_name(&raw))),
            }
        }
        println!(
            "{platform:<15} {passed:>6} / {cases:<5} {:.1} %",
            percent(passed, cases)
        );
        passed_all += passed;
        cases_all += cases;
    }
    println!(
        "{:<15} {passed_all:>6} / {cases_all:<5} {:.1} %",
        "all",
        percent(passed_all, cases_all)
    );
    println!("\nfailures by cause:");
    for (cause, cases) in &causes {
        println!("  {} × {cause}", cases.len());
        for case in cases {
            println!("      {case}");
        }
    }
    parse_cost(
        &parser,
        &repo.join("tests/cisco_ios/show_ip_interface_brief"),
    );
}

/// Every case under a platform's folder: the command, the raw file, the expected records.
fn corpus(platform_dir: &Path) -> Vec<(String, PathBuf, Value)> {
    let mut cases = Vec::new();
    for command_dir in sorted(platform_dir) {
        let command = file_name(&command_dir).replace('_', " ");
        for raw in sorted(&command_dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "raw"))
        {
            let Ok(yml) = std::fs::read_to_string(raw.with_extension("yml")) else {
                continue;
            };
            let Ok(doc) = serde_norway::from_str::<Value>(&yml) else {
                continue;
            };
            cases.push((command.clone(), raw, doc["parsed_sample"].clone()));
        }
    }
    cases
}

fn sorted(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `None` when the records equal the expected ones, else the cause in a few words.
fn verdict(result: &ParseResult, expected: &Value) -> Option<String> {
    if let Some(error) = &result.error {
        let error = error
            .split_once(": ")
            .map_or(error.as_str(), |(_, why)| why);
        return Some(if error.starts_with("no template for platform") {
            "no template in the index".to_string()
        } else {
            format!(
                "engine error: {}",
                error.chars().take(70).collect::<String>()
            )
        });
    }
    let got = Value::Array(result.rows.iter().map(|row| record(result, row)).collect());
    if &got == expected {
        return None;
    }
    let want = expected.as_array().map_or(0, Vec::len);
    if result.rows.len() != want {
        return Some(format!(
            "record count differs ({} for {want})",
            result.rows.len()
        ));
    }
    let field = got
        .as_array()
        .into_iter()
        .flatten()
        .zip(expected.as_array().into_iter().flatten())
        .find_map(|(g, e)| {
            let names = e.as_object()?.keys().chain(g.as_object()?.keys());
            names.into_iter().find(|k| g.get(*k) != e.get(*k)).cloned()
        })
        .unwrap_or_default();
    Some(format!("field `{field}` differs"))
}

fn record(result: &ParseResult, row: &[Field]) -> Value {
    let fields = result.header.iter().zip(row).map(|(name, field)| {
        let value = match field {
            Field::Text(text) => Value::String(text.clone()),
            Field::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
        };
        (name.clone(), value)
    });
    Value::Object(fields.collect())
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// What parsing 5,460 devices' `show ip interface brief` costs on one core, the corpus' own
/// outputs taken in turn.
fn parse_cost(parser: &Parser, dir: &Path) {
    let outputs: Vec<String> = sorted(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "raw"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    if outputs.is_empty() {
        return;
    }
    let started = Instant::now();
    let mut records = 0;
    for output in outputs.iter().cycle().take(DEVICES) {
        records += parser
            .parse("cisco_ios", "show ip interface brief", output)
            .rows
            .len();
    }
    let elapsed = started.elapsed();
    println!(
        "\nparse cost: {DEVICES} outputs of `show ip interface brief` ({} corpus files in turn, \
         {records} records) in {:.3} s on one thread, {:.1} µs per output",
        outputs.len(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / DEVICES as f64
    );
}

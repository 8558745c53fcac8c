//! The deployment examples in `deploy/` are kept true by running them: the Slurm array script
//! and its merge run for real under the variables Slurm sets (task by task, as the array's
//! `#SBATCH --array` range says), the GNU parallel script runs its shards, and each merged report
//! equals the unsharded run host by host. The Kubernetes manifests cannot be applied here (no
//! cluster): they are read as YAML and held to what the README promises of them.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{comparable, json, netrun_in, stderr, TestLab, NETRUN, SHARD_VARS};
use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn not_run(test: &str, reason: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: CI=true but {reason}"
    );
    eprintln!("deploy.rs: {test}: NOT RUN: {reason}");
}

/// `bash SCRIPT ARGS` with netrun's environment cleaned as the other tests clean it, plus `env`
/// and `home` as HOME; killed after two minutes.
fn script(path: &str, args: &[&str], env: &[(&str, &str)], home: &Path) -> Output {
    let mut cmd = Command::new("timeout");
    cmd.args(["120", "bash"])
        .arg(repo().join(path))
        .args(args)
        .env("HOME", home)
        .env("NETRUN", NETRUN)
        .env_remove("NETRUN_PASSWORD")
        .env_remove("NETRUN_SECRET")
        .env_remove("NETRUN_INVENTORY")
        .stdin(Stdio::null());
    for var in SHARD_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The unsharded run the merged reports must equal: `show ip interface brief` on every host (an output that does not change with the time), `-o json`.
fn unsharded(lab: &TestLab, home: &Path) -> Value {
    let inv = lab.inventory();
    let out = netrun_in(
        None,
        &[
            "-i",
            inv.to_str().unwrap(),
            "-o",
            "json",
            "show",
            "ip",
            "interface",
            "brief",
        ],
        &[("HOME", home.to_str().unwrap())],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    json(&out)
}

/// A 10-device lab where R4 refuses the login: the merge must carry a failure through.
fn lab() -> TestLab {
    TestLab::start(10, &["--fault", "auth-fail:R4"])
}

/// The host names of a results file's host lines, each checked to name shard `k`/`n`.
fn hosts_of(file: &Path, k: usize, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, hosts) = lines.split_last().unwrap();
    assert_eq!(summary["summary"]["shard"]["id"]["index"], k, "{text}");
    assert_eq!(summary["summary"]["shard"]["id"]["count"], n, "{text}");
    hosts
        .iter()
        .map(|h| {
            assert_eq!(h["shard"], format!("{k}/{n}"));
            h["name"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The first and last task id of the script's `#SBATCH --array=FIRST-LAST`.
fn array_range(sbatch: &str) -> (usize, usize) {
    let line = sbatch
        .lines()
        .find_map(|l| l.strip_prefix("#SBATCH --array="))
        .expect("an #SBATCH --array line");
    let (first, last) = line.split_once('-').unwrap();
    (first.parse().unwrap(), last.trim().parse().unwrap())
}

#[test]
fn the_slurm_array_and_its_merge_equal_the_unsharded_run() {
    let sbatch = std::fs::read_to_string(repo().join("deploy/slurm/netrun-array.sbatch")).unwrap();
    let (first, last) = array_range(&sbatch);
    let count = last - first + 1;
    let lab = lab();
    let home = tempfile::tempdir().unwrap();
    let results = tempfile::tempdir().unwrap();
    let inv = lab.inventory();
    let env_of = |task: usize| {
        vec![
            ("NETRUN_INVENTORY", inv.to_str().unwrap().to_string()),
            ("NETRUN_RESULTS_DIR", results.path().display().to_string()),
            ("SLURM_ARRAY_JOB_ID", "4242".to_string()),
            ("SLURM_ARRAY_TASK_ID", task.to_string()),
            ("SLURM_ARRAY_TASK_MIN", first.to_string()),
            ("SLURM_ARRAY_TASK_MAX", last.to_string()),
            ("SLURM_ARRAY_TASK_COUNT", count.to_string()),
        ]
    };
    let mut seen = Vec::new();
    for task in first..=last {
        let env = env_of(task);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = script(
            "deploy/slurm/netrun-array.sbatch",
            &["show", "ip", "interface", "brief"],
            &env,
            home.path(),
        );
        assert_eq!(out.status.code(), Some(0), "task {task}: {}", stderr(&out));
        let file = results.path().join(format!("4242/{task}.jsonl"));
        seen.extend(hosts_of(&file, task - first + 1, count));
    }
    seen.sort();
    let mut all: Vec<String> = (1..=10).map(|i| format!("R{i}")).collect();
    all.sort();
    assert_eq!(seen, all, "the tasks' shards cover the inventory once");

    let env = env_of(first);
    let mut env: Vec<(&str, &str)> = env[..2].iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("NETRUN_OUTPUT", "json"));
    let merge = script(
        "deploy/slurm/netrun-merge.sbatch",
        &["4242"],
        &env,
        home.path(),
    );
    assert_eq!(merge.status.code(), Some(1), "{}", stderr(&merge));
    let report = std::fs::read_to_string(results.path().join("4242/report")).unwrap();
    let merged: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        comparable(&merged),
        comparable(&unsharded(&lab, home.path()))
    );
    let failed = std::fs::read_to_string(results.path().join("4242/failed.txt")).unwrap();
    assert_eq!(failed, "R4\n");
}

#[test]
fn the_gnu_parallel_script_merges_into_the_unsharded_run() {
    let test = "the_gnu_parallel_script_merges_into_the_unsharded_run";
    if Command::new("parallel").arg("--version").output().is_err() {
        return not_run(
            test,
            "GNU parallel is not installed (Debian package `parallel`)",
        );
    }
    let lab = lab();
    let home = tempfile::tempdir().unwrap();
    let results = tempfile::tempdir().unwrap();
    let dir = results.path().join("today");
    let inv = lab.inventory();
    let args = [
        "4",
        inv.to_str().unwrap(),
        dir.to_str().unwrap(),
        "show",
        "ip",
        "interface",
        "brief",
    ];
    let out = script(
        "deploy/parallel/netrun-shards",
        &args,
        &[("NETRUN_OUTPUT", "json")],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        comparable(&json(&out)),
        comparable(&unsharded(&lab, home.path()))
    );
    for k in 1..=4 {
        hosts_of(&dir.join(format!("{k}.jsonl")), k, 4);
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("failed.txt")).unwrap(),
        "R4\n"
    );

    let again = script("deploy/parallel/netrun-shards", &args, &[], home.path());
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("already holds results files"));
}

/// A manifest's YAML documents.
fn documents(path: &str) -> Vec<serde_norway::Value> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
        .collect()
}

fn job<'a>(docs: &'a [serde_norway::Value], name: &str) -> &'a serde_norway::Value {
    docs.iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no Job {name}"))
}

fn strings(value: &serde_norway::Value) -> Vec<String> {
    value
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The value after `flag` in `args`.
fn after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args.iter().position(|a| a == flag).unwrap();
    &args[at + 1]
}

#[test]
fn the_kubernetes_indexed_job_and_its_merge_agree_on_shards_files_and_inventory() {
    let shards = documents("deploy/kubernetes/netrun-indexed-job.yaml");
    let merge = documents("deploy/kubernetes/netrun-merge-job.yaml");
    let job_spec = &job(&shards, "netrun-shards")["spec"];
    assert_eq!(job_spec["completionMode"], "Indexed");
    let completions = job_spec["completions"].as_u64().unwrap();
    assert_eq!(job_spec["parallelism"].as_u64(), Some(completions));
    let failing = &job_spec["podFailurePolicy"]["rules"][0];
    assert_eq!(failing["action"], "FailIndex");
    let codes: Vec<u64> = failing["onExitCodes"]["values"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(codes, [1, 2], "finished shards are not run again");

    let pod = &job_spec["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "netrun:local");
    assert_eq!(container["imagePullPolicy"], "Never");
    let env = container["env"].as_sequence().unwrap();
    let shards_env = env.iter().find(|e| e["name"] == "NETRUN_SHARDS").unwrap();
    assert_eq!(
        shards_env["value"].as_str(),
        Some(completions.to_string().as_str())
    );
    assert!(
        !env.iter().any(|e| e["name"] == "NETRUN_PASSWORD"),
        "credentials come from the Secret"
    );
    assert_eq!(
        container["envFrom"][0]["secretRef"]["name"],
        "netrun-credentials"
    );
    let args = strings(&container["args"]);
    assert_eq!(
        after(&args, "--results"),
        "/results/$(JOB_COMPLETION_INDEX).jsonl"
    );
    assert_eq!(after(&args, "--host-key-policy"), "strict");

    let merge_container = &job(&merge, "netrun-merge")["spec"]["template"]["spec"]["containers"][0];
    let merge_args = strings(&merge_container["args"]);
    assert_eq!(merge_args[0], "merge");
    let files: Vec<String> = (0..completions)
        .map(|i| format!("/results/{i}.jsonl"))
        .collect();
    assert_eq!(merge_args[1..=files.len()], files[..], "one file per index");
    assert_eq!(after(&merge_args, "-i"), after(&args, "-i"));

    // Both containers' args are what netrun's own parser accepts.
    for argv in [&args, &merge_args] {
        let parsed =
            netrun::parse_args(std::iter::once("netrun").chain(argv.iter().map(String::as_str)));
        assert!(parsed.is_ok(), "{argv:?}: {}", parsed.err().unwrap());
    }
}

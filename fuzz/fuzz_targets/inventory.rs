//! Fuzz the inventory loader with arbitrary bytes as the book's devices.yaml file and as a Nornir
//! folder. The input is split at NUL bytes (never valid in YAML text): the first part is the
//! devices.yaml file and the folder's hosts.yaml, the second and third (when present) the
//! folder's groups.yaml and defaults.yaml.
//!
//! The file is read as whichever format netrun detects in it (the book's list, Ansible YAML, a
//! .netmiko.yml, a Nornir config.yaml naming other files).
//!
//! Checked, besides no panic and no hang: a file that is not UTF-8 is a read error naming it;
//! every other error names one of the files and a line (in YAML's line breaks) and column inside
//! it or at its end, or, when the input is a Nornir config (it has an `inventory` key), may name
//! a file the config names; a loaded inventory has at least one host, with unique names.
#![no_main]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netrun::{load_inventory, Inventory, InventoryError};

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(3, |&b| b == 0);
    let hosts = parts.next().unwrap_or_default();
    let dir = scratch();
    let book = dir.join("devices.yaml");
    std::fs::write(&book, hosts).expect("write devices.yaml");
    let names_files = String::from_utf8_lossy(hosts).contains("inventory");
    check(load_inventory(&book, &env), &[(&book, hosts)], names_files);

    let folder = dir.join("nornir");
    let mut files = vec![(folder.join("hosts.yaml"), hosts)];
    for name in ["groups.yaml", "defaults.yaml"] {
        let path = folder.join(name);
        match parts.next() {
            Some(text) => files.push((path, text)),
            None => remove(&path),
        }
    }
    for (path, text) in &files {
        std::fs::write(path, text).expect("write a Nornir file");
    }
    let files: Vec<(&Path, &[u8])> = files.iter().map(|(p, t)| (p.as_path(), *t)).collect();
    check(load_inventory(&folder, &env), &files, false);
});

/// `${PW}` is set, every other variable (`NETRUN_PASSWORD` included) is not.
fn env(name: &str) -> Option<String> {
    (name == "PW").then(|| "from-env".to_string())
}

/// `names_files`: the input may be a Nornir config, whose errors can be about the files it
/// names; those are only checked for a position.
fn check(loaded: Result<Inventory, InventoryError>, files: &[(&Path, &[u8])], names_files: bool) {
    match loaded {
        Ok(inventory) => {
            assert!(
                !inventory.hosts.is_empty(),
                "an inventory without hosts loaded"
            );
            let mut names = HashSet::new();
            for host in &inventory.hosts {
                assert!(names.insert(&host.name), "host {:?} twice", host.name);
            }
        }
        Err(InventoryError::Read { file, .. }) if names_files && given(files, &file).is_none() => {}
        Err(InventoryError::Invalid {
            file, line, column, ..
        }) if names_files && given(files, &file).is_none() => {
            assert!(line >= 1 && column >= 1, "{file:?}:{line}:{column}");
        }
        Err(InventoryError::Read { file, source }) => {
            let text = text_of(files, &file);
            assert!(
                std::str::from_utf8(text).is_err(),
                "read error {source} on UTF-8"
            );
        }
        Err(InventoryError::Invalid {
            file, line, column, ..
        }) => {
            let text = String::from_utf8_lossy(text_of(files, &file));
            // YAML's line breaks are LF, CR LF and a lone CR; the parser places the end of the
            // input on the line after the last one, even without a final break.
            let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count() + 1;
            assert!((1..=lines).contains(&line), "line {line} of {lines}");
            assert!(column >= 1, "column {column}");
        }
    }
}

/// The text written to `file`, which must be one of `files`.
fn text_of<'a>(files: &[(&Path, &'a [u8])], file: &Path) -> &'a [u8] {
    given(files, file).unwrap_or_else(|| panic!("error names {file:?}, not a file given"))
}

fn given<'a>(files: &[(&Path, &'a [u8])], file: &Path) -> Option<&'a [u8]> {
    files
        .iter()
        .find(|(path, _)| *path == file)
        .map(|(_, text)| *text)
}

/// This process's scratch folder, under the fuzz crate's (gitignored) target dir, so nothing is
/// left in the temporary directory; each fuzzing process has its own.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("inventory-scratch")
            .join(std::process::id().to_string());
        std::fs::create_dir_all(dir.join("nornir")).expect("create the scratch folder");
        dir
    })
}

fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => panic!("remove {path:?}: {err}"),
    }
}

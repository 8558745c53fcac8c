//! Where the TextFSM templates are: `--templates DIR`, else `$NET_TEXTFSM` (Netmiko's
//! variable), else the `templates` folder of the `ntc_templates` package that `python3` imports,
//! else an error naming all three. netrun ships no templates of its own.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{anyhow, Result};

use crate::inventory::Env;

/// Netmiko's variable for a TextFSM templates folder.
pub const TEMPLATES_VAR: &str = "NET_TEXTFSM";

/// Asks the Python package where its templates are; injected so tests need no Python.
pub type AskPython<'a> = &'a dyn Fn() -> Result<PathBuf, String>;

/// The folder of the ntc-templates index and templates.
pub fn templates_dir(flag: Option<&PathBuf>, env: Env, python: AskPython) -> Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir.clone());
    }
    if let Some(dir) = env(TEMPLATES_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    python().map_err(|why| {
        anyhow!(
            "--parse textfsm needs TextFSM templates: give --templates DIR, or set \
             {TEMPLATES_VAR}=DIR, or install the ntc-templates Python package for python3 \
             (pip install ntc-templates); python3 could not tell: {why}"
        )
    })
}

/// The code python3 runs: the package's own templates folder (what ntc_templates.parse uses
/// when NTC_TEMPLATES_DIR is not set).
const WHERE: &str =
    "import os, ntc_templates; print(os.path.join(os.path.dirname(ntc_templates.__file__), 'templates'))";

/// Ask `python3` (from PATH) where the installed `ntc_templates` keeps its templates.
pub fn ask_python() -> Result<PathBuf, String> {
    let output = Command::new("python3")
        .args(["-c", WHERE])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("running python3: {err}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("no message");
        return Err(format!("{}: {last}", output.status));
    }
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    match PathBuf::from(&dir) {
        path if path.join("index").is_file() => Ok(path),
        _ => Err(format!(
            "ntc_templates says '{dir}', which has no index file"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_python() -> Result<PathBuf, String> {
        Err("No module named 'ntc_templates'".into())
    }

    #[test]
    fn the_flag_then_the_variable_then_python() {
        let flag = PathBuf::from("/flag");
        let env = |name: &str| (name == TEMPLATES_VAR).then(|| "/env".to_string());
        let python = || Ok(PathBuf::from("/python"));
        let none = |_: &str| None;
        assert_eq!(templates_dir(Some(&flag), &env, &python).unwrap(), flag);
        assert_eq!(
            templates_dir(None, &env, &python).unwrap(),
            PathBuf::from("/env")
        );
        assert_eq!(
            templates_dir(None, &none, &python).unwrap(),
            PathBuf::from("/python")
        );
        let err = templates_dir(None, &none, &no_python)
            .unwrap_err()
            .to_string();
        for named in [
            "--templates DIR",
            "NET_TEXTFSM",
            "ntc-templates",
            "No module named",
        ] {
            assert!(err.contains(named), "{err}");
        }
    }
}

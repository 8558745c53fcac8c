//! Pre-flight: every option naming a file or folder is checked before the inventory is loaded,
//! the `--lab` started or any socket opened, so that a bad one exits 2 with nothing done. A
//! `--save` folder found unwritable only after the run would report "nothing was run" about
//! devices that a config push had already changed.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::Context;

/// A folder results will be written to (`--save`, `--save-dir`): created if missing, then
/// proven writable by writing and removing a probe file, as the results will be written.
pub fn writable_dir(flag: &str, dir: &Path) -> anyhow::Result<()> {
    let shown = dir.display();
    std::fs::create_dir_all(dir).with_context(|| format!("{flag} {shown}: cannot create it"))?;
    let probe = dir.join(format!(".netrun-probe.{}.tmp", std::process::id()));
    std::fs::write(&probe, b"probe")
        .with_context(|| format!("{flag} {shown}: cannot write files there"))?;
    std::fs::remove_file(&probe)
        .with_context(|| format!("{flag} {shown}: cannot remove the probe file written there"))
}

/// A file that will be read (`--file`, `--template`): it opens for reading and is a file.
pub fn readable_file(flag: &str, path: &Path) -> anyhow::Result<()> {
    let shown = path.display();
    let file = File::open(path).with_context(|| format!("{flag} {shown}: cannot read it"))?;
    let metadata = file
        .metadata()
        .with_context(|| format!("{flag} {shown}: cannot read it"))?;
    anyhow::ensure!(
        !metadata.is_dir(),
        "{flag} {shown}: is a folder, not a file"
    );
    Ok(())
}

/// A file that will be written at the end (`--plot`): it can be opened for writing. A file that
/// did not exist is removed again, so a run that fails later leaves no empty file behind.
pub fn writable_file(flag: &str, path: &Path) -> anyhow::Result<()> {
    let existed = path.exists();
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("{flag} {}: cannot write it", path.display()))?;
    if !existed {
        std::fs::remove_file(path)
            .with_context(|| format!("{flag} {}: cannot remove the probe", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_save_folder_is_created_and_left_empty() {
        let dir = tempfile::tempdir().unwrap();
        let save = dir.path().join("a/b");
        writable_dir("--save", &save).unwrap();
        assert!(save.is_dir());
        assert_eq!(std::fs::read_dir(&save).unwrap().count(), 0);
    }

    #[test]
    fn a_save_folder_under_a_file_is_refused_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "x").unwrap();
        let err = writable_dir("--save-dir", &file.join("out")).unwrap_err();
        assert!(format!("{err:#}").starts_with("--save-dir "), "{err:#}");
        assert!(
            writable_dir("--save", &file).is_err(),
            "a file is no folder"
        );
    }

    #[test]
    fn files_to_read_exist_and_are_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lines.txt");
        std::fs::write(&file, "ntp server 1.1.1.1\n").unwrap();
        readable_file("--file", &file).unwrap();
        let missing = readable_file("--template", &dir.path().join("no.j2")).unwrap_err();
        assert!(
            format!("{missing:#}").contains("cannot read it"),
            "{missing:#}"
        );
        let folder = readable_file("--file", dir.path()).unwrap_err();
        assert!(format!("{folder:#}").contains("is a folder"), "{folder:#}");
    }

    #[test]
    fn a_file_to_write_is_probed_without_leaving_it_behind() {
        let dir = tempfile::tempdir().unwrap();
        let plot = dir.path().join("plot.svg");
        writable_file("--plot", &plot).unwrap();
        assert!(!plot.exists());
        std::fs::write(&plot, "old").unwrap();
        writable_file("--plot", &plot).unwrap();
        assert_eq!(
            std::fs::read_to_string(&plot).unwrap(),
            "old",
            "kept untouched"
        );
        assert!(writable_file("--plot", &plot.join("x.svg")).is_err());
    }
}

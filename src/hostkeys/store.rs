//! The known_hosts files of a run, read once and kept in memory, and the one writer.
//!
//! Every file is read when the run is resolved (before any fork, so fork workers inherit what
//! was read): a malformed line is an error then, naming the file and line. A key is looked up in
//! memory. A new key (`accept-new`) is appended under an exclusive flock on the file: the writer
//! first reads what other writers (threads, fork workers, other netrun or OpenSSH processes)
//! appended since its last read, looks again, and appends only if the host is still unknown, in
//! one write of one whole line. So many writers at once leave no torn and no duplicate lines,
//! and each read costs only the new tail, never the whole file again.
//!
//! Lines naming hosts literally (no wildcard, negation or hash) are indexed by name, so a
//! lookup in a file of thousands of devices costs a hash lookup; wildcard and hashed lines are
//! tried one by one (a hashed line costs one HMAC-SHA1 per lookup, as in OpenSSH).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::known_hosts::{self, Entry, Lookup};

/// The files of a run, each read into memory.
#[derive(Debug, Default)]
pub struct KnownHosts {
    files: Mutex<Vec<FileView>>,
}

/// One file as far as it was read.
#[derive(Debug)]
struct FileView {
    path: PathBuf,
    entries: Vec<Entry>,
    /// Bytes read: whole lines only.
    read_to: u64,
    /// Lines read.
    lines: usize,
    /// (device, inode) when read; a file replaced since is read again from the start.
    identity: Option<(u64, u64)>,
    /// Entries by the literal (lowercased) names their lines list, in file order.
    literal: HashMap<String, Vec<usize>>,
    /// Entries that must be tried on every lookup (wildcards, negations, hashed names).
    tried: Vec<usize>,
}

/// Where an entry is: its file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// What a lookup found, with the entry's key when it is another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Known(Place),
    Revoked(Place),
    /// Another key is known: where, and that key.
    Changed(Place, Vec<u8>),
    CertAuthority(Place),
    Unknown,
}

/// The result of recording a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Appended to the file.
    Appended,
    /// Someone else recorded something for the host meanwhile: this is what it says now.
    Meanwhile(Found),
}

/// A known_hosts file that could not be read, or has a line that is not an entry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}: {field}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        field: &'static str,
        message: String,
    },
}

impl KnownHosts {
    /// Read `paths` (a missing file is an empty one).
    pub fn load<'p>(paths: impl IntoIterator<Item = &'p Path>) -> Result<KnownHosts, StoreError> {
        let mut files: Vec<FileView> = Vec::new();
        for path in paths {
            if files.iter().all(|view| view.path != path) {
                let mut view = FileView::new(path);
                if let Some(mut file) = open_existing(path)? {
                    view.refresh(&mut file)?;
                }
                files.push(view);
            }
        }
        Ok(KnownHosts {
            files: Mutex::new(files),
        })
    }

    /// What `files` (in order) say about `name`'s `key`. A file not loaded yet is read now.
    pub fn find(&self, files: &[PathBuf], name: &str, key: &[u8]) -> Result<Found, StoreError> {
        let mut views = self.lock();
        ensure_loaded(&mut views, files)?;
        Ok(find_in(&views, files, name, key))
    }

    /// The key types `files` hold for `name`, in file order.
    pub fn known_types(&self, files: &[PathBuf], name: &str) -> Vec<String> {
        let mut views = self.lock();
        if ensure_loaded(&mut views, files).is_err() {
            return Vec::new();
        }
        let entries = files
            .iter()
            .filter_map(|path| views.iter().find(|v| &v.path == path))
            .flat_map(|view| view.candidates(name));
        known_hosts::known_types(entries, name)
    }

    /// Append `name`'s `key` to `files[0]` unless, read again under the file's lock, `files` now
    /// say something about the host. Creates the file (and its directory, mode 0700, as OpenSSH
    /// creates ~/.ssh) if needed.
    pub fn record(
        &self,
        files: &[PathBuf],
        name: &str,
        key: &[u8],
    ) -> Result<Recorded, StoreError> {
        let path = files.first().ok_or_else(|| StoreError::Read {
            path: PathBuf::from("(no known_hosts file)"),
            error: std::io::Error::other("no known_hosts file to record the key in"),
        })?;
        let read_error = |error| StoreError::Read {
            path: path.clone(),
            error,
        };
        let mut views = self.lock();
        ensure_loaded(&mut views, files)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Fork workers may race to create it: one that finds it made by another is fine.
            match std::fs::DirBuilder::new().mode(0o700).create(parent) {
                Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(read_error(err));
                }
                _ => {}
            }
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(read_error)?;
        crate::os::lock_exclusive(&file).map_err(read_error)?;
        let view = views
            .iter_mut()
            .find(|v| &v.path == path)
            .expect("ensure_loaded loaded every file");
        view.refresh(&mut file)?;
        let found = find_in(&views, files, name, key);
        if found != Found::Unknown {
            return Ok(Recorded::Meanwhile(found));
        }
        let view = views
            .iter_mut()
            .find(|v| &v.path == path)
            .expect("ensure_loaded loaded every file");
        let size = file.metadata().map_err(read_error)?.len();
        // A file whose last line has no line end (an editor's) gets one first.
        let mut line = known_hosts::line_for(name, key);
        if size > view.read_to {
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes()).map_err(read_error)?;
        view.refresh(&mut file)?;
        Ok(Recorded::Appended)
        // The lock goes with `file`, closed here.
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FileView>> {
        // A panic elsewhere while holding the lock leaves the views as consistent as any read.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn ensure_loaded(views: &mut Vec<FileView>, files: &[PathBuf]) -> Result<(), StoreError> {
    for path in files {
        if views.iter().all(|v| &v.path != path) {
            let mut view = FileView::new(path);
            if let Some(mut file) = open_existing(path)? {
                view.refresh(&mut file)?;
            }
            views.push(view);
        }
    }
    Ok(())
}

fn find_in(views: &[FileView], files: &[PathBuf], name: &str, key: &[u8]) -> Found {
    let entries = files
        .iter()
        .filter_map(|path| views.iter().find(|v| &v.path == path))
        .flat_map(|view| {
            view.candidates(name)
                .map(move |entry| ((view, entry), entry))
        });
    let place = |(view, entry): (&FileView, &Entry)| Place {
        path: view.path.clone(),
        line: entry.line,
    };
    match known_hosts::lookup(entries, name, key) {
        Lookup::Known(at) => Found::Known(place(at)),
        Lookup::Revoked(at) => Found::Revoked(place(at)),
        Lookup::Changed(at) => Found::Changed(place(at), at.1.key.clone()),
        Lookup::CertAuthority(at) => Found::CertAuthority(place(at)),
        Lookup::Unknown => Found::Unknown,
    }
}

fn open_existing(path: &Path) -> Result<Option<File>, StoreError> {
    match File::open(path) {
        Ok(file) => Ok(Some(file)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StoreError::Read {
            path: path.to_path_buf(),
            error,
        }),
    }
}

impl FileView {
    fn new(path: &Path) -> FileView {
        FileView {
            path: path.to_path_buf(),
            entries: Vec::new(),
            read_to: 0,
            lines: 0,
            identity: None,
            literal: HashMap::new(),
            tried: Vec::new(),
        }
    }

    /// The entries that may name `name`, in file order: those listing it literally and those
    /// that must be tried.
    fn candidates<'v>(&'v self, name: &str) -> impl Iterator<Item = &'v Entry> + 'v {
        let literal = self.literal.get(name).map_or(&[][..], Vec::as_slice);
        let (mut a, mut b) = (literal.iter().peekable(), self.tried.iter().peekable());
        std::iter::from_fn(move || {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x <= y => a.next(),
                (Some(_), Some(_)) | (None, Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, None) => None,
            }?;
            Some(&self.entries[*next])
        })
    }

    /// Index the entry at `index` by its literal names, or among those tried every time.
    fn index(&mut self, index: usize) {
        match &self.entries[index].hosts {
            known_hosts::Hosts::Patterns(patterns)
                if patterns.iter().all(|p| !p.contains(['*', '?', '!'])) =>
            {
                for pattern in patterns {
                    let slot = self
                        .literal
                        .entry(pattern.to_ascii_lowercase())
                        .or_default();
                    // A line listing a name twice is one candidate.
                    if slot.last() != Some(&index) {
                        slot.push(index);
                    }
                }
            }
            _ => self.tried.push(index),
        }
    }

    /// Read what was appended since the last read (all of it if the file was replaced or cut).
    fn refresh(&mut self, file: &mut File) -> Result<(), StoreError> {
        let path = self.path.clone();
        let read_error = |error| StoreError::Read {
            path: path.clone(),
            error,
        };
        let meta = file.metadata().map_err(read_error)?;
        let identity = Some((meta.dev(), meta.ino()));
        if identity != self.identity || meta.len() < self.read_to {
            *self = FileView {
                identity,
                ..FileView::new(&self.path)
            };
        }
        file.seek(SeekFrom::Start(self.read_to))
            .map_err(read_error)?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(read_error)?;
        let whole = known_hosts::complete_prefix(&tail);
        let text = std::str::from_utf8(&tail[..whole]).map_err(|_| StoreError::Malformed {
            path: self.path.clone(),
            line: self.lines + 1,
            field: "line",
            message: "is not UTF-8 text".into(),
        })?;
        let entries =
            known_hosts::parse(text, self.lines + 1).map_err(|e| StoreError::Malformed {
                path: self.path.clone(),
                line: e.line,
                field: e.field,
                message: e.message,
            })?;
        let first = self.entries.len();
        self.entries.extend(entries);
        for index in first..self.entries.len() {
            self.index(index);
        }
        self.lines += text.lines().count();
        self.read_to += whole as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64, Encoding};

    const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJnH5R4BYPK1oBAOmh0Bj0COs9oBvwQESK8lpSGbMYiR";
    const OTHER: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIIrQPWdn78pUZXchduwr6Z9P0aRX9lVG/mdAVfriWmPu";

    fn key(b64: &str) -> Vec<u8> {
        Base64::decode_vec(b64).unwrap()
    }

    #[test]
    fn a_new_key_is_appended_once_and_then_known() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh").join("known_hosts");
        let files = vec![path.clone()];
        let store = KnownHosts::load(files.iter().map(PathBuf::as_path)).unwrap();
        let name = "[127.0.0.1]:20022";
        assert_eq!(
            store.find(&files, name, &key(ED25519)).unwrap(),
            Found::Unknown
        );
        assert_eq!(
            store.record(&files, name, &key(ED25519)).unwrap(),
            Recorded::Appended
        );
        let place = Place {
            path: path.clone(),
            line: 1,
        };
        assert_eq!(
            store.find(&files, name, &key(ED25519)).unwrap(),
            Found::Known(place.clone())
        );
        // A second store (another process) sees it under the lock and does not append again.
        let other = KnownHosts::load([path.as_path()]).unwrap();
        let stale = KnownHosts::default();
        assert_eq!(
            stale.record(&files, name, &key(ED25519)).unwrap(),
            Recorded::Meanwhile(Found::Known(place.clone()))
        );
        assert_eq!(
            other.find(&files, name, &key(OTHER)).unwrap(),
            Found::Changed(place, key(ED25519))
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{name} ssh-ed25519 {ED25519}\n"));
        let mode = std::fs::metadata(path.parent().unwrap()).unwrap().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_file_without_a_final_line_end_gets_one_before_the_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, format!("r1 ssh-ed25519 {ED25519}")).unwrap();
        let files = vec![path.clone()];
        let store = KnownHosts::load([path.as_path()]).unwrap();
        store.record(&files, "r2", &key(OTHER)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("r1 ssh-ed25519 {ED25519}\nr2 ssh-ed25519 {OTHER}\n")
        );
        assert!(matches!(
            store.find(&files, "r1", &key(ED25519)).unwrap(),
            Found::Known(Place { line: 1, .. })
        ));
    }

    #[test]
    fn literal_wildcard_and_hashed_lines_are_all_found_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(
            &path,
            format!(
                "R1.lab,r2.lab ssh-ed25519 {OTHER}\n\
                 *.lab ssh-ed25519 {ED25519}\n\
                 |1|8xQJ4YU4VpZcZZCeit5EW31NSRQ=|KhtpNiwU85QKr3K3MrsfL5ALwC4= ssh-ed25519 {ED25519}\n\
                 r3.lab ssh-ed25519 {OTHER}\n"
            ),
        )
        .unwrap();
        let files = vec![path.clone()];
        let store = KnownHosts::load([path.as_path()]).unwrap();
        let line = |found| match found {
            Found::Known(place) => place.line,
            other => panic!("{other:?}"),
        };
        // The literal line (1) comes before the wildcard one (2).
        assert_eq!(line(store.find(&files, "r1.lab", &key(OTHER)).unwrap()), 1);
        assert_eq!(
            line(store.find(&files, "r1.lab", &key(ED25519)).unwrap()),
            2
        );
        assert_eq!(line(store.find(&files, "r3.lab", &key(OTHER)).unwrap()), 4);
        // r9.lab only by the wildcard; r1.lab's hashed line (3) comes after the wildcard's.
        assert_eq!(
            line(store.find(&files, "r9.lab", &key(ED25519)).unwrap()),
            2
        );
        assert!(matches!(
            store.find(&files, "r9.lab", &key(OTHER)).unwrap(),
            Found::Changed(Place { line: 2, .. }, _)
        ));
        assert_eq!(store.known_types(&files, "r2.lab"), ["ssh-ed25519"]);
        assert!(store.known_types(&files, "r2.other").is_empty());
    }

    #[test]
    fn malformed_files_name_the_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, "# fine\nr1 ssh-ed25519\n").unwrap();
        let err = KnownHosts::load([path.as_path()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}:2: key: missing after `ssh-ed25519`", path.display())
        );
    }
}

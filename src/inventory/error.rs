//! Inventory errors: every one names the file and, when it is about a value, the line, column and
//! field, as `FILE:LINE:COL: FIELD: message`, so a person can go straight to the mistake.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why an inventory could not be loaded. The CLI exits 2 on any of these.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The file or folder could not be read at all.
    #[error("{}: cannot read the inventory", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A problem at a place in a file: malformed YAML, a wrong value, a missing one, a duplicate.
    #[error("{}", At { file, line: *line, column: *column, field: field.as_deref(), message })]
    Invalid {
        file: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        /// The key the problem is about (`port`, `data.site`); `None` for the file's structure.
        field: Option<String>,
        message: String,
    },
}

impl InventoryError {
    pub(crate) fn read(file: &Path, source: std::io::Error) -> Self {
        InventoryError::Read {
            file: file.to_path_buf(),
            source,
        }
    }

    /// `(line, column)`, 1-based, when the error is about a place in a file.
    #[cfg(test)]
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            InventoryError::Read { .. } => None,
            InventoryError::Invalid { line, column, .. } => Some((*line, *column)),
        }
    }
}

/// Renders `FILE:LINE:COL: FIELD: message` (without `FIELD: ` when there is no field).
struct At<'a> {
    file: &'a Path,
    line: usize,
    column: usize,
    field: Option<&'a str>,
    message: &'a str,
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if let Some(field) = self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(self.message)
    }
}

/// Why `--limit` could not select hosts. The CLI exits 2 on any of these.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The pattern is not a valid glob.
    #[error("--limit {limit:?}: not a valid pattern: {reason}")]
    BadPattern { limit: String, reason: String },
    /// Nothing in the inventory matches the limit: most likely a typo, so say so rather than
    /// silently running on fewer hosts.
    #[error("--limit {limit:?} matches no host in the inventory ({known})")]
    NoMatch { limit: String, known: String },
    /// The limits are each known but together select no host (`group:core&group:edge`).
    #[error("--limit {limits}: together they select no host")]
    NothingSelected { limits: String },
    /// A `@FILE` limit's file cannot be read or names nothing.
    #[error("--limit {limit:?}: {reason}")]
    NamesFile { limit: String, reason: String },
    /// A `@FILE` limit names a host the inventory does not have.
    #[error("{}:{line}: host {name:?} is not in the inventory", file.display())]
    UnknownName {
        file: std::path::PathBuf,
        line: usize,
        name: String,
    },
}

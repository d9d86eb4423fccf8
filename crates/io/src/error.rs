//! The one error type of this crate.

use std::path::PathBuf;

use tierank_format::FormatError;
use tierank_graph::GraphError;

/// Errors raised while reading a dataset or writing an engine output.
///
/// Every variant that concerns a file names it; value errors also name the column and the
/// row (0-based index of the row within the file, as pandas and polars number rows).
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A graph snapshot that cannot be used: truncated, corrupt, of another format version,
    /// or built with other loader options than asked for.
    #[error("{}: {reason}", path.display())]
    Snapshot {
        /// The snapshot file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A required file or directory does not exist.
    #[error("{}: {what}", path.display())]
    Missing {
        /// The missing path.
        path: PathBuf,
        /// What was expected there.
        what: String,
    },
    /// An operating-system I/O error on `path`.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The Parquet or Arrow library failed on `path` (corrupt file, not Parquet, ...).
    #[error("{}: cannot read or write Parquet: {message}", path.display())]
    Parquet {
        /// The file involved.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// Writing an output file failed (a full disk, a lost mount, ...): a failure of the
    /// machine, never the user's input, even though the Parquet library reports it. Kept
    /// apart from [`IoError::Parquet`], which on the read side means a corrupt input file.
    #[error("{}: cannot write: {message}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The library's message (it carries the operating system's error).
        message: String,
    },
    /// A required column is absent.
    #[error("{}: missing column '{column}' (columns found: {})", path.display(), found.join(", "))]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The required column.
        column: String,
        /// The columns the file has.
        found: Vec<String>,
    },
    /// A dataset in the layout of an older output format that this version cannot read
    /// as it is (the `truth/` directory of format 1): regenerate it.
    #[error("{}: {reason}", path.display())]
    OldLayout {
        /// The file or directory of the old layout.
        path: PathBuf,
        /// What changed and what to do.
        reason: String,
    },
    /// A column has the name an older format gave it: the file was written for (or by) an
    /// older tierank. Named apart from [`IoError::MissingColumn`] so the message can say
    /// what the column is called now.
    #[error(
        "{}: column '{old}' is called '{new}' since tierank's output format 2 (one name per \
         concept, docs/data-model.md \"Glossary\"); rename it in the file, or regenerate a \
         generated dataset with `tierank generate`",
        path.display()
    )]
    RenamedColumn {
        /// The file.
        path: PathBuf,
        /// The column's old name, found in the file.
        old: String,
        /// The name the contract now requires.
        new: String,
    },
    /// A column has a type that cannot be read as the contract's type.
    #[error("{}: column '{column}' has type {found}, expected {expected}", path.display())]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// What the contract accepts.
        expected: String,
        /// The type found.
        found: String,
    },
    /// One value is unusable: null, NaN, negative, not an integer, an unknown channel, ...
    #[error("{}: column '{column}', row {row}: {reason}", path.display())]
    BadValue {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// 0-based row index within the file (data rows, the CSV header not counted).
        row: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Some target ids are not people of the graph.
    #[error(
        "{count} target person id(s) are not in the graph (first: {})",
        first.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    )]
    UnknownTargets {
        /// Number of distinct unknown ids.
        count: usize,
        /// The first unknown ids in input order (at most 5).
        first: Vec<i64>,
    },
    /// The target list is empty.
    #[error("the target list is empty")]
    EmptyTargets,
    /// A target is listed twice: `select` would notify its audience twice.
    #[error(
        "target person id {id} is listed twice (positions {first} and {index}, counted from 0): \
         list each target once"
    )]
    RepeatedTarget {
        /// The repeated person id.
        id: i64,
        /// Its position in the list (0-based).
        index: usize,
        /// The position of its first listing.
        first: usize,
    },
    /// A target or opt-out list could not be read: `inner` says why, and this names which kind
    /// of list the file was given as.
    #[error("{list}: {inner}")]
    IdList {
        /// What the file was given as.
        list: crate::IdList,
        /// The error reading it.
        inner: Box<IoError>,
    },
    /// Input that is dropped and counted by default, refused because `strict` was asked for.
    #[error(
        "{}: {count} {what} (first at row {first_row}); refused in strict mode",
        path.display()
    )]
    Strict {
        /// The file holding the first offending row.
        path: PathBuf,
        /// What was found ("self-loops", "duplicate ties", "events between non-friends").
        what: String,
        /// How many offending rows, over the whole dataset.
        count: u64,
        /// 0-based row index of the first offending row within `path`.
        first_row: u64,
    },
    /// A file type this crate cannot read (by extension).
    #[error("{}: unsupported file type (expected .parquet or .csv)", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// A data file's SHA-256 differs from the one its dataset's `manifest.json` records.
    #[error(
        "{}: checksum mismatch: manifest.json records sha256 {expected}, the file has {actual}; \
         it was changed or corrupted after the dataset was written (`tierank verify` checks \
         every file)",
        path.display()
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The digest the manifest records.
        expected: String,
        /// The file's digest.
        actual: String,
    },
    /// The dataset's `manifest.json` lists a file that does not exist.
    #[error("{}: listed in {} but missing", path.display(), manifest.display())]
    ListedMissing {
        /// The missing file.
        path: PathBuf,
        /// The manifest that lists it.
        manifest: PathBuf,
    },
    /// The dataset's `manifest.json` is not a valid manifest.
    #[error("{}: invalid manifest: {message}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A [`crate::LoadOptions`] value is out of range.
    #[error("invalid load options: {reason}")]
    InvalidOptions {
        /// What is wrong.
        reason: String,
    },
    /// More events than a default window may leave out lie outside it
    /// ([`crate::window::MAX_OUTSIDE_FRACTION`]).
    #[error(
        "{}: {count} of {total} events lie outside the event window {window} ({range}; first at \
         row {row}), more than the 0.1 % a default window may leave out; give the window with \
         --window-start and --window-end (or --as-of)",
        path.display()
    )]
    OutsideWindow {
        /// The file of the first event outside.
        path: PathBuf,
        /// Its 0-based row.
        row: u64,
        /// Events outside.
        count: u64,
        /// All events.
        total: u64,
        /// The earliest and latest event outside, formatted.
        range: String,
        /// The window, formatted with its source.
        window: Box<str>,
    },
    /// Rows handed to a writer are inconsistent (a caller bug, not a user error).
    #[error("invalid output rows: {reason}")]
    InvalidRows {
        /// What is inconsistent.
        reason: String,
    },
    /// The loaded parts do not form a valid graph.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A dataset-contract operation failed.
    #[error(transparent)]
    Format(#[from] FormatError),
}

impl IoError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a Parquet or Arrow error with the path it concerns.
    pub fn parquet(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> Self {
        Self::Parquet {
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// Wraps a failure of a Parquet or Arrow writer of the output `path`.
    pub fn write(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> Self {
        Self::Write {
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// Whether the error is the user's input (exit code 2 in the CLI) rather than a
    /// failure of the machine (disk, permissions) or a bug.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::IdList { inner, .. } => inner.is_bad_input(),
            _ => !matches!(
                self,
                Self::Io { .. } | Self::Write { .. } | Self::InvalidRows { .. } | Self::Format(_)
            ),
        }
    }

    /// The error itself, or for an [`IoError::IdList`] the error it wraps.
    pub fn cause(&self) -> &Self {
        match self {
            Self::IdList { inner, .. } => inner.cause(),
            other => other,
        }
    }
}

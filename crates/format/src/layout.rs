//! File and directory names inside a dataset directory.
//!
//! ```text
//! DATASET/
//!   manifest.json              written last; its presence marks a complete dataset
//!   persons.parquet            optional
//!   ties.parquet               required: undirected friendships
//!   events/part-00000.parquet  required unless ties.parquet has a `weight` column
//!   groups.parquet             optional
//!   group_members.parquet      optional
//!   truth_closeness.parquet    optional ground truth, one row per directed tie
//!   truth_persons.parquet      optional latent person attributes (generator only)
//!   graph.tierank-snapshot     optional graph snapshot of `tierank index` (derived, unlisted)
//! ```
//!
//! One table per path: each file (and `events/`, whose parts are one table) reads as exactly
//! that table in Spark, DuckDB, polars and pyarrow. Before output format 2 the truth was a
//! directory `truth/` holding two tables, which Spark read as their union (all-null rows);
//! such a dataset is refused with a request to regenerate it ([`OLD_TRUTH_DIR`]).

use std::path::{Path, PathBuf};

/// Manifest file name.
pub const MANIFEST: &str = "manifest.json";
/// Persons file name.
pub const PERSONS: &str = "persons.parquet";
/// Ties file name.
pub const TIES: &str = "ties.parquet";
/// Directory holding event parts.
pub const EVENTS_DIR: &str = "events";
/// Groups file name.
pub const GROUPS: &str = "groups.parquet";
/// Group membership file name.
pub const GROUP_MEMBERS: &str = "group_members.parquet";
/// Ground-truth closeness file name. The `truth_` prefix keeps the ground truth apart from
/// the observable tables by name; it is never read by the graph loader.
pub const CLOSENESS: &str = "truth_closeness.parquet";
/// Latent person attributes (household, workplace, account type): ground truth.
pub const TRUTH_PERSONS: &str = "truth_persons.parquet";
/// The directory that held both truth tables before output format 2 (`truth/closeness.parquet`
/// and `truth/persons.parquet`). Readers refuse a dataset that has it: read as a directory it
/// was the union of two tables, and its closeness file says `ego` where the contract now says
/// `target`.
pub const OLD_TRUTH_DIR: &str = "truth";

/// The graph snapshot `tierank index` writes into a dataset by default. Derived from the
/// listed files (and checked against them when used), so never listed in the manifest and
/// not reported as unlisted by `tierank verify`.
pub const SNAPSHOT: &str = "graph.tierank-snapshot";

/// Name of the `index`-th events part: `part-00042.parquet`.
pub fn events_part_name(index: usize) -> String {
    format!("part-{index:05}.parquet")
}

/// Paths of a dataset rooted at one directory.
#[derive(Debug, Clone)]
pub struct DatasetPaths {
    root: PathBuf,
}

impl DatasetPaths {
    /// Paths relative to `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    /// The dataset directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `manifest.json`.
    pub fn manifest(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }
    /// `persons.parquet`.
    pub fn persons(&self) -> PathBuf {
        self.root.join(PERSONS)
    }
    /// `ties.parquet`.
    pub fn ties(&self) -> PathBuf {
        self.root.join(TIES)
    }
    /// `events/`.
    pub fn events_dir(&self) -> PathBuf {
        self.root.join(EVENTS_DIR)
    }
    /// `groups.parquet`.
    pub fn groups(&self) -> PathBuf {
        self.root.join(GROUPS)
    }
    /// `group_members.parquet`.
    pub fn group_members(&self) -> PathBuf {
        self.root.join(GROUP_MEMBERS)
    }
    /// `truth_closeness.parquet`.
    pub fn closeness(&self) -> PathBuf {
        self.root.join(CLOSENESS)
    }
    /// `truth_persons.parquet`.
    pub fn truth_persons(&self) -> PathBuf {
        self.root.join(TRUTH_PERSONS)
    }
    /// `truth/`, the pre-format-2 truth directory ([`OLD_TRUTH_DIR`]), when it exists.
    pub fn old_truth_dir(&self) -> Option<PathBuf> {
        let dir = self.root.join(OLD_TRUTH_DIR);
        dir.is_dir().then_some(dir)
    }
    /// The event part files present on disk, sorted by name. Empty if `events/` is missing.
    ///
    /// # Errors
    /// Fails if `events/` exists but cannot be listed.
    pub fn event_parts(&self) -> Result<Vec<PathBuf>, crate::FormatError> {
        let dir = self.events_dir();
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut parts = Vec::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| crate::FormatError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| crate::FormatError::io(&dir, e))?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "parquet") {
                parts.push(path);
            }
        }
        parts.sort();
        Ok(parts)
    }
}

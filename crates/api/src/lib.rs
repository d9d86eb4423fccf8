//! The request layer of tierank: one typed request per command (`generate`, `stats`, `index`,
//! `rank`, `compare`, `select`, `audit verify`), each with
//! `run(&self, progress) -> Result<Outcome, ApiError>`.
//!
//! Front ends (the `tierank` CLI, the Python package) only build a request from their
//! arguments, show progress and print or convert the outcome; every pipeline lives here, so
//! the same request gives the same output from any front end. Requests are serialisable:
//! `select` records its request in `audit.json`, and `audit verify` replays it.

pub mod artefact;
pub mod audit;
pub mod compare;
pub mod error;
pub mod generate;
pub mod index;
pub mod load;
pub mod memory;
pub mod params;
pub mod rank;
pub mod select;
pub mod stats;

use std::path::Path;

pub use audit::{AuditVerifyOutcome, AuditVerifyRequest};
pub use compare::{CompareOutcome, CompareRequest};
pub use error::ApiError;
pub use generate::{GenerateOutcome, GenerateRequest};
pub use index::IndexRequest;
pub use load::LoadSettings;
pub use memory::MemoryLimit;
pub use params::{HeuristicParams, WindowParams};
pub use rank::{LoadedGraph, RankOutcome, RankQuery, RankRequest, RankTable};
pub use select::{SelectOutcome, SelectRequest};
pub use stats::{StatsOutcome, StatsRequest};

use tierank_io::{LoadOptions, OpenedGraph};

/// How a request reports progress and warnings, and learns that it should stop. Every
/// method has a silent default, so [`NoProgress`] is the empty implementation.
pub trait Progress: Sync {
    /// A new stage of `len` steps named `what` begins.
    fn start(&self, len: u64, what: &str) {
        let _ = (len, what);
    }
    /// `done` steps of the current stage are done.
    fn set_position(&self, done: u64) {
        let _ = done;
    }
    /// One more step is done, and the next is named `what`.
    fn step(&self, what: &str) {
        let _ = what;
    }
    /// The stage is over.
    fn finish(&self) {}
    /// A warning for the user (the CLI prints `warning: MESSAGE` on stderr).
    fn warn(&self, message: &str) {
        log::warn!("{message}");
    }
    /// Whether the caller wants the request to stop (Ctrl-C in Python). Checked between
    /// stages and chunks; a cancelled request returns [`ApiError::Cancelled`] and writes
    /// nothing.
    fn cancelled(&self) -> bool {
        self.cancel_flag()
            .is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed))
    }
    /// A flag the caller sets (from another thread) to stop the request; long loops check
    /// it often (the ranking: before each target), so that they stop within moments.
    fn cancel_flag(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        None
    }
}

/// A table held in memory: its schema and its record batches, as the file of the same name
/// holds them (the same builder makes both). Front ends hand the batches over without a copy
/// (the Python package: the Arrow C data interface).
#[derive(Debug, Clone)]
pub struct Batches {
    /// The schema, with the file's metadata.
    pub schema: arrow::datatypes::SchemaRef,
    /// The rows, in the file's order.
    pub batches: Vec<arrow::record_batch::RecordBatch>,
}

/// Reports nothing and never cancels.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Returns [`ApiError::Cancelled`] when the caller asked to stop.
///
/// # Errors
/// [`ApiError::Cancelled`].
pub fn check_cancelled(progress: &dyn Progress) -> Result<(), ApiError> {
    if progress.cancelled() {
        Err(ApiError::Cancelled)
    } else {
        Ok(())
    }
}

/// Loads a dataset: the ONE place requests get a graph. `data` is a dataset directory or a
/// snapshot file of `tierank index`; with `use_snapshot`, a directory's up-to-date snapshot
/// (built with the same loader options) is opened instead of the Parquet files
/// (`tierank_io::open_graph`). The result names the dataset directory, where the truth and
/// the checksums of the files read are.
///
/// # Errors
/// Bad input for a dataset or snapshot that is wrong, a failure for an I/O error.
pub fn load_graph(
    data: &Path,
    opts: &LoadOptions,
    use_snapshot: bool,
) -> Result<OpenedGraph, ApiError> {
    tierank_io::open_graph(data, opts, use_snapshot).map_err(error::io_error)
}

/// Refuses an output file that exists (without `force`) or is a directory.
///
/// # Errors
/// A bad-input error naming `flag`.
pub fn check_output_file(flag: &str, path: &Path, force: bool) -> Result<(), ApiError> {
    if path.is_dir() {
        return Err(error::bad_input(format!(
            "{flag}: {} is a directory",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(error::bad_input(format!(
            "{flag}: {} already exists (pass --force to overwrite)",
            path.display()
        )));
    }
    Ok(())
}

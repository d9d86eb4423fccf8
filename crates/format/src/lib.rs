//! The tierank dataset contract.
//!
//! A *dataset* is a directory of Parquet files; this crate is the single place that says
//! what lives where and with which columns and types. The generator (`tierank-datagen`)
//! writes it, the engine (`tierank-io`) reads it, and users who bring their own data
//! export to it. `docs/data-model.md` is the human-readable version of this crate.
//!
//! # Crate layout
//! - [`layout`]: file and directory names inside a dataset.
//! - [`schema`]: column names and Arrow schemas of every file, including engine outputs.
//! - [`enums`]: the closed vocabularies stored as dictionary-encoded strings
//!   ([`Channel`], [`Relation`], [`AccountType`]).
//! - [`manifest`]: `manifest.json`, file checksums.
//! - [`atomic`]: write-to-temporary-then-swap helpers, so an interrupted run never leaves
//!   output that looks complete, nor a half-deleted old one.
//! - [`output`]: refuses output paths that would replace the working directory or an input.
//! - [`writer`]: the Parquet writer settings every tierank output uses, and its closing step.
//! - [`footer`]: the footer patch that makes FLOAT/DOUBLE statistics readable by every client.
//! - [`verify`]: every file of a dataset (or a `select` output) against its recorded
//!   checksums, for `tierank verify`.

pub mod atomic;
pub mod enums;
pub mod footer;
pub mod layout;
pub mod manifest;
pub mod output;
pub mod schema;
pub mod verify;
pub mod writer;

pub use enums::{AccountType, Channel, Relation};

/// Days in month `month` (1–12) of the proleptic Gregorian `year`, or `None` for a month
/// outside 1–12. Shared by the generator's `start_date` and the engine's window flags, which
/// both parse `YYYY-MM-DD` without a date crate.
pub fn days_in_month(year: i64, month: i64) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    })
}

/// A person as the outside world knows them: an arbitrary signed 64-bit id.
///
/// Ids carry no meaning; the generator draws them at random from the positive 63-bit range.
pub type PersonId = i64;

/// Version of the on-disk layout written to every manifest. Bump on any breaking change
/// to a file name, column name or column type.
///
/// 2: one name per concept (truth `ego` -> `target`, audiences `person` -> `alter` and
/// `rank` -> `selection_rank`, counts `num_targets`, `num_candidates`, `num_selected`,
/// degree buckets spelled `degree:1-9`), and one table per path (`truth_closeness.parquet`,
/// `truth_persons.parquet` instead of `truth/`). docs/data-model.md, "Glossary".
pub const FORMAT_VERSION: u32 = 2;

/// The version of tierank itself, recorded in manifests and audit files.
pub const TIERANK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Errors raised while writing or checking dataset files.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The output location is not usable (exists and is not empty, say).
    #[error("{path}: {reason}")]
    Output {
        /// The output path.
        path: std::path::PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A Parquet or Arrow operation failed on `path`.
    #[error("{path}: {message}")]
    Parquet {
        /// The file involved.
        path: std::path::PathBuf,
        /// The library's message.
        message: String,
    },
    /// `manifest.json` could not be parsed or serialised.
    #[error("{path}: invalid manifest: {message}")]
    Manifest {
        /// The manifest file.
        path: std::path::PathBuf,
        /// What was wrong.
        message: String,
    },
}

impl FormatError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::days_in_month;

    #[test]
    fn days_in_month_follows_the_gregorian_leap_rule() {
        assert_eq!(days_in_month(2024, 2), Some(29));
        assert_eq!(days_in_month(2026, 2), Some(28));
        assert_eq!(days_in_month(2100, 2), Some(28));
        assert_eq!(days_in_month(2000, 2), Some(29));
        assert_eq!(days_in_month(2026, 4), Some(30));
        assert_eq!(days_in_month(2026, 12), Some(31));
        assert_eq!(days_in_month(2026, 0), None);
        assert_eq!(days_in_month(2026, 13), None);
    }
}

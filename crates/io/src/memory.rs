//! An estimate of the memory [`crate::load_graph`] needs, from the row counts in the Parquet
//! footers alone (no data page is read), so that a command can refuse a dataset that cannot
//! fit before it starts loading.
//!
//! The model is linear: a fixed cost, plus a cost per tie row (ids, the edge list, the CSR
//! in both directions, weights, the interaction summaries of the tie), per person row, and
//! per event row (its decoded 24-byte record, capped in total by [`DECODED_EVENTS_BUDGET`],
//! and its share of the graph's channel records). Measured on `medium` (seed 1, 126.9 M
//! events, 12.7 M ties): peak RSS 5,023 MiB, estimate 5,359 MiB.
//! The coefficients are fitted to peak RSS measured with `/usr/bin/time -v` on generated
//! datasets (see `docs/architecture.md`, "Memory"); the estimate aims to be within a factor of
//! about 1.5, enough to refuse what cannot fit, not to budget to the megabyte.

use std::path::Path;

use tierank_format::layout::DatasetPaths;

use crate::IoError;

/// Fixed cost: code, allocator arenas, decoders, the 256 accumulator shards (fitted: 28.8 MB).
pub const BASE_BYTES: u64 = 28 << 20;
/// Per row of `ties.parquet` (fitted: 138 bytes).
pub const BYTES_PER_TIE: u64 = 140;
/// Per row of `persons.parquet`: its id, the id map, a CSR offset (not fitted: people and
/// ties grow together in every generated dataset; an upper bound by counting).
pub const BYTES_PER_PERSON: u64 = 64;
/// Per event row, while decoded: one 24-byte record (see [`DECODED_EVENTS_BUDGET`], which
/// caps the total of these).
pub const DECODED_BYTES_PER_EVENT: u64 = 24;
/// Per event row, its share of the graph's channel records and per-tie features (medium:
/// 25.0 M channel records of 23 bytes and 12.1 M active ties of 9.25 bytes for 126.9 M
/// events, 5.4 bytes per event; 5.9 before snapshot format 3).
pub const GRAPH_BYTES_PER_EVENT: u64 = 6;

/// Most bytes of decoded events (24 per event row) the aggregation holds at once. Beyond it,
/// the aggregation folds sender ranges one after another: one decode keeps the first range's
/// events and spills the others' to temporary files, read back range by range. The peak
/// stays near this budget plus the graph, at the cost of writing and reading the later
/// ranges' records once. `medium` (127 M events, 3.0 GB) takes one range.
pub const DECODED_EVENTS_BUDGET: u64 = 4 << 30;

/// Overrides [`DECODED_EVENTS_BUDGET`] when non-zero: for tests, which force several passes
/// on small datasets. The graph does not depend on the number of passes.
#[doc(hidden)]
pub static DECODED_EVENTS_BUDGET_OVERRIDE: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// [`DECODED_EVENTS_BUDGET`], or its override when one is set.
pub fn decoded_events_budget() -> u64 {
    match DECODED_EVENTS_BUDGET_OVERRIDE.load(std::sync::atomic::Ordering::Relaxed) {
        0 => DECODED_EVENTS_BUDGET,
        b => b,
    }
}

/// What [`estimate_load`] found and estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadEstimate {
    /// Rows of `ties.parquet`.
    pub ties: u64,
    /// Rows of `persons.parquet` (0 when absent).
    pub persons: u64,
    /// Rows of all event parts.
    pub events: u64,
    /// The estimated peak, in bytes (saturating).
    pub bytes: u64,
}

impl LoadEstimate {
    /// The estimate for these row counts.
    pub fn from_rows(ties: u64, persons: u64, events: u64) -> Self {
        let bytes = BASE_BYTES
            .saturating_add(ties.saturating_mul(BYTES_PER_TIE))
            .saturating_add(persons.saturating_mul(BYTES_PER_PERSON))
            .saturating_add(
                events
                    .saturating_mul(DECODED_BYTES_PER_EVENT)
                    .min(DECODED_EVENTS_BUDGET),
            )
            .saturating_add(events.saturating_mul(GRAPH_BYTES_PER_EVENT));
        Self {
            ties,
            persons,
            events,
            bytes,
        }
    }
}

fn footer_rows(path: &Path) -> Result<u64, IoError> {
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let reader = parquet::file::reader::SerializedFileReader::new(file)
        .map_err(|e| IoError::parquet(path, e))?;
    let rows = parquet::file::reader::FileReader::metadata(&reader)
        .file_metadata()
        .num_rows();
    Ok(u64::try_from(rows).unwrap_or(0))
}

/// Estimates the peak memory of loading the dataset in `dir` from its Parquet footers.
///
/// # Errors
/// The errors [`crate::load_graph`] would give for a missing `ties.parquet` or an
/// unreadable footer, so that the caller may report them (or leave them to the load).
pub fn estimate_load(dir: &Path) -> Result<LoadEstimate, IoError> {
    let paths = DatasetPaths::new(dir);
    let ties = paths.ties();
    if !ties.is_file() {
        return Err(IoError::Missing {
            path: ties,
            what: "required file not found: ties.parquet".into(),
        });
    }
    let ties = footer_rows(&ties)?;
    let persons_path = paths.persons();
    let persons = if persons_path.is_file() {
        footer_rows(&persons_path)?
    } else {
        0
    };
    let mut events = 0u64;
    for part in paths.event_parts()? {
        events = events.saturating_add(footer_rows(&part)?);
    }
    Ok(LoadEstimate::from_rows(ties, persons, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_counts_saturate() {
        assert_eq!(LoadEstimate::from_rows(u64::MAX, 1, 1).bytes, u64::MAX);
        assert_eq!(LoadEstimate::from_rows(0, 0, 0).bytes, BASE_BYTES);
    }

    /// The decoded records count in full below the budget and at most the budget above it
    /// (the aggregation then runs in passes); the graph's share always grows.
    #[test]
    fn decoded_events_are_capped_by_the_budget() {
        let few = 1_000_000;
        assert_eq!(
            LoadEstimate::from_rows(0, 0, few).bytes,
            BASE_BYTES + few * (DECODED_BYTES_PER_EVENT + GRAPH_BYTES_PER_EVENT)
        );
        let many = 10 * DECODED_EVENTS_BUDGET / DECODED_BYTES_PER_EVENT;
        assert_eq!(
            LoadEstimate::from_rows(0, 0, many).bytes,
            BASE_BYTES + DECODED_EVENTS_BUDGET + many * GRAPH_BYTES_PER_EVENT
        );
    }
}

//! Burstiness of inter-event times, streamed from the raw events.
//!
//! The [`tierank_graph::Graph`] keeps per-tie aggregates, not timestamps, so the events are
//! read again here: only the `src`, `dst` and `ts` columns, one row group at a time, in
//! parallel over row groups. Timestamps are kept for a deterministic sample of directed ties
//! (those whose seeded hash of `(src, dst)` is divisible by the sample modulus), so memory
//! stays about `events / modulus` timestamps whatever the dataset size.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use serde::Serialize;
use tierank_format::schema::col;

use crate::StatsError;
use crate::degree::quantile_sorted;
use crate::sample::hash_pair;

/// Rows decoded per Arrow batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Burstiness of the sampled directed ties.
///
/// Per tie, over the gaps `τ` between its consecutive events (sorted by time), with mean `μ`
/// and population standard deviation `σ`: `B = (σ − μ) / (σ + μ)` (Goh & Barabási 2008).
/// `B = −1` for perfectly regular events, ≈ 0 for a Poisson process, → 1 for very bursty ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurstinessStats {
    /// A directed tie is sampled when `hash(src, dst) % sample_modulus == 0`.
    pub sample_modulus: u64,
    /// Events read (all rows of the event files, sampled or not).
    pub events_read: u64,
    /// Sampled directed ties with at least one event.
    pub ties_sampled: u64,
    /// Minimum events for a tie to be measured.
    pub min_events: u64,
    /// Sampled ties with more than the timestamp cap, left out (their timestamps were not
    /// all kept, so their gaps are unknown).
    pub ties_over_cap: u64,
    /// Ties measured: sampled, with at least `min_events` events and a defined `B`.
    pub ties_measured: u64,
    /// Mean `B` over measured ties.
    pub mean: Option<f64>,
    /// Median `B` over measured ties.
    pub median: Option<f64>,
    /// Share of measured ties with `B > 0` (burstier than Poisson).
    pub share_bursty: Option<f64>,
}

/// Options of [`burstiness_from_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstinessOptions {
    /// Sample one directed tie in this many (by hash); 1 keeps every tie.
    pub sample_modulus: u64,
    /// Seed of the tie hash.
    pub seed: u64,
    /// Minimum number of events for a tie to be measured.
    pub min_events: usize,
    /// Most timestamps kept per tie; ties with more are left out and counted.
    pub max_timestamps_per_tie: usize,
    /// Only events in this window (inclusive ms) are measured: the loader's window, so that
    /// an outlier timestamp it left out does not turn a tie bursty here either.
    pub window: Option<(i64, i64)>,
}

/// `B = (σ − μ) / (σ + μ)` of the gaps between the given event times (any order, any unit:
/// `B` is scale-free). `None` with fewer than two events or when `σ + μ = 0`.
pub fn burstiness(times: &mut [i64]) -> Option<f64> {
    if times.len() < 2 {
        return None;
    }
    times.sort_unstable();
    // In i128: two extreme timestamps (a pandas NaT is i64::MIN) overflow an i64 difference.
    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (i128::from(w[1]) - i128::from(w[0])) as f64)
        .collect();
    let n = gaps.len() as f64;
    let mean = gaps.iter().sum::<f64>() / n;
    let var = gaps.iter().map(|g| (g - mean) * (g - mean)).sum::<f64>() / n;
    let sd = var.sqrt();
    (sd + mean > 0.0).then(|| (sd - mean) / (sd + mean))
}

#[derive(Debug, Default)]
struct TieTimes {
    times: Vec<i64>,
    over_cap: bool,
}

type Sampled = HashMap<(i64, i64), TieTimes>;

/// Reads the event parts and measures the burstiness of a hash sample of directed ties.
///
/// # Errors
/// [`StatsError::Parquet`] when a file cannot be opened or decoded, [`StatsError::Column`]
/// when `src`, `dst` or `ts` is missing or not an integer or timestamp column.
pub fn burstiness_from_events(
    parts: &[PathBuf],
    opts: &BurstinessOptions,
) -> Result<BurstinessStats, StatsError> {
    let modulus = opts.sample_modulus.max(1);
    let mut units: Vec<(&Path, usize)> = Vec::new();
    for part in parts {
        let file = File::open(part).map_err(|e| StatsError::io(part, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| StatsError::parquet(part, e))?;
        for rg in 0..builder.metadata().num_row_groups() {
            units.push((part.as_path(), rg));
        }
    }
    let per_unit: Vec<(Sampled, u64)> = units
        .par_iter()
        .map(|&(path, rg)| read_row_group(path, rg, modulus, opts))
        .collect::<Result<_, _>>()?;
    let mut events_read = 0;
    let mut sampled: Sampled = HashMap::new();
    for (unit, rows) in per_unit {
        events_read += rows;
        for (key, part) in unit {
            let entry = sampled.entry(key).or_default();
            entry.over_cap |= part.over_cap;
            entry.times.extend(part.times);
            if entry.times.len() > opts.max_timestamps_per_tie {
                entry.over_cap = true;
            }
            if entry.over_cap {
                entry.times = Vec::new();
            }
        }
    }
    let mut keys: Vec<(i64, i64)> = sampled.keys().copied().collect();
    keys.sort_unstable();
    let mut values = Vec::new();
    let mut over_cap = 0;
    for key in &keys {
        let tie = sampled.get_mut(key).expect("key from map");
        if tie.over_cap {
            over_cap += 1;
        } else if tie.times.len() >= opts.min_events
            && let Some(b) = burstiness(&mut tie.times)
        {
            values.push(b);
        }
    }
    let measured = values.len();
    let mean = (measured > 0).then(|| values.iter().sum::<f64>() / measured as f64);
    let share_bursty = (measured > 0)
        .then(|| values.iter().filter(|&&b| b > 0.0).count() as f64 / measured as f64);
    values.sort_unstable_by(f64::total_cmp);
    Ok(BurstinessStats {
        sample_modulus: modulus,
        events_read,
        ties_sampled: keys.len() as u64,
        min_events: opts.min_events as u64,
        ties_over_cap: over_cap,
        ties_measured: measured as u64,
        mean,
        median: (measured > 0).then(|| quantile_sorted(&values, 0.5)),
        share_bursty,
    })
}

fn read_row_group(
    path: &Path,
    row_group: usize,
    modulus: u64,
    opts: &BurstinessOptions,
) -> Result<(Sampled, u64), StatsError> {
    let file = File::open(path).map_err(|e| StatsError::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| StatsError::parquet(path, e))?;
    let arrow_schema = builder.schema().clone();
    for name in [col::SRC, col::DST, col::TS] {
        if arrow_schema.field_with_name(name).is_err() {
            return Err(StatsError::Column {
                path: path.to_owned(),
                column: name,
                message: "missing".into(),
            });
        }
    }
    let mask = ProjectionMask::columns(builder.parquet_schema(), [col::SRC, col::DST, col::TS]);
    let reader = builder
        .with_projection(mask)
        .with_row_groups(vec![row_group])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| StatsError::parquet(path, e))?;
    let mut out: Sampled = HashMap::new();
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| StatsError::parquet(path, e))?;
        rows += batch.num_rows() as u64;
        let column = |name: &'static str| -> Result<arrow::array::ArrayRef, StatsError> {
            let array = batch
                .column_by_name(name)
                .ok_or_else(|| StatsError::Column {
                    path: path.to_owned(),
                    column: name,
                    message: "missing".into(),
                })?;
            let ok = matches!(
                array.data_type(),
                DataType::Int64 | DataType::Int32 | DataType::Timestamp(_, _)
            );
            if !ok {
                return Err(StatsError::Column {
                    path: path.to_owned(),
                    column: name,
                    message: format!("type {} is not an integer or timestamp", array.data_type()),
                });
            }
            cast(array, &DataType::Int64).map_err(|e| StatsError::Column {
                path: path.to_owned(),
                column: name,
                message: e.to_string(),
            })
        };
        let (src, dst, ts) = (column(col::SRC)?, column(col::DST)?, column(col::TS)?);
        let (src, dst, ts) = (
            src.as_primitive::<Int64Type>(),
            dst.as_primitive::<Int64Type>(),
            ts.as_primitive::<Int64Type>(),
        );
        for i in 0..batch.num_rows() {
            if src.is_null(i) || dst.is_null(i) || ts.is_null(i) {
                continue;
            }
            let (s, d) = (src.value(i), dst.value(i));
            if let Some((lo, hi)) = opts.window
                && !(lo..=hi).contains(&ts.value(i))
            {
                continue;
            }
            if s == d || !hash_pair(opts.seed, s as u64, d as u64).is_multiple_of(modulus) {
                continue;
            }
            let tie = out.entry((s, d)).or_default();
            if tie.over_cap {
                continue;
            }
            tie.times.push(ts.value(i));
            if tie.times.len() > opts.max_timestamps_per_tie {
                tie.over_cap = true;
                tie.times = Vec::new();
            }
        }
    }
    Ok((out, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        // Panicked with "attempt to subtract with overflow" before the gaps were i128.
        let mut t = [i64::MIN, 0, i64::MAX];
        assert!(burstiness(&mut t).is_some());
    }

    #[test]
    fn regular_events_have_b_minus_one() {
        let mut t = [40, 0, 10, 30, 20];
        assert!((burstiness(&mut t).unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn burst_then_silence_by_hand() {
        // Gaps 1, 1, 1, 97: μ = 25, σ = sqrt((3·24² + 72²)/4) = sqrt(1728) ≈ 41.569.
        let mut t = [0, 1, 2, 3, 100];
        let sd = 1728f64.sqrt();
        let expected = (sd - 25.0) / (sd + 25.0);
        assert!((burstiness(&mut t).unwrap() - expected).abs() < 1e-12);
        assert!(expected > 0.0);
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(burstiness(&mut [5]), None);
        assert_eq!(burstiness(&mut [5, 5, 5]), None);
    }
}

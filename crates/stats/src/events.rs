//! The one pass over the raw events that feeds [`crate::burstiness`] and
//! [`crate::dynamics`].
//!
//! Both need timestamps, which the graph does not keep, so the event parts are streamed once
//! (columns `src`, `dst`, `ts`, `channel`, and `group_id` when present), in parallel over row
//! groups. Each row group yields a partial result for each measure; the partials are merged
//! in row-group order, and both measures sum over sorted keys, so the report is identical at
//! any thread count.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use tierank_format::schema::col;

use crate::StatsError;
use crate::burstiness::{BurstSample, BurstinessOptions, BurstinessStats};
use crate::dynamics::{DynamicsOptions, DynamicsStats, Kind, Partial};

/// Rows decoded per Arrow batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Reads the event parts once and measures both the burstiness of a hash sample of directed
/// ties and the dynamics.
///
/// # Errors
/// [`StatsError::Io`] or [`StatsError::Parquet`] when a file cannot be opened or decoded,
/// [`StatsError::Column`] when `src`, `dst`, `ts` or `channel` is missing or has an unusable
/// type.
pub fn measure_events(
    parts: &[PathBuf],
    burst: &BurstinessOptions,
    dynamics: &DynamicsOptions,
) -> Result<(BurstinessStats, DynamicsStats), StatsError> {
    let mut units: Vec<(&Path, usize)> = Vec::new();
    for part in parts {
        let file = File::open(part).map_err(|e| StatsError::io(part, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| StatsError::parquet(part, e))?;
        for rg in 0..builder.metadata().num_row_groups() {
            units.push((part.as_path(), rg));
        }
    }
    let partials: Vec<(BurstSample, Partial)> = units
        .par_iter()
        .map(|&(path, rg)| read_row_group(path, rg, burst, dynamics))
        .collect::<Result<_, _>>()?;
    let mut all_burst = BurstSample::default();
    let mut all_dynamics = Partial::default();
    for (b, d) in partials {
        all_burst.merge(b, burst);
        all_dynamics.merge(d);
    }
    Ok((all_burst.finish(burst), all_dynamics.finish(dynamics)))
}

fn column_error(path: &Path, column: &'static str, message: String) -> StatsError {
    StatsError::Column {
        path: path.to_owned(),
        column,
        message,
    }
}

fn read_row_group(
    path: &Path,
    row_group: usize,
    burst_opts: &BurstinessOptions,
    dynamics_opts: &DynamicsOptions,
) -> Result<(BurstSample, Partial), StatsError> {
    let file = File::open(path).map_err(|e| StatsError::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| StatsError::parquet(path, e))?;
    let names = [col::SRC, col::DST, col::TS, col::CHANNEL];
    for name in names {
        if builder.schema().field_with_name(name).is_err() {
            return Err(column_error(path, name, "missing".into()));
        }
    }
    let has_group = builder.schema().field_with_name(col::GROUP_ID).is_ok();
    let mut wanted = names.to_vec();
    if has_group {
        wanted.push(col::GROUP_ID);
    }
    let mask = ProjectionMask::columns(builder.parquet_schema(), wanted);
    let reader = builder
        .with_projection(mask)
        .with_row_groups(vec![row_group])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| StatsError::parquet(path, e))?;
    let mut burst = BurstSample::default();
    let mut dynamics = Partial::default();
    for batch in reader {
        let batch = batch.map_err(|e| StatsError::parquet(path, e))?;
        burst.count_rows(batch.num_rows() as u64);
        let get = |name: &'static str| -> Result<ArrayRef, StatsError> {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| column_error(path, name, "missing".into()))
        };
        let int = |name: &'static str| -> Result<ArrayRef, StatsError> {
            let array = get(name)?;
            if !matches!(
                array.data_type(),
                DataType::Int64 | DataType::Int32 | DataType::Timestamp(_, _)
            ) {
                return Err(column_error(
                    path,
                    name,
                    format!("type {} is not an integer or timestamp", array.data_type()),
                ));
            }
            cast(&array, &DataType::Int64).map_err(|e| column_error(path, name, e.to_string()))
        };
        let (src, dst, ts) = (int(col::SRC)?, int(col::DST)?, int(col::TS)?);
        let (src, dst, ts) = (
            src.as_primitive::<Int64Type>(),
            dst.as_primitive::<Int64Type>(),
            ts.as_primitive::<Int64Type>(),
        );
        let channel = cast(
            &get(col::CHANNEL)?,
            &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        )
        .map_err(|e| column_error(path, col::CHANNEL, e.to_string()))?;
        let channel = channel.as_dictionary::<Int32Type>();
        let values = channel.values().as_string::<i32>();
        let kinds: Vec<Kind> = (0..values.len())
            .map(|i| Kind::of_channel(values.value(i)))
            .collect();
        let group = if has_group {
            Some(get(col::GROUP_ID)?)
        } else {
            None
        };
        for i in 0..batch.num_rows() {
            if src.is_null(i) || dst.is_null(i) || ts.is_null(i) {
                continue;
            }
            let (s, d, t) = (src.value(i), dst.value(i), ts.value(i));
            burst.observe(burst_opts, s, d, t);
            if channel.is_null(i) {
                continue;
            }
            let key = channel.keys().value(i);
            let mut kind = usize::try_from(key)
                .ok()
                .and_then(|k| kinds.get(k).copied())
                .unwrap_or(Kind::OtherDirect);
            if group.as_ref().is_some_and(|g| !g.is_null(i)) {
                kind = Kind::Group;
            }
            dynamics.observe(dynamics_opts, s, d, t, kind);
        }
    }
    Ok((burst, dynamics))
}

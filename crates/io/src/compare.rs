//! The Parquet outputs of `tierank compare`: `metrics.parquet`, `per_target.parquet` and
//! `agreement.parquet` (its rankings use [`crate::RankingsWriter`]).
//!
//! Each file is written whole, to a hidden temporary beside the target that is renamed into
//! place when complete (`tierank compare` additionally stages its whole report directory).
//! Rows are written in the order given and string columns are dictionary-encoded over their
//! sorted distinct values, so the bytes depend only on the rows.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Float64Array, Int32Array, Int64Array};
use arrow::record_batch::RecordBatch;
use tierank_format::schema;

use crate::IoError;
use crate::table::{Dictionary, build_batches, check_lengths, write_batches, write_record_batches};

/// Rows of `metrics.parquet`, column by column (all columns the same length).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsRows {
    /// Heuristic name (or `oracle`).
    pub heuristic: Vec<String>,
    /// Cut-off of a top-k metric, `None` for whole-ranking metrics.
    pub k: Vec<Option<i32>>,
    /// Metric name.
    pub metric: Vec<String>,
    /// Mean over the stratum's targets.
    pub value: Vec<f64>,
    /// Lower end of the bootstrap interval.
    pub ci_low: Vec<Option<f64>>,
    /// Upper end of the bootstrap interval.
    pub ci_high: Vec<Option<f64>>,
    /// Stratum (`all`, `degree:10-49`, ...).
    pub stratum: Vec<String>,
    /// Targets that entered the mean.
    pub num_targets: Vec<i64>,
}

impl MetricsRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.heuristic.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.heuristic.is_empty()
    }

    /// Appends one row.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        heuristic: &str,
        k: Option<i32>,
        metric: &str,
        value: f64,
        ci: Option<(f64, f64)>,
        stratum: &str,
        num_targets: i64,
    ) {
        self.heuristic.push(heuristic.to_owned());
        self.k.push(k);
        self.metric.push(metric.to_owned());
        self.value.push(value);
        self.ci_low.push(ci.map(|c| c.0));
        self.ci_high.push(ci.map(|c| c.1));
        self.stratum.push(stratum.to_owned());
        self.num_targets.push(num_targets);
    }
}

/// Rows of `per_target.parquet`, column by column (all columns the same length).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerTargetRows {
    /// The target's person id.
    pub target: Vec<i64>,
    /// The target's number of friends.
    pub degree: Vec<i64>,
    /// The target's degree bucket.
    pub degree_bucket: Vec<String>,
    /// Heuristic name.
    pub heuristic: Vec<String>,
    /// Cut-off, `None` for whole-ranking metrics.
    pub k: Vec<Option<i32>>,
    /// Metric name.
    pub metric: Vec<String>,
    /// Stratum.
    pub stratum: Vec<String>,
    /// The target's value.
    pub value: Vec<f64>,
}

impl PerTargetRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }
}

/// Rows of `agreement.parquet`, column by column (all columns the same length).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgreementRows {
    /// First heuristic.
    pub heuristic_a: Vec<String>,
    /// Second heuristic.
    pub heuristic_b: Vec<String>,
    /// Cut-off (Jaccard), `None` for Kendall's tau.
    pub k: Vec<Option<i32>>,
    /// Measure name.
    pub measure: Vec<String>,
    /// Mean over targets.
    pub value: Vec<f64>,
    /// Lower end of the bootstrap interval.
    pub ci_low: Vec<Option<f64>>,
    /// Upper end of the bootstrap interval.
    pub ci_high: Vec<Option<f64>>,
    /// Targets that entered the mean.
    pub num_targets: Vec<i64>,
}

impl AgreementRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.heuristic_a.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.heuristic_a.is_empty()
    }
}

/// Writes `metrics.parquet` ([`schema::metrics`]); returns the number of rows.
///
/// # Errors
/// [`IoError::InvalidRows`] when columns differ in length or a string column has more than
/// 127 distinct values; [`IoError::Write`] or [`IoError::Io`] when writing fails (nothing
/// is then left at `path`).
pub fn write_metrics(path: &Path, rows: &MetricsRows) -> Result<u64, IoError> {
    write_record_batches(path, &schema::metrics(), &metrics_batches(rows)?)?;
    Ok(rows.len() as u64)
}

/// The record batches of `metrics.parquet` ([`schema::metrics`]): what [`write_metrics`]
/// writes, for callers that take the table in memory (the Python package).
///
/// # Errors
/// [`IoError::InvalidRows`] when columns differ in length or a string column has more than
/// 127 distinct values.
pub fn metrics_batches(rows: &MetricsRows) -> Result<Vec<RecordBatch>, IoError> {
    check_lengths(
        "metrics",
        &[
            "heuristic",
            "k",
            "metric",
            "value",
            "ci_low",
            "ci_high",
            "stratum",
            "num_targets",
        ],
        &[
            rows.heuristic.len(),
            rows.k.len(),
            rows.metric.len(),
            rows.value.len(),
            rows.ci_low.len(),
            rows.ci_high.len(),
            rows.stratum.len(),
            rows.num_targets.len(),
        ],
    )?;
    let heuristic = Dictionary::new("metrics", "heuristic", &rows.heuristic)?;
    let metric = Dictionary::new("metrics", "metric", &rows.metric)?;
    let stratum = Dictionary::new("metrics", "stratum", &rows.stratum)?;
    build_batches(&schema::metrics(), rows.len(), |r| {
        Ok(vec![
            heuristic.column(&rows.heuristic[r.clone()])?,
            Arc::new(Int32Array::from(rows.k[r.clone()].to_vec())),
            metric.column(&rows.metric[r.clone()])?,
            Arc::new(Float64Array::from(rows.value[r.clone()].to_vec())),
            Arc::new(Float64Array::from(rows.ci_low[r.clone()].to_vec())),
            Arc::new(Float64Array::from(rows.ci_high[r.clone()].to_vec())),
            stratum.column(&rows.stratum[r.clone()])?,
            Arc::new(Int64Array::from(rows.num_targets[r].to_vec())),
        ])
    })
}

/// Writes `per_target.parquet` ([`schema::per_target`]); returns the number of rows.
///
/// # Errors
/// As [`write_metrics`].
pub fn write_per_target(path: &Path, rows: &PerTargetRows) -> Result<u64, IoError> {
    check_lengths(
        "per_target",
        &[
            "target",
            "degree",
            "degree_bucket",
            "heuristic",
            "k",
            "metric",
            "stratum",
            "value",
        ],
        &[
            rows.target.len(),
            rows.degree.len(),
            rows.degree_bucket.len(),
            rows.heuristic.len(),
            rows.k.len(),
            rows.metric.len(),
            rows.stratum.len(),
            rows.value.len(),
        ],
    )?;
    let bucket = Dictionary::new("per_target", "degree_bucket", &rows.degree_bucket)?;
    let heuristic = Dictionary::new("per_target", "heuristic", &rows.heuristic)?;
    let metric = Dictionary::new("per_target", "metric", &rows.metric)?;
    let stratum = Dictionary::new("per_target", "stratum", &rows.stratum)?;
    write_batches(path, schema::per_target(), rows.len(), |r| {
        Ok(vec![
            Arc::new(Int64Array::from(rows.target[r.clone()].to_vec())),
            Arc::new(Int64Array::from(rows.degree[r.clone()].to_vec())),
            bucket.column(&rows.degree_bucket[r.clone()])?,
            heuristic.column(&rows.heuristic[r.clone()])?,
            Arc::new(Int32Array::from(rows.k[r.clone()].to_vec())),
            metric.column(&rows.metric[r.clone()])?,
            stratum.column(&rows.stratum[r.clone()])?,
            Arc::new(Float64Array::from(rows.value[r].to_vec())),
        ])
    })?;
    Ok(rows.len() as u64)
}

/// Writes `agreement.parquet` ([`schema::agreement`]); returns the number of rows.
///
/// # Errors
/// As [`write_metrics`].
pub fn write_agreement(path: &Path, rows: &AgreementRows) -> Result<u64, IoError> {
    check_lengths(
        "agreement",
        &[
            "heuristic_a",
            "heuristic_b",
            "k",
            "measure",
            "value",
            "ci_low",
            "ci_high",
            "num_targets",
        ],
        &[
            rows.heuristic_a.len(),
            rows.heuristic_b.len(),
            rows.k.len(),
            rows.measure.len(),
            rows.value.len(),
            rows.ci_low.len(),
            rows.ci_high.len(),
            rows.num_targets.len(),
        ],
    )?;
    let a = Dictionary::new("agreement", "heuristic_a", &rows.heuristic_a)?;
    let b = Dictionary::new("agreement", "heuristic_b", &rows.heuristic_b)?;
    let measure = Dictionary::new("agreement", "measure", &rows.measure)?;
    write_batches(path, schema::agreement(), rows.len(), |r| {
        Ok(vec![
            a.column(&rows.heuristic_a[r.clone()])?,
            b.column(&rows.heuristic_b[r.clone()])?,
            Arc::new(Int32Array::from(rows.k[r.clone()].to_vec())),
            measure.column(&rows.measure[r.clone()])?,
            Arc::new(Float64Array::from(rows.value[r.clone()].to_vec())),
            Arc::new(Float64Array::from(rows.ci_low[r.clone()].to_vec())),
            Arc::new(Float64Array::from(rows.ci_high[r.clone()].to_vec())),
            Arc::new(Int64Array::from(rows.num_targets[r].to_vec())),
        ])
    })?;
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int8Type;
    use arrow::datatypes::{Float64Type, Int32Type};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn metrics_round_trip_with_contract_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.parquet");
        let mut rows = MetricsRows::default();
        rows.push(
            "degree",
            Some(5),
            "precision",
            0.5,
            Some((0.4, 0.6)),
            "all",
            10,
        );
        rows.push("random", None, "auc", 0.51, None, "degree:1-9", 3);
        assert_eq!(write_metrics(&path, &rows).unwrap(), 2);
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        let b = &batches[0];
        assert_eq!(b.schema().fields(), schema::metrics().fields());
        let k = b.column(1).as_primitive::<Int32Type>();
        assert_eq!((k.value(0), k.is_null(1)), (5, true));
        let ci = b.column(4).as_primitive::<Float64Type>();
        assert_eq!((ci.value(0), ci.is_null(1)), (0.4, true));
        let h = b.column(0).as_dictionary::<Int8Type>();
        let names = h.values().as_string::<i32>();
        assert_eq!(names.value(h.keys().value(1) as usize), "random");
    }

    #[test]
    fn mismatched_columns_are_refused_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agreement.parquet");
        let rows = AgreementRows {
            heuristic_a: vec!["a".into()],
            ..AgreementRows::default()
        };
        assert!(matches!(
            write_agreement(&path, &rows),
            Err(IoError::InvalidRows { .. })
        ));
        assert!(!path.exists());
    }
}

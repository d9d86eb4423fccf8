//! The outputs of `tierank select`: `audiences.parquet` (who is shown a notice about whom)
//! and `exposure.parquet` (how many notices per target, and how many of them are expected to
//! reach people who are not close).
//!
//! Both files are written whole, to a hidden temporary beside the target that is renamed
//! into place when complete (`tierank select` additionally stages its whole output
//! directory). Rows are written in row groups of
//! [`tierank_format::writer::ROW_GROUP_ROWS`], in the order given: the selection already
//! sorted them, so the bytes depend only on the rows.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array};
use arrow::record_batch::RecordBatch;
use tierank_format::schema;

use crate::IoError;
use crate::table::{Dictionary, build_batches, check_lengths, write_record_batches};

/// Rows of `audiences.parquet`, column by column (all columns the same length).
///
/// One row per notice: `alter` is shown a notice about `target`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudienceRows {
    /// The target's person id.
    pub target: Vec<i64>,
    /// The friend shown the notice.
    pub alter: Vec<i64>,
    /// 1-based position among the target's selected people.
    pub selection_rank: Vec<i32>,
    /// The heuristic's score.
    pub score: Vec<f64>,
    /// The calibrated probability of closeness, `None` when uncalibrated.
    pub probability: Vec<Option<f64>>,
    /// The main evidence (a channel name, or `structure`). At most 127 distinct values: the
    /// column is dictionary-encoded with `Int8` keys.
    pub reason: Vec<String>,
}

impl AudienceRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// Appends one row.
    pub fn push(
        &mut self,
        target: i64,
        alter: i64,
        selection_rank: i32,
        score: f64,
        probability: Option<f64>,
        reason: &str,
    ) {
        self.target.push(target);
        self.alter.push(alter);
        self.selection_rank.push(selection_rank);
        self.score.push(score);
        self.probability.push(probability);
        self.reason.push(reason.to_owned());
    }
}

/// Rows of `exposure.parquet`, column by column (all columns the same length).
///
/// One row per target, in target input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExposureRows {
    /// The target's person id.
    pub target: Vec<i64>,
    /// The target's friends in the dataset: everyone who could have been shown a notice
    /// before opt-outs and evidence filters.
    pub num_candidates: Vec<i64>,
    /// Notices sent about the target.
    pub num_selected: Vec<i64>,
    /// `Σ (1 − p)` over the target's selected people, `None` when uncalibrated.
    pub expected_collateral: Vec<Option<f64>>,
}

impl ExposureRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// Appends one row.
    pub fn push(
        &mut self,
        target: i64,
        num_candidates: i64,
        num_selected: i64,
        expected_collateral: Option<f64>,
    ) {
        self.target.push(target);
        self.num_candidates.push(num_candidates);
        self.num_selected.push(num_selected);
        self.expected_collateral.push(expected_collateral);
    }
}

/// Writes `audiences.parquet` ([`schema::audiences`]) at `path`; returns the number of rows.
///
/// The `reason` dictionary holds the distinct reasons in ascending order, so the file's
/// bytes depend only on the rows.
///
/// # Errors
/// [`IoError::InvalidRows`] when the columns differ in length or there are more than 127
/// distinct reasons; [`IoError::Write`] or [`IoError::Format`] when writing fails (nothing
/// is then left at `path`).
pub fn write_audiences(path: &Path, rows: &AudienceRows) -> Result<u64, IoError> {
    write_record_batches(path, &schema::audiences(), &audiences_batches(rows)?)?;
    Ok(rows.len() as u64)
}

/// The record batches of the audience file ([`schema::audiences`]): what
/// [`write_audiences`] writes, for callers that take the table in memory (the Python
/// package).
///
/// # Errors
/// [`IoError::InvalidRows`] when the columns differ in length or there are more than 127
/// distinct reasons.
pub fn audiences_batches(rows: &AudienceRows) -> Result<Vec<RecordBatch>, IoError> {
    check_lengths(
        "audiences",
        &[
            "target",
            "alter",
            "selection_rank",
            "score",
            "probability",
            "reason",
        ],
        &[
            rows.target.len(),
            rows.alter.len(),
            rows.selection_rank.len(),
            rows.score.len(),
            rows.probability.len(),
            rows.reason.len(),
        ],
    )?;
    let reason = Dictionary::new("audiences", "reason", &rows.reason)?;
    build_batches(&schema::audiences(), rows.len(), |range| {
        Ok(vec![
            Arc::new(Int64Array::from(rows.target[range.clone()].to_vec())),
            Arc::new(Int64Array::from(rows.alter[range.clone()].to_vec())),
            Arc::new(Int32Array::from(
                rows.selection_rank[range.clone()].to_vec(),
            )),
            Arc::new(Float64Array::from(rows.score[range.clone()].to_vec())),
            Arc::new(Float64Array::from(rows.probability[range.clone()].to_vec())),
            reason.column(&rows.reason[range])?,
        ])
    })
}

/// Writes `exposure.parquet` ([`schema::exposure`]) at `path`; returns the number of rows.
///
/// # Errors
/// [`IoError::InvalidRows`] when the columns differ in length; [`IoError::Write`] or
/// [`IoError::Format`] when writing fails (nothing is then left at `path`).
pub fn write_exposure(path: &Path, rows: &ExposureRows) -> Result<u64, IoError> {
    write_record_batches(path, &schema::exposure(), &exposure_batches(rows)?)?;
    Ok(rows.len() as u64)
}

/// The record batches of the exposure file ([`schema::exposure`]): what [`write_exposure`]
/// writes, for callers that take the table in memory (the Python package).
///
/// # Errors
/// [`IoError::InvalidRows`] when the columns differ in length.
pub fn exposure_batches(rows: &ExposureRows) -> Result<Vec<RecordBatch>, IoError> {
    check_lengths(
        "exposure",
        &[
            "target",
            "num_candidates",
            "num_selected",
            "expected_collateral",
        ],
        &[
            rows.target.len(),
            rows.num_candidates.len(),
            rows.num_selected.len(),
            rows.expected_collateral.len(),
        ],
    )?;
    build_batches(&schema::exposure(), rows.len(), |range| {
        Ok(vec![
            Arc::new(Int64Array::from(rows.target[range.clone()].to_vec())) as ArrayRef,
            Arc::new(Int64Array::from(
                rows.num_candidates[range.clone()].to_vec(),
            )),
            Arc::new(Int64Array::from(rows.num_selected[range.clone()].to_vec())),
            Arc::new(Float64Array::from(rows.expected_collateral[range].to_vec())),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, RecordBatchReader};
    use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
    use arrow::datatypes::{Int8Type, SchemaRef};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn read(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
        let file = std::fs::File::open(path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let schema = reader.schema();
        (schema, reader.map(Result::unwrap).collect())
    }

    fn sample() -> AudienceRows {
        let mut rows = AudienceRows::default();
        rows.push(7, 11, 1, 3.5, Some(0.9), "message");
        rows.push(7, 12, 2, 1.0, None, "structure");
        rows.push(-3, 11, 1, 0.25, Some(0.5), "call");
        rows.push(-3, 13, 2, 0.0, Some(0.0), "message");
        rows
    }

    #[test]
    fn audiences_round_trip_with_contract_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audiences.parquet");
        assert_eq!(write_audiences(&path, &sample()).unwrap(), 4);
        let (schema, batches) = read(&path);
        assert_eq!(schema.fields(), schema::audiences().fields());
        let b = &batches[0];
        assert_eq!(
            b.column(0).as_primitive::<Int64Type>().values(),
            &[7, 7, -3, -3]
        );
        assert_eq!(
            b.column(1).as_primitive::<Int64Type>().values(),
            &[11, 12, 11, 13]
        );
        assert_eq!(
            b.column(2).as_primitive::<Int32Type>().values(),
            &[1, 2, 1, 2]
        );
        let p = b.column(4).as_primitive::<Float64Type>();
        assert!(p.is_null(1) && !p.is_null(3));
        assert_eq!((p.value(0), p.value(3)), (0.9, 0.0));
        let reason = b.column(5).as_dictionary::<Int8Type>();
        let values = reason.values().as_string::<i32>();
        let text: Vec<&str> = reason
            .keys()
            .values()
            .iter()
            .map(|&k| values.value(k as usize))
            .collect();
        assert_eq!(text, ["message", "structure", "call", "message"]);
        // No temporary left beside the file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn same_rows_give_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
        write_audiences(&a, &sample()).unwrap();
        write_audiences(&b, &sample()).unwrap();
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    }

    #[test]
    fn empty_outputs_keep_their_schema() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("audiences.parquet");
        let e = dir.path().join("exposure.parquet");
        assert_eq!(write_audiences(&a, &AudienceRows::default()).unwrap(), 0);
        assert_eq!(write_exposure(&e, &ExposureRows::default()).unwrap(), 0);
        assert_eq!(read(&a).0.fields(), schema::audiences().fields());
        assert_eq!(read(&e).0.fields(), schema::exposure().fields());
    }

    #[test]
    fn exposure_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exposure.parquet");
        let mut rows = ExposureRows::default();
        rows.push(7, 40, 5, Some(1.25));
        rows.push(-3, 0, 0, None);
        assert_eq!(write_exposure(&path, &rows).unwrap(), 2);
        let (schema, batches) = read(&path);
        assert_eq!(schema.fields(), schema::exposure().fields());
        let b = &batches[0];
        assert_eq!(b.column(1).as_primitive::<Int64Type>().values(), &[40, 0]);
        assert_eq!(b.column(2).as_primitive::<Int64Type>().values(), &[5, 0]);
        let c = b.column(3).as_primitive::<Float64Type>();
        assert_eq!(c.value(0), 1.25);
        assert!(c.is_null(1));
    }

    #[test]
    fn inconsistent_rows_are_refused_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audiences.parquet");
        let mut rows = sample();
        rows.reason.pop();
        let err = write_audiences(&path, &rows).unwrap_err();
        assert!(matches!(err, IoError::InvalidRows { .. }), "{err}");
        assert!(err.to_string().contains("reason 3"), "{err}");
        let mut many = AudienceRows::default();
        for i in 0..200 {
            many.push(1, i, 1, 0.0, None, &format!("r{i}"));
        }
        let err = write_audiences(&path, &many).unwrap_err();
        assert!(err.to_string().contains("Int8"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

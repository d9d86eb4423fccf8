//! Hand-written datasets for the tests.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Int64Array, TimestampMillisecondArray,
};
use arrow::datatypes::Int8Type;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

/// One event: (src, dst, channel, ts in ms, value).
pub type Event = (i64, i64, &'static str, i64, Option<f64>);

/// 2024-01-01T00:00:00Z in ms.
pub const T0: i64 = 1_704_067_200_000;
/// One day in ms.
pub const DAY: i64 = 86_400_000;

/// Writes one batch to `path` with row groups of at most `rows_per_group` rows.
pub fn write_batch(path: &Path, batch: &RecordBatch, rows_per_group: usize) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group.max(1)))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// Writes a file with the given named columns.
pub fn write_columns(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    write_batch(path, &batch, 1 << 20);
}

/// `ties.parquet` with src, dst and an optional Float64 weight.
pub fn write_ties(dir: &Path, ties: &[(i64, i64)], weights: Option<&[f64]>) {
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        (
            "src",
            Arc::new(Int64Array::from_iter_values(ties.iter().map(|t| t.0))),
        ),
        (
            "dst",
            Arc::new(Int64Array::from_iter_values(ties.iter().map(|t| t.1))),
        ),
    ];
    if let Some(w) = weights {
        cols.push(("weight", Arc::new(Float64Array::from(w.to_vec()))));
    }
    write_columns(&dir.join("ties.parquet"), cols);
}

/// `persons.parquet` with only a person_id column.
pub fn write_persons(dir: &Path, ids: &[i64]) {
    write_columns(
        &dir.join("persons.parquet"),
        vec![("person_id", Arc::new(Int64Array::from(ids.to_vec())))],
    );
}

/// An events batch in the contract's types.
pub fn events_batch(events: &[Event]) -> RecordBatch {
    let channel: DictionaryArray<Int8Type> = events.iter().map(|e| e.2).collect();
    RecordBatch::try_from_iter(vec![
        (
            "src",
            Arc::new(Int64Array::from_iter_values(events.iter().map(|e| e.0))) as ArrayRef,
        ),
        (
            "dst",
            Arc::new(Int64Array::from_iter_values(events.iter().map(|e| e.1))),
        ),
        ("channel", Arc::new(channel)),
        (
            "ts",
            Arc::new(
                TimestampMillisecondArray::from_iter_values(events.iter().map(|e| e.3))
                    .with_timezone("UTC"),
            ),
        ),
        (
            "value",
            Arc::new(Float64Array::from_iter(events.iter().map(|e| e.4))),
        ),
    ])
    .unwrap()
}

/// Writes `events` as `events/part-NNNNN.parquet` files, one per chunk of `per_part` events,
/// each with row groups of `rows_per_group` rows.
pub fn write_events(dir: &Path, events: &[Event], per_part: usize, rows_per_group: usize) {
    std::fs::create_dir_all(dir.join("events")).unwrap();
    for (i, chunk) in events.chunks(per_part.max(1)).enumerate() {
        let path = dir.join("events").join(format!("part-{i:05}.parquet"));
        write_batch(&path, &events_batch(chunk), rows_per_group);
    }
}

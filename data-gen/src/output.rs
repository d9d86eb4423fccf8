//! Parquet writing: one small wrapper around `ArrowWriter` with the shared properties, and
//! Arrow array helpers for the dictionary and timestamp conventions.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, DictionaryArray, Int8Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::{Int8Type, SchemaRef};
use parquet::arrow::ArrowWriter;
use tierank_format::FormatError;

use crate::GenError;

/// Writes one Parquet file, batch by batch, counting rows.
pub struct TableWriter {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    path: PathBuf,
    rows: u64,
}

impl TableWriter {
    /// Creates `path` (and its parent directory).
    pub fn create(path: &Path, schema: SchemaRef) -> Result<Self, GenError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| FormatError::io(parent, e))?;
        }
        // Read access too: closing patches the footer in place (writer::close).
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| FormatError::io(path, e))?;
        let writer = ArrowWriter::try_new(
            file,
            schema.clone(),
            Some(tierank_format::writer::properties()),
        )
        .map_err(|e| parquet_error(path, e))?;
        Ok(Self {
            writer,
            schema,
            path: path.to_owned(),
            rows: 0,
        })
    }

    /// Appends one batch built from `columns` (in schema order).
    pub fn write(&mut self, columns: Vec<ArrayRef>) -> Result<(), GenError> {
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| parquet_error(&self.path, e))?;
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(&batch)
            .map_err(|e| parquet_error(&self.path, e))
    }

    /// Finishes the file; returns its row count.
    pub fn finish(self) -> Result<u64, GenError> {
        tierank_format::writer::close(self.writer).map_err(|e| parquet_error(&self.path, e))?;
        Ok(self.rows)
    }
}

/// A Parquet or Arrow failure on `path`.
pub fn parquet_error(path: &Path, e: impl std::fmt::Display) -> GenError {
    GenError::Format(FormatError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// A `Dictionary(Int8, Utf8)` column whose dictionary is the whole vocabulary, in code order.
pub fn dictionary(keys: Vec<i8>, vocabulary: &[&str]) -> ArrayRef {
    let values = Arc::new(StringArray::from(vocabulary.to_vec()));
    Arc::new(
        DictionaryArray::<Int8Type>::try_new(Int8Array::from(keys), values)
            .expect("codes index the vocabulary"),
    )
}

/// A `Timestamp(Millisecond, "UTC")` column.
pub fn timestamps(values: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMillisecondArray::from(values).with_timezone("UTC"))
}

/// A nullable `Timestamp(Millisecond, "UTC")` column.
pub fn timestamps_opt(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMillisecondArray::from(values).with_timezone("UTC"))
}

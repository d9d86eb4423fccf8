//! Shared plumbing of the whole-file Parquet writers (`compare` and `select` outputs):
//! column-length checks, deterministic dictionary columns, and atomic row-group writing.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray, Int8Array, StringArray};
use arrow::datatypes::{Int8Type, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use tierank_format::atomic::write_file_atomically;
use tierank_format::writer::{ROW_GROUP_ROWS, properties};

use crate::IoError;

pub(crate) fn invalid(reason: String) -> IoError {
    IoError::InvalidRows { reason }
}

pub(crate) fn check_lengths(file: &str, names: &[&str], lens: &[usize]) -> Result<(), IoError> {
    if lens.iter().all(|&l| l == lens[0]) {
        return Ok(());
    }
    let detail: Vec<String> = names
        .iter()
        .zip(lens)
        .map(|(n, l)| format!("{n} {l}"))
        .collect();
    Err(invalid(format!(
        "{file}: column lengths differ: {}",
        detail.join(", ")
    )))
}

/// A dictionary-encoded string column over the sorted distinct values of all rows, so the
/// dictionary (and the file's bytes) does not depend on row-group boundaries.
pub(crate) struct Dictionary {
    vocabulary: Vec<String>,
    values: ArrayRef,
}

impl Dictionary {
    pub(crate) fn new(file: &str, column: &str, strings: &[String]) -> Result<Self, IoError> {
        let mut vocabulary: Vec<String> = strings.to_vec();
        vocabulary.sort_unstable();
        vocabulary.dedup();
        if vocabulary.len() > i8::MAX as usize {
            return Err(invalid(format!(
                "{file}: {} distinct values of '{column}' exceed the Int8 dictionary limit of {}",
                vocabulary.len(),
                i8::MAX
            )));
        }
        let values: ArrayRef = Arc::new(StringArray::from_iter_values(&vocabulary));
        Ok(Self { vocabulary, values })
    }

    pub(crate) fn column(&self, strings: &[String]) -> Result<ArrayRef, IoError> {
        let keys = Int8Array::from_iter_values(strings.iter().map(|s| {
            // Every string is in the vocabulary, whose length fits in i8.
            self.vocabulary.binary_search(s).unwrap_or(0) as i8
        }));
        let array = DictionaryArray::<Int8Type>::try_new(keys, Arc::clone(&self.values))
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Arc::new(array))
    }
}

/// Writes `rows` rows to `path` atomically, one row group per [`ROW_GROUP_ROWS`] rows;
/// `columns` builds the arrays of one row range.
pub(crate) fn write_batches(
    path: &Path,
    schema: SchemaRef,
    rows: usize,
    mut batch: impl FnMut(std::ops::Range<usize>) -> Result<Vec<ArrayRef>, IoError>,
) -> Result<(), IoError> {
    write_file_atomically(path, |file| {
        let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties()))
            .map_err(|e| IoError::write(path, e))?;
        let mut start = 0;
        while start < rows {
            let end = rows.min(start + ROW_GROUP_ROWS);
            let columns = batch(start..end)?;
            let batch = RecordBatch::try_new(Arc::clone(&schema), columns)
                .map_err(|e| invalid(e.to_string()))?;
            writer.write(&batch).map_err(|e| IoError::write(path, e))?;
            start = end;
        }
        tierank_format::writer::close(writer).map_err(|e| IoError::write(path, e))?;
        Ok(())
    })
}

/// Builds the record batches of `rows` rows, one per [`ROW_GROUP_ROWS`] rows (the row
/// groups [`write_batches`] writes); `columns` builds the arrays of one row range. The batches
/// of tables that are both written and handed to callers in memory (the Python package)
/// come from here, so both hold the same rows.
pub(crate) fn build_batches(
    schema: &SchemaRef,
    rows: usize,
    mut columns: impl FnMut(std::ops::Range<usize>) -> Result<Vec<ArrayRef>, IoError>,
) -> Result<Vec<RecordBatch>, IoError> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows {
        let end = rows.min(start + ROW_GROUP_ROWS);
        out.push(
            RecordBatch::try_new(Arc::clone(schema), columns(start..end)?)
                .map_err(|e| invalid(e.to_string()))?,
        );
        start = end;
    }
    Ok(out)
}

/// Writes record batches built by [`build_batches`] to `path` atomically, one row group per
/// batch: the same file [`write_batches`] writes for the same rows.
pub(crate) fn write_record_batches(
    path: &Path,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), IoError> {
    write_file_atomically(path, |file| {
        let mut writer = ArrowWriter::try_new(file, Arc::clone(schema), Some(properties()))
            .map_err(|e| IoError::write(path, e))?;
        for batch in batches {
            writer.write(batch).map_err(|e| IoError::write(path, e))?;
        }
        tierank_format::writer::close(writer).map_err(|e| IoError::write(path, e))?;
        Ok(())
    })
}

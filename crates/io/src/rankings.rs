//! The rankings output of `tierank rank`, written as a stream and published atomically.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Float64Array, Int8Array, Int32Array, Int64Array, StringArray,
};
use arrow::datatypes::{Int8Type, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use tempfile::NamedTempFile;
use tierank_format::schema;

use crate::IoError;

/// A chunk of ranking rows, column by column (all columns the same length).
///
/// Rows are one per (target, heuristic, rank); within a (target, heuristic) ranks are 1-based
/// and equal scores are ordered by ascending alter person id (the ranking code's contract).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankingRows {
    /// The target's person id.
    pub target: Vec<i64>,
    /// Index into the heuristic names given to [`RankingsWriter::create`].
    pub heuristic: Vec<u8>,
    /// 1-based rank.
    pub rank: Vec<i32>,
    /// The ranked friend's person id.
    pub alter: Vec<i64>,
    /// The heuristic's score (higher is closer).
    pub score: Vec<f64>,
}

impl RankingRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// Removes every row, keeping the allocations for the next chunk.
    pub fn clear(&mut self) {
        self.target.clear();
        self.heuristic.clear();
        self.rank.clear();
        self.alter.clear();
        self.score.clear();
    }

    /// Appends one row.
    pub fn push(&mut self, target: i64, heuristic: u8, rank: i32, alter: i64, score: f64) {
        self.target.push(target);
        self.heuristic.push(heuristic);
        self.rank.push(rank);
        self.alter.push(alter);
        self.score.push(score);
    }
}

/// Builds the record batches of the rankings table ([`schema::rankings`]) from
/// [`RankingRows`]: the one builder behind both the rankings Parquet file
/// ([`RankingsWriter`]) and the rankings handed to callers in memory (the Python package), so
/// both have the same columns, types, metadata and rows.
#[derive(Debug, Clone)]
pub struct RankingsBatches {
    names: Arc<StringArray>,
    schema: SchemaRef,
}

impl RankingsBatches {
    /// A builder for the given heuristics (by command-line name, in dictionary order).
    ///
    /// # Errors
    /// [`IoError::InvalidRows`] for more than 127 heuristic names (the dictionary key is
    /// Int8).
    pub fn new(heuristic_names: &[String]) -> Result<Self, IoError> {
        if heuristic_names.len() > i8::MAX as usize {
            return Err(IoError::InvalidRows {
                reason: format!(
                    "{} heuristic names exceed the Int8 dictionary limit of {}",
                    heuristic_names.len(),
                    i8::MAX
                ),
            });
        }
        Ok(Self {
            names: Arc::new(StringArray::from_iter_values(heuristic_names)),
            schema: schema::rankings(),
        })
    }

    /// The schema of the batches: [`schema::rankings`] with the metadata added by
    /// [`Self::with_metadata`].
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Adds a key-value pair to the schema's metadata: what a reader of the rankings file
    /// finds in its schema after [`RankingsWriter::set_metadata`] with the same pair.
    #[must_use]
    pub fn with_metadata(mut self, key: &str, value: &str) -> Self {
        let mut metadata = self.schema.metadata().clone();
        metadata.insert(key.to_owned(), value.to_owned());
        self.schema = Arc::new(self.schema.as_ref().clone().with_metadata(metadata));
        self
    }

    /// The batch of `rows`, or `None` when there are none.
    ///
    /// # Errors
    /// [`IoError::InvalidRows`] when the columns differ in length or a heuristic index is not
    /// one of the names given at creation.
    pub fn batch(&self, rows: &RankingRows) -> Result<Option<RecordBatch>, IoError> {
        let n = rows.len();
        let lens = [
            rows.heuristic.len(),
            rows.rank.len(),
            rows.alter.len(),
            rows.score.len(),
        ];
        if lens.iter().any(|&l| l != n) {
            return Err(IoError::InvalidRows {
                reason: format!(
                    "column lengths differ: target {n}, heuristic {}, rank {}, alter {}, score {}",
                    lens[0], lens[1], lens[2], lens[3]
                ),
            });
        }
        if n == 0 {
            return Ok(None);
        }
        if let Some(&h) = rows
            .heuristic
            .iter()
            .find(|&&h| usize::from(h) >= self.names.len())
        {
            return Err(IoError::InvalidRows {
                reason: format!(
                    "heuristic index {h} but only {} names were given",
                    self.names.len()
                ),
            });
        }
        let keys = Int8Array::from_iter_values(rows.heuristic.iter().map(|&h| h as i8));
        let heuristic =
            DictionaryArray::<Int8Type>::try_new(keys, Arc::clone(&self.names) as ArrayRef)
                .map_err(|e| IoError::InvalidRows {
                    reason: e.to_string(),
                })?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(rows.target.clone())),
            Arc::new(heuristic),
            Arc::new(Int32Array::from(rows.rank.clone())),
            Arc::new(Int64Array::from(rows.alter.clone())),
            Arc::new(Float64Array::from(rows.score.clone())),
        ];
        RecordBatch::try_new(Arc::clone(&self.schema), columns)
            .map(Some)
            .map_err(|e| IoError::InvalidRows {
                reason: e.to_string(),
            })
    }
}

/// Streams ranking rows into a Parquet file that appears at its final path only on
/// [`RankingsWriter::finish`].
///
/// Rows go to a hidden temporary file beside the target; the Parquet writer flushes a row
/// group every [`tierank_format::writer::ROW_GROUP_ROWS`] rows, so memory stays bounded
/// however many targets are ranked. Dropping the writer without `finish` (an error, a
/// panic, Ctrl-C unwinding) removes the temporary file and leaves nothing at the target.
/// Its batches come from [`RankingsBatches`].
pub struct RankingsWriter {
    path: PathBuf,
    batches: RankingsBatches,
    writer: ArrowWriter<std::fs::File>,
    tmp: NamedTempFile,
    rows: u64,
}

impl std::fmt::Debug for RankingsWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RankingsWriter")
            .field("path", &self.path)
            .field("tmp", &self.tmp.path())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl RankingsWriter {
    /// Starts writing the rankings file `path` for the given heuristics (by command-line name).
    ///
    /// # Errors
    /// [`IoError::InvalidRows`] for more than 127 heuristic names (the dictionary key is
    /// Int8); [`IoError::Format`] when `path` names no file of its own or the temporary file
    /// cannot be created beside it.
    pub fn create(path: &Path, heuristic_names: &[String]) -> Result<Self, IoError> {
        Self::with_batches(path, RankingsBatches::new(heuristic_names)?)
    }

    /// Starts writing the rankings file `path` with the batches of `batches`: its schema
    /// metadata ([`RankingsBatches::with_metadata`]) goes into the file's Arrow schema (what
    /// pyarrow shows) and into the footer's key-value metadata (as
    /// [`RankingsWriter::set_metadata`] would), so that every reader of the file sees the
    /// schema of the in-memory batches.
    ///
    /// # Errors
    /// [`IoError::Format`] when `path` names no file of its own or the temporary file cannot
    /// be created beside it.
    pub fn with_batches(path: &Path, batches: RankingsBatches) -> Result<Self, IoError> {
        // Hidden sibling, leftovers of killed runs cleaned, mode as a plain file's.
        let tmp = tierank_format::atomic::temp_file_beside(path)?;
        let file = tmp
            .as_file()
            .try_clone()
            .map_err(|e| IoError::io(tmp.path(), e))?;
        let mut writer = ArrowWriter::try_new(
            file,
            Arc::clone(batches.schema()),
            Some(tierank_format::writer::properties()),
        )
        .map_err(|e| IoError::write(path, e))?;
        let mut metadata: Vec<_> = batches.schema().metadata().iter().collect();
        metadata.sort();
        for (key, value) in metadata {
            writer.append_key_value_metadata(parquet::file::metadata::KeyValue::new(
                key.clone(),
                value.clone(),
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            batches,
            writer,
            tmp,
            rows: 0,
        })
    }

    /// Appends rows.
    ///
    /// # Errors
    /// [`IoError::InvalidRows`] when the columns differ in length or a heuristic index is not
    /// one of the names given at creation; [`IoError::Write`] when writing fails.
    pub fn write(&mut self, rows: &RankingRows) -> Result<(), IoError> {
        let Some(batch) = self.batches.batch(rows)? else {
            return Ok(());
        };
        self.writer
            .write(&batch)
            .map_err(|e| IoError::write(&self.path, e))?;
        self.rows += rows.len() as u64;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds a key-value pair to the file's footer metadata (e.g. the event window the
    /// rankings were computed with), so that the file says how to reproduce it.
    pub fn set_metadata(&mut self, key: &str, value: &str) {
        self.writer
            .append_key_value_metadata(parquet::file::metadata::KeyValue::new(
                key.to_owned(),
                value.to_owned(),
            ));
    }

    /// Closes the file, syncs it, and renames it into place; returns the number of rows.
    ///
    /// # Errors
    /// [`IoError::Write`] or [`IoError::Format`]; the temporary file is then removed.
    pub fn finish(self) -> Result<u64, IoError> {
        let Self {
            path,
            writer,
            tmp,
            rows,
            ..
        } = self;
        tierank_format::writer::close(writer).map_err(|e| IoError::write(&path, e))?;
        tierank_format::atomic::persist_beside(tmp, &path)?;
        Ok(rows)
    }
}

//! Opening Parquet files and reading typed columns with contract-aware widening and checks.
//!
//! Columns are always looked up by name, never by position. Every check reports the file,
//! the column and the row, so users can find the offending value in their own export.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int32Type, Int64Type, SchemaRef, TimeUnit,
};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::file::reader::ChunkReader;

use crate::IoError;

/// Rows per decoded batch: large enough to amortise per-batch work, small enough that a
/// few batches per thread stay well under the memory of a row group.
pub(crate) const BATCH_ROWS: usize = 64 * 1024;

/// An opened Parquet file with its footer parsed once and shared by every reader.
#[derive(Debug)]
pub(crate) struct ParquetSource {
    path: PathBuf,
    meta: ArrowReaderMetadata,
    /// The whole file, for [`ParquetSource::open_in_memory`].
    in_memory: Option<Bytes>,
}

impl ParquetSource {
    /// Opens `path` and parses its footer.
    pub(crate) fn open(path: &Path) -> Result<Self, IoError> {
        let file = File::open(path).map_err(|e| IoError::io(path, e))?;
        let meta = decoder_guard(|| ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()))
            .map_err(|reason| IoError::parquet(path, reason))?
            .map_err(|e| IoError::parquet(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            meta,
            in_memory: None,
        })
    }

    /// Reads all of `path` into memory and parses its footer: for small files read whole
    /// anyway (id lists). Every page read is then bounded by the file's bytes: a corrupt page
    /// header found by fuzzing (`tests/it/fuzz-crashes/ids-parquet-slow-page-header.parquet`)
    /// kept the file-backed page reader busy for minutes (68 s to 290 s), where the in-memory
    /// one refuses it in about a second.
    pub(crate) fn open_in_memory(path: &Path) -> Result<Self, IoError> {
        let bytes = Bytes::from(std::fs::read(path).map_err(|e| IoError::io(path, e))?);
        let meta = decoder_guard(|| ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()))
            .map_err(|reason| IoError::parquet(path, reason))?
            .map_err(|e| IoError::parquet(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            meta,
            in_memory: Some(bytes),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The Arrow schema of the file.
    pub(crate) fn schema(&self) -> &SchemaRef {
        self.meta.schema()
    }

    /// The names of all top-level columns.
    pub(crate) fn column_names(&self) -> Vec<String> {
        self.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The type of column `name`, or [`IoError::MissingColumn`] listing the columns found.
    pub(crate) fn require(&self, name: &str) -> Result<&DataType, IoError> {
        self.optional(name).ok_or_else(|| IoError::MissingColumn {
            path: self.path.clone(),
            column: name.to_owned(),
            found: self.column_names(),
        })
    }

    /// As [`ParquetSource::require`], but a file that has the column's pre-format-2 name
    /// `old` instead gets [`IoError::RenamedColumn`], which names both.
    pub(crate) fn require_renamed(&self, name: &str, old: &str) -> Result<&DataType, IoError> {
        if self.optional(name).is_none() && self.optional(old).is_some() {
            return Err(IoError::RenamedColumn {
                path: self.path.clone(),
                old: old.to_owned(),
                new: name.to_owned(),
            });
        }
        self.require(name)
    }

    /// The type of column `name`, if present.
    pub(crate) fn optional(&self, name: &str) -> Option<&DataType> {
        self.schema()
            .field_with_name(name)
            .ok()
            .map(|f| f.data_type())
    }

    /// Number of row groups.
    pub(crate) fn num_row_groups(&self) -> usize {
        self.meta.metadata().num_row_groups()
    }

    /// Total number of rows.
    pub(crate) fn num_rows(&self) -> u64 {
        self.row_group_starts().last().copied().unwrap_or(0)
    }

    /// Row index of the first row of each row group, plus the total row count at the end.
    pub(crate) fn row_group_starts(&self) -> Vec<u64> {
        let mut starts = Vec::with_capacity(self.num_row_groups() + 1);
        let mut acc = 0u64;
        starts.push(0);
        for rg in self.meta.metadata().row_groups() {
            acc += u64::try_from(rg.num_rows()).unwrap_or(0);
            starts.push(acc);
        }
        starts
    }

    /// A reader of the named columns over the given row groups (all when `None`).
    pub(crate) fn reader(
        &self,
        columns: &[&str],
        row_groups: Option<Vec<usize>>,
    ) -> Result<GuardedReader, IoError> {
        self.reader_slice(columns, row_groups, None)
    }

    /// As [`ParquetSource::reader`], reading only `take` rows after skipping `skip` of the
    /// given row groups when `slice` is `Some((skip, take))` (the partitioned load's shares
    /// of a file with fewer row groups than workers).
    pub(crate) fn reader_slice(
        &self,
        columns: &[&str],
        row_groups: Option<Vec<usize>>,
        slice: Option<(usize, usize)>,
    ) -> Result<GuardedReader, IoError> {
        let indices: Vec<usize> = columns
            .iter()
            .filter_map(|c| self.schema().index_of(c).ok())
            .collect();
        // A fresh handle, not `try_clone`: clones share one file offset, and the Parquet
        // reader seeks before every read, so parallel readers of one file would race.
        fn build<T: ChunkReader + 'static>(
            input: T,
            meta: &ArrowReaderMetadata,
            indices: Vec<usize>,
            row_groups: Option<Vec<usize>>,
            slice: Option<(usize, usize)>,
        ) -> parquet::errors::Result<ParquetRecordBatchReader> {
            let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(input, meta.clone());
            let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
            let mut builder = builder.with_projection(mask).with_batch_size(BATCH_ROWS);
            if let Some(rgs) = row_groups {
                builder = builder.with_row_groups(rgs);
            }
            if let Some((skip, take)) = slice {
                builder = builder.with_row_selection(
                    parquet::arrow::arrow_reader::RowSelection::from(vec![
                        parquet::arrow::arrow_reader::RowSelector::skip(skip),
                        parquet::arrow::arrow_reader::RowSelector::select(take),
                    ]),
                );
            }
            builder.build()
        }
        let file = match &self.in_memory {
            Some(_) => None,
            None => Some(File::open(&self.path).map_err(|e| IoError::io(&self.path, e))?),
        };
        let inner = decoder_guard(|| match (file, &self.in_memory) {
            (Some(file), _) => build(file, &self.meta, indices, row_groups, slice),
            (None, bytes) => build(
                bytes.clone().unwrap_or_default(),
                &self.meta,
                indices,
                row_groups,
                slice,
            ),
        })
        .map_err(|reason| IoError::parquet(&self.path, reason))?
        .map_err(|e| IoError::parquet(&self.path, e))?;
        Ok(GuardedReader { inner: Some(inner) })
    }

    /// Reads the named columns of the whole file, batch by batch, calling `f` with each batch
    /// and the file row index of its first row.
    pub(crate) fn for_each_batch(
        &self,
        columns: &[&str],
        mut f: impl FnMut(&RecordBatch, u64) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        let mut row0 = 0u64;
        for batch in self.reader(columns, None)? {
            let batch = batch.map_err(|e| IoError::parquet(&self.path, e))?;
            f(&batch, row0)?;
            row0 += batch.num_rows() as u64;
        }
        Ok(())
    }
}

/// Runs a call into the Parquet decoder, turning a panic into an error message.
///
/// parquet 60.1 panics on some corrupt files (slice indices and asserts in the footer,
/// page and level decoders, arithmetic overflow) instead of returning an error: the fuzz
/// harness (`tierank-fuzz`) met one such file in about 1,500 mutated ones. A damaged file
/// is bad input, so it must be refused with its name (exit 2), never crash the program.
pub(crate) fn decoder_guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".to_owned());
        format!("the file is corrupt (the Parquet decoder failed: {what})")
    })
}

/// A Parquet batch reader whose decoder panics become errors (see [`decoder_guard`]).
/// After an error it yields nothing more.
pub(crate) struct GuardedReader {
    inner: Option<ParquetRecordBatchReader>,
}

impl Iterator for GuardedReader {
    type Item = Result<RecordBatch, arrow::error::ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let inner = self.inner.as_mut()?;
        match decoder_guard(|| inner.next()) {
            Ok(item) => item,
            Err(reason) => {
                self.inner = None;
                Some(Err(arrow::error::ArrowError::ParquetError(reason)))
            }
        }
    }
}

/// Where a column's values come from, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnAt<'a> {
    /// The file.
    pub path: &'a Path,
    /// The column name.
    pub column: &'a str,
    /// File row index of the first value.
    pub row0: u64,
}

impl ColumnAt<'_> {
    pub(crate) fn bad(&self, index: usize, reason: impl Into<String>) -> IoError {
        IoError::BadValue {
            path: self.path.to_owned(),
            column: self.column.to_owned(),
            row: self.row0 + index as u64,
            reason: reason.into(),
        }
    }

    pub(crate) fn wrong_type(&self, expected: &str, found: &DataType) -> IoError {
        IoError::WrongType {
            path: self.path.to_owned(),
            column: self.column.to_owned(),
            expected: expected.to_owned(),
            found: found.to_string(),
        }
    }

    /// The column of `batch`, which the reader was asked to project.
    pub(crate) fn of<'b>(&self, batch: &'b RecordBatch) -> Result<&'b ArrayRef, IoError> {
        batch
            .column_by_name(self.column)
            .ok_or_else(|| IoError::MissingColumn {
                path: self.path.to_owned(),
                column: self.column.to_owned(),
                found: batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect(),
            })
    }

    fn first_null(&self, array: &dyn Array) -> Result<(), IoError> {
        if array.null_count() > 0
            && let Some(i) = (0..array.len()).find(|&i| array.is_null(i))
        {
            return Err(self.bad(i, "null value"));
        }
        Ok(())
    }
}

/// What integer id columns accept.
pub(crate) const INT_EXPECTED: &str = "Int64 (or Int32)";
/// What measure columns accept.
pub(crate) const FLOAT_EXPECTED: &str = "Float64 (or Float32, Int32, Int64)";
/// What time columns accept.
pub(crate) const TIMESTAMP_EXPECTED: &str = "Timestamp (any unit or time zone)";
/// What vocabulary columns accept.
pub(crate) const STRING_EXPECTED: &str = "Dictionary(Int8, Utf8) (or another string type)";

/// Checks that an id column can be read as int64.
pub(crate) fn check_int(at: ColumnAt<'_>, ty: &DataType) -> Result<(), IoError> {
    match ty {
        DataType::Int64 | DataType::Int32 => Ok(()),
        other => Err(at.wrong_type(INT_EXPECTED, other)),
    }
}

/// Checks that a measure column can be read as float64.
pub(crate) fn check_float(at: ColumnAt<'_>, ty: &DataType) -> Result<(), IoError> {
    match ty {
        DataType::Float64 | DataType::Float32 | DataType::Int32 | DataType::Int64 => Ok(()),
        other => Err(at.wrong_type(FLOAT_EXPECTED, other)),
    }
}

/// Checks that a time column is a timestamp.
pub(crate) fn check_timestamp(at: ColumnAt<'_>, ty: &DataType) -> Result<(), IoError> {
    match ty {
        DataType::Timestamp(_, _) => Ok(()),
        other => Err(at.wrong_type(TIMESTAMP_EXPECTED, other)),
    }
}

/// Checks that a vocabulary column holds strings (plain or dictionary-encoded).
pub(crate) fn check_string(at: ColumnAt<'_>, ty: &DataType) -> Result<(), IoError> {
    let ok = match ty {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(key, value) => {
            key.is_integer()
                && matches!(
                    **value,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                )
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(at.wrong_type(STRING_EXPECTED, ty))
    }
}

/// Non-null int64 values (Int32 widened). Nulls are an error.
pub(crate) fn i64_values<'b>(
    at: ColumnAt<'_>,
    array: &'b ArrayRef,
) -> Result<Cow<'b, [i64]>, IoError> {
    at.first_null(array.as_ref())?;
    match array.data_type() {
        DataType::Int64 => Ok(Cow::Borrowed(array.as_primitive::<Int64Type>().values())),
        DataType::Int32 => Ok(Cow::Owned(
            array
                .as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&v| i64::from(v))
                .collect(),
        )),
        other => Err(at.wrong_type(INT_EXPECTED, other)),
    }
}

/// Copies a non-null int64 column (Int32 widened) into `out`, which has its length.
/// Nulls are an error, as in [`i64_values`].
pub(crate) fn copy_i64_into(
    at: ColumnAt<'_>,
    array: &ArrayRef,
    out: &mut [i64],
) -> Result<(), IoError> {
    at.first_null(array.as_ref())?;
    match array.data_type() {
        DataType::Int64 => out.copy_from_slice(array.as_primitive::<Int64Type>().values()),
        DataType::Int32 => {
            let values = array.as_primitive::<Int32Type>().values();
            out.iter_mut()
                .zip(values.iter())
                .for_each(|(o, &v)| *o = i64::from(v));
        }
        other => return Err(at.wrong_type(INT_EXPECTED, other)),
    }
    Ok(())
}

/// Copies a measure column (others widened to float64) into `out`, which has its length,
/// refusing the first null or invalid value in row order, as reading [`f64_values`] and
/// checking each with [`check_measure`] does, without the intermediate `Option` per row.
pub(crate) fn copy_measures_into(
    at: ColumnAt<'_>,
    array: &ArrayRef,
    out: &mut [f64],
) -> Result<(), IoError> {
    fn widen<T: arrow::datatypes::ArrowPrimitiveType>(
        array: &ArrayRef,
        out: &mut [f64],
        f: impl Fn(T::Native) -> f64,
    ) {
        let values = array.as_primitive::<T>().values();
        out.iter_mut()
            .zip(values.iter())
            .for_each(|(o, &v)| *o = f(v));
    }
    match array.data_type() {
        DataType::Float64 => out.copy_from_slice(array.as_primitive::<Float64Type>().values()),
        DataType::Float32 => widen::<Float32Type>(array, out, f64::from),
        DataType::Int32 => widen::<Int32Type>(array, out, f64::from),
        DataType::Int64 => widen::<Int64Type>(array, out, |v| v as f64),
        other => return Err(at.wrong_type(FLOAT_EXPECTED, other)),
    }
    // Valid measures are finite and non-negative; find the first row that is not (or null).
    let has_nulls = array.null_count() > 0;
    let bad = |i: usize| (has_nulls && array.is_null(i)) || !(out[i] >= 0.0 && out[i].is_finite());
    if let Some(i) = (0..out.len()).find(|&i| bad(i)) {
        if array.is_null(i) {
            return Err(at.bad(i, "null value"));
        }
        check_measure(at, i, out[i])?;
    }
    Ok(())
}

/// Float64 values (others widened), with nulls read as `None`.
pub(crate) fn f64_values(at: ColumnAt<'_>, array: &ArrayRef) -> Result<Vec<Option<f64>>, IoError> {
    fn collect<T: arrow::datatypes::ArrowPrimitiveType>(
        array: &ArrayRef,
        f: impl Fn(T::Native) -> f64,
    ) -> Vec<Option<f64>> {
        array
            .as_primitive::<T>()
            .iter()
            .map(|v| v.map(&f))
            .collect()
    }
    Ok(match array.data_type() {
        DataType::Float64 => collect::<Float64Type>(array, |v| v),
        DataType::Float32 => collect::<Float32Type>(array, f64::from),
        DataType::Int32 => collect::<Int32Type>(array, f64::from),
        // Measures beyond 2^53 lose their last digits; they are far outside any real range.
        DataType::Int64 => collect::<Int64Type>(array, |v| v as f64),
        other => return Err(at.wrong_type(FLOAT_EXPECTED, other)),
    })
}

/// Checks that a measure is finite and non-negative.
pub(crate) fn check_measure(at: ColumnAt<'_>, index: usize, value: f64) -> Result<(), IoError> {
    if value.is_nan() {
        Err(at.bad(index, "value is NaN"))
    } else if value.is_infinite() {
        Err(at.bad(index, format!("value is {value}")))
    } else if value < 0.0 {
        Err(at.bad(index, format!("value {value} is negative")))
    } else {
        Ok(())
    }
}

/// Non-null timestamps converted to milliseconds since the Unix epoch (UTC; a time zone only
/// changes how a timestamp is displayed, not its instant).
pub(crate) fn timestamps_ms(at: ColumnAt<'_>, array: &ArrayRef) -> Result<Vec<i64>, IoError> {
    at.first_null(array.as_ref())?;
    use arrow::datatypes::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    let out = match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            let values = array.as_primitive::<TimestampSecondType>().values();
            let mut out = Vec::with_capacity(values.len());
            for (i, &v) in values.iter().enumerate() {
                out.push(
                    v.checked_mul(1000)
                        .ok_or_else(|| at.bad(i, "timestamp out of range"))?,
                );
            }
            out
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => array
            .as_primitive::<TimestampMillisecondType>()
            .values()
            .to_vec(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => array
            .as_primitive::<TimestampMicrosecondType>()
            .values()
            .iter()
            .map(|v| v.div_euclid(1000))
            .collect(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => array
            .as_primitive::<TimestampNanosecondType>()
            .values()
            .iter()
            .map(|v| v.div_euclid(1_000_000))
            .collect(),
        other => return Err(at.wrong_type(TIMESTAMP_EXPECTED, other)),
    };
    Ok(out)
}

/// A string column as dictionary codes plus the distinct strings, so that each distinct
/// string is parsed once per batch rather than once per row.
pub(crate) struct DictStrings {
    /// Per row, an index into `values`.
    pub keys: Vec<u32>,
    /// The dictionary.
    pub values: StringArray,
}

/// Reads a non-null string column (plain or dictionary-encoded).
pub(crate) fn dict_strings(at: ColumnAt<'_>, array: &ArrayRef) -> Result<DictStrings, IoError> {
    at.first_null(array.as_ref())?;
    check_string(at, array.data_type())?;
    let target = DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8));
    let cast: ArrayRef = if array.data_type() == &target {
        Arc::clone(array)
    } else {
        arrow::compute::cast(array, &target).map_err(|e| IoError::parquet(at.path, e))?
    };
    let dict = cast.as_dictionary::<arrow::datatypes::UInt32Type>();
    let values = dict.values().as_string::<i32>().clone();
    Ok(DictStrings {
        keys: dict.keys().values().to_vec(),
        values,
    })
}

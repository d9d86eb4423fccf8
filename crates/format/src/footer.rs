//! Rewrites the column order of FLOAT/DOUBLE columns in a finished Parquet footer so that
//! every client reads their min/max statistics.
//!
//! parquet-rs 60 records the column order `IEEE_754_TOTAL_ORDER` for every floating-point
//! column (parquet-format 2.12) and puts the statistics only in `min_value`/`max_value`.
//! DuckDB reads them, but pyarrow 26 (Arrow C++) and the readers built on it do not know that
//! order and report `has_min_max = False`, so a filter on a score column scans every row
//! group. No writer property selects another order, and `ParquetMetaDataWriter` recomputes
//! the orders from the schema, so the footer is patched after the writer has closed it.
//!
//! The patch replaces `IEEE_754_TOTAL_ORDER` (union field 2) by `TYPE_ORDER` (union field 1),
//! which for FLOAT/DOUBLE means signed numeric comparison. The two encodings have the same
//! length in Thrift's compact protocol (`0x2C 0x00 0x00` against `0x1C 0x00 0x00`), so the
//! footer is changed in place, one byte per column, and every offset in the file stays
//! valid. The statistics themselves stay as written, and are valid under the type-defined
//! order: parquet-rs leaves NaN out of min/max unless a chunk holds nothing but NaN, and -0.0
//! sorts before +0.0 in both orders. A column with such an all-NaN chunk keeps the total order
//! (its statistics would read as NaN bounds), as does any column the patch cannot recognise.

use std::io::{Read, Seek, SeekFrom, Write};

use parquet::basic::{ColumnOrder, Type as PhysicalType};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;

/// Thrift compact encoding of the `ColumnOrder` union holding `IEEE_754_TOTAL_ORDER`: field
/// header (id delta 2, type struct), the empty struct's stop, the union's stop.
const TOTAL_ORDER: [u8; 3] = [0x2C, 0x00, 0x00];
/// The same union holding `TYPE_ORDER` (id delta 1): one byte differs.
const TYPE_ORDER: [u8; 3] = [0x1C, 0x00, 0x00];

/// Sets the column order of every FLOAT/DOUBLE column of the Parquet file in `file` (open for
/// reading and writing, positioned anywhere) to the type-defined order, in place; returns the
/// number of columns changed. Files with an encrypted footer are left alone.
///
/// # Errors
/// The file is not Parquet, its footer does not decode, or reading or writing fails. The
/// file is then unchanged.
pub fn type_defined_float_order<F: Read + Write + Seek>(
    file: &mut F,
) -> Result<usize, ParquetError> {
    let end = file.seek(SeekFrom::End(0))?;
    if end < 12 {
        return Err(ParquetError::General(format!(
            "{end} bytes are too few for a Parquet file"
        )));
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::End(-8))?;
    file.read_exact(&mut tail)?;
    if &tail[4..] != b"PAR1" {
        // "PARE" is an encrypted footer, which tierank never writes; anything else is no
        // Parquet file.
        if &tail[4..] == b"PARE" {
            return Ok(0);
        }
        return Err(ParquetError::General("no Parquet magic at the end".into()));
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len + 12 > end {
        return Err(ParquetError::General(format!(
            "footer of {len} bytes in a file of {end}"
        )));
    }
    let start = end - 8 - len;
    let mut footer = vec![0u8; len as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut footer)?;
    let positions = float_order_positions(&footer)?;
    for &pos in &positions {
        file.seek(SeekFrom::Start(start + pos as u64))?;
        file.write_all(&TYPE_ORDER[..1])?;
    }
    file.flush()?;
    Ok(positions.len())
}

/// Offsets in `footer` (the Thrift `FileMetaData`) of the column-order bytes to change: one
/// per FLOAT/DOUBLE column written with `IEEE_754_TOTAL_ORDER` whose statistics hold no NaN.
pub fn float_order_positions(footer: &[u8]) -> Result<Vec<usize>, ParquetError> {
    let metadata = ParquetMetaDataReader::decode_metadata(footer)?;
    let Some(orders) = metadata.file_metadata().column_orders() else {
        return Ok(Vec::new());
    };
    let elements = column_order_offsets(footer)?;
    let columns = metadata.file_metadata().schema_descr().columns();
    if elements.len() != orders.len() || orders.len() != columns.len() {
        return Err(ParquetError::General(format!(
            "{} column orders found in the footer, {} decoded, {} columns",
            elements.len(),
            orders.len(),
            columns.len()
        )));
    }
    let mut positions = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let float = matches!(
            column.physical_type(),
            PhysicalType::FLOAT | PhysicalType::DOUBLE
        );
        let at = elements[i];
        if float
            && orders[i] == ColumnOrder::IEEE_754_TOTAL_ORDER
            && footer.get(at..at + 3) == Some(&TOTAL_ORDER[..])
            && !has_nan_bound(&metadata, i)
        {
            positions.push(at);
        }
    }
    Ok(positions)
}

/// Whether a chunk of column `i` has a NaN min or max (a chunk of nothing but NaN).
fn has_nan_bound(metadata: &ParquetMetaData, i: usize) -> bool {
    metadata
        .row_groups()
        .iter()
        .any(|group| match group.column(i).statistics() {
            Some(Statistics::Double(s)) => {
                s.min_opt().is_some_and(|v| v.is_nan()) || s.max_opt().is_some_and(|v| v.is_nan())
            }
            Some(Statistics::Float(s)) => {
                s.min_opt().is_some_and(|v| v.is_nan()) || s.max_opt().is_some_and(|v| v.is_nan())
            }
            _ => false,
        })
}

/// The offsets of the elements of `FileMetaData.column_orders` (field 7), empty when absent.
fn column_order_offsets(footer: &[u8]) -> Result<Vec<usize>, ParquetError> {
    let mut r = Compact {
        buf: footer,
        pos: 0,
    };
    let mut last = 0i16;
    loop {
        let Some((id, kind)) = r.field_header(&mut last)? else {
            return Ok(Vec::new());
        };
        if id == 7 && kind == LIST {
            let (size, element) = r.list_header()?;
            if element != STRUCT {
                return Err(r.error("column_orders is not a list of structs"));
            }
            let mut offsets = Vec::with_capacity(size);
            for _ in 0..size {
                offsets.push(r.pos);
                r.skip(STRUCT, true)?;
            }
            return Ok(offsets);
        }
        r.skip(kind, false)?;
    }
}

const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

/// Just enough of a Thrift compact-protocol reader to walk past any value.
struct Compact<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Compact<'_> {
    fn error(&self, what: &str) -> ParquetError {
        ParquetError::General(format!("footer byte {}: {what}", self.pos))
    }

    fn byte(&mut self) -> Result<u8, ParquetError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.error("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    fn advance(&mut self, n: usize) -> Result<(), ParquetError> {
        if self.buf.len() - self.pos < n {
            return Err(self.error("unexpected end"));
        }
        self.pos += n;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, ParquetError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error("varint longer than 64 bits"))
    }

    /// The next field's (id, type), or `None` at the struct's stop byte.
    fn field_header(&mut self, last: &mut i16) -> Result<Option<(i16, u8)>, ParquetError> {
        let b = self.byte()?;
        if b == 0 {
            return Ok(None);
        }
        let delta = (b >> 4) as i16;
        let id = if delta == 0 {
            let z = self.varint()?;
            ((z >> 1) as i64 ^ -((z & 1) as i64)) as i16
        } else {
            *last + delta
        };
        *last = id;
        Ok(Some((id, b & 0x0F)))
    }

    fn list_header(&mut self) -> Result<(usize, u8), ParquetError> {
        let b = self.byte()?;
        let short = (b >> 4) as usize;
        let size = if short == 15 {
            self.varint()? as usize
        } else {
            short
        };
        Ok((size, b & 0x0F))
    }

    /// Skips one value of type `kind`; `element` says whether it is an element of a list,
    /// set or map, where a boolean takes a byte (in a struct it lives in the field header).
    fn skip(&mut self, kind: u8, element: bool) -> Result<(), ParquetError> {
        match kind {
            BOOL_TRUE | BOOL_FALSE => {
                if element {
                    self.advance(1)?;
                }
            }
            BYTE => self.advance(1)?,
            I16 | I32 | I64 => {
                self.varint()?;
            }
            DOUBLE => self.advance(8)?,
            BINARY => {
                let n = self.varint()? as usize;
                self.advance(n)?;
            }
            LIST | SET => {
                let (size, element_kind) = self.list_header()?;
                for _ in 0..size {
                    self.skip(element_kind, true)?;
                }
            }
            MAP => {
                let size = self.varint()? as usize;
                if size > 0 {
                    let kinds = self.byte()?;
                    for _ in 0..size {
                        self.skip(kinds >> 4, true)?;
                        self.skip(kinds & 0x0F, true)?;
                    }
                }
            }
            STRUCT => {
                let mut last = 0i16;
                while let Some((_, field_kind)) = self.field_header(&mut last)? {
                    self.skip(field_kind, false)?;
                }
            }
            other => return Err(self.error(&format!("unknown Thrift type {other}"))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::SortOrder;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;

    /// A file of one row group per slice of `scores`, beside an id column.
    fn file_with(scores: &[&[f64]]) -> Vec<u8> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("score", DataType::Float64, false),
        ]));
        let mut writer = ArrowWriter::try_new(
            Cursor::new(Vec::new()),
            Arc::clone(&schema),
            Some(crate::writer::properties()),
        )
        .unwrap();
        for group in scores {
            let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..group.len() as i64));
            let values: ArrayRef = Arc::new(Float64Array::from(group.to_vec()));
            let batch = RecordBatch::try_new(Arc::clone(&schema), vec![ids, values]).unwrap();
            writer.write(&batch).unwrap();
            writer.flush().unwrap();
        }
        writer.into_inner().unwrap().into_inner()
    }

    fn patched(mut bytes: Vec<u8>) -> (Vec<u8>, usize) {
        let mut cursor = Cursor::new(std::mem::take(&mut bytes));
        let n = type_defined_float_order(&mut cursor).unwrap();
        (cursor.into_inner(), n)
    }

    fn reader(bytes: Vec<u8>) -> SerializedFileReader<std::fs::File> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        SerializedFileReader::new(file).unwrap()
    }

    #[test]
    fn double_columns_get_the_type_defined_order_and_keep_their_statistics() {
        let before = file_with(&[&[0.5, -2.0, 3.25], &[-0.0, 7.0, f64::NAN]]);
        let orders_before = reader(before.clone())
            .metadata()
            .file_metadata()
            .column_orders()
            .cloned();
        assert_eq!(
            orders_before.as_deref().map(|o| o[1]),
            Some(ColumnOrder::IEEE_754_TOTAL_ORDER),
            "parquet-rs writes the total order: if this fails the patch may be unneeded"
        );
        let (after, changed) = patched(before.clone());
        assert_eq!(changed, 1);
        assert_eq!(after.len(), before.len());
        let differing = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 1, "one byte per column changes");

        let file = reader(after);
        let meta = file.metadata();
        let orders = meta.file_metadata().column_orders().unwrap();
        assert_eq!(
            orders[1],
            ColumnOrder::TYPE_DEFINED_ORDER(SortOrder::SIGNED)
        );
        assert_eq!(
            orders[0],
            ColumnOrder::TYPE_DEFINED_ORDER(SortOrder::SIGNED)
        );
        let bounds: Vec<(f64, f64)> = meta
            .row_groups()
            .iter()
            .map(|g| match g.column(1).statistics() {
                Some(Statistics::Double(s)) => (*s.min_opt().unwrap(), *s.max_opt().unwrap()),
                other => panic!("no double statistics: {other:?}"),
            })
            .collect();
        assert_eq!(bounds[0], (-2.0, 3.25));
        // NaN is left out of the bounds; -0.0 is the minimum.
        assert_eq!(bounds[1].1, 7.0);
        assert!(bounds[1].0 == 0.0 && bounds[1].0.is_sign_negative());
        // The data still reads.
        let rows: usize = file
            .get_row_iter(None)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .len();
        assert_eq!(rows, 6);
    }

    #[test]
    fn a_column_with_an_all_nan_chunk_keeps_the_total_order() {
        let (after, changed) = patched(file_with(&[&[1.0, 2.0], &[f64::NAN, f64::NAN]]));
        assert_eq!(changed, 0);
        let orders = reader(after)
            .metadata()
            .file_metadata()
            .column_orders()
            .cloned()
            .unwrap();
        assert_eq!(orders[1], ColumnOrder::IEEE_754_TOTAL_ORDER);
    }

    #[test]
    fn patching_twice_changes_nothing_more_and_non_parquet_is_refused() {
        let (once, _) = patched(file_with(&[&[1.0, 2.0]]));
        let (twice, changed) = patched(once.clone());
        assert_eq!(changed, 0);
        assert_eq!(once, twice);
        let mut junk = Cursor::new(b"not a parquet file at all".to_vec());
        assert!(type_defined_float_order(&mut junk).is_err());
        assert_eq!(junk.into_inner(), b"not a parquet file at all");
    }
}

//! Parquet writer settings shared by every tierank output.
//!
//! Zstd at a low level compresses ids and timestamps well and decodes fast in every client;
//! dictionary encoding keeps string columns small. No `created_by` timestamp or host is
//! written, so files are byte-reproducible.

use std::io::{Read, Seek, Write};

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};

/// Rows per row group. Large enough for efficient scans, small enough that a reader can
/// decode row groups in parallel with bounded memory.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// The writer properties of every tierank Parquet file.
pub fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("valid level"),
        ))
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("tierank {}", crate::TIERANK_VERSION))
        .build()
}

/// Closes `writer` (footer written) and sets the column order of its FLOAT/DOUBLE columns to
/// the type-defined one, so that pyarrow, polars and Spark see their min/max statistics as
/// DuckDB does (see [`crate::footer`]). Every tierank Parquet writer ends with this instead
/// of `ArrowWriter::close`; the underlying file, open for reading and writing, is returned.
///
/// # Errors
/// Writing the footer fails, or the written footer cannot be read back.
pub fn close<W>(writer: ArrowWriter<W>) -> Result<W, ParquetError>
where
    W: Read + Write + Seek + Send,
{
    let mut inner = writer.into_inner()?;
    crate::footer::type_defined_float_order(&mut inner)?;
    Ok(inner)
}

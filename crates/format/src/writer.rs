//! Parquet writer settings shared by every tierank output.
//!
//! Zstd at a low level compresses ids and timestamps well and decodes fast in every client;
//! dictionary encoding keeps string columns small. No `created_by` timestamp or host is
//! written, so files are byte-reproducible.

use parquet::basic::{Compression, ZstdLevel};
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

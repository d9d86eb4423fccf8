//! Structurally valid Parquet tables with adversarial values.
//!
//! A [`TableSpec`] names the columns a reader expects and the Arrow types it accepts. Each
//! generated table keeps most of that shape but draws values from pools of edge cases (nulls,
//! NaN, ±inf, the extremes of every integer type, empty and odd strings, timestamps at the
//! ends of `i64`), duplicates rows, leaves them unsorted or sorts them, and varies the writer
//! (row-group and page sizes, codecs, dictionary encoding, statistics). Now and then a
//! column is dropped, renamed, duplicated or given a wrong type, an extra column is added,
//! or the table is one huge row group.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float32Array, Float64Array, Int8Array,
    Int16Array, Int32Array, Int64Array, LargeStringArray, StringArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt32Array,
    UInt64Array,
};
use arrow::datatypes::{Field, Int32Type, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};

use crate::mutate::Rng;

/// Arrow types the generator can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Int64.
    I64,
    /// Int32.
    I32,
    /// Int16.
    I16,
    /// Int8.
    I8,
    /// UInt32.
    U32,
    /// UInt64.
    U64,
    /// Float64.
    F64,
    /// Float32.
    F32,
    /// Utf8.
    Str,
    /// LargeUtf8.
    LargeStr,
    /// Dictionary(Int32, Utf8).
    DictStr,
    /// Boolean.
    Bool,
    /// Date32.
    Date,
    /// Timestamp(Second).
    TsS,
    /// Timestamp(Millisecond), optionally with a UTC zone.
    TsMs,
    /// Timestamp(Microsecond).
    TsUs,
    /// Timestamp(Nanosecond).
    TsNs,
}

const ALL_KINDS: &[Kind] = &[
    Kind::I64,
    Kind::I32,
    Kind::I16,
    Kind::I8,
    Kind::U32,
    Kind::U64,
    Kind::F64,
    Kind::F32,
    Kind::Str,
    Kind::LargeStr,
    Kind::DictStr,
    Kind::Bool,
    Kind::Date,
    Kind::TsS,
    Kind::TsMs,
    Kind::TsUs,
    Kind::TsNs,
];

/// One expected column: its name, the types the reader accepts (first = the contract's),
/// and valid strings for string columns (channel or relation names).
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Column name.
    pub name: &'static str,
    /// Accepted types.
    pub kinds: &'static [Kind],
    /// Valid values of a string column.
    pub words: &'static [&'static str],
    /// Whether the reader accepts a file without it.
    pub optional: bool,
}

/// The columns of one file.
pub type TableSpec = &'static [ColumnSpec];

const IDS: &[Kind] = &[Kind::I64, Kind::I32];
const FLOATS: &[Kind] = &[Kind::F64, Kind::F32, Kind::I64, Kind::I32];
const STRINGS: &[Kind] = &[Kind::DictStr, Kind::Str, Kind::LargeStr];
const TIMES: &[Kind] = &[Kind::TsMs, Kind::TsS, Kind::TsUs, Kind::TsNs];
const LAYERS: &[Kind] = &[Kind::I8, Kind::I16, Kind::I32];
/// The channel names of the dataset contract.
pub const CHANNELS: &[&str] = &[
    "message",
    "call",
    "like",
    "comment",
    "transfer",
    "group_message",
];
const RELATIONS: &[&str] = &[
    "partner",
    "family",
    "close_friend",
    "colleague",
    "classmate",
    "acquaintance",
    "service",
];

const fn col(name: &'static str, kinds: &'static [Kind]) -> ColumnSpec {
    ColumnSpec {
        name,
        kinds,
        words: &[],
        optional: false,
    }
}

/// `persons.parquet` (only `person_id` is read).
pub const PERSONS: TableSpec = &[col("person_id", IDS)];
/// `ties.parquet`.
pub const TIES: TableSpec = &[
    col("src", IDS),
    col("dst", IDS),
    ColumnSpec {
        optional: true,
        ..col("weight", FLOATS)
    },
];
/// An `events/*.parquet` part.
pub const EVENTS: TableSpec = &[
    col("src", IDS),
    col("dst", IDS),
    ColumnSpec {
        words: CHANNELS,
        ..col("channel", STRINGS)
    },
    col("ts", TIMES),
    ColumnSpec {
        optional: true,
        ..col("value", FLOATS)
    },
];
/// A Parquet id list (targets or opt-outs).
pub const IDS_TABLE: TableSpec = &[col("person_id", IDS)];
/// `truth_closeness.parquet`.
pub const TRUTH: TableSpec = &[
    col("target", IDS),
    col("alter", IDS),
    col("layer", LAYERS),
    ColumnSpec {
        words: RELATIONS,
        ..col("relation", STRINGS)
    },
    col("closeness", FLOATS),
];

/// 2024-01-01T00:00:00Z in ms: the base of valid timestamps.
pub const T0_MS: i64 = 1_704_067_200_000;
/// The person ids of the fixed dataset the other files of a reader's directory use.
pub const BASE_IDS: std::ops::RangeInclusive<i64> = 1..=8;

const I64_EXTREMES: &[i64] = &[
    i64::MIN,
    i64::MIN + 1,
    i64::MAX,
    i64::MAX - 1,
    0,
    -1,
    i32::MIN as i64,
    i32::MAX as i64,
    u32::MAX as i64,
    1 << 53,
    (1 << 53) + 1,
    i8::MIN as i64,
    i16::MAX as i64,
];
const F64_EXTREMES: &[f64] = &[
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    0.0,
    -1.0,
    f64::MIN_POSITIVE,
    5e-324,
    f64::MAX,
    f64::MIN,
    9_007_199_254_740_992.0,
    9_007_199_254_740_994.0,
    1e300,
    1e-300,
];
const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "MESSAGE",
    " call",
    "call ",
    "\u{0}",
    "ünïcødé",
    "message\n",
    "sms",
    "NaN",
];

/// What a table generator may do.
#[derive(Debug, Clone, Copy)]
pub struct Adversity {
    /// Draw values from the edge-case pools (else only valid values).
    pub values: bool,
    /// Change the schema now and then.
    pub schema: bool,
}

/// Generates one table of `spec` and returns its Parquet bytes.
pub fn generate(rng: &mut Rng, spec: TableSpec, adv: Adversity) -> Vec<u8> {
    // Row count: mostly small; rarely one huge row group.
    let huge = adv.values && rng.one_in(400);
    let rows = if huge {
        20_000 + rng.below(80_000)
    } else {
        *rng.pick(&[0usize, 1, 2, 3, 5, 8, 13, 24, 40])
    };
    let nulls = adv.values && rng.one_in(3);
    let edge = if adv.values { 2 + rng.below(6) } else { 0 };

    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in spec {
        if adv.schema && rng.one_in(if c.optional { 3 } else { 25 }) {
            continue; // dropped
        }
        let name = if adv.schema && rng.one_in(40) {
            format!("{}_renamed", c.name)
        } else {
            c.name.to_owned()
        };
        let kind = if adv.schema && rng.one_in(15) {
            *rng.pick(ALL_KINDS)
        } else if rng.one_in(3) {
            *rng.pick(c.kinds)
        } else {
            c.kinds[0]
        };
        let array = column(rng, kind, rows, c.words, nulls, edge);
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
        if adv.schema && rng.one_in(60) {
            // The same column twice.
            fields.push(Field::new(
                c.name,
                arrays[arrays.len() - 1].data_type().clone(),
                true,
            ));
            arrays.push(Arc::clone(&arrays[arrays.len() - 1]));
        }
    }
    if adv.schema && rng.one_in(10) {
        let kind = *rng.pick(ALL_KINDS);
        let array = column(rng, kind, rows, &[], nulls, edge);
        fields.push(Field::new("extra", array.data_type().clone(), true));
        arrays.push(array);
    }
    let Ok(mut batch) = RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    ) else {
        return Vec::new();
    };

    // Duplicate rows, or sort by the first column, or leave the random order.
    if rows > 0 && rng.one_in(4) {
        let picks: Vec<u32> = (0..rows)
            .map(|i| {
                if rng.one_in(3) {
                    rng.below(rows) as u32
                } else {
                    i as u32
                }
            })
            .collect();
        batch = take(&batch, &picks).unwrap_or(batch);
    } else if rows > 0
        && batch.num_columns() > 0
        && rng.one_in(4)
        && let Ok(order) = arrow::compute::sort_to_indices(batch.column(0), None, None)
    {
        batch = take(&batch, order.values()).unwrap_or(batch);
    }
    write(rng, &batch, huge)
}

/// The rows at `indices`, or `None` if a kernel refuses (the caller keeps the batch).
fn take(batch: &RecordBatch, indices: &[u32]) -> Option<RecordBatch> {
    let idx = UInt32Array::from(indices.to_vec());
    let columns = batch
        .columns()
        .iter()
        .map(|c| arrow::compute::take(c.as_ref(), &idx, None).ok())
        .collect::<Option<Vec<_>>>()?;
    RecordBatch::try_new_with_options(
        batch.schema(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(indices.len())),
    )
    .ok()
}

fn write(rng: &mut Rng, batch: &RecordBatch, huge: bool) -> Vec<u8> {
    let rows = batch.num_rows().max(1);
    let group = if huge { rows } else { 1 + rng.below(rows) };
    let compression = *rng.pick(&[
        Compression::UNCOMPRESSED,
        Compression::SNAPPY,
        Compression::ZSTD(ZstdLevel::default()),
        Compression::LZ4_RAW,
        Compression::LZ4,
    ]);
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .set_data_page_row_count_limit(1 + rng.below(rows))
        .set_write_batch_size(1 + rng.below(rows))
        .set_compression(compression)
        .set_dictionary_enabled(rng.one_in(2))
        .set_statistics_enabled(*rng.pick(&[
            EnabledStatistics::None,
            EnabledStatistics::Chunk,
            EnabledStatistics::Page,
        ]))
        .set_writer_version(if rng.one_in(2) {
            WriterVersion::PARQUET_1_0
        } else {
            WriterVersion::PARQUET_2_0
        })
        .build();
    // A schema the writer refuses (it should not happen) gives an empty input, which the
    // byte mutator then fills: the generator itself must never panic.
    let mut out = Vec::new();
    let written = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))
        .and_then(|mut w| w.write(batch).and_then(|()| w.close().map(drop)));
    if written.is_err() {
        out.clear();
    }
    out
}

/// A value drawn from `valid` most of the time and from `extremes` otherwise.
fn draw<T: Copy>(
    rng: &mut Rng,
    edge: usize,
    valid: impl FnOnce(&mut Rng) -> T,
    extremes: &[T],
) -> T {
    if edge > 0 && rng.one_in(edge) {
        *rng.pick(extremes)
    } else {
        valid(rng)
    }
}

fn small_id(rng: &mut Rng) -> i64 {
    *BASE_IDS.start() + rng.below(9) as i64
}

fn column(
    rng: &mut Rng,
    kind: Kind,
    rows: usize,
    words: &'static [&'static str],
    nulls: bool,
    edge: usize,
) -> ArrayRef {
    let null = |rng: &mut Rng| nulls && rng.one_in(8);
    macro_rules! prim {
        ($array:ty, $valid:expr, $extremes:expr) => {{
            let values: Vec<_> = (0..rows)
                .map(|_| {
                    if null(rng) {
                        None
                    } else {
                        Some(draw(rng, edge, $valid, $extremes))
                    }
                })
                .collect();
            Arc::new(<$array>::from(values)) as ArrayRef
        }};
    }
    macro_rules! ts {
        ($array:ty, $scale:expr) => {{
            let valid = |r: &mut Rng| {
                let ms = T0_MS + r.below(30 * 86_400_000) as i64;
                if $scale >= 1 {
                    ms.saturating_mul($scale)
                } else {
                    ms / 1000
                }
            };
            let array = prim!($array, valid, I64_EXTREMES);
            if rng.one_in(3) {
                let a = array
                    .as_any()
                    .downcast_ref::<$array>()
                    .expect("type")
                    .clone();
                Arc::new(a.with_timezone(*rng.pick(&["UTC", "+05:30", "America/New_York"])))
                    as ArrayRef
            } else {
                array
            }
        }};
    }
    match kind {
        Kind::I64 => prim!(Int64Array, small_id, I64_EXTREMES),
        Kind::I32 => prim!(
            Int32Array,
            |r: &mut Rng| small_id(r) as i32,
            &[i32::MIN, i32::MAX, 0, -1, i8::MIN as i32, u16::MAX as i32]
        ),
        Kind::I16 => prim!(
            Int16Array,
            |r: &mut Rng| 1 + r.below(6) as i16,
            &[i16::MIN, i16::MAX, 0, -1, 7, 127]
        ),
        Kind::I8 => prim!(
            Int8Array,
            |r: &mut Rng| 1 + r.below(6) as i8,
            &[i8::MIN, i8::MAX, 0, -1, 7]
        ),
        Kind::U32 => prim!(
            UInt32Array,
            |r: &mut Rng| small_id(r) as u32,
            &[u32::MAX, 0, 1 << 31]
        ),
        Kind::U64 => prim!(
            UInt64Array,
            |r: &mut Rng| small_id(r) as u64,
            &[u64::MAX, 0, 1 << 63]
        ),
        Kind::F64 => prim!(
            Float64Array,
            |r: &mut Rng| r.below(1000) as f64 / 100.0,
            F64_EXTREMES
        ),
        Kind::F32 => prim!(
            Float32Array,
            |r: &mut Rng| r.below(1000) as f32 / 100.0,
            &[
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::MAX,
                f32::MIN,
                -0.0,
                1e-45,
                -1.0
            ]
        ),
        Kind::Bool => prim!(BooleanArray, |r: &mut Rng| r.one_in(2), &[true, false]),
        Kind::Date => prim!(
            Date32Array,
            |r: &mut Rng| 19_723 + r.below(30) as i32,
            &[i32::MIN, i32::MAX, 0]
        ),
        Kind::TsS => ts!(TimestampSecondArray, 0),
        Kind::TsMs => ts!(TimestampMillisecondArray, 1),
        Kind::TsUs => ts!(TimestampMicrosecondArray, 1_000),
        Kind::TsNs => ts!(TimestampNanosecondArray, 1_000_000),
        Kind::Str | Kind::LargeStr | Kind::DictStr => {
            let long = "x".repeat(1000);
            let values: Vec<Option<String>> = (0..rows)
                .map(|_| {
                    if null(rng) {
                        None
                    } else if words.is_empty() || (edge > 0 && rng.one_in(edge)) {
                        Some(if rng.one_in(20) {
                            long.clone()
                        } else {
                            (*rng.pick(ODD_STRINGS)).to_owned()
                        })
                    } else {
                        Some((*rng.pick(words)).to_owned())
                    }
                })
                .collect();
            match kind {
                Kind::Str => Arc::new(StringArray::from(values)),
                Kind::LargeStr => Arc::new(LargeStringArray::from(values)),
                _ => Arc::new(
                    values
                        .iter()
                        .map(|v| v.as_deref())
                        .collect::<DictionaryArray<Int32Type>>(),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_generates_readable_parquet() {
        for spec in [PERSONS, TIES, EVENTS, IDS_TABLE, TRUTH] {
            for i in 0..40 {
                let mut rng = Rng::for_input("tables", 0, i);
                let bytes = generate(
                    &mut rng,
                    spec,
                    Adversity {
                        values: true,
                        schema: true,
                    },
                );
                assert_eq!(&bytes[..4], b"PAR1");
            }
        }
    }
}

//! End-to-end tests of the event window (issue 9, item 6) and the memory guard (item 7).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::Int8Type;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const DAY_MS: i64 = 86_400_000;

fn tierank(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tierank"))
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn generate_tiny(out: &Path) {
    let res = tierank(&[
        "generate",
        "--preset",
        "tiny",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(res.status.success(), "{}", stderr(&res));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The first tie of `ties.parquet`.
fn first_tie(data: &Path) -> (i64, i64) {
    let mut reader =
        ParquetRecordBatchReaderBuilder::try_new(File::open(data.join("ties.parquet")).unwrap())
            .unwrap()
            .build()
            .unwrap();
    let batch = reader.next().unwrap().unwrap();
    let col = |name: &str| {
        batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0)
    };
    (col("src"), col("dst"))
}

fn write_event_part(path: &Path, src: i64, dst: i64, ts_ms: i64) {
    let channel: DictionaryArray<Int8Type> = ["message"].into_iter().collect();
    let batch = RecordBatch::try_from_iter(vec![
        ("src", Arc::new(Int64Array::from(vec![src])) as ArrayRef),
        ("dst", Arc::new(Int64Array::from(vec![dst]))),
        ("channel", Arc::new(channel)),
        (
            "ts",
            Arc::new(TimestampMillisecondArray::from(vec![ts_ms]).with_timezone("UTC")),
        ),
        ("value", Arc::new(Float64Array::from(vec![None::<f64>]))),
    ])
    .unwrap();
    let mut writer =
        ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// (target, heuristic, rank, alter, score) rows, and the file's event-window metadata.
type Rows = Vec<(i64, String, i32, i64, f64)>;

fn read_rankings(path: &Path) -> (Rows, Option<String>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let window = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| {
            kv.iter()
                .find(|k| k.key == "tierank.event_window")
                .and_then(|k| k.value.clone())
        });
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        let target = col("target");
        let target = target.as_any().downcast_ref::<Int64Array>().unwrap();
        let heuristic = col("heuristic");
        let heuristic = heuristic
            .as_any()
            .downcast_ref::<DictionaryArray<Int8Type>>()
            .unwrap();
        let names = heuristic
            .values()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let rank = col("rank");
        let rank = rank.as_any().downcast_ref::<Int32Array>().unwrap();
        let alter = col("alter");
        let alter = alter.as_any().downcast_ref::<Int64Array>().unwrap();
        let score = col("score");
        let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
        for i in 0..batch.num_rows() {
            rows.push((
                target.value(i),
                names.value(heuristic.keys().value(i) as usize).to_owned(),
                rank.value(i),
                alter.value(i),
                score.value(i),
            ));
        }
    }
    (rows, window)
}

fn rank_recency(data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "rank",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--sample",
        "40",
        "--heuristics",
        "recency",
        "--k",
        "5",
    ];
    args.extend_from_slice(extra);
    tierank(&args)
}

/// 2026-01-01, the `tiny` preset's first day, plus 75 years.
const FAR_FUTURE_MS: i64 = (20_454 + 75 * 365) * DAY_MS;

#[test]
fn recency_ranking_ignores_one_event_75_years_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny");
    generate_tiny(&tiny);
    // Both copies without the manifest, so the window is estimated from the timestamps
    // (a user's dataset), and the manifest's checksums do not get in the way.
    std::fs::remove_file(tiny.join("manifest.json")).unwrap();
    let dirty: PathBuf = dir.path().join("dirty");
    copy_dir(&tiny, &dirty);
    let (a, b) = first_tie(&tiny);
    write_event_part(
        &dirty.join("events").join("part-99999.parquet"),
        a,
        b,
        FAR_FUTURE_MS,
    );

    let clean_out = dir.path().join("clean.parquet");
    let res = rank_recency(&tiny, &clean_out, &[]);
    assert!(res.status.success(), "{}", stderr(&res));
    let dirty_out = dir.path().join("dirty.parquet");
    let res = rank_recency(&dirty, &dirty_out, &[]);
    assert!(res.status.success(), "{}", stderr(&res));
    let err = stderr(&res);
    assert!(
        err.contains("left out 1 event(s) outside the event window") && err.contains("part-99999"),
        "{err}"
    );

    let (clean, clean_window) = read_rankings(&clean_out);
    let (dirty_rows, dirty_window) = read_rankings(&dirty_out);
    // Before the fix every score was 0 and friends came out in id order.
    assert!(clean.iter().any(|r| r.4 > 0.0));
    assert_eq!(clean, dirty_rows);
    let clean_window = clean_window.expect("the window is recorded");
    let dirty_window = dirty_window.expect("the window is recorded");
    assert!(
        clean_window.contains("\"source\":\"estimated\""),
        "{clean_window}"
    );
    assert!(
        dirty_window.contains("\"events_outside\":1"),
        "{dirty_window}"
    );
}

#[test]
fn window_flags_set_the_window_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny");
    generate_tiny(&tiny);
    let out = dir.path().join("r.parquet");
    let res = rank_recency(
        &tiny,
        &out,
        &[
            "--window-start",
            "2026-01-15",
            "--as-of",
            "2026-02-01T00:00:00Z",
        ],
    );
    assert!(res.status.success(), "{}", stderr(&res));
    let (rows, window) = read_rankings(&out);
    assert!(!rows.is_empty());
    let window = window.unwrap();
    assert!(
        window.contains("\"start\":\"2026-01-15T00:00:00.000Z\"")
            && window.contains("\"end\":\"2026-02-01T00:00:00.000Z\"")
            && window.contains("\"source\":\"given\""),
        "{window}"
    );
    // Without flags, the generator's window from the manifest.
    let res = rank_recency(&tiny, &out, &["--force"]);
    assert!(res.status.success(), "{}", stderr(&res));
    let window = read_rankings(&out).1.unwrap();
    assert!(window.contains("\"source\":\"manifest\""), "{window}");

    for (flags, message) in [
        (&["--as-of", "last tuesday"][..], "--as-of"),
        (
            &["--window-start", "2026-03-01", "--window-end", "2026-02-01"][..],
            "not before",
        ),
        (
            &["--window-end", "2026-02-01", "--as-of", "2026-02-01"][..],
            "cannot be used",
        ),
    ] {
        let bad = dir.path().join("bad.parquet");
        let res = rank_recency(&tiny, &bad, flags);
        assert_eq!(res.status.code(), Some(2), "{flags:?}: {}", stderr(&res));
        assert!(
            stderr(&res).contains(message),
            "{flags:?}: {}",
            stderr(&res)
        );
        assert!(!bad.exists());
    }
}

#[test]
fn generate_refuses_the_largest_size_at_once_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("huge");
    let started = std::time::Instant::now();
    // The default limit is the machine's available memory; the estimate is hundreds of GiB.
    let res = tierank(&[
        "generate",
        "--persons",
        "536870911",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    let err = stderr(&res);
    assert!(
        err.contains("generate would need about")
            && err.contains("GiB")
            && err.contains("536870911 persons"),
        "{err}"
    );
    assert!(!out.exists());
    // Refused before any work: not a timing assertion on speed, just "did not generate".
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn a_memory_limit_of_1m_refuses_rank_on_tiny() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny");
    generate_tiny(&tiny);
    let out = dir.path().join("r.parquet");
    let res = rank_recency(&tiny, &out, &["--memory-limit", "1M"]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    let err = stderr(&res);
    assert!(
        err.contains("would need about")
            && err.contains("events")
            && err.contains("--memory-limit"),
        "{err}"
    );
    assert!(!out.exists());
    // A generous limit passes, and a malformed one is bad input.
    let res = rank_recency(&tiny, &out, &["--memory-limit", "64G"]);
    assert!(res.status.success(), "{}", stderr(&res));
    let res = rank_recency(&tiny, &out, &["--memory-limit", "lots", "--force"]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
}

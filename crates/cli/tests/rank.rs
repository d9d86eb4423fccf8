//! End-to-end tests of `tierank rank` on small datasets written here as Parquet.

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

const PEOPLE: i64 = 30;
const DAY_MS: i64 = 86_400_000;
/// 2024-01-01T00:00:00Z.
const START_MS: i64 = 1_704_067_200_000;

/// Person id of the `i`-th person: not dense, not starting at 0.
fn person(i: i64) -> i64 {
    1_000 + 7 * i
}

/// A ring with chords: every person has 2 to 4 friends.
fn edges() -> Vec<(i64, i64)> {
    let mut edges = Vec::new();
    for i in 0..PEOPLE {
        edges.push((person(i), person((i + 1) % PEOPLE)));
        if i % 3 == 0 {
            edges.push((person(i), person((i + 5) % PEOPLE)));
        }
    }
    edges
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut writer =
        ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// A user-style dataset: `ties.parquet` with a weight column and no events.
fn weighted_dataset(dir: &Path) -> PathBuf {
    let data = dir.join("weighted");
    std::fs::create_dir_all(&data).unwrap();
    let edges = edges();
    let weights: Vec<f64> = (0..edges.len())
        .map(|e| ((e * 37) % 11) as f64 + 0.5)
        .collect();
    write_parquet(
        &data.join("ties.parquet"),
        vec![
            (
                "src",
                Arc::new(Int64Array::from_iter_values(edges.iter().map(|e| e.0))) as ArrayRef,
            ),
            (
                "dst",
                Arc::new(Int64Array::from_iter_values(edges.iter().map(|e| e.1))),
            ),
            ("weight", Arc::new(Float64Array::from(weights))),
        ],
    );
    data
}

/// A dataset with events on several channels: ties without weights plus `events/`.
fn events_dataset(dir: &Path) -> PathBuf {
    let data = dir.join("events");
    std::fs::create_dir_all(data.join("events")).unwrap();
    let edges = edges();
    write_parquet(
        &data.join("ties.parquet"),
        vec![
            (
                "src",
                Arc::new(Int64Array::from_iter_values(edges.iter().map(|e| e.0))) as ArrayRef,
            ),
            (
                "dst",
                Arc::new(Int64Array::from_iter_values(edges.iter().map(|e| e.1))),
            ),
        ],
    );
    let channels = [
        "message",
        "call",
        "like",
        "comment",
        "transfer",
        "group_message",
    ];
    let (mut src, mut dst, mut chan, mut ts) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (e, &(a, b)) in edges.iter().enumerate() {
        let e = e as i64;
        // Uneven, partly one-way traffic so the heuristics disagree.
        for n in 0..(e * 13 % 9) {
            let (from, to) = if n % 4 == 3 || e % 5 == 0 {
                (a, b)
            } else {
                (b, a)
            };
            src.push(from);
            dst.push(to);
            chan.push(channels[((e + n) % 6) as usize]);
            ts.push(START_MS + ((e * 7 + n * 5) % 60) * DAY_MS + n * 3_600_000);
        }
    }
    write_parquet(
        &data.join("events").join("part-00000.parquet"),
        vec![
            ("src", Arc::new(Int64Array::from(src)) as ArrayRef),
            ("dst", Arc::new(Int64Array::from(dst))),
            (
                "channel",
                Arc::new(chan.into_iter().collect::<DictionaryArray<Int8Type>>()),
            ),
            (
                "ts",
                Arc::new(TimestampMillisecondArray::from(ts).with_timezone("UTC")),
            ),
        ],
    );
    data
}

fn tierank(args: &[&str], threads: usize) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tierank"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `tierank rank` with `extra` arguments and `--out out`.
fn rank(data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "rank",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tierank(&args, 2)
}

/// Rows of a rankings file: (target, heuristic name, rank, alter, score).
fn read_rankings(path: &Path) -> Vec<(i64, String, i32, i64, f64)> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
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
            let key = heuristic.keys().value(i) as usize;
            rows.push((
                target.value(i),
                names.value(key).to_owned(),
                rank.value(i),
                alter.value(i),
                score.value(i),
            ));
        }
    }
    rows
}

fn friends(p: i64) -> Vec<i64> {
    let mut f: Vec<i64> = edges()
        .into_iter()
        .filter_map(|(a, b)| (a == p).then_some(b).or((b == p).then_some(a)))
        .collect();
    f.sort_unstable();
    f
}

#[test]
fn ranks_a_weighted_dataset_with_all_supported_heuristics() {
    let dir = tempfile::tempdir().unwrap();
    let data = weighted_dataset(dir.path());
    let out = dir.path().join("r.parquet");
    let res = rank(
        &data,
        &out,
        &["--sample", "12", "--heuristics", "all", "--k", "2"],
    );
    assert!(res.status.success(), "{}", stderr(&res));
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(stdout.contains("ranked 12 targets"), "{stdout}");
    let rows = read_rankings(&out);
    let mut names: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    names.dedup();
    let names: std::collections::BTreeSet<String> = names.into_iter().collect();
    for expected in ["volume", "random", "degree", "jaccard"] {
        assert!(names.contains(expected), "{names:?}");
    }
    for missing in ["recency", "reciprocity", "persistence", "multiplexity"] {
        assert!(!names.contains(missing), "{names:?}");
    }
    let targets: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(targets.len(), 12);
    assert_eq!(
        rows.len(),
        12 * names.len() * 2,
        "every person has at least 2 friends"
    );
    for (target, _, rank, alter, score) in &rows {
        assert!(friends(*target).contains(alter));
        assert!((1..=2).contains(rank));
        assert!(score.is_finite());
    }
    // Volume is the tie weight: rank 1 has the heaviest tie.
    let edges = edges();
    let weight = |a: i64, b: i64| {
        let e = edges
            .iter()
            .position(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
            .unwrap();
        ((e * 37) % 11) as f64 + 0.5
    };
    for (target, _, _, alter, score) in rows.iter().filter(|r| r.1 == "volume" && r.2 == 1) {
        assert_eq!(*score, weight(*target, *alter));
        let best = friends(*target)
            .iter()
            .map(|&f| weight(*target, f))
            .fold(0.0, f64::max);
        assert_eq!(*score, best);
    }
}

#[test]
fn ranks_events_with_ego_heuristics_and_combo() {
    let dir = tempfile::tempdir().unwrap();
    let data = events_dataset(dir.path());
    let out = dir.path().join("r.parquet");
    let res = rank(
        &data,
        &out,
        &[
            "--sample",
            "30",
            "--k",
            "3",
            "--heuristics",
            "volume,recency,reciprocity,persistence,multiplexity,combo",
            "--combo",
            "persistence=1,reciprocity=2",
            "--channel-weights",
            "call=5,like=0",
            "--half-life-days",
            "7",
        ],
    );
    assert!(res.status.success(), "{}", stderr(&res));
    let rows = read_rankings(&out);
    let heuristics: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(heuristics.len(), 6);
    // Within each (target, heuristic): ranks 1.. and scores non-increasing.
    for w in rows.windows(2) {
        if (w[0].0, &w[0].1) == (w[1].0, &w[1].1) {
            assert_eq!(w[0].2 + 1, w[1].2);
            assert!(
                w[0].4 > w[1].4 || (w[0].4 == w[1].4 && w[0].3 < w[1].3),
                "{w:?}"
            );
        } else {
            assert_eq!(w[1].2, 1);
        }
    }
}

#[test]
fn output_is_identical_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = events_dataset(dir.path());
    let run = |threads: usize| {
        let out = dir.path().join(format!("r{threads}.parquet"));
        let res = tierank(
            &[
                "rank",
                "--data",
                data.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--sample",
                "30",
                "--heuristics",
                "all",
                "--k",
                "4",
                "--seed",
                "9",
            ],
            threads,
        );
        assert!(res.status.success(), "{}", stderr(&res));
        std::fs::read(out).unwrap()
    };
    let one = run(1);
    assert!(!one.is_empty());
    assert_eq!(one, run(2));
}

#[test]
fn targets_from_csv_and_parquet_agree() {
    let dir = tempfile::tempdir().unwrap();
    let data = weighted_dataset(dir.path());
    let ids = [person(3), person(17), person(29)];
    // Bare ids, no header line: none may be lost (issue 9, item 1).
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, format!("{}\n{}\n{}\n", ids[0], ids[1], ids[2])).unwrap();
    let pq = dir.path().join("t.parquet");
    write_parquet(
        &pq,
        vec![(
            "person_id",
            Arc::new(Int64Array::from(ids.to_vec())) as ArrayRef,
        )],
    );
    let mut outputs = Vec::new();
    for (i, file) in [&csv, &pq].into_iter().enumerate() {
        let out = dir.path().join(format!("r{i}.parquet"));
        let args = [
            "--targets",
            file.to_str().unwrap(),
            "--heuristics",
            "volume,degree",
            "--k",
            "10",
        ];
        let res = rank(&data, &out, &args);
        assert!(res.status.success(), "{}", stderr(&res));
        outputs.push(read_rankings(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
    let targets: Vec<i64> = outputs[0].iter().map(|r| r.0).collect::<Vec<_>>();
    let mut distinct = targets.clone();
    distinct.dedup();
    assert_eq!(distinct, ids.to_vec(), "file order");
    let rows_per: usize = [3, 17, 29].iter().map(|&i| friends(person(i)).len()).sum();
    assert_eq!(outputs[0].len(), 2 * rows_per);

    // A repeated target is refused as in `select` (issue 9, item 10), naming both rows.
    std::fs::write(&csv, format!("{}\n{}\n{}\n", ids[0], ids[1], ids[0])).unwrap();
    let out = dir.path().join("repeat.parquet");
    let res = rank(
        &data,
        &out,
        &[
            "--targets",
            csv.to_str().unwrap(),
            "--heuristics",
            "volume",
            "--k",
            "3",
        ],
    );
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(
        stderr(&res).contains("row 2: person id"),
        "{}",
        stderr(&res)
    );
    assert!(
        stderr(&res).contains("repeats row 0, line 1"),
        "{}",
        stderr(&res)
    );
    assert!(!out.exists());
}

/// Runs a failing command and checks exit code 2, no output file, and the message.
fn assert_bad_input(data: &Path, out: &Path, extra: &[&str], message: &str) {
    let res = rank(data, out, extra);
    assert_eq!(res.status.code(), Some(2), "{extra:?}: {}", stderr(&res));
    assert!(!out.exists(), "{extra:?} left an output file");
    let err = stderr(&res);
    assert!(
        err.contains(message),
        "{extra:?}: expected '{message}' in: {err}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = weighted_dataset(dir.path());
    let events = events_dataset(dir.path());
    let out = dir.path().join("out").join("r.parquet");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let unknown = dir.path().join("unknown.csv");
    std::fs::write(&unknown, format!("person_id\n{}\n5\n6\n", person(1))).unwrap();
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "person_id\n").unwrap();
    let unknown = unknown.to_str().unwrap();
    let empty = empty.to_str().unwrap();
    let base = ["--heuristics", "volume", "--k", "3"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { extra.to_vec() };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            with(&["--sample", "3", "--heuristics", "volume,nope", "--k", "3"]),
            "unknown heuristic 'nope'",
        ),
        (
            with(&["--sample", "3", "--heuristics", "volume", "--k", "0"]),
            "--k",
        ),
        (
            vec![
                "--sample",
                "3",
                "--targets",
                unknown,
                "--heuristics",
                "volume",
                "--k",
                "3",
            ],
            "cannot be used with",
        ),
        (base.to_vec(), "required"),
        ([&["--targets", unknown][..], &base].concat(), "6"),
        ([&["--targets", empty][..], &base].concat(), "empty"),
        ([&["--sample", "0"][..], &base].concat(), "--sample"),
        (
            [&["--sample", "31"][..], &base].concat(),
            "31 targets requested",
        ),
        (
            [
                &["--sample", "3", "--channel-weights", "message:1"][..],
                &base,
            ]
            .concat(),
            "name=number",
        ),
        (
            [&["--sample", "3", "--channel-weights", "fax=1"][..], &base].concat(),
            "fax",
        ),
        (
            [&["--sample", "3", "--channel-weights", "call=x"][..], &base].concat(),
            "not a number",
        ),
        (
            [&["--sample", "3", "--ppr-alpha", "1.5"][..], &base].concat(),
            "ppr_alpha",
        ),
        (
            [&["--sample", "3", "--outgoing-weight", "-1"][..], &base].concat(),
            "outgoing_weight",
        ),
        (
            [&["--sample", "3", "--half-life-days", "0"][..], &base].concat(),
            "half-life",
        ),
        (
            [&["--sample", "3", "--combo", "combo=1"][..], &base].concat(),
            "--combo",
        ),
        (
            with(&["--sample", "3", "--heuristics", "recency", "--k", "3"]),
            "needs interaction events",
        ),
    ];
    for (extra, message) in &cases {
        assert_bad_input(&data, &out, extra, message);
    }
    // Unknown ids are listed.
    let res = rank(&data, &out, &[&["--targets", unknown][..], &base].concat());
    assert!(
        stderr(&res).contains('5') && stderr(&res).contains('6'),
        "{}",
        stderr(&res)
    );
    // A dataset directory that does not exist.
    let missing = dir.path().join("nowhere");
    assert_bad_input(
        &missing,
        &out,
        &[&["--sample", "3"][..], &base].concat(),
        "nowhere",
    );
    // The events dataset supports recency.
    let res = rank(
        &events,
        &out,
        &["--sample", "3", "--heuristics", "recency", "--k", "3"],
    );
    assert!(res.status.success(), "{}", stderr(&res));
}

#[test]
fn existing_output_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let data = weighted_dataset(dir.path());
    let out = dir.path().join("r.parquet");
    std::fs::write(&out, b"keep me").unwrap();
    let args = ["--sample", "5", "--heuristics", "degree", "--k", "2"];
    let res = rank(&data, &out, &args);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(stderr(&res).contains("--force"), "{}", stderr(&res));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let res = rank(&data, &out, &[&args[..], &["--force"]].concat());
    assert!(res.status.success(), "{}", stderr(&res));
    assert_eq!(read_rankings(&out).len(), 10);
}

#[test]
fn generated_tiny_dataset_ranks_identically_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("tiny");
    let res = tierank(
        &[
            "generate",
            "--preset",
            "tiny",
            "--seed",
            "3",
            "--out",
            data.to_str().unwrap(),
        ],
        2,
    );
    assert!(res.status.success(), "{}", stderr(&res));
    let run = |threads: usize| {
        let out = dir.path().join(format!("r{threads}.parquet"));
        let res = tierank(
            &[
                "rank",
                "--data",
                data.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--sample",
                "40",
                "--heuristics",
                "all",
                "--k",
                "5",
            ],
            threads,
        );
        assert!(res.status.success(), "{}", stderr(&res));
        std::fs::read(out).unwrap()
    };
    let one = run(1);
    assert_eq!(one, run(2));
    let rows = read_rankings(&dir.path().join("r1.parquet"));
    let heuristics: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        heuristics.len(),
        16,
        "a generated dataset supports every heuristic"
    );
    let targets: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(targets.len(), 40);
}

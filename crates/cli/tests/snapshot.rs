//! Golden equivalence of graph snapshots on the tiny preset: `rank` (every heuristic, with
//! `learned` and `ppr`), `compare` and `select` write byte-identical outputs whether the
//! graph is loaded from the Parquet files (`--no-snapshot`) or opened from the snapshot
//! `tierank index` wrote (automatically inside the dataset, or given as `--data FILE`), at 1
//! and 2 threads. Also: a stale snapshot is ignored with a warning, a corrupt one refused
//! with exit 2. `stats` reports the same from the snapshot. About 15 s in CI (tiny: 1,000
//! people; four compare runs).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tierank(args: &[&str], threads: usize) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tierank"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env("RUST_LOG", "info")
        .output()
        .expect("run tierank")
}

fn ok(run: Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{what}: {err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every output of one round: rank, compare and select with `data` and `extra` flags.
fn round(data: &Path, out: &Path, model: &Path, extra: &[&str], threads: usize) -> String {
    let compare_dir = out.join("compare");
    let mut args = vec![
        "compare",
        "--data",
        s(data),
        "--out",
        s(&compare_dir),
        "--sample",
        "150",
        "--heuristics",
        "all,learned",
        "--k",
        "1,5,15",
        "--resamples",
        "50",
    ];
    args.extend_from_slice(extra);
    let mut log = ok(tierank(&args, threads), "compare");
    let rank_out = out.join("rank.parquet");
    let mut args = vec![
        "rank",
        "--data",
        s(data),
        "--sample",
        "60",
        "--heuristics",
        "all,learned",
        "--model",
        s(model),
        "--k",
        "15",
        "--out",
        s(&rank_out),
    ];
    args.extend_from_slice(extra);
    log += &ok(tierank(&args, threads), "rank");
    let targets = out.join("targets.csv");
    std::fs::write(&targets, targets_of(data)).unwrap();
    let ranked = std::fs::read(&rank_out).unwrap();
    assert!(ranked.len() > 1000);
    let select_dir = out.join("select");
    let mut args = vec![
        "select",
        "--data",
        s(data),
        "--targets",
        s(&targets),
        "--heuristic",
        "ppr",
        "--policy",
        "top-k:3",
        "--out",
        s(&select_dir),
    ];
    args.extend_from_slice(extra);
    log += &ok(tierank(&args, threads), "select");
    log
}

/// Twenty person ids of the dataset's persons file, as a CSV target list.
fn targets_of(data: &Path) -> String {
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;
    let dir = tierank_io::snapshot::dataset_dir(data).unwrap();
    let file = std::fs::File::open(dir.join("persons.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut ids: Vec<i64> = reader
        .flat_map(|b| {
            b.unwrap()
                .column_by_name("person_id")
                .unwrap()
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        })
        .collect();
    ids.sort_unstable();
    let step = ids.len() / 20;
    std::iter::once("person_id".to_owned())
        .chain((0..20).map(|i| ids[i * step].to_string()))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The files whose bytes must agree (compare's metrics hold wall times; its manifest names
/// the output directory's inputs only by dataset-relative name and checksum).
fn outputs(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = vec![out.join("rank.parquet")];
    for f in [
        "per_target.parquet",
        "rankings.parquet",
        "agreement.parquet",
        "model.json",
        "calibration.json",
        "manifest.json",
    ] {
        files.push(out.join("compare").join(f));
    }
    for f in ["audiences.parquet", "exposure.parquet"] {
        files.push(out.join("select").join(f));
    }
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (f.strip_prefix(out).unwrap().to_owned(), bytes)
        })
        .collect()
}

#[test]
fn outputs_are_identical_from_the_dataset_and_from_its_snapshot() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("tiny");
    ok(
        tierank(
            &[
                "generate",
                "--preset",
                "tiny",
                "--seed",
                "5",
                "--out",
                s(&data),
            ],
            2,
        ),
        "generate",
    );
    // The learned model every round ranks with (from a fresh load).
    let model_dir = root.path().join("model");
    ok(
        tierank(
            &[
                "compare",
                "--data",
                s(&data),
                "--out",
                s(&model_dir),
                "--sample",
                "150",
                "--heuristics",
                "all,learned",
                "--k",
                "1,5,15",
                "--resamples",
                "50",
                "--no-snapshot",
            ],
            2,
        ),
        "compare for the model",
    );
    let model = model_dir.join("model.json");
    let mut reference: Option<Vec<(PathBuf, Vec<u8>)>> = None;
    let mut check = |name: &str, data: &Path, extra: &[&str], threads: usize, expect: &str| {
        let out = root.path().join(format!("{name}-{threads}"));
        std::fs::create_dir_all(&out).unwrap();
        let log = round(data, &out, &model, extra, threads);
        assert!(
            log.contains(expect),
            "{name} at {threads} threads: log lacks '{expect}':\n{log}"
        );
        let got = outputs(&out);
        match &reference {
            None => reference = Some(got),
            Some(r) => {
                for ((file, a), (_, b)) in r.iter().zip(&got) {
                    assert!(
                        a == b,
                        "{name} at {threads} threads: {} differs",
                        file.display()
                    );
                }
            }
        }
    };
    for threads in [1, 2] {
        check("fresh", &data, &["--no-snapshot"], threads, "loaded");
    }
    let index = tierank(&["index", "--data", s(&data)], 2);
    ok(index, "index");
    let snapshot = data.join(tierank_io::SNAPSHOT_FILE);
    assert!(snapshot.is_file());
    for threads in [1, 2] {
        check("auto", &data, &[], threads, "using the up-to-date snapshot");
    }
    // `stats` opens the snapshot too (it used to read the Parquet files always), and reports
    // the same.
    let from_snapshot = tierank(&["stats", s(&data)], 2);
    let log = String::from_utf8_lossy(&from_snapshot.stderr).into_owned();
    assert!(log.contains("using the up-to-date snapshot"), "{log}");
    let from_files = tierank(&["stats", s(&data), "--no-snapshot"], 2);
    assert!(from_files.status.success() && from_snapshot.status.success());
    assert_eq!(
        String::from_utf8_lossy(&from_snapshot.stdout),
        String::from_utf8_lossy(&from_files.stdout)
    );
    // `--data` (the flag every other command takes) means the positional dataset, for a
    // directory and for the snapshot file itself.
    for path in [&data, &snapshot] {
        let flagged = tierank(&["stats", "--data", s(path)], 2);
        assert!(flagged.status.success(), "{flagged:?}");
        assert_eq!(
            String::from_utf8_lossy(&flagged.stdout),
            String::from_utf8_lossy(&from_snapshot.stdout)
        );
    }
    let both = tierank(&["stats", s(&data), "--data", s(&data)], 2);
    assert_eq!(both.status.code(), Some(2), "{both:?}");
    let neither = tierank(&["stats"], 2);
    assert_eq!(neither.status.code(), Some(2), "{neither:?}");

    // Stale: a touched events part is named in a warning and the dataset is loaded.
    let part = tierank_format::layout::DatasetPaths::new(&data)
        .event_parts()
        .unwrap()
        .remove(0);
    let bytes = std::fs::read(&part).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&part, &bytes).unwrap();
    let out = root.path().join("stale");
    let run = tierank(
        &[
            "rank",
            "--data",
            s(&data),
            "--sample",
            "5",
            "--heuristics",
            "volume",
            "--k",
            "3",
            "--out",
            s(&out.join("r.parquet")),
        ],
        2,
    );
    let log = ok(run, "rank with a stale snapshot");
    assert!(log.contains("ignoring the stale snapshot"), "{log}");
    assert!(
        log.contains(part.file_name().unwrap().to_str().unwrap()),
        "{log}"
    );

    // Corrupt: exit 2 with the snapshot named, nothing written.
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let at = bytes.len() - 3;
    bytes[at] ^= 0xff;
    let bad = root.path().join("bad.tierank-snapshot");
    std::fs::write(&bad, &bytes).unwrap();
    let run = tierank(
        &[
            "rank",
            "--data",
            s(&bad),
            "--sample",
            "5",
            "--heuristics",
            "volume",
            "--k",
            "3",
            "--out",
            s(&out.join("r2.parquet")),
        ],
        2,
    );
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("bad.tierank-snapshot") && err.contains("corrupt"),
        "{err}"
    );
    assert!(!out.join("r2.parquet").exists());
}

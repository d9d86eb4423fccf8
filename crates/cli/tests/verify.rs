//! Checksums: every command refuses a dataset file that differs from its `manifest.json`
//! entry, and `tierank verify` reports every file of a dataset or a `select` output.
//!
//! The tampering is one flipped bit inside a Parquet data page, chosen so that the file still
//! decodes (into other values): exactly the corruption that used to pass unnoticed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};

const BIN: &str = env!("CARGO_BIN_EXE_tierank");

fn tierank(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The tiny preset, generated once; tests work on copies.
fn tiny() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("tiny");
        let out = tierank(&[
            "generate",
            "--preset",
            "tiny",
            "--seed",
            "7",
            "--out",
            data.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        (root, data)
    })
    .1
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

/// A private copy of the tiny dataset at `root/name`.
fn copy_of_tiny(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    copy_dir(tiny(), &dir);
    dir
}

fn decode(path: &Path) -> Result<Vec<RecordBatch>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// Flips the lowest bit of one byte inside `column`'s data in the first row group of the
/// Parquet file at `path`, choosing a byte for which the file still decodes, into other
/// values (so that only the checksum can tell).
fn flip_decodable_bit(path: &Path, column: &str) {
    let original = std::fs::read(path).unwrap();
    let before = decode(path).unwrap();
    let (start, len) = {
        let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
        let rg = reader.metadata().row_group(0);
        let chunk = (0..rg.num_columns())
            .map(|i| rg.column(i))
            .find(|c| c.column_path().string() == column)
            .unwrap_or_else(|| panic!("{}: no column {column}", path.display()));
        chunk.byte_range()
    };
    for offset in (start + len / 2..start + len).chain(start..start + len / 2) {
        let mut bytes = original.clone();
        bytes[offset as usize] ^= 1;
        std::fs::write(path, &bytes).unwrap();
        if decode(path).is_ok_and(|after| after != before) {
            return;
        }
    }
    panic!(
        "{}: no decodable bit flip in column {column}",
        path.display()
    );
}

/// A person id of the dataset (the first `src` of `ties.parquet`).
fn some_person(data: &Path) -> i64 {
    let batches = decode(&data.join("ties.parquet")).unwrap();
    batches[0]
        .column_by_name("src")
        .unwrap()
        .as_primitive::<Int64Type>()
        .value(0)
}

const COMPARE_FAST: [&str; 7] = [
    "--sample",
    "40",
    "--heuristics",
    "volume",
    "--resamples",
    "10",
    "--no-learned",
];

/// Runs every command that reads `data`; each output goes under `scratch`.
fn every_command(data: &Path, scratch: &Path) -> Vec<(&'static str, Output, PathBuf)> {
    std::fs::create_dir_all(scratch).unwrap();
    let d = data.to_str().unwrap();
    let targets = scratch.join("targets.csv");
    std::fs::write(&targets, format!("person_id\n{}\n", some_person(tiny()))).unwrap();
    let rank_out = scratch.join("rank.parquet");
    let compare_out = scratch.join("compare");
    let select_out = scratch.join("select");
    let stats_out = scratch.join("stats.json");
    let mut compare = vec![
        "compare",
        "--data",
        d,
        "--out",
        compare_out.to_str().unwrap(),
    ];
    compare.extend_from_slice(&COMPARE_FAST);
    vec![
        (
            "rank",
            tierank(&[
                "rank",
                "--data",
                d,
                "--sample",
                "5",
                "--heuristics",
                "volume",
                "--k",
                "3",
                "--out",
                rank_out.to_str().unwrap(),
            ]),
            rank_out,
        ),
        ("compare", tierank(&compare), compare_out),
        (
            "select",
            tierank(&[
                "select",
                "--data",
                d,
                "--targets",
                targets.to_str().unwrap(),
                "--heuristic",
                "volume",
                "--policy",
                "top-k:3",
                "--out",
                select_out.to_str().unwrap(),
            ]),
            select_out,
        ),
        (
            "stats",
            tierank(&["stats", d, "--json", stats_out.to_str().unwrap()]),
            stats_out,
        ),
    ]
}

fn assert_refused(runs: &[(&str, Output, PathBuf)], file: &str) {
    for (command, run, out) in runs {
        let stderr = text(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(file) && stderr.contains("checksum mismatch"),
            "{command}: {stderr}"
        );
        assert!(!out.exists(), "{command} wrote {}", out.display());
    }
}

#[test]
fn a_flipped_bit_in_ties_is_refused_by_every_command_and_decodes_without_the_manifest() {
    let root = tempfile::tempdir().unwrap();
    let data = copy_of_tiny(root.path(), "data");
    flip_decodable_bit(&data.join("ties.parquet"), "dst");
    let runs = every_command(&data, &root.path().join("out"));
    assert_refused(&runs, "ties.parquet");
    let expected = text(&runs[0].1.stderr);
    assert!(
        expected.contains("records sha256") && expected.contains("the file has"),
        "{expected}"
    );

    // Without the manifest (a user export need not have one) the same file loads unchecked:
    // the flip is silent to the Parquet reader.
    std::fs::remove_file(data.join("manifest.json")).unwrap();
    for (command, run, out) in every_command(&data, &root.path().join("unchecked")) {
        assert!(run.status.success(), "{command}: {}", text(&run.stderr));
        assert!(out.exists(), "{command}");
    }
}

#[test]
fn a_flipped_bit_in_an_events_part_or_persons_is_refused() {
    let root = tempfile::tempdir().unwrap();
    for (file, column) in [
        ("events/part-00000.parquet", "ts"),
        ("persons.parquet", "person_id"),
    ] {
        let name = file.replace('/', "_");
        let data = copy_of_tiny(root.path(), &name);
        flip_decodable_bit(&data.join(file), column);
        let runs = every_command(&data, &root.path().join(format!("{name}-out")));
        assert_refused(&runs, file);
    }
}

#[test]
fn a_listed_file_that_is_missing_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let data = copy_of_tiny(root.path(), "data");
    std::fs::remove_file(data.join("events/part-00000.parquet")).unwrap();
    let out = root.path().join("rank.parquet");
    let run = tierank(&[
        "rank",
        "--data",
        data.to_str().unwrap(),
        "--sample",
        "5",
        "--heuristics",
        "volume",
        "--k",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("part-00000.parquet") && stderr.contains("listed in"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn verify_reports_every_file_of_a_dataset() {
    let root = tempfile::tempdir().unwrap();
    let data = copy_of_tiny(root.path(), "data");
    let d = data.to_str().unwrap();
    let clean = tierank(&["verify", d]);
    let stdout = text(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("manifest.json")).unwrap())
            .unwrap();
    let files = manifest["files"].as_array().unwrap();
    for f in files {
        let path = f["path"].as_str().unwrap();
        assert!(stdout.contains(&format!("ok        {path}\n")), "{stdout}");
    }
    assert_eq!(stdout.lines().count(), files.len() + 1, "{stdout}");

    flip_decodable_bit(&data.join("ties.parquet"), "dst");
    std::fs::remove_file(data.join("groups.parquet")).unwrap();
    std::fs::write(data.join("events/.part-00001.parquet.tmp"), b"left over").unwrap();
    let tampered = tierank(&["verify", d]);
    let stdout = text(&tampered.stdout);
    assert_eq!(tampered.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("MISMATCH  ties.parquet  (recorded sha256 "),
        "{stdout}"
    );
    assert!(stdout.contains("missing   groups.parquet\n"), "{stdout}");
    assert!(
        stdout.contains("unlisted  events/.part-00001.parquet.tmp\n"),
        "{stdout}"
    );
    assert!(stdout.contains("ok        persons.parquet\n"), "{stdout}");
    assert!(
        text(&tampered.stderr).contains("3 of"),
        "{}",
        text(&tampered.stderr)
    );
}

#[test]
fn verify_checks_a_select_output_and_explains_a_compare_report() {
    let root = tempfile::tempdir().unwrap();
    let runs = every_command(tiny(), root.path());
    for (command, run, _) in &runs {
        assert!(run.status.success(), "{command}: {}", text(&run.stderr));
    }
    let select = root.path().join("select");
    let ok = tierank(&["verify", select.to_str().unwrap()]);
    let stdout = text(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}{}", text(&ok.stderr));
    assert!(stdout.contains("ok        audiences.parquet\n"), "{stdout}");

    let audiences = select.join("audiences.parquet");
    let mut bytes = std::fs::read(&audiences).unwrap();
    let last = bytes.len() / 2;
    bytes[last] ^= 1;
    std::fs::write(&audiences, bytes).unwrap();
    let bad = tierank(&["verify", select.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stdout).contains("MISMATCH  audiences.parquet"));

    let report = tierank(&["verify", root.path().join("compare").to_str().unwrap()]);
    let stderr = text(&report.stderr);
    assert_eq!(report.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("compare report"), "{stderr}");

    let nothing = tierank(&["verify", root.path().to_str().unwrap()]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(text(&nothing.stderr).contains("no checksums"));
}

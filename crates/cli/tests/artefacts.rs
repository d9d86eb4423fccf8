//! Saved artefacts say how they were made, and are checked: `model.json` and
//! `calibration.json` record every setting their scores depend on, and `rank --model` and
//! `select --calibration` refuse (exit 2, naming the setting) one made under other settings.
//! `audit.json` records the request, and `audit verify` replays it (older records, with a
//! command line only, still verify). About 6 s in CI (two tiny generations, one compare).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn tierank_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tierank"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run tierank")
}

fn stderr(run: &Output) -> String {
    String::from_utf8_lossy(&run.stderr).into_owned()
}

fn stdout(run: &Output) -> String {
    String::from_utf8_lossy(&run.stdout).into_owned()
}

/// Two tiny datasets (D, and E with another seed), a target list of D (t.csv) and a
/// compare report of D (R, with model.json and calibration.json), made once.
fn fixture() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        for (seed, out) in [("3", "D"), ("4", "E")] {
            let run = tierank_in(
                &root,
                &[
                    "generate",
                    "--preset",
                    "tiny",
                    "--persons",
                    "300",
                    "--seed",
                    seed,
                    "--out",
                    out,
                ],
            );
            assert!(run.status.success(), "{}", stderr(&run));
        }
        let persons = File::open(root.join("D/persons.parquet")).unwrap();
        let mut ids = Vec::new();
        for batch in ParquetRecordBatchReaderBuilder::try_new(persons)
            .unwrap()
            .build()
            .unwrap()
        {
            let batch = batch.unwrap();
            let col = batch.column_by_name("person_id").unwrap();
            ids.extend(col.as_primitive::<Int64Type>().values().iter().copied());
        }
        let list: String = ids.iter().take(20).map(|i| format!("{i}\n")).collect();
        std::fs::write(root.join("t.csv"), format!("person_id\n{list}")).unwrap();
        let run = tierank_in(
            &root,
            &[
                "compare",
                "--data",
                "D",
                "--sample",
                "80",
                "--resamples",
                "0",
                "--out",
                "R",
            ],
        );
        assert!(run.status.success(), "{}", stderr(&run));
        assert!(root.join("R/model.json").is_file());
        assert!(root.join("R/calibration.json").is_file());
        (dir, root)
    })
    .1
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `rank --model R/model.json` on `data` with `extra` flags, into a fresh file.
fn rank_with_model(data: &str, model: &str, extra: &[&str]) -> Output {
    let root = fixture();
    let out = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile_in(root)
        .unwrap()
        .into_temp_path();
    let out = out.to_str().unwrap().to_owned();
    let mut args = vec![
        "rank",
        "--data",
        data,
        "--sample",
        "10",
        "--heuristics",
        "learned,volume",
        "--k",
        "3",
        "--model",
        model,
        "--force",
        "--out",
        &out,
    ];
    args.extend_from_slice(extra);
    tierank_in(root, &args)
}

#[test]
fn model_and_calibration_record_their_settings() {
    let root = fixture();
    for file in ["R/model.json", "R/calibration.json"] {
        let settings = &json(&root.join(file))["settings"];
        assert_eq!(settings["half_life_ms"], 7 * 86_400_000, "{file}");
        assert_eq!(settings["strict"], false, "{file}");
        assert!(settings["dataset"]["manifest_sha256"].is_string(), "{file}");
        assert!(settings["event_window_ms"].is_array(), "{file}");
        assert_eq!(
            settings["heuristic_config"]["channel_weights"][1], 3.0,
            "{file}"
        );
    }
    // The artefacts' own fields still read.
    assert!(json(&root.join("R/model.json"))["coefficients"].is_array());
    assert!(json(&root.join("R/calibration.json"))["heuristic"].is_string());
}

#[test]
fn rank_refuses_a_model_made_under_other_settings() {
    let ok = rank_with_model("D", "R/model.json", &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    // The seed only drives `random`: not a setting of the model's scores.
    let ok = rank_with_model("D", "R/model.json", &["--seed", "9"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    for (flags, setting) in [
        (&["--half-life-days", "30"][..], "half_life_ms"),
        (
            &["--channel-weights", "call=5"][..],
            "heuristic_config.channel_weights",
        ),
        (&["--ppr-alpha", "0.3"][..], "heuristic_config.ppr_alpha"),
        (&["--window-start", "2026-02-01"][..], "event_window_ms"),
    ] {
        let run = rank_with_model("D", "R/model.json", flags);
        assert_eq!(run.status.code(), Some(2), "{flags:?}: {}", stderr(&run));
        let err = stderr(&run);
        assert!(
            err.contains("made under other settings"),
            "{flags:?}: {err}"
        );
        assert!(err.contains(setting), "{flags:?}: {err}");
    }
    let other = rank_with_model("E", "R/model.json", &[]);
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(
        stderr(&other).contains("dataset.manifest_sha256"),
        "{}",
        stderr(&other)
    );
}

#[test]
fn a_partitioned_rank_checks_the_model_as_one_process_does() {
    // One process of two timely workers: the partitioned load, which learns the event
    // window only once its workers agree on it, then makes the single-process check.
    let workers = ["--workers", "2"];
    let ok = rank_with_model("D", "R/model.json", &workers);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let late = rank_with_model(
        "D",
        "R/model.json",
        &["--workers", "2", "--window-start", "2026-02-01"],
    );
    assert_eq!(late.status.code(), Some(2), "{}", stderr(&late));
    let err = stderr(&late);
    assert!(
        err.contains("made under other settings") && err.contains("event_window_ms"),
        "{err}"
    );
    let other = rank_with_model("E", "R/model.json", &workers);
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(
        stderr(&other).contains("dataset.manifest_sha256"),
        "{}",
        stderr(&other)
    );
}

#[test]
fn rank_with_a_missing_model_fails_even_without_learned() {
    let root = fixture();
    let run = tierank_in(
        root,
        &[
            "rank",
            "--data",
            "D",
            "--sample",
            "5",
            "--heuristics",
            "volume",
            "--k",
            "3",
            "--model",
            "missing.json",
            "--out",
            "never.parquet",
        ],
    );
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("--model"), "{}", stderr(&run));
    assert!(!root.join("never.parquet").exists());
}

#[test]
fn an_artefact_without_settings_is_used_with_a_warning() {
    let root = fixture();
    let mut model = json(&root.join("R/model.json"));
    model.as_object_mut().unwrap().remove("settings");
    std::fs::write(root.join("old-model.json"), model.to_string()).unwrap();
    let run = rank_with_model("D", "old-model.json", &["--half-life-days", "30"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("records no settings"),
        "{}",
        stderr(&run)
    );
}

fn select(out: &str, extra: &[&str]) -> Output {
    let root = fixture();
    let heuristic = json(&root.join("R/calibration.json"))["heuristic"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut args = vec![
        "select",
        "--data",
        "D",
        "--targets",
        "t.csv",
        "--heuristic",
        &heuristic,
        "--policy",
        "probability:0.5",
        "--calibration",
        "R/calibration.json",
        "--force",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    tierank_in(root, &args)
}

#[test]
fn select_refuses_a_calibration_made_under_other_settings() {
    let ok = select("S1", &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let run = select("S2", &["--outgoing-weight", "2"]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("heuristic_config.outgoing_weight"),
        "{}",
        stderr(&run)
    );
    assert!(!fixture().join("S2").exists());
    let run = select("S3", &["--half-life-days", "1"]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("half_life_ms"), "{}", stderr(&run));
}

#[test]
fn audit_records_the_request_and_verify_replays_it() {
    let root = fixture();
    let run = select("A", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let audit_path = root.join("A/audit.json");
    let record = json(&audit_path);
    let request = &record["request"];
    // Every parameter, defaults written out.
    let params = &request["load"]["params"];
    assert_eq!(params["half_life_days"], 7.0);
    assert_eq!(params["ppr_alpha"], 0.15);
    let weights = params["channel_weights"].as_str().unwrap();
    assert!(weights.contains("call=3"), "{weights}");
    assert_eq!(request["policy"], "probability:0.5");
    assert_eq!(request["min_evidence"], 0);
    let verify = |dir: &str| tierank_in(root, &["audit", "verify", dir]);

    // The request is replayed, not the command line: a line that would not parse is fine.
    let mut edited = record.clone();
    edited["command_line"] = serde_json::json!(["tierank", "select", "--no-such-flag"]);
    std::fs::write(&audit_path, serde_json::to_string_pretty(&edited).unwrap()).unwrap();
    let run = verify("A");
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
    assert!(stdout(&run).contains("verified: identical outputs"));

    // A request recorded before the load settings had their own block (`params`, `strict`
    // and `no_snapshot` at the top level) still replays.
    let mut flat = record.clone();
    let load = flat["request"]
        .as_object_mut()
        .unwrap()
        .remove("load")
        .unwrap();
    for (key, value) in load.as_object().unwrap() {
        flat["request"][key] = value.clone();
    }
    std::fs::write(&audit_path, serde_json::to_string_pretty(&flat).unwrap()).unwrap();
    let run = verify("A");
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));

    // A changed recorded parameter is caught by the rerun.
    let mut changed = record.clone();
    changed["request"]["policy"] = serde_json::json!("probability:0.9");
    std::fs::write(&audit_path, serde_json::to_string_pretty(&changed).unwrap()).unwrap();
    let run = verify("A");
    assert_eq!(run.status.code(), Some(1), "{}", stdout(&run));

    // A record from before requests were recorded is replayed from its command line.
    let mut old = record.clone();
    old.as_object_mut().unwrap().remove("request");
    std::fs::write(&audit_path, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let run = verify("A");
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
    // ... and refused with a clear message when that line cannot be replayed.
    old["command_line"] = serde_json::json!(["tierank", "rank"]);
    std::fs::write(&audit_path, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let run = verify("A");
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("not `tierank select`"),
        "{}",
        stderr(&run)
    );
}

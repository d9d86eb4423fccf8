//! End-to-end tests of `tierank select` and `tierank audit verify` on a generated tiny
//! dataset (1,000 people), generated once for the whole file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{Float64Type, Int8Type, Int32Type, Int64Type};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const BIN: &str = env!("CARGO_BIN_EXE_tierank");

/// The generated dataset and the sorted person ids of its people.
struct Dataset {
    _root: tempfile::TempDir,
    data: PathBuf,
    people: Vec<i64>,
}

fn dataset() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("tiny");
        let out = tierank(
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
        assert!(out.status.success(), "generate: {}", stderr(&out));
        let mut people: Vec<i64> = batches(&data.join("persons.parquet"))
            .iter()
            .flat_map(|b| {
                b.column_by_name("person_id")
                    .unwrap()
                    .as_primitive::<Int64Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        people.sort_unstable();
        Dataset {
            _root: root,
            data,
            people,
        }
    })
}

fn tierank(args: &[&str], threads: usize) -> Output {
    Command::new(BIN)
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn batches(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Writes a CSV list of person ids.
fn id_list(path: &Path, ids: &[i64]) -> PathBuf {
    let text: String = std::iter::once("person_id\n".to_owned())
        .chain(ids.iter().map(|i| format!("{i}\n")))
        .collect();
    std::fs::write(path, text).unwrap();
    path.to_owned()
}

/// Eight targets spread over the id range.
fn targets_file(dir: &Path) -> PathBuf {
    let people = &dataset().people;
    let ids: Vec<i64> = (0..8).map(|i| people[i * people.len() / 8]).collect();
    id_list(&dir.join("targets.csv"), &ids)
}

/// Runs `tierank select` with the dataset, the targets and `extra` arguments.
fn select(targets: &Path, out: &Path, extra: &[&str], threads: usize) -> Output {
    let data = dataset().data.to_str().unwrap();
    let mut args = vec![
        "select",
        "--data",
        data,
        "--targets",
        targets.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tierank(&args, threads)
}

fn select_ok(targets: &Path, out: &Path, extra: &[&str]) -> String {
    let run = select(targets, out, extra, 2);
    assert!(
        run.status.success(),
        "select {extra:?} failed: {}",
        stderr(&run)
    );
    stdout(&run)
}

#[derive(Debug, Clone, PartialEq)]
struct Notice {
    target: i64,
    alter: i64,
    selection_rank: i32,
    score: f64,
    probability: Option<f64>,
    reason: String,
}

fn read_audiences(out: &Path) -> Vec<Notice> {
    let mut rows = Vec::new();
    for b in batches(&out.join("audiences.parquet")) {
        // By name: the analyst joins audiences to the truth and to rankings on
        // (target, alter), so these are the names that must hold.
        let target = b
            .column_by_name("target")
            .unwrap()
            .as_primitive::<Int64Type>();
        let alter = b
            .column_by_name("alter")
            .unwrap()
            .as_primitive::<Int64Type>();
        let selection_rank = b
            .column_by_name("selection_rank")
            .unwrap()
            .as_primitive::<Int32Type>();
        let score = b.column(3).as_primitive::<Float64Type>();
        let probability = b.column(4).as_primitive::<Float64Type>();
        let reason = b.column(5).as_dictionary::<Int8Type>();
        let values = reason.values().as_string::<i32>();
        for i in 0..b.num_rows() {
            rows.push(Notice {
                target: target.value(i),
                alter: alter.value(i),
                selection_rank: selection_rank.value(i),
                score: score.value(i),
                probability: (!probability.is_null(i)).then(|| probability.value(i)),
                reason: values.value(reason.keys().value(i) as usize).to_owned(),
            });
        }
    }
    rows
}

/// (target, num_candidates, num_selected, expected_collateral) per row of exposure.parquet,
/// read by name.
fn read_exposure(out: &Path) -> Vec<(i64, i64, i64, Option<f64>)> {
    let mut rows = Vec::new();
    for b in batches(&out.join("exposure.parquet")) {
        let c = |name: &str| {
            b.column_by_name(name)
                .unwrap_or_else(|| panic!("exposure.parquet has no column {name}"))
                .as_primitive::<Int64Type>()
                .clone()
        };
        let (t, n, s) = (c("target"), c("num_candidates"), c("num_selected"));
        let e = b
            .column_by_name("expected_collateral")
            .unwrap()
            .as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            rows.push((
                t.value(i),
                n.value(i),
                s.value(i),
                (!e.is_null(i)).then(|| e.value(i)),
            ));
        }
    }
    rows
}

fn audit(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("audit.json")).unwrap()).unwrap()
}

/// Writes a calibration file of `heuristic` in the eval crate's format (what
/// `tierank compare` writes): a monotone step map, probability 0.9 from score 60 up.
fn calibration_file(path: &Path, heuristic: &str) -> PathBuf {
    tierank_eval::CalibrationFile {
        format: tierank_eval::CALIBRATION_FORMAT,
        heuristic: heuristic.to_owned(),
        relevant_layer: 3,
        num_targets: 100,
        bands: vec![tierank_eval::RankBand {
            min_degree: None,
            first_rank: 1,
            last_rank: None,
            calibration: tierank_eval::Calibrator {
                block_start: vec![0.0, 5.0, 20.0, 60.0],
                probability: vec![0.02, 0.2, 0.55, 0.9],
                examples: vec![400, 300, 200, 100],
            },
            design_effect: Vec::new(),
        }],
        coverage: Vec::new(),
    }
    .save(path)
    .unwrap();
    path.to_owned()
}

#[test]
fn every_policy_selects_within_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    let targets = targets_file(dir.path());

    let out = dir.path().join("topk");
    let printed = select_ok(
        &targets,
        &out,
        &["--heuristic", "volume", "--policy", "top-k:3"],
    );
    assert!(printed.contains("people reached"), "{printed}");
    assert!(printed.contains("notices sent"), "{printed}");
    let rows = read_audiences(&out);
    let mut per_target: BTreeMap<i64, Vec<&Notice>> = BTreeMap::new();
    for r in &rows {
        per_target.entry(r.target).or_default().push(r);
    }
    assert_eq!(per_target.len(), 8, "every target has friends");
    for picks in per_target.values() {
        assert_eq!(
            picks.iter().map(|r| r.selection_rank).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert!(picks.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(picks.iter().all(|r| r.probability.is_none()));
    }
    assert!(rows.iter().all(|r| {
        [
            "message",
            "call",
            "like",
            "comment",
            "transfer",
            "group_message",
            "structure",
        ]
        .contains(&r.reason.as_str())
    }));
    let exposure = read_exposure(&out);
    assert_eq!(exposure.len(), 8);
    assert!(
        exposure
            .iter()
            .all(|&(_, candidates, selected, collateral)| candidates >= 3
                && selected == 3
                && collateral.is_none())
    );
    let record = audit(&out);
    // Version 2: the audience and exposure columns of output format 2.
    assert_eq!(record["audit_version"], 2);
    assert_eq!(record["parameters"]["policy"], "top-k:3");
    assert_eq!(record["counts"]["notices"], 24);
    let roles: BTreeSet<&str> = record["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, BTreeSet::from(["data", "targets"]));
    let data_names: Vec<&str> = record["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["role"] == "data")
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for name in ["manifest.json", "ties.parquet", "events/part-00000.parquet"] {
        assert!(data_names.contains(&name), "{data_names:?}");
    }

    // threshold: every selected score reaches the threshold, and nobody above it is left out.
    let out = dir.path().join("threshold");
    select_ok(
        &targets,
        &out,
        &["--heuristic", "volume", "--policy", "threshold:30"],
    );
    let rows = read_audiences(&out);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.score >= 30.0));
    let topk = read_audiences(&dir.path().join("topk"));
    for r in topk.iter().filter(|r| r.score >= 30.0) {
        assert!(
            rows.iter()
                .any(|s| s.target == r.target && s.alter == r.alter)
        );
    }

    // coverage: a prefix by interaction weight, at least one and at most every friend.
    let out = dir.path().join("coverage");
    select_ok(
        &targets,
        &out,
        &["--heuristic", "volume", "--policy", "coverage:50"],
    );
    let exposure = read_exposure(&out);
    assert!(
        exposure
            .iter()
            .all(|&(_, candidates, selected, _)| selected >= 1 && selected < candidates)
    );

    // budget with a cap: at most B notices, nobody notified more than C times.
    let out = dir.path().join("budget");
    select_ok(
        &targets,
        &out,
        &["--heuristic", "volume", "--policy", "budget:20,cap:1"],
    );
    let rows = read_audiences(&out);
    assert_eq!(rows.len(), 20);
    let people: BTreeSet<i64> = rows.iter().map(|r| r.alter).collect();
    assert_eq!(people.len(), rows.len(), "cap:1 notifies each person once");
}

/// Reads the `i`-th column of every batch of `path` as i64.
fn i64_column(path: &Path, name: &str) -> Vec<i64> {
    batches(path)
        .iter()
        .flat_map(|b| {
            b.column_by_name(name)
                .unwrap()
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        })
        .collect()
}

/// The calibration `tierank compare` fits (on 200 sampled targets) predicts, on the other
/// targets, the number of notices to people who are not close within its 95% interval, for
/// every policy. `coverage` picks by interaction weight, not by the heuristic's ranking, and
/// reads the calibration's maps of its own walk (per degree bucket): with the heuristic's maps
/// `coverage:20` predicted 292.5 [232.8, 352.1] for 367 realised (now 350.0 [290.3, 409.7]).
/// `coverage:50` predicts 1423.0 [1297.9, 1548.1] for 1543: inside only since the interval
/// counts the friends of one fitted target as alike (`RankBand::design_effect`; before,
/// [1303.3, 1542.7]); the prediction is still low for targets of 100+ friends (1222.7 for
/// 1322, docs/selection.md). Before the calibration by rank, `top-k:5` predicted far more
/// strangers than were selected (on the demo, 119.0 for 74) and `probability:0.5` fewer
/// (332.0 for 358). For `top-k:5` and `coverage:50` each degree bucket is checked too:
/// before the heuristic's maps had a cell per degree bucket for ranks 1–5, `top-k:5`
/// predicted 116.3 strangers for targets of 10–49 friends where 19 were (867.6 for 900 in
/// total, the errors cancelling).
#[test]
fn expected_collateral_exposure_holds_on_held_out_targets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset().data.to_str().unwrap().to_owned();
    let report = dir.path().join("compare");
    let run = tierank(
        &[
            "compare",
            "--data",
            &data,
            "--sample",
            "200",
            "--heuristics",
            "volume",
            "--no-learned",
            "--resamples",
            "0",
            "--out",
            report.to_str().unwrap(),
        ],
        2,
    );
    assert!(run.status.success(), "compare: {}", stderr(&run));
    let calibration = report.join("calibration.json");
    let fitted: BTreeSet<i64> = i64_column(&report.join("per_target.parquet"), "target")
        .into_iter()
        .collect();
    let held_out: Vec<i64> = dataset()
        .people
        .iter()
        .copied()
        .filter(|p| !fitted.contains(p))
        .collect();
    assert!(held_out.len() >= 700, "{}", held_out.len());
    let targets = id_list(&dir.path().join("held_out.csv"), &held_out);

    // Close pairs (layer <= 3) of the planted truth.
    let truth = dataset().data.join("truth_closeness.parquet");
    let mut close: BTreeSet<(i64, i64)> = BTreeSet::new();
    for b in batches(&truth) {
        let target = b
            .column_by_name("target")
            .unwrap()
            .as_primitive::<Int64Type>();
        let alter = b
            .column_by_name("alter")
            .unwrap()
            .as_primitive::<Int64Type>();
        let layer = b
            .column_by_name("layer")
            .unwrap()
            .as_primitive::<Int8Type>();
        for i in 0..b.num_rows() {
            if layer.value(i) <= 3 {
                close.insert((target.value(i), alter.value(i)));
            }
        }
    }

    for policy in [
        "top-k:1",
        "top-k:5",
        "top-k:15",
        "probability:0.5",
        "probability:0.8",
        "threshold:20",
        "budget:2000",
        "coverage:20",
        "coverage:50",
        "coverage:80",
    ] {
        let out = dir.path().join(policy.replace(':', "-"));
        let printed = select_ok(
            &targets,
            &out,
            &[
                "--heuristic",
                "volume",
                "--policy",
                policy,
                "--calibration",
                calibration.to_str().unwrap(),
            ],
        );
        let rows = read_audiences(&out);
        let realised = rows
            .iter()
            .filter(|r| !close.contains(&(r.target, r.alter)))
            .count() as f64;
        let record = audit(&out);
        let predicted = record["counts"]["expected_collateral"].as_f64().unwrap();
        let low = record["counts"]["expected_collateral_low"]
            .as_f64()
            .unwrap();
        let high = record["counts"]["expected_collateral_high"]
            .as_f64()
            .unwrap();
        eprintln!(
            "{policy}: {} notices, predicted {predicted:.1} [{low:.1}, {high:.1}], realised {realised}",
            rows.len()
        );
        assert!(
            printed.contains("95% interval"),
            "{policy}: no interval printed: {printed}"
        );
        // Per degree bucket of the target: right for each kind of target, not only in total.
        let degree: BTreeMap<i64, i64> = read_exposure(&out)
            .into_iter()
            .map(|(t, candidates, _, _)| (t, candidates))
            .collect();
        let mut by_bucket: BTreeMap<i64, (usize, f64, f64, f64)> = BTreeMap::new();
        for d in degree.values() {
            by_bucket.entry(bucket_of(*d)).or_default().0 += 1;
        }
        for r in &rows {
            let e = by_bucket.entry(bucket_of(degree[&r.target])).or_default();
            let p = r.probability.expect("calibrated");
            e.1 += 1.0 - p;
            e.2 += p * (1.0 - p);
            if !close.contains(&(r.target, r.alter)) {
                e.3 += 1.0;
            }
        }
        let mut bucket_errors = Vec::new();
        for (bucket, (n, predicted, variance, realised)) in by_bucket {
            let half = bucket_tolerance(predicted, variance);
            eprintln!(
                "  {policy} degree {bucket}+: {n} targets, predicted {predicted:.1} \
                 (± {half:.1}), realised {realised}"
            );
            if PER_BUCKET_POLICIES.contains(&policy)
                && n >= MIN_BUCKET_TARGETS
                && (realised - predicted).abs() > half
            {
                bucket_errors.push(format!(
                    "{policy}, targets of degree {bucket}+: {realised} strangers selected, \
                     predicted {predicted:.1} ± {half:.1}"
                ));
            }
        }
        // Within three standard errors (the printed 95% interval widened 3/1.96 times):
        // ten policies are checked on one calibration sample, and their errors share that
        // sample's. Over 12 samples of `tiny` seed 3 (compare --seed 0..11) the realised
        // strangers scattered about the prediction with a mean of -0.3 to +0.55 standard
        // errors for every policy but coverage, and at least one of the ten fell outside
        // its 95% interval in 10 of the 12 (with gatherings in the generator, `budget:2000` on
        // sample 0: 309 against [181.3, 308.3]).
        // `coverage:20`, under-predicted by 1.88 standard errors on average, was 3.89 off on
        // one sample: this still catches a biased map.
        let half = (high - low) / 2.0 * (3.0 / 1.959_963_984_540_054);
        assert!(
            (realised - predicted).abs() <= half,
            "{policy}: {realised} strangers selected, predicted {predicted:.1} [{low:.1}, {high:.1}], \
             more than three standard errors ({half:.1}) off"
        );
        assert!(bucket_errors.is_empty(), "{bucket_errors:?}");
    }
}

/// Policies whose held-out exposure is also checked per degree bucket of the target.
const PER_BUCKET_POLICIES: [&str; 2] = ["top-k:5", "coverage:50"];

/// Held-out targets a degree bucket needs to be checked on its own.
const MIN_BUCKET_TARGETS: usize = 50;

/// Smallest degree of the bucket of `degree` as the report groups targets: 1–9, 10–49,
/// 50–99, 100+.
fn bucket_of(degree: i64) -> i64 {
    match degree {
        ..=9 => 1,
        10..=49 => 10,
        50..=99 => 50,
        _ => 100,
    }
}

/// How far a degree bucket's realised strangers may be from its prediction: the 95% half
/// width of the selection's own chance (`1.96 √Σ p(1 − p)` over its notices) plus 15% of the
/// prediction for the calibration's error (fitted on 200 targets, about 50 per bucket: the
/// interval of the total carries it per block, which the outputs do not show per bucket).
fn bucket_tolerance(predicted: f64, variance: f64) -> f64 {
    1.96 * variance.sqrt() + 0.15 * predicted
}

#[test]
fn probability_policy_needs_and_uses_a_calibration() {
    let dir = tempfile::tempdir().unwrap();
    let targets = targets_file(dir.path());
    let calibration = calibration_file(&dir.path().join("calibration.json"), "volume");

    let out = dir.path().join("probability");
    let printed = select_ok(
        &targets,
        &out,
        &[
            "--heuristic",
            "volume",
            "--policy",
            "probability:0.5",
            "--calibration",
            calibration.to_str().unwrap(),
        ],
    );
    assert!(
        printed.contains("expected collateral exposure"),
        "{printed}"
    );
    let rows = read_audiences(&out);
    assert!(!rows.is_empty());
    for r in &rows {
        let p = r.probability.expect("calibrated");
        assert!(p >= 0.5 && r.score >= 20.0, "{r:?}");
    }
    // expected_collateral is Σ (1 − p) over each target's notices.
    for (target, _, selected, collateral) in read_exposure(&out) {
        let mine: Vec<&Notice> = rows.iter().filter(|r| r.target == target).collect();
        assert_eq!(selected as usize, mine.len());
        let expected: f64 = mine.iter().map(|r| 1.0 - r.probability.unwrap()).sum();
        assert!((collateral.unwrap() - expected).abs() < 1e-9);
    }
    let record = audit(&out);
    assert_eq!(record["parameters"]["calibrated"], true);
    assert!(record["counts"]["expected_collateral"].as_f64().is_some());

    // Budget with a calibration ranks by probability and reports the collateral.
    let out3 = dir.path().join("budget");
    select_ok(
        &targets,
        &out3,
        &[
            "--heuristic",
            "volume",
            "--policy",
            "budget:10",
            "--calibration",
            calibration.to_str().unwrap(),
        ],
    );
    let budget = read_audiences(&out3);
    assert_eq!(budget.len(), 10);
    assert!(budget.iter().all(|r| r.probability == Some(0.9)));

    // A calibration of another heuristic is refused.
    let out4 = dir.path().join("other");
    let run = select(
        &targets,
        &out4,
        &[
            "--heuristic",
            "recency",
            "--policy",
            "probability:0.5",
            "--calibration",
            calibration.to_str().unwrap(),
        ],
        2,
    );
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("it calibrates heuristic 'volume', not 'recency'"),
        "{}",
        stderr(&run)
    );
    assert!(!out4.exists());
}

#[test]
fn excluded_people_are_never_selected() {
    let dir = tempfile::tempdir().unwrap();
    let targets = targets_file(dir.path());
    let args = ["--heuristic", "volume", "--policy", "top-k:5"];
    let base = dir.path().join("base");
    select_ok(&targets, &base, &args);
    let before = read_audiences(&base);
    // Everyone ranked first or second, plus two ids that are in no dataset.
    let mut excluded: Vec<i64> = before
        .iter()
        .filter(|r| r.selection_rank <= 2)
        .map(|r| r.alter)
        .collect();
    // One person can be among the first two of several targets; the audit counts each
    // listed person once.
    excluded.sort_unstable();
    excluded.dedup();
    excluded.extend([1, 2]);
    let list = id_list(&dir.path().join("optout.csv"), &excluded);
    // Each target's ranking further down, in selection order.
    let wide_out = dir.path().join("wide");
    select_ok(
        &targets,
        &wide_out,
        &["--heuristic", "volume", "--policy", "top-k:15"],
    );
    let mut wide = read_audiences(&wide_out);
    wide.sort_by_key(|r| (r.target, r.selection_rank));
    let mut targets_seen: Vec<i64> = before.iter().map(|r| r.target).collect();
    targets_seen.sort_unstable();
    targets_seen.dedup();

    for strict in [false, true] {
        let out = dir.path().join(format!("excluded-{strict}"));
        let mut extra = args.to_vec();
        extra.extend(["--exclude", list.to_str().unwrap()]);
        if strict {
            extra.push("--strict-minimization");
        }
        let run = select(&targets, &out, &extra, 2);
        assert!(run.status.success(), "{}", stderr(&run));
        assert!(
            stderr(&run).contains("warning: 2 person id(s)"),
            "{}",
            stderr(&run)
        );
        let after = read_audiences(&out);
        assert!(!after.is_empty());
        assert!(
            after.iter().all(|r| !excluded.contains(&r.alter)),
            "an excluded person was selected"
        );
        // Top-k fills the freed places from further down each target's ranking: each target
        // gets the first five of its top 15 that are not excluded (fewer only where fewer
        // friends have enough evidence). A target that is itself on the list keeps its
        // audience, unless strict minimisation removes its ties (docs/selection.md).
        let mut expected: Vec<(i64, i64)> = Vec::new();
        for &target in &targets_seen {
            if strict && excluded.contains(&target) {
                continue;
            }
            expected.extend(
                wide.iter()
                    .filter(|r| r.target == target && !excluded.contains(&r.alter))
                    .take(5)
                    .map(|r| (r.target, r.alter)),
            );
        }
        let mut got: Vec<(i64, i64)> = after.iter().map(|r| (r.target, r.alter)).collect();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected, "strict minimisation {strict}");
        let record = audit(&out);
        assert_eq!(record["exclusion"]["unknown"], 2);
        assert_eq!(record["exclusion"]["listed"], excluded.len());
        assert!(
            record["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["role"] == "exclude")
        );
        assert_eq!(record["parameters"]["strict_minimization"], strict);
    }
}

/// Issue 9, item 1: an opt-out list of bare ids (no header line) lost its first id, so the
/// one person on it was selected at rank 1 and the run exited 0.
#[test]
fn a_header_less_opt_out_list_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let target = dataset().people[dataset().people.len() / 2];
    let one_target = dir.path().join("one-target.csv");
    std::fs::write(&one_target, format!("person_id\n{target}\n")).unwrap();
    let args = ["--heuristic", "volume", "--policy", "top-k:3"];
    let base = dir.path().join("base");
    select_ok(&one_target, &base, &args);
    let first = read_audiences(&base)
        .into_iter()
        .find(|r| r.selection_rank == 1)
        .expect("the target has a friend")
        .alter;

    let ex = dir.path().join("ex.csv");
    std::fs::write(&ex, format!("{first}\n")).unwrap();
    let out = dir.path().join("s1");
    let mut extra = args.to_vec();
    extra.extend(["--exclude", ex.to_str().unwrap()]);
    select_ok(&one_target, &out, &extra);
    let after = read_audiences(&out);
    assert!(
        after.iter().all(|r| r.alter != first),
        "the opted-out person {first} was selected: {after:?}"
    );
    assert_eq!(audit(&out)["exclusion"]["listed"], 1);
}

/// Issue 9, items 1 and 9: an empty opt-out list is allowed but said aloud, and a missing one
/// is called an opt-out list, not a target list.
#[test]
fn empty_and_missing_opt_out_lists_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let targets = targets_file(dir.path());
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let args = ["--heuristic", "volume", "--policy", "top-k:2", "--exclude"];
    let mut extra = args.to_vec();
    extra.push(empty.to_str().unwrap());
    let run = select(&targets, &dir.path().join("a"), &extra, 2);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("lists no one: nobody is excluded"),
        "{}",
        stderr(&run)
    );

    let gone = dir.path().join("gone.csv");
    let mut extra = args.to_vec();
    extra.push(gone.to_str().unwrap());
    let out = dir.path().join("b");
    let run = select(&targets, &out, &extra, 2);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(message.contains("opt-out (exclude) list"), "{message}");
    assert!(!message.contains("target list"), "{message}");
    assert!(!out.exists());
}

/// Issue 9, item 10: docs/selection.md calls a repeated target an error (its audience would be
/// notified twice), but the CLI dropped the repeat silently.
#[test]
fn a_repeated_target_is_refused_with_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let people = &dataset().people;
    let targets = id_list(
        &dir.path().join("targets.csv"),
        &[people[10], people[20], people[10]],
    );
    let out = dir.path().join("out");
    let run = select(
        &targets,
        &out,
        &["--heuristic", "volume", "--policy", "top-k:2"],
        2,
    );
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(
        message.contains("row 2") && message.contains("repeats row 0"),
        "{message}"
    );
    assert!(!out.exists());
}

#[test]
fn audit_verify_detects_changed_outputs_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let targets = targets_file(dir.path());
    let out = dir.path().join("run");
    select_ok(
        &targets,
        &out,
        &["--heuristic", "volume", "--policy", "top-k:4"],
    );
    let verify = |d: &Path| tierank(&["audit", "verify", d.to_str().unwrap()], 2);

    let ok = verify(&out);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("verified: identical outputs"));

    // An edited output is caught by comparing the files in the directory.
    let edited = dir.path().join("edited");
    std::fs::create_dir(&edited).unwrap();
    for f in ["audiences.parquet", "exposure.parquet", "audit.json"] {
        std::fs::copy(out.join(f), edited.join(f)).unwrap();
    }
    let mut bytes = std::fs::read(edited.join("audiences.parquet")).unwrap();
    bytes.push(0);
    std::fs::write(edited.join("audiences.parquet"), bytes).unwrap();
    let bad = verify(&edited);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(
        stdout(&bad).contains("output audience audiences.parquet changed"),
        "{}",
        stdout(&bad)
    );
    assert!(!stdout(&bad).contains("verified: identical"));

    // A changed targets file is caught by the rerun: input and outputs differ.
    let people = &dataset().people;
    let fewer: Vec<i64> = (0..7).map(|i| people[i * people.len() / 8]).collect();
    id_list(&targets, &fewer);
    let bad = verify(&out);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    let text = stdout(&bad);
    assert!(text.contains("input targets"), "{text}");
    assert!(text.contains("count targets changed: 8 -> 7"), "{text}");

    // No record, or a corrupt one: exit 2.
    let missing = verify(dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("audit.json"),
        "{}",
        stderr(&missing)
    );
    std::fs::write(edited.join("audit.json"), "{ not json").unwrap();
    let corrupt = verify(&edited);
    assert_eq!(corrupt.status.code(), Some(2));
    assert!(stderr(&corrupt).contains("not a valid audit record"));
}

/// Writes a Parquet file whose only column holds strings.
fn string_ids(path: &Path) -> PathBuf {
    let batch = RecordBatch::try_from_iter([(
        "person_id",
        Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
    )])
    .unwrap();
    let mut w = ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    path.to_owned()
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("inputs");
    std::fs::create_dir(&root).unwrap();
    let targets = targets_file(&root);
    let strings = string_ids(&root.join("strings.parquet"));
    let unknown = id_list(&root.join("unknown.csv"), &[5, 6, dataset().people[0]]);
    let broken = root.join("broken.json");
    std::fs::write(&broken, "{ \"format\": 1").unwrap();
    let existing = dir.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("keep.txt"), "x").unwrap();

    let h = ["--heuristic", "volume"];
    let cases: Vec<(Vec<&str>, &Path, &str)> = vec![
        (
            vec!["--policy", "everyone"],
            &targets,
            "unknown policy 'everyone'",
        ),
        (
            vec!["--policy", "top-k:two"],
            &targets,
            "is not a non-negative integer",
        ),
        (vec!["--policy", "budget:0"], &targets, "B = 0 is outside"),
        (
            vec![
                "--policy",
                "top-k:2",
                "--exclude",
                strings.to_str().unwrap(),
            ],
            &targets,
            "--exclude",
        ),
        (
            vec!["--policy", "top-k:2"],
            &unknown,
            "2 target person id(s) are not in the graph (first: 5, 6)",
        ),
        (
            vec!["--policy", "probability:0.8"],
            &targets,
            "run `tierank compare` first",
        ),
        (
            vec![
                "--policy",
                "probability:0.8",
                "--calibration",
                broken.to_str().unwrap(),
            ],
            &targets,
            "--calibration",
        ),
    ];
    for (extra, targets, message) in cases {
        let out = dir.path().join("out");
        let mut args = h.to_vec();
        args.extend(extra.iter().copied());
        let run = select(targets, &out, &args, 2);
        assert_eq!(run.status.code(), Some(2), "{extra:?}: {}", stderr(&run));
        assert!(
            stderr(&run).contains(message),
            "{extra:?}: {}",
            stderr(&run)
        );
        assert!(!out.exists(), "{extra:?} wrote output");
    }

    let out = dir.path().join("out");
    let run = select(
        &targets,
        &out,
        &["--heuristic", "closest", "--policy", "top-k:2"],
        2,
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("unknown heuristic 'closest'"));
    assert!(!out.exists());

    // An existing output needs --force, and is left as it was.
    let run = select(
        &targets,
        &existing,
        &["--heuristic", "volume", "--policy", "top-k:2"],
        2,
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("--force"), "{}", stderr(&run));
    assert!(existing.join("keep.txt").exists());
    // Nothing staged is left beside the outputs.
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, BTreeSet::from(["existing".into(), "inputs".into()]));

    // With --force it is replaced; an output directory holding an input is refused.
    select_ok(
        &targets,
        &existing,
        &["--heuristic", "volume", "--policy", "top-k:2", "--force"],
    );
    assert!(!existing.join("keep.txt").exists());
    let run = select(
        &targets,
        &root,
        &["--heuristic", "volume", "--policy", "top-k:2", "--force"],
        2,
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("contains the input"),
        "{}",
        stderr(&run)
    );
    assert!(targets.exists());
}

#[test]
fn outputs_are_identical_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let targets = targets_file(dir.path());
    let calibration = calibration_file(&dir.path().join("calibration.json"), "adamic_adar");
    for policy in ["budget:30,cap:2", "coverage:60"] {
        let args = [
            "--heuristic",
            "adamic_adar",
            "--policy",
            policy,
            "--calibration",
            calibration.to_str().unwrap(),
        ];
        let one = dir.path().join(format!("one-{policy}"));
        let two = dir.path().join(format!("two-{policy}"));
        assert!(select(&targets, &one, &args, 1).status.success());
        assert!(select(&targets, &two, &args, 2).status.success());
        for f in ["audiences.parquet", "exposure.parquet"] {
            assert_eq!(
                std::fs::read(one.join(f)).unwrap(),
                std::fs::read(two.join(f)).unwrap(),
                "{policy}: {f} differs between thread counts"
            );
        }
        assert_eq!(audit(&one)["outputs"], audit(&two)["outputs"]);
        assert!(!read_audiences(&one).is_empty());
    }
}

/// Every (path, mode) under `dir`, `dir` itself included.
#[cfg(unix)]
fn modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = vec![(
        dir.to_owned(),
        std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
    )];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(modes(&path));
        } else {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            out.push((path, mode));
        }
    }
    out
}

/// `--private` writes every file 0600 and every directory 0700; without it the umask
/// decides, so the outputs are not private under the usual umask 022.
#[cfg(target_os = "linux")]
#[test]
fn private_outputs_are_owner_only_and_the_default_honours_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let targets = targets_file(dir.path());
    let out = dir.path().join("nested").join("private");
    let data = dataset().data.to_str().unwrap().to_owned();
    let run = tierank(
        &[
            "--private",
            "select",
            "--data",
            &data,
            "--targets",
            targets.to_str().unwrap(),
            "--heuristic",
            "volume",
            "--policy",
            "top-k:3",
            "--out",
            out.to_str().unwrap(),
        ],
        2,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let written = modes(&dir.path().join("nested"));
    assert!(written.len() >= 5, "{written:?}");
    for (path, mode) in &written {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{} is {mode:o}", path.display());
    }

    let public = dir.path().join("public");
    select_ok(
        &targets,
        &public,
        &["--heuristic", "volume", "--policy", "top-k:3"],
    );
    for (path, mode) in modes(&public) {
        assert_ne!(mode & 0o077, 0, "{} is {mode:o}", path.display());
    }
}

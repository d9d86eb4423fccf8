//! End-to-end tests of `tierank compare`: outputs and their schemas, a metric recomputed
//! from the published rankings, thread-count determinism, bad input, the HTML report, and
//! the committed karate-club study.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use arrow::array::{Array, AsArray, RecordBatch, RecordBatchReader};
use arrow::datatypes::{Float64Type, Int8Type, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tierank_format::schema;

fn tierank(args: &[&str], threads: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tierank"));
    cmd.args(args);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.output().expect("run tierank")
}

/// The tiny preset, generated once for all tests.
fn tiny() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("tiny");
        let out = tierank(
            &[
                "generate",
                "--preset",
                "tiny",
                "--seed",
                "5",
                "--out",
                data.to_str().unwrap(),
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, data)
    })
    .1
}

fn compare(data: &Path, out: &Path, extra: &[&str], threads: Option<&str>) -> Output {
    let mut args = vec![
        "compare",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tierank(&args, threads)
}

const FAST: [&str; 8] = [
    "--sample",
    "150",
    "--heuristics",
    "volume,reciprocity,jaccard,degree",
    "--k",
    "1,5,15",
    "--resamples",
    "100",
];

fn read(path: &Path) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
    let dict = batch
        .column_by_name(column)
        .unwrap()
        .as_dictionary::<Int8Type>();
    let values = dict.values().as_string::<i32>();
    dict.keys()
        .values()
        .iter()
        .map(|&k| values.value(k as usize).to_owned())
        .collect()
}

fn ints(batch: &RecordBatch, column: &str) -> Vec<i64> {
    batch
        .column_by_name(column)
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec()
}

fn opt_k(batch: &RecordBatch) -> Vec<Option<i32>> {
    let k = batch
        .column_by_name("k")
        .unwrap()
        .as_primitive::<Int32Type>();
    (0..k.len())
        .map(|i| (!k.is_null(i)).then(|| k.value(i)))
        .collect()
}

fn floats(batch: &RecordBatch, column: &str) -> Vec<f64> {
    batch
        .column_by_name(column)
        .unwrap()
        .as_primitive::<Float64Type>()
        .values()
        .to_vec()
}

/// (heuristic, k, metric, stratum) → value, from metrics.parquet.
fn metric_map(dir: &Path) -> BTreeMap<(String, Option<i32>, String, String), f64> {
    let m = read(&dir.join("metrics.parquet"));
    let (h, k, metric, stratum, value) = (
        strings(&m, "heuristic"),
        opt_k(&m),
        strings(&m, "metric"),
        strings(&m, "stratum"),
        floats(&m, "value"),
    );
    (0..m.num_rows())
        .map(|i| {
            (
                (h[i].clone(), k[i], metric[i].clone(), stratum[i].clone()),
                value[i],
            )
        })
        .collect()
}

#[test]
fn outputs_exist_with_documented_schemas_and_precision_matches_rankings() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("report");
    let run = compare(tiny(), &out, &FAST, None);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("oracle (ceiling)") && stdout.contains("random (floor)"),
        "{stdout}"
    );
    assert!(stdout.contains("report.html"), "{stdout}");
    for f in [
        "metrics.parquet",
        "per_target.parquet",
        "rankings.parquet",
        "agreement.parquet",
        "manifest.json",
        "model.json",
        "calibration.json",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let expected = [
        ("metrics.parquet", schema::metrics()),
        ("per_target.parquet", schema::per_target()),
        ("rankings.parquet", schema::rankings()),
        ("agreement.parquet", schema::agreement()),
    ];
    for (file, schema) in expected {
        let batch = read(&out.join(file));
        assert_eq!(batch.schema().fields(), schema.fields(), "{file}");
        assert!(batch.num_rows() > 0, "{file} is empty");
    }
    let metrics = metric_map(&out);
    for h in [
        "volume",
        "reciprocity",
        "jaccard",
        "degree",
        "random",
        "learned",
        "oracle",
    ] {
        assert!(
            metrics.contains_key(&(h.into(), Some(5), "precision".into(), "all".into())),
            "no precision@5 row for {h}"
        );
    }
    assert!(metrics.contains_key(&("volume".into(), None, "wall_seconds".into(), "all".into())));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["dataset_manifest_sha256"].as_str().unwrap().len(),
        64
    );
    // Output format 2 (the glossary's names, truth_*.parquet), in the report's manifest and
    // in the dataset's.
    assert_eq!(manifest["format_version"], 2);
    let dataset_manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tiny().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(dataset_manifest["format_version"], 2);
    assert!(
        manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "truth_closeness.parquet")
    );

    // precision@5 of volume, recomputed from rankings.parquet and the truth.
    let truth = read(&tiny().join("truth_closeness.parquet"));
    let (truth_target, alter) = (ints(&truth, "target"), ints(&truth, "alter"));
    let layer = truth
        .column_by_name("layer")
        .unwrap()
        .as_primitive::<Int8Type>()
        .values()
        .to_vec();
    let relevant: HashMap<(i64, i64), bool> = (0..truth.num_rows())
        .map(|i| ((truth_target[i], alter[i]), layer[i] <= 3))
        .collect();
    let r = read(&out.join("rankings.parquet"));
    let (target, heuristic, alter) = (
        ints(&r, "target"),
        strings(&r, "heuristic"),
        ints(&r, "alter"),
    );
    let rank = r
        .column_by_name("rank")
        .unwrap()
        .as_primitive::<Int32Type>();
    let mut per_target: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    for i in 0..r.num_rows() {
        if heuristic[i] == "volume" && rank.value(i) <= 5 {
            let e = per_target.entry(target[i]).or_default();
            e.0 += 1;
            e.1 += usize::from(*relevant.get(&(target[i], alter[i])).unwrap_or(&false));
        }
    }
    let recomputed = per_target
        .values()
        .map(|&(n, hits)| hits as f64 / n as f64)
        .sum::<f64>()
        / per_target.len() as f64;
    let reported = metrics[&("volume".into(), Some(5), "precision".into(), "all".into())];
    assert!(
        (recomputed - reported).abs() < 1e-12,
        "recomputed {recomputed}, reported {reported}"
    );
    // The oracle is the ceiling of NDCG.
    let oracle = metrics[&("oracle".into(), Some(15), "ndcg".into(), "all".into())];
    for h in [
        "volume",
        "reciprocity",
        "jaccard",
        "degree",
        "random",
        "learned",
    ] {
        assert!(oracle >= metrics[&(h.into(), Some(15), "ndcg".into(), "all".into())]);
    }
    degree_buckets_join_the_strata(&out);

    check_report(&std::fs::read_to_string(out.join("report.html")).unwrap());
}

/// An analyst's join: per_target's `degree_bucket` equals metrics' `stratum` of that bucket
/// (one spelling), and the per-target values of each bucket give that stratum's mean and
/// `num_targets`.
fn degree_buckets_join_the_strata(out: &Path) {
    let p = read(&out.join("per_target.parquet"));
    let (target, bucket, heuristic, k, metric, stratum, value) = (
        ints(&p, "target"),
        strings(&p, "degree_bucket"),
        strings(&p, "heuristic"),
        opt_k(&p),
        strings(&p, "metric"),
        strings(&p, "stratum"),
        floats(&p, "value"),
    );
    let mut by_bucket: BTreeMap<String, (Vec<i64>, f64)> = BTreeMap::new();
    for i in 0..p.num_rows() {
        if heuristic[i] == "volume"
            && k[i] == Some(5)
            && metric[i] == "precision"
            && stratum[i] == "all"
        {
            let e = by_bucket.entry(bucket[i].clone()).or_default();
            e.0.push(target[i]);
            e.1 += value[i];
        }
    }
    assert!(by_bucket.len() >= 2, "{:?}", by_bucket.keys());
    let m = read(&out.join("metrics.parquet"));
    let (mh, mk, mm, ms, mv, mn) = (
        strings(&m, "heuristic"),
        opt_k(&m),
        strings(&m, "metric"),
        strings(&m, "stratum"),
        floats(&m, "value"),
        ints(&m, "num_targets"),
    );
    for (bucket, (targets, sum)) in &by_bucket {
        let row = (0..m.num_rows())
            .find(|&i| {
                mh[i] == "volume" && mk[i] == Some(5) && mm[i] == "precision" && &ms[i] == bucket
            })
            .unwrap_or_else(|| {
                panic!("per_target's degree_bucket {bucket} is no stratum of metrics")
            });
        assert_eq!(mn[row], targets.len() as i64, "{bucket}");
        let mean = sum / targets.len() as f64;
        assert!(
            (mv[row] - mean).abs() < 1e-12,
            "{bucket}: {} vs {mean}",
            mv[row]
        );
    }
}

/// The report is one self-contained page: every `<svg>` closed, no fetched resource, no NaN
/// in a chart.
fn check_report(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert!(
        html.matches("<svg").count() >= 6,
        "expected at least six charts"
    );
    for (i, _) in html.match_indices("http") {
        let rest = &html[i..];
        assert!(
            rest.starts_with("http://www.w3.org/2000/svg\""),
            "external reference: {}",
            &rest[..rest.len().min(80)]
        );
    }
    for tag in ["<script", "<link", "@import", "url("] {
        assert!(!html.contains(tag), "report contains {tag}");
    }
    for svg in html.split("<svg").skip(1) {
        let svg = &svg[..svg.find("</svg>").unwrap()];
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "non-finite value in a chart"
        );
    }
}

#[test]
fn outputs_do_not_depend_on_thread_count() {
    let root = tempfile::tempdir().unwrap();
    let (one, two) = (root.path().join("one"), root.path().join("two"));
    for (dir, threads) in [(&one, "1"), (&two, "2")] {
        let run = compare(tiny(), dir, &FAST, Some(threads));
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    for f in [
        "per_target.parquet",
        "rankings.parquet",
        "agreement.parquet",
        "model.json",
        "calibration.json",
        "manifest.json",
    ] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(two.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
    let strip = |m: BTreeMap<(String, Option<i32>, String, String), f64>| {
        m.into_iter()
            .filter(|(k, _)| k.2 != "wall_seconds")
            .map(|(k, v)| (k, v.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(metric_map(&one)), strip(metric_map(&two)));
}

/// Copies the Parquet file `from` to `to` with column `old` named `new`.
fn rename_column(from: &Path, to: &Path, old: &str, new: &str) {
    use arrow::datatypes::{Field, Schema};
    let batch = read(from);
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let name = if f.name() == old { new } else { f.name() };
            f.as_ref().clone().with_name(name)
        })
        .collect();
    let renamed = RecordBatch::try_new(
        std::sync::Arc::new(Schema::new(fields)),
        batch.columns().to_vec(),
    )
    .unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(File::create(to).unwrap(), renamed.schema(), None)
            .unwrap();
    w.write(&renamed).unwrap();
    w.close().unwrap();
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    // A dataset without truth.
    let no_truth = root.path().join("no_truth");
    std::fs::create_dir_all(&no_truth).unwrap();
    std::fs::copy(tiny().join("ties.parquet"), no_truth.join("ties.parquet")).unwrap();
    // A dataset in the layout of output format 1: the truth in a `truth/` directory.
    // (Old-format fixtures live in their own directory: the end of the test counts the
    // entries of `root` to find stray staging directories.)
    let fixtures = tempfile::tempdir().unwrap();
    let old_layout = fixtures.path().join("old_layout");
    std::fs::create_dir_all(old_layout.join("truth")).unwrap();
    std::fs::copy(tiny().join("ties.parquet"), old_layout.join("ties.parquet")).unwrap();
    std::fs::copy(
        tiny().join("truth_closeness.parquet"),
        old_layout.join("truth/closeness.parquet"),
    )
    .unwrap();
    // A user's truth with the format-1 name of the target column.
    let old_column = fixtures.path().join("old_column");
    std::fs::create_dir_all(&old_column).unwrap();
    std::fs::copy(tiny().join("ties.parquet"), old_column.join("ties.parquet")).unwrap();
    rename_column(
        &tiny().join("truth_closeness.parquet"),
        &old_column.join("truth_closeness.parquet"),
        "target",
        "ego",
    );
    let out = root.path().join("out");
    let cases: Vec<(&Path, Vec<&str>, &str)> = vec![
        (&no_truth, vec![], "closeness.parquet"),
        (
            &old_layout,
            vec![],
            "Regenerate the dataset with `tierank generate`",
        ),
        (&old_column, vec![], "column 'ego' is called 'target'"),
        (tiny(), vec!["--k", "0,5"], "--k"),
        (
            tiny(),
            vec!["--heuristics", "volume,telepathy"],
            "telepathy",
        ),
        (tiny(), vec!["--relevant-layer", "6"], "--relevant-layer"),
    ];
    for (data, extra, message) in cases {
        let run = compare(data, &out, &extra, None);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
        assert!(!out.exists(), "{extra:?} left an output directory");
    }
    // An existing, non-empty output directory without --force is left alone.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "x").unwrap();
    let run = compare(tiny(), &out, &FAST, None);
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let entries: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        2,
        "stray staging directory"
    );
}

#[test]
fn karate_club_outputs_and_oracle_ceiling() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/karate/data");
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("karate");
    let run = compare(
        &data,
        &out,
        &[
            "--sample",
            "34",
            "--heuristics",
            "all",
            "--k",
            "1,3,5",
            "--resamples",
            "200",
        ],
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for f in [
        "metrics.parquet",
        "per_target.parquet",
        "rankings.parquet",
        "agreement.parquet",
        "manifest.json",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let metrics = metric_map(&out);
    let ndcg: Vec<(&String, Option<i32>, f64)> = metrics
        .iter()
        .filter(|(k, _)| k.2 == "ndcg" && k.3 == "all")
        .map(|(k, v)| (&k.0, k.1, *v))
        .collect();
    assert!(
        ndcg.iter().any(|(h, _, _)| *h == "jaccard"),
        "structural heuristics evaluated"
    );
    assert!(
        !ndcg.iter().any(|(h, _, _)| *h == "volume"),
        "volume needs events or weights"
    );
    for (h, k, v) in &ndcg {
        let oracle = metrics[&("oracle".into(), *k, "ndcg".into(), "all".into())];
        assert!(
            oracle + 1e-12 >= *v,
            "{h} NDCG@{k:?} {v} above the oracle's {oracle}"
        );
    }
    check_report(&std::fs::read_to_string(out.join("report.html")).unwrap());
}

/// Copies a dataset directory (one level of subdirectories, as datasets have).
fn copy_dataset(from: &Path, to: &Path) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &dest).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Adds the `evader` column of the evasion scenario to `truth_persons.parquet` (true for
/// the people `is_evader` picks) and updates the dataset manifest's checksum.
fn mark_evaders(data: &Path, is_evader: impl Fn(i64) -> bool) {
    use arrow::array::{ArrayRef, BooleanArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let path = data.join("truth_persons.parquet");
    let batch = read(&path);
    let ids = ints(&batch, schema::col::PERSON_ID);
    let flags: ArrayRef = Arc::new(BooleanArray::from(
        ids.iter().map(|&id| is_evader(id)).collect::<Vec<_>>(),
    ));
    // The generator writes an `evader` column (all false without `--scenario evasion`):
    // replace it, as a second column of the same name would never be read.
    let schema = batch.schema();
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| schema.field(i).name() != "evader")
        .collect();
    let mut fields: Vec<Field> = keep.iter().map(|&i| schema.field(i).clone()).collect();
    fields.push(Field::new("evader", DataType::Boolean, false));
    let mut columns: Vec<ArrayRef> = keep.iter().map(|&i| batch.column(i).clone()).collect();
    columns.push(flags);
    let with = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(File::create(&path).unwrap(), with.schema(), None)
            .unwrap();
    w.write(&with).unwrap();
    w.close().unwrap();
    mark_checksum(data);
}

/// Updates the dataset manifest's checksum of `truth_persons.parquet` after a rewrite.
fn mark_checksum(data: &Path) {
    let path = data.join("truth_persons.parquet");
    let manifest_path = data.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    for f in manifest["files"].as_array_mut().unwrap() {
        if f["path"] == "truth_persons.parquet" {
            f["sha256"] = tierank_format::manifest::sha256_file(&path).unwrap().into();
            f["bytes"] = std::fs::metadata(&path).unwrap().len().into();
        }
    }
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
}

/// With evaders marked in the truth, every row is reported on evaders and non-evaders
/// separately (the two strata partition the targets), and the report has its Evaders
/// section; without the column, neither appears. About 3 s.
#[test]
fn evaders_and_non_evaders_are_reported_apart() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    copy_dataset(tiny(), &data);
    mark_evaders(&data, |id| id % 4 == 0);
    let out = root.path().join("out");
    let run = compare(&data, &out, &[&FAST[..], &["--no-learned"]].concat(), None);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let metrics = metric_map(&out);
    let m = read(&out.join("metrics.parquet"));
    let (h, k, metric, stratum) = (
        strings(&m, "heuristic"),
        opt_k(&m),
        strings(&m, "metric"),
        strings(&m, "stratum"),
    );
    let targets = ints(&m, "num_targets");
    let count = |s: &str| {
        (0..h.len())
            .find(|&i| {
                h[i] == "volume" && k[i] == Some(5) && metric[i] == "precision" && stratum[i] == s
            })
            .map(|i| targets[i])
    };
    let (yes, no, all) = (
        count("evader:yes").unwrap(),
        count("evader:no").unwrap(),
        count("all").unwrap(),
    );
    assert!(yes > 0 && no > 0, "{yes} evaders, {no} others");
    assert_eq!(yes + no, all);
    // The overall mean is the target-weighted mean of the two strata.
    let value = |s: &str| {
        metrics[&(
            "volume".to_owned(),
            Some(5),
            "precision".to_owned(),
            s.to_owned(),
        )]
    };
    let mixed = (value("evader:yes") * yes as f64 + value("evader:no") * no as f64) / all as f64;
    assert!(
        (mixed - value("all")).abs() < 1e-9,
        "{mixed} vs {}",
        value("all")
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Evaders</h2>"));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"truth_persons.parquet\""), "{manifest}");

    // The same data without the column: no evader strata, no section.
    let plain = root.path().join("plain");
    let run = compare(
        tiny(),
        &plain,
        &[&FAST[..], &["--no-learned"]].concat(),
        None,
    );
    assert!(run.status.success());
    assert!(
        !metric_map(&plain)
            .keys()
            .any(|k| k.3.starts_with("evader:"))
    );
    let html = std::fs::read_to_string(plain.join("report.html")).unwrap();
    assert!(!html.contains("<h2>Evaders</h2>"));

    // A null evader flag is bad input, refused before loading, nothing written.
    let path = data.join("truth_persons.parquet");
    let batch = read(&path);
    let mut columns = batch.columns().to_vec();
    let last = columns.len() - 1;
    columns[last] = std::sync::Arc::new(arrow::array::BooleanArray::from(
        (0..batch.num_rows())
            .map(|i| (i != 3).then_some(false))
            .collect::<Vec<_>>(),
    ));
    let nullable = arrow::datatypes::Schema::new(
        batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    );
    let bad = RecordBatch::try_new(std::sync::Arc::new(nullable), columns).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(File::create(&path).unwrap(), bad.schema(), None)
            .unwrap();
    w.write(&bad).unwrap();
    w.close().unwrap();
    mark_checksum(&data);
    let refused = root.path().join("refused");
    let run = compare(
        &data,
        &refused,
        &[&FAST[..], &["--no-learned"]].concat(),
        None,
    );
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("evader") && err.contains("row 3"), "{err}");
    assert!(!refused.exists());
}

/// `--model-kind logistic` trains and records the logistic model; the default GBT with
/// `--logistic-baseline` adds the row `learned_logistic` and notes the paired difference.
/// About 4 s.
#[test]
fn model_kinds_and_the_logistic_baseline() {
    let root = tempfile::tempdir().unwrap();
    let logistic = root.path().join("logistic");
    let run = compare(
        tiny(),
        &logistic,
        &[&FAST[..], &["--model-kind", "logistic"]].concat(),
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let model = std::fs::read_to_string(logistic.join("model.json")).unwrap();
    assert!(model.contains("\"kind\": \"logistic\""));
    let html = std::fs::read_to_string(logistic.join("report.html")).unwrap();
    assert!(html.contains("Logistic regression trained on"));

    let both = root.path().join("both");
    let run = compare(
        tiny(),
        &both,
        &[&FAST[..], &["--logistic-baseline"]].concat(),
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let model = std::fs::read_to_string(both.join("model.json")).unwrap();
    assert!(model.contains("\"kind\": \"gbt\""));
    let html = std::fs::read_to_string(both.join("report.html")).unwrap();
    assert!(html.contains("Gradient-boosted trees trained on"));
    assert!(html.contains("Precision@5 of learned (gbt) minus learned_logistic"));
    let metrics = metric_map(&both);
    assert!(metrics.contains_key(&(
        "learned_logistic".to_owned(),
        Some(5),
        "precision".to_owned(),
        "all".to_owned()
    )));
    let run = compare(
        tiny(),
        &root.path().join("bad"),
        &[&FAST[..], &["--model-kind", "forest"]].concat(),
        None,
    );
    assert_eq!(run.status.code(), Some(2));
}

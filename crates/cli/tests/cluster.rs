//! Partitioned runs on loopback (`tierank cluster`, the process flags of `rank`): the same
//! rows as the single-process run at every process and worker count, and loud, bounded
//! failure when a process dies or a peer cannot be reached.
//!
//! Every child runs under a deadline and is killed when it passes, so a hang fails the test
//! instead of blocking CI; each child's output goes to its own log file.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use arrow::array::{Array, DictionaryArray, Float64Array, Int32Array, Int64Array, StringArray};
use arrow::datatypes::Int8Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Longest a child may run (tiny datasets take about a second).
const DEADLINE: Duration = Duration::from_secs(120);

type Row = (i64, String, i32, i64, f64);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tierank")
}

/// A fresh directory under cargo's per-test-target temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cluster")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `args` with stdout and stderr in `log`.
fn spawn(args: &[&str], log: &Path, env: &[(&str, &str)]) -> Child {
    let out = File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("RAYON_NUM_THREADS", "2")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits for `child` until `deadline`; kills it and fails the test when it passes.
fn wait(child: &mut Child, deadline: Instant, log: &Path) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} hung; log:\n{}", log.display(), read(log));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Runs tierank to completion (with the deadline) and returns status and log.
fn tierank(args: &[&str], log: &Path) -> (ExitStatus, String) {
    let mut child = spawn(args, log, &[]);
    let status = wait(&mut child, Instant::now() + DEADLINE, log);
    (status, read(log))
}

/// The `tiny` network, generated once for every test of this file.
fn tiny() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = scratch("data");
        let data = dir.join("tiny");
        let (status, log) = tierank(
            &[
                "generate",
                "--preset",
                "tiny",
                "--seed",
                "5",
                "--out",
                data.to_str().unwrap(),
            ],
            &dir.join("generate.log"),
        );
        assert!(status.success(), "{log}");
        data
    })
}

/// Copies `tiny`'s event parts into `data/events/`, for tests that change its other files.
fn copy_tiny_events(data: &Path) {
    std::fs::create_dir_all(data.join("events")).unwrap();
    for entry in std::fs::read_dir(tiny().join("events")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), data.join("events").join(entry.file_name())).unwrap();
    }
}

/// `tierank cluster -n 2 --logs LOGS --`, to which a test appends its command.
fn cluster_of_two(logs: &Path) -> Vec<String> {
    ["cluster", "-n", "2", "--logs", logs.to_str().unwrap(), "--"]
        .map(str::to_owned)
        .to_vec()
}

/// The ranking arguments every run here shares: all heuristics, 60 sampled targets.
fn rank_args(out: &Path) -> Vec<String> {
    [
        "rank",
        "--data",
        tiny().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--sample",
        "60",
        "--heuristics",
        "all",
        "--k",
        "5",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Rows of a rankings file, in file order.
fn read_rankings(path: &Path) -> Vec<Row> {
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

/// The single-process rows, computed once.
fn single_process_rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let dir = scratch("single");
        let out = dir.join("rank.parquet");
        let args = rank_args(&out);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, log) = tierank(&args, &dir.join("rank.log"));
        assert!(status.success(), "{log}");
        let rows = read_rankings(&out);
        let heuristics: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(heuristics.len(), 16, "every heuristic runs on tiny");
        rows
    })
}

/// The single-process rows without `ppr` (whose partitioned scores come from the
/// distributed push, within its error bound of these), in file order.
fn single_process_rows_partitionable() -> Vec<Row> {
    without_ppr(single_process_rows())
}

fn without_ppr(rows: &[Row]) -> Vec<Row> {
    rows.iter().filter(|r| r.1 != "ppr").cloned().collect()
}

fn only_ppr(rows: &[Row]) -> Vec<Row> {
    rows.iter().filter(|r| r.1 == "ppr").cloned().collect()
}

/// Mean share of each target's top-k `ppr` friends that two runs agree on.
fn top_k_overlap(a: &[Row], b: &[Row]) -> f64 {
    use std::collections::{BTreeMap, BTreeSet};
    let sets = |rows: &[Row]| {
        let mut m: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for r in rows {
            m.entry(r.0).or_default().insert(r.3);
        }
        m
    };
    let (a, b) = (sets(a), sets(b));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same targets"
    );
    let mut sum = 0.0;
    for (t, x) in &a {
        let y = &b[t];
        assert_eq!(x.len(), y.len(), "target {t}: as many ppr rows");
        sum += x.intersection(y).count() as f64 / x.len() as f64;
    }
    sum / a.len() as f64
}

/// What one process of a partitioned run read: (tie rows, all tie rows, event rows, all
/// event rows), from its log line `read A of B tie rows, C person rows, D of E event rows`.
fn rows_read(log: &str) -> (u64, u64, u64, u64) {
    let line = log
        .lines()
        .find(|l| l.starts_with("process ") && l.contains(" tie rows, "))
        .unwrap_or_else(|| panic!("no read line in:\n{log}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| -> u64 { words[i].trim_end_matches(',').parse().unwrap() };
    let at = words.iter().position(|w| *w == "read").unwrap();
    // read A of B tie rows, C person rows, D of E event rows; ...
    (num(at + 1), num(at + 3), num(at + 9), num(at + 11))
}

/// Runs `tierank cluster -n processes -w workers -- rank ...` and returns its rows and each
/// process's log.
fn cluster_run(processes: usize, workers: usize) -> (Vec<Row>, Vec<String>) {
    let dir = scratch(&format!("n{processes}w{workers}"));
    let out = dir.join("rank.parquet");
    let (n, w) = (processes.to_string(), workers.to_string());
    let logs = dir.join("logs");
    let mut args = vec![
        "cluster",
        "--processes",
        &n,
        "--workers",
        &w,
        "--logs",
        logs.to_str().unwrap(),
        "--",
    ];
    let rank = rank_args(&out);
    args.extend(rank.iter().map(String::as_str));
    let (status, log) = tierank(&args, &dir.join("cluster.log"));
    assert!(status.success(), "{log}");
    let logs: Vec<String> = (0..processes)
        .map(|p| {
            let path = logs.join(format!("process-{p}.log"));
            assert!(path.is_file(), "process {p} has its own log");
            read(&path)
        })
        .collect();
    (read_rankings(&out), logs)
}

fn cluster_rows(processes: usize, workers: usize) -> Vec<Row> {
    cluster_run(processes, workers).0
}

fn sorted(rows: &[Row]) -> Vec<Row> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        (a.0, &a.1, a.2)
            .cmp(&(b.0, &b.1, b.2))
            .then(a.3.cmp(&b.3))
            .then(a.4.total_cmp(&b.4))
    });
    rows
}

#[test]
fn three_processes_of_two_workers_write_the_single_process_rows() {
    let single = single_process_rows_partitionable();
    let (rows, logs) = cluster_run(3, 2);
    // Every heuristic but ppr runs the single-process kernel on a wave's ball built from
    // the partitioned load, so the rows are identical (bit for bit in the scores), and
    // process 0 writes them in the same order.
    let heuristics: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(heuristics.len(), 16, "every heuristic: {heuristics:?}");
    let (ppr, rows) = (only_ppr(&rows), without_ppr(&rows));
    assert_eq!(rows.len(), single.len());
    assert_eq!(sorted(&rows), sorted(&single));
    assert_eq!(rows, single, "process 0 writes in single-process order");
    // ppr is the distributed push: the same friends as the single-machine push, but for
    // the order of friends whose scores lie within the push's error bound of each other.
    let single_ppr = only_ppr(single_process_rows());
    assert_eq!(ppr.len(), single_ppr.len());
    let overlap = top_k_overlap(&ppr, &single_ppr);
    assert!(overlap >= 0.99, "top-5 ppr overlap {overlap}");
    // The load is partitioned: each process read a strict part of the ties and events,
    // and together exactly all of them.
    let read: Vec<(u64, u64, u64, u64)> = logs.iter().map(|l| rows_read(l)).collect();
    let (ties, events) = (read[0].1, read[0].3);
    assert!(ties > 0 && events > 0, "{read:?}");
    for (p, r) in read.iter().enumerate() {
        assert!(
            r.0 < ties && r.2 < events,
            "process {p} read only its share: {read:?}"
        );
        assert!(r.0 > 0 && r.2 > 0, "process {p} read a share: {read:?}");
    }
    assert_eq!(read.iter().map(|r| r.0).sum::<u64>(), ties, "{read:?}");
    assert_eq!(read.iter().map(|r| r.2).sum::<u64>(), events, "{read:?}");
    // Each event is held once, by the owner of its sender (the owner of its receiver gets
    // the direction folded), and crosses the network at most once: 49 bytes a record.
    let held: Vec<(u64, u64)> = logs.iter().map(|l| events_held_and_sent(l)).collect();
    let held_events: u64 = held.iter().map(|h| h.0).sum();
    assert!(
        held_events > 0 && held_events <= events,
        "at most one copy of each of {events} events: {held:?}"
    );
    for (p, (h, r)) in held.iter().zip(&read).enumerate() {
        assert!(
            h.1 <= 49 * r.2,
            "process {p} sent each of the {} event rows it read at most once: {held:?}",
            r.2
        );
    }
}

/// What one process held and sent of the events: (event records held, bytes of event
/// records sent to other processes), from its log lines `...; held A tie and B event
/// records` and `... sent N bytes (ties T, events E, ...`.
fn events_held_and_sent(log: &str) -> (u64, u64) {
    let after = |marker: &str| -> u64 {
        let at = log
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker:?} in:\n{log}"));
        log[at + marker.len()..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let held_line = log
        .lines()
        .find(|l| l.contains("; held "))
        .unwrap_or_else(|| panic!("no held line in:\n{log}"));
    let words: Vec<&str> = held_line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "held").unwrap();
    // held A tie and B event records
    (words[at + 4].parse().unwrap(), after(", events "))
}

#[test]
fn every_process_and_worker_count_writes_the_same_rows() {
    let single = sorted(&single_process_rows_partitionable());
    // The distributed push runs in synchronous rounds and sums in a fixed order: its rows
    // are bit-identical at every shape.
    let mut first_ppr: Option<Vec<Row>> = None;
    for (processes, workers) in [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1)] {
        let rows = cluster_rows(processes, workers);
        assert_eq!(
            sorted(&without_ppr(&rows)),
            single,
            "{processes} processes x {workers} workers"
        );
        let ppr = sorted(&only_ppr(&rows));
        assert!(!ppr.is_empty());
        match &first_ppr {
            None => first_ppr = Some(ppr),
            Some(first) => assert_eq!(
                &ppr, first,
                "ppr at {processes} processes x {workers} workers"
            ),
        }
    }
}

#[test]
fn a_small_memory_budget_runs_in_many_waves_with_the_same_rows() {
    let dir = scratch("waves");
    let out = dir.join("rank.parquet");
    let logs = dir.join("logs");
    let mut args = cluster_of_two(&logs);
    args.extend(rank_args(&out));
    args.extend(["--memory-budget".to_owned(), "64K".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, log) = tierank(&args, &dir.join("cluster.log"));
    assert!(status.success(), "{log}");
    let waves: u64 = log
        .split(" waves")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no wave count in:\n{log}"));
    assert!(waves > 1, "a 64K budget takes several waves: {log}");
    assert_eq!(
        without_ppr(&read_rankings(&out)),
        single_process_rows_partitionable()
    );
}

/// The number before `suffix` in `line` (`"ball 123 bytes"`, `" bytes"` gives 123).
fn number_before(line: &str, suffix: &str) -> Option<u64> {
    line.split(suffix)
        .next()?
        .rsplit([' ', '(', ','])
        .next()?
        .parse()
        .ok()
}

/// `--memory-budget` is a bound, not an estimate: every ball of a wave of several targets
/// is within it, as planned to the byte. `tiny` is dense (one target's ball is up to
/// 26.6 MB), so 60 targets at 28 MiB take several waves of one to a few targets per worker;
/// the plan from the mean person's size that came before assembled balls of 29.5 MB here.
#[test]
fn every_ball_of_several_targets_is_within_the_memory_budget() {
    const BUDGET: u64 = 28 << 20;
    let dir = scratch("budget");
    let out = dir.join("rank.parquet");
    let logs = dir.join("logs");
    let mut args = cluster_of_two(&logs);
    args.extend(rank_args(&out));
    args.extend(["--memory-budget".to_owned(), "28M".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log_path = dir.join("cluster.log");
    let mut child = spawn(
        &args,
        &log_path,
        &[("RUST_LOG", "tierank_dist::partition=debug")],
    );
    let status = wait(&mut child, Instant::now() + DEADLINE, &log_path);
    assert!(status.success(), "{}", read(&log_path));
    let mut shared_waves = 0;
    for p in 0..2 {
        let log = read(&logs.join(format!("process-{p}.log")));
        let summary = log
            .lines()
            .find(|l| l.starts_with(&format!("process {p}: ranked")))
            .unwrap_or_else(|| panic!("no summary in:\n{log}"));
        let largest = number_before(summary, " bytes")
            .unwrap_or_else(|| panic!("no largest ball in {summary}"));
        let alone = number_before(summary, " targets over the budget alone").unwrap_or(0);
        assert!(largest <= BUDGET || alone > 0, "{summary}");
        // One line per wave: "wave R: T targets, ball B bytes (planned P), ...".
        let waves: Vec<(u64, u64, u64)> = log
            .lines()
            .filter_map(|l| l.split_once(": wave ").map(|(_, w)| w))
            .map(|w| {
                let targets = number_before(w, " targets").unwrap();
                let ball = number_before(w, " bytes (planned").unwrap();
                let planned = number_before(w, "), assembled").unwrap();
                (targets, ball, planned)
            })
            .collect();
        assert!(!waves.is_empty(), "no wave lines in:\n{log}");
        for &(targets, ball, planned) in &waves {
            assert_eq!(ball, planned, "the plan counts the ball exactly:\n{log}");
            assert!(targets == 1 || ball <= BUDGET, "{ball} > {BUDGET}:\n{log}");
            if targets > 1 {
                shared_waves += 1;
            }
        }
    }
    assert!(shared_waves > 0, "some waves hold several targets");
    assert_eq!(
        without_ppr(&read_rankings(&out)),
        single_process_rows_partitionable()
    );
}

#[test]
fn a_bad_row_in_the_share_of_process_2_stops_the_run_with_exit_2_naming_it() {
    use arrow::array::{ArrayRef, RecordBatch};
    use std::sync::Arc;
    let dir = scratch("bad-row");
    let data = dir.join("data");
    copy_tiny_events(&data);
    if tiny().join("persons.parquet").is_file() {
        std::fs::copy(tiny().join("persons.parquet"), data.join("persons.parquet")).unwrap();
    }
    // ties.parquet with a negative id in its last row: with 3 workers and one row group,
    // worker 2 (process 2) reads the last third of the rows.
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(File::open(tiny().join("ties.parquet")).unwrap())
            .unwrap();
    assert_eq!(
        reader.metadata().num_row_groups(),
        1,
        "tiny's ties are one row group"
    );
    let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
    let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let rows = batch.num_rows();
    let index = batch.schema().index_of("src").unwrap();
    let src = batch
        .column(index)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    let mut values: Vec<i64> = src.values().to_vec();
    values[rows - 1] = -7;
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns[index] = Arc::new(Int64Array::from(values));
    let bad = RecordBatch::try_new(batch.schema(), columns).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        File::create(data.join("ties.parquet")).unwrap(),
        bad.schema(),
        None,
    )
    .unwrap();
    writer.write(&bad).unwrap();
    writer.close().unwrap();

    let out = dir.join("rank.parquet");
    let logs = dir.join("logs");
    let (status, log) = tierank(
        &[
            "cluster",
            "-n",
            "3",
            "--logs",
            logs.to_str().unwrap(),
            "--",
            "rank",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--sample",
            "5",
            "--heuristics",
            "degree",
            "--k",
            "3",
        ],
        &dir.join("cluster.log"),
    );
    assert_eq!(status.code(), Some(2), "{log}");
    let row = format!("row {}", rows - 1);
    let p2 = read(&logs.join("process-2.log"));
    for text in [&log, &p2] {
        assert!(
            text.contains("ties.parquet") && text.contains("src") && text.contains(&row),
            "names file, column and row {row}:\n{text}"
        );
    }
    assert!(!out.exists(), "nothing written");

    // With tiny's manifest beside them, the changed ties.parquet is refused by its checksum
    // before any row is decoded, as a single-process run refuses it (exit 2, naming it):
    // a partitioned run hashes each file on one worker.
    std::fs::copy(tiny().join("manifest.json"), data.join("manifest.json")).unwrap();
    let (status, log) = tierank(
        &[
            "cluster",
            "-n",
            "3",
            "--logs",
            logs.to_str().unwrap(),
            "--",
            "rank",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--sample",
            "5",
            "--heuristics",
            "degree",
            "--k",
            "3",
        ],
        &dir.join("cluster-manifest.log"),
    );
    assert_eq!(status.code(), Some(2), "{log}");
    let single = dir.join("single.log");
    let (one, one_log) = tierank(
        &[
            "rank",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--sample",
            "5",
            "--heuristics",
            "degree",
            "--k",
            "3",
        ],
        &single,
    );
    assert_eq!(one.code(), Some(2), "{one_log}");
    let error = one_log
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or_else(|| panic!("no error line:\n{one_log}"));
    let refusal = "ties.parquet: checksum mismatch";
    assert!(error.contains(refusal), "{error}");
    for p in 0..3 {
        let text = read(&logs.join(format!("process-{p}.log")));
        assert!(text.contains(refusal), "process {p}:\n{text}");
    }
    assert!(!out.exists(), "nothing written");
}

#[test]
fn strict_refuses_what_one_process_refuses_or_writes_the_same_rows() {
    // --strict partitioned: self-loops, repeated friendships and events between people who
    // are not friends are counted across the workers, and the message names the row the
    // single-process load names (tiny's group-chat replies between non-friends are such
    // events).
    let dir = scratch("strict");
    let args = |out: &Path| {
        let mut a = rank_args(out);
        a.push("--strict".into());
        a
    };
    let single_out = dir.join("single.parquet");
    let single_args = args(&single_out);
    let single_args: Vec<&str> = single_args.iter().map(String::as_str).collect();
    let (single, single_log) = tierank(&single_args, &dir.join("single.log"));
    let out = dir.join("rank.parquet");
    let logs = dir.join("logs");
    let mut cluster = vec![
        "cluster",
        "-n",
        "3",
        "-w",
        "2",
        "--logs",
        logs.to_str().unwrap(),
        "--",
    ];
    let rank = args(&out);
    cluster.extend(rank.iter().map(String::as_str));
    let (status, log) = tierank(&cluster, &dir.join("cluster.log"));
    if single.success() {
        assert!(status.success(), "{log}");
        assert_eq!(
            without_ppr(&read_rankings(&out)),
            without_ppr(&read_rankings(&single_out))
        );
        return;
    }
    assert_eq!(single.code(), Some(2), "{single_log}");
    assert_eq!(status.code(), Some(2), "{log}");
    let line = single_log
        .lines()
        .find(|l| l.contains("refused in strict mode"))
        .unwrap_or_else(|| panic!("no strict refusal:\n{single_log}"));
    let data = tiny().to_str().unwrap();
    let refusal = &line[line.find(data).expect("names the file")..];
    for p in 0..3 {
        let text = read(&logs.join(format!("process-{p}.log")));
        assert!(
            text.contains(refusal),
            "process {p} says {refusal:?}:\n{text}"
        );
    }
    assert!(!out.exists(), "nothing written");
}

/// A copy of `tiny` (without its manifest) whose ties.parquet has `extra` rows appended:
/// each a copy of tie row `from`, with src and dst swapped when `swap`, or dst set to src
/// when `self_loop`.
fn tiny_with_extra_ties(name: &str, extra: &[(usize, bool, bool)]) -> PathBuf {
    use arrow::array::{ArrayRef, RecordBatch};
    use std::sync::Arc;
    let data = scratch(name).join("data");
    copy_tiny_events(&data);
    if tiny().join("persons.parquet").is_file() {
        std::fs::copy(tiny().join("persons.parquet"), data.join("persons.parquet")).unwrap();
    }
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(File::open(tiny().join("ties.parquet")).unwrap())
            .unwrap();
    let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
    let mut all = vec![arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()];
    let (si, di) = (
        all[0].schema().index_of("src").unwrap(),
        all[0].schema().index_of("dst").unwrap(),
    );
    for &(from, swap, self_loop) in extra {
        let row = all[0].slice(from, 1);
        let mut columns: Vec<ArrayRef> = row.columns().to_vec();
        let (src, dst) = (Arc::clone(&columns[si]), Arc::clone(&columns[di]));
        if swap {
            columns[si] = Arc::clone(&dst);
            columns[di] = src;
        } else if self_loop {
            columns[di] = src;
        }
        all.push(RecordBatch::try_new(row.schema(), columns).unwrap());
    }
    let ties = arrow::compute::concat_batches(&all[0].schema(), &all).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        File::create(data.join("ties.parquet")).unwrap(),
        ties.schema(),
        None,
    )
    .unwrap();
    writer.write(&ties).unwrap();
    writer.close().unwrap();
    data
}

#[test]
fn strict_refuses_self_loops_then_repeated_friendships_naming_the_single_process_row() {
    // Rows appended to tiny's ties: a repeat of row 3 (reversed) and of row 7, then (second
    // dataset) also a self-loop. Each refusal is counted across the workers and names the
    // row the single-process load names.
    for (name, extra, what) in [
        (
            "strict-repeat",
            &[(3, true, false), (7, false, false)][..],
            "duplicate tie(s)",
        ),
        (
            "strict-loop",
            &[(3, true, false), (5, false, true)][..],
            "self-loop tie(s)",
        ),
    ] {
        let data = tiny_with_extra_ties(name, extra);
        let dir = data.parent().unwrap().to_owned();
        let out = dir.join("rank.parquet");
        let rank = [
            "rank",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--sample",
            "5",
            "--heuristics",
            "degree",
            "--k",
            "3",
            "--strict",
        ];
        let (single, single_log) = tierank(&rank, &dir.join("single.log"));
        assert_eq!(single.code(), Some(2), "{single_log}");
        let line = single_log
            .lines()
            .find(|l| l.contains("refused in strict mode"))
            .unwrap_or_else(|| panic!("no strict refusal:\n{single_log}"));
        assert!(line.contains(what), "{line}");
        let refusal = &line[line.find(data.to_str().unwrap()).expect("names the file")..];
        let logs = dir.join("logs");
        let mut cluster = vec![
            "cluster",
            "-n",
            "2",
            "-w",
            "2",
            "--logs",
            logs.to_str().unwrap(),
            "--",
        ];
        cluster.extend(rank);
        let (status, log) = tierank(&cluster, &dir.join("cluster.log"));
        assert_eq!(status.code(), Some(2), "{log}");
        for p in 0..2 {
            let text = read(&logs.join(format!("process-{p}.log")));
            assert!(
                text.contains(refusal),
                "process {p} says {refusal:?}:\n{text}"
            );
        }
        assert!(!out.exists(), "nothing written");
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Starts `started` of the processes of a `processes`-process cluster by hand.
fn start_by_hand(
    dir: &Path,
    processes: usize,
    started: usize,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Vec<Child>, PathBuf) {
    let out = dir.join("rank.parquet");
    let children = start_command_by_hand(dir, processes, started, &rank_args(&out), extra, env);
    (children, out)
}

/// Starts `started` of the processes of a `processes`-process cluster running `command`
/// by hand, each with its log in `dir/process-I.log`.
fn start_command_by_hand(
    dir: &Path,
    processes: usize,
    started: usize,
    command: &[String],
    extra: &[&str],
    env: &[(&str, &str)],
) -> Vec<Child> {
    let hostfile = dir.join("hosts.txt");
    let hosts: String = free_ports(processes)
        .iter()
        .map(|p| format!("127.0.0.1:{p}\n"))
        .collect();
    std::fs::write(&hostfile, hosts).unwrap();
    let n = processes.to_string();
    (0..started)
        .map(|p| {
            let p = p.to_string();
            let mut args = command.to_vec();
            args.extend(
                [
                    "-v",
                    "--processes",
                    &n,
                    "--process",
                    &p,
                    "--hostfile",
                    hostfile.to_str().unwrap(),
                ]
                .map(str::to_owned),
            );
            args.extend(extra.iter().map(|s| (*s).to_owned()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            spawn(&args, &dir.join(format!("process-{p}.log")), env)
        })
        .collect()
}

#[test]
fn a_killed_process_stops_every_other_naming_it_and_nothing_is_written() {
    let dir = scratch("killed");
    let (mut children, out) = start_by_hand(&dir, 3, 3, &[], &[("TIERANK_DIST_HOLD_MS", "60000")]);
    let log = |p: usize| dir.join(format!("process-{p}.log"));
    let connected = Instant::now() + DEADLINE;
    for p in 0..3 {
        while !read(&log(p)).contains("processes connected") {
            if Instant::now() > connected {
                for c in &mut children {
                    let _ = c.kill();
                }
                panic!("process {p} did not connect:\n{}", read(&log(p)));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // kill -9.
    children[1].kill().unwrap();
    children[1].wait().unwrap();
    let killed = Instant::now();
    // Each survivor names the first peer it lost. That is process 1 for at least one of
    // them; the other may see the first survivor exit before it notices process 1 (under
    // load its network thread for process 1 can be scheduled late), and then rightly
    // names that survivor.
    let mut named_the_killed_one = false;
    for p in [0, 2] {
        let status = wait(&mut children[p], killed + Duration::from_secs(30), &log(p));
        assert_eq!(status.code(), Some(1), "{}", read(&log(p)));
        let other = 2 - p;
        let text = read(&log(p));
        assert!(
            text.contains("lost process 1") || text.contains(&format!("lost process {other}")),
            "process {p} names a lost process:\n{text}"
        );
        named_the_killed_one |= text.contains("lost process 1");
    }
    assert!(
        named_the_killed_one,
        "no survivor named process 1:\n{}\n{}",
        read(&log(0)),
        read(&log(2))
    );
    assert!(
        killed.elapsed() < Duration::from_secs(30),
        "{:?}",
        killed.elapsed()
    );
    assert!(!out.exists(), "no output after a failure");
}

#[test]
fn an_unreachable_peer_stops_the_others_within_the_connect_timeout() {
    let dir = scratch("unreachable");
    // Process 2 of 3 never starts.
    let (mut children, out) = start_by_hand(&dir, 3, 2, &["--connect-timeout", "2"], &[]);
    let started = Instant::now();
    for (p, child) in children.iter_mut().enumerate() {
        let log = dir.join(format!("process-{p}.log"));
        let status = wait(child, started + DEADLINE, &log);
        assert_eq!(status.code(), Some(1), "{}", read(&log));
        assert!(
            read(&log).contains("process 2"),
            "process {p} names the unreachable process:\n{}",
            read(&log)
        );
    }
    assert!(!out.exists(), "no output after a failure");
}

#[test]
fn cluster_stops_and_names_a_failed_process() {
    let dir = scratch("failed");
    let logs = dir.join("logs");
    let missing = dir.join("no-such-dataset");
    let (status, log) = tierank(
        &[
            "cluster",
            "-n",
            "2",
            "--logs",
            logs.to_str().unwrap(),
            "--",
            "rank",
            "--data",
            missing.to_str().unwrap(),
            "--out",
            dir.join("rank.parquet").to_str().unwrap(),
            "--sample",
            "5",
            "--heuristics",
            "degree",
            "--k",
            "3",
        ],
        &dir.join("cluster.log"),
    );
    // A missing dataset is bad input: every process exits 2, and so does the cluster.
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("process "), "{log}");
    assert!(log.contains("failed"), "{log}");
    assert!(!dir.join("rank.parquet").exists());
}

// ---- `select` partitioned ----

/// Every person of `tiny`, ascending.
fn tiny_people() -> Vec<i64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        File::open(tiny().join("persons.parquet")).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut people: Vec<i64> = reader
        .flat_map(|b| {
            let b = b.unwrap();
            let ids = b.column_by_name("person_id").unwrap().clone();
            ids.as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .values()
                .to_vec()
        })
        .collect();
    people.sort_unstable();
    people
}

/// The `alter` column of a selection's audiences.
fn selected_alters(out: &Path) -> Vec<i64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        File::open(out.join("audiences.parquet")).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    reader
        .flat_map(|b| {
            let b = b.unwrap();
            let alter = b.column_by_name("alter").unwrap().clone();
            alter
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .values()
                .to_vec()
        })
        .collect()
}

/// The files every select test here shares: 40 targets spread over the ids, a
/// calibration of `volume` (the select tests' step map), and an opt-out list of people
/// that a top-k:15 selection picks, owned by different workers and processes, written
/// header-less with repeats and ids not in the dataset, one of them a target too.
struct SelectFiles {
    targets: PathBuf,
    calibration: PathBuf,
    opt_outs: PathBuf,
    opted_out: Vec<i64>,
}

fn select_files() -> &'static SelectFiles {
    static FILES: OnceLock<SelectFiles> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = scratch("select-files");
        let people = tiny_people();
        let targets: Vec<i64> = (0..40).map(|i| people[i * people.len() / 40]).collect();
        let targets_path = dir.join("targets.csv");
        let text: String = std::iter::once("person_id\n".to_owned())
            .chain(targets.iter().map(|t| format!("{t}\n")))
            .collect();
        std::fs::write(&targets_path, text).unwrap();
        let calibration = dir.join("calibration.json");
        tierank_eval::CalibrationFile {
            format: tierank_eval::CALIBRATION_FORMAT,
            heuristic: "volume".to_owned(),
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
        .save(&calibration)
        .unwrap();
        // Who a top-k:15 selection without opt-outs picks: every third of them opts out.
        let out = dir.join("unrestricted");
        let args = select_args(&targets_path, &out, "volume", "top-k:15");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, log) = tierank(&args, &dir.join("unrestricted.log"));
        assert!(status.success(), "{log}");
        let mut picked = selected_alters(&out);
        picked.sort_unstable();
        picked.dedup();
        let mut opted_out: Vec<i64> = picked.iter().copied().step_by(3).collect();
        opted_out.push(targets[7]);
        // Owned by every worker of a 3 x 2 run and by both processes of a 2 x 1 run.
        let owners = |workers: usize| -> std::collections::BTreeSet<usize> {
            opted_out
                .iter()
                .map(|&p| tierank_dist::owner_of(p, workers))
                .collect()
        };
        assert_eq!(
            owners(6).len(),
            6,
            "opt-outs owned by every worker of 3 x 2"
        );
        assert_eq!(
            owners(2).len(),
            2,
            "opt-outs owned by both processes of 2 x 1"
        );
        // Header-less, repeated, and with people who are not in the dataset.
        let mut lines: Vec<String> = opted_out.iter().map(|p| format!("{p}\n")).collect();
        lines.push(format!("{}\n", opted_out[0]));
        lines.push("999999999999\n".to_owned());
        lines.push(format!("{}\n", opted_out[1]));
        let opt_outs = dir.join("opt-outs.csv");
        std::fs::write(&opt_outs, lines.concat()).unwrap();
        SelectFiles {
            targets: targets_path,
            calibration,
            opt_outs,
            opted_out,
        }
    })
}

fn select_args(targets: &Path, out: &Path, heuristic: &str, policy: &str) -> Vec<String> {
    [
        "select",
        "--data",
        tiny().to_str().unwrap(),
        "--targets",
        targets.to_str().unwrap(),
        "--heuristic",
        heuristic,
        "--policy",
        policy,
        "--out",
        out.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Runs `command` on one process (no `cluster`) or through `tierank cluster -n N -w W`,
/// with each process's log in its own file under `dir`.
fn run_select(dir: &Path, name: &str, shape: Option<(usize, usize)>, command: &[String]) {
    let mut args: Vec<String> = Vec::new();
    if let Some((n, w)) = shape {
        let logs = dir.join(format!("{name}-logs"));
        args.extend(
            [
                "cluster",
                "-n",
                &n.to_string(),
                "-w",
                &w.to_string(),
                "--logs",
                logs.to_str().unwrap(),
                "--",
            ]
            .map(|s| s.to_owned()),
        );
    }
    args.extend(command.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, log) = tierank(&args, &dir.join(format!("{name}.log")));
    assert!(status.success(), "{name}: {log}");
}

/// The audit record without its command line, the one field that differs between a
/// single-process run and a cluster's (whose processes get their process flags), and
/// without the request's `out`, which differs only because this test writes each run to
/// its own directory.
fn audit_without_command_line(out: &Path) -> serde_json::Value {
    let mut audit: serde_json::Value =
        serde_json::from_str(&read(&out.join("audit.json"))).unwrap();
    audit["command_line"] = serde_json::Value::Null;
    audit["request"]["out"] = serde_json::Value::Null;
    audit
}

#[test]
fn select_partitioned_writes_the_single_process_selection_under_every_policy() {
    let files = select_files();
    let dir = scratch("select");
    let cal = files.calibration.to_str().unwrap();
    let opt_outs = files.opt_outs.to_str().unwrap();
    // (policy, heuristic, calibrated): the policies of the select tests; a two-hop
    // heuristic for some, so that the balls matter.
    let cases: [(&str, &str, bool); 6] = [
        ("top-k:3", "jaccard", false),
        ("threshold:30", "volume", false),
        ("coverage:50", "dispersion", false),
        ("budget:20,cap:1", "common_neighbors", false),
        ("budget:30,cap:2", "volume", true),
        ("probability:0.5", "volume", true),
    ];
    let mut notices = 0;
    for (policy, heuristic, calibrated) in cases {
        for opt_out in ["none", "listed", "strict"] {
            if opt_out == "none" && !policy.starts_with("top-k") && !policy.starts_with("budget") {
                continue;
            }
            let case = format!("{}-{heuristic}-{opt_out}", policy.replace([':', ','], "-"));
            let command = |out: &Path| {
                let mut args = select_args(&files.targets, out, heuristic, policy);
                if calibrated {
                    args.extend(["--calibration".to_owned(), cal.to_owned()]);
                }
                if opt_out != "none" {
                    args.extend(["--exclude".to_owned(), opt_outs.to_owned()]);
                }
                if opt_out == "strict" {
                    args.push("--strict-minimization".to_owned());
                }
                args
            };
            let single = dir.join(format!("{case}-single"));
            run_select(&dir, &format!("{case}-single"), None, &command(&single));
            let selected = selected_alters(&single);
            notices += selected.len();
            for shape in [(3, 2), (2, 1)] {
                let name = format!("{case}-n{}w{}", shape.0, shape.1);
                let out = dir.join(&name);
                run_select(&dir, &name, Some(shape), &command(&out));
                for file in ["audiences.parquet", "exposure.parquet"] {
                    assert!(
                        std::fs::read(out.join(file)).unwrap()
                            == std::fs::read(single.join(file)).unwrap(),
                        "{name}: {file} differs from the single-process one"
                    );
                }
                assert_eq!(
                    audit_without_command_line(&out),
                    audit_without_command_line(&single),
                    "{name}: audit.json"
                );
                if opt_out != "none" {
                    let alters = selected_alters(&out);
                    for p in &files.opted_out {
                        assert!(!alters.contains(p), "{name}: opted-out {p} was selected");
                    }
                }
            }
        }
    }
    assert!(notices > 100, "the cases select people: {notices} notices");
}

#[test]
fn a_killed_select_process_leaves_no_output() {
    let files = select_files();
    let dir = scratch("select-killed");
    let out = dir.join("selection");
    let mut command = select_args(&files.targets, &out, "volume", "top-k:3");
    command.extend([
        "--exclude".to_owned(),
        files.opt_outs.to_str().unwrap().to_owned(),
    ]);
    let mut children = start_command_by_hand(
        &dir,
        3,
        3,
        &command,
        &[],
        &[("TIERANK_DIST_HOLD_MS", "60000")],
    );
    let log = |p: usize| dir.join(format!("process-{p}.log"));
    let connected = Instant::now() + DEADLINE;
    for p in 0..3 {
        while !read(&log(p)).contains("processes connected") {
            if Instant::now() > connected {
                for c in &mut children {
                    let _ = c.kill();
                }
                panic!("process {p} did not connect:\n{}", read(&log(p)));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    children[2].kill().unwrap();
    children[2].wait().unwrap();
    let killed = Instant::now();
    for p in [0, 1] {
        let status = wait(&mut children[p], killed + Duration::from_secs(30), &log(p));
        assert_eq!(status.code(), Some(1), "{}", read(&log(p)));
    }
    assert!(!out.exists(), "no output directory after a failure");
    let staged: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("selection"))
        .collect();
    assert!(staged.is_empty(), "nothing staged: {staged:?}");
}

#[test]
fn a_process_over_its_event_budget_spills_and_writes_the_same_rows() {
    // tiny's 2.4 M event rows are about 1.2 M held per process (28 MB); a 4 MB budget makes
    // each fold its events in 7 sender ranges, the later ones' full chunks (4,096 events of
    // one sender shard) spilled to files as they fill.
    let dir = scratch("spill");
    let out = dir.join("rank.parquet");
    let logs = dir.join("logs");
    let mut args = cluster_of_two(&logs);
    args.extend(rank_args(&out));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = dir.join("cluster.log");
    let mut child = spawn(&args, &log, &[("TIERANK_DIST_EVENTS_BUDGET", "4194304")]);
    let status = wait(&mut child, Instant::now() + DEADLINE, &log);
    assert!(status.success(), "{}", read(&log));
    let mut spilled = 0u64;
    for p in 0..2 {
        let text = read(&logs.join(format!("process-{p}.log")));
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("sender ranges"))
            .collect();
        assert_eq!(lines.len(), 1, "process {p}:\n{text}");
        for line in lines {
            let number_before = |marker: &str| -> u64 {
                line.split(marker)
                    .next()
                    .and_then(|s| s.rsplit(' ').next())
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("no number before {marker:?} in {line}"))
            };
            assert!(number_before(" sender ranges") > 1, "{line}");
            spilled += number_before(" bytes spilled");
        }
    }
    assert!(spilled > 0, "nothing spilled:\n{}", read(&log));
    assert_eq!(
        without_ppr(&read_rankings(&out)),
        single_process_rows_partitionable()
    );
}

/// A copy of `tiny` (without its manifest) whose persons.parquet lists one more person, who
/// has no tie: person row 0 with a new id (one above the largest). Returns the copy and
/// the new person.
fn tiny_with_a_friendless_person(name: &str) -> (PathBuf, i64) {
    use arrow::array::{ArrayRef, RecordBatch};
    use std::sync::Arc;
    let data = scratch(name).join("data");
    copy_tiny_events(&data);
    std::fs::copy(tiny().join("ties.parquet"), data.join("ties.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        File::open(tiny().join("persons.parquet")).unwrap(),
    )
    .unwrap();
    let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
    let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let friendless = tiny_people().last().unwrap() + 1;
    let row = all.slice(0, 1);
    let mut columns: Vec<ArrayRef> = row.columns().to_vec();
    columns[all.schema().index_of("person_id").unwrap()] =
        Arc::new(Int64Array::from(vec![friendless]));
    let extra = RecordBatch::try_new(row.schema(), columns).unwrap();
    let persons = arrow::compute::concat_batches(&all.schema(), &[all.clone(), extra]).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        File::create(data.join("persons.parquet")).unwrap(),
        persons.schema(),
        None,
    )
    .unwrap();
    writer.write(&persons).unwrap();
    writer.close().unwrap();
    (data, friendless)
}

#[test]
fn select_partitioned_gives_a_friendless_target_its_empty_audience_like_one_process() {
    // A listed target known only from persons.parquet has no friendship, so no wave's ball
    // held it: its pass was missing and every later target of its wave took the pass of
    // the one after it (the count check then stopped the run with exit 1).
    let (data, friendless) = tiny_with_a_friendless_person("friendless");
    let dir = scratch("friendless-select");
    let people = tiny_people();
    let mut targets: Vec<i64> = (0..6).map(|i| people[i * people.len() / 6]).collect();
    targets.insert(2, friendless);
    let targets_path = dir.join("targets.csv");
    let text: String = std::iter::once("person_id\n".to_owned())
        .chain(targets.iter().map(|t| format!("{t}\n")))
        .collect();
    std::fs::write(&targets_path, text).unwrap();
    let command = |out: &Path| {
        let mut args = select_args(&targets_path, out, "jaccard", "top-k:3");
        args[2] = data.to_str().unwrap().to_owned();
        args
    };
    let single = dir.join("single");
    run_select(&dir, "single", None, &command(&single));
    assert!(!selected_alters(&single).is_empty());
    for shape in [(2, 1), (1, 1)] {
        let name = format!("n{}w{}", shape.0, shape.1);
        let out = dir.join(&name);
        run_select(&dir, &name, Some(shape), &command(&out));
        for file in ["audiences.parquet", "exposure.parquet"] {
            assert!(
                std::fs::read(out.join(file)).unwrap() == std::fs::read(single.join(file)).unwrap(),
                "{name}: {file} differs from the single-process one"
            );
        }
    }
}

// ---- `--checkpoint` ----

/// Runs `tierank cluster -n 2 -- rank …` on `data` with `extra` arguments; returns its
/// rows and the processes' logs joined.
fn checkpointed_run(dir: &Path, name: &str, data: &Path, extra: &[&str]) -> (Vec<Row>, String) {
    let out = dir.join(format!("{name}.parquet"));
    let logs = dir.join(format!("{name}-logs"));
    let mut args = cluster_of_two(&logs);
    let mut rank = rank_args(&out);
    rank[2] = data.to_str().unwrap().to_owned();
    args.extend(rank);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, log) = tierank(&args, &dir.join(format!("{name}.log")));
    assert!(status.success(), "{name}: {log}");
    let logs: String = (0..2)
        .map(|p| read(&logs.join(format!("process-{p}.log"))))
        .collect();
    (read_rankings(&out), logs)
}

#[test]
fn a_checkpoint_lets_a_rerun_skip_the_load_and_write_the_same_rows() {
    // A copy of tiny, so that touching its files does not disturb the other tests.
    let data = tiny_with_extra_ties("checkpoint-data", &[]);
    let dir = scratch("checkpoint");
    let checkpoints = dir.join("checkpoints");
    let flag = ["--checkpoint", checkpoints.to_str().unwrap()];
    const RESUMED: &str = "resumed from its workers' checkpoints";

    let (first, logs) = checkpointed_run(&dir, "first", &data, &flag);
    assert!(!logs.contains(RESUMED), "{logs}");
    for w in 0..2 {
        assert!(
            checkpoints.join(format!("worker-{w}-of-2.snap")).is_file(),
            "worker {w}'s checkpoint"
        );
    }
    let (again, again_logs) = checkpointed_run(&dir, "again", &data, &flag);
    assert_eq!(again_logs.matches(RESUMED).count(), 2, "{again_logs}");
    assert_eq!(again, first, "the resumed run's rows");
    // The load's figures are those of the run that wrote the checkpoint.
    let figures = |logs: &str| -> Vec<String> {
        logs.lines()
            .filter(|l| l.contains(" tie rows, "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(figures(&again_logs), figures(&logs));
    assert_eq!(figures(&logs).len(), 2, "{logs}");
    // The same dataset by another path (a symbolic link): resumed.
    let link = dir.join("data-link");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    let (linked, logs) = checkpointed_run(&dir, "linked", &link, &flag);
    assert_eq!(logs.matches(RESUMED).count(), 2, "{logs}");
    assert_eq!(linked, first);

    // A changed input file: not resumed; the rows are those of a fresh load.
    let part = std::fs::read_dir(data.join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let file = File::options().append(true).open(&part).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(file);
    let (touched, logs) = checkpointed_run(&dir, "touched", &data, &flag);
    assert!(!logs.contains(RESUMED), "{logs}");
    assert_eq!(touched, first);

    // Other loader options: not resumed, and rewritten for them.
    let other = [flag[0], flag[1], "--half-life-days", "3"];
    let (_, logs) = checkpointed_run(&dir, "half-life", &data, &other);
    assert!(!logs.contains(RESUMED), "{logs}");
    let (_, logs) = checkpointed_run(&dir, "half-life-again", &data, &other);
    assert_eq!(logs.matches(RESUMED).count(), 2, "{logs}");

    // A checkpoint is a share of the graph: never opened as a snapshot.
    let out = dir.join("as-snapshot.parquet");
    let mut args = rank_args(&out);
    args[2] = checkpoints
        .join("worker-0-of-2.snap")
        .to_str()
        .unwrap()
        .to_owned();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, log) = tierank(&args, &dir.join("as-snapshot.log"));
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("checkpoint of one worker's share"), "{log}");
    assert!(!out.exists());

    // One process has `tierank index`: --checkpoint is refused there.
    let mut args = rank_args(&out);
    args.extend(flag.map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, log) = tierank(&args, &dir.join("single.log"));
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("tierank index"), "{log}");
}

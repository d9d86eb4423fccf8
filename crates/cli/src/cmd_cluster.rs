//! `tierank cluster` and the process flags of a partitioned `tierank rank` and `select`.
//!
//! The logic (ownership, timely, failure handling, the local launcher) lives in
//! `tierank-dist`; this module parses flags and prints.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tierank_dist::launch::{LocalCluster, log_path, run_local};
use tierank_dist::{ClusterSpec, DistError, PartitionedRank, TargetSpec};
use tierank_io::{RankingRows, RankingsWriter};

use crate::util::{bad_input, io_error};

/// Process flags of a partitioned run (timely's conventions, except that the host file
/// has no `-h`, which is help).
#[derive(Debug, Clone, clap::Args)]
pub struct ProcessArgs {
    /// Number of processes of a partitioned run (all given the same arguments).
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1)]
    pub processes: usize,
    /// Index of this process, 0..N.
    #[arg(short = 'p', long, value_name = "I", default_value_t = 0)]
    pub process: usize,
    /// Worker threads per process of a partitioned run; more than 1 (or -n above 1) runs
    /// on timely-dataflow.
    #[arg(short = 'w', long, value_name = "W", default_value_t = 1)]
    pub workers: usize,
    /// Host file: one host:port per process, process 0 first (needed with -n above 1).
    #[arg(long, value_name = "FILE")]
    pub hostfile: Option<PathBuf>,
    /// Seconds to wait for every peer to connect before failing.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub connect_timeout: u64,
    /// Memory budget of one wave of targets per worker of a partitioned run (bytes, or with
    /// a suffix K, M, G): each wave's ball (the folded friendships it is assembled from,
    /// counted exactly before the wave is fetched) stays within it; a target whose ball
    /// alone exceeds it is ranked in a wave of its own. Default 256M.
    #[arg(long, value_name = "SIZE")]
    pub memory_budget: Option<String>,
    /// Directory where each worker of a partitioned run keeps a checkpoint of its load
    /// (worker-W-of-N.snap), written after the load and resumed from by a later run with
    /// the same dataset, input files, loader options and number of workers (a restart
    /// after a failure then skips reading, exchanging and folding); any other run loads
    /// the dataset and rewrites it. One process keeps its load with `tierank index`.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: Option<PathBuf>,
}

impl ProcessArgs {
    /// Whether the run goes through timely (more than one process or worker, or a host
    /// file, as `tierank cluster -n 1` gives).
    pub fn is_partitioned(&self) -> bool {
        self.processes > 1 || self.workers > 1 || self.hostfile.is_some()
    }

    /// The wave memory budget in bytes.
    pub fn memory_budget(&self) -> anyhow::Result<u64> {
        match &self.memory_budget {
            None => Ok(tierank_dist::partition::DEFAULT_MEMORY_BUDGET),
            Some(text) => tierank_api::memory::parse_size(text)
                .map_err(|e| bad_input(format!("--memory-budget: {e}"))),
        }
    }

    /// The checkpoint directory, refused without a partitioned run (one process has
    /// `tierank index`, whose snapshot holds the whole graph).
    pub fn checkpoint(&self) -> anyhow::Result<Option<PathBuf>> {
        match &self.checkpoint {
            Some(_) if !self.is_partitioned() => Err(bad_input(
                "--checkpoint keeps the load of a partitioned run (-n, -w, --hostfile or \
                 `tierank cluster`); one process keeps its load with `tierank index`",
            )),
            other => Ok(other.clone()),
        }
    }

    /// The checked cluster description.
    pub fn spec(&self) -> anyhow::Result<ClusterSpec> {
        ClusterSpec::new(
            self.processes,
            self.process,
            self.workers,
            self.hostfile.as_deref(),
            Duration::from_secs(self.connect_timeout.max(1)),
        )
        .map_err(|e| match e {
            DistError::Usage(m) => bad_input(m),
            other => bad_input(other),
        })
    }
}

/// Ranks partitioned across the cluster on the partitioned load; process 0 writes the
/// whole output at `out`.
pub fn rank(
    spec: &ClusterSpec,
    plan: tierank_api::rank::PartitionedPlan,
    k: usize,
    memory_budget: u64,
    checkpoint: Option<PathBuf>,
    out: &std::path::Path,
    started: std::time::Instant,
) -> anyhow::Result<()> {
    let names: Vec<String> = plan
        .heuristics
        .iter()
        .map(|h| h.name().to_owned())
        .collect();
    let targets = match (plan.target_ids, plan.sample) {
        (Some(ids), _) => TargetSpec::Listed(ids),
        (None, Some(n)) => TargetSpec::Sample { n, seed: plan.seed },
        (None, None) => return Err(bad_input("give --targets FILE or --sample N")),
    };
    let (tie_rows, event_rows) = (plan.shape.tie_rows, plan.shape.event_rows);
    let report = tierank_dist::rank_partitioned_load(
        spec,
        PartitionedRank {
            shape: plan.shape,
            load: plan.load,
            heuristics: plan.heuristics,
            config: plan.config,
            targets,
            k,
            memory_budget,
            window_check: plan.model_check.map(|check| {
                tierank_dist::partition::WindowCheck(Box::new(move |window| {
                    check.check(window).map_err(|e| format!("{e:#}"))
                }))
            }),
            checkpoint,
        },
    )
    .map_err(|e| match e {
        DistError::Input(m) => bad_input(m),
        other => other.into(),
    })?;
    print_load(spec, &report, tie_rows, event_rows);
    println!(
        "process {}: ranked {} targets, {} rows in {} waves (largest ball {} bytes, planned {}; \
         of several targets {} bytes, budget {}; {} targets over the budget alone); sent {} \
         bytes (ties {}, events {}, folded directions {}, folded ties in wave replies {}, \
         rows {}, control {}); {:.1} bytes sent per tie row",
        spec.process,
        report.targets_here,
        report.rows_here,
        report.waves,
        report.peak_ball_bytes,
        report.peak_planned_ball_bytes,
        report.peak_shared_ball_bytes,
        memory_budget,
        report.lone_targets_over_budget,
        report.traffic.total(),
        report.traffic.ties,
        report.traffic.events,
        report.traffic.directions,
        report.traffic.folded,
        report.traffic.rows,
        report.traffic.control,
        report.traffic.total() as f64 / tie_rows.max(1) as f64,
    );
    for (name, time) in &report.heuristic_time {
        println!("  {name:<22} {:>10.3}s thread time", time.as_secs_f64());
    }
    let phases = |write_seconds: f64| print_phases(spec, &report, write_seconds, started);
    if spec.process != 0 {
        phases(0.0);
        return Ok(());
    }
    let write_started = std::time::Instant::now();
    // The event window in the schema, as the single-process rankings file has it.
    let window_record = tierank_api::params::window_record(&tierank_io::LoadReport {
        window: report.window.as_ref().map(|(w, _)| *w),
        window_source: report.window.as_ref().map(|(_, s)| *s),
        has_events: report.window.is_some(),
        events_outside_window: report.events_outside,
        ..tierank_io::LoadReport::default()
    })
    .to_string();
    let batches = tierank_io::RankingsBatches::new(&names)
        .map_err(io_error)?
        .with_metadata("tierank.event_window", &window_record);
    let mut writer = RankingsWriter::with_batches(out, batches).map_err(io_error)?;
    let mut rows = RankingRows::default();
    for chunk in report.rows.chunks(1 << 16) {
        rows.clear();
        for &(_, target, heuristic, rank, alter, score) in chunk {
            let rank = i32::try_from(rank).context("rank exceeds the Int32 output column")?;
            rows.push(target, heuristic, rank, alter, score);
        }
        writer.write(&rows).map_err(io_error)?;
    }
    let written = writer.finish().map_err(io_error)?;
    phases(write_started.elapsed().as_secs_f64());
    println!("wrote {} ({written} rows)", out.display());
    Ok(())
}

/// The line of what one process of a partitioned run read and held (the cluster tests
/// read it).
pub fn print_load(
    spec: &ClusterSpec,
    report: &tierank_dist::partition::PartitionedReport,
    tie_rows: u64,
    event_rows: u64,
) {
    println!(
        "process {} of {} ({} workers): read {} of {tie_rows} tie rows, {} person rows, {} of \
         {event_rows} event rows; held {} tie and {} event records{}",
        spec.process,
        spec.processes,
        spec.workers,
        report.tie_rows_read,
        report.person_rows_read,
        report.event_rows_read,
        report.ties_held,
        report.events_held,
        if report.event_ranges > 1 {
            format!(
                " (folded in {} sender ranges, {} bytes spilled)",
                report.event_ranges, report.events_spilled_bytes
            )
        } else {
            String::new()
        },
    );
    if report.resumed {
        println!(
            "process {}: resumed from its workers' checkpoints (--checkpoint): the load above \
             is the one that wrote them, not repeated",
            spec.process
        );
    }
}

/// The line of one process's phase times and peak memory.
pub fn print_phases(
    spec: &ClusterSpec,
    report: &tierank_dist::partition::PartitionedReport,
    write_seconds: f64,
    started: std::time::Instant,
) {
    let p = &report.phases;
    println!(
        "process {} phases: connect {:.2}s, read {:.2}s, window {:.2}s, exchange {:.2}s, \
             fold {:.2}s, targets {:.2}s, wave exchange {:.2}s, build {:.2}s, rank {:.2}s, \
             gather {:.2}s, write {write_seconds:.2}s; total {:.2}s; peak RSS {}",
        spec.process,
        p.connect.as_secs_f64(),
        p.read.as_secs_f64(),
        p.window.as_secs_f64(),
        p.exchange.as_secs_f64(),
        p.fold.as_secs_f64(),
        p.targets.as_secs_f64(),
        p.wave_exchange.as_secs_f64(),
        p.build.as_secs_f64(),
        p.rank.as_secs_f64(),
        p.gather.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        peak_rss()
    );
}

/// Peak resident set of this process (`VmHWM` of /proc/self/status), for the phase line.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Arguments of `tierank cluster`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of local processes.
    #[arg(short = 'n', long, value_name = "N")]
    pub processes: usize,
    /// Worker threads per process.
    #[arg(short = 'w', long, value_name = "W", default_value_t = 1)]
    pub workers: usize,
    /// Directory of the host file and of each process's log (`process-I.log`); default a
    /// new directory under the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    pub logs: Option<PathBuf>,
    /// The tierank command and its arguments, after `--` (for instance `rank --data D ...`).
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Runs `tierank cluster`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.processes == 0 || args.workers == 0 {
        return Err(bad_input("--processes and --workers must be at least 1"));
    }
    if !matches!(
        args.command.first().map(String::as_str),
        Some("rank" | "select")
    ) {
        return Err(bad_input(
            "tierank cluster runs `rank` or `select` (give: tierank cluster -n N -- rank \
             --data ...)",
        ));
    }
    let log_dir = match args.logs {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("tierank-cluster-{}", std::process::id())),
    };
    let cluster = LocalCluster {
        program: std::env::current_exe().context("cannot find the tierank binary")?,
        args: args.command,
        processes: args.processes,
        workers: args.workers,
        log_dir: log_dir.clone(),
    };
    eprintln!(
        "starting {} processes x {} workers on loopback; logs in {}",
        args.processes,
        args.workers,
        log_dir.display()
    );
    match run_local(&cluster) {
        Ok(()) => {
            let log = std::fs::read_to_string(log_path(&log_dir, 0)).unwrap_or_default();
            print!("{log}");
            Ok(())
        }
        Err(err @ DistError::ProcessFailed { .. }) => {
            let mut bad = false;
            if let DistError::ProcessFailed { log, code, .. } = &err {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                for line in text.lines().filter(|l| l.starts_with("error")) {
                    eprintln!("  {line}");
                }
                // Exit code 2 is bad input (the same error on every process): keep it.
                bad = *code == Some(2);
            }
            let err = anyhow::Error::new(err).context("the cluster was stopped");
            if bad {
                Err(bad_input(format!("{err:#}")))
            } else {
                Err(err)
            }
        }
        Err(err) => Err(err.into()),
    }
}

//! `tierank cluster` and the process flags of a partitioned `tierank rank`.
//!
//! The logic (ownership, timely, failure handling, the local launcher) lives in
//! `tierank-dist`; this module parses flags and prints.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tierank_dist::launch::{LocalCluster, log_path, run_local};
use tierank_dist::{ClusterSpec, DistError};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::Heuristic;
use tierank_heuristics::rank::RankOptions;
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
}

impl ProcessArgs {
    /// Whether the run goes through timely (more than one process or worker, or a host
    /// file, as `tierank cluster -n 1` gives).
    pub fn is_partitioned(&self) -> bool {
        self.processes > 1 || self.workers > 1 || self.hostfile.is_some()
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

/// Where a partitioned ranking writes, and what it reports.
pub struct Output<'a> {
    /// The rankings file (written by process 0).
    pub out: &'a std::path::Path,
    /// The event window record of the file's metadata.
    pub window_record: String,
    /// Seconds spent reading the dataset and building the heuristics.
    pub read_seconds: f64,
}

/// Ranks partitioned across the cluster; process 0 writes the whole output at `out`.
pub fn rank(
    spec: &ClusterSpec,
    graph: Arc<Graph>,
    heuristics: Vec<Box<dyn Heuristic>>,
    targets: Vec<NodeId>,
    k: usize,
    output: &Output<'_>,
) -> anyhow::Result<()> {
    let Output {
        out,
        window_record,
        read_seconds,
    } = output;
    let names: Vec<String> = heuristics.iter().map(|h| h.name().to_owned()).collect();
    let report = tierank_dist::rank_partitioned(
        spec,
        graph,
        Arc::new(heuristics),
        Arc::new(targets),
        k,
        RankOptions::default(),
    )?;
    println!(
        "process {} of {} ({} workers): ranked {} targets, {} rows in {:.2}s; sent {} bytes; \
         gathered in {:.2}s more",
        spec.process,
        spec.processes,
        spec.workers,
        report.targets_here,
        report.rows_here,
        report.rank.as_secs_f64(),
        report.bytes_sent,
        report.exchange.as_secs_f64()
    );
    for (name, time) in &report.heuristic_time {
        println!("  {name:<22} {:>10.3}s thread time", time.as_secs_f64());
    }
    let phases = |write_seconds: f64| {
        println!(
            "process {} phases: read+build {read_seconds:.2}s, connect {:.2}s, rank {:.2}s, \
             exchange {:.2}s, write {write_seconds:.2}s; peak RSS {}",
            spec.process,
            report.connect.as_secs_f64(),
            report.rank.as_secs_f64(),
            report.exchange.as_secs_f64(),
            peak_rss()
        );
    };
    if spec.process != 0 {
        phases(0.0);
        return Ok(());
    }
    let write_started = std::time::Instant::now();
    // The event window in the schema, as the single-process rankings file has it.
    let batches = tierank_io::RankingsBatches::new(&names)
        .map_err(io_error)?
        .with_metadata("tierank.event_window", window_record);
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
    if args.command.first().map(String::as_str) != Some("rank") {
        return Err(bad_input(
            "tierank cluster runs `rank` (give: tierank cluster -n N -- rank --data ...)",
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
            if let DistError::ProcessFailed { log, .. } = &err {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                for line in text.lines().filter(|l| l.starts_with("error")) {
                    eprintln!("  {line}");
                }
            }
            Err(anyhow::Error::new(err).context("the cluster was stopped"))
        }
        Err(err) => Err(err.into()),
    }
}

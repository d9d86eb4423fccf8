//! `tierank select`: parses the arguments into a [`SelectRequest`] (crate `tierank-api`: it
//! chooses who is shown a notice about each target, under a policy, and writes the
//! audiences, the exposure per target and an audit record into one directory), and prints
//! the exposure summary. The rules of selection are in `docs/selection.md`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use tierank_api::select::{AUDIENCES_FILE, AUDIT_FILE, EXPOSURE_FILE};
use tierank_api::{SelectOutcome, SelectRequest};
use tierank_select::EXPOSURE_CONFIDENCE;

use crate::params::{HeuristicArgs, heuristics_help};
use crate::util::{CliProgress, api_error};

/// How many targets the printed summary lists.
const SUMMARY_TARGETS: usize = 5;

/// Arguments of `tierank select`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Dataset directory (ties.parquet, events/, ...), or a graph snapshot file written by
    /// `tierank index` (a directory's up-to-date snapshot is used on its own).
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// File of target person ids: Parquet or CSV, column `person_id` or a single column.
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// The heuristic that scores each target's friends (one name, as in `rank`).
    #[arg(long, value_name = "H", help = heuristics_help(
        "The heuristic that scores each target's friends (one name, as in `rank`)."))]
    pub heuristic: String,
    /// top-k:K, threshold:X, coverage:P, probability:P, budget:B or budget:B,cap:C.
    #[arg(long, value_name = "POLICY")]
    pub policy: String,
    /// People who opted out (Parquet or CSV of person ids): never selected.
    #[arg(long, value_name = "FILE")]
    pub exclude: Option<PathBuf>,
    /// Also remove the excluded people's ties and interactions before scoring, so their
    /// data is not evidence about anyone else.
    #[arg(long)]
    pub strict_minimization: bool,
    /// Minimum number of interaction events, both directions, between a target and a
    /// selected friend (0: no minimum).
    #[arg(long, value_name = "M", default_value_t = 0)]
    pub min_evidence: u32,
    /// Score-to-probability calibration (JSON) of the heuristic, as written by
    /// `tierank compare`; needed by `probability:P`, and used by `budget` and the exposure.
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Heuristic parameters, as in `rank`.
    #[command(flatten)]
    pub params: HeuristicArgs,
    /// Refuse self-loops, duplicate ties and events between non-friends instead of dropping
    /// and counting them.
    #[arg(long)]
    pub strict: bool,
    /// Load the dataset's Parquet files even when it holds an up-to-date graph snapshot
    /// (`tierank index`).
    #[arg(long)]
    pub no_snapshot: bool,
    /// The memory guard.
    #[command(flatten)]
    pub memory: crate::memory::MemoryArgs,
    /// Output directory (audiences.parquet, exposure.parquet, audit.json).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
    /// Process flags of a partitioned run (`tierank cluster` sets them).
    #[command(flatten)]
    pub cluster: crate::cmd_cluster::ProcessArgs,
}

/// `tierank select` arguments alone, to reparse a recorded command line.
#[derive(Debug, Parser)]
#[command(name = "tierank select")]
struct SelectLine {
    #[command(flatten)]
    args: Args,
}

/// Parses the arguments of a recorded `tierank select` command line (program name first).
///
/// # Errors
/// A message when the line is not a `select` command or its arguments do not parse.
pub fn args_from_command_line(line: &[String]) -> Result<Args, String> {
    match line.get(1).map(String::as_str) {
        Some("select") => {}
        other => {
            return Err(format!(
                "the recorded command is not `tierank select` (second word: {other:?})"
            ));
        }
    }
    SelectLine::try_parse_from(
        std::iter::once("tierank select").chain(line[2..].iter().map(String::as_str)),
    )
    .map(|l| l.args)
    .map_err(|e| format!("the recorded command line does not parse: {e}"))
}

impl Args {
    /// The request these arguments describe; `command_line` is recorded in the audit.
    ///
    /// # Errors
    /// A bad-input error for a malformed `--memory-limit`.
    pub fn request(&self, command_line: Vec<String>) -> anyhow::Result<SelectRequest> {
        Ok(SelectRequest {
            data: self.data.clone(),
            targets: self.targets.clone(),
            heuristic: self.heuristic.clone(),
            policy: self.policy.clone(),
            exclude: self.exclude.clone(),
            strict_minimization: self.strict_minimization,
            min_evidence: self.min_evidence,
            calibration: self.calibration.clone(),
            load: tierank_api::LoadSettings {
                params: self.params.to_params(),
                strict: self.strict,
                memory: self.memory.limit()?,
                no_snapshot: self.no_snapshot,
            },
            out: self.out.clone(),
            force: self.force,
            command_line,
        })
    }
}

/// The request of a command line recorded by a tierank from before requests were recorded
/// in `audit.json` (for `audit verify`).
///
/// # Errors
/// A message when the line is not a `select` command or its arguments do not parse.
pub fn request_from_command_line(line: &[String]) -> Result<SelectRequest, String> {
    let args = args_from_command_line(line)?;
    args.request(line.to_vec()).map_err(|e| format!("{e:#}"))
}

/// Runs `tierank select` and prints the exposure summary.
pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    // Refused before anything is read when the run is not partitioned.
    args.cluster.checkpoint()?;
    let request = args.request(std::env::args().collect())?;
    let progress = CliProgress::default();
    if args.cluster.is_partitioned() {
        return run_partitioned(&args, &request, &progress, started);
    }
    let outcome = request.run(&progress).map_err(api_error)?;
    print_summary(&args, &outcome);
    println!(
        "wrote {} ({AUDIENCES_FILE}, {EXPOSURE_FILE}, {AUDIT_FILE}) in {:.2}s",
        outcome.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `tierank select` as one process of a partitioned run (crate `tierank-dist`);
/// process 0 writes the output directory and prints the summary.
fn run_partitioned(
    args: &Args,
    request: &SelectRequest,
    progress: &CliProgress,
    started: Instant,
) -> anyhow::Result<()> {
    let spec = args.cluster.spec()?;
    let memory_budget = args.cluster.memory_budget()?;
    let checkpoint = args.cluster.checkpoint()?;
    let plan = request.prepare_partitioned(progress).map_err(api_error)?;
    let shape = plan.shape.clone();
    let run = tierank_dist::PartitionedSelect {
        shape: plan.shape,
        load: plan.load,
        heuristic: plan.heuristic,
        config: plan.config,
        policy: plan.policy,
        targets: plan.target_ids,
        excluded: plan.excluded_ids,
        strict_minimization: args.strict_minimization,
        min_evidence: args.min_evidence,
        calibration: plan.calibration,
        memory_budget,
        window_check: plan.calibration_check.map(|check| {
            tierank_dist::partition::WindowCheck(Box::new(move |window| {
                check.check(window).map_err(|e| format!("{e:#}"))
            }))
        }),
        checkpoint,
    };
    let done = tierank_dist::select_partitioned_load(&spec, run).map_err(|e| match e {
        tierank_dist::DistError::Input(m) => crate::util::bad_input(m),
        other => other.into(),
    })?;
    let report = &done.report;
    crate::cmd_cluster::print_load(&spec, report, shape.tie_rows, shape.event_rows);
    println!(
        "process {}: selected for {} targets, {} notices or pool entries in {} waves (largest \
         ball {} bytes, planned {}; of several targets {} bytes, budget {}; {} targets over the \
         budget alone); sent {} bytes (ties {}, events {}, folded directions {}, folded ties \
         in wave replies {}, passes {}, control {})",
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
    );
    if spec.process != 0 {
        crate::cmd_cluster::print_phases(&spec, report, 0.0, started);
        return Ok(());
    }
    let selection = done
        .selection
        .clone()
        .ok_or_else(|| anyhow::anyhow!("process 0 received no selection"))?;
    let write_started = Instant::now();
    let outcome = request
        .write_partitioned(
            selection,
            done.candidates.clone(),
            &shape,
            report.window,
            report.events_outside,
            progress,
        )
        .map_err(api_error)?;
    crate::cmd_cluster::print_phases(
        &spec,
        report,
        write_started.elapsed().as_secs_f64(),
        started,
    );
    print_summary(args, &outcome);
    println!(
        "wrote {} ({AUDIENCES_FILE}, {EXPOSURE_FILE}, {AUDIT_FILE}) in {:.2}s",
        outcome.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_summary(args: &Args, outcome: &SelectOutcome) {
    let s = &outcome.selection;
    let e = &s.exposure;
    println!(
        "selected {} notices about {} targets under {} with heuristic {}",
        e.notices,
        e.per_target.len(),
        outcome.record.parameters.policy,
        args.heuristic
    );
    println!("  people reached:               {}", e.people_reached);
    println!("  notices sent:                 {}", e.notices);
    match e.expected_collateral {
        Some(c) => {
            println!(
                "  expected collateral exposure: {c:.3} (expected notices to people not close)"
            );
            if let Some((lo, hi)) = e.expected_collateral_interval {
                println!(
                    "  {:.0}% interval:                 [{lo:.1}, {hi:.1}]",
                    EXPOSURE_CONFIDENCE * 100.0
                );
            }
        }
        None => println!("  expected collateral exposure: unknown (no --calibration)"),
    }
    let shown = e.per_target.len().min(SUMMARY_TARGETS);
    if shown > 0 {
        println!(
            "  per target (first {shown} of {}): target, friends, notices, expected collateral",
            e.per_target.len()
        );
        for (t, c) in e.per_target.iter().zip(&outcome.candidates).take(shown) {
            let collateral = t
                .expected_collateral
                .map_or_else(|| "-".to_owned(), |x| format!("{x:.3}"));
            println!(
                "    {:>20} {c:>8} {:>8} {collateral:>10}",
                t.target, t.notices
            );
        }
    }
    if args.exclude.is_some() {
        let c = &s.consent;
        println!(
            "  exclusion list: {} listed, {} in the dataset, {} not in the dataset; {} notice(s) \
             to them withheld",
            c.listed, c.excluded_in_graph, c.unknown, c.excluded_would_have_been_selected
        );
    }
}

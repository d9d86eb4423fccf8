//! `tierank rank`: parses the arguments into a [`RankRequest`] (crate `tierank-api`, which
//! checks, loads, ranks and writes), shows progress and prints the summary.

use std::path::PathBuf;

use tierank_api::RankRequest;

use crate::params::{HeuristicArgs, heuristics_help};
use crate::util::{CliProgress, api_error};

/// Arguments of `tierank rank`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["targets", "sample"])))]
pub struct Args {
    /// Dataset directory (ties.parquet, events/, ...), or a graph snapshot file written by
    /// `tierank index` (a directory's up-to-date snapshot is used on its own).
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// File of target person ids: Parquet or CSV, column `person_id` or a single column.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Rank N targets with at least one friend, chosen reproducibly from --seed.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Comma-separated heuristics, or `all` for every heuristic the dataset supports.
    #[arg(long, value_name = "LIST", help = heuristics_help(
        "Comma-separated heuristics, or `all` for every heuristic the dataset supports, or \
         `learned` with --model."))]
    pub heuristics: String,
    /// Number of friends kept per target and heuristic.
    #[arg(long, value_name = "K")]
    pub k: usize,
    /// Output Parquet file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Heuristic parameters and the recency half-life.
    #[command(flatten)]
    pub heuristic: HeuristicArgs,
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
    /// Model file of the `learned` heuristic (`model.json` written by `tierank compare`).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Process flags of a partitioned run (`tierank cluster` sets them).
    #[command(flatten)]
    pub cluster: crate::cmd_cluster::ProcessArgs,
}

impl Args {
    /// The request these arguments describe.
    ///
    /// # Errors
    /// A bad-input error for a malformed `--memory-limit`.
    pub fn request(&self) -> anyhow::Result<RankRequest> {
        Ok(RankRequest {
            data: self.data.clone(),
            targets: self.targets.clone(),
            sample: self.sample,
            heuristics: self.heuristics.clone(),
            k: self.k,
            out: self.out.clone(),
            force: self.force,
            model: self.model.clone(),
            load: tierank_api::LoadSettings {
                params: self.heuristic.to_params(),
                strict: self.strict,
                memory: self.memory.limit()?,
                no_snapshot: self.no_snapshot,
            },
        })
    }
}

/// Runs `tierank rank`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let cluster = args.cluster.spec()?;
    let checkpoint = args.cluster.checkpoint()?;
    let request = args.request()?;
    let progress = CliProgress::default();
    if args.cluster.is_partitioned() {
        let started = std::time::Instant::now();
        let plan = request.prepare_partitioned().map_err(api_error)?;
        return crate::cmd_cluster::rank(
            &cluster,
            plan,
            args.k,
            args.cluster.memory_budget()?,
            checkpoint,
            &args.out,
            started,
        );
    }
    let prepared = request.prepare(&progress).map_err(api_error)?;
    let outcome = request
        .rank_prepared(&prepared, &progress)
        .map_err(api_error)?;
    println!(
        "ranked {} targets under {} heuristics (k = {}) in {:.2}s: {} rows",
        outcome.targets,
        outcome.heuristics.len(),
        outcome.k,
        outcome.ranking_time.as_secs_f64(),
        outcome.rows
    );
    for (name, time) in &outcome.heuristic_time {
        println!("  {name:<22} {:>10.3}s thread time", time.as_secs_f64());
    }
    println!("wrote {}", outcome.out.display());
    Ok(())
}

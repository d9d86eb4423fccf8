//! `tierank stats`: parses the arguments into a [`StatsRequest`] (crate `tierank-api`, which
//! loads, measures and writes the JSON) and prints the realism report.

use std::path::PathBuf;

use tierank_api::StatsRequest;

use crate::util::{CliProgress, api_error};

/// Arguments of `tierank stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset: a directory, or a graph snapshot written by `tierank index` (as
    /// `--data` of `rank`, `compare` and `select`).
    #[arg(long, value_name = "PATH", required_unless_present = "dataset")]
    pub data: Option<PathBuf>,
    /// The dataset, as a positional argument: the form of earlier releases, kept so their
    /// scripts still run; same meaning as `--data`.
    #[arg(value_name = "DATASET", conflicts_with = "data")]
    pub dataset: Option<PathBuf>,
    /// Also write the report and the realism checks as JSON to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Overwrite the --json file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Egos measured for clustering and overlap; graphs with at most N people are measured
    /// exactly.
    #[arg(long, value_name = "N", default_value_t = tierank_stats::DEFAULT_SAMPLE_NODES,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub sample_nodes: usize,
    /// Seed of the node and tie samples.
    #[arg(long, default_value_t = tierank_stats::DEFAULT_SEED)]
    pub seed: u64,
    /// Exit with status 1 when a realism check fails.
    #[arg(long)]
    pub check: bool,
    /// The event window.
    #[command(flatten)]
    pub window: crate::params::WindowArgs,
    /// The memory guard.
    #[command(flatten)]
    pub memory: crate::memory::MemoryArgs,
    /// Load the dataset's Parquet files even when it holds an up-to-date graph snapshot
    /// (`tierank index`).
    #[arg(long)]
    pub no_snapshot: bool,
}

impl Args {
    /// The request these arguments describe.
    ///
    /// # Errors
    /// A bad-input error for a malformed `--memory-limit`.
    pub fn request(&self) -> anyhow::Result<StatsRequest> {
        let data = match (&self.data, &self.dataset) {
            (Some(path), _) | (None, Some(path)) => path.clone(),
            // clap's `required_unless_present` makes one of them present.
            (None, None) => anyhow::bail!("tierank stats needs --data PATH"),
        };
        Ok(StatsRequest {
            data,
            json: self.json.clone(),
            force: self.force,
            sample_nodes: self.sample_nodes,
            seed: self.seed,
            load: tierank_api::LoadSettings {
                params: tierank_api::HeuristicParams {
                    window: self.window.to_params(),
                    ..tierank_api::HeuristicParams::default()
                },
                strict: false,
                memory: self.memory.limit()?,
                no_snapshot: self.no_snapshot,
            },
        })
    }
}

/// Runs `tierank stats`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let outcome = args
        .request()?
        .run(&CliProgress::default())
        .map_err(api_error)?;
    print!("{}", outcome.report);
    println!("realism checks");
    for check in &outcome.checks {
        println!("  {check}");
    }
    let failed = outcome.failed();
    let total = outcome.checks.len();
    println!("  {} of {total} passed", total - failed);
    if args.check && failed > 0 {
        anyhow::bail!("{failed} of {total} realism checks failed");
    }
    Ok(())
}

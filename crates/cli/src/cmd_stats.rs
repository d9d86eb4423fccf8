//! `tierank stats`: the realism report of a dataset.

use std::path::PathBuf;

use anyhow::Context;
use tierank_stats::{RealismTargets, StatsOptions};

use crate::util::bad_input;

/// Arguments of `tierank stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset directory.
    #[arg(value_name = "DATASET")]
    pub dataset: PathBuf,
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
}

/// Runs `tierank stats`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(path) = &args.json {
        // Before the report is computed, so a mistake costs nothing and writes nothing.
        tierank_format::output::check_output_path(path, &[&args.dataset])
            .map_err(|e| bad_input(format!("--json: {e}")))?;
        if path.is_dir() {
            return Err(bad_input(format!(
                "--json: {} is a directory",
                path.display()
            )));
        }
        if path.exists() && !args.force {
            return Err(bad_input(format!(
                "--json: {} already exists (pass --force to overwrite)",
                path.display()
            )));
        }
    }
    let opts = StatsOptions {
        sample_nodes: args.sample_nodes,
        seed: args.seed,
        load: tierank_io::LoadOptions {
            window: args
                .window
                .to_params()
                .spec()
                .map_err(crate::util::api_error)?,
            ..tierank_io::LoadOptions::default()
        },
        ..StatsOptions::default()
    };
    crate::memory::check_load(&args.memory, &args.dataset)?;
    let report = match tierank_stats::compute(&args.dataset, &opts) {
        Ok(report) => report,
        Err(err) if err.is_bad_input() => return Err(bad_input(err)),
        Err(err) => {
            return Err(anyhow::Error::new(err))
                .with_context(|| format!("computing the report of {}", args.dataset.display()));
        }
    };
    let checks = report.check_realism(&RealismTargets::default());
    print!("{report}");
    println!("realism checks");
    for check in &checks {
        println!("  {check}");
    }
    let failed = checks.iter().filter(|c| !c.pass).count();
    println!("  {} of {} passed", checks.len() - failed, checks.len());
    if let Some(path) = &args.json {
        let output = tierank_stats::ReportJson {
            report: &report,
            realism_checks: &checks,
        };
        tierank_format::atomic::write_file_atomically(path, |file| -> anyhow::Result<()> {
            serde_json::to_writer_pretty(&mut *file, &output)?;
            std::io::Write::write_all(file, b"\n")?;
            Ok(())
        })
        .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.check && failed > 0 {
        anyhow::bail!("{failed} of {} realism checks failed", checks.len());
    }
    Ok(())
}

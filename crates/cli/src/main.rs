//! The `tierank` command-line tool: parses arguments, shows progress, calls the libraries.
//!
//! Exit codes: 0 on success, 2 when the input or the arguments are wrong (nothing is
//! written), 1 when something else failed.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_audit;
mod cmd_compare;
mod cmd_demo;
mod cmd_generate;
mod cmd_rank;
mod cmd_select;
mod cmd_stats;
mod cmd_verify;
mod memory;
mod params;
mod util;

/// tierank: find the few people genuinely close to a person, and compare ways of doing it.
#[derive(Debug, Parser)]
#[command(name = "tierank", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline on a built-in default: generate the `small` network, check its
    /// realism, compare every heuristic, select audiences for 100 targets under two policies.
    Demo(cmd_demo::Args),
    /// Generate a synthetic social network with a planted ground truth of close ties.
    Generate(cmd_generate::Args),
    /// Print the realism report of a dataset (and write it as JSON).
    Stats(cmd_stats::Args),
    /// Rank targets' friends by closeness under one or more heuristics.
    Rank(cmd_rank::Args),
    /// Compare heuristics against the planted truth and write a report directory.
    Compare(cmd_compare::Args),
    /// Choose who is shown a notice about each target, under a policy, with an audit record.
    Select(cmd_select::Args),
    /// Check a `select` output directory against its audit record.
    Audit(cmd_audit::Args),
    /// Check every file of a dataset (or a `select` output) against its recorded checksums.
    Verify(cmd_verify::Args),
}

/// Runs one subcommand.
fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => cmd_demo::run(args),
        Command::Generate(args) => cmd_generate::run(args),
        Command::Stats(args) => cmd_stats::run(args),
        Command::Rank(args) => cmd_rank::run(args),
        Command::Compare(args) => cmd_compare::run(args),
        Command::Select(args) => cmd_select::run(args),
        Command::Audit(args) => cmd_audit::run(args),
        Command::Verify(args) => cmd_verify::run(args),
    }
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();
    let cli = Cli::parse();
    let result = dispatch(cli.command);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<util::BadInput>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

//! The `tierank` command-line tool: parses arguments, shows progress, calls the libraries.
//!
//! Exit codes: 0 on success, 2 when the input or the arguments are wrong (nothing is
//! written), 1 when something else failed, an I/O failure such as a full disk included.
//!
//! The flags every command shares (`--threads`, `-q`, `-v`) are global arguments of [`Cli`],
//! applied once here before dispatch, so that no subcommand can forget one.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_audit;
mod cmd_cluster;
mod cmd_compare;
mod cmd_demo;
mod cmd_generate;
mod cmd_index;
mod cmd_rank;
mod cmd_select;
mod cmd_stats;
mod cmd_verify;
mod memory;
mod params;
mod util;

/// Shown after the top-level help: what a script can rely on.
const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  a failure that is not the user's: an I/O error such as a full disk or a lost mount,
     a failed realism check (stats --check), an audit that does not verify, a bug
  2  bad arguments or bad input data (the message names the file, column and row);
     nothing is written

Environment:
  RUST_LOG           log filter (env_logger syntax); wins over -q and -v
  RAYON_NUM_THREADS  worker threads, as --threads (the flag wins when both are given)";

/// tierank: find the few people genuinely close to a person, and compare ways of doing it.
#[derive(Debug, Parser)]
#[command(name = "tierank", version, about, long_about = None, after_help = AFTER_HELP)]
struct Cli {
    /// Worker threads (default: one per core, or RAYON_NUM_THREADS). Outputs are
    /// byte-identical at any thread count.
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,
    /// Print only errors on stderr: no notes, warnings or progress bars.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Log more on stderr: -v info, -vv debug, -vvv trace (RUST_LOG, when set, wins).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Write every file of the run readable by its owner only (0600, directories 0700), for
    /// outputs that hold personal data. Default: the umask decides (usually 0644 and 0755).
    #[arg(long, global = true)]
    private: bool,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// The log level the flags ask for; `RUST_LOG` overrides it.
    fn log_level(&self) -> &'static str {
        match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "info",
            (false, 2) => "debug",
            (false, _) => "trace",
        }
    }
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
    /// Load a dataset once and write its graph snapshot, which `rank`, `compare` and `select`
    /// then open in a fraction of the loading time.
    Index(cmd_index::Args),
    /// Rank targets' friends by closeness under one or more heuristics.
    Rank(cmd_rank::Args),
    /// Compare heuristics against the planted truth and write a report directory.
    Compare(cmd_compare::Args),
    /// Choose who is shown a notice about each target, under a policy, with an audit record.
    Select(cmd_select::Args),
    /// Check a `select` output directory against its audit record.
    Audit(cmd_audit::Args),
    /// Run a command as N local processes on loopback (a partitioned run, one log each).
    Cluster(cmd_cluster::Args),
    /// Check every file of a dataset (or a `select` output) against its recorded checksums.
    Verify(cmd_verify::Args),
}

/// Runs one subcommand.
fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => cmd_demo::run(args),
        Command::Generate(args) => cmd_generate::run(args),
        Command::Stats(args) => cmd_stats::run(args),
        Command::Index(args) => cmd_index::run(args),
        Command::Rank(args) => cmd_rank::run(args),
        Command::Compare(args) => cmd_compare::run(args),
        Command::Select(args) => cmd_select::run(args),
        Command::Audit(args) => cmd_audit::run(args),
        Command::Cluster(args) => cmd_cluster::run(args),
        Command::Verify(args) => cmd_verify::run(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(cli.log_level()))
        .format_timestamp(None)
        .init();
    util::set_quiet(cli.quiet);
    if cli.private {
        tierank_format::atomic::make_outputs_private();
    }
    if let Some(threads) = cli.threads {
        // Before any parallel work: the global pool can be built only once.
        if let Err(err) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            eprintln!("error: cannot start {threads} worker threads: {err}");
            return ExitCode::from(1);
        }
    }
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

//! `tierank audit verify DIR`: runs an [`AuditVerifyRequest`] (crate `tierank-api`), which
//! compares the files in `DIR` and a rerun of the recorded request with `DIR/audit.json`,
//! and prints every difference. Records from before requests were recorded are replayed
//! from their command line.
//!
//! Exit codes: 0 when both agree with the record, 1 when anything differs (each difference is
//! printed) or the rerun fails, 2 when `audit.json` is missing or is not an audit record.

use std::path::PathBuf;

use anyhow::anyhow;
use tierank_api::AuditVerifyRequest;
use tierank_select::Difference;

use crate::cmd_select;
use crate::util::{CliProgress, api_error};

/// Arguments of `tierank audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with an audit record.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// The `audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Rerun a `tierank select` from its audit.json and compare every input, parameter,
    /// count and output file with the record.
    Verify(VerifyArgs),
}

/// Arguments of `tierank audit verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Output directory of `tierank select` (holding audit.json). Relative paths in the
    /// recorded request are resolved from the current directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Runs `tierank audit`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify(v) => verify_dir(v.dir),
    }
}

fn verify_dir(dir: PathBuf) -> anyhow::Result<()> {
    let request = AuditVerifyRequest {
        dir: dir.clone(),
        legacy: Some(cmd_select::request_from_command_line),
    };
    let outcome = request.run(&CliProgress::default()).map_err(api_error)?;
    println!("audit record {}", outcome.audit_path.display());
    print_differences(
        &format!("files in {} compared with the record", dir.display()),
        &outcome.disk_differences,
    );
    let rerun_differences = match &outcome.rerun_differences {
        Ok(differences) => {
            print_differences("rerun compared with the record", differences);
            differences.len()
        }
        Err(err) => {
            println!("rerun compared with the record: the rerun failed: {err}");
            return Err(anyhow!(
                "not verified: the recorded selection could not be rerun"
            ));
        }
    };
    let total = outcome.disk_differences.len() + rerun_differences;
    if total == 0 {
        println!("verified: identical outputs");
        Ok(())
    } else {
        Err(anyhow!(
            "not verified: {total} difference(s) with the audit record (listed above)"
        ))
    }
}

fn print_differences(what: &str, differences: &[Difference]) {
    if differences.is_empty() {
        println!("{what}: identical");
        return;
    }
    println!("{what}: {} difference(s)", differences.len());
    for d in differences {
        println!("  {d}");
    }
}

//! `tierank audit verify DIR`: checks a `tierank select` output directory against its audit
//! record.
//!
//! Two comparisons, both against `DIR/audit.json`:
//! 1. the files in `DIR` now, so that an output edited after the run is caught;
//! 2. a rerun of the recorded command line, into a temporary directory, so that a changed
//!    input, parameter or program version is caught (`tierank_select::verify`).
//!
//! Exit codes: 0 when both agree with the record, 1 when anything differs (each difference is
//! printed) or the rerun fails, 2 when `audit.json` is missing or is not an audit record.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use tierank_select::{AuditRecord, Difference, FileDigest, verify, verify_files};

use crate::cmd_select::{self, AUDIT_FILE};
use crate::util::bad_input;

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
    /// recorded command line are resolved from the current directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Runs `tierank audit`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify(v) => verify_dir(&v.dir),
    }
}

fn verify_dir(dir: &Path) -> anyhow::Result<()> {
    let audit_path = dir.join(AUDIT_FILE);
    let text = std::fs::read_to_string(&audit_path).map_err(|e| {
        bad_input(format!(
            "{}: cannot read the audit record ({e}); is {} an output directory of tierank select?",
            audit_path.display(),
            dir.display()
        ))
    })?;
    let record = AuditRecord::from_json(&text).map_err(|e| {
        bad_input(format!(
            "{}: not a valid audit record: {e}",
            audit_path.display()
        ))
    })?;
    let mut args = cmd_select::args_from_command_line(&record.command_line)
        .map_err(|e| bad_input(format!("{}: {e}", audit_path.display())))?;

    let disk_differences = verify_files(&record.outputs, &files_on_disk(dir, &record)?);

    let rerun_dir = tempfile::tempdir()?;
    args.out = rerun_dir.path().join("rerun");
    args.force = false;
    let rerun_line = vec![
        "tierank".to_owned(),
        "audit".to_owned(),
        "verify".to_owned(),
        dir.display().to_string(),
    ];
    let rerun = cmd_select::execute(&args, rerun_line);

    println!("audit record {}", audit_path.display());
    print_differences(
        &format!("files in {} compared with the record", dir.display()),
        &disk_differences,
    );
    let rerun_differences = match rerun {
        Ok(outcome) => {
            let differences = verify(&record, &outcome.record);
            print_differences("rerun compared with the record", &differences);
            differences.len()
        }
        Err(err) => {
            println!("rerun compared with the record: the rerun failed: {err:#}");
            return Err(anyhow!(
                "not verified: the recorded selection could not be rerun"
            ));
        }
    };
    let total = disk_differences.len() + rerun_differences;
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

/// Digests of the files in `dir` now (except `audit.json` and hidden files), under the roles
/// the record gives them; a file the record does not list gets the role `unrecorded`.
fn files_on_disk(dir: &Path, record: &AuditRecord) -> anyhow::Result<Vec<FileDigest>> {
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| anyhow!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| anyhow!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != AUDIT_FILE && !name.starts_with('.') && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    names
        .iter()
        .map(|name| {
            let role = record
                .outputs
                .iter()
                .find(|f| &f.name == name)
                .map_or("unrecorded", |f| f.role.as_str());
            Ok(FileDigest::of(role, name, &dir.join(name))?)
        })
        .collect()
}

//! `tierank verify DIR`: every file of a dataset (or of a `tierank select` output) against
//! the checksums recorded in it. The checking is `tierank_format::verify`; this prints it.
//!
//! Exit codes: 0 when every file is listed, present and unchanged; 2 when any file differs,
//! is missing or is not listed, or when DIR holds no record of checksums; 1 when a file
//! cannot be read.

use std::path::PathBuf;

use tierank_format::verify::{FileStatus, verify_dir};

use crate::util::bad_input;

/// Arguments of `tierank verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A dataset directory (checked against its manifest.json) or a `tierank select` output
    /// directory (checked against its audit.json).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Runs `tierank verify`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let report = match verify_dir(&args.dir) {
        Ok(report) => report,
        Err(e) if e.is_bad_input() => return Err(bad_input(e)),
        Err(e) => return Err(e.into()),
    };
    for file in &report.files {
        match &file.status {
            FileStatus::Ok => println!("ok        {}", file.path),
            FileStatus::Mismatch { expected, actual } => println!(
                "MISMATCH  {}  (recorded sha256 {expected}, file has {actual})",
                file.path
            ),
            FileStatus::Missing => println!("missing   {}", file.path),
            FileStatus::Unlisted => println!("unlisted  {}", file.path),
        }
    }
    let bad = report
        .files
        .iter()
        .filter(|f| f.status != FileStatus::Ok)
        .count();
    if bad > 0 {
        return Err(bad_input(format!(
            "{}: {bad} of {} file(s) do not match {}",
            args.dir.display(),
            report.files.len(),
            report.record.display()
        )));
    }
    println!(
        "all {} file(s) match {}",
        report.files.len(),
        report.record.display()
    );
    Ok(())
}

//! `tierank index`: loads a dataset once and writes its graph snapshot, which `rank`,
//! `compare` and `select` then open instead of re-reading every event (see
//! `tierank_io::snapshot`). Parses the arguments into an [`IndexRequest`] (crate
//! `tierank-api`) and prints the summary.

use std::path::PathBuf;

use tierank_api::IndexRequest;

use crate::params::WindowArgs;
use crate::util::{CliProgress, api_error};

/// Arguments of `tierank index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset directory.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Where to write the snapshot. Default: DIR/graph.tierank-snapshot, which the other
    /// commands use automatically while it is up to date.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Recency half-life in days (as for `rank`); the snapshot serves only this value.
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub half_life_days: Option<f64>,
    /// Refuse dropped input (as for `rank`).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub memory: crate::memory::MemoryArgs,
}

impl Args {
    /// The request these arguments describe.
    ///
    /// # Errors
    /// A bad-input error for a malformed `--memory-limit`.
    pub fn request(&self) -> anyhow::Result<IndexRequest> {
        Ok(IndexRequest {
            data: self.data.clone(),
            out: self.out.clone(),
            load: tierank_api::LoadSettings {
                params: tierank_api::HeuristicParams {
                    half_life_days: self.half_life_days,
                    window: self.window.to_params(),
                    ..tierank_api::HeuristicParams::default()
                },
                strict: self.strict,
                memory: self.memory.limit()?,
                no_snapshot: false,
            },
        })
    }
}

/// Runs `tierank index`.
///
/// # Errors
/// Bad input (exit 2) for bad flags or a malformed dataset; I/O errors (exit 1).
pub fn run(args: Args) -> anyhow::Result<()> {
    let summary = args
        .request()?
        .run(&CliProgress::default())
        .map_err(api_error)?;
    let r = &summary.report;
    println!(
        "wrote {} ({} bytes): {} people, {} friendships, {} active directed ties, \
         {:.1} bytes per directed tie; loaded in {:.1} s",
        summary.path.display(),
        summary.bytes,
        r.num_nodes,
        r.num_edges,
        r.active_directed_ties,
        r.bytes_per_directed_tie,
        r.seconds.total
    );
    Ok(())
}

//! `tierank index`: loads a dataset once and writes its graph snapshot, which `rank`,
//! `compare` and `select` then open instead of re-reading every event (see
//! `tierank_io::snapshot`). Argument parsing only; the work is in the library.

use std::path::PathBuf;

use tierank_io::LoadOptions;

use crate::params::WindowArgs;
use crate::util::{bad_input, io_error};

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

/// Runs `tierank index`.
///
/// # Errors
/// Bad input (exit 2) for bad flags or a malformed dataset; I/O errors (exit 1).
pub fn run(args: Args) -> anyhow::Result<()> {
    let half_life_ms = crate::params::half_life_ms(args.half_life_days)?;
    let window = args.window.spec()?;
    if let Some(out) = &args.out {
        tierank_format::output::check_output_path(out, &[args.data.as_path()])
            .map_err(|e| bad_input(format!("--out: {e}")))?;
    }
    crate::memory::check_load(&args.memory, &args.data)?;
    let summary = tierank_io::write_snapshot(
        &args.data,
        &LoadOptions {
            half_life_ms,
            strict: args.strict,
            window,
        },
        args.out.as_deref(),
    )
    .map_err(io_error)?;
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

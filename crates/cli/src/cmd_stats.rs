//! `tierank stats`.

/// Arguments of `tierank stats`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tierank stats`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::util::bad_input("not built yet"))
}

//! `tierank rank`.

/// Arguments of `tierank rank`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tierank rank`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::util::bad_input("not built yet"))
}

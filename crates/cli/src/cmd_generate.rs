//! `tierank generate`.

/// Arguments of `tierank generate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tierank generate`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::util::bad_input("not built yet"))
}

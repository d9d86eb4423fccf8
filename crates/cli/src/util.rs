//! Helpers shared by the subcommands.

use std::fmt;

/// Marks an error as the user's (bad arguments or bad input data): exit code 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Converts any displayable error into a [`BadInput`] `anyhow::Error`, keeping the full
/// message chain.
pub fn bad_input(err: impl fmt::Display) -> anyhow::Error {
    anyhow::Error::new(BadInput(format!("{err:#}")))
}

/// Extension to mark `Result` errors as bad input.
pub trait BadInputExt<T> {
    /// Maps the error to a [`BadInput`].
    fn bad_input(self) -> anyhow::Result<T>;
}

impl<T, E: fmt::Display> BadInputExt<T> for Result<T, E> {
    fn bad_input(self) -> anyhow::Result<T> {
        self.map_err(bad_input)
    }
}

/// Maps a library I/O error to exit code 2 when it is the user's input.
pub fn io_error(err: tierank_io::IoError) -> anyhow::Error {
    if err.is_bad_input() {
        bad_input(err)
    } else {
        anyhow::Error::new(err)
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or `len` is small.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || len < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("valid template"),
    );
    bar.set_message(what.to_owned());
    bar
}

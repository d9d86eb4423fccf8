//! Helpers shared by the subcommands.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether `-q` was given: set once by `main` before dispatch.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Records the `-q` flag for [`quiet`] and [`progress_bar`].
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `-q` was given: notes on stderr and progress bars are then not shown.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

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

/// Maps a library I/O error to exit code 2 when it is the user's input, and leaves every
/// failure of the machine (a full disk, say: [`tierank_io::IoError::Io`] and
/// [`tierank_io::IoError::Write`]) at exit code 1 (for `index` and `cluster`, which call the
/// libraries directly).
pub fn io_error(err: tierank_io::IoError) -> anyhow::Error {
    if err.is_bad_input() {
        bad_input(err)
    } else {
        anyhow::Error::new(err)
    }
}

/// Maps a request's error to the CLI's: bad input keeps exit code 2, everything else 1, with
/// the same message chain.
pub fn api_error(err: tierank_api::ApiError) -> anyhow::Error {
    match err {
        tierank_api::ApiError::BadInput(message) => anyhow::Error::new(BadInput(message)),
        other => anyhow::Error::new(other),
    }
}

/// The CLI's [`tierank_api::Progress`]: an indicatif bar per stage (hidden as
/// [`progress_bar`] says), warnings as `warning: ...` on stderr.
#[derive(Default)]
pub struct CliProgress {
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl CliProgress {
    fn with_bar(&self, f: impl FnOnce(&indicatif::ProgressBar)) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            f(bar);
        }
    }
}

impl tierank_api::Progress for CliProgress {
    fn start(&self, len: u64, what: &str) {
        let bar = progress_bar(len, what);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }
    fn set_position(&self, done: u64) {
        self.with_bar(|b| b.set_position(done));
    }
    fn step(&self, what: &str) {
        self.with_bar(|b| {
            b.inc(1);
            b.set_message(what.to_owned());
        });
    }
    fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
    fn warn(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal, `len` is small or `-q`
/// was given.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet() || !std::io::stderr().is_terminal() || len < 2 {
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

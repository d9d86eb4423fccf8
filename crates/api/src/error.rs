//! The one error type of every request, sorted by whose mistake it is: the CLI maps
//! [`ApiError::BadInput`] to exit code 2 and everything else to 1; the Python package maps it
//! to a `ValueError` subclass.

use std::fmt;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad arguments or bad input data: the message names the flag, file, column and row.
    /// Nothing was written.
    #[error("{0}")]
    BadInput(String),
    /// A failure that is not the user's (an I/O error such as a full disk, a bug), with what
    /// was being done.
    #[error("{context}")]
    Failed {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A failure that is not the user's, with no further context.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
    /// A failure described by a message alone.
    #[error("{0}")]
    Message(String),
    /// The caller asked the request to stop ([`crate::Progress::cancelled`]); nothing was
    /// written.
    #[error("cancelled")]
    Cancelled,
}

impl ApiError {
    /// Whether the user's input caused the error (exit code 2).
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::BadInput(_))
    }

    /// Wraps a failure with what was being done (`anyhow`'s `context`, printed as
    /// `context: cause` with `{:#}` by the CLI).
    pub fn failed(
        context: impl fmt::Display,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Failed {
            context: context.to_string(),
            source: Box::new(source),
        }
    }

    /// A failure that is not the user's.
    pub fn other(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Other(Box::new(source))
    }
}

/// A bad-input error with the full message chain of `err`.
pub fn bad_input(err: impl fmt::Display) -> ApiError {
    ApiError::BadInput(err.to_string())
}

/// Marks a `Result`'s error as bad input, keeping its message chain.
pub trait BadInputExt<T> {
    /// Maps the error to [`ApiError::BadInput`].
    ///
    /// # Errors
    /// The mapped error.
    fn bad_input(self) -> Result<T, ApiError>;
}

impl<T, E: fmt::Display> BadInputExt<T> for Result<T, E> {
    fn bad_input(self) -> Result<T, ApiError> {
        // Display only, as the CLI always printed these (their sources are in the message).
        self.map_err(|e| ApiError::BadInput(e.to_string()))
    }
}

/// `err` and its sources joined by `": "`, as `anyhow` prints `{:#}`.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Maps a library I/O error to bad input when it is the user's input, and leaves every
/// failure of the machine (a full disk, say) a failure.
pub fn io_error(err: tierank_io::IoError) -> ApiError {
    if err.is_bad_input() {
        ApiError::BadInput(err.to_string())
    } else {
        ApiError::other(err)
    }
}

/// Context for `Result`s whose failure is not the user's.
pub trait Context<T> {
    /// Wraps the error with what was being done.
    ///
    /// # Errors
    /// The wrapped error.
    fn context(self, what: impl fmt::Display) -> Result<T, ApiError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::failed(what, e))
    }
}

//! The `index` request: loads a dataset once and writes its graph snapshot, which the other
//! requests then open instead of re-reading every event (`tierank_io::snapshot`).

use std::path::PathBuf;

use tierank_io::snapshot::SnapshotSummary;

use crate::error::{ApiError, bad_input, io_error};
use crate::load::LoadSettings;
use crate::{Progress, check_cancelled};

/// Everything `tierank index` needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexRequest {
    /// The dataset directory.
    pub data: PathBuf,
    /// Where to write the snapshot; `None`: inside the dataset directory, where the other
    /// requests find it while it is up to date.
    pub out: Option<PathBuf>,
    /// The loader's settings the snapshot serves (of the parameters, the half-life and the
    /// event window; `no_snapshot` is not used).
    pub load: LoadSettings,
}

impl IndexRequest {
    /// Checks the settings and the output path, loads the dataset and writes the snapshot
    /// atomically.
    ///
    /// # Errors
    /// Bad input for bad settings or a malformed dataset; a failure for I/O errors;
    /// [`ApiError::Cancelled`] when `progress` asks to stop before loading.
    pub fn run(&self, progress: &dyn Progress) -> Result<SnapshotSummary, ApiError> {
        let half_life_ms = self.load.params.half_life_ms()?;
        let window = self.load.params.window.spec()?;
        if let Some(out) = &self.out {
            tierank_format::output::check_output_path(out, &[self.data.as_path()])
                .map_err(|e| bad_input(format!("--out: {e}")))?;
        }
        crate::memory::check_load(&self.load.memory, &self.data)?;
        check_cancelled(progress)?;
        tierank_io::write_snapshot(
            &self.data,
            &tierank_io::LoadOptions {
                half_life_ms,
                strict: self.load.strict,
                window,
            },
            self.out.as_deref(),
        )
        .map_err(io_error)
    }
}

//! The `generate` request: writes a synthetic dataset directory (`tierank-datagen`).
//!
//! The configuration (preset, then the TOML file, then the overrides), the memory estimate
//! and the output directory are checked before anything is written; the generator writes
//! into a hidden sibling directory that replaces the output only when complete.

use std::path::{Path, PathBuf};

use tierank_datagen::{ConfigOverrides, ExistingDir, GenError, GenerateReport, GeneratorConfig};

use crate::error::{ApiError, bad_input};
use crate::memory::MemoryLimit;
use crate::{Progress, check_cancelled};

/// Everything `tierank generate` needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateRequest {
    /// Output dataset directory (must not exist or be empty, unless [`Self::force`]).
    pub out: PathBuf,
    /// Replace a non-empty output directory.
    pub force: bool,
    /// TOML file with generator parameters; [`Self::overrides`] take precedence over it.
    pub config_file: Option<PathBuf>,
    /// Parameters given directly (the CLI's flags, the Python arguments), over the file and
    /// the preset.
    pub overrides: ConfigOverrides,
    /// The memory guard.
    pub memory: MemoryLimit,
}

/// What a finished `generate` produced.
#[derive(Debug, Clone)]
pub struct GenerateOutcome {
    /// The resolved configuration.
    pub config: GeneratorConfig,
    /// Row counts, event parts and timings.
    pub report: GenerateReport,
}

impl GenerateRequest {
    /// Resolves and checks the configuration, the memory estimate and the output directory,
    /// writing nothing: everything of [`Self::run`] before generating.
    ///
    /// # Errors
    /// A bad-input error naming the file, the parameter or the flag.
    pub fn prepare(&self) -> Result<GeneratorConfig, ApiError> {
        let file = match &self.config_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    bad_input(format!("cannot read config file {}: {e}", path.display()))
                })?;
                ConfigOverrides::from_toml(&text, &path.display().to_string()).map_err(bad_input)?
            }
            None => ConfigOverrides::default(),
        };
        let config = ConfigOverrides::resolve(&[&file, &self.overrides]).map_err(bad_input)?;
        config.validate().map_err(bad_input)?;
        // Before anything is written: refuse a run that cannot fit in memory.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.memory.check(
            "generate",
            tierank_datagen::memory::estimate_bytes(&config, threads),
            &format!(
                "{} persons, about {:.0} events per person, {} threads",
                config.persons,
                tierank_datagen::memory::events_per_person(&config),
                threads
            ),
            "lower --persons (or --degree-scale, --event-rate)",
        )?;
        let inputs: Vec<&Path> = self.config_file.iter().map(PathBuf::as_path).collect();
        tierank_format::output::check_output_path(&self.out, &inputs)
            .map_err(|e| bad_input(format!("--out: {e}")))?;
        tierank_format::atomic::check_output_dir(&self.out, self.existing()).map_err(bad_input)?;
        Ok(config)
    }

    /// Checks everything ([`Self::prepare`]) and generates the dataset.
    ///
    /// # Errors
    /// As [`Self::prepare`]; a failure when writing fails (nothing is then left at `out`);
    /// [`ApiError::Cancelled`] when `progress` asks to stop: the generator checks the flag
    /// between stages, per person and per block of rows, and leaves nothing at `out`.
    pub fn run(&self, progress: &dyn Progress) -> Result<GenerateOutcome, ApiError> {
        let config = self.prepare()?;
        self.generate_prepared(config, progress)
    }

    /// Generates the dataset of a configuration returned by [`Self::prepare`].
    ///
    /// # Errors
    /// As [`Self::run`].
    pub fn generate_prepared(
        &self,
        config: GeneratorConfig,
        progress: &dyn Progress,
    ) -> Result<GenerateOutcome, ApiError> {
        check_cancelled(progress)?;
        let cancel = progress.cancel_flag();
        match tierank_datagen::generate_cancellable(
            &config,
            &self.out,
            self.existing(),
            cancel.as_deref(),
        ) {
            Ok(report) => Ok(GenerateOutcome { config, report }),
            Err(GenError::Cancelled) => Err(ApiError::Cancelled),
            Err(e) if GenError::is_user_error(&e) => Err(bad_input(e)),
            Err(e) => Err(ApiError::failed("generation failed", e)),
        }
    }

    fn existing(&self) -> ExistingDir {
        if self.force {
            ExistingDir::Replace
        } else {
            ExistingDir::Refuse
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::*;

    /// A caller whose cancel flag is already set. With `checked_by_request` false, the
    /// request's own checks between stages see nothing, so only the generator's checks of
    /// the flag can stop the run.
    struct SetFlag {
        checked_by_request: bool,
    }

    impl Progress for SetFlag {
        fn cancelled(&self) -> bool {
            self.checked_by_request
        }
        fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
            Some(Arc::new(AtomicBool::new(true)))
        }
    }

    #[test]
    fn a_set_cancel_flag_returns_cancelled_and_leaves_no_output() {
        for checked_by_request in [true, false] {
            let root = tempfile::tempdir().unwrap();
            let out = root.path().join("data");
            let request = GenerateRequest {
                out: out.clone(),
                overrides: ConfigOverrides {
                    preset: Some("tiny".to_owned()),
                    ..ConfigOverrides::default()
                },
                ..GenerateRequest::default()
            };
            let result = request.run(&SetFlag { checked_by_request });
            assert!(
                matches!(result, Err(ApiError::Cancelled)),
                "checked_by_request {checked_by_request}: {result:?}"
            );
            assert!(!out.exists());
            assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
        }
    }
}

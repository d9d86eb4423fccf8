//! The `stats` request: the realism report of a dataset (`tierank-stats`), optionally written
//! as JSON.
//!
//! The graph is loaded like every other request's ([`LoadSettings::open`]): from the
//! dataset's up-to-date snapshot when there is one (`tierank index`), else from its Parquet
//! files. The sections beyond the graph read the dataset's other files.

use std::path::PathBuf;

use tierank_stats::{RealismCheck, RealismTargets, Report, ReportJson, StatsOptions};

use crate::error::{ApiError, Context, bad_input};
use crate::load::LoadSettings;
use crate::{Progress, check_cancelled};

/// Everything `tierank stats` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRequest {
    /// The dataset directory.
    pub data: PathBuf,
    /// Also write the report and the realism checks as JSON to this file (atomically).
    pub json: Option<PathBuf>,
    /// Overwrite the JSON file if it exists.
    pub force: bool,
    /// Egos measured for clustering and overlap; graphs with at most this many people are
    /// measured exactly.
    pub sample_nodes: usize,
    /// Seed of the node and tie samples.
    pub seed: u64,
    /// How the dataset is loaded (of the parameters, only the event window and the
    /// half-life matter).
    pub load: LoadSettings,
}

impl Default for StatsRequest {
    fn default() -> Self {
        Self {
            data: PathBuf::new(),
            json: None,
            force: false,
            sample_nodes: tierank_stats::DEFAULT_SAMPLE_NODES,
            seed: tierank_stats::DEFAULT_SEED,
            load: LoadSettings::default(),
        }
    }
}

/// What `stats` measured.
#[derive(Debug, Clone)]
pub struct StatsOutcome {
    /// The report.
    pub report: Report,
    /// The realism checks against the default targets.
    pub checks: Vec<RealismCheck>,
}

impl StatsOutcome {
    /// Realism checks that failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|c| !c.pass).count()
    }

    /// The report and the checks as JSON (what `--json` writes).
    ///
    /// # Errors
    /// A failure when the report cannot be serialised.
    pub fn to_json(&self) -> Result<String, ApiError> {
        let mut text = serde_json::to_string_pretty(&ReportJson {
            report: &self.report,
            realism_checks: &self.checks,
        })
        .map_err(ApiError::other)?;
        text.push('\n');
        Ok(text)
    }
}

impl StatsRequest {
    /// Checks the JSON output path, loads the dataset, measures it and writes the JSON file
    /// when asked.
    ///
    /// # Errors
    /// Bad input (nothing written) for a bad output path or a missing or malformed dataset;
    /// a failure for I/O errors; [`ApiError::Cancelled`] when `progress` asks to stop.
    pub fn run(&self, progress: &dyn Progress) -> Result<StatsOutcome, ApiError> {
        if let Some(path) = &self.json {
            // Before the report is computed, so a mistake costs nothing and writes nothing.
            tierank_format::output::check_output_path(path, &[&self.data])
                .map_err(|e| bad_input(format!("--json: {e}")))?;
            crate::check_output_file("--json", path, self.force)?;
        }
        let load = self.load.load_options()?;
        let opts = StatsOptions {
            sample_nodes: self.sample_nodes,
            seed: self.seed,
            load,
            ..StatsOptions::default()
        };
        let opened = self.load.open(&self.data, &opts.load, progress)?;
        check_cancelled(progress)?;
        let report = tierank_stats::compute_loaded(
            &opened.dataset_dir,
            &opened.graph,
            &opened.report,
            &opts,
        )
        .map_err(|err| {
            if err.is_bad_input() {
                bad_input(err)
            } else {
                ApiError::failed(
                    format!("computing the report of {}", self.data.display()),
                    err,
                )
            }
        })?;
        let checks = report.check_realism(&RealismTargets::default());
        let outcome = StatsOutcome { report, checks };
        if let Some(path) = &self.json {
            let text = outcome.to_json()?;
            tierank_format::atomic::write_file_atomically(path, |file| {
                std::io::Write::write_all(file, text.as_bytes())
                    .map_err(|e| tierank_format::FormatError::io(path, e))
            })
            .context(format!("writing {}", path.display()))?;
        }
        Ok(outcome)
    }
}

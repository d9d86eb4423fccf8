//! The settings record of saved artefacts (`model.json`, `calibration.json`): every setting
//! their scores depend on, written beside the artefact's own fields under `"settings"`, and
//! checked when the artefact is used (`rank --model`, `select --calibration`), so that a
//! model or calibration made under other settings is refused instead of silently mixing
//! scores of two configurations.
//!
//! The record is kept apart from the artefacts' own types (`tierank_eval`): it is added to
//! the saved JSON as one more top-level field, which their readers ignore.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tierank_format::layout::DatasetPaths;
use tierank_format::manifest::sha256_file;
use tierank_heuristics::HeuristicConfig;
use tierank_io::{LoadOptions, LoadReport};

use crate::error::{ApiError, Context, bad_input};

/// The key of the settings record in an artefact's JSON.
pub const SETTINGS_KEY: &str = "settings";

/// Every setting a saved artefact's scores depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSettings {
    /// The heuristic configuration (parameters, channel weights, PPR, combo). Its `seed`
    /// only drives the `random` baseline and is not compared.
    pub heuristic_config: HeuristicConfig,
    /// Half-life of the recency decay, in milliseconds.
    pub half_life_ms: i64,
    /// Whether the load refused (rather than dropped) bad rows.
    pub strict: bool,
    /// The event window the dataset was loaded with: first and last instant counted, in
    /// milliseconds since the epoch (`None` for a dataset without events).
    pub event_window_ms: Option<(i64, i64)>,
    /// The dataset: its manifest's SHA-256 when it has one (it lists every file's checksum),
    /// else each file read, by its path in the dataset, with its SHA-256.
    pub dataset: DatasetChecksums,
}

/// Checksums identifying a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetChecksums {
    /// SHA-256 of `manifest.json`, when the dataset has one.
    pub manifest_sha256: Option<String>,
    /// Without a manifest: (path in the dataset, SHA-256) of every file read, sorted.
    pub files: Vec<(String, String)>,
}

impl DatasetChecksums {
    /// The checksums of the dataset at `root`, whose load read `files_read`.
    ///
    /// # Errors
    /// A failure when a file cannot be read.
    pub fn of(root: &Path, files_read: &[PathBuf]) -> Result<Self, ApiError> {
        let manifest = DatasetPaths::new(root).manifest();
        if manifest.is_file() {
            return Ok(Self {
                manifest_sha256: Some(sha256_file(&manifest).map_err(ApiError::other)?),
                files: Vec::new(),
            });
        }
        let mut files = Vec::new();
        for f in files_read {
            let name = f
                .strip_prefix(root)
                .unwrap_or(f)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, sha256_file(f).map_err(ApiError::other)?));
        }
        files.sort();
        Ok(Self {
            manifest_sha256: None,
            files,
        })
    }
}

impl ScoreSettings {
    /// The settings of a run with `config`, whose dataset at `root` was loaded with `load`.
    ///
    /// # Errors
    /// A failure when a dataset file cannot be read for its checksum.
    pub fn of_run(
        config: &HeuristicConfig,
        load: &LoadOptions,
        root: &Path,
        report: &LoadReport,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            heuristic_config: config.clone(),
            half_life_ms: load.half_life_ms,
            strict: load.strict,
            event_window_ms: report.window.map(|w| (w.start_ms, w.end_ms)),
            dataset: DatasetChecksums::of(root, &report.files_read)?,
        })
    }

    /// The settings that differ between a recorded artefact (`self`) and this run, as
    /// (dotted name, recorded value, value now). The heuristic seed is not compared.
    #[must_use]
    pub fn differences(&self, now: &Self) -> Vec<(String, String, String)> {
        let value = |s: &Self| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(config) = v
                .get_mut("heuristic_config")
                .and_then(|c| c.as_object_mut())
            {
                config.remove("seed");
            }
            v
        };
        let mut out = Vec::new();
        diff_values("", &value(self), &value(now), &mut out);
        out
    }
}

fn diff_values(
    path: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    out: &mut Vec<(String, String, String)>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(l), Some(r)) => diff_values(&p, l, r, out),
                    (l, r) => out.push((p, show(l), show(r))),
                }
            }
        }
        _ if a != b => out.push((path.to_owned(), a.to_string(), b.to_string())),
        _ => {}
    }
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "absent".to_owned(), serde_json::Value::to_string)
}

/// `json` (an artefact's text: one JSON object) with the settings record added as its last
/// field; the artefact's own fields keep their bytes.
///
/// # Errors
/// A failure when `json` is not an object.
pub fn with_settings(json: &str, settings: &ScoreSettings) -> Result<String, ApiError> {
    let body = json.trim_end();
    let body = body
        .strip_suffix('}')
        .ok_or_else(|| ApiError::Message("an artefact is not a JSON object".into()))?
        .trim_end();
    let record = serde_json::to_string_pretty(settings).map_err(ApiError::other)?;
    let record = record.replace('\n', "\n  ");
    Ok(format!("{body},\n  \"{SETTINGS_KEY}\": {record}\n}}\n"))
}

/// Writes `json` with the settings record to `path`, atomically.
///
/// # Errors
/// A failure on I/O errors.
pub fn save_with_settings(
    path: &Path,
    json: &str,
    settings: &ScoreSettings,
) -> Result<(), ApiError> {
    let text = with_settings(json, settings)?;
    tierank_format::atomic::write_file_atomically(path, |f| {
        use std::io::Write;
        f.write_all(text.as_bytes())
            .map_err(|e| tierank_format::FormatError::io(path, e))
    })
    .context(format!("writing {}", path.display()))
}

/// Checks the settings recorded in the artefact at `path` against this run's. An artefact
/// without a record (written before records existed) is accepted with a warning.
///
/// # Errors
/// A bad-input error naming `flag`, the file and the first differing setting (with both
/// values) when they differ, or when the file is not JSON.
pub fn check_settings(
    flag: &str,
    path: &Path,
    now: &ScoreSettings,
    warn: &dyn Fn(&str),
) -> Result<(), ApiError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("{flag} {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad_input(format!("{flag} {}: not JSON: {e}", path.display())))?;
    let Some(recorded) = value.get(SETTINGS_KEY) else {
        warn(&format!(
            "{flag} {}: it records no settings (written by an older tierank), so they cannot \
             be checked against this run's; rerun tierank compare to make one that does",
            path.display()
        ));
        return Ok(());
    };
    let recorded: ScoreSettings = serde_json::from_value(recorded.clone()).map_err(|e| {
        bad_input(format!(
            "{flag} {}: its settings record is not readable: {e}",
            path.display()
        ))
    })?;
    let differences = recorded.differences(now);
    if let Some((name, was, is)) = differences.first() {
        let more = match differences.len() {
            1 => String::new(),
            n => format!(" (and {} more setting(s))", n - 1),
        };
        return Err(bad_input(format!(
            "{flag} {}: made under other settings: {name} is {was} there but {is} in this \
             run{more}; use it with the settings it was made with, or rerun tierank compare \
             with these",
            path.display()
        )));
    }
    Ok(())
}

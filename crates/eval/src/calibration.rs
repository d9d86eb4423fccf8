//! `calibration.json`: a [`Calibrator`] saved with what it calibrates, so that
//! `tierank select --policy probability:P` can turn one heuristic's scores into
//! probabilities of closeness.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::learned::Calibrator;

/// Version of the calibration file layout.
pub const CALIBRATION_FORMAT: u32 = 1;

/// A calibration file: the score-to-probability map of one heuristic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFile {
    /// [`CALIBRATION_FORMAT`].
    pub format: u32,
    /// The heuristic whose scores it maps (`learned` for a learned model's log-odds).
    pub heuristic: String,
    /// "Close" meant planted layer `<= relevant_layer`.
    pub relevant_layer: i8,
    /// Targets whose friends were the fitting examples (disjoint from the evaluated targets
    /// when `tierank compare` trains a learned model).
    pub targets: usize,
    /// The map.
    pub calibration: Calibrator,
}

impl CalibrationFile {
    /// The calibrated probability for a score of [`CalibrationFile::heuristic`].
    pub fn probability(&self, score: f64) -> f64 {
        self.calibration.probability(score)
    }

    /// Writes the file atomically as pretty JSON.
    ///
    /// # Errors
    /// [`EvalError::Format`] on I/O failure.
    pub fn save(&self, path: &Path) -> Result<(), EvalError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| EvalError::Calibration {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        text.push('\n');
        tierank_format::atomic::write_file_atomically(path, |file| {
            use std::io::Write;
            file.write_all(text.as_bytes())
                .map_err(|e| tierank_format::FormatError::io(path, e))
        })?;
        Ok(())
    }

    /// Reads and checks a calibration file.
    ///
    /// # Errors
    /// [`EvalError::Io`] when unreadable; [`EvalError::Calibration`] (naming the file) for invalid
    /// JSON, an unknown format, or a map that is not monotone within `[0, 1]`.
    pub fn load(path: &Path) -> Result<Self, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
            path: path.to_owned(),
            source,
        })?;
        let bad = |reason: String| EvalError::Calibration {
            path: PathBuf::from(path),
            reason,
        };
        let file: Self = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if file.format != CALIBRATION_FORMAT {
            return Err(bad(format!(
                "calibration format {} (this version reads {CALIBRATION_FORMAT})",
                file.format
            )));
        }
        let c = &file.calibration;
        let n = c.block_start.len();
        if n == 0 || c.probability.len() != n || c.examples.len() != n {
            return Err(bad(
                "calibration blocks are empty or differ in length".into()
            ));
        }
        if c.block_start
            .windows(2)
            .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
            || c.probability.windows(2).any(|w| {
                w[0].partial_cmp(&w[1])
                    .is_none_or(|o| o == std::cmp::Ordering::Greater)
            })
            || c.probability.iter().any(|p| !(0.0..=1.0).contains(p))
        {
            return Err(bad(
                "calibration is not increasing in score and non-decreasing in [0, 1]".into(),
            ));
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_non_monotone_maps() {
        let calibration =
            Calibrator::fit(&[0.0, 1.0, 2.0, 3.0], &[false, false, true, true]).unwrap();
        let file = CalibrationFile {
            format: CALIBRATION_FORMAT,
            heuristic: "volume".into(),
            relevant_layer: 3,
            targets: 1,
            calibration,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calibration.json");
        file.save(&path).unwrap();
        let back = CalibrationFile::load(&path).unwrap();
        assert_eq!(back, file);
        assert_eq!(back.probability(3.0), 1.0);
        assert_eq!(back.probability(-1.0), 0.0);

        let mut broken = file.clone();
        broken.calibration.probability.reverse();
        std::fs::write(&path, serde_json::to_string(&broken).unwrap()).unwrap();
        let err = CalibrationFile::load(&path).unwrap_err();
        assert!(matches!(err, EvalError::Calibration { .. }), "{err:?}");
        // Named as what it is: a calibration file, not a learned model.
        assert!(
            err.to_string().contains("invalid calibration file"),
            "{err}"
        );
        std::fs::write(&path, "{\"format\": 1}").unwrap();
        let err = CalibrationFile::load(&path).unwrap_err();
        assert!(!err.to_string().contains("model"), "{err}");
    }
}

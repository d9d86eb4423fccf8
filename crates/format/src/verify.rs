//! `tierank verify DIR`: every file of a directory against the checksums it records.
//!
//! Two kinds of directory record checksums of their own files:
//! - a **dataset**: `manifest.json` lists every data file with its SHA-256;
//! - a **`tierank select` output**: `audit.json` lists its output files (`outputs`).
//!
//! A `tierank compare` report also has a `manifest.json`, but it records the checksums of
//! the report's *inputs* (the dataset files it read), not of its own files, whose
//! `metrics.parquet` holds wall times and so differs on every run: it is refused with a
//! message saying so ([`VerifyError::NotVerifiable`]).
//!
//! Files are hashed in parallel. Every file found is reported: ok, mismatch, missing (listed
//! but absent) or unlisted (present but not in the record; hidden leftovers of interrupted
//! runs are reported too).

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use crate::FormatError;
use crate::layout::MANIFEST;
use crate::manifest::{FileCheck, Manifest, check_file, is_plain_relative, relative_key};

/// The audit record of a `tierank select` output directory.
pub const AUDIT: &str = "audit.json";

/// Which record a directory was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A dataset's `manifest.json`.
    Dataset,
    /// A `tierank select` output's `audit.json`.
    SelectOutput,
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Dataset => "dataset (manifest.json)",
            Self::SelectOutput => "tierank select output (audit.json)",
        })
    }
}

/// The state of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Its SHA-256 is the recorded one.
    Ok,
    /// Its SHA-256 differs from the recorded one.
    Mismatch {
        /// The recorded digest.
        expected: String,
        /// The digest of the file now.
        actual: String,
    },
    /// Listed in the record, not on disk.
    Missing,
    /// On disk, not listed in the record.
    Unlisted,
}

/// One file's line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Path relative to the directory, `/`-separated.
    pub path: String,
    /// What was found.
    pub status: FileStatus,
}

/// What [`verify_dir`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The record used.
    pub kind: RecordKind,
    /// The record file.
    pub record: PathBuf,
    /// Every listed file and every unlisted one, sorted by path.
    pub files: Vec<FileReport>,
}

impl VerifyReport {
    /// Whether every file is listed, present and unchanged.
    pub fn all_ok(&self) -> bool {
        self.files.iter().all(|f| f.status == FileStatus::Ok)
    }
}

/// Why a directory could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The directory does not exist or is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The directory holds no record of checksums that can be checked.
    #[error("{}: {reason}", path.display())]
    NotVerifiable {
        /// The directory or record file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Reading a file or the record failed, or the record is malformed.
    #[error(transparent)]
    Format(#[from] FormatError),
}

impl VerifyError {
    /// Whether this is the user's input (a wrong directory, a malformed record) rather than
    /// a failure of the machine (a read error).
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            Self::Format(FormatError::Io { .. } | FormatError::Output { .. })
        )
    }
}

/// `outputs` of an audit record; the other fields are not needed here.
#[derive(Deserialize)]
struct AuditOutputs {
    outputs: Vec<OutputDigest>,
}

#[derive(Deserialize)]
struct OutputDigest {
    name: String,
    sha256: String,
}

/// Checks every file of `dir` against the checksums recorded in it (see the module docs).
///
/// # Errors
/// [`VerifyError::NotADirectory`]; [`VerifyError::NotVerifiable`] when `dir` has neither a
/// dataset manifest nor an audit record (or has a compare report's manifest);
/// [`FormatError::Manifest`] for a malformed record; [`FormatError::Io`] when a file cannot
/// be read.
pub fn verify_dir(dir: &Path) -> Result<VerifyReport, VerifyError> {
    if !dir.is_dir() {
        return Err(VerifyError::NotADirectory {
            path: dir.to_owned(),
        });
    }
    let manifest_path = dir.join(MANIFEST);
    let audit_path = dir.join(AUDIT);
    let (kind, record, listed) = if manifest_path.is_file() {
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| FormatError::io(&manifest_path, e))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| FormatError::Manifest {
                path: manifest_path.clone(),
                message: e.to_string(),
            })?;
        if value.get("command").and_then(serde_json::Value::as_str) == Some("tierank compare") {
            return Err(VerifyError::NotVerifiable {
                path: manifest_path,
                reason: "this is a tierank compare report: its manifest records the checksums of \
                         the dataset files the report was computed from, not of the report's own \
                         files (metrics.parquet holds wall times, so they differ on every run); \
                         verify the dataset instead"
                    .into(),
            });
        }
        let manifest = Manifest::read_checked(&manifest_path)?;
        let listed: Vec<(String, String)> = manifest
            .files
            .into_iter()
            .map(|f| (f.path, f.sha256))
            .collect();
        (RecordKind::Dataset, manifest_path, listed)
    } else if audit_path.is_file() {
        let text =
            std::fs::read_to_string(&audit_path).map_err(|e| FormatError::io(&audit_path, e))?;
        let invalid = |message: String| FormatError::Manifest {
            path: audit_path.clone(),
            message,
        };
        let audit: AuditOutputs = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("not an audit record: {e}")))?;
        for o in &audit.outputs {
            if !is_plain_relative(&o.name) {
                return Err(invalid(format!(
                    "output '{}' is not a plain relative path inside the directory",
                    o.name
                ))
                .into());
            }
            if !(o.sha256.len() == 64 && o.sha256.bytes().all(|b| b.is_ascii_hexdigit())) {
                return Err(
                    invalid(format!("output '{}': sha256 is not 64 hex digits", o.name)).into(),
                );
            }
        }
        let listed = audit
            .outputs
            .into_iter()
            .map(|o| (o.name, o.sha256))
            .collect();
        (RecordKind::SelectOutput, audit_path, listed)
    } else {
        return Err(VerifyError::NotVerifiable {
            path: dir.to_owned(),
            reason: format!(
                "neither {MANIFEST} (a dataset) nor {AUDIT} (a tierank select output) is here, so \
                 there are no checksums to check against"
            ),
        });
    };

    let checked: Vec<Result<FileReport, FormatError>> = listed
        .par_iter()
        .map(|(path, sha256)| {
            let status = match check_file(&dir.join(path), sha256)? {
                FileCheck::Ok => FileStatus::Ok,
                FileCheck::Missing => FileStatus::Missing,
                FileCheck::Mismatch { expected, actual } => {
                    FileStatus::Mismatch { expected, actual }
                }
            };
            Ok(FileReport {
                path: path.clone(),
                status,
            })
        })
        .collect();
    let mut files = checked.into_iter().collect::<Result<Vec<_>, _>>()?;
    let record_name = relative_key(dir, &record).unwrap_or_default();
    let mut on_disk = Vec::new();
    list_files(dir, dir, &mut on_disk)?;
    for key in on_disk {
        // A dataset's graph snapshot is derived from its listed files, not one of them.
        let derived = kind == RecordKind::Dataset && key == crate::layout::SNAPSHOT;
        if key != record_name && !derived && !listed.iter().any(|(p, _)| *p == key) {
            files.push(FileReport {
                path: key,
                status: FileStatus::Unlisted,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(VerifyReport {
        kind,
        record,
        files,
    })
}

/// Every non-directory entry under `dir` (recursively, not following directory symlinks),
/// as keys relative to `root`.
fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), FormatError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FormatError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| FormatError::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| FormatError::io(&path, e))?;
        if file_type.is_dir() {
            list_files(root, &path, out)?;
        } else if let Some(key) = relative_key(root, &path) {
            out.push(key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{FileEntry, sha256_bytes};

    fn write_dataset(dir: &Path) {
        std::fs::create_dir_all(dir.join("events")).unwrap();
        std::fs::write(dir.join("ties.parquet"), b"ties").unwrap();
        std::fs::write(dir.join("events/part-00000.parquet"), b"events").unwrap();
        let entry = |path: &str, bytes: &[u8]| FileEntry {
            path: path.into(),
            rows: 1,
            bytes: bytes.len() as u64,
            sha256: sha256_bytes(bytes),
        };
        let m = Manifest {
            format_version: 1,
            tierank_version: "0.1.0".into(),
            generator: "test".into(),
            seed: None,
            parameters: serde_json::json!({}),
            row_counts: Default::default(),
            files: vec![
                entry("events/part-00000.parquet", b"events"),
                entry("ties.parquet", b"ties"),
            ],
        };
        std::fs::write(dir.join(MANIFEST), m.to_json().unwrap()).unwrap();
    }

    fn statuses(report: &VerifyReport) -> Vec<(&str, &FileStatus)> {
        report
            .files
            .iter()
            .map(|f| (f.path.as_str(), &f.status))
            .collect()
    }

    #[test]
    fn dataset_ok_mismatch_missing_unlisted() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path());
        let report = verify_dir(dir.path()).unwrap();
        assert_eq!(report.kind, RecordKind::Dataset);
        assert!(report.all_ok(), "{report:?}");
        assert_eq!(report.files.len(), 2);
        // The graph snapshot of `tierank index` is derived, not unlisted.
        std::fs::write(dir.path().join(crate::layout::SNAPSHOT), b"snapshot").unwrap();
        let report = verify_dir(dir.path()).unwrap();
        assert!(report.all_ok(), "{report:?}");
        assert_eq!(report.files.len(), 2);

        std::fs::write(dir.path().join("ties.parquet"), b"tieS").unwrap();
        std::fs::remove_file(dir.path().join("events/part-00000.parquet")).unwrap();
        std::fs::write(dir.path().join("events/.part.tmp"), b"x").unwrap();
        let report = verify_dir(dir.path()).unwrap();
        assert!(!report.all_ok());
        assert_eq!(
            statuses(&report),
            vec![
                ("events/.part.tmp", &FileStatus::Unlisted),
                ("events/part-00000.parquet", &FileStatus::Missing),
                (
                    "ties.parquet",
                    &FileStatus::Mismatch {
                        expected: sha256_bytes(b"ties"),
                        actual: sha256_bytes(b"tieS")
                    }
                ),
            ]
        );
    }

    #[test]
    fn select_output_is_checked_against_its_audit_record() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("audiences.parquet"), b"a").unwrap();
        let audit = serde_json::json!({
            "command_line": ["tierank"],
            "outputs": [{"role": "audience", "name": "audiences.parquet", "bytes": 1,
                         "sha256": sha256_bytes(b"a")}],
        });
        std::fs::write(dir.path().join(AUDIT), audit.to_string()).unwrap();
        let report = verify_dir(dir.path()).unwrap();
        assert_eq!(report.kind, RecordKind::SelectOutput);
        assert!(report.all_ok(), "{report:?}");
    }

    #[test]
    fn unverifiable_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = verify_dir(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, VerifyError::NotADirectory { .. }), "{err}");
        let err = verify_dir(dir.path()).unwrap_err();
        assert!(err.to_string().contains("no checksums"), "{err}");
        std::fs::write(
            dir.path().join(MANIFEST),
            r#"{"command": "tierank compare", "inputs": []}"#,
        )
        .unwrap();
        let err = verify_dir(dir.path()).unwrap_err();
        assert!(err.to_string().contains("compare report"), "{err}");
        assert!(err.is_bad_input());
        std::fs::write(dir.path().join(MANIFEST), "{").unwrap();
        let err = verify_dir(dir.path()).unwrap_err();
        assert!(err.to_string().contains("invalid manifest"), "{err}");
        assert!(err.is_bad_input());
    }
}

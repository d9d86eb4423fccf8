//! Checking the data files a command reads against the dataset's `manifest.json`.
//!
//! `tierank generate` (and any exporter that writes a manifest) records the SHA-256 of every
//! file. A flipped bit inside a Parquet data page still decodes, into a different value: a
//! friendship to someone else, another timestamp. So every file a command reads that the
//! manifest lists is hashed, in parallel with decoding it (see [`crate::load_graph`]), and a
//! mismatch is refused before anything is written. Files the manifest does not list (and
//! every file of a dataset without a manifest, which user exports may lack) are read as
//! before, with a log line.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tierank_format::FormatError;
use tierank_format::layout::{DatasetPaths, MANIFEST};
use tierank_format::manifest::{FileCheck, Manifest, check_file, relative_key};

use crate::IoError;

/// The checksums of a dataset, when it has a manifest.
#[derive(Debug)]
pub(crate) struct Checksums {
    root: PathBuf,
    manifest: Option<Manifest>,
}

impl Checksums {
    /// Reads `dir/manifest.json` if there is one.
    ///
    /// # Errors
    /// [`IoError::Manifest`] when it is present but not a valid manifest.
    pub(crate) fn open(dir: &Path) -> Result<Self, IoError> {
        let path = DatasetPaths::new(dir).manifest();
        let manifest = if path.is_file() {
            Some(Manifest::read_checked(&path).map_err(|e| match e {
                FormatError::Manifest { path, message } => IoError::Manifest { path, message },
                other => IoError::Format(other),
            })?)
        } else {
            log::info!(
                "{}: no {MANIFEST}; data files are read without checksum verification",
                dir.display()
            );
            None
        };
        Ok(Self {
            root: dir.to_owned(),
            manifest,
        })
    }

    /// Refuses a dataset whose manifest lists a file that `reads` would read (by manifest
    /// path) but that is not on disk: reading the dataset without it would silently give
    /// other results (fewer events, no isolated people).
    ///
    /// # Errors
    /// [`IoError::ListedMissing`] naming the first such file.
    /// The SHA-256 the manifest lists for the file `key` (relative, with `/`), if any.
    pub(crate) fn sha256_of(&self, key: &str) -> Option<String> {
        self.manifest
            .as_ref()
            .and_then(|m| m.entry(key))
            .map(|e| e.sha256.clone())
    }

    pub(crate) fn require_present(&self, reads: impl Fn(&str) -> bool) -> Result<(), IoError> {
        let Some(manifest) = &self.manifest else {
            return Ok(());
        };
        for entry in manifest.files.iter().filter(|f| reads(&f.path)) {
            let path = self.root.join(&entry.path);
            if std::fs::symlink_metadata(&path).is_err() {
                return Err(IoError::ListedMissing {
                    path,
                    manifest: self.root.join(MANIFEST),
                });
            }
        }
        Ok(())
    }

    /// Whether the manifest lists `path`.
    pub(crate) fn lists(&self, path: &Path) -> bool {
        self.manifest.as_ref().is_some_and(|m| {
            relative_key(&self.root, path).is_some_and(|key| m.entry(&key).is_some())
        })
    }

    /// Hashes every file of `files` that the manifest lists, in parallel, and compares.
    ///
    /// # Errors
    /// [`IoError::Checksum`] for the first file (in `files` order) whose digest differs;
    /// [`IoError::ListedMissing`] for a listed file that is gone; [`IoError::Io`] when a
    /// file cannot be read.
    pub(crate) fn check(&self, files: &[PathBuf]) -> Result<(), IoError> {
        let Some(manifest) = &self.manifest else {
            return Ok(());
        };
        let t = std::time::Instant::now();
        let results: Vec<Result<u64, IoError>> = files
            .par_iter()
            .map(|path| {
                let Some(entry) =
                    relative_key(&self.root, path).and_then(|key| manifest.entry(&key))
                else {
                    log::warn!(
                        "{}: not listed in {MANIFEST}; read without checksum verification",
                        path.display()
                    );
                    return Ok(0);
                };
                match check_file(path, &entry.sha256)? {
                    FileCheck::Ok => Ok(entry.bytes),
                    FileCheck::Missing => Err(IoError::ListedMissing {
                        path: path.clone(),
                        manifest: self.root.join(MANIFEST),
                    }),
                    FileCheck::Mismatch { expected, actual } => Err(IoError::Checksum {
                        path: path.clone(),
                        expected,
                        actual,
                    }),
                }
            })
            .collect();
        let mut bytes = 0;
        for r in results {
            bytes += r?;
        }
        log::info!(
            "verified {} file(s), {bytes} bytes, against {MANIFEST} in {:.3} s",
            files.len(),
            t.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

/// Checks one file of the dataset in `dir` against the dataset's `manifest.json`, for
/// readers outside [`crate::load_graph`] (groups, truth). Nothing is checked when the
/// dataset has no manifest or the manifest does not list the file (an unlisted file that
/// exists is logged); a listed file that is missing is an error.
///
/// # Errors
/// [`IoError::Manifest`], [`IoError::ListedMissing`], [`IoError::Checksum`], or
/// [`IoError::Io`] when the file cannot be read.
pub fn verify_dataset_file(dir: &Path, path: &Path) -> Result<(), IoError> {
    let checksums = Checksums::open(dir)?;
    if checksums.lists(path) || std::fs::symlink_metadata(path).is_ok() {
        checksums.check(std::slice::from_ref(&path.to_owned()))
    } else {
        Ok(())
    }
}

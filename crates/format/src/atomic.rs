//! Atomic output: write into a hidden temporary sibling, then rename into place.
//!
//! A rename within one directory is atomic on POSIX file systems, so readers see either
//! nothing or the complete output, never half of it. The temporary is removed on drop if
//! the write did not complete (error or panic).

use std::fs;
use std::path::{Path, PathBuf};

use crate::FormatError;

/// What to do when the final output directory already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingDir {
    /// Refuse unless it is empty.
    Refuse,
    /// Replace it (`--force`).
    Replace,
}

/// A directory being written; becomes `target` on [`StagedDir::commit`].
#[derive(Debug)]
pub struct StagedDir {
    staging: Option<tempfile::TempDir>,
    target: PathBuf,
    existing: ExistingDir,
}

impl StagedDir {
    /// Prepares to write directory `target`, staging it beside the target (same file system).
    ///
    /// # Errors
    /// Fails when `target` exists, is not an empty directory and `existing` is
    /// [`ExistingDir::Refuse`], or when the staging directory cannot be created.
    pub fn new(target: &Path, existing: ExistingDir) -> Result<Self, FormatError> {
        check_output_dir(target, existing)?;
        let parent = parent_of(target);
        fs::create_dir_all(&parent).map_err(|e| FormatError::io(&parent, e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".to_owned());
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.tmp-"))
            .tempdir_in(&parent)
            .map_err(|e| FormatError::io(&parent, e))?;
        Ok(Self {
            staging: Some(staging),
            target: target.to_owned(),
            existing,
        })
    }

    /// The staging directory to write into.
    pub fn path(&self) -> &Path {
        self.staging
            .as_ref()
            .map(tempfile::TempDir::path)
            .unwrap_or(&self.target)
    }

    /// The final location.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the staging directory into place.
    ///
    /// # Errors
    /// Fails when the rename fails (the staging directory is then removed).
    pub fn commit(mut self) -> Result<PathBuf, FormatError> {
        let staging = self.staging.take().expect("committed once");
        if self.target.exists() {
            // Re-check: something may have appeared while we were writing.
            check_output_dir(&self.target, self.existing)?;
            fs::remove_dir_all(&self.target).map_err(|e| FormatError::io(&self.target, e))?;
        }
        let staged = staging.keep();
        fs::rename(&staged, &self.target).map_err(|e| {
            let _ = fs::remove_dir_all(&staged);
            FormatError::io(&self.target, e)
        })?;
        Ok(self.target.clone())
    }
}

/// Checks that `target` can become an output directory.
///
/// # Errors
/// [`FormatError::Output`] when it exists and is a file, or a non-empty directory while
/// `existing` is [`ExistingDir::Refuse`].
pub fn check_output_dir(target: &Path, existing: ExistingDir) -> Result<(), FormatError> {
    if !target.exists() {
        return Ok(());
    }
    if !target.is_dir() {
        return Err(FormatError::Output {
            path: target.to_owned(),
            reason: "exists and is not a directory".into(),
        });
    }
    let empty = fs::read_dir(target)
        .map_err(|e| FormatError::io(target, e))?
        .next()
        .is_none();
    if !empty && existing == ExistingDir::Refuse {
        return Err(FormatError::Output {
            path: target.to_owned(),
            reason: "directory exists and is not empty (use --force to replace it)".into(),
        });
    }
    Ok(())
}

/// Writes one file atomically: `write` fills a temporary sibling, which is then renamed.
///
/// # Errors
/// Whatever `write` returns, or an I/O error on create/rename. On error nothing is left behind.
pub fn write_file_atomically<E>(
    target: &Path,
    write: impl FnOnce(&mut fs::File) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<FormatError>,
{
    let parent = parent_of(target);
    fs::create_dir_all(&parent).map_err(|e| FormatError::io(&parent, e))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_owned());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .tempfile_in(&parent)
        .map_err(|e| FormatError::io(&parent, e))?;
    write(tmp.as_file_mut())?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| FormatError::io(target, e))?;
    tmp.persist(target)
        .map_err(|e| FormatError::io(target, e.error))?;
    Ok(())
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_dir_appears_only_on_commit() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let staged = StagedDir::new(&target, ExistingDir::Refuse).unwrap();
        fs::write(staged.path().join("a.txt"), "x").unwrap();
        assert!(!target.exists());
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "x");
    }

    #[test]
    fn dropped_stage_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        {
            let staged = StagedDir::new(&target, ExistingDir::Refuse).unwrap();
            fs::write(staged.path().join("a.txt"), "x").unwrap();
        }
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn refuses_non_empty_dir_without_force() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("keep.txt"), "x").unwrap();
        let err = StagedDir::new(root.path(), ExistingDir::Refuse).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(StagedDir::new(root.path(), ExistingDir::Replace).is_ok());
    }

    #[test]
    fn failed_file_write_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("f.parquet");
        let res: Result<(), FormatError> = write_file_atomically(&target, |_| {
            Err(FormatError::Output {
                path: "x".into(),
                reason: "boom".into(),
            })
        });
        assert!(res.is_err());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }
}

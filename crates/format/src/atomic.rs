//! Atomic output: write into a hidden temporary sibling, then swap it into place.
//!
//! Readers, and a run killed at any instant (`kill -9`, power loss after the syncs), see at
//! the final path either the complete old output or the complete new one, never a mixture
//! and never a half-deleted directory.
//!
//! # Directories ([`StagedDir`])
//! 1. Leftovers of interrupted runs on the same path are cleaned (see below), and the new
//!    output is written into `.NAME.tmp-XXXXXX` beside `NAME` (same file system).
//! 2. Commit: on Linux, `renameat2(RENAME_EXCHANGE)` swaps the staging directory and the old
//!    output in one atomic step; the old output now sits at the hidden staging name.
//!    Where the exchange is not supported (other systems, some file systems), the old output
//!    is renamed to `.NAME.old-XXXXXX`, then the new one is renamed in. Between these two
//!    renames the final path is briefly absent; a run interrupted there is rolled back by
//!    the next run on the path, which renames the complete old output back before anything
//!    else ([`check_output_dir`] does this).
//! 3. The parent directory is synced, then the old output is deleted (in the fallback, after
//!    renaming it to a `.tmp-` name, so that an `.old-` entry is always complete).
//!
//! # Files ([`write_file_atomically`])
//! The file is written to `.NAME.tmp-XXXXXX`, synced, renamed over `NAME` (rename replaces
//! atomically), and the directory is synced. The temporary is created with mode `0o666`
//! less the umask, as a plain `File::create` would, not the `0o600` of a temporary file.
//!
//! # Leftovers
//! A killed run leaves its staging directory or temporary file (`.NAME.tmp-XXXXXX`), or in
//! the fallback an old output set aside (`.NAME.old-XXXXXX`). The next run writing `NAME`
//! removes exactly these (a dot, the name, `.tmp-` or `.old-`, six ASCII letters or digits,
//! never following symbolic links), and logs what it removed and how many bytes. Two runs
//! writing the same output path at the same time are not supported: the second removes
//! the first one's staging directory, which then fails.
//!
//! # Test hook
//! In debug builds only (`cfg(debug_assertions)`, which is how the integration tests run
//! the binary), the environment variable `TIERANK_TEST_ABORT_AT=STEP` (or `STEP@N` for its
//! N-th occurrence) makes the process `abort()` at that step, and `TIERANK_TEST_NO_EXCHANGE=1`
//! forces the fallback. The steps are listed in [`ABORT_STEPS`]. Release builds do not read
//! these variables.

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

/// The steps of the test hook, in the order a directory output passes them.
pub const ABORT_STEPS: [&str; 9] = [
    "dir-staged",
    "file-written",
    "file-renamed",
    "dir-commit",
    "dir-swapped",
    "dir-new-in",
    "dir-old-partly-deleted",
    "dir-committed",
    "file-committed",
];

/// A directory being written; becomes `target` on [`StagedDir::commit`].
#[derive(Debug)]
pub struct StagedDir {
    staging: Option<tempfile::TempDir>,
    target: PathBuf,
    existing: ExistingDir,
}

impl StagedDir {
    /// Prepares to write directory `target`, staging it beside the target (same file system),
    /// after cleaning the leftovers of interrupted runs on the same path.
    ///
    /// # Errors
    /// Fails when `target` names no entry of its own or is the current directory or an
    /// ancestor (see [`crate::output::check_output_path`]), when it exists, is not an empty
    /// directory and `existing` is [`ExistingDir::Refuse`], or when the staging directory
    /// cannot be created.
    pub fn new(target: &Path, existing: ExistingDir) -> Result<Self, FormatError> {
        check_output_dir(target, existing)?;
        let parent = parent_of(target);
        fs::create_dir_all(&parent).map_err(|e| FormatError::io(&parent, e))?;
        clean_leftovers(target);
        let staging = hidden(&tmp_prefix(target), 0o777)
            .tempdir_in(&parent)
            .map_err(|e| FormatError::io(&parent, e))?;
        let staged = Self {
            staging: Some(staging),
            target: target.to_owned(),
            existing,
        };
        abort_point("dir-staged");
        Ok(staged)
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

    /// Swaps the staging directory into place (see the module documentation), then deletes
    /// the old output.
    ///
    /// # Errors
    /// Fails when the target is no longer replaceable or a rename fails; the staging
    /// directory is then removed and the old output, if any, is left at the final path.
    pub fn commit(mut self) -> Result<PathBuf, FormatError> {
        let staged = self.staging.take().expect("committed once").keep();
        let target = self.target.clone();
        let fail = |err: FormatError| {
            let _ = fs::remove_dir_all(&staged);
            err
        };
        sync_dir(&staged).map_err(fail)?;
        abort_point("dir-commit");
        if fs::symlink_metadata(&target).is_ok() {
            // Re-check: something may have appeared while we were writing.
            check_output_dir(&target, self.existing).map_err(fail)?;
            let old = match exchange(&staged, &target) {
                Ok(()) => {
                    abort_point("dir-swapped");
                    staged.clone()
                }
                Err(e) if exchange_unsupported(&e) => self.rename_aside_then_in(&staged)?,
                Err(e) => return Err(fail(FormatError::io(&target, e))),
            };
            sync_dir(&parent_of(&target))?;
            remove_old(&old).map_err(|e| FormatError::io(&old, e))?;
        } else {
            fs::rename(&staged, &target).map_err(|e| fail(FormatError::io(&target, e)))?;
            sync_dir(&parent_of(&target))?;
        }
        abort_point("dir-committed");
        Ok(target)
    }

    /// The fallback without an atomic exchange: old output aside, new one in. Returns where
    /// the old output now is.
    fn rename_aside_then_in(&self, staged: &Path) -> Result<PathBuf, FormatError> {
        let target = &self.target;
        let parent = parent_of(target);
        let fail = |err: FormatError| {
            let _ = fs::remove_dir_all(staged);
            err
        };
        // An empty directory reserves a unique name; renaming a directory onto an empty
        // one replaces it atomically.
        let aside = hidden(&old_prefix(target), 0o700)
            .tempdir_in(&parent)
            .map_err(|e| fail(FormatError::io(&parent, e)))?
            .keep();
        if let Err(e) = fs::rename(target, &aside) {
            let _ = fs::remove_dir(&aside);
            return Err(fail(FormatError::io(target, e)));
        }
        abort_point("dir-swapped");
        if let Err(e) = fs::rename(staged, target) {
            // Put the old output back; it was never damaged.
            let _ = fs::rename(&aside, target);
            return Err(fail(FormatError::io(target, e)));
        }
        abort_point("dir-new-in");
        // Rename it to a `.tmp-` name before deleting it: an `.old-` entry is what the next
        // run would restore if the final path were missing, so it must never be partial.
        match hidden(&tmp_prefix(target), 0o700).tempdir_in(&parent) {
            Ok(doomed) => {
                let doomed = doomed.keep();
                if fs::rename(&aside, &doomed).is_ok() {
                    return Ok(doomed);
                }
                let _ = fs::remove_dir(&doomed);
                Ok(aside)
            }
            Err(_) => Ok(aside),
        }
    }
}

/// Checks that `target` can become an output directory, after putting back an old output
/// that an interrupted replacement had set aside (so the decision is about what the user
/// really has at that path).
///
/// # Errors
/// [`FormatError::Output`] when `target` names no entry of its own or is the current
/// directory or an ancestor, when it exists and is a file, or a non-empty directory while
/// `existing` is [`ExistingDir::Refuse`].
pub fn check_output_dir(target: &Path, existing: ExistingDir) -> Result<(), FormatError> {
    crate::output::check_output_path(target, &[])?;
    restore_set_aside(target);
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

/// Writes one file atomically: `write` fills a temporary sibling, which is then synced and
/// renamed over `target`, and the directory synced.
///
/// # Errors
/// Whatever `write` returns, or an I/O error on create/rename, or [`FormatError::Output`]
/// for a path that names no file of its own. On error nothing is left behind.
pub fn write_file_atomically<E>(
    target: &Path,
    write: impl FnOnce(&mut fs::File) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<FormatError>,
{
    let mut tmp = temp_file_beside(target)?;
    write(tmp.as_file_mut())?;
    persist_beside(tmp, target)?;
    Ok(())
}

/// Creates the hidden temporary file `.NAME.tmp-XXXXXX` beside `target`, after cleaning
/// the leftovers of interrupted runs on `target`. Finish with [`persist_beside`]; dropping
/// it removes it.
///
/// # Errors
/// [`FormatError::Output`] for a path that names no file of its own or is the current
/// directory or an ancestor; [`FormatError::Io`] when the file cannot be created.
pub fn temp_file_beside(target: &Path) -> Result<tempfile::NamedTempFile, FormatError> {
    crate::output::check_output_path(target, &[])?;
    let parent = parent_of(target);
    fs::create_dir_all(&parent).map_err(|e| FormatError::io(&parent, e))?;
    clean_leftovers(target);
    hidden(&tmp_prefix(target), 0o666)
        .tempfile_in(&parent)
        .map_err(|e| FormatError::io(&parent, e))
}

/// Syncs a temporary file of [`temp_file_beside`], renames it over `target`, and syncs the
/// directory so that the rename survives a crash.
///
/// # Errors
/// [`FormatError::Io`]; the temporary file is then removed.
pub fn persist_beside(tmp: tempfile::NamedTempFile, target: &Path) -> Result<(), FormatError> {
    tmp.as_file()
        .sync_all()
        .map_err(|e| FormatError::io(target, e))?;
    abort_point("file-written");
    tmp.persist(target)
        .map_err(|e| FormatError::io(target, e.error))?;
    abort_point("file-renamed");
    sync_dir(&parent_of(target))?;
    abort_point("file-committed");
    Ok(())
}

/// What [`clean_leftovers`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The removed entries.
    pub paths: Vec<PathBuf>,
    /// Their total size in bytes (files only, symbolic links not followed).
    pub bytes: u64,
}

/// Removes the hidden leftovers of interrupted runs on `target`: entries beside it named
/// `.NAME.tmp-XXXXXX` or `.NAME.old-XXXXXX` (six ASCII letters or digits), and nothing
/// else; symbolic links are never followed nor removed. An `.old-` entry while `target`
/// itself is missing is first put back (see [`check_output_dir`]). Logs a warning naming
/// what was removed and how many bytes; failures to remove are logged, not returned, so a
/// stray leftover never blocks a run.
pub fn clean_leftovers(target: &Path) -> Cleaned {
    restore_set_aside(target);
    let mut cleaned = Cleaned::default();
    for path in leftovers(target, &[".tmp-", ".old-"]) {
        let bytes = size_of(&path);
        match remove_entry(&path) {
            Ok(()) => {
                cleaned.bytes += bytes;
                cleaned.paths.push(path);
            }
            Err(e) => log::warn!(
                "could not remove {}, left by an interrupted run: {e}",
                path.display()
            ),
        }
    }
    if !cleaned.paths.is_empty() {
        let names: Vec<String> = cleaned
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        log::warn!(
            "removed {} leftover(s) of interrupted runs on {}: {} ({} bytes)",
            cleaned.paths.len(),
            target.display(),
            names.join(", "),
            cleaned.bytes
        );
    }
    cleaned
}

/// Puts back an old output that the fallback had set aside when the run was killed before
/// the new one was renamed in (the final path is then missing).
fn restore_set_aside(target: &Path) {
    if fs::symlink_metadata(target).is_ok() {
        return;
    }
    if let Some(aside) = leftovers(target, &[".old-"]).into_iter().next() {
        match fs::rename(&aside, target) {
            Ok(()) => log::warn!(
                "restored {} from {}, set aside by an interrupted replacement",
                target.display(),
                aside.display()
            ),
            Err(e) => log::warn!(
                "could not restore {} from {}: {e}",
                target.display(),
                aside.display()
            ),
        }
    }
}

/// Entries beside `target` named `.NAME` + one of `kinds` + six ASCII letters or digits,
/// that are plain files or directories (not symbolic links), sorted by name.
fn leftovers(target: &Path, kinds: &[&str]) -> Vec<PathBuf> {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(parent_of(target)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let entry_name = entry.file_name();
            let Some(entry_name) = entry_name.to_str() else {
                return false;
            };
            kinds.iter().any(|kind| {
                entry_name
                    .strip_prefix('.')
                    .and_then(|r| r.strip_prefix(name.as_str()))
                    .and_then(|r| r.strip_prefix(kind))
                    .is_some_and(|suffix| {
                        suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
                    })
            }) && entry.file_type().is_ok_and(|t| t.is_dir() || t.is_file())
        })
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}

/// Total size of the files under `path`, not following symbolic links.
fn size_of(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| size_of(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

fn remove_entry(path: &Path) -> std::io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// Deletes a replaced output, entry by entry (a hook step sits after the first, to test a
/// kill in the middle; the output is no longer at the final path by then).
fn remove_old(old: &Path) -> std::io::Result<()> {
    if !fs::symlink_metadata(old)?.is_dir() {
        // The old output was a symbolic link (or a file): remove it, never what it points to.
        return fs::remove_file(old);
    }
    let mut first = true;
    for entry in fs::read_dir(old)? {
        remove_entry(&entry?.path())?;
        if std::mem::take(&mut first) {
            abort_point("dir-old-partly-deleted");
        }
    }
    fs::remove_dir(old)
}

/// Swaps two paths atomically (`renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    if test_flag("TIERANK_TEST_NO_EXCHANGE") {
        return Err(std::io::Error::from(std::io::ErrorKind::Unsupported));
    }
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// No atomic exchange on this system: always the fallback.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Whether the exchange failed because the system or file system lacks it (`EINVAL`,
/// `ENOSYS`, `EOPNOTSUPP`), not because of the paths.
fn exchange_unsupported(err: &std::io::Error) -> bool {
    const EINVAL: i32 = 22;
    const ENOSYS: i32 = 38;
    const EOPNOTSUPP: i32 = 95;
    err.kind() == std::io::ErrorKind::Unsupported
        || matches!(err.raw_os_error(), Some(EINVAL | ENOSYS | EOPNOTSUPP))
}

/// Syncs a directory so that renames and new entries in it survive a crash. A no-op where
/// directories cannot be opened as files.
fn sync_dir(dir: &Path) -> Result<(), FormatError> {
    #[cfg(unix)]
    {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| FormatError::io(dir, e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Makes everything this process (and the processes it starts) creates from now on private
/// to its owner: the umask becomes `0o077`, so files are `0o600` and directories `0o700`.
///
/// `tierank --private` calls it first thing, for outputs that hold personal data (rankings,
/// audiences): every file and directory a run writes goes through the umask, the atomic
/// writer's temporaries and staging directories included. Without it the umask is honoured
/// as it is (usually `022`: files `0o644`, directories `0o755`). Linux only (elsewhere run
/// under `umask 077`). See `docs/selection.md`.
pub fn make_outputs_private() {
    #[cfg(target_os = "linux")]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// A builder of hidden siblings named `prefix` + six random letters or digits, created with
/// `mode` less the umask (on Unix; a temporary file would otherwise be private, `0o600`).
fn hidden(prefix: &str, mode: u32) -> tempfile::Builder<'_, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(mode));
    #[cfg(not(unix))]
    let _ = mode;
    builder
}

fn tmp_prefix(target: &Path) -> String {
    format!(".{}.tmp-", name_of(target))
}

fn old_prefix(target: &Path) -> String {
    format!(".{}.old-", name_of(target))
}

fn name_of(target: &Path) -> String {
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_owned())
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The test hook: aborts the process at `step` when `TIERANK_TEST_ABORT_AT` names it (see
/// the module documentation). Compiled to nothing in release builds.
fn abort_point(step: &str) {
    #[cfg(debug_assertions)]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        let Ok(wanted) = std::env::var("TIERANK_TEST_ABORT_AT") else {
            return;
        };
        let (name, nth) = match wanted.split_once('@') {
            Some((name, n)) => (name, n.parse::<usize>().unwrap_or(1)),
            None => (wanted.as_str(), 1),
        };
        if name == step && SEEN.fetch_add(1, Ordering::SeqCst) + 1 == nth {
            eprintln!("test hook: aborting at {wanted}");
            std::process::abort();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

/// Whether a debug-build test flag is set; always false in release builds.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn test_flag(name: &str) -> bool {
    cfg!(debug_assertions) && std::env::var_os(name).is_some_and(|v| v == "1")
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
    fn replacing_leaves_only_the_new_output() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        for text in ["old", "new"] {
            let staged = StagedDir::new(&target, ExistingDir::Replace).unwrap();
            fs::create_dir(staged.path().join("sub")).unwrap();
            fs::write(staged.path().join("sub/a.txt"), text).unwrap();
            staged.commit().unwrap();
        }
        assert_eq!(fs::read_to_string(target.join("sub/a.txt")).unwrap(), "new");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
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
        let target = root.path().join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep.txt"), "x").unwrap();
        let err = StagedDir::new(&target, ExistingDir::Refuse).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(StagedDir::new(&target, ExistingDir::Replace).is_ok());
    }

    #[test]
    fn refuses_the_current_directory_even_with_force() {
        for p in [".", "..", "x/.."] {
            let err = StagedDir::new(Path::new(p), ExistingDir::Replace).unwrap_err();
            assert!(err.to_string().contains("name of its own"), "{p}: {err}");
        }
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

    #[cfg(unix)]
    #[test]
    fn written_file_has_the_umask_mode_not_the_temporary_one() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("f.json");
        write_file_atomically(&target, |_| Ok::<(), FormatError>(())).unwrap();
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        // 0o600 is the temporary's private mode; any usual umask leaves group read.
        assert_ne!(mode, 0o600, "{mode:o}");
    }

    #[test]
    fn leftovers_matching_our_pattern_exactly_are_cleaned_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("kept"), "x").unwrap();
        let ours = [".out.tmp-a1B2c3", ".out.old-ZZZZZZ"];
        fs::create_dir(root.path().join(ours[0])).unwrap();
        fs::write(root.path().join(ours[0]).join("f"), "12345").unwrap();
        fs::write(root.path().join(ours[1]), "123").unwrap();
        let theirs = [
            ".out.tmp-abcde",
            ".out.tmp-abcdefg",
            ".out.tmp-abc.ef",
            ".outx.tmp-abcdef",
            "out.tmp-abcdef",
            ".out.new-abcdef",
            ".ou.tmp-abcdef",
        ];
        for t in theirs {
            fs::write(root.path().join(t), "mine").unwrap();
        }
        let cleaned = clean_leftovers(&target);
        assert_eq!(cleaned.paths.len(), 2, "{cleaned:?}");
        assert_eq!(cleaned.bytes, 8);
        for t in theirs {
            assert!(root.path().join(t).exists(), "{t} removed");
        }
        for o in ours {
            assert!(!root.path().join(o).exists(), "{o} kept");
        }
        assert!(target.join("kept").exists());
    }

    #[test]
    fn an_output_set_aside_by_an_interrupted_fallback_is_put_back() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let aside = root.path().join(".out.old-Ab12Cd");
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("manifest.json"), "{}").unwrap();
        let err = check_output_dir(&target, ExistingDir::Refuse).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(target.join("manifest.json").is_file());
        assert!(!aside.exists());
    }
}

//! Guards on output paths, checked before anything is deleted or written.
//!
//! Every tierank output replaces its final path as a whole (see [`crate::atomic`]), so a
//! badly chosen output path is a data-loss risk, not just an error:
//! - a path that names no entry of its own (`.`, `..`, `dir/..`, `/`, the current directory
//!   or one of its ancestors) would have the whole directory replaced, including the very
//!   directory the command runs in;
//! - a path that is, contains or lies inside an input (the dataset, a target or opt-out
//!   list, a model or calibration file) would destroy that input, or change it while it is
//!   being read.
//!
//! [`check_output_path`] refuses both, after resolving `..` and symbolic links (the existing
//! part of a not-yet-existing path is canonicalised, the rest appended), so `D/../D`, a link
//! to `D` and `D` itself are the same path. Commands call it with their output and the list
//! of their inputs before loading anything; [`crate::atomic`] calls it again, without
//! inputs, as a last line of defence.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use crate::FormatError;

/// Refuses an output path that would replace the current directory (or an ancestor, or
/// `/`), that names no entry of its own, or that overlaps one of `inputs`.
///
/// `inputs` are the files and directories the command reads; ones that do not exist are
/// compared by their lexically resolved path.
///
/// # Errors
/// [`FormatError::Output`] naming `out` and the reason; [`FormatError::Io`] when the
/// current directory cannot be read.
pub fn check_output_path(out: &Path, inputs: &[&Path]) -> Result<(), FormatError> {
    let refuse = |reason: String| FormatError::Output {
        path: out.to_owned(),
        reason,
    };
    if out.as_os_str().is_empty() {
        return Err(refuse("empty output path".into()));
    }
    if !names_an_entry(out.as_os_str()) {
        return Err(refuse(
            "an output path must end in a name of its own, not `.`, `..` or `/` (the \
             whole directory would be replaced)"
                .into(),
        ));
    }
    let cwd = std::env::current_dir().map_err(|e| FormatError::io(".", e))?;
    // Both the path as written (a final symbolic link is what gets replaced) and the path it
    // points to (what a reader would see) must be safe.
    let resolved = resolve(&cwd, out, false);
    let followed = resolve(&cwd, out, true);
    let cwd_real = cwd.canonicalize().unwrap_or(cwd.clone());
    for candidate in [&resolved, &followed] {
        if candidate.parent().is_none() {
            return Err(refuse("is the root directory".into()));
        }
        if cwd_real.starts_with(candidate) {
            return Err(refuse(format!(
                "is the current directory {} or one of its ancestors: choose a new \
                 directory below it",
                cwd_real.display()
            )));
        }
    }
    for input in inputs {
        if input.as_os_str().is_empty() {
            continue;
        }
        let input_real = resolve(&cwd, input, true);
        for candidate in [&resolved, &followed] {
            let relation = if *candidate == input_real {
                "is"
            } else if input_real.starts_with(candidate) {
                "contains"
            } else if candidate.starts_with(&input_real) {
                "lies inside"
            } else {
                continue;
            };
            return Err(refuse(format!(
                "{relation} the input {}: writing there would destroy or change an input; \
                 choose an output path outside every input",
                input.display()
            )));
        }
    }
    Ok(())
}

/// Whether the last component of `path`, as written, is a name: not `.`, `..` or empty
/// (`/`, or a trailing `/.` that `Path::components` would silently drop).
fn names_an_entry(path: &OsStr) -> bool {
    let text = path.to_string_lossy();
    let trimmed = text.trim_end_matches(std::path::is_separator);
    let last = trimmed.rsplit(std::path::is_separator).next().unwrap_or("");
    !(last.is_empty() || last == "." || last == "..")
}

/// The absolute, symlink-free form of `path` (relative to `cwd`): its longest existing
/// prefix canonicalised, the rest appended with `.` and `..` applied lexically. With
/// `follow_last` false, a final component that exists is not followed when it is a
/// symbolic link (it is the link itself that an output replaces).
fn resolve(cwd: &Path, path: &Path, follow_last: bool) -> PathBuf {
    let absolute = cwd.join(path);
    if !follow_last && let (Some(parent), Some(name)) = (absolute.parent(), last_name(&absolute)) {
        return resolve(cwd, parent, true).join(name);
    }
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let base = loop {
        if let Ok(real) = existing.canonicalize() {
            break real;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            // Nothing of it exists, not even the root: keep it lexical.
            _ => break PathBuf::from(std::path::MAIN_SEPARATOR_STR),
        }
    };
    let mut out = base;
    for component in rest.into_iter().rev() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The final component of `path` when it is a plain name.
fn last_name(path: &Path) -> Option<&OsStr> {
    match path.components().next_back() {
        Some(Component::Normal(name)) if names_an_entry(path.as_os_str()) => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(out: &Path, inputs: &[&Path]) -> String {
        check_output_path(out, inputs)
            .expect_err("should be refused")
            .to_string()
    }

    #[test]
    fn refuses_paths_without_a_name_of_their_own() {
        for p in [".", "..", "./", "a/..", "a/.", "a/./", "/", "//", ""] {
            let err = check_output_path(Path::new(p), &[])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("name of its own") || err.contains("empty"),
                "{p:?}: {err}"
            );
        }
    }

    #[test]
    fn refuses_the_current_directory_and_its_ancestors() {
        let cwd = std::env::current_dir().unwrap();
        let err = refused(&cwd, &[]);
        assert!(err.contains("current directory"), "{err}");
        let err = refused(cwd.parent().unwrap(), &[]);
        assert!(err.contains("current directory"), "{err}");
        // A child of the working directory is fine.
        check_output_path(&cwd.join("surely-not-here-out"), &[]).unwrap();
        check_output_path(Path::new("new-out/"), &[]).unwrap();
    }

    #[test]
    fn refuses_overlap_with_inputs_after_resolving_dots_and_links() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("D");
        fs_mkdir(&data);
        std::fs::write(data.join("ties.parquet"), "x").unwrap();
        let targets = root.path().join("t.csv");
        std::fs::write(&targets, "1\n").unwrap();
        let inputs = [data.as_path(), targets.as_path()];

        assert!(refused(&data, &inputs).contains("is the input"));
        assert!(refused(&root.path().join("D/../D"), &inputs).contains("is the input"));
        assert!(refused(&data.join("ties.parquet"), &inputs).contains("lies inside"));
        assert!(refused(&data.join("new/deeper"), &inputs).contains("lies inside"));
        assert!(refused(&data.join("new/../x"), &inputs).contains("lies inside"));
        assert!(refused(&targets, &inputs).contains("is the input"));
        assert!(refused(root.path(), &inputs).contains("contains"));
        #[cfg(unix)]
        {
            let link = root.path().join("link");
            std::os::unix::fs::symlink(&data, &link).unwrap();
            assert!(refused(&link, &inputs).contains("is the input"));
            assert!(refused(&link.join("report"), &inputs).contains("lies inside"));
            // An input reached through a link is the same input.
            let err = refused(&data.join("r"), &[link.as_path()]);
            assert!(err.contains("lies inside"), "{err}");
        }
        // Siblings are fine, including ones whose name starts like an input's.
        check_output_path(&root.path().join("D2"), &inputs).unwrap();
        check_output_path(&root.path().join("report"), &inputs).unwrap();
    }

    fn fs_mkdir(p: &Path) {
        std::fs::create_dir_all(p).unwrap();
    }
}

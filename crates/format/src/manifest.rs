//! `manifest.json`: what a dataset holds and how it was made.
//!
//! It contains no wall-clock time, host name or path, so that the same seed and parameters
//! give a byte-identical manifest. It is written last: a directory without it is incomplete.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::FormatError;

/// One file of a dataset, as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the dataset root, with `/` separators.
    pub path: String,
    /// Number of rows.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The manifest of a dataset directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`crate::FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// [`crate::TIERANK_VERSION`] of the writer.
    pub tierank_version: String,
    /// What produced the dataset (`"tierank generate"`, or a user's exporter).
    pub generator: String,
    /// Seed, when the dataset is synthetic.
    pub seed: Option<u64>,
    /// Every generation parameter, as a JSON object.
    pub parameters: serde_json::Value,
    /// Row counts by table name (`persons`, `ties`, `events`, ...).
    pub row_counts: BTreeMap<String, u64>,
    /// Every data file, sorted by path.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Serialises to pretty JSON with a trailing newline (stable key order).
    ///
    /// # Errors
    /// Never in practice; serialisation of these types cannot fail.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    /// Reads `manifest.json`.
    ///
    /// # Errors
    /// Fails when the file is missing or not a valid manifest.
    pub fn read(path: &Path) -> Result<Self, FormatError> {
        let text = std::fs::read_to_string(path).map_err(|e| FormatError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| FormatError::Manifest {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads `manifest.json` and checks that its file list can be trusted as a list of
    /// checksums: every path is a plain relative path inside the dataset (no `..`, no root,
    /// no `\`), listed once, with a 64-digit hex SHA-256.
    ///
    /// Readers that verify checksums use this rather than [`Manifest::read`], so that a
    /// manifest naming `../../elsewhere` cannot make them hash files outside the dataset.
    ///
    /// # Errors
    /// [`FormatError::Io`] when the file cannot be read; [`FormatError::Manifest`] when it is
    /// not a valid manifest or a file entry is unusable.
    pub fn read_checked(path: &Path) -> Result<Self, FormatError> {
        let manifest = Self::read(path)?;
        let invalid = |message: String| FormatError::Manifest {
            path: path.to_owned(),
            message,
        };
        let mut seen = std::collections::BTreeSet::new();
        for entry in &manifest.files {
            if !is_plain_relative(&entry.path) {
                return Err(invalid(format!(
                    "file path '{}' is not a plain relative path inside the dataset",
                    entry.path
                )));
            }
            if !seen.insert(entry.path.as_str()) {
                return Err(invalid(format!("file '{}' is listed twice", entry.path)));
            }
            if !is_sha256_hex(&entry.sha256) {
                return Err(invalid(format!(
                    "file '{}': sha256 '{}' is not 64 hexadecimal digits",
                    entry.path, entry.sha256
                )));
            }
        }
        Ok(manifest)
    }

    /// The entry of `relative` (a `/`-separated path from the dataset root), if listed.
    pub fn entry(&self, relative: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == relative)
    }
}

/// Whether `path` is `/`-separated, relative, and stays inside its root: no empty, `.` or
/// `..` component, no backslash, no drive or root.
pub fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains(':')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

fn is_sha256_hex(digest: &str) -> bool {
    digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The manifest key of `path` inside `root`: its components after `root`, joined by `/`.
/// `None` when `path` is not inside `root`.
pub fn relative_key(root: &Path, path: &Path) -> Option<String> {
    let rest = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rest
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// What checking one file against its recorded SHA-256 found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCheck {
    /// The file's digest is the recorded one.
    Ok,
    /// The file's digest differs: it was changed or corrupted after it was recorded.
    Mismatch {
        /// The recorded digest (lower-case hex).
        expected: String,
        /// The file's digest now (lower-case hex).
        actual: String,
    },
    /// The file does not exist.
    Missing,
}

/// Hashes `path` and compares it with `expected_sha256` (hex, either case).
///
/// # Errors
/// [`FormatError::Io`] when the file exists but cannot be read.
pub fn check_file(path: &Path, expected_sha256: &str) -> Result<FileCheck, FormatError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileCheck::Missing),
        Err(e) => return Err(FormatError::io(path, e)),
        Ok(_) => {}
    }
    let actual = sha256_file(path)?;
    Ok(if actual.eq_ignore_ascii_case(expected_sha256) {
        FileCheck::Ok
    } else {
        FileCheck::Mismatch {
            expected: expected_sha256.to_ascii_lowercase(),
            actual,
        }
    })
}

/// Lower-case hex SHA-256 of a file, streamed (constant memory).
///
/// # Errors
/// Fails when the file cannot be read.
pub fn sha256_file(path: &Path) -> Result<String, FormatError> {
    let mut file = std::fs::File::open(path).map_err(|e| FormatError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| FormatError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(to_hex(&hasher.finalize()))
}

/// Lower-case hex SHA-256 of bytes in memory.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Builds the [`FileEntry`] of `root/relative`, hashing the file.
///
/// # Errors
/// Fails when the file cannot be read.
pub fn file_entry(root: &Path, relative: &str, rows: u64) -> Result<FileEntry, FormatError> {
    let path = root.join(relative);
    let bytes = std::fs::metadata(&path)
        .map_err(|e| FormatError::io(&path, e))?
        .len();
    Ok(FileEntry {
        path: relative.to_owned(),
        rows,
        bytes,
        sha256: sha256_file(&path)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn plain_relative_paths() {
        for ok in [
            "ties.parquet",
            "events/part-00000.parquet",
            "truth_closeness.parquet",
        ] {
            assert!(is_plain_relative(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "./ties.parquet",
            "a//b",
            "a\\b",
            "C:x",
            "events/",
        ] {
            assert!(!is_plain_relative(bad), "{bad}");
        }
    }

    #[test]
    fn check_file_finds_ok_mismatch_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        let good = sha256_bytes(b"abc");
        assert_eq!(check_file(&path, &good).unwrap(), FileCheck::Ok);
        assert_eq!(
            check_file(&path, &good.to_ascii_uppercase()).unwrap(),
            FileCheck::Ok
        );
        std::fs::write(&path, b"abd").unwrap();
        assert_eq!(
            check_file(&path, &good).unwrap(),
            FileCheck::Mismatch {
                expected: good.clone(),
                actual: sha256_bytes(b"abd")
            }
        );
        assert_eq!(
            check_file(&dir.path().join("nope"), &good).unwrap(),
            FileCheck::Missing
        );
        assert_eq!(
            relative_key(dir.path(), &dir.path().join("events").join("p.parquet")).as_deref(),
            Some("events/p.parquet")
        );
        assert_eq!(relative_key(dir.path(), Path::new("/elsewhere")), None);
    }

    #[test]
    fn read_checked_refuses_unsafe_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let entry = |p: &str, sha: &str| FileEntry {
            path: p.into(),
            rows: 1,
            bytes: 1,
            sha256: sha.into(),
        };
        let good = sha256_bytes(b"x");
        let cases = [
            (vec![entry("ties.parquet", &good)], None),
            (
                vec![entry("../ties.parquet", &good)],
                Some("plain relative"),
            ),
            (
                vec![entry("ties.parquet", &good), entry("ties.parquet", &good)],
                Some("listed twice"),
            ),
            (vec![entry("ties.parquet", "abc")], Some("64 hexadecimal")),
        ];
        for (files, error) in cases {
            let m = Manifest {
                format_version: 1,
                tierank_version: "0.1.0".into(),
                generator: "test".into(),
                seed: None,
                parameters: serde_json::json!({}),
                row_counts: BTreeMap::new(),
                files,
            };
            std::fs::write(&path, m.to_json().unwrap()).unwrap();
            match (Manifest::read_checked(&path), error) {
                (Ok(read), None) => assert_eq!(read, m),
                (Err(e), Some(text)) => assert!(e.to_string().contains(text), "{e}"),
                (other, _) => panic!("{error:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn manifest_round_trips() {
        let m = Manifest {
            format_version: 1,
            tierank_version: "0.1.0".into(),
            generator: "test".into(),
            seed: Some(7),
            parameters: serde_json::json!({"persons": 10}),
            row_counts: BTreeMap::from([("ties".to_owned(), 3)]),
            files: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        std::fs::write(&path, m.to_json().unwrap()).unwrap();
        assert_eq!(Manifest::read(&path).unwrap(), m);
    }
}

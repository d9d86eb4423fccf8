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

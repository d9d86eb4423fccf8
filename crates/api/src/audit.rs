//! The `audit verify` request: checks a `select` output directory against its audit record.
//!
//! Two comparisons, both against `DIR/audit.json`:
//! 1. the files in `DIR` now, so that an output edited after the run is caught;
//! 2. a rerun of the recorded request, into a temporary directory, so that a changed input,
//!    parameter or program version is caught (`tierank_select::verify`).
//!
//! Records written before requests were recorded hold only a command line; the front end
//! that wrote it (the CLI) can turn it into a request ([`AuditVerifyRequest::legacy`]),
//! otherwise such a record is refused with a message saying so.

use std::path::{Path, PathBuf};

use tierank_select::{AuditRecord, Difference, FileDigest, verify, verify_files};

use crate::error::{ApiError, bad_input, chain};
use crate::select::{AUDIT_FILE, SelectRequest};
use crate::{NoProgress, Progress};

/// Turns a recorded command line (program name first) into a request, or says why not.
pub type LegacyParser = fn(&[String]) -> Result<SelectRequest, String>;

/// Everything `tierank audit verify` needs.
#[derive(Debug, Clone)]
pub struct AuditVerifyRequest {
    /// Output directory of `select` (holding audit.json). Relative paths in the recorded
    /// request are resolved from the current directory.
    pub dir: PathBuf,
    /// How to replay a record that holds only a command line (written before requests were
    /// recorded); `None` refuses such records.
    pub legacy: Option<LegacyParser>,
}

/// What `audit verify` found.
#[derive(Debug, Clone)]
pub struct AuditVerifyOutcome {
    /// The audit record's path.
    pub audit_path: PathBuf,
    /// The files in the directory compared with the record.
    pub disk_differences: Vec<Difference>,
    /// The rerun compared with the record, or the rerun's error message.
    pub rerun_differences: Result<Vec<Difference>, String>,
}

impl AuditVerifyOutcome {
    /// Whether the directory and the rerun both agree with the record.
    #[must_use]
    pub fn verified(&self) -> bool {
        self.disk_differences.is_empty() && self.rerun_differences.as_ref().is_ok_and(Vec::is_empty)
    }
}

impl AuditVerifyRequest {
    /// Reads the record, compares the directory with it, and replays the recorded request
    /// into a temporary directory. Differences are part of the outcome, not errors.
    ///
    /// # Errors
    /// Bad input when `audit.json` is missing, is not an audit record, or records no
    /// request that can be replayed; a failure when the temporary directory or the files
    /// cannot be read.
    pub fn run(&self, progress: &dyn Progress) -> Result<AuditVerifyOutcome, ApiError> {
        let dir = &self.dir;
        let audit_path = dir.join(AUDIT_FILE);
        let text = std::fs::read_to_string(&audit_path).map_err(|e| {
            bad_input(format!(
                "{}: cannot read the audit record ({e}); is {} an output directory of tierank select?",
                audit_path.display(),
                dir.display()
            ))
        })?;
        let record = AuditRecord::from_json(&text).map_err(|e| {
            bad_input(format!(
                "{}: not a valid audit record: {e}",
                audit_path.display()
            ))
        })?;
        let mut request = self
            .recorded_request(&record)
            .map_err(|e| bad_input(format!("{}: {e}", audit_path.display())))?;

        let disk_differences = verify_files(&record.outputs, &files_on_disk(dir, &record)?);

        let rerun_dir = tempfile::tempdir().map_err(ApiError::other)?;
        request.out = rerun_dir.path().join("rerun");
        request.force = false;
        request.command_line = vec![
            "tierank".to_owned(),
            "audit".to_owned(),
            "verify".to_owned(),
            dir.display().to_string(),
        ];
        let _ = progress;
        let rerun_differences = match request.run(&NoProgress) {
            Ok(outcome) => Ok(verify(&record, &outcome.record)),
            Err(err) => Err(chain(&err)),
        };
        Ok(AuditVerifyOutcome {
            audit_path,
            disk_differences,
            rerun_differences,
        })
    }

    /// The request a record describes: its `request` field, or (for older records) its
    /// command line through [`Self::legacy`].
    fn recorded_request(&self, record: &AuditRecord) -> Result<SelectRequest, String> {
        match (&record.request, self.legacy) {
            (Some(value), _) => SelectRequest::from_recorded(value.clone())
                .map_err(|e| format!("the recorded request cannot be replayed: {e}")),
            (None, Some(parse)) => parse(&record.command_line),
            (None, None) => Err(
                "the record holds no request (it was written by a tierank before requests \
                 were recorded); verify it with the tierank command-line tool, which replays \
                 its command line, or rerun the selection to write a new record"
                    .to_owned(),
            ),
        }
    }
}

/// Digests of the files in `dir` now (except `audit.json` and hidden files), under the roles
/// the record gives them; a file the record does not list gets the role `unrecorded`.
fn files_on_disk(dir: &Path, record: &AuditRecord) -> Result<Vec<FileDigest>, ApiError> {
    let failed = |e: std::io::Error| ApiError::failed(dir.display(), e);
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != AUDIT_FILE && !name.starts_with('.') && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    names
        .iter()
        .map(|name| {
            let role = record
                .outputs
                .iter()
                .find(|f| &f.name == name)
                .map_or("unrecorded", |f| f.role.as_str());
            FileDigest::of(role, name, &dir.join(name)).map_err(ApiError::other)
        })
        .collect()
}

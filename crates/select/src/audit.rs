//! The audit record of a selection run, and its verification against a rerun.
//!
//! The record says what was run (version, command line, parameters), on what (every input
//! file's SHA-256, the exclusion list's checksums and counts), and what came out (counts,
//! every output file's SHA-256). Because selection is deterministic, rerunning the recorded
//! command on the recorded inputs must reproduce every output checksum; [`verify`] lists
//! exactly what differs when it does not.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tierank_format::FormatError;
use tierank_format::manifest::sha256_file;
use tierank_heuristics::HeuristicConfig;

use crate::{ConsentSummary, Selection};

/// Version of the audit record's layout. Bump on any change to a field's name or meaning.
///
/// 2: the audience and exposure columns it checksums were renamed (output format 2:
/// `alter`, `selection_rank`, `num_candidates`, `num_selected`).
pub const AUDIT_VERSION: u32 = 2;

/// One file read or written by the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// What the file is: `data`, `targets`, `exclude`, `calibration`, `audience`, ...
    pub role: String,
    /// The key files are matched by in [`verify`]: the path as given on the command line
    /// for inputs, the path relative to the output directory for outputs.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
}

impl FileDigest {
    /// Hashes the file at `path`, recording it under `role` and `name`.
    ///
    /// # Errors
    /// [`FormatError::Io`] when the file cannot be read.
    pub fn of(role: &str, name: &str, path: &Path) -> Result<Self, FormatError> {
        let bytes = std::fs::metadata(path)
            .map_err(|e| FormatError::io(path, e))?
            .len();
        Ok(Self {
            role: role.to_owned(),
            name: name.to_owned(),
            bytes,
            sha256: sha256_file(path)?,
        })
    }
}

/// Every parameter that decides the selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditParameters {
    /// The heuristic's command-line name.
    pub heuristic: String,
    /// The heuristic configuration in force.
    pub heuristic_config: HeuristicConfig,
    /// The policy in canonical form ([`crate::Policy`]'s `Display`).
    pub policy: String,
    /// `--min-evidence`.
    pub min_evidence: u32,
    /// `--strict-minimization`.
    pub strict_minimization: bool,
    /// Whether a calibration was used (its file is among the inputs, role `calibration`).
    pub calibrated: bool,
    /// The event window the dataset was loaded with (start, exclusive end, where it came
    /// from, events left out), so that the run can be reproduced with `--window-start` and
    /// `--window-end`; absent in records written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_window: Option<serde_json::Value>,
}

/// Totals of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditCounts {
    /// Targets given.
    pub targets: u64,
    /// Notices selected.
    pub notices: u64,
    /// Distinct people shown at least one notice.
    pub people_reached: u64,
    /// `Σ (1 − p)` over all notices, when calibrated.
    pub expected_collateral: Option<f64>,
    /// Lower end of the 95% interval of the notices to people who are not close
    /// ([`crate::ExposureSummary::expected_collateral_interval`]); absent in records
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_collateral_low: Option<f64>,
    /// Upper end of that interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_collateral_high: Option<f64>,
}

/// The audit record, written as JSON beside the outputs (see `docs/selection.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// [`AUDIT_VERSION`].
    pub audit_version: u32,
    /// [`tierank_format::TIERANK_VERSION`] of the run.
    pub tierank_version: String,
    /// The full command line, program name first.
    pub command_line: Vec<String>,
    /// The parameters, normalised.
    pub parameters: AuditParameters,
    /// The request that was run (`tierank_api::SelectRequest` with every default written
    /// out), which `audit verify` replays; absent in records written before requests were
    /// recorded, which are replayed from their command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// Every input file, sorted by (role, name).
    pub inputs: Vec<FileDigest>,
    /// The exclusion list's canonical checksum and counts.
    pub exclusion: ConsentSummary,
    /// Totals.
    pub counts: AuditCounts,
    /// Every output file except the audit record itself, sorted by (role, name).
    pub outputs: Vec<FileDigest>,
}

impl AuditRecord {
    /// Assembles the record of a finished selection. `inputs` and `outputs` are sorted.
    pub fn new(
        command_line: Vec<String>,
        parameters: AuditParameters,
        mut inputs: Vec<FileDigest>,
        selection: &Selection,
        mut outputs: Vec<FileDigest>,
    ) -> Self {
        let key = |f: &FileDigest| (f.role.clone(), f.name.clone());
        inputs.sort_by_key(key);
        outputs.sort_by_key(key);
        Self {
            audit_version: AUDIT_VERSION,
            tierank_version: tierank_format::TIERANK_VERSION.to_owned(),
            command_line,
            parameters,
            request: None,
            inputs,
            exclusion: selection.consent.clone(),
            counts: AuditCounts {
                targets: selection.exposure.per_target.len() as u64,
                notices: selection.exposure.notices,
                people_reached: selection.exposure.people_reached,
                expected_collateral: selection.exposure.expected_collateral,
                expected_collateral_low: selection
                    .exposure
                    .expected_collateral_interval
                    .map(|i| i.0),
                expected_collateral_high: selection
                    .exposure
                    .expected_collateral_interval
                    .map(|i| i.1),
            },
            outputs,
        }
    }

    /// Pretty JSON with a trailing newline, keys in declaration order.
    ///
    /// # Errors
    /// Never in practice: every field serialises.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    /// Parses a record written by [`AuditRecord::to_json`].
    ///
    /// # Errors
    /// When `text` is not a valid audit record.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// One way a rerun disagrees with the recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Difference {
    /// `audit_version` or `tierank_version` changed.
    Version {
        /// The field.
        field: String,
        /// Recorded value.
        recorded: String,
        /// Rerun value.
        rerun: String,
    },
    /// A parameter changed (dotted path such as `heuristic_config.channel_weights[1]`).
    Parameter {
        /// The parameter's path.
        name: String,
        /// Recorded value as JSON (`absent` when missing).
        recorded: String,
        /// Rerun value as JSON (`absent` when missing).
        rerun: String,
    },
    /// An input file's content changed.
    InputChanged {
        /// Its role.
        role: String,
        /// Its name.
        name: String,
        /// Recorded SHA-256.
        recorded: String,
        /// Rerun SHA-256.
        rerun: String,
    },
    /// An input of the recorded run was not read by the rerun.
    InputMissing {
        /// Its role.
        role: String,
        /// Its name.
        name: String,
    },
    /// The rerun read an input the recorded run did not.
    InputAdded {
        /// Its role.
        role: String,
        /// Its name.
        name: String,
    },
    /// An output file's content changed.
    OutputChanged {
        /// Its role.
        role: String,
        /// Its name.
        name: String,
        /// Recorded SHA-256.
        recorded: String,
        /// Rerun SHA-256.
        rerun: String,
    },
    /// An output of the recorded run was not written by the rerun.
    OutputMissing {
        /// Its role.
        role: String,
        /// Its name.
        name: String,
    },
    /// The rerun wrote an output the recorded run did not.
    OutputAdded {
        /// Its role.
        role: String,
        /// Its name.
        name: String,
    },
    /// An output the record lists is not in the audited directory (see [`verify_files`]).
    FileMissing {
        /// Its role.
        role: String,
        /// Its name.
        name: String,
    },
    /// The audited directory holds a file the record does not list (see [`verify_files`]).
    FileUnrecorded {
        /// Its name.
        name: String,
    },
    /// An exclusion figure changed (`canonical_sha256`, `listed`, ...).
    Exclusion {
        /// The field.
        field: String,
        /// Recorded value as JSON.
        recorded: String,
        /// Rerun value as JSON.
        rerun: String,
    },
    /// A total changed (`notices`, `people_reached`, ...).
    Count {
        /// The field.
        field: String,
        /// Recorded value as JSON.
        recorded: String,
        /// Rerun value as JSON.
        rerun: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Version {
                field,
                recorded,
                rerun,
            } => write!(f, "{field} changed: {recorded} -> {rerun}"),
            Difference::Parameter {
                name,
                recorded,
                rerun,
            } => write!(f, "parameter {name} changed: {recorded} -> {rerun}"),
            Difference::InputChanged {
                role,
                name,
                recorded,
                rerun,
            } => write!(
                f,
                "input {role} {name} changed: sha256 {recorded} -> {rerun}"
            ),
            Difference::InputMissing { role, name } => {
                write!(f, "input {role} {name} was not read by the rerun")
            }
            Difference::InputAdded { role, name } => {
                write!(f, "input {role} {name} was read only by the rerun")
            }
            Difference::OutputChanged {
                role,
                name,
                recorded,
                rerun,
            } => write!(
                f,
                "output {role} {name} changed: sha256 {recorded} -> {rerun}"
            ),
            Difference::OutputMissing { role, name } => {
                write!(f, "output {role} {name} was not written by the rerun")
            }
            Difference::OutputAdded { role, name } => {
                write!(f, "output {role} {name} was written only by the rerun")
            }
            Difference::FileMissing { role, name } => {
                write!(
                    f,
                    "output {role} {name} is missing from the audited directory"
                )
            }
            Difference::FileUnrecorded { name } => write!(
                f,
                "file {name} is in the audited directory but not in the audit record"
            ),
            Difference::Exclusion {
                field,
                recorded,
                rerun,
            } => write!(f, "exclusion {field} changed: {recorded} -> {rerun}"),
            Difference::Count {
                field,
                recorded,
                rerun,
            } => write!(f, "count {field} changed: {recorded} -> {rerun}"),
        }
    }
}

/// Lists every difference between a recorded run and its rerun; empty when the rerun
/// reproduces it. The command line is not compared: a rerun writes to another directory.
///
/// Order: versions, parameters, inputs, exclusion, counts, outputs; within each, by name.
pub fn verify(record: &AuditRecord, rerun: &AuditRecord) -> Vec<Difference> {
    let mut out = Vec::new();
    if record.audit_version != rerun.audit_version {
        out.push(Difference::Version {
            field: "audit_version".into(),
            recorded: record.audit_version.to_string(),
            rerun: rerun.audit_version.to_string(),
        });
    }
    if record.tierank_version != rerun.tierank_version {
        out.push(Difference::Version {
            field: "tierank_version".into(),
            recorded: record.tierank_version.clone(),
            rerun: rerun.tierank_version.clone(),
        });
    }
    for (name, recorded, rerun) in diff_fields(&record.parameters, &rerun.parameters) {
        out.push(Difference::Parameter {
            name,
            recorded,
            rerun,
        });
    }
    diff_files(&record.inputs, &rerun.inputs, &mut out, true);
    for (field, recorded, rerun) in diff_fields(&record.exclusion, &rerun.exclusion) {
        out.push(Difference::Exclusion {
            field,
            recorded,
            rerun,
        });
    }
    for (field, recorded, rerun) in diff_fields(&record.counts, &rerun.counts) {
        out.push(Difference::Count {
            field,
            recorded,
            rerun,
        });
    }
    diff_files(&record.outputs, &rerun.outputs, &mut out, false);
    out
}

/// Compares the outputs a record lists with the files found in the audited directory
/// (`on_disk`, matched by name): a changed file is [`Difference::OutputChanged`] (its
/// `rerun` field then holds the digest found on disk), a missing one
/// [`Difference::FileMissing`], an extra one [`Difference::FileUnrecorded`]. [`verify`]
/// compares with a rerun instead, and its wording ("not written by the rerun") would
/// misdescribe a file deleted from the directory. Ordered by name.
pub fn verify_files(recorded: &[FileDigest], on_disk: &[FileDigest]) -> Vec<Difference> {
    let by_name = |files: &[FileDigest]| -> BTreeMap<String, FileDigest> {
        files.iter().map(|f| (f.name.clone(), f.clone())).collect()
    };
    let (recorded, on_disk) = (by_name(recorded), by_name(on_disk));
    let mut names: Vec<&String> = recorded.keys().chain(on_disk.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| match (recorded.get(name), on_disk.get(name)) {
            (Some(r), None) => Some(Difference::FileMissing {
                role: r.role.clone(),
                name: name.clone(),
            }),
            (None, Some(_)) => Some(Difference::FileUnrecorded { name: name.clone() }),
            (Some(r), Some(d)) if r.sha256 != d.sha256 => Some(Difference::OutputChanged {
                role: r.role.clone(),
                name: name.clone(),
                recorded: r.sha256.clone(),
                rerun: d.sha256.clone(),
            }),
            _ => None,
        })
        .collect()
}

fn diff_files(
    recorded: &[FileDigest],
    rerun: &[FileDigest],
    out: &mut Vec<Difference>,
    input: bool,
) {
    let index = |files: &[FileDigest]| -> BTreeMap<(String, String), String> {
        files
            .iter()
            .map(|f| ((f.role.clone(), f.name.clone()), f.sha256.clone()))
            .collect()
    };
    let (a, b) = (index(recorded), index(rerun));
    for ((role, name), sha) in &a {
        let (role, name) = (role.clone(), name.clone());
        match b.get(&(role.clone(), name.clone())) {
            None if input => out.push(Difference::InputMissing { role, name }),
            None => out.push(Difference::OutputMissing { role, name }),
            Some(other) if other != sha => {
                let (recorded, rerun) = (sha.clone(), other.clone());
                out.push(if input {
                    Difference::InputChanged {
                        role,
                        name,
                        recorded,
                        rerun,
                    }
                } else {
                    Difference::OutputChanged {
                        role,
                        name,
                        recorded,
                        rerun,
                    }
                });
            }
            Some(_) => {}
        }
    }
    for (role, name) in b.keys().filter(|k| !a.contains_key(*k)) {
        let (role, name) = (role.clone(), name.clone());
        out.push(if input {
            Difference::InputAdded { role, name }
        } else {
            Difference::OutputAdded { role, name }
        });
    }
}

/// Compares two values field by field, as `(dotted path, recorded JSON, rerun JSON)`.
fn diff_fields<T: Serialize>(recorded: &T, rerun: &T) -> Vec<(String, String, String)> {
    let flat = |v: &T| {
        let mut map = BTreeMap::new();
        // These types serialise infallibly; a failure would leave the map empty and show
        // every field as absent rather than hide a difference.
        if let Ok(value) = serde_json::to_value(v) {
            flatten("", &value, &mut map);
        }
        map
    };
    let (a, b) = (flat(recorded), flat(rerun));
    let absent = || "absent".to_owned();
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            (
                k.clone(),
                a.get(k).cloned().unwrap_or_else(absent),
                b.get(k).cloned().unwrap_or_else(absent),
            )
        })
        .collect()
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            out.insert(format!("{prefix}.len"), items.len().to_string());
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        leaf => {
            out.insert(prefix.to_owned(), leaf.to_string());
        }
    }
}

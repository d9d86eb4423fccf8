//! The `select` request: chooses who is shown a notice about each target, under a policy, and
//! writes the audiences, the exposure per target and an audit record into one directory.
//!
//! Every argument and input file is checked before anything is written, and the output
//! directory is staged beside its final location and renamed into place only when every
//! file is complete (`tierank_format::atomic::StagedDir`): a failed run leaves nothing. The
//! rules of selection are in `docs/selection.md`; the output columns in `docs/data-model.md`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tierank_eval::CalibrationFile;
use tierank_format::atomic::{ExistingDir, StagedDir, check_output_dir};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, HeuristicConfig, build};
use tierank_io::{
    AudienceRows, ExposureRows, audiences_batches, exposure_batches, write_audiences,
    write_exposure,
};
use tierank_io::{LoadOptions, LoadReport};
use tierank_select::{
    AuditParameters, AuditRecord, Block, Calibration, ExclusionSet, FileDigest, Policy, Position,
    SelectError, SelectOptions, Selection, select_cancellable,
};

use crate::artefact::{ScoreSettings, check_settings};
use crate::error::{ApiError, BadInputExt, Context, bad_input, io_error};
use crate::load::LoadSettings;
use crate::params::{check_heuristic_names, window_record};
use crate::rank::ModelCheck;
use crate::{Batches, Progress, check_cancelled};

/// The audience file: one row per notice.
pub const AUDIENCES_FILE: &str = "audiences.parquet";
/// The exposure file: one row per target.
pub const EXPOSURE_FILE: &str = "exposure.parquet";
/// The audit record.
pub const AUDIT_FILE: &str = "audit.json";

/// Everything `tierank select` needs. Recorded in `audit.json`, and replayed by
/// `audit verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectRequest {
    /// Dataset directory.
    pub data: PathBuf,
    /// File of target person ids (Parquet or CSV).
    pub targets: PathBuf,
    /// The heuristic that scores each target's friends (one name).
    pub heuristic: String,
    /// top-k:K, threshold:X, coverage:P, probability:P, budget:B or budget:B,cap:C.
    pub policy: String,
    /// People who opted out: never selected.
    pub exclude: Option<PathBuf>,
    /// Also remove the excluded people's ties and interactions before scoring.
    pub strict_minimization: bool,
    /// Minimum number of interaction events between a target and a selected friend.
    pub min_evidence: u32,
    /// Score-to-probability calibration (calibration.json of `compare`).
    pub calibration: Option<PathBuf>,
    /// How the dataset is loaded and the heuristic configured.
    pub load: LoadSettings,
    /// Output directory (audiences.parquet, exposure.parquet, audit.json).
    pub out: PathBuf,
    /// Replace the output directory if it exists.
    #[serde(default)]
    pub force: bool,
    /// How the request was made, recorded in the audit record for people to read (the
    /// command line, or the Python call); `audit verify` replays the request, not this.
    #[serde(skip)]
    pub command_line: Vec<String>,
}

/// What a finished selection produced.
#[derive(Debug, Clone)]
pub struct SelectOutcome {
    /// The audit record written to `audit.json`.
    pub record: AuditRecord,
    /// The selection.
    pub selection: Selection,
    /// Per target, in input order: its number of friends in the dataset.
    pub candidates: Vec<i64>,
    /// Where the outputs are.
    pub out: PathBuf,
    /// The table of the audience file (its batches built by the function that builds the
    /// file's), for front ends that return the tables in memory.
    pub audiences: Batches,
    /// The table of the exposure file.
    pub exposure: Batches,
}

impl SelectRequest {
    /// Runs the selection and writes its output directory (staged: whole or nothing).
    ///
    /// # Errors
    /// Bad input (nothing written) for every mistake in the settings or input files; a
    /// failure for I/O errors; [`ApiError::Cancelled`] when `progress` asks to stop.
    pub fn run(&self, progress: &dyn Progress) -> Result<SelectOutcome, ApiError> {
        execute(self, progress)
    }
}

impl SelectRequest {
    /// The request as recorded in `audit.json`: every parameter with its default written
    /// out; the memory limit and the command line are not part of it.
    ///
    /// # Errors
    /// A bad-input error when the parameters are invalid.
    pub fn record(&self) -> Result<serde_json::Value, ApiError> {
        let resolved = Self {
            load: LoadSettings {
                params: self.load.params.resolved()?,
                ..self.load.clone()
            },
            ..self.clone()
        };
        serde_json::to_value(&resolved).map_err(ApiError::other)
    }

    /// Reads a recorded request (the `request` of `audit.json`), also in the shape written
    /// before [`LoadSettings`] existed (see [`crate::load::nest_load_settings`]).
    ///
    /// # Errors
    /// The parser's error for a value that is not a request.
    pub fn from_recorded(mut value: serde_json::Value) -> Result<Self, serde_json::Error> {
        crate::load::nest_load_settings(&mut value);
        serde_json::from_value(value)
    }
}

/// A request's settings and small input files, checked and read before the dataset.
struct Checked {
    policy: Policy,
    config: HeuristicConfig,
    load: LoadOptions,
    existing: ExistingDir,
    target_ids: Vec<i64>,
    excluded_ids: Vec<i64>,
    calibrator: Option<CalibrationFile>,
}

/// Checks every setting and the output directory, and reads the small files (targets,
/// opt-outs, calibration), so that a mistake in them costs no loading time.
fn check_and_read(args: &SelectRequest, progress: &dyn Progress) -> Result<Checked, ApiError> {
    let policy: Policy = args
        .policy
        .parse()
        .map_err(|e| bad_input(format!("--policy: {e}")))?;
    if matches!(policy, Policy::Probability(_)) && args.calibration.is_none() {
        return Err(bad_input(format!(
            "--policy {policy} needs --calibration FILE, a map from the scores of '{}' to \
             probabilities of closeness: run `tierank compare` first (it writes a calibration \
             into its report directory) and pass that file",
            args.heuristic
        )));
    }
    if check_heuristic_names("heuristic", &args.heuristic, &[])? != [args.heuristic.as_str()] {
        return Err(bad_input(format!(
            "--heuristic: '{}' is not one heuristic name (select scores with one heuristic)",
            args.heuristic
        )));
    }
    let config = args.load.params.config()?;
    let load = args.load.load_options()?;
    let existing = existing_dir(args);
    let mut input_paths = vec![args.data.as_path(), args.targets.as_path()];
    input_paths.extend(args.exclude.as_deref());
    input_paths.extend(args.calibration.as_deref());
    tierank_format::output::check_output_path(&args.out, &input_paths)
        .map_err(|e| bad_input(format!("--out: {e}")))?;
    check_output_dir(&args.out, existing).map_err(|e| bad_input(format!("--out: {e}")))?;

    let target_ids = tierank_io::read_person_ids(&args.targets, tierank_io::IdList::Targets)
        .map_err(io_error)?;
    let excluded_ids = match &args.exclude {
        Some(path) => {
            let ids =
                tierank_io::read_person_ids(path, tierank_io::IdList::OptOuts).map_err(|e| {
                    if e.is_bad_input() {
                        bad_input(format!("--exclude: {e}"))
                    } else {
                        ApiError::failed("--exclude", e)
                    }
                })?;
            if ids.is_empty() {
                progress.warn(&format!(
                    "the opt-out list {} lists no one: nobody is excluded",
                    path.display()
                ));
            }
            ids
        }
        None => Vec::new(),
    };
    let calibrator = match &args.calibration {
        Some(path) => Some(read_calibration(path, &args.heuristic)?),
        None => None,
    };
    if let Some(file) = calibrator.as_ref()
        && matches!(policy, Policy::Coverage(_))
        && file.coverage.is_empty()
    {
        progress.warn(&format!(
            "--calibration {}: no map of the coverage policy's order (written by an older \
             `tierank compare`); its probabilities are read at the heuristic's ranks and the \
             expected collateral exposure is too low: run `tierank compare` again",
            args.calibration
                .as_deref()
                .unwrap_or(Path::new(""))
                .display()
        ));
    }
    Ok(Checked {
        policy,
        config,
        load,
        existing,
        target_ids,
        excluded_ids,
        calibrator,
    })
}

fn existing_dir(args: &SelectRequest) -> ExistingDir {
    if args.force {
        ExistingDir::Replace
    } else {
        ExistingDir::Refuse
    }
}

/// The warning for opt-out ids that are not in the dataset.
fn warn_unknown_opt_outs(args: &SelectRequest, unknown: u64, progress: &dyn Progress) {
    if unknown > 0 {
        progress.warn(&format!(
            "{unknown} person id(s) of the exclusion list {} are not in the dataset; \
             they cannot be selected anyway and are ignored",
            args.exclude.as_deref().unwrap_or(Path::new("")).display()
        ));
    }
}

/// Runs the selection described by `args`.
fn execute(args: &SelectRequest, progress: &dyn Progress) -> Result<SelectOutcome, ApiError> {
    let checked = check_and_read(args, progress)?;
    let (policy, config, load) = (&checked.policy, &checked.config, &checked.load);

    let started = Instant::now();
    let opened = args.load.open(&args.data, load, progress)?;
    let (graph, report) = (opened.graph, opened.report);
    log::info!(
        "loaded {} people, {} friendships in {:.1}s",
        report.num_nodes,
        report.num_edges,
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &args.calibration {
        let now = ScoreSettings::of_run(config, load, &opened.dataset_dir, &report)?;
        check_settings("--calibration", path, &now, &|m| progress.warn(m))?;
    }
    let heuristic = build(&args.heuristic, config, &graph).bad_input()?;
    let targets = tierank_io::resolve_targets(&graph, &checked.target_ids).map_err(io_error)?;
    let excluded = ExclusionSet::new(&graph, &checked.excluded_ids);
    warn_unknown_opt_outs(args, excluded.unknown().len() as u64, progress);

    let probability = checked.calibrator.as_ref().map(ByRank);
    let opts = SelectOptions {
        excluded,
        strict_minimization: args.strict_minimization,
        min_evidence: args.min_evidence,
        calibration: probability.as_ref().map(|f| f as &dyn Calibration),
        config,
    };
    check_cancelled(progress)?;
    // Stops before the next target once the caller sets the cancel flag.
    let cancel = progress.cancel_flag();
    let selection = select_cancellable(
        &graph,
        &targets,
        heuristic.as_ref(),
        policy,
        &opts,
        cancel.as_deref(),
    )
    .map_err(select_error)?;
    check_cancelled(progress)?;
    let candidates = candidates(&graph, &targets);
    write_outputs(args, &checked, selection, candidates, &report)
}

/// Writes the output directory of a finished selection (staged: whole or nothing):
/// audiences, exposure (`candidates`: each target's number of friends) and the audit
/// record. `report` says which dataset files were read and the event window.
fn write_outputs(
    args: &SelectRequest,
    checked: &Checked,
    selection: Selection,
    candidates: Vec<i64>,
    report: &LoadReport,
) -> Result<SelectOutcome, ApiError> {
    let inputs = input_digests(args, &report.files_read)?;
    let staged = StagedDir::new(&args.out, checked.existing).map_err(|e| match e {
        tierank_format::FormatError::Output { .. } => bad_input(format!("--out: {e}")),
        other => ApiError::other(other),
    })?;
    let dir = staged.path().to_owned();
    let audiences = audience_rows(&selection);
    write_audiences(&dir.join(AUDIENCES_FILE), &audiences).map_err(io_error)?;
    let audiences = audiences_batches(&audiences).map_err(io_error)?;
    let exposure = exposure_rows(&selection, &candidates);
    write_exposure(&dir.join(EXPOSURE_FILE), &exposure).map_err(io_error)?;
    let exposure = exposure_batches(&exposure).map_err(io_error)?;
    let outputs = vec![
        FileDigest::of("audience", AUDIENCES_FILE, &dir.join(AUDIENCES_FILE))
            .map_err(ApiError::other)?,
        FileDigest::of("exposure", EXPOSURE_FILE, &dir.join(EXPOSURE_FILE))
            .map_err(ApiError::other)?,
    ];
    let parameters = AuditParameters {
        heuristic: args.heuristic.clone(),
        heuristic_config: checked.config.clone(),
        policy: checked.policy.to_string(),
        min_evidence: args.min_evidence,
        strict_minimization: args.strict_minimization,
        calibrated: args.calibration.is_some(),
        event_window: Some(window_record(report)).filter(|v| !v.is_null()),
    };
    let mut record = AuditRecord::new(
        args.command_line.clone(),
        parameters,
        inputs,
        &selection,
        outputs,
    );
    record.request = Some(args.record()?);
    let audit_path = dir.join(AUDIT_FILE);
    let json = record.to_json().context("serialising the audit record")?;
    std::fs::write(&audit_path, json).context(audit_path.display())?;
    let out = staged.commit().map_err(ApiError::other)?;
    Ok(SelectOutcome {
        record,
        selection,
        candidates,
        out,
        audiences: Batches {
            schema: tierank_format::schema::audiences(),
            batches: audiences,
        },
        exposure: Batches {
            schema: tierank_format::schema::exposure(),
            batches: exposure,
        },
    })
}

/// A selection ready for a partitioned run ([`SelectRequest::prepare_partitioned`]):
/// settings, output and small files checked and read, heuristic built, nothing loaded.
pub struct PartitionedSelectPlan {
    /// The dataset's files, as their footers describe them.
    pub shape: tierank_io::share::DatasetShape,
    /// Half-life, event window, strictness.
    pub load: LoadOptions,
    /// The heuristic.
    pub heuristic: Box<dyn Heuristic>,
    /// Its configuration.
    pub config: HeuristicConfig,
    /// The policy.
    pub policy: Policy,
    /// The target list, in order.
    pub target_ids: Vec<i64>,
    /// The opt-out list as read.
    pub excluded_ids: Vec<i64>,
    /// The calibration, as selection reads it.
    pub calibration: Option<Box<dyn Calibration>>,
    /// The check of `--calibration`'s recorded settings, to run once the event window is
    /// known.
    pub calibration_check: Option<ModelCheck>,
}

impl std::fmt::Debug for PartitionedSelectPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionedSelectPlan")
            .field("heuristic", &self.heuristic.name())
            .field("policy", &self.policy)
            .field("targets", &self.target_ids.len())
            .field("excluded", &self.excluded_ids.len())
            .finish_non_exhaustive()
    }
}

impl SelectRequest {
    /// Checks every setting, the output and the small files as [`Self::run`] does, and
    /// builds the heuristic, for a partitioned run (crate `tierank-dist`) that reads the
    /// dataset in shares instead of loading it here: only the files' footers are read.
    ///
    /// # Errors
    /// Bad input for every mistake [`Self::run`] refuses before loading, a snapshot file as
    /// `--data`, and `--heuristic ppr` (its scores need more of the graph than a wave's
    /// ball; a partitioned `rank` runs it as a distributed push, `select` does not yet).
    pub fn prepare_partitioned(
        &self,
        progress: &dyn Progress,
    ) -> Result<PartitionedSelectPlan, ApiError> {
        let checked = check_and_read(self, progress)?;
        if !self.data.is_dir() {
            return Err(bad_input(format!(
                "--data {}: a partitioned run reads a dataset directory (a graph snapshot \
                 is a whole graph)",
                self.data.display()
            )));
        }
        if self.heuristic == "ppr" {
            return Err(bad_input(
                "--heuristic ppr: a partitioned select cannot run ppr (its push walks \
                 beyond a wave's ball); run select on one process",
            ));
        }
        let shape = tierank_io::share::dataset_shape(&self.data).map_err(io_error)?;
        if self.min_evidence > 0 && !shape.has_events {
            return Err(select_error(SelectError::MinEvidenceWithoutEvents {
                min_evidence: self.min_evidence,
            }));
        }
        // A graph of no one with the dataset's kinds of input: what the heuristics' needs
        // are checked against.
        let kinds = shape
            .kinds_graph(checked.load.half_life_ms)
            .map_err(io_error)?;
        let heuristic = build(&self.heuristic, &checked.config, &kinds).bad_input()?;
        let calibration_check = self.calibration.as_ref().map(|path| {
            ModelCheck::new("--calibration", path, &checked.config, checked.load, &shape)
        });
        Ok(PartitionedSelectPlan {
            shape,
            load: checked.load,
            heuristic,
            config: checked.config,
            policy: checked.policy,
            target_ids: checked.target_ids,
            excluded_ids: checked.excluded_ids,
            calibration: checked
                .calibrator
                .map(|f| Box::new(ByRank(f)) as Box<dyn Calibration>),
            calibration_check,
        })
    }

    /// Writes the output directory of a partitioned selection (on process 0, once every
    /// worker's passes have arrived), exactly as [`Self::run`] writes it: `selection` and
    /// `candidates` from the partitioned run, `window` and `events_outside` its agreed event
    /// window, `shape` the dataset it read.
    ///
    /// # Errors
    /// As [`Self::run`]'s writing.
    pub fn write_partitioned(
        &self,
        selection: Selection,
        candidates: Vec<i64>,
        shape: &tierank_io::share::DatasetShape,
        window: Option<(tierank_graph::TimeWindow, tierank_io::WindowSource)>,
        events_outside: u64,
        progress: &dyn Progress,
    ) -> Result<SelectOutcome, ApiError> {
        warn_unknown_opt_outs(self, selection.consent.unknown, progress);
        let checked = Checked {
            policy: self
                .policy
                .parse()
                .map_err(|e| bad_input(format!("--policy: {e}")))?,
            config: self.load.params.config()?,
            load: self.load.load_options()?,
            existing: existing_dir(self),
            target_ids: Vec::new(),
            excluded_ids: Vec::new(),
            calibrator: None,
        };
        let report = LoadReport {
            files_read: tierank_io::share::input_files(shape),
            window: window.map(|(w, _)| w),
            window_source: window.map(|(_, s)| s),
            has_events: window.is_some(),
            events_outside_window: events_outside,
            ..LoadReport::default()
        };
        write_outputs(self, &checked, selection, candidates, &report)
    }
}

/// Maps a selection error to exit code 2 when the arguments or input files caused it.
fn select_error(err: SelectError) -> ApiError {
    match err {
        SelectError::Cancelled => ApiError::Cancelled,
        SelectError::CalibrationRequired { .. }
        | SelectError::MinEvidenceWithoutEvents { .. }
        | SelectError::TargetOutOfRange { .. }
        | SelectError::DuplicateTarget { .. }
        | SelectError::Heuristic(_)
        | SelectError::InvalidProbability { .. } => bad_input(err),
        other => ApiError::other(other),
    }
}

/// Reads a calibration file (`tierank_eval::CalibrationFile`, written by `tierank compare`)
/// and checks that it calibrates `heuristic`: another heuristic's scores live on another
/// scale, and its probabilities would be meaningless here.
fn read_calibration(path: &Path, heuristic: &str) -> Result<CalibrationFile, ApiError> {
    let file = CalibrationFile::load(path).map_err(|e| bad_input(format!("--calibration: {e}")))?;
    if file.heuristic != heuristic {
        return Err(bad_input(format!(
            "--calibration {}: it calibrates heuristic '{}', not '{heuristic}' (select with \
             --heuristic {}, or run `tierank compare --heuristics {heuristic}` for a \
             calibration of {heuristic})",
            path.display(),
            file.heuristic,
            file.heuristic
        )));
    }
    Ok(file)
}

/// A calibration file as selection reads it: by score, rank band and degree. Borrowed by
/// a single-process run, owned by a partitioned one (whose workers share it).
struct ByRank<F>(F);

impl<F: std::borrow::Borrow<CalibrationFile> + Send + Sync> Calibration for ByRank<F> {
    fn probability(&self, score: f64, at: Position) -> f64 {
        self.0.borrow().probability(score, at.rank, at.degree)
    }

    fn block(&self, score: f64, at: Position) -> Option<Block> {
        let (id, standard_error) = self.0.borrow().block(score, at.rank, at.degree);
        Some(Block { id, standard_error })
    }

    fn coverage(&self, uncovered: f64, at: Position) -> Option<(f64, Option<Block>)> {
        let (p, (id, standard_error)) = self
            .0
            .borrow()
            .coverage_probability(uncovered, at.rank, at.degree)?;
        Some((p, Some(Block { id, standard_error })))
    }
}

/// Digests of every input: the dataset files read (and its manifest), the targets, the
/// exclusion list and the calibration.
fn input_digests(
    args: &SelectRequest,
    files_read: &[PathBuf],
) -> Result<Vec<FileDigest>, ApiError> {
    let mut inputs = Vec::new();
    let manifest = tierank_format::layout::DatasetPaths::new(&args.data).manifest();
    let data_files = manifest
        .is_file()
        .then_some(manifest.clone())
        .into_iter()
        .chain(files_read.iter().cloned());
    for path in data_files {
        let relative = path.strip_prefix(&args.data).unwrap_or(&path);
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        inputs.push(digest("data", &name, &path)?);
    }
    inputs.push(digest(
        "targets",
        &args.targets.display().to_string(),
        &args.targets,
    )?);
    if let Some(path) = &args.exclude {
        inputs.push(digest("exclude", &path.display().to_string(), path)?);
    }
    if let Some(path) = &args.calibration {
        inputs.push(digest("calibration", &path.display().to_string(), path)?);
    }
    Ok(inputs)
}

fn digest(role: &str, name: &str, path: &Path) -> Result<FileDigest, ApiError> {
    FileDigest::of(role, name, path).map_err(ApiError::other)
}

/// Per target, in input order: its number of friends in the dataset as loaded.
fn candidates(graph: &Graph, targets: &[NodeId]) -> Vec<i64> {
    targets
        .iter()
        .map(|&t| i64::try_from(graph.degree(t)).unwrap_or(i64::MAX))
        .collect()
}

fn audience_rows(selection: &Selection) -> AudienceRows {
    let mut rows = AudienceRows::default();
    for r in &selection.rows {
        rows.push(
            r.target,
            r.alter,
            i32::try_from(r.selection_rank).unwrap_or(i32::MAX),
            r.score,
            r.probability,
            &r.reason,
        );
    }
    rows
}

fn exposure_rows(selection: &Selection, candidates: &[i64]) -> ExposureRows {
    let mut rows = ExposureRows::default();
    for (t, &c) in selection.exposure.per_target.iter().zip(candidates) {
        rows.push(
            t.target,
            c,
            i64::try_from(t.notices).unwrap_or(i64::MAX),
            t.expected_collateral,
        );
    }
    rows
}

//! `tierank select`: chooses who is shown a notice about each target, under a policy, and
//! writes the audiences, the exposure per target and an audit record into one directory.
//!
//! Every argument and input file is checked before anything is written, and the output
//! directory is staged beside its final location and renamed into place only when every
//! file is complete (`tierank_format::atomic::StagedDir`): a failed run leaves nothing. The
//! rules of selection are in `docs/selection.md`; the output columns in `docs/data-model.md`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use tierank_eval::CalibrationFile;
use tierank_format::atomic::{ExistingDir, StagedDir, check_output_dir};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::build;
use tierank_io::{AudienceRows, ExposureRows, LoadOptions, write_audiences, write_exposure};
use tierank_select::{
    AuditParameters, AuditRecord, Block, Calibration, EXPOSURE_CONFIDENCE, ExclusionSet,
    FileDigest, Policy, Position, SelectError, SelectOptions, Selection, select,
};

use crate::params::{HeuristicArgs, check_heuristic_names, heuristics_help};
use crate::util::{BadInputExt, bad_input, io_error};

/// The audience file: one row per notice.
pub const AUDIENCES_FILE: &str = "audiences.parquet";
/// The exposure file: one row per target.
pub const EXPOSURE_FILE: &str = "exposure.parquet";
/// The audit record.
pub const AUDIT_FILE: &str = "audit.json";

/// How many targets the printed summary lists.
const SUMMARY_TARGETS: usize = 5;

/// Arguments of `tierank select`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Dataset directory (ties.parquet, events/, ...).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// File of target person ids: Parquet or CSV, column `person_id` or a single column.
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// The heuristic that scores each target's friends (one name, as in `rank`).
    #[arg(long, value_name = "H", help = heuristics_help(
        "The heuristic that scores each target's friends (one name, as in `rank`)."))]
    pub heuristic: String,
    /// top-k:K, threshold:X, coverage:P, probability:P, budget:B or budget:B,cap:C.
    #[arg(long, value_name = "POLICY")]
    pub policy: String,
    /// People who opted out (Parquet or CSV of person ids): never selected.
    #[arg(long, value_name = "FILE")]
    pub exclude: Option<PathBuf>,
    /// Also remove the excluded people's ties and interactions before scoring, so their
    /// data is not evidence about anyone else.
    #[arg(long)]
    pub strict_minimization: bool,
    /// Minimum number of interaction events, both directions, between a target and a
    /// selected friend (0: no minimum).
    #[arg(long, value_name = "M", default_value_t = 0)]
    pub min_evidence: u32,
    /// Score-to-probability calibration (JSON) of the heuristic, as written by
    /// `tierank compare`; needed by `probability:P`, and used by `budget` and the exposure.
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Heuristic parameters, as in `rank`.
    #[command(flatten)]
    pub params: HeuristicArgs,
    /// Refuse self-loops, duplicate ties and events between non-friends instead of dropping
    /// and counting them.
    #[arg(long)]
    pub strict: bool,
    /// Load the dataset's Parquet files even when it holds an up-to-date graph snapshot
    /// (`tierank index`).
    #[arg(long)]
    pub no_snapshot: bool,
    /// The memory guard.
    #[command(flatten)]
    pub memory: crate::memory::MemoryArgs,
    /// Output directory (audiences.parquet, exposure.parquet, audit.json).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `tierank select` arguments alone, to reparse a recorded command line.
#[derive(Debug, Parser)]
#[command(name = "tierank select")]
struct SelectLine {
    #[command(flatten)]
    args: Args,
}

/// Parses the arguments of a recorded `tierank select` command line (program name first).
///
/// # Errors
/// A message when the line is not a `select` command or its arguments do not parse.
pub fn args_from_command_line(line: &[String]) -> Result<Args, String> {
    match line.get(1).map(String::as_str) {
        Some("select") => {}
        other => {
            return Err(format!(
                "the recorded command is not `tierank select` (second word: {other:?})"
            ));
        }
    }
    SelectLine::try_parse_from(
        std::iter::once("tierank select").chain(line[2..].iter().map(String::as_str)),
    )
    .map(|l| l.args)
    .map_err(|e| format!("the recorded command line does not parse: {e}"))
}

/// What a finished selection produced.
pub struct Outcome {
    /// The audit record written to `audit.json`.
    pub record: AuditRecord,
    /// The selection.
    pub selection: Selection,
    /// Per target, in input order: its number of friends in the dataset.
    pub candidates: Vec<i64>,
    /// Where the outputs are.
    pub out: PathBuf,
}

/// Runs `tierank select` and prints the exposure summary.
pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let outcome = execute(&args, std::env::args().collect())?;
    print_summary(&args, &outcome);
    println!(
        "wrote {} ({AUDIENCES_FILE}, {EXPOSURE_FILE}, {AUDIT_FILE}) in {:.2}s",
        outcome.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the selection described by `args` and writes its output directory; `command_line`
/// is recorded in the audit record. Prints nothing but warnings.
///
/// # Errors
/// Bad-input errors (exit code 2, nothing written) for every mistake in the arguments or the
/// input files; other errors for I/O failures.
pub fn execute(args: &Args, command_line: Vec<String>) -> anyhow::Result<Outcome> {
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
    let config = args.params.config()?;
    let half_life_ms = args.params.half_life_ms()?;
    let window = args.params.window.spec()?;
    let existing = if args.force {
        ExistingDir::Replace
    } else {
        ExistingDir::Refuse
    };
    let mut input_paths = vec![args.data.as_path(), args.targets.as_path()];
    input_paths.extend(args.exclude.as_deref());
    input_paths.extend(args.calibration.as_deref());
    tierank_format::output::check_output_path(&args.out, &input_paths)
        .map_err(|e| bad_input(format!("--out: {e}")))?;
    check_output_dir(&args.out, existing).map_err(|e| bad_input(format!("--out: {e}")))?;

    // Small files first, so a mistake in them costs no loading time.
    let target_ids = tierank_io::read_person_ids(&args.targets, tierank_io::IdList::Targets)
        .map_err(io_error)?;
    let excluded_ids = match &args.exclude {
        Some(path) => {
            let ids =
                tierank_io::read_person_ids(path, tierank_io::IdList::OptOuts).map_err(|e| {
                    if e.is_bad_input() {
                        bad_input(format!("--exclude: {e}"))
                    } else {
                        anyhow::Error::new(e).context("--exclude")
                    }
                })?;
            if ids.is_empty() {
                eprintln!(
                    "warning: the opt-out list {} lists no one: nobody is excluded",
                    path.display()
                );
            }
            ids
        }
        None => Vec::new(),
    };
    let calibrator = match &args.calibration {
        Some(path) => Some(read_calibration(path, &args.heuristic)?),
        None => None,
    };

    let started = Instant::now();
    crate::memory::check_load(&args.memory, &args.data)?;
    let opened = tierank_io::open_graph(
        &args.data,
        &LoadOptions {
            half_life_ms,
            strict: args.strict,
            window,
        },
        !args.no_snapshot,
    )
    .map_err(io_error)?;
    let (graph, report) = (opened.graph, opened.report);
    log::info!(
        "loaded {} people, {} friendships in {:.1}s",
        report.num_nodes,
        report.num_edges,
        started.elapsed().as_secs_f64()
    );
    let heuristic = build(&args.heuristic, &config, &graph).bad_input()?;
    let targets = tierank_io::resolve_targets(&graph, &target_ids).map_err(io_error)?;
    let excluded = ExclusionSet::new(&graph, &excluded_ids);
    if !excluded.unknown().is_empty() {
        eprintln!(
            "warning: {} person id(s) of the exclusion list {} are not in the dataset; \
             they cannot be selected anyway and are ignored",
            excluded.unknown().len(),
            args.exclude.as_deref().unwrap_or(Path::new("")).display()
        );
    }

    let probability = calibrator.as_ref().map(ByRank);
    let opts = SelectOptions {
        excluded,
        strict_minimization: args.strict_minimization,
        min_evidence: args.min_evidence,
        calibration: probability.as_ref().map(|f| f as &dyn Calibration),
        config: &config,
    };
    let selection =
        select(&graph, &targets, heuristic.as_ref(), &policy, &opts).map_err(select_error)?;

    let inputs = input_digests(args, &report.files_read)?;
    let candidates = candidates(&graph, &targets);
    let staged = StagedDir::new(&args.out, existing).map_err(|e| match e {
        tierank_format::FormatError::Output { .. } => bad_input(format!("--out: {e}")),
        other => anyhow::Error::new(other),
    })?;
    let dir = staged.path().to_owned();
    write_audiences(&dir.join(AUDIENCES_FILE), &audience_rows(&selection)).map_err(io_error)?;
    write_exposure(
        &dir.join(EXPOSURE_FILE),
        &exposure_rows(&selection, &candidates),
    )
    .map_err(io_error)?;
    let outputs = vec![
        FileDigest::of("audience", AUDIENCES_FILE, &dir.join(AUDIENCES_FILE))?,
        FileDigest::of("exposure", EXPOSURE_FILE, &dir.join(EXPOSURE_FILE))?,
    ];
    let parameters = AuditParameters {
        heuristic: args.heuristic.clone(),
        heuristic_config: config.clone(),
        policy: policy.to_string(),
        min_evidence: args.min_evidence,
        strict_minimization: args.strict_minimization,
        calibrated: calibrator.is_some(),
        event_window: Some(crate::params::window_record(&report)).filter(|v| !v.is_null()),
    };
    let record = AuditRecord::new(command_line, parameters, inputs, &selection, outputs);
    let audit_path = dir.join(AUDIT_FILE);
    let json = record.to_json().context("serialising the audit record")?;
    std::fs::write(&audit_path, json).with_context(|| format!("{}", audit_path.display()))?;
    let out = staged.commit()?;
    Ok(Outcome {
        record,
        selection,
        candidates,
        out,
    })
}

/// Maps a selection error to exit code 2 when the arguments or input files caused it.
fn select_error(err: SelectError) -> anyhow::Error {
    match err {
        SelectError::CalibrationRequired { .. }
        | SelectError::MinEvidenceWithoutEvents { .. }
        | SelectError::TargetOutOfRange { .. }
        | SelectError::DuplicateTarget { .. }
        | SelectError::Heuristic(_)
        | SelectError::InvalidProbability { .. } => bad_input(err),
        other => anyhow::Error::new(other),
    }
}

/// Reads a calibration file (`tierank_eval::CalibrationFile`, written by `tierank compare`)
/// and checks that it calibrates `heuristic`: another heuristic's scores live on another
/// scale, and its probabilities would be meaningless here.
/// A calibration file as selection reads it.
struct ByRank<'a>(&'a CalibrationFile);

impl Calibration for ByRank<'_> {
    fn probability(&self, score: f64, at: Position) -> f64 {
        self.0.probability(score, at.rank, at.degree)
    }

    fn block(&self, score: f64, at: Position) -> Option<Block> {
        let (id, standard_error) = self.0.block(score, at.rank, at.degree);
        Some(Block { id, standard_error })
    }
}

fn read_calibration(path: &Path, heuristic: &str) -> anyhow::Result<CalibrationFile> {
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

/// Digests of every input: the dataset files read (and its manifest), the targets, the
/// exclusion list and the calibration.
fn input_digests(args: &Args, files_read: &[PathBuf]) -> anyhow::Result<Vec<FileDigest>> {
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

fn digest(role: &str, name: &str, path: &Path) -> anyhow::Result<FileDigest> {
    Ok(FileDigest::of(role, name, path)?)
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
            r.person,
            i32::try_from(r.rank).unwrap_or(i32::MAX),
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

fn print_summary(args: &Args, outcome: &Outcome) {
    let s = &outcome.selection;
    let e = &s.exposure;
    println!(
        "selected {} notices about {} targets under {} with heuristic {}",
        e.notices,
        e.per_target.len(),
        outcome.record.parameters.policy,
        args.heuristic
    );
    println!("  people reached:               {}", e.people_reached);
    println!("  notices sent:                 {}", e.notices);
    match e.expected_collateral {
        Some(c) => {
            println!(
                "  expected collateral exposure: {c:.3} (expected notices to people not close)"
            );
            if let Some((lo, hi)) = e.expected_collateral_interval {
                println!(
                    "  {:.0}% interval:                 [{lo:.1}, {hi:.1}]",
                    EXPOSURE_CONFIDENCE * 100.0
                );
            }
        }
        None => println!("  expected collateral exposure: unknown (no --calibration)"),
    }
    let shown = e.per_target.len().min(SUMMARY_TARGETS);
    if shown > 0 {
        println!(
            "  per target (first {shown} of {}): target, friends, notices, expected collateral",
            e.per_target.len()
        );
        for (t, c) in e.per_target.iter().zip(&outcome.candidates).take(shown) {
            let collateral = t
                .expected_collateral
                .map_or_else(|| "-".to_owned(), |x| format!("{x:.3}"));
            println!(
                "    {:>20} {c:>8} {:>8} {collateral:>10}",
                t.target, t.notices
            );
        }
    }
    if args.exclude.is_some() {
        let c = &s.consent;
        println!(
            "  exclusion list: {} listed, {} in the dataset, {} not in the dataset; {} notice(s) \
             to them withheld",
            c.listed, c.excluded_in_graph, c.unknown, c.excluded_would_have_been_selected
        );
    }
}

//! The `rank` request: ranks targets' friends under one or more heuristics into a Parquet
//! file, or into record batches in memory ([`RankRequest::run_in_memory`],
//! [`LoadedGraph::rank`]).
//!
//! Every setting is checked, and the output path too, before the dataset is loaded, so a
//! mistake costs no loading time and leaves nothing behind. The rankings file is written as
//! a stream and appears only when complete (see `tierank_io::RankingsWriter`). The file and
//! the in-memory batches are built by the same builder (`tierank_io::RankingsBatches`), so
//! they hold the same columns, types, metadata and rows.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};
use tierank_eval::learned::LEARNED;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::rank::{RankOptions, RankedChunk, rank_targets, sample_targets};
use tierank_heuristics::{Heuristic, HeuristicConfig};
use tierank_io::{LoadOptions, LoadReport, RankingRows, RankingsBatches, RankingsWriter};

use crate::artefact::{ScoreSettings, check_settings};
use crate::error::{ApiError, BadInputExt, bad_input, io_error};
use crate::load::LoadSettings;
use crate::params::{HeuristicParams, check_heuristic_names, window_record};
use crate::{Batches, Progress, check_cancelled};

/// Everything `tierank rank` needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankRequest {
    /// Dataset directory.
    pub data: PathBuf,
    /// File of target person ids (Parquet or CSV); `None` with [`Self::sample`].
    pub targets: Option<PathBuf>,
    /// Rank this many targets with at least one friend, chosen reproducibly from the seed.
    pub sample: Option<usize>,
    /// Comma-separated heuristics, `all`, or `learned` with [`Self::model`].
    pub heuristics: String,
    /// Friends kept per target and heuristic.
    pub k: usize,
    /// Output Parquet file.
    pub out: PathBuf,
    /// Overwrite the output file if it exists.
    pub force: bool,
    /// Model file of the `learned` heuristic (`model.json` of `compare`).
    pub model: Option<PathBuf>,
    /// How the dataset is loaded and the heuristics configured.
    pub load: LoadSettings,
}

/// What a finished `rank` did.
#[derive(Debug, Clone)]
pub struct RankOutcome {
    /// Targets ranked.
    pub targets: u64,
    /// The heuristics, in column order.
    pub heuristics: Vec<String>,
    /// Friends kept per target and heuristic.
    pub k: usize,
    /// Rows written.
    pub rows: u64,
    /// Wall time of the ranking (without loading).
    pub ranking_time: Duration,
    /// Per heuristic: thread time spent scoring.
    pub heuristic_time: Vec<(String, Duration)>,
    /// The file written.
    pub out: PathBuf,
}

/// The checked settings of a ranking, before any data is read.
#[derive(Debug, Clone)]
pub struct RankSettings {
    /// The heuristic configuration.
    pub config: HeuristicConfig,
}

/// Checks the settings shared by every ranking (file or in memory): `k`, `sample`, the
/// heuristic names, `learned` and its model file, the heuristic parameters.
///
/// # Errors
/// A bad-input error naming the setting.
pub fn check_rank_settings(
    heuristics: &str,
    k: usize,
    sample: Option<usize>,
    model: Option<&Path>,
    params: &HeuristicParams,
) -> Result<RankSettings, ApiError> {
    if k == 0 {
        return Err(bad_input("--k must be at least 1"));
    }
    if sample == Some(0) {
        return Err(bad_input("--sample must be at least 1"));
    }
    let names = check_heuristic_names("heuristics", heuristics, &["all", LEARNED])?;
    match model {
        None if names.iter().any(|n| n == LEARNED) => {
            return Err(bad_input(
                "heuristic 'learned' needs --model FILE (a model.json of tierank compare)",
            ));
        }
        Some(path) if !path.is_file() => {
            return Err(bad_input(format!(
                "--model: {} is not a file",
                path.display()
            )));
        }
        _ => {}
    }
    let config = params.config()?;
    Ok(RankSettings { config })
}

/// A ranking ready to run: settings checked, dataset loaded, heuristics built, targets
/// chosen. [`RankRequest::run`] ranks it into the output file; a partitioned run (the CLI's
/// process flags, `tierank-dist`) ranks it across processes instead.
pub struct PreparedRank {
    /// The graph.
    pub graph: Graph,
    /// How it was loaded.
    pub report: LoadReport,
    /// The heuristics, in column order.
    pub heuristics: Vec<Box<dyn Heuristic>>,
    /// The targets, in output order.
    pub targets: Vec<NodeId>,
    /// When preparing began (reading and building time of a partitioned run).
    pub started: Instant,
}

/// A ranking ready for a partitioned run ([`RankRequest::prepare_partitioned`]): settings
/// and output checked, heuristics built, nothing loaded.
pub struct PartitionedPlan {
    /// The dataset's files, as their footers describe them.
    pub shape: tierank_io::share::DatasetShape,
    /// Half-life and event window.
    pub load: LoadOptions,
    /// The heuristics, in column order.
    pub heuristics: Vec<Box<dyn Heuristic>>,
    /// Their configuration (channel weights, `ppr`'s α and ε): what the distributed push
    /// reads, since it runs outside the heuristic objects.
    pub config: HeuristicConfig,
    /// The target list (`--targets`), in order.
    pub target_ids: Option<Vec<i64>>,
    /// `--sample`.
    pub sample: Option<usize>,
    /// The seed of the sample.
    pub seed: u64,
    /// The check of `--model`'s settings, to run once the event window is known.
    pub model_check: Option<ModelCheck>,
}

/// Rankings held in memory: the record batches of the rankings table, the same columns,
/// types, schema metadata and rows as the rankings file of the same request.
#[derive(Debug, Clone)]
pub struct RankTable {
    /// The schema (with the file's metadata: the event window) and the rows, in the file's
    /// order, in batches of at most [`tierank_format::writer::ROW_GROUP_ROWS`] rows (the
    /// file's row groups).
    pub table: Batches,
    /// Targets ranked.
    pub targets: u64,
    /// Rows in all batches.
    pub rows: u64,
}

/// The schema metadata of a rankings file (and of a [`RankTable`]): the event window, so
/// that the rankings can be reproduced (`--window-start/-end`).
fn rankings_metadata(report: &LoadReport) -> [(&'static str, String); 1] {
    [("tierank.event_window", window_record(report).to_string())]
}

/// Where the rows of a ranking go: the rankings file, or record batches in memory. Both take
/// their batches from [`RankingsBatches::batch`].
enum Sink {
    File(Box<RankingsWriter>),
    Memory {
        builder: RankingsBatches,
        /// Rows not yet in a batch: a batch holds up to a row group, so that a table has few
        /// chunks (polars then needs no rechunk, a copy).
        pending: RankingRows,
        batches: Vec<RecordBatch>,
    },
}

/// The batch builder of a ranking's rows, for the file and for memory alike.
fn rankings_builder(names: &[String], report: &LoadReport) -> Result<RankingsBatches, ApiError> {
    let mut builder = RankingsBatches::new(names).map_err(io_error)?;
    for (key, value) in rankings_metadata(report) {
        builder = builder.with_metadata(key, &value);
    }
    Ok(builder)
}

impl Sink {
    fn file(path: &Path, names: &[String], report: &LoadReport) -> Result<Self, ApiError> {
        let writer = RankingsWriter::with_batches(path, rankings_builder(names, report)?)
            .map_err(io_error)?;
        Ok(Self::File(Box::new(writer)))
    }

    fn memory(names: &[String], report: &LoadReport) -> Result<Self, ApiError> {
        Ok(Self::Memory {
            builder: rankings_builder(names, report)?,
            pending: RankingRows::default(),
            batches: Vec::new(),
        })
    }

    fn write(&mut self, rows: &RankingRows) -> Result<(), ApiError> {
        match self {
            Self::File(writer) => writer.write(rows).map_err(io_error),
            Self::Memory {
                builder,
                pending,
                batches,
            } => {
                pending.target.extend_from_slice(&rows.target);
                pending.heuristic.extend_from_slice(&rows.heuristic);
                pending.rank.extend_from_slice(&rows.rank);
                pending.alter.extend_from_slice(&rows.alter);
                pending.score.extend_from_slice(&rows.score);
                if pending.len() >= tierank_format::writer::ROW_GROUP_ROWS {
                    batches.extend(builder.batch(pending).map_err(io_error)?);
                    pending.clear();
                }
                Ok(())
            }
        }
    }
}

/// The heuristics of a ranking, in column order, and its targets, in output order.
type Plan = (Vec<Box<dyn Heuristic>>, Vec<NodeId>);

/// Builds the heuristics of a ranking of a loaded graph and chooses its targets; checks the
/// model file's settings against the graph's first.
#[allow(clippy::too_many_arguments)]
fn plan(
    loaded: &GraphRef<'_>,
    config: &HeuristicConfig,
    heuristics: &str,
    model: Option<&Path>,
    target_ids: Option<&[i64]>,
    sample: Option<usize>,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Plan, ApiError> {
    if let Some(model) = model {
        check_model_settings(
            model,
            config,
            loaded.load,
            loaded.dataset_dir,
            loaded.report,
            &|m| progress.warn(m),
        )?;
    }
    let built = build_with_model(heuristics, config, loaded.graph, model)?;
    let targets = choose_targets(loaded.graph, target_ids, sample, seed)?;
    check_cancelled(progress)?;
    Ok((built, targets))
}

/// Checks the settings recorded in `--model`'s file against this run's (heuristic
/// configuration, half-life, strictness, event window, dataset checksums): the one check of
/// a single-process and of a partitioned run ([`ModelCheck`]).
fn check_model_settings(
    model: &Path,
    config: &HeuristicConfig,
    load: &LoadOptions,
    root: &Path,
    report: &LoadReport,
    warn: &dyn Fn(&str),
) -> Result<(), ApiError> {
    let now = ScoreSettings::of_run(config, load, root, report)?;
    check_settings("--model", model, &now, warn)
}

/// The check of `--model`'s recorded settings in a partitioned run, which learns its event
/// window only once its workers agree on it: [`ModelCheck::check`] is then called (by one
/// worker) with that window, and compares exactly what a single-process run compares.
/// A partitioned `select` checks its `--calibration` with it too.
#[derive(Debug, Clone)]
pub struct ModelCheck {
    /// The flag that named the file (`--model`, `--calibration`).
    flag: &'static str,
    model: PathBuf,
    config: HeuristicConfig,
    load: LoadOptions,
    root: PathBuf,
    files: Vec<PathBuf>,
}

impl ModelCheck {
    /// Compares the model's recorded settings with this run's, whose event window is
    /// `window` (`None` for a dataset without events). Warnings go to the log.
    ///
    /// # Errors
    /// Bad input naming the first differing setting, as [`RankRequest::prepare`].
    pub fn check(&self, window: Option<tierank_graph::TimeWindow>) -> Result<(), ApiError> {
        let report = LoadReport {
            window,
            files_read: self.files.clone(),
            ..LoadReport::default()
        };
        let now = ScoreSettings::of_run(&self.config, &self.load, &self.root, &report)?;
        check_settings(self.flag, &self.model, &now, &|m| log::warn!("{m}"))
    }

    /// The check of the settings recorded in `file` (named by `flag` in messages) against
    /// a partitioned run of `config` and `load` on the dataset of `shape`.
    pub(crate) fn new(
        flag: &'static str,
        file: &Path,
        config: &HeuristicConfig,
        load: LoadOptions,
        shape: &tierank_io::share::DatasetShape,
    ) -> Self {
        Self {
            flag,
            model: file.to_owned(),
            config: config.clone(),
            load,
            root: shape.dir.clone(),
            files: tierank_io::share::input_files(shape),
        }
    }
}

/// A loaded graph with what [`plan`] needs to know about its load.
struct GraphRef<'a> {
    graph: &'a Graph,
    report: &'a LoadReport,
    load: &'a LoadOptions,
    dataset_dir: &'a Path,
}

/// Ranks `targets` into `sink`; returns the summary and the rows written.
fn rank_into(
    graph: &Graph,
    targets: &[NodeId],
    heuristics: &[Box<dyn Heuristic>],
    k: usize,
    progress: &dyn Progress,
    sink: &mut Sink,
) -> Result<tierank_heuristics::rank::RankSummary, ApiError> {
    rank_chunks(graph, targets, heuristics, k, progress, |rows| {
        sink.write(rows)
    })
}

impl RankRequest {
    /// Checks every setting, loads the dataset, ranks and writes the Parquet file.
    ///
    /// # Errors
    /// Bad input (nothing written) for every mistake in the settings or input files; a
    /// failure for I/O errors; [`ApiError::Cancelled`] when `progress` asks to stop.
    pub fn run(&self, progress: &dyn Progress) -> Result<RankOutcome, ApiError> {
        let prepared = self.prepare(progress)?;
        self.rank_prepared(&prepared, progress)
    }

    /// As [`Self::run`], but returns the rankings as record batches and writes nothing
    /// (`out` and `force` are not used).
    ///
    /// # Errors
    /// As [`Self::run`].
    pub fn run_in_memory(&self, progress: &dyn Progress) -> Result<RankTable, ApiError> {
        let prepared = self.prepare_inputs(progress)?;
        rank_table(
            &prepared.graph,
            &prepared.report,
            &prepared.heuristics,
            &prepared.targets,
            self.k,
            progress,
        )
    }

    /// Checks every setting and the output path, reads the targets, loads the dataset (or
    /// its snapshot), checks the model's settings and builds the heuristics: everything of
    /// [`Self::run`] before ranking.
    ///
    /// # Errors
    /// As [`Self::run`].
    pub fn prepare(&self, progress: &dyn Progress) -> Result<PreparedRank, ApiError> {
        self.check_before_reading()?;
        self.prepare_inputs(progress)
    }

    /// The checks of every setting and of the output that come before any data is read,
    /// the same for a single-process and a partitioned run.
    fn check_before_reading(&self) -> Result<(RankSettings, LoadOptions), ApiError> {
        let mut inputs = vec![self.data.as_path()];
        inputs.extend(self.targets.as_deref());
        inputs.extend(self.model.as_deref());
        // The settings first: their messages come before the output's.
        let settings = check_rank_settings(
            &self.heuristics,
            self.k,
            self.sample,
            self.model.as_deref(),
            &self.load.params,
        )?;
        self.load.params.half_life_ms()?;
        tierank_format::output::check_output_path(&self.out, &inputs)
            .map_err(|e| bad_input(format!("--out: {e}")))?;
        let load = self.load.load_options()?;
        crate::check_output_file("--out", &self.out, self.force)?;
        Ok((settings, load))
    }

    /// Checks every setting and the output as [`Self::prepare`] does, and builds the
    /// heuristics, for a partitioned run (crate `tierank-dist`) that reads the dataset in
    /// shares instead of loading it here: only the files' footers are read.
    ///
    /// `ppr` runs there as the distributed push (`tierank_dist::ppr`): its scores are within
    /// the push's error bound of the single-process ones, not equal to them.
    ///
    /// # Errors
    /// Bad input for every mistake in the settings, the output path, the dataset's columns,
    /// the target list, or a snapshot file as `--data` (not supported partitioned).
    pub fn prepare_partitioned(&self) -> Result<PartitionedPlan, ApiError> {
        let (settings, load) = self.check_before_reading()?;
        if !self.data.is_dir() {
            return Err(bad_input(format!(
                "--data {}: a partitioned run reads a dataset directory (a graph snapshot \
                 is a whole graph)",
                self.data.display()
            )));
        }
        let target_ids = match &self.targets {
            Some(path) => Some(
                tierank_io::read_person_ids(path, tierank_io::IdList::Targets).map_err(io_error)?,
            ),
            None => None,
        };
        let shape = tierank_io::share::dataset_shape(&self.data).map_err(io_error)?;
        let model_check = self
            .model
            .as_ref()
            .map(|model| ModelCheck::new("--model", model, &settings.config, load, &shape));
        // A graph of no one with the dataset's kinds of input: what the heuristics' needs
        // are checked against.
        let kinds = shape.kinds_graph(load.half_life_ms).map_err(io_error)?;
        let heuristics = build_with_model(
            &self.heuristics,
            &settings.config,
            &kinds,
            self.model.as_deref(),
        )?;
        Ok(PartitionedPlan {
            shape,
            load,
            heuristics,
            config: settings.config,
            target_ids,
            sample: self.sample,
            seed: self.load.params.seed,
            model_check,
        })
    }

    /// [`Self::prepare`] without the output checks.
    fn prepare_inputs(&self, progress: &dyn Progress) -> Result<PreparedRank, ApiError> {
        let settings = check_rank_settings(
            &self.heuristics,
            self.k,
            self.sample,
            self.model.as_deref(),
            &self.load.params,
        )?;
        let load = self.load.load_options()?;
        // Read the target list before the (much larger) dataset so a bad file fails fast.
        let target_ids = match &self.targets {
            Some(path) => Some(
                tierank_io::read_person_ids(path, tierank_io::IdList::Targets).map_err(io_error)?,
            ),
            None => None,
        };

        let started = Instant::now();
        let opened = self.load.open(&self.data, &load, progress)?;
        let (graph, report) = (opened.graph, opened.report);
        log::info!(
            "loaded {} people, {} friendships, events: {}, weights: {} in {:.1}s",
            report.num_nodes,
            report.num_edges,
            report.has_events,
            report.has_weights,
            started.elapsed().as_secs_f64()
        );
        let (heuristics, targets) = plan(
            &GraphRef {
                graph: &graph,
                report: &report,
                load: &load,
                dataset_dir: &opened.dataset_dir,
            },
            &settings.config,
            &self.heuristics,
            self.model.as_deref(),
            target_ids.as_deref(),
            self.sample,
            self.load.params.seed,
            progress,
        )?;
        Ok(PreparedRank {
            graph,
            report,
            heuristics,
            targets,
            started,
        })
    }

    /// Ranks a prepared ranking into the output file.
    ///
    /// # Errors
    /// A failure for I/O errors; [`ApiError::Cancelled`] when `progress` asks to stop.
    pub fn rank_prepared(
        &self,
        prepared: &PreparedRank,
        progress: &dyn Progress,
    ) -> Result<RankOutcome, ApiError> {
        let PreparedRank {
            graph,
            report,
            heuristics,
            targets,
            ..
        } = prepared;
        let names: Vec<String> = heuristics.iter().map(|h| h.name().to_owned()).collect();
        let mut sink = Sink::file(&self.out, &names, report)?;
        let ranking_started = Instant::now();
        let summary = rank_into(graph, targets, heuristics, self.k, progress, &mut sink)?;
        let Sink::File(writer) = sink else {
            unreachable!("a file sink stays one")
        };
        let written = writer.finish().map_err(io_error)?;
        Ok(RankOutcome {
            targets: summary.targets,
            heuristics: names,
            k: self.k,
            rows: written,
            ranking_time: ranking_started.elapsed(),
            heuristic_time: summary.heuristic_time,
            out: self.out.clone(),
        })
    }
}

/// Ranks into record batches.
fn rank_table(
    graph: &Graph,
    report: &LoadReport,
    heuristics: &[Box<dyn Heuristic>],
    targets: &[NodeId],
    k: usize,
    progress: &dyn Progress,
) -> Result<RankTable, ApiError> {
    let names: Vec<String> = heuristics.iter().map(|h| h.name().to_owned()).collect();
    let mut sink = Sink::memory(&names, report)?;
    let summary = rank_into(graph, targets, heuristics, k, progress, &mut sink)?;
    let Sink::Memory {
        builder,
        pending,
        mut batches,
    } = sink
    else {
        unreachable!("a memory sink stays one")
    };
    batches.extend(builder.batch(&pending).map_err(io_error)?);
    Ok(RankTable {
        rows: batches.iter().map(|b| b.num_rows() as u64).sum(),
        table: Batches {
            schema: Arc::clone(builder.schema()),
            batches,
        },
        targets: summary.targets,
    })
}

/// What to rank on a graph loaded once and ranked many times ([`LoadedGraph::rank`], the
/// Python package's `Graph.rank`): a [`RankRequest`] without the dataset, the output and the
/// load settings (the half-life and the event window are the loaded graph's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankQuery {
    /// Person ids of the targets; `None` with [`Self::sample`].
    pub targets: Option<Vec<i64>>,
    /// Rank this many targets with at least one friend, chosen reproducibly from the seed.
    pub sample: Option<usize>,
    /// Comma-separated heuristics, `all`, or `learned` with [`Self::model`].
    pub heuristics: String,
    /// Friends kept per target and heuristic.
    pub k: usize,
    /// Heuristic parameters and the seed (the half-life and the window are not used).
    pub params: HeuristicParams,
    /// Model file of the `learned` heuristic (`model.json` of `compare`).
    pub model: Option<PathBuf>,
}

impl LoadedGraph {
    /// Loads a dataset once, for several rankings.
    ///
    /// # Errors
    /// As [`LoadSettings::open`], and bad input for bad load settings.
    pub fn open(
        data: &Path,
        settings: &LoadSettings,
        progress: &dyn Progress,
    ) -> Result<Self, ApiError> {
        let load = settings.load_options()?;
        let opened = settings.open(data, &load, progress)?;
        Ok(Self {
            graph: opened.graph,
            report: opened.report,
            dataset_dir: opened.dataset_dir,
            load,
        })
    }

    /// Ranks the graph in memory: the rows `tierank rank` writes for the same settings.
    ///
    /// # Errors
    /// Bad input for every mistake in the query; [`ApiError::Cancelled`] when `progress`
    /// asks to stop.
    pub fn rank(&self, query: &RankQuery, progress: &dyn Progress) -> Result<RankTable, ApiError> {
        if query.targets.is_none() && query.sample.is_none() {
            return Err(bad_input("give targets or sample=N"));
        }
        let settings = check_rank_settings(
            &query.heuristics,
            query.k,
            query.sample,
            query.model.as_deref(),
            &query.params,
        )?;
        let (heuristics, targets) = plan(
            &GraphRef {
                graph: &self.graph,
                report: &self.report,
                load: &self.load,
                dataset_dir: &self.dataset_dir,
            },
            &settings.config,
            &query.heuristics,
            query.model.as_deref(),
            query.targets.as_deref(),
            query.sample,
            query.params.seed,
            progress,
        )?;
        rank_table(
            &self.graph,
            &self.report,
            &heuristics,
            &targets,
            query.k,
            progress,
        )
    }
}

/// The targets of a ranking: the given person ids, or a reproducible sample of `sample`
/// people with friends. Warns about targets without friends.
///
/// # Errors
/// Bad input for an unknown or repeated id, or when neither is given.
pub fn choose_targets(
    graph: &Graph,
    target_ids: Option<&[i64]>,
    sample: Option<usize>,
    seed: u64,
) -> Result<Vec<NodeId>, ApiError> {
    let targets: Vec<NodeId> = match (target_ids, sample) {
        (Some(ids), _) => tierank_io::resolve_targets(graph, ids).map_err(io_error)?,
        (None, Some(n)) => sample_targets(graph, n, seed).bad_input()?,
        (None, None) => return Err(bad_input("give --targets FILE or --sample N")),
    };
    let friendless = targets.iter().filter(|&&t| graph.degree(t) == 0).count();
    if friendless > 0 {
        log::warn!("{friendless} targets have no friends and produce no rows");
    }
    Ok(targets)
}

/// Ranks `targets` and hands each chunk, as person-id rows, to `sink`. Checks for
/// cancellation between chunks.
///
/// # Errors
/// The sink's error, [`ApiError::Cancelled`], or a ranking error.
pub fn rank_chunks(
    graph: &Graph,
    targets: &[NodeId],
    heuristics: &[Box<dyn Heuristic>],
    k: usize,
    progress: &dyn Progress,
    mut sink: impl FnMut(&RankingRows) -> Result<(), ApiError>,
) -> Result<tierank_heuristics::rank::RankSummary, ApiError> {
    progress.start(targets.len() as u64, "ranking");
    let mut rows = RankingRows::default();
    let summary = rank_targets(
        graph,
        targets,
        heuristics,
        k,
        &RankOptions {
            cancel: progress.cancel_flag(),
            ..RankOptions::default()
        },
        |chunk| {
            check_cancelled(progress)?;
            to_rows(graph, &chunk, &mut rows)?;
            sink(&rows)
        },
        &|done| progress.set_position(done),
    );
    progress.finish();
    summary
}

impl From<tierank_heuristics::rank::RankError> for ApiError {
    fn from(err: tierank_heuristics::rank::RankError) -> Self {
        match err {
            tierank_heuristics::rank::RankError::Cancelled => ApiError::Cancelled,
            other => ApiError::other(other),
        }
    }
}

/// Converts one chunk of dense-id rows into person-id rows.
fn to_rows(graph: &Graph, chunk: &RankedChunk, rows: &mut RankingRows) -> Result<(), ApiError> {
    rows.clear();
    for i in 0..chunk.len() {
        let rank = i32::try_from(chunk.rank[i])
            .map_err(|_| ApiError::Message("rank exceeds the Int32 output column".into()))?;
        rows.push(
            graph.person(chunk.target[i]),
            chunk.heuristic[i],
            rank,
            graph.person(chunk.alter[i]),
            chunk.score[i],
        );
    }
    Ok(())
}

/// Builds a heuristic list that may contain `learned`: the registry's heuristics, with the
/// model of `model` (a `model.json` written by `compare`) in place of `learned`.
///
/// # Errors
/// Bad input for an unknown name, a missing or unreadable model, an empty list.
pub fn build_with_model(
    list: &str,
    config: &HeuristicConfig,
    graph: &Graph,
    model: Option<&Path>,
) -> Result<Vec<Box<dyn Heuristic>>, ApiError> {
    let mut out: Vec<Box<dyn Heuristic>> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == LEARNED {
            let path = model.ok_or_else(|| {
                bad_input(
                    "heuristic 'learned' needs --model FILE (a model.json of tierank compare)",
                )
            })?;
            let learned = tierank_eval::LearnedHeuristic::from_file(path, graph).bad_input()?;
            if !out.iter().any(|h| h.name() == LEARNED) {
                out.push(Box::new(learned));
            }
            continue;
        }
        for h in tierank_heuristics::build_all(name, config, graph).bad_input()? {
            if !out.iter().any(|o| o.name() == h.name()) {
                out.push(h);
            }
        }
    }
    if out.is_empty() {
        return Err(bad_input("no heuristic given"));
    }
    Ok(out)
}

/// The report of a load, kept with the graph for requests that rank a loaded graph more
/// than once (the Python package's `load`).
#[derive(Debug)]
pub struct LoadedGraph {
    /// The graph.
    pub graph: Graph,
    /// How it was loaded.
    pub report: LoadReport,
    /// The options it was loaded with.
    pub load: LoadOptions,
    /// The dataset directory (for a snapshot: the one it was built from), whose checksums
    /// artefact settings record.
    pub dataset_dir: PathBuf,
}

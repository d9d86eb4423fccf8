//! The `rank` request: ranks targets' friends under one or more heuristics into a Parquet
//! file.
//!
//! Every setting is checked, and the output path too, before the dataset is loaded, so a
//! mistake costs no loading time and leaves nothing behind. The rankings file is written as
//! a stream and appears only when complete (see `tierank_io::RankingsWriter`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tierank_eval::learned::LEARNED;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::rank::{RankOptions, RankedChunk, rank_targets, sample_targets};
use tierank_heuristics::{Heuristic, HeuristicConfig};
use tierank_io::{LoadOptions, LoadReport, RankingRows, RankingsWriter};

use crate::artefact::{ScoreSettings, check_settings};
use crate::error::{ApiError, BadInputExt, bad_input, io_error};
use crate::memory::MemoryLimit;
use crate::params::{HeuristicParams, check_heuristic_names, window_record};
use crate::{Progress, check_cancelled};

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
    /// Heuristic parameters, the half-life, the seed and the event window.
    pub params: HeuristicParams,
    /// Refuse self-loops, duplicate ties and events between non-friends.
    pub strict: bool,
    /// The memory guard.
    #[serde(skip)]
    pub memory: MemoryLimit,
    /// Model file of the `learned` heuristic (`model.json` of `compare`).
    pub model: Option<PathBuf>,
    /// Load the dataset's Parquet files even when it holds an up-to-date graph snapshot
    /// (`tierank index`); `false` opens the snapshot.
    #[serde(default)]
    pub no_snapshot: bool,
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
    /// The loader's options.
    pub load: LoadOptions,
}

/// Checks the settings shared by every ranking (file or in memory): `k`, `sample`, the
/// heuristic names, `learned` and its model file, the parameters.
///
/// # Errors
/// A bad-input error naming the setting.
pub fn check_rank_settings(
    heuristics: &str,
    k: usize,
    sample: Option<usize>,
    model: Option<&Path>,
    params: &HeuristicParams,
    strict: bool,
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
    let half_life_ms = params.half_life_ms()?;
    Ok(RankSettings {
        config,
        load: LoadOptions {
            half_life_ms,
            strict,
            window: tierank_io::WindowSpec::default(),
        },
    })
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

    /// Checks every setting and the output path, reads the targets, loads the dataset (or
    /// its snapshot), checks the model's settings and builds the heuristics: everything of
    /// [`Self::run`] before ranking.
    ///
    /// # Errors
    /// As [`Self::run`].
    pub fn prepare(&self, progress: &dyn Progress) -> Result<PreparedRank, ApiError> {
        let mut settings = check_rank_settings(
            &self.heuristics,
            self.k,
            self.sample,
            self.model.as_deref(),
            &self.params,
            self.strict,
        )?;
        let mut inputs = vec![self.data.as_path()];
        inputs.extend(self.targets.as_deref());
        inputs.extend(self.model.as_deref());
        tierank_format::output::check_output_path(&self.out, &inputs)
            .map_err(|e| bad_input(format!("--out: {e}")))?;
        settings.load.window = self.params.window.spec()?;
        crate::check_output_file("--out", &self.out, self.force)?;
        // Read the target list before the (much larger) dataset so a bad file fails fast.
        let target_ids = match &self.targets {
            Some(path) => Some(
                tierank_io::read_person_ids(path, tierank_io::IdList::Targets).map_err(io_error)?,
            ),
            None => None,
        };

        let started = Instant::now();
        crate::memory::check_load(&self.memory, &self.data)?;
        check_cancelled(progress)?;
        let opened = crate::load_graph(&self.data, &settings.load, !self.no_snapshot)?;
        let (graph, report) = (opened.graph, opened.report);
        log::info!(
            "loaded {} people, {} friendships, events: {}, weights: {} in {:.1}s",
            report.num_nodes,
            report.num_edges,
            report.has_events,
            report.has_weights,
            started.elapsed().as_secs_f64()
        );
        if let Some(model) = &self.model {
            let now = ScoreSettings::of_run(
                &settings.config,
                &settings.load,
                &opened.dataset_dir,
                &report,
            )?;
            check_settings("--model", model, &now, &|m| progress.warn(m))?;
        }
        let heuristics = build_with_model(
            &self.heuristics,
            &settings.config,
            &graph,
            self.model.as_deref(),
        )?;
        let targets = choose_targets(&graph, target_ids.as_deref(), self.sample, self.params.seed)?;
        check_cancelled(progress)?;
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
        let mut writer = RankingsWriter::create(&self.out, &names).map_err(io_error)?;
        // The event window, so that the rankings can be reproduced (`--window-start/-end`).
        writer.set_metadata("tierank.event_window", &window_record(report).to_string());
        let ranking_started = Instant::now();
        let summary = rank_chunks(graph, targets, heuristics, self.k, progress, |rows| {
            writer.write(rows).map_err(io_error)
        })?;
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
        &RankOptions::default(),
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
        ApiError::other(err)
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

//! The realism report of a tierank dataset: does a (synthetic) network look like the real
//! social networks measured in the literature?
//!
//! [`compute`] loads a dataset with `tierank-io` and measures, each against a published
//! figure ([`RealismTargets`]):
//! - sizes, and the friend-count distribution (Ugander et al. 2011);
//! - local clustering, overall and by degree bucket, and degree assortativity;
//! - per-ego Dunbar layer sizes, when `truth_closeness.parquet` exists (Dunbar et al. 2015);
//! - reciprocity and lopsidedness of interactions (Kovanen et al. 2010), and the channel mix;
//! - neighbourhood overlap by tie-weight decile (Onnela et al. 2007);
//! - burstiness of inter-event times (Goh & Barabási 2008), streamed from the raw events.
//!
//! `docs/realism.md` gives every formula, target, tolerance and source.
//!
//! # Crate layout
//! - [`degree`]: degree summary and assortativity (exact, `O(m)`).
//! - [`structure`]: clustering and overlap from one target-centric marking pass over a
//!   deterministic sample of egos (exact when the graph has at most
//!   [`StatsOptions::sample_nodes`] people).
//! - [`activity`]: reciprocity and channel mix from the interaction counts.
//! - [`layers`]: Dunbar layer sizes from the ground truth.
//! - [`burstiness`]: inter-event burstiness of a hash sample of directed ties.
//! - [`bridging`]: how often dispersion finds the partner (Backstrom & Kleinberg 2014),
//!   and percolation by tie weight (Onnela et al. 2007).
//! - [`dynamics`]: conversations, person-level burstiness, daily variation, personal
//!   rhythms, call signatures and tie turnover.
//! - [`events`]: the one pass over the raw events that feeds [`burstiness`] and [`dynamics`].
//! - [`report`]: [`Report`], its table ([`std::fmt::Display`]), [`RealismTargets`] and
//!   [`Report::check_realism`].
//!
//! Every sample is chosen by a seeded hash of ids and every sum is taken in a fixed order,
//! so a report is identical at any thread count.

pub mod activity;
pub mod bridging;
pub mod burstiness;
pub mod degree;
pub mod dynamics;
pub mod events;
pub mod layers;
pub mod report;
mod sample;
pub mod structure;

use std::path::{Path, PathBuf};

use tierank_format::layout::DatasetPaths;
use tierank_graph::Graph;
use tierank_io::{IoError, LoadOptions};

pub use report::{
    Counts, EventWindow, RealismCheck, RealismTargets, Report, ReportJson, Tolerance,
};

/// Default number of egos measured for clustering and overlap.
pub const DEFAULT_SAMPLE_NODES: usize = 20_000;
/// Default seed of every sample.
pub const DEFAULT_SEED: u64 = 0;
/// Default burstiness sample: one directed tie in 64.
pub const DEFAULT_BURST_MODULUS: u64 = 64;
/// Default minimum events for a tie's burstiness (four gaps).
pub const DEFAULT_BURST_MIN_EVENTS: usize = 5;
/// Default dynamics sample: one pair and one person in 8.
pub const DEFAULT_DYNAMICS_MODULUS: u64 = 8;
/// Default cap on timestamps kept per sampled tie.
pub const DEFAULT_MAX_TIMESTAMPS_PER_TIE: usize = 10_000;

/// Options of [`compute`].
#[derive(Debug, Clone, PartialEq)]
pub struct StatsOptions {
    /// Egos measured for clustering and overlap; graphs with at most this many people are
    /// measured exactly.
    pub sample_nodes: usize,
    /// Seed of the ego sample, the overlap tie-break and the burstiness tie sample.
    pub seed: u64,
    /// Burstiness samples directed ties with `hash(src, dst) % burst_modulus == 0`.
    pub burst_modulus: u64,
    /// Minimum events for a tie's burstiness to be measured.
    pub burst_min_events: usize,
    /// Most timestamps kept per sampled tie (ties with more are left out and counted).
    pub max_timestamps_per_tie: usize,
    /// Dynamics keep pairs and people with `hash % dynamics_modulus == 0`.
    pub dynamics_modulus: u64,
    /// How the dataset is loaded.
    pub load: LoadOptions,
}

impl Default for StatsOptions {
    fn default() -> Self {
        Self {
            sample_nodes: DEFAULT_SAMPLE_NODES,
            seed: DEFAULT_SEED,
            burst_modulus: DEFAULT_BURST_MODULUS,
            burst_min_events: DEFAULT_BURST_MIN_EVENTS,
            max_timestamps_per_tie: DEFAULT_MAX_TIMESTAMPS_PER_TIE,
            dynamics_modulus: DEFAULT_DYNAMICS_MODULUS,
            load: LoadOptions::default(),
        }
    }
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// Loading the dataset failed (missing or malformed files).
    #[error(transparent)]
    Load(#[from] IoError),
    /// An operating-system I/O error on `path`.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The Parquet or Arrow library failed on `path`.
    #[error("{}: cannot read Parquet: {message}", path.display())]
    Parquet {
        /// The file involved.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// A column the report needs is missing or has an unusable type.
    #[error("{}: column '{column}': {message}", path.display())]
    Column {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl StatsError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn parquet(path: &Path, err: impl std::fmt::Display) -> Self {
        Self::Parquet {
            path: path.to_owned(),
            message: err.to_string(),
        }
    }

    /// Whether the error is the user's input (a missing or broken dataset) rather than a
    /// failure of the machine: the CLI exits with 2 for these.
    pub fn is_bad_input(&self) -> bool {
        match self {
            StatsError::Load(e) => e.is_bad_input(),
            StatsError::Io { .. } => false,
            StatsError::Parquet { .. } | StatsError::Column { .. } => true,
        }
    }
}

/// The graph-only sections of the report: counts (people, ties), degree, clustering,
/// assortativity, and, when the graph has interactions or user weights, reciprocity,
/// channel mix and overlap. Layers, burstiness, event and group counts are left `None`:
/// they need files beyond the graph, which [`compute`] reads.
pub fn report_from_graph(graph: &Graph, opts: &StatsOptions) -> Report {
    let t = std::time::Instant::now();
    let csr = graph.csr();
    let degree = degree::degree_stats(csr);
    let assortativity = degree::degree_assortativity(csr);
    log::info!("degree and assortativity in {:.2?}", t.elapsed());
    let t = std::time::Instant::now();
    let (clustering, overlap) =
        structure::clustering_and_overlap(graph, opts.sample_nodes, opts.seed);
    log::info!(
        "clustering and overlap over {} egos in {:.2?}",
        clustering.nodes_measured,
        t.elapsed()
    );
    let n = graph.num_nodes();
    let (reciprocity, channels) = match graph.interactions() {
        Some(inter) => (
            activity::reciprocity(inter, n),
            activity::channel_mix(inter, n),
        ),
        None => (None, None),
    };
    let t = std::time::Instant::now();
    let percolation = bridging::percolation(graph, opts.seed);
    log::info!("percolation in {:.2?}", t.elapsed());
    Report {
        counts: Counts {
            people: n as u64,
            ties: graph.num_edges() as u64,
            events: None,
            groups: None,
            events_between_non_friends: None,
            group_replies_between_non_friends: None,
        },
        degree,
        clustering,
        assortativity,
        layers: None,
        reciprocity,
        channels,
        overlap,
        percolation,
        partners: None,
        burstiness: None,
        event_window: None,
        dynamics: None,
    }
}

/// Loads the dataset in `dir` and computes its full realism report.
///
/// # Errors
/// [`StatsError::Load`] when the dataset is missing or malformed (the loader's message);
/// [`StatsError::Parquet`] or [`StatsError::Column`] when the event files cannot be
/// streamed for burstiness or `groups.parquet` cannot be read.
pub fn compute(dir: &Path, opts: &StatsOptions) -> Result<Report, StatsError> {
    let (graph, load) = tierank_io::load_graph(dir, &opts.load)?;
    compute_loaded(dir, &graph, &load, opts)
}

/// The full realism report of the dataset in `dir` whose graph is already loaded (from its
/// Parquet files or its snapshot, `tierank_io::open_graph`) with `opts.load`: the sections
/// beyond the graph read the dataset's other files (groups, truth, events).
///
/// # Errors
/// As [`compute`], without the loader's.
pub fn compute_loaded(
    dir: &Path,
    graph: &Graph,
    load: &tierank_io::LoadReport,
    opts: &StatsOptions,
) -> Result<Report, StatsError> {
    let mut report = report_from_graph(graph, opts);
    let paths = DatasetPaths::new(dir);
    if load.has_events {
        report.counts.events = Some(load.event_rows);
        report.counts.events_between_non_friends = Some(load.events_between_non_friends);
        report.counts.group_replies_between_non_friends =
            Some(load.group_replies_between_non_friends);
    }
    tierank_io::verify_dataset_file(dir, &paths.groups())?;
    report.event_window = load.window.map(|w| report::EventWindow {
        start_ms: w.start_ms,
        end_ms: w.end_ms.saturating_add(1),
        start: tierank_io::window::format_instant(w.start_ms),
        end: tierank_io::window::format_instant(w.end_ms.saturating_add(1)),
        source: load.window_source.map_or("", |s| s.as_str()).to_owned(),
        events_outside: load.events_outside_window,
    });
    report.counts.groups = count_rows(&paths.groups())?;
    if let Some(truth) = tierank_io::read_truth(dir)? {
        report.layers = layers::layer_stats(&truth.target, &truth.layer);
        let t = std::time::Instant::now();
        let rows: Vec<_> = truth
            .target
            .iter()
            .zip(&truth.alter)
            .zip(&truth.relation)
            .filter(|&(_, &rel)| rel == tierank_format::Relation::Partner)
            .filter_map(|((&ego, &alter), &rel)| {
                Some((graph.dense(ego)?, graph.dense(alter)?, rel))
            })
            .collect();
        report.partners = bridging::partner_ranks(graph, &rows, opts.seed);
        log::info!("partner ranks in {:.2?}", t.elapsed());
    }
    if graph.interactions().is_some() {
        let t = std::time::Instant::now();
        let parts = paths.event_parts().map_err(IoError::from)?;
        let burst_opts = burstiness::BurstinessOptions {
            sample_modulus: opts.burst_modulus,
            seed: opts.seed,
            min_events: opts.burst_min_events,
            max_timestamps_per_tie: opts.max_timestamps_per_tie,
            window: load.window.map(|w| (w.start_ms, w.end_ms)),
        };
        let dynamics_opts = dynamics::DynamicsOptions {
            sample_modulus: opts.dynamics_modulus,
            seed: opts.seed,
            window: load.window.map(|w| (w.start_ms, w.end_ms)),
        };
        let (burst, dynamics) = events::measure_events(&parts, &burst_opts, &dynamics_opts)?;
        report.burstiness = Some(burst);
        report.dynamics = Some(dynamics);
        log::info!(
            "burstiness and dynamics (one pass over the events) in {:.2?}",
            t.elapsed()
        );
    }
    Ok(report)
}

/// Rows of an optional Parquet file, from its footer; `None` when the file is absent.
fn count_rows(path: &Path) -> Result<Option<u64>, StatsError> {
    if !path.is_file() {
        return Ok(None);
    }
    let file = std::fs::File::open(path).map_err(|e| StatsError::io(path, e))?;
    let reader = parquet::file::reader::SerializedFileReader::new(file)
        .map_err(|e| StatsError::parquet(path, e))?;
    let rows = parquet::file::reader::FileReader::metadata(&reader)
        .file_metadata()
        .num_rows();
    Ok(Some(u64::try_from(rows).unwrap_or(0)))
}

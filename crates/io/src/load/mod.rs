//! Loading a dataset directory into an immutable [`Graph`].
//!
//! Every file read is checked against the dataset's `manifest.json` when it lists it (see
//! [`load_graph`]). Phases, each timed and logged at `info`:
//! 1. **ties**: `ties.parquet` (and `persons.parquet` when present), row groups decoded in
//!    parallel; person ids mapped to dense ids in ascending person-id order.
//! 2. **csr**: the symmetric friendship structure; self-loops and repeated friendships are
//!    dropped and counted (refused with [`LoadOptions::strict`]).
//! 3. **window**: events per UTC day, from the `ts` column only, and from them the event
//!    window (given, the manifest's, or estimated robustly: see [`crate::window`]).
//! 4. **events**: every row group of `events/*.parquet` decoded in parallel and folded into
//!    per-(directed tie, channel) accumulators sharded by sender (see [`events`]).
//! 5. **finalise**: the accumulators into the sparse [`Interactions`] arrays.

mod events;
pub(crate) use events::list_parts;
pub mod share;
mod spill;
mod ties;

use std::path::{Path, PathBuf};
use std::time::Instant;

use tierank_format::layout::DatasetPaths;
use tierank_graph::{Graph, IdMap, Interactions, NodeId, TimeWindow};

use crate::IoError;
use crate::checksums::Checksums;
use crate::window::{OutsideWindow, WindowSource, WindowSpec};

/// Default half-life of the recency-decayed sums: one week, the scale on which contact
/// rhythms repeat (Roth et al. 2010 use decays of days to weeks).
pub const DEFAULT_HALF_LIFE_MS: i64 = 7 * 86_400_000;

/// How to load a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Half-life of [`tierank_graph::ChannelStats::decayed`], in milliseconds.
    pub half_life_ms: i64,
    /// Refuse self-loops, duplicate ties, and events between people who are not friends,
    /// instead of dropping and counting them.
    pub strict: bool,
    /// The event window; sides left `None` are taken from the data (see [`crate::window`]).
    pub window: WindowSpec,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            half_life_ms: DEFAULT_HALF_LIFE_MS,
            strict: false,
            window: WindowSpec::default(),
        }
    }
}

/// Wall-clock seconds spent in each load phase.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PhaseSeconds {
    /// Reading ties (and persons) and mapping ids.
    pub ties: f64,
    /// Building the friendship CSR and slot weights.
    pub csr: f64,
    /// Finding the event window.
    pub window: f64,
    /// Decoding and aggregating events.
    pub events: f64,
    /// Building the interaction arrays and the graph.
    pub finalise: f64,
    /// The whole load.
    pub total: f64,
}

/// What [`load_graph`] read, dropped and built.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadReport {
    /// Every file read, in reading order.
    pub files_read: Vec<PathBuf>,
    /// Rows of `ties.parquet`.
    pub tie_rows: u64,
    /// Ties from a person to themselves, dropped.
    pub self_loops: u64,
    /// Repeated friendships (in either orientation), dropped; the first row's weight is kept.
    pub duplicate_ties: u64,
    /// Rows of `persons.parquet` (0 when absent).
    pub person_rows: u64,
    /// People without any friendship (listed only in `persons.parquet`).
    pub isolated_people: u64,
    /// Number of `events/*.parquet` parts.
    pub event_files: usize,
    /// Rows of all event parts.
    pub event_rows: u64,
    /// Events folded into the interaction features.
    pub events_aggregated: u64,
    /// Events between two known people who are not friends, ignored.
    pub events_between_non_friends: u64,
    /// Of [`LoadReport::events_between_non_friends`], the `group_message` replies (a group
    /// chat joins people who are not friends; see `docs/data-model.md`).
    pub group_replies_between_non_friends: u64,
    /// Events from a person to themselves, ignored.
    pub events_self: u64,
    /// Events naming a person who appears in no tie and not in `persons.parquet`, ignored.
    pub events_unknown_person: u64,
    /// Whether interaction features were loaded (at least one event row).
    pub has_events: bool,
    /// Whether `ties.parquet` had a `weight` column.
    pub has_weights: bool,
    /// The event window, when there were events.
    pub window: Option<TimeWindow>,
    /// Where the window came from, when there were events.
    pub window_source: Option<WindowSource>,
    /// Events left out because they lie outside the window (0 when none).
    pub events_outside_window: u64,
    /// The details of those events, when there were any.
    pub outside_window: Option<OutsideWindow>,
    /// People in the graph.
    pub num_nodes: usize,
    /// Undirected friendships in the graph.
    pub num_edges: usize,
    /// Directed ties with at least one aggregated event.
    pub active_directed_ties: usize,
    /// (Directed tie, channel) records.
    pub channel_records: usize,
    /// Heap bytes held by the graph.
    pub graph_heap_bytes: usize,
    /// `graph_heap_bytes` per directed tie (two per friendship); 0 for a graph without ties.
    pub bytes_per_directed_tie: f64,
    /// Time per phase.
    pub seconds: PhaseSeconds,
    /// How the event aggregation ran (all zero for a graph opened from a snapshot).
    pub aggregation: AggregationWork,
}

/// How the event aggregation ran: a property of the run (budget, machine), not of the data,
/// so a snapshot does not record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AggregationWork {
    /// Sender ranges folded one after another: 1 when the decoded events fit
    /// [`crate::memory::DECODED_EVENTS_BUDGET`].
    pub sender_ranges: usize,
    /// Event rows decoded from Parquet over all ranges: every row once, however many ranges.
    pub event_rows_decoded: u64,
    /// Bytes of decoded events written to temporary spill files and read back (0 with one
    /// range).
    pub spilled_bytes: u64,
}

/// Loads the dataset in `dir` into an immutable [`Graph`].
///
/// The nodes are every person in `ties.parquet` plus, when present, everyone in
/// `persons.parquet` (so that people without friends can be targets). Weights come from a
/// `weight` column of `ties.parquet`; interaction features from `events/*.parquet`. A
/// dataset with neither loads as topology only.
///
/// The result is identical at any rayon thread count and however the events are split into
/// part files and row groups: sums are accumulated in exact fixed point (see [`events`]).
///
/// When the dataset has a `manifest.json`, every file read that it lists is hashed (SHA-256,
/// in parallel with decoding) and must match, and every `ties`, `persons` and events file it
/// lists must exist: a changed byte inside a Parquet data page would otherwise decode into
/// a different friendship or timestamp without any error. Unlisted files, and every file of
/// a dataset without a manifest, are read unchecked (logged).
///
/// # Errors
/// [`IoError::Checksum`] for a file that differs from its manifest entry (reported before
/// any decoding error), [`IoError::ListedMissing`] for a listed file that is gone,
/// [`IoError::Manifest`] for an unreadable `manifest.json`;
/// [`IoError::Missing`] when `dir` or `ties.parquet` is absent; [`IoError::MissingColumn`],
/// [`IoError::WrongType`], [`IoError::BadValue`] for malformed files; [`IoError::Strict`]
/// for dropped input when `opts.strict`; [`IoError::Graph`] for more than `u32::MAX` people.
pub fn load_graph(dir: &Path, opts: &LoadOptions) -> Result<(Graph, LoadReport), IoError> {
    let total = Instant::now();
    if opts.half_life_ms <= 0 {
        return Err(IoError::InvalidOptions {
            reason: format!("half-life must be positive, got {} ms", opts.half_life_ms),
        });
    }
    require_dataset_dir(dir)?;
    let paths = DatasetPaths::new(dir);
    let checksums = open_checksums(dir)?;
    let ties_path = paths.ties();
    require_ties(&ties_path)?;
    let parts = events::list_parts(&paths.events_dir())?;
    let files = input_files(&paths, &parts);
    // Hashing runs beside decoding, on the same thread pool, so that it costs CPU time but
    // little wall time; a file is never read into memory whole for it.
    let (checked, loaded) = rayon::join(
        || checksums.check(&files),
        || load_files(opts, &paths, &parts),
    );
    // A changed file explains any decoding error it causes: report the checksum first.
    checked?;
    let (graph, mut report) = loaded?;
    report.seconds.total = total.elapsed().as_secs_f64();
    log::info!(
        "loaded {}: {} people, {} friendships, {} active directed ties, {} channel records; \
         {} heap bytes ({:.1} per directed tie) in {:.3} s",
        dir.display(),
        report.num_nodes,
        report.num_edges,
        report.active_directed_ties,
        report.channel_records,
        report.graph_heap_bytes,
        report.bytes_per_directed_tie,
        report.seconds.total
    );
    Ok((graph, report))
}

/// The dataset's checksums (when it has a manifest), refusing a dataset whose manifest lists
/// a file the load would read that is not on disk.
fn open_checksums(dir: &Path) -> Result<Checksums, IoError> {
    let checksums = Checksums::open(dir)?;
    checksums.require_present(is_graph_input)?;
    Ok(checksums)
}

/// Every file a load reads, in the order their checksums are reported: `ties.parquet`,
/// `persons.parquet` when present, the event parts.
fn input_files(paths: &DatasetPaths, parts: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = vec![paths.ties()];
    if paths.persons().is_file() {
        files.push(paths.persons());
    }
    files.extend(parts.iter().cloned());
    files
}

/// A missing dataset directory, as every load reports it.
fn require_dataset_dir(dir: &Path) -> Result<(), IoError> {
    if dir.is_dir() {
        return Ok(());
    }
    Err(IoError::Missing {
        path: dir.to_owned(),
        what: "dataset directory not found (it must hold ties.parquet, and events/*.parquet \
               or a weight column in ties.parquet)"
            .into(),
    })
}

/// A missing `ties.parquet`, as every load reports it.
fn require_ties(ties_path: &Path) -> Result<(), IoError> {
    if ties_path.is_file() {
        return Ok(());
    }
    Err(IoError::Missing {
        path: ties_path.to_owned(),
        what: "required file not found: ties.parquet with Int64 columns src, dst \
               (and optionally a numeric weight column)"
            .into(),
    })
}

/// Whether the manifest path `key` names a file [`load_graph`] reads when present.
fn is_graph_input(key: &str) -> bool {
    key == tierank_format::layout::TIES
        || key == tierank_format::layout::PERSONS
        || key
            .strip_prefix(tierank_format::layout::EVENTS_DIR)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|name| {
                !name.contains('/')
                    && !name.starts_with('.')
                    && name.to_ascii_lowercase().ends_with(".parquet")
            })
}

/// The load itself, once the files to read are known.
fn load_files(
    opts: &LoadOptions,
    paths: &DatasetPaths,
    parts: &[PathBuf],
) -> Result<(Graph, LoadReport), IoError> {
    let ties_path = paths.ties();
    let mut report = LoadReport::default();

    // Phase 1: ties and persons.
    let t = Instant::now();
    let tie_rows = ties::read_ties(&ties_path)?;
    report.files_read.push(ties_path.clone());
    report.tie_rows = tie_rows.src.len() as u64;
    report.has_weights = tie_rows.weight.is_some();
    let persons_path = paths.persons();
    let persons = if persons_path.is_file() {
        let ids = ties::read_persons(&persons_path)?;
        report.files_read.push(persons_path);
        report.person_rows = ids.len() as u64;
        ids
    } else {
        Vec::new()
    };
    let ids = IdMap::from_unsorted_parts(&[&tie_rows.src, &tie_rows.dst, &persons])?;
    drop(persons);
    let edges = ties::dense_edges(&ids, &tie_rows);
    // The person ids are no longer needed: free them before the CSR is built.
    let ties::TieRows { weight, .. } = tie_rows;
    report.seconds.ties = t.elapsed().as_secs_f64();
    log::info!(
        "read {} tie rows and {} person rows ({} people) in {:.3} s",
        report.tie_rows,
        report.person_rows,
        ids.len(),
        report.seconds.ties
    );

    // Phase 2: CSR and weights.
    let t = Instant::now();
    if opts.strict {
        ties::refuse_dropped_ties(&ties_path, &edges)?;
    }
    // Each slot is placed with the row that made it, so weights need no search.
    let (csr, stats, weights) = ties::friendship_csr(ids.len(), &edges, weight.as_deref())?;
    report.self_loops = stats.self_loops;
    report.duplicate_ties = stats.duplicates;
    drop(edges);
    drop(weight);
    report.isolated_people = (0..csr.num_nodes())
        .filter(|&u| csr.degree(NodeId(u as u32)) == 0)
        .count() as u64;
    report.seconds.csr = t.elapsed().as_secs_f64();
    if report.self_loops + report.duplicate_ties > 0 {
        log::warn!(
            "dropped {} self-loop(s) and {} duplicate tie(s) from {}",
            report.self_loops,
            report.duplicate_ties,
            ties_path.display()
        );
    }
    log::info!(
        "built CSR: {} people, {} friendships in {:.3} s",
        csr.num_nodes(),
        csr.num_edges(),
        report.seconds.csr
    );

    // Phases 3-5: events.
    report.event_files = parts.len();
    let interactions = if parts.is_empty() {
        if weights.is_none() {
            log::warn!(
                "{} has no event parts and ties.parquet has no weight column: loading the \
                 friendship topology only",
                paths.events_dir().display()
            );
        }
        None
    } else {
        let outcome = events::aggregate(paths.root(), parts, &ids, &csr, opts)?;
        report.files_read.extend(parts.iter().cloned());
        report.event_rows = outcome.counts.rows;
        report.events_aggregated = outcome.counts.aggregated;
        report.events_between_non_friends = outcome.counts.non_friends;
        report.group_replies_between_non_friends = outcome.counts.group_non_friends;
        report.events_self = outcome.counts.self_events;
        report.events_unknown_person = outcome.counts.unknown_person;
        report.events_outside_window = outcome.counts.outside;
        report.window_source = outcome.source;
        report.outside_window = outcome.outside;
        report.seconds.window = outcome.window_seconds;
        report.seconds.events = outcome.events_seconds;
        report.seconds.finalise = outcome.finalise_seconds;
        report.aggregation = outcome.work;
        outcome.parts
    };
    let t = Instant::now();
    let interactions = match interactions {
        Some(parts) => {
            report.window = Some(parts.window);
            Some(Interactions::try_from_parts(ids.len(), parts)?)
        }
        None => None,
    };
    report.has_events = interactions.is_some();
    let graph = Graph::try_new(ids, csr, weights, interactions)?;
    report.seconds.finalise += t.elapsed().as_secs_f64();

    crate::snapshot::fill_graph_figures(&mut report, &graph);
    Ok((graph, report))
}

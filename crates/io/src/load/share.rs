//! The partitioned load's reading and building, for a run split across workers (crate
//! `tierank-dist`): each worker reads only its share of the dataset's rows
//! ([`read_share`]), the records travel to the workers that own their people, and each
//! worker builds small [`Graph`]s from the records it holds ([`build_graph`]) with the same
//! CSR construction and the same per-tie event fold as [`super::load_graph`], so a graph
//! built from every record incident to a set of people has, for every tie touching them,
//! the weight and interaction features of the single-process load bit for bit.
//!
//! # Shares
//! Every file (`ties.parquet`, `persons.parquet`, each `events/*.parquet`) is cut into
//! units: its row groups when it has at least as many as there are workers, else each row
//! group cut into `ceil(workers / row groups)` equal row ranges. Unit `u` of a file is read
//! by worker `u mod workers`. Each unit's rows are checked exactly as the single-process
//! loader checks them (null, negative or wrong ids, bad weights, unknown channels, `NaT`
//! times, bad values); an error names the file, column and file row.
//!
//! The SHA-256 of each file is checked against `manifest.json` by one worker per file
//! ([`check_share_checksums`]).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tierank_format::layout::DatasetPaths;
use tierank_format::schema::col;
use tierank_graph::interactions::InteractionParts;
use tierank_graph::{ChannelStats, Graph, IdMap, Interactions, NodeId, TimeWindow};

use super::LoadOptions;
use super::events;
use super::ties::{self, refuse_negative};
use crate::IoError;
use crate::columns::{
    ColumnAt, ParquetSource, check_float, check_int, check_measure, copy_measures_into,
    dict_strings, f64_values, i64_values, timestamps_ms,
};
use crate::window::{DAY_MS, DayHistogram, DayStat, WindowSource};

/// One row of `ties.parquet`: its file row, the two people, and the weight (0 when the file
/// has no `weight` column).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TieRecord {
    /// Row in `ties.parquet` (the first row of a repeated friendship gives its weight).
    pub row: u64,
    /// First person.
    pub src: i64,
    /// Second person.
    pub dst: i64,
    /// Weight; 0 without a weight column.
    pub weight: f64,
}

/// One row of an events part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Index of the part in the sorted list of parts.
    pub part: u32,
    /// Row in the part.
    pub row: u64,
    /// Sender.
    pub src: i64,
    /// Receiver.
    pub dst: i64,
    /// Time, milliseconds since the Unix epoch (UTC).
    pub ts_ms: i64,
    /// Value; 0 where null or absent.
    pub value: f64,
    /// Channel index ([`tierank_format::Channel::index`]).
    pub channel: u8,
}

/// Events of one UTC day: `(day number, count, earliest ms, latest ms)`, the window's input.
pub type DayCount = (i64, u64, i64, i64);

/// What every process learns from the footers alone (the same on every process).
#[derive(Debug, Clone)]
pub struct DatasetShape {
    /// The dataset directory.
    pub dir: PathBuf,
    /// Whether `ties.parquet` has a `weight` column.
    pub has_weights: bool,
    /// Whether `persons.parquet` exists.
    pub has_persons: bool,
    /// The event parts, sorted by name.
    pub parts: Vec<PathBuf>,
    /// Whether the parts hold any row (the graph then has interaction features).
    pub has_events: bool,
    /// Rows of `ties.parquet`.
    pub tie_rows: u64,
    /// Rows of `persons.parquet` (0 when absent).
    pub person_rows: u64,
    /// Rows of all event parts.
    pub event_rows: u64,
}

/// Opens every input file's footer and checks its columns, with the errors of
/// [`super::load_graph`].
///
/// # Errors
/// [`IoError::Missing`] for a missing directory or `ties.parquet`; column errors.
pub fn dataset_shape(dir: &Path) -> Result<DatasetShape, IoError> {
    super::require_dataset_dir(dir)?;
    // A bad manifest, or a listed input gone, is found here on every process, as the
    // single-process load finds it before reading anything.
    super::open_checksums(dir)?;
    let paths = DatasetPaths::new(dir);
    let ties_path = paths.ties();
    super::require_ties(&ties_path)?;
    let ties = ParquetSource::open(&ties_path)?;
    let at = |path, column| ColumnAt {
        path,
        column,
        row0: 0,
    };
    check_int(at(&ties_path, col::SRC), ties.require(col::SRC)?)?;
    check_int(at(&ties_path, col::DST), ties.require(col::DST)?)?;
    let has_weights = match ties.optional(col::WEIGHT) {
        Some(ty) => {
            check_float(at(&ties_path, col::WEIGHT), ty)?;
            true
        }
        None => false,
    };
    let persons_path = paths.persons();
    let has_persons = persons_path.is_file();
    let person_rows = if has_persons {
        let persons = ParquetSource::open(&persons_path)?;
        check_int(
            at(&persons_path, col::PERSON_ID),
            persons.require(col::PERSON_ID)?,
        )?;
        persons.num_rows()
    } else {
        0
    };
    let parts = events::list_parts(&paths.events_dir())?;
    let sources = events::open_parts(&parts)?;
    let event_rows: u64 = sources.iter().map(|(s, _)| s.num_rows()).sum();
    Ok(DatasetShape {
        dir: dir.to_owned(),
        has_weights,
        has_persons,
        parts,
        has_events: event_rows > 0,
        tie_rows: ties.num_rows(),
        person_rows,
        event_rows,
    })
}

/// Every file a load of this dataset reads (`ties.parquet`, `persons.parquet` when present,
/// the event parts), in the order the single-process load reports their checksums.
pub fn input_files(shape: &DatasetShape) -> Vec<PathBuf> {
    super::input_files(&DatasetPaths::new(&shape.dir), &shape.parts)
}

/// Checks worker `worker`'s part of the dataset's files against `manifest.json`, as the
/// single-process load checks every file ([`super::load_graph`]): file `i` of
/// [`input_files`] is hashed by worker `i mod workers`, so each file is read whole once
/// across the cluster. Nothing is checked without a manifest.
///
/// # Errors
/// [`IoError::Checksum`] for the first of its files whose digest differs;
/// [`IoError::ListedMissing`], [`IoError::Manifest`], [`IoError::Io`].
pub fn check_share_checksums(
    shape: &DatasetShape,
    workers: usize,
    worker: usize,
) -> Result<(), IoError> {
    let checksums = super::open_checksums(&shape.dir)?;
    let mine: Vec<PathBuf> = input_files(shape)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % workers.max(1) == worker)
        .map(|(_, f)| f)
        .collect();
    checksums.check(&mine)
}

/// One unit of a file: `len` rows from file row `row0`, in row group `rg` after skipping
/// `skip` of its rows.
#[derive(Debug, Clone, Copy)]
struct Unit {
    rg: usize,
    skip: u64,
    row0: u64,
    len: u64,
}

/// The units of `source` that worker `worker` of `workers` reads (see the module docs).
fn my_units(source: &ParquetSource, workers: usize, worker: usize) -> Vec<Unit> {
    let starts = source.row_group_starts();
    let groups = source.num_row_groups();
    let cuts = if groups == 0 {
        1
    } else {
        workers.div_ceil(groups).max(1) as u64
    };
    let mut units = Vec::new();
    for rg in 0..groups {
        let rows = starts[rg + 1] - starts[rg];
        for c in 0..cuts {
            let from = rows * c / cuts;
            let to = rows * (c + 1) / cuts;
            units.push(Unit {
                rg,
                skip: from,
                row0: starts[rg] + from,
                len: to - from,
            });
        }
    }
    units
        .into_iter()
        .enumerate()
        .filter(|(u, unit)| u % workers == worker && unit.len > 0)
        .map(|(_, unit)| unit)
        .collect()
}

fn reader(
    source: &ParquetSource,
    columns: &[&str],
    unit: Unit,
) -> Result<crate::columns::GuardedReader, IoError> {
    let whole = unit.skip == 0 && unit.row0 + unit.len == source.row_group_starts()[unit.rg + 1];
    let slice = (!whole).then(|| {
        (
            usize::try_from(unit.skip).unwrap_or(usize::MAX),
            usize::try_from(unit.len).unwrap_or(usize::MAX),
        )
    });
    source.reader_slice(columns, Some(vec![unit.rg]), slice)
}

/// The rows one worker read, checked.
#[derive(Debug, Default)]
pub struct Share {
    /// Its tie rows, in file order.
    pub ties: Vec<TieRecord>,
    /// Its `persons.parquet` rows: (row, person id).
    pub persons: Vec<(u64, i64)>,
    /// Its event rows (read again, one at a time, by [`for_each_share_event`]).
    pub event_rows: u64,
    /// Its events per UTC day.
    pub days: Vec<DayCount>,
}

/// Reads and checks the share of worker `worker` of `workers` (see the module docs).
///
/// # Errors
/// The first bad value of the share (by file, then row), naming file, column and row.
pub fn read_share(shape: &DatasetShape, workers: usize, worker: usize) -> Result<Share, IoError> {
    let paths = DatasetPaths::new(&shape.dir);
    let mut share = Share::default();
    read_ties(&paths.ties(), workers, worker, &mut share)?;
    if shape.has_persons {
        read_persons(&paths.persons(), workers, worker, &mut share)?;
    }
    let mut days = DayHistogram::new();
    for path in &shape.parts {
        share.event_rows += read_event_days(path, workers, worker, &mut days)?;
    }
    share.days = days
        .into_iter()
        .map(|(d, s)| (d, s.count, s.min_ms, s.max_ms))
        .collect();
    Ok(share)
}

fn read_ties(path: &Path, workers: usize, worker: usize, share: &mut Share) -> Result<(), IoError> {
    let source = ParquetSource::open(path)?;
    let has_weight = source.optional(col::WEIGHT).is_some();
    let mut columns = vec![col::SRC, col::DST];
    if has_weight {
        columns.push(col::WEIGHT);
    }
    for unit in my_units(&source, workers, worker) {
        let mut row0 = unit.row0;
        for batch in reader(&source, &columns, unit)? {
            let batch = batch.map_err(|e| IoError::parquet(path, e))?;
            let at = |column| ColumnAt { path, column, row0 };
            let src = i64_values(at(col::SRC), at(col::SRC).of(&batch)?)?;
            refuse_negative(at(col::SRC), &src)?;
            let dst = i64_values(at(col::DST), at(col::DST).of(&batch)?)?;
            refuse_negative(at(col::DST), &dst)?;
            let mut weight = vec![0f64; if has_weight { src.len() } else { 0 }];
            if has_weight {
                copy_measures_into(at(col::WEIGHT), at(col::WEIGHT).of(&batch)?, &mut weight)?;
            }
            for i in 0..src.len() {
                share.ties.push(TieRecord {
                    row: row0 + i as u64,
                    src: src[i],
                    dst: dst[i],
                    weight: weight.get(i).copied().unwrap_or(0.0),
                });
            }
            row0 += batch.num_rows() as u64;
        }
    }
    Ok(())
}

fn read_persons(
    path: &Path,
    workers: usize,
    worker: usize,
    share: &mut Share,
) -> Result<(), IoError> {
    let source = ParquetSource::open(path)?;
    for unit in my_units(&source, workers, worker) {
        let mut row0 = unit.row0;
        for batch in reader(&source, &[col::PERSON_ID], unit)? {
            let batch = batch.map_err(|e| IoError::parquet(path, e))?;
            let at = ColumnAt {
                path,
                column: col::PERSON_ID,
                row0,
            };
            let ids = i64_values(at, at.of(&batch)?)?;
            refuse_negative(at, &ids)?;
            share
                .persons
                .extend(ids.iter().enumerate().map(|(i, &p)| (row0 + i as u64, p)));
            row0 += batch.num_rows() as u64;
        }
    }
    Ok(())
}

/// The `ts` column of a worker's share of one part into `days` (as the single-process
/// load's window phase reads it); returns the rows read.
fn read_event_days(
    path: &Path,
    workers: usize,
    worker: usize,
    days: &mut DayHistogram,
) -> Result<u64, IoError> {
    let source = ParquetSource::open(path)?;
    let mut rows = 0;
    for unit in my_units(&source, workers, worker) {
        let mut row0 = unit.row0;
        for batch in reader(&source, &[col::TS], unit)? {
            let batch = batch.map_err(|e| IoError::parquet(path, e))?;
            let at = ColumnAt {
                path,
                column: col::TS,
                row0,
            };
            let ts = timestamps_ms(at, at.of(&batch)?)?;
            if let Some(i) = ts.iter().position(|&t| t == i64::MIN) {
                return Err(at.bad(
                    i,
                    "is i64::MIN, the NaT (missing time) of pandas: every event needs a time",
                ));
            }
            for &t in ts.iter() {
                days.entry(t.div_euclid(DAY_MS))
                    .and_modify(|s| s.add(t))
                    .or_insert_with(|| DayStat::new(t));
            }
            row0 += batch.num_rows() as u64;
            rows += batch.num_rows() as u64;
        }
    }
    Ok(rows)
}

/// Reads every event row of the share of worker `worker` of `workers`, checked as the
/// single-process load checks them, and hands each to `f` (in part, then row order), so that
/// the share's events are never all in memory.
///
/// # Errors
/// The first bad value, naming file, column and row.
pub fn for_each_share_event(
    shape: &DatasetShape,
    workers: usize,
    worker: usize,
    mut f: impl FnMut(EventRecord),
) -> Result<(), IoError> {
    for (part, path) in shape.parts.iter().enumerate() {
        let part = u32::try_from(part).map_err(|_| IoError::parquet(path, "too many parts"))?;
        read_events(path, part, workers, worker, &mut f)?;
    }
    Ok(())
}

fn read_events(
    path: &Path,
    part: u32,
    workers: usize,
    worker: usize,
    f: &mut impl FnMut(EventRecord),
) -> Result<(), IoError> {
    let source = ParquetSource::open(path)?;
    let has_value = source.optional(col::VALUE).is_some();
    let mut columns = vec![col::SRC, col::DST, col::CHANNEL, col::TS];
    if has_value {
        columns.push(col::VALUE);
    }
    for unit in my_units(&source, workers, worker) {
        let mut row0 = unit.row0;
        for batch in reader(&source, &columns, unit)? {
            let batch = batch.map_err(|e| IoError::parquet(path, e))?;
            let at = |column| ColumnAt { path, column, row0 };
            let ts = timestamps_ms(at(col::TS), at(col::TS).of(&batch)?)?;
            let src = i64_values(at(col::SRC), at(col::SRC).of(&batch)?)?;
            let dst = i64_values(at(col::DST), at(col::DST).of(&batch)?)?;
            let ch_at = at(col::CHANNEL);
            let channels = dict_strings(ch_at, ch_at.of(&batch)?)?;
            let parsed = events::parse_channels(&channels.values);
            let values = if has_value {
                let v_at = at(col::VALUE);
                let values = f64_values(v_at, v_at.of(&batch)?)?;
                for (i, v) in values.iter().enumerate() {
                    if let Some(v) = *v {
                        check_measure(v_at, i, v)?;
                        if v > events::MAX_VALUE {
                            return Err(v_at.bad(i, format!("value {v} exceeds 2^53")));
                        }
                    }
                }
                Some(values)
            } else {
                None
            };
            for i in 0..batch.num_rows() {
                let channel = match &parsed[channels.keys[i] as usize] {
                    Ok(c) => *c,
                    Err(e) => return Err(ch_at.bad(i, e.to_string())),
                };
                f(EventRecord {
                    part,
                    row: row0 + i as u64,
                    src: src[i],
                    dst: dst[i],
                    ts_ms: ts[i],
                    value: values.as_ref().and_then(|v| v[i]).unwrap_or(0.0),
                    channel: channel.index() as u8,
                });
            }
            row0 += batch.num_rows() as u64;
        }
    }
    Ok(())
}

/// The event window of the whole dataset from every worker's day counts (the partitioned
/// load's all-reduce), chosen exactly as [`super::load_graph`] chooses it.
///
/// # Errors
/// [`IoError::InvalidOptions`] as the single-process load.
pub fn choose_window(
    days: &[DayCount],
    opts: &LoadOptions,
    dataset_dir: &Path,
) -> Result<(TimeWindow, WindowSource), IoError> {
    let mut hist = DayHistogram::new();
    for &(day, count, min_ms, max_ms) in days {
        hist.entry(day)
            .and_modify(|t| {
                t.count += count;
                t.min_ms = t.min_ms.min(min_ms);
                t.max_ms = t.max_ms.max(max_ms);
            })
            .or_insert(DayStat {
                count,
                min_ms,
                max_ms,
            });
    }
    events::choose_window(&hist, opts, dataset_dir)
}

impl DatasetShape {
    /// A graph of no one with this dataset's kinds of input (weights, interaction features):
    /// what a partitioned run checks each heuristic's needs against before any process
    /// loads its share.
    ///
    /// # Errors
    /// As [`build_graph`] (never, for no one).
    pub fn kinds_graph(&self, half_life_ms: i64) -> Result<Graph, IoError> {
        build_graph(
            &[],
            &[],
            &[],
            self.has_weights,
            self.has_events.then_some(TimeWindow {
                start_ms: 0,
                end_ms: 0,
            }),
            half_life_ms,
        )
    }
}

/// Builds a graph from records: every person of `persons` and of the ties, the ties in row
/// order (so a repeated friendship keeps its first row's weight, as in the single-process
/// load), and the events inside `window` between friends folded per directed tie.
///
/// `ties` must be sorted by row and free of repeated rows. With `window` `Some`, the graph
/// has interaction features (possibly none on any tie); with `has_weights`, slot weights.
///
/// # Errors
/// [`IoError::Graph`] beyond `u32::MAX` people.
pub fn build_graph(
    persons: &[i64],
    ties: &[TieRecord],
    events_in: &[EventRecord],
    has_weights: bool,
    window: Option<TimeWindow>,
    half_life_ms: i64,
) -> Result<Graph, IoError> {
    let graph = friendship_graph(persons, ties, has_weights)?;
    match window {
        Some(window) => {
            let mut hold = EventHold::new(&graph, window, half_life_ms, false);
            for e in events_in {
                hold.add(&graph, e);
            }
            hold.fold(graph)
        }
        None => Ok(graph),
    }
}

/// The friendships of records, without interaction features: every person of `persons`
/// and of the ties, the ties in row order (a repeated friendship keeps its first row's
/// weight, self-loops are dropped), built with the loader's own CSR construction. The
/// partitioned load builds it from a worker's held ties before the events arrive, so that
/// each event can be held, folded, or refused as it comes ([`EventHold`]).
///
/// `ties` must be sorted by row and free of repeated rows.
///
/// # Errors
/// [`IoError::Graph`] beyond `u32::MAX` people.
pub fn friendship_graph(
    persons: &[i64],
    ties: &[TieRecord],
    has_weights: bool,
) -> Result<Graph, IoError> {
    let src: Vec<i64> = ties.iter().map(|t| t.src).collect();
    let dst: Vec<i64> = ties.iter().map(|t| t.dst).collect();
    let ids = IdMap::from_unsorted_parts(&[src.as_slice(), dst.as_slice(), persons])?;
    drop((src, dst));
    let dense = ids.dense_lookup();
    let edges: Vec<(NodeId, NodeId)> = ties
        .iter()
        .map(|t| {
            (
                dense(t.src).expect("every tie endpoint is mapped"),
                dense(t.dst).expect("every tie endpoint is mapped"),
            )
        })
        .collect();
    drop(dense);
    let w: Option<Vec<f64>> = has_weights.then(|| ties.iter().map(|t| t.weight).collect());
    let (csr, _, weights) = ties::friendship_csr(ids.len(), &edges, w.as_deref())?;
    Ok(Graph::try_new(ids, csr, weights, None)?)
}

/// What [`EventHold::add`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Held for the fold: inside the window, between two distinct people of the graph
    /// (friends, when the hold tests friendship; otherwise the fold leaves non-friends out).
    Held,
    /// Outside the window: left out.
    Outside,
    /// The sender is not in the graph: left out (an unknown person, when the graph holds
    /// the sender's owner's people).
    UnknownSender,
    /// From a person to themselves: never folded.
    ToSelf,
    /// To someone who is not the sender's friend (found when the hold tests friendship, or
    /// when the receiver is not in the graph): never folded. `receiver_known` says whether
    /// the receiver is in the graph.
    NotFriend {
        /// Whether the receiver is a person of the graph.
        receiver_known: bool,
    },
}

/// The events of a worker's partitioned load, held as they arrive and folded once.
///
/// Each event is held once, by the owner of its sender, in 24 bytes (dense ids, channel and
/// time in one word, value), grouped by sender range; the record that carried it is freed
/// at once. [`EventHold::fold`] then folds them per directed tie with the single-process
/// loader's fold (exact fixed-point sums, min/max, day bitsets: independent of the order of
/// arrival), so the features of every direction `x -> y` with `x` owned are those of the
/// whole load. The owner of `y` gets that direction already folded ([`FoldedDirection`],
/// [`with_directions`]) rather than a second copy of every event.
///
/// Why not fold each batch into running per-tie accumulators instead: an exact accumulator
/// of one (directed tie, channel) needs its day bitset (one bit per day of the window: 48
/// bytes for a year) beside two 128-bit sums, more than the 24 bytes of each of the few
/// events it replaces (medium has about 2.5 per directed tie and channel).
pub struct EventHold {
    bins: events::EventBins,
    /// Dense id of each person of the graph: a hash probe per event instead of two binary
    /// searches over the ids (which cost more than the rest of taking an event).
    dense: HashMap<i64, NodeId, BuildHasherDefault<events::KeyHasher>>,
    /// Whether [`EventHold::add`] tests friendship (`--strict` needs to know); otherwise the
    /// fold drops events between non-friends, as it does in the single-process load.
    check_friends: bool,
    window: TimeWindow,
    half_life_ms: i64,
    received: u64,
}

impl EventHold {
    /// An empty hold for the events of `graph`'s people (built by [`friendship_graph`]).
    /// With `check_friends`, [`EventHold::add`] tells an event between two people of the
    /// graph who are not friends apart (and does not hold it); without, it holds it and the
    /// fold leaves it out.
    pub fn new(graph: &Graph, window: TimeWindow, half_life_ms: i64, check_friends: bool) -> Self {
        Self::with_budget(graph, window, half_life_ms, check_friends, 0, u64::MAX)
            .expect("a hold within its budget has no spill to create")
    }

    /// As [`EventHold::new`], for about `expected` events held within `budget` bytes: when
    /// `expected` events of 24 bytes exceed it, the later sender ranges' events are
    /// written to temporary spill files as they arrive and read back for the fold, range
    /// by range (as the single-process load does beyond
    /// [`crate::memory::DECODED_EVENTS_BUDGET`]). The folded graph does not depend on it.
    ///
    /// # Errors
    /// [`IoError::Io`] when the spill directory cannot be created.
    pub fn with_budget(
        graph: &Graph,
        window: TimeWindow,
        half_life_ms: i64,
        check_friends: bool,
        expected: u64,
        budget: u64,
    ) -> Result<Self, IoError> {
        Ok(Self {
            bins: events::EventBins::new(graph.num_nodes(), expected, budget)?,
            dense: graph
                .ids()
                .persons()
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    (
                        p,
                        NodeId(u32::try_from(i).expect("at most u32::MAX people")),
                    )
                })
                .collect(),
            check_friends,
            window,
            half_life_ms,
            received: 0,
        })
    }

    /// Holds `e` when it lies inside the window between two distinct people of `graph`
    /// (the graph this hold was made for; friends, when it checks friendship); says what
    /// became of it.
    pub fn add(&mut self, graph: &Graph, e: &EventRecord) -> Arrival {
        self.received += 1;
        if e.ts_ms < self.window.start_ms || e.ts_ms > self.window.end_ms {
            return Arrival::Outside;
        }
        let Some(&u) = self.dense.get(&e.src) else {
            return Arrival::UnknownSender;
        };
        let v = self.dense.get(&e.dst).copied();
        match v {
            Some(v) if v == u => Arrival::ToSelf,
            Some(v) if !self.check_friends || graph.csr().has_edge(u, v) => {
                // In the window, so 0 <= ts - start <= MAX_WINDOW_MS.
                let offset = (e.ts_ms - self.window.start_ms) as u64;
                self.bins.push((u, v, e.channel, offset, e.value));
                Arrival::Held
            }
            _ => Arrival::NotFriend {
                receiver_known: v.is_some(),
            },
        }
    }

    /// Events handed to [`EventHold::add`].
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Events held for the fold (between non-friends too, without friendship checks).
    pub fn held(&self) -> u64 {
        self.bins.len()
    }

    /// Sender ranges the fold folds one after another (1: every event held in memory).
    pub fn ranges(&self) -> usize {
        self.bins.ranges()
    }

    /// Bytes of held events written to spill files so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.bins.spilled_bytes()
    }

    /// Folds the held events into `graph`'s interaction features (the graph this hold was
    /// made for), freeing them shard by shard.
    ///
    /// # Errors
    /// [`IoError::Graph`] beyond `u32::MAX` channel records; [`IoError::Io`] when a spill
    /// file could not be written or read back.
    pub fn fold(self, graph: Graph) -> Result<Graph, IoError> {
        let (parts, _) = self
            .bins
            .fold(graph.csr(), self.window, self.half_life_ms)?;
        let interactions = Interactions::try_from_parts(graph.num_nodes(), parts)?;
        Ok(graph.with_interactions(interactions)?)
    }
}

/// One direction of a friendship, folded: what the owner of its sender sends the owner of
/// its receiver after the fold (28 bytes plus 23 per channel record on the wire), so that
/// each event is held and folded once, by its sender's owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldedDirection {
    /// The sender.
    pub from: i64,
    /// The receiver.
    pub to: i64,
    /// Active days of the direction.
    pub days: u16,
    /// Active weeks of the direction.
    pub weeks: u16,
    /// Its channel records, in channel order (at least one).
    pub channels: Vec<WireChannel>,
}

impl FoldedDirection {
    /// Bytes on the wire (bincode, fixed-width: ids 16, days and weeks 4, the records'
    /// length 8, then 23 per record).
    pub fn wire_bytes(&self) -> u64 {
        16 + 4 + 8 + 23 * self.channels.len() as u64
    }
}

/// Hands `f` every active direction `from -> to` of `graph` (in sender, then receiver
/// order) for which `wanted(from, to)` holds, folded.
pub fn for_each_direction(
    graph: &Graph,
    mut wanted: impl FnMut(i64, i64) -> bool,
    mut f: impl FnMut(FoldedDirection),
) {
    let Some(inter) = graph.interactions() else {
        return;
    };
    for u in 0..graph.num_nodes() {
        let u = NodeId(u32::try_from(u).expect("a graph has at most u32::MAX people"));
        let from = graph.person(u);
        for tie in inter.out_ties(u) {
            let to = graph.person(tie.alter);
            if wanted(from, to) {
                f(FoldedDirection {
                    from,
                    to,
                    days: tie.summary.active_days,
                    weeks: tie.summary.active_weeks,
                    channels: tie.channels.iter().map(WireChannel::from).collect(),
                });
            }
        }
    }
}

/// `graph` with the folded directions `received` added to its interaction features (a
/// direction it already has is kept as it is: both are folds of the same events). The
/// partitioned load completes each worker's graph with it: a worker folds the directions
/// its people send, and receives those they are sent.
///
/// # Errors
/// [`IoError::Graph`] for a direction between people who are not friends in `graph`, or
/// when `graph` has no interaction features.
pub fn with_directions(graph: Graph, received: Vec<FoldedDirection>) -> Result<Graph, IoError> {
    if received.is_empty() {
        return Ok(graph);
    }
    let bad = |m: String| IoError::Graph(tierank_graph::GraphError::Inconsistent(m));
    let own = graph
        .interactions()
        .ok_or_else(|| bad("folded directions for a graph without events".into()))?;
    let mut incoming: Vec<(NodeId, NodeId, usize)> = Vec::with_capacity(received.len());
    for (i, d) in received.iter().enumerate() {
        match (graph.dense(d.from), graph.dense(d.to)) {
            (Some(u), Some(v)) if graph.csr().has_edge(u, v) => incoming.push((u, v, i)),
            _ => {
                return Err(bad(format!(
                    "a folded direction {} -> {} between people who are not friends here",
                    d.from, d.to
                )));
            }
        }
    }
    incoming.sort_unstable();
    let n = graph.num_nodes();
    let extra: usize = received.iter().map(|d| d.channels.len()).sum();
    let mut parts = InteractionParts {
        window: own.window(),
        half_life_ms: own.half_life_ms(),
        node_offsets: vec![0; n + 1],
        alters: Vec::with_capacity(own.num_active_ties() + incoming.len()),
        tie_days: Vec::with_capacity(own.num_active_ties() + incoming.len()),
        tie_weeks: Vec::with_capacity(own.num_active_ties() + incoming.len()),
        masks: Vec::with_capacity(own.num_active_ties() + incoming.len()),
        chan_bases: Vec::new(),
        channels: Vec::with_capacity(own.num_channel_records() + extra),
    };
    let mut records: Vec<ChannelStats> = Vec::new();
    let mut next = 0usize;
    for x in 0..n {
        let u = NodeId(u32::try_from(x).expect("a graph has at most u32::MAX people"));
        let end = next + incoming[next..].partition_point(|&(s, _, _)| s == u);
        let mut theirs = incoming[next..end].iter().peekable();
        let mut ours = own.out_ties(u).peekable();
        let mut pushed = 0u64;
        loop {
            let take_ours = match (ours.peek(), theirs.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(o), Some(t)) => o.alter <= t.1,
            };
            if take_ours {
                let tie = ours.next().expect("peeked");
                if theirs.peek().is_some_and(|t| t.1 == tie.alter) {
                    theirs.next();
                }
                parts.push_tie(
                    tie.alter,
                    tie.summary.active_days,
                    tie.summary.active_weeks,
                    tie.channels,
                )?;
            } else {
                let &(_, v, i) = theirs.next().expect("peeked");
                let d = &received[i];
                records.clear();
                records.extend(d.channels.iter().map(ChannelStats::from));
                parts.push_tie(v, d.days, d.weeks, &records)?;
            }
            pushed += 1;
        }
        parts.node_offsets[x + 1] = parts.node_offsets[x] + pushed;
        next = end;
    }
    drop(received);
    let interactions = Interactions::try_from_parts(n, parts)?;
    Ok(graph.with_interactions(interactions)?)
}

/// One (directed tie, channel) record of a [`FoldedTie`]: the fields of [`ChannelStats`]
/// (23 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WireChannel {
    /// [`ChannelStats::count`].
    pub count: u32,
    /// [`ChannelStats::value_sum`].
    pub value_sum: f32,
    /// [`ChannelStats::decayed`].
    pub decayed: f32,
    /// [`ChannelStats::first_s`].
    pub first_s: u32,
    /// [`ChannelStats::last_s`].
    pub last_s: u32,
    /// [`ChannelStats::active_days`].
    pub active_days: u16,
    /// [`ChannelStats::channel`].
    pub channel: u8,
}

impl From<&ChannelStats> for WireChannel {
    fn from(c: &ChannelStats) -> Self {
        Self {
            count: c.count,
            value_sum: c.value_sum,
            decayed: c.decayed,
            first_s: c.first_s,
            last_s: c.last_s,
            active_days: c.active_days,
            channel: c.channel,
        }
    }
}

impl From<&WireChannel> for ChannelStats {
    fn from(c: &WireChannel) -> Self {
        Self {
            count: c.count,
            value_sum: c.value_sum,
            decayed: c.decayed,
            first_s: c.first_s,
            last_s: c.last_s,
            active_days: c.active_days,
            channel: c.channel,
        }
    }
}

/// One friendship and everything a [`Graph`] holds about it, already folded: its weight
/// (the first row's, as the CSR keeps it) and the interaction features of both directions
/// (per-channel stats, active days and weeks). What a wave of the partitioned ranking ships
/// instead of the tie's rows and raw events; [`graph_from_folded`] assembles a graph from
/// such records without folding anything again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldedTie {
    /// The smaller person id.
    pub a: i64,
    /// The larger person id.
    pub b: i64,
    /// The slot weight; 0 when the graph has no weights.
    pub weight: f64,
    /// Active days of `a -> b` and of `b -> a` (0 for a direction without events).
    pub days: [u16; 2],
    /// Active weeks of `a -> b` and of `b -> a`.
    pub weeks: [u16; 2],
    /// `channels[..split]` are `a -> b`'s records, the rest `b -> a`'s; a direction is
    /// active (has features) exactly when it has a record.
    pub split: u8,
    /// Channel records of both directions, each in channel order.
    pub channels: Vec<WireChannel>,
}

impl FoldedTie {
    /// Bytes on the wire (bincode, fixed-width: ids and weight 24, days and weeks 8, split
    /// 1, the records' length 8, then 23 per record).
    pub fn wire_bytes(&self) -> u64 {
        24 + 8 + 1 + 8 + 23 * self.channels.len() as u64
    }
}

/// Every friendship of `person` in `graph` as a [`FoldedTie`], in friend order (none when
/// `person` is not in the graph). The features are complete when `graph` holds every event
/// incident to `person`, as the graph a worker builds from its held records does for the
/// people it owns.
pub fn folded_ties_of(graph: &Graph, person: i64) -> Vec<FoldedTie> {
    let Some(u) = graph.dense(person) else {
        return Vec::new();
    };
    let slots = graph.csr().slots(u);
    let weights = graph.weights();
    let inter = graph.interactions();
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots {
        let v = graph.csr().target(slot);
        let other = graph.person(v);
        // Directions as (from, to) with from < to first.
        let (a, b, first, second) = if person < other {
            (person, other, (u, v), (v, u))
        } else {
            (other, person, (v, u), (u, v))
        };
        let mut tie = FoldedTie {
            a,
            b,
            weight: weights.map_or(0.0, |w| w[slot]),
            days: [0; 2],
            weeks: [0; 2],
            split: 0,
            channels: Vec::new(),
        };
        if let Some(inter) = inter {
            for (k, (x, y)) in [first, second].into_iter().enumerate() {
                if let Some(activity) = inter.tie(x, y) {
                    tie.days[k] = activity.summary.active_days;
                    tie.weeks[k] = activity.summary.active_weeks;
                    tie.channels
                        .extend(activity.channels.iter().map(WireChannel::from));
                }
                if k == 0 {
                    // At most CHANNEL_COUNT records per direction.
                    tie.split = u8::try_from(tie.channels.len()).unwrap_or(u8::MAX);
                }
            }
        }
        out.push(tie);
    }
    out
}

/// How many friendships [`folded_ties_of`] would return for `person`, and how many channel
/// records they would carry in all (both directions), without building them: what the
/// partitioned run's wave planner needs to know of each friend's reply before asking for it.
pub fn folded_size_of(graph: &Graph, person: i64) -> (u64, u64) {
    let Some(u) = graph.dense(person) else {
        return (0, 0);
    };
    let friends = graph.neighbors(u);
    let records = graph.interactions().map_or(0, |inter| {
        friends
            .iter()
            .map(|&v| {
                let count = |x, y| inter.tie(x, y).map_or(0, |a| a.channels.len() as u64);
                count(u, v) + count(v, u)
            })
            .sum()
    });
    (friends.len() as u64, records)
}

/// Assembles a graph from folded friendships (see [`FoldedTie`]), as
/// [`crate::snapshot`] assembles one from stored arrays: the people are every endpoint
/// and every one of `people` (dense ids in person-id order, as in the whole graph; a wave
/// lists its targets there, so that a target without a friendship is in its ball), the CSR is built with the loader's
/// own [`ties::friendship_csr`], and the features of each active direction are laid into
/// [`Interactions`] as they are, with no second fold. A friendship listed more than once
/// (from both its ends' owners) is taken once; its copies are equal.
///
/// With `window` `Some`, the graph has interaction features (possibly none on any tie);
/// with `has_weights`, slot weights.
///
/// # Errors
/// [`IoError::Graph`] beyond `u32::MAX` people or for inconsistent records.
pub fn graph_from_folded(
    mut ties: Vec<FoldedTie>,
    people: &[i64],
    has_weights: bool,
    window: Option<TimeWindow>,
    half_life_ms: i64,
) -> Result<Graph, IoError> {
    ties.sort_unstable_by_key(|t| (t.a, t.b));
    ties.dedup_by_key(|t| (t.a, t.b));
    let a: Vec<i64> = ties.iter().map(|t| t.a).collect();
    let b: Vec<i64> = ties.iter().map(|t| t.b).collect();
    let ids = IdMap::from_unsorted_parts(&[a.as_slice(), b.as_slice(), people])?;
    drop((a, b));
    let dense = ids.dense_lookup();
    let edges: Vec<(NodeId, NodeId)> = ties
        .iter()
        .map(|t| {
            (
                dense(t.a).expect("every endpoint is mapped"),
                dense(t.b).expect("every endpoint is mapped"),
            )
        })
        .collect();
    let w: Option<Vec<f64>> = has_weights.then(|| ties.iter().map(|t| t.weight).collect());
    let (csr, _, weights) = ties::friendship_csr(ids.len(), &edges, w.as_deref())?;
    drop(w);
    let interactions = match window {
        Some(window) => {
            // Each active direction: (sender, receiver, tie, which half of its records).
            let mut active: Vec<(NodeId, NodeId, usize, usize)> = Vec::new();
            for (i, (t, &(u, v))) in ties.iter().zip(&edges).enumerate() {
                let split = usize::from(t.split);
                if split > 0 {
                    active.push((u, v, i, 0));
                }
                if t.channels.len() > split {
                    active.push((v, u, i, 1));
                }
            }
            active.sort_unstable_by_key(|&(u, v, _, _)| (u, v));
            let mut parts = InteractionParts {
                window,
                half_life_ms,
                node_offsets: vec![0; ids.len() + 1],
                ..InteractionParts::default()
            };
            let mut records: Vec<ChannelStats> = Vec::new();
            for &(u, v, i, k) in &active {
                let t = &ties[i];
                let split = usize::from(t.split);
                let own = if k == 0 {
                    &t.channels[..split]
                } else {
                    &t.channels[split..]
                };
                records.clear();
                records.extend(own.iter().map(ChannelStats::from));
                parts.node_offsets[u.index() + 1] += 1;
                parts.push_tie(v, t.days[k], t.weeks[k], &records)?;
            }
            for u in 0..ids.len() {
                parts.node_offsets[u + 1] += parts.node_offsets[u];
            }
            Some(Interactions::try_from_parts(ids.len(), parts)?)
        }
        None => None,
    };
    drop(dense);
    Ok(Graph::try_new(ids, csr, weights, interactions)?)
}

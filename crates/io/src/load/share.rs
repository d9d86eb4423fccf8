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
//! What is not checked in a partitioned run: the SHA-256 of each file against
//! `manifest.json` (that would read every file whole on every process; run `tierank verify`
//! first), and `--strict`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tierank_format::layout::DatasetPaths;
use tierank_format::schema::col;
use tierank_graph::{Csr, Graph, IdMap, Interactions, NodeId, TimeWindow};

use super::LoadOptions;
use super::events::{self, MemoryEvent};
use super::ties::refuse_negative;
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
    if !dir.is_dir() {
        return Err(IoError::Missing {
            path: dir.to_owned(),
            what: "dataset directory not found (it must hold ties.parquet, and events/*.parquet \
                   or a weight column in ties.parquet)"
                .into(),
        });
    }
    let paths = DatasetPaths::new(dir);
    let ties_path = paths.ties();
    if !ties_path.is_file() {
        return Err(IoError::Missing {
            path: ties_path,
            what: "required file not found: ties.parquet with Int64 columns src, dst \
                   (and optionally a numeric weight column)"
                .into(),
        });
    }
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
    let src: Vec<i64> = ties.iter().map(|t| t.src).collect();
    let dst: Vec<i64> = ties.iter().map(|t| t.dst).collect();
    let ids = IdMap::from_unsorted_parts(&[src.as_slice(), dst.as_slice(), persons])?;
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
    let (csr, weights) = if has_weights {
        let w: Vec<f64> = ties.iter().map(|t| t.weight).collect();
        let (csr, _, w) = Csr::from_edges_with_values(ids.len(), &edges, &w)?;
        (csr, Some(w))
    } else {
        (Csr::from_edges(ids.len(), &edges)?.0, None)
    };
    let interactions = match window {
        Some(window) => {
            let folded: Vec<MemoryEvent> = events_in
                .iter()
                .filter(|e| e.ts_ms >= window.start_ms && e.ts_ms <= window.end_ms)
                .filter_map(|e| {
                    let (u, v) = (dense(e.src)?, dense(e.dst)?);
                    (u != v).then(|| {
                        // In the window, so 0 <= ts - start <= MAX_WINDOW_MS.
                        let offset = (e.ts_ms - window.start_ms) as u64;
                        (u, v, e.channel, offset, e.value)
                    })
                })
                .collect();
            let (parts, _) = events::fold_in_memory(&folded, &csr, window, half_life_ms)?;
            Some(Interactions::try_from_parts(ids.len(), parts)?)
        }
        None => None,
    };
    drop(dense);
    Ok(Graph::try_new(ids, csr, weights, interactions)?)
}

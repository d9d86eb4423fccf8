//! Decoding and aggregating `events/*.parquet` into per-directed-tie features.
//!
//! # Determinism
//! Every row group is a task; tasks run in parallel on the caller's rayon pool, each
//! streaming its row group in batches (so at most one row group per thread is decoded at a
//! time). Events are folded into accumulators keyed by (CSR slot, channel), held in shards by
//! sender range, each behind a mutex. Every fold is exactly associative and commutative:
//! counts and day bitsets are integers, first/last are min/max, and the two sums are kept
//! in fixed point (`i128`): a value contributes `round(value · 2^32)` and a decayed term
//! `round(2^(-(end - t)/half_life) · 2^94)`. Each term is a function of its own event only,
//! so the sums, and the `f32` stored from them, are the same whatever the order of the
//! events, the part files, the row groups or the threads. The quantum (2^-32 for values,
//! 2^-94 for decayed terms) is far below `f32` precision of any sum it contributes to.
//!
//! Values must not exceed 2^53 (9·10^15 seconds or currency units), so that no sum of up to
//! `u32::MAX` events can overflow.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use tierank_format::Channel;
use tierank_format::PersonId;
use tierank_format::enums::{CHANNEL_COUNT, UnknownValue};
use tierank_format::schema::col;
use tierank_graph::interactions::InteractionParts;
use tierank_graph::{ChannelStats, Csr, IdMap, NodeId, TieSummary, TimeWindow};

use super::LoadOptions;
use crate::IoError;
use crate::columns::{
    ColumnAt, ParquetSource, check_float, check_int, check_measure, check_string, check_timestamp,
    dict_strings, f64_values, i64_values, timestamps_ms,
};
use crate::window::{
    DAY_MS, DayHistogram, DayStat, MAX_OUTSIDE_FRACTION, MAX_WINDOW_MS, OutsideWindow,
    WindowSource, estimate_days, format_instant, manifest_days, merge_histograms, span_within,
};

const VALUE_FRAC_BITS: i32 = 32;
const DECAY_FRAC_BITS: i32 = 94;
/// Largest accepted event value (see the module documentation).
pub(crate) const MAX_VALUE: f64 = 9_007_199_254_740_992.0; // 2^53
/// Number of accumulator shards; a power of two well above any thread count we run, so
/// that threads rarely wait on the same lock.
const SHARDS: usize = 256;

/// The event part files of `dir`, sorted by name; hidden files (temporaries) are skipped.
/// A missing directory has no parts.
pub(crate) fn list_parts(dir: &Path) -> Result<Vec<PathBuf>, IoError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| IoError::io(dir, e))? {
        let entry = entry.map_err(|e| IoError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !name.starts_with('.')
            && path.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            parts.push(path);
        }
    }
    parts.sort();
    Ok(parts)
}

/// What happened to the event rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EventCounts {
    pub rows: u64,
    pub aggregated: u64,
    pub non_friends: u64,
    /// Of `non_friends`, the `group_message` replies: a group chat joins people who are not
    /// friends, and the engine scores only ties between friends.
    pub group_non_friends: u64,
    pub self_events: u64,
    pub unknown_person: u64,
    /// Events outside the window, left out.
    pub outside: u64,
    outside_min_ms: i64,
    outside_max_ms: i64,
    /// (task, row in file) of the first event outside the window.
    first_outside: Option<(usize, u64)>,
    /// (task, row in file) of the first event between non-friends or to oneself.
    first_refusable: Option<(usize, u64)>,
}

impl Default for EventCounts {
    fn default() -> Self {
        Self {
            rows: 0,
            aggregated: 0,
            non_friends: 0,
            group_non_friends: 0,
            self_events: 0,
            unknown_person: 0,
            outside: 0,
            outside_min_ms: i64::MAX,
            outside_max_ms: i64::MIN,
            first_outside: None,
            first_refusable: None,
        }
    }
}

impl EventCounts {
    fn add(&mut self, other: &Self) {
        self.rows += other.rows;
        self.aggregated += other.aggregated;
        self.non_friends += other.non_friends;
        self.group_non_friends += other.group_non_friends;
        self.self_events += other.self_events;
        self.unknown_person += other.unknown_person;
        self.outside += other.outside;
        self.outside_min_ms = self.outside_min_ms.min(other.outside_min_ms);
        self.outside_max_ms = self.outside_max_ms.max(other.outside_max_ms);
        self.first_outside = match (self.first_outside, other.first_outside) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.first_refusable = match (self.first_refusable, other.first_refusable) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// The result of [`aggregate`].
pub(super) struct Outcome {
    /// `None` when the parts hold no rows.
    pub parts: Option<InteractionParts>,
    pub counts: EventCounts,
    /// Where the window came from; `None` without events.
    pub source: Option<WindowSource>,
    /// Events left out as outside the window.
    pub outside: Option<OutsideWindow>,
    pub window_seconds: f64,
    pub events_seconds: f64,
    pub finalise_seconds: f64,
}

/// One row group of one part.
struct Task<'a> {
    source: &'a ParquetSource,
    row_group: usize,
    row0: u64,
    has_value: bool,
}

/// Opens every part and checks its columns.
fn open_parts(parts: &[PathBuf]) -> Result<Vec<(ParquetSource, bool)>, IoError> {
    parts
        .par_iter()
        .map(|path| {
            let source = ParquetSource::open(path)?;
            let at = |column| ColumnAt {
                path,
                column,
                row0: 0,
            };
            check_int(at(col::SRC), source.require(col::SRC)?)?;
            check_int(at(col::DST), source.require(col::DST)?)?;
            check_string(at(col::CHANNEL), source.require(col::CHANNEL)?)?;
            check_timestamp(at(col::TS), source.require(col::TS)?)?;
            // `value` is null for most channels; an export without the column has none.
            let has_value = match source.optional(col::VALUE) {
                Some(ty) => {
                    check_float(at(col::VALUE), ty)?;
                    true
                }
                None => false,
            };
            Ok((source, has_value))
        })
        .collect()
}

/// Runs `f` on every task in parallel; returns the results in task order, or the error of
/// the first failing task in task order (the same error at any thread count). Tasks after a
/// known failure are skipped, tasks before it always run.
fn run_tasks<T: Send>(
    tasks: &[Task<'_>],
    f: impl Fn(usize, &Task<'_>) -> Result<T, IoError> + Sync,
) -> Result<Vec<T>, IoError> {
    let first_failed = AtomicUsize::new(usize::MAX);
    let results: Vec<Option<Result<T, IoError>>> = tasks
        .par_iter()
        .enumerate()
        .map(|(i, task)| {
            if i > first_failed.load(Ordering::Relaxed) {
                return None;
            }
            let result = f(i, task);
            if result.is_err() {
                first_failed.fetch_min(i, Ordering::Relaxed);
            }
            Some(result)
        })
        .collect();
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => unreachable!("a task is skipped only after an earlier task failed"),
        }
    }
    Ok(out)
}

/// Events per UTC day of one task (see [`DayHistogram`]: its size is the number of distinct
/// days, so no single timestamp can make it large). Counted in a hash map (one cheap probe
/// per event), sorted once at the end.
fn task_days(task: &Task<'_>) -> Result<DayHistogram, IoError> {
    let path = task.source.path();
    let mut row0 = task.row0;
    let mut days: HashMap<i64, DayStat, BuildHasherDefault<KeyHasher>> = HashMap::default();
    for batch in task.source.reader(&[col::TS], Some(vec![task.row_group]))? {
        let batch = batch.map_err(|e| IoError::parquet(path, e))?;
        let at = ColumnAt {
            path,
            column: col::TS,
            row0,
        };
        let ts = timestamps_ms(at, at.of(&batch)?)?;
        // pandas writes NaT (a missing time) as i64::MIN: refuse it as the null it is, not
        // as an instant 292 million years ago that would stretch the window.
        if let Some(i) = ts.iter().position(|&t| t == i64::MIN) {
            return Err(IoError::BadValue {
                path: path.to_owned(),
                column: col::TS.into(),
                row: row0 + i as u64,
                reason: "is i64::MIN, the NaT (missing time) of pandas: every event needs a \
                         time"
                    .into(),
            });
        }
        for &t in &ts {
            days.entry(t.div_euclid(DAY_MS))
                .and_modify(|s| s.add(t))
                .or_insert_with(|| DayStat::new(t));
        }
        row0 += batch.num_rows() as u64;
    }
    Ok(days.into_iter().collect())
}

/// A fast hasher for integer keys (Fx-style multiply); keys are CSR slot numbers, not
/// attacker-chosen strings, so DoS-resistant hashing buys nothing here.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Marks a (slot, channel) without a record in [`Shard::record_of`].
const NO_RECORD: u32 = u32::MAX;

/// The accumulators of one sender range: a dense index from (CSR slot, channel) to a record,
/// and the records themselves in flat arrays (the day bitsets of record `r` are
/// `days[r * day_words ..][.. day_words]`). No hashing and no allocation per tie: the CSR
/// already numbers every directed tie, so the index costs 4 bytes per (slot, channel) of
/// the range, and a record is created only for a (tie, channel) with an event.
struct Shard {
    /// First node of the range.
    first_node: usize,
    /// One past the last node of the range.
    end_node: usize,
    /// First CSR slot of the range.
    first_slot: usize,
    /// Per `(slot - first_slot) * CHANNEL_COUNT + channel`, a record index or [`NO_RECORD`].
    record_of: Vec<u32>,
    records: Vec<Acc>,
    days: Vec<u64>,
}

impl Shard {
    fn new(csr: &Csr, first_node: usize, end_node: usize) -> Self {
        let first_slot = csr.offsets()[first_node] as usize;
        let end_slot = csr.offsets()[end_node] as usize;
        Self {
            first_node,
            end_node,
            first_slot,
            record_of: vec![NO_RECORD; (end_slot - first_slot) * CHANNEL_COUNT],
            records: Vec::new(),
            days: Vec::new(),
        }
    }

    /// Folds one event in. Every fold is exact and commutative (see the module docs).
    fn fold(&mut self, c: Contribution, cal: &Calendar) {
        let index = &mut self.record_of[c.key as usize - self.first_slot * CHANNEL_COUNT];
        if *index == NO_RECORD {
            // At most u32::MAX - 1 records per shard: a shard holds at most every
            // (directed tie, channel) of its range, and a graph has fewer than 2^32 / 6
            // directed ties per shard long before memory runs out.
            *index = u32::try_from(self.records.len()).expect("fewer than 2^32 records");
            self.records.push(Acc {
                count: 0,
                value_fx: 0,
                decayed_fx: 0,
                first_ms: c.ts_ms,
                last_ms: c.ts_ms,
            });
            self.days.resize(self.days.len() + cal.day_words, 0);
        }
        let r = *index as usize;
        let acc = &mut self.records[r];
        // A count beyond u32::MAX events on one tie and channel saturates.
        acc.count = acc.count.saturating_add(1);
        acc.value_fx += c.value_fx;
        acc.decayed_fx += c.decayed_fx;
        acc.first_ms = acc.first_ms.min(c.ts_ms);
        acc.last_ms = acc.last_ms.max(c.ts_ms);
        let d = cal.day(c.ts_ms);
        self.days[r * cal.day_words + d / 64] |= 1 << (d % 64);
    }

    fn heap_bytes(&self) -> usize {
        self.record_of.capacity() * 4
            + self.records.capacity() * std::mem::size_of::<Acc>()
            + self.days.capacity() * 8
    }
}

/// Running aggregate of one (directed tie, channel); its day bitset lives in [`Shard::days`].
#[derive(Debug, Clone)]
struct Acc {
    count: u32,
    value_fx: i128,
    decayed_fx: i128,
    first_ms: i64,
    last_ms: i64,
}

/// One event that survived the id and friendship checks.
#[derive(Debug, Clone, Copy)]
struct Contribution {
    key: u64,
    ts_ms: i64,
    value_fx: i128,
    decayed_fx: i128,
}

/// The window, as days and the decay reference.
#[derive(Debug, Clone, Copy)]
struct Calendar {
    window: TimeWindow,
    first_day: i64,
    day_words: usize,
    half_life_ms: f64,
}

impl Calendar {
    /// Day index of an event inside the window (so within `0..days`).
    fn day(&self, ts_ms: i64) -> usize {
        usize::try_from(ts_ms.div_euclid(DAY_MS).saturating_sub(self.first_day)).unwrap_or(0)
    }
}

fn shard_of(u: NodeId, num_nodes: usize) -> usize {
    (u.index() as u128 * SHARDS as u128 / num_nodes.max(1) as u128) as usize
}

/// Reads the event parts and aggregates them into [`InteractionParts`].
pub(super) fn aggregate(
    dataset_dir: &Path,
    parts: &[PathBuf],
    ids: &IdMap,
    csr: &Csr,
    opts: &LoadOptions,
) -> Result<Outcome, IoError> {
    let t = Instant::now();
    let sources = open_parts(parts)?;
    let mut tasks = Vec::new();
    for (source, has_value) in &sources {
        let starts = source.row_group_starts();
        for (rg, &row0) in starts[..source.num_row_groups()].iter().enumerate() {
            tasks.push(Task {
                source,
                row_group: rg,
                row0,
                has_value: *has_value,
            });
        }
    }

    // Phase 3: the window.
    let hists = run_tasks(&tasks, |_, task| task_days(task))?;
    let mut hist = DayHistogram::new();
    for h in hists {
        merge_histograms(&mut hist, h);
    }
    let window_seconds = t.elapsed().as_secs_f64();
    if hist.is_empty() {
        log::warn!("the event parts hold no rows: loading without interaction features");
        return Ok(Outcome {
            parts: None,
            counts: EventCounts::default(),
            source: None,
            outside: None,
            window_seconds,
            events_seconds: 0.0,
            finalise_seconds: 0.0,
        });
    }
    let (window, source) = choose_window(&hist, opts, dataset_dir)?;
    let (start_ms, end_ms) = (window.start_ms, window.end_ms);
    let first_day = start_ms.div_euclid(DAY_MS);
    // `choose_window` bounds the span by MAX_WINDOW_MS (49,711 days).
    let num_days = usize::try_from(end_ms.div_euclid(DAY_MS) - first_day + 1)
        .expect("the window is checked to be at most 136 years long");
    let cal = Calendar {
        window,
        first_day,
        day_words: num_days.div_ceil(64),
        half_life_ms: opts.half_life_ms as f64,
    };
    log::info!(
        "event window ({source}): {} days ({} .. {}) from {} row groups in {:.3} s",
        num_days,
        format_instant(start_ms),
        format_instant(end_ms),
        tasks.len(),
        window_seconds
    );

    // Phase 4: aggregate.
    let t = Instant::now();
    let n = csr.num_nodes();
    let range_start = |s: usize| ((s as u128 * n as u128).div_ceil(SHARDS as u128)) as usize;
    let shards: Vec<Mutex<Shard>> = (0..SHARDS)
        .into_par_iter()
        .map(|s| Mutex::new(Shard::new(csr, range_start(s), range_start(s + 1))))
        .collect();
    let lookup = ids.dense_lookup();
    let per_task = run_tasks(&tasks, |i, task| {
        aggregate_task(i, task, &lookup, csr, &cal, &shards)
    })?;
    let accumulator_bytes: usize = shards
        .iter()
        .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).heap_bytes())
        .sum();
    let mut counts = EventCounts::default();
    for c in &per_task {
        counts.add(c);
    }
    let events_seconds = t.elapsed().as_secs_f64();
    log::info!(
        "aggregated {} of {} events in {:.3} s ({:.0} rows/s; accumulators {} bytes)",
        counts.aggregated,
        counts.rows,
        events_seconds,
        counts.rows as f64 / events_seconds.max(1e-9),
        accumulator_bytes
    );
    if counts.non_friends + counts.self_events + counts.unknown_person > 0 {
        log::warn!(
            "ignored {} event(s) between non-friends ({} of them group-chat replies: a group \
             chat joins people who are not friends, and only ties between friends are scored), \
             {} to oneself, {} naming unknown people",
            counts.non_friends,
            counts.group_non_friends,
            counts.self_events,
            counts.unknown_person
        );
    }
    let outside = counts.first_outside.map(|(task, row)| OutsideWindow {
        count: counts.outside,
        earliest_ms: counts.outside_min_ms,
        latest_ms: counts.outside_max_ms,
        example_path: tasks[task].source.path().to_owned(),
        example_row: row,
    });
    if let Some(o) = &outside {
        let share = o.count as f64 / counts.rows.max(1) as f64;
        if source != WindowSource::Given && opts.window.is_default() && share > MAX_OUTSIDE_FRACTION
        {
            return Err(IoError::OutsideWindow {
                path: o.example_path.clone(),
                row: o.example_row,
                count: o.count,
                total: counts.rows,
                range: format!(
                    "earliest {}, latest {}",
                    format_instant(o.earliest_ms),
                    format_instant(o.latest_ms)
                ),
                window: format!(
                    "{} .. {} ({source})",
                    format_instant(start_ms),
                    format_instant(end_ms)
                )
                .into(),
            });
        }
        log::warn!(
            "left out {} event(s) outside the event window {} .. {} ({source}): earliest {}, \
             latest {}, e.g. {} row {}",
            o.count,
            format_instant(start_ms),
            format_instant(end_ms),
            format_instant(o.earliest_ms),
            format_instant(o.latest_ms),
            o.example_path.display(),
            o.example_row
        );
    }
    if opts.strict
        && let Some((task, row)) = counts.first_refusable
    {
        return Err(IoError::Strict {
            path: tasks[task].source.path().to_owned(),
            what: "event(s) between people who are not friends (or to oneself)".into(),
            count: counts.non_friends + counts.self_events,
            first_row: row,
        });
    }

    // Phase 5: finalise.
    let t = Instant::now();
    let parts = finalise(shards, csr, &cal, opts.half_life_ms);
    let finalise_seconds = t.elapsed().as_secs_f64();
    Ok(Outcome {
        parts: Some(parts),
        counts,
        source: Some(source),
        outside,
        window_seconds,
        events_seconds,
        finalise_seconds,
    })
}

/// The window of this load: the given sides of `opts.window`, the others from the events
/// inside the default bounds (the manifest's generation window, or else the estimate of
/// [`estimate_days`]). Every combination of timestamps is done in checked arithmetic.
fn choose_window(
    hist: &DayHistogram,
    opts: &LoadOptions,
    dataset_dir: &Path,
) -> Result<(TimeWindow, WindowSource), IoError> {
    let spec = opts.window;
    let (start_ms, end_ms, source) = match (spec.start_ms, spec.end_ms) {
        (Some(s), Some(e)) => (s, e, WindowSource::Given),
        _ => {
            let (bounds, source) = match manifest_days(dataset_dir) {
                Some(days) => (days, WindowSource::Manifest),
                None => (
                    estimate_days(hist).expect("the histogram is not empty"),
                    WindowSource::Estimated,
                ),
            };
            // Narrowed to the given side too, so that a default side never lies beyond it.
            let lo = bounds
                .0
                .max(spec.start_ms.map_or(i64::MIN, |s| s.div_euclid(DAY_MS)));
            let hi = bounds
                .1
                .min(spec.end_ms.map_or(i64::MAX, |e| e.div_euclid(DAY_MS)));
            let span = span_within(hist, lo, hi).ok_or_else(|| IoError::InvalidOptions {
                reason: format!(
                    "no event lies in the default event window ({source}: {} .. {}); give \
                     the window with --window-start and --window-end (or --as-of)",
                    format_instant(bounds.0.saturating_mul(DAY_MS)),
                    format_instant(
                        bounds
                            .1
                            .saturating_add(1)
                            .saturating_mul(DAY_MS)
                            .saturating_sub(1)
                    ),
                ),
            })?;
            (
                spec.start_ms.unwrap_or(span.0),
                spec.end_ms.unwrap_or(span.1),
                source,
            )
        }
    };
    let length = end_ms.checked_sub(start_ms);
    match length {
        Some(l) if (0..=MAX_WINDOW_MS).contains(&l) => {}
        _ => {
            return Err(IoError::InvalidOptions {
                reason: format!(
                    "the event window {} .. {} ({source}) is {}; it must end after it starts \
                     and span at most 136 years: give the window with --window-start and \
                     --window-end (or --as-of)",
                    format_instant(start_ms),
                    format_instant(end_ms),
                    match length {
                        Some(l) if l < 0 => "empty".to_owned(),
                        _ => "too long".to_owned(),
                    }
                ),
            });
        }
    }
    Ok((TimeWindow { start_ms, end_ms }, source))
}

fn parse_channels(values: &arrow::array::StringArray) -> Vec<Result<Channel, UnknownValue>> {
    values
        .iter()
        .map(|s| s.unwrap_or("").parse::<Channel>())
        .collect()
}

fn aggregate_task(
    task_index: usize,
    task: &Task<'_>,
    dense: &(impl Fn(PersonId) -> Option<NodeId> + Sync),
    csr: &Csr,
    cal: &Calendar,
    shards: &[Mutex<Shard>],
) -> Result<EventCounts, IoError> {
    let path = task.source.path();
    let mut counts = EventCounts::default();
    let mut columns = vec![col::SRC, col::DST, col::CHANNEL, col::TS];
    if task.has_value {
        columns.push(col::VALUE);
    }
    let mut buffers: Vec<Vec<Contribution>> = vec![Vec::new(); SHARDS];
    let mut row0 = task.row0;
    for batch in task.source.reader(&columns, Some(vec![task.row_group]))? {
        let batch = batch.map_err(|e| IoError::parquet(path, e))?;
        let at = |column| ColumnAt { path, column, row0 };
        let src = i64_values(at(col::SRC), at(col::SRC).of(&batch)?)?;
        let dst = i64_values(at(col::DST), at(col::DST).of(&batch)?)?;
        let ch_at = at(col::CHANNEL);
        let channels = dict_strings(ch_at, ch_at.of(&batch)?)?;
        let parsed = parse_channels(&channels.values);
        let ts = timestamps_ms(at(col::TS), at(col::TS).of(&batch)?)?;
        let values = if task.has_value {
            let v_at = at(col::VALUE);
            let values = f64_values(v_at, v_at.of(&batch)?)?;
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = *v {
                    check_measure(v_at, i, v)?;
                    if v > MAX_VALUE {
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
            counts.rows += 1;
            let ts_i = ts[i];
            if ts_i < cal.window.start_ms || ts_i > cal.window.end_ms {
                // Left out before anything else: an event outside the window must not
                // touch any accumulator (nor widen the day bitsets).
                counts.outside += 1;
                counts.outside_min_ms = counts.outside_min_ms.min(ts_i);
                counts.outside_max_ms = counts.outside_max_ms.max(ts_i);
                counts
                    .first_outside
                    .get_or_insert((task_index, row0 + i as u64));
                continue;
            }
            let (Some(u), Some(v)) = (dense(src[i]), dense(dst[i])) else {
                counts.unknown_person += 1;
                continue;
            };
            let row = row0 + i as u64;
            if u == v {
                counts.self_events += 1;
                counts.first_refusable.get_or_insert((task_index, row));
                continue;
            }
            let Some(slot) = csr.slot(u, v) else {
                counts.non_friends += 1;
                if channel == Channel::GroupMessage {
                    counts.group_non_friends += 1;
                }
                counts.first_refusable.get_or_insert((task_index, row));
                continue;
            };
            counts.aggregated += 1;
            let value = values.as_ref().and_then(|v| v[i]).unwrap_or(0.0);
            // In the window, so 0 <= age <= MAX_WINDOW_MS: no overflow.
            let age = cal.window.end_ms.saturating_sub(ts_i) as f64;
            let decayed = (-age / cal.half_life_ms).exp2();
            buffers[shard_of(u, csr.num_nodes())].push(Contribution {
                key: slot as u64 * CHANNEL_COUNT as u64 + channel.index() as u64,
                ts_ms: ts_i,
                value_fx: (value * 2f64.powi(VALUE_FRAC_BITS)).round() as i128,
                decayed_fx: (decayed * 2f64.powi(DECAY_FRAC_BITS)).round() as i128,
            });
        }
        for (s, buffer) in buffers.iter_mut().enumerate() {
            if buffer.is_empty() {
                continue;
            }
            let mut shard = shards[s].lock().unwrap_or_else(|e| e.into_inner());
            for c in buffer.drain(..) {
                shard.fold(c, cal);
            }
        }
        row0 += batch.num_rows() as u64;
    }
    Ok(counts)
}

/// Per-shard output, concatenated in shard (= sender) order.
#[derive(Default)]
struct ShardOut {
    senders: Vec<NodeId>,
    alters: Vec<NodeId>,
    summaries: Vec<TieSummary>,
    channel_counts: Vec<u8>,
    channels: Vec<ChannelStats>,
}

fn offset_s(cal: &Calendar, ts_ms: i64) -> u32 {
    // The window check bounds every offset by u32::MAX seconds.
    u32::try_from(ts_ms.saturating_sub(cal.window.start_ms) / 1000).unwrap_or(u32::MAX)
}

fn finalise(
    shards: Vec<Mutex<Shard>>,
    csr: &Csr,
    cal: &Calendar,
    half_life_ms: i64,
) -> InteractionParts {
    let outs: Vec<ShardOut> = shards
        .into_par_iter()
        .map(|m| {
            let shard = m.into_inner().unwrap_or_else(|e| e.into_inner());
            let mut out = ShardOut::default();
            let mut union = vec![0u64; cal.day_words];
            let days_of = |r: u32| {
                let r = r as usize;
                &shard.days[r * cal.day_words..(r + 1) * cal.day_words]
            };
            // Slots in ascending order, so senders, then alters, come out sorted.
            for sender in shard.first_node..shard.end_node {
                let sender_id = NodeId(sender as u32);
                for slot in csr.slots(sender_id) {
                    let at = (slot - shard.first_slot) * CHANNEL_COUNT;
                    let index = &shard.record_of[at..at + CHANNEL_COUNT];
                    if index.iter().all(|&r| r == NO_RECORD) {
                        continue;
                    }
                    union.iter_mut().for_each(|w| *w = 0);
                    let mut summary = TieSummary::default();
                    let mut used = 0u8;
                    for (channel, &r) in index.iter().enumerate() {
                        if r == NO_RECORD {
                            continue;
                        }
                        let acc = &shard.records[r as usize];
                        let days = days_of(r);
                        for (u, d) in union.iter_mut().zip(days.iter()) {
                            *u |= d;
                        }
                        summary.count = summary.count.saturating_add(acc.count);
                        summary.channel_mask |= 1 << channel;
                        out.channels.push(ChannelStats {
                            count: acc.count,
                            value_sum: (acc.value_fx as f64 / 2f64.powi(VALUE_FRAC_BITS)) as f32,
                            decayed: (acc.decayed_fx as f64 / 2f64.powi(DECAY_FRAC_BITS)) as f32,
                            first_s: offset_s(cal, acc.first_ms),
                            last_s: offset_s(cal, acc.last_ms),
                            active_days: count_bits(days),
                            channel: channel as u8,
                        });
                        used += 1;
                    }
                    summary.active_days = count_bits(&union);
                    summary.active_weeks = count_weeks(&union);
                    out.senders.push(sender_id);
                    out.alters.push(csr.target(slot));
                    out.summaries.push(summary);
                    out.channel_counts.push(used);
                }
            }
            out
        })
        .collect();

    let num_nodes = csr.num_nodes();
    let active: usize = outs.iter().map(|o| o.alters.len()).sum();
    let records: usize = outs.iter().map(|o| o.channels.len()).sum();
    let mut parts = InteractionParts {
        window: cal.window,
        half_life_ms,
        node_offsets: vec![0; num_nodes + 1],
        alters: Vec::with_capacity(active),
        summaries: Vec::with_capacity(active),
        chan_offsets: Vec::with_capacity(active + 1),
        channels: Vec::with_capacity(records),
    };
    parts.chan_offsets.push(0);
    for out in outs {
        for (k, &sender) in out.senders.iter().enumerate() {
            parts.node_offsets[sender.index() + 1] += 1;
            let last = *parts.chan_offsets.last().expect("starts with 0");
            parts
                .chan_offsets
                .push(last + u64::from(out.channel_counts[k]));
        }
        parts.alters.extend_from_slice(&out.alters);
        parts.summaries.extend_from_slice(&out.summaries);
        parts.channels.extend_from_slice(&out.channels);
    }
    for u in 0..num_nodes {
        parts.node_offsets[u + 1] += parts.node_offsets[u];
    }
    parts
}

fn count_bits(words: &[u64]) -> u16 {
    // The window check bounds the number of days by 49,711, below u16::MAX.
    u16::try_from(words.iter().map(|w| w.count_ones()).sum::<u32>()).unwrap_or(u16::MAX)
}

/// Distinct 7-day blocks (counted from the window's first UTC day) with any set day.
fn count_weeks(words: &[u64]) -> u16 {
    let mut weeks = 0u32;
    let mut last_week = usize::MAX;
    for (w, &word) in words.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let day = w * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if day / 7 != last_week {
                last_week = day / 7;
                weeks += 1;
            }
        }
    }
    u16::try_from(weeks).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_seven_day_blocks_from_the_first_day() {
        let mut words = vec![0u64; 2];
        for d in [0, 6, 7, 13, 14, 70] {
            words[d / 64] |= 1 << (d % 64);
        }
        // Blocks 0 (days 0, 6), 1 (7, 13), 2 (14), 10 (70).
        assert_eq!(count_weeks(&words), 4);
        assert_eq!(count_bits(&words), 6);
        assert_eq!(count_weeks(&[0, 0]), 0);
    }

    #[test]
    fn fixed_point_sums_do_not_depend_on_order() {
        let terms: Vec<f64> = (0..1000)
            .map(|i| (-(i as f64) / 37.0).exp2() * 1.1)
            .collect();
        let fx = |t: &f64| (t * 2f64.powi(DECAY_FRAC_BITS)).round() as i128;
        let forward: i128 = terms.iter().map(fx).sum();
        let backward: i128 = terms.iter().rev().map(fx).sum();
        assert_eq!(forward, backward);
        let exact = forward as f64 / 2f64.powi(DECAY_FRAC_BITS);
        let naive: f64 = terms.iter().sum();
        assert!((exact - naive).abs() < 1e-12, "{exact} vs {naive}");
    }

    #[test]
    fn shards_cover_every_node_in_order() {
        let n = 1000;
        let shards: Vec<usize> = (0..n).map(|u| shard_of(NodeId(u as u32), n)).collect();
        assert_eq!(shards[0], 0);
        assert_eq!(shards[n - 1], SHARDS - 1);
        assert!(shards.windows(2).all(|w| w[0] <= w[1]));
    }
}

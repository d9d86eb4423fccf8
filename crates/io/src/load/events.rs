//! Decoding and aggregating `events/*.parquet` into per-directed-tie features.
//!
//! # Determinism
//! Every row group is a task; tasks run in parallel on the caller's rayon pool, each
//! streaming its row group in batches (so at most one row group per thread is decoded at a
//! time), into compact 24-byte events grouped by sender shard (256 sender ranges). Then every
//! shard is a task: it gathers its events from all row groups, sorts them by (sender,
//! receiver, channel, time), and folds each run while walking the sender's friend list once
//! (no hashing, no lock, no binary search per event, and memory read in order: the earlier
//! per-event slot search and scattered fold were a cache miss per event). The decoded events
//! are the peak of the load: 24 bytes per event in the window, bounded by
//! [`crate::memory::DECODED_EVENTS_BUDGET`]; beyond it the fold runs over contiguous sender
//! ranges one after another. Every row group is still decoded once: the first range's events
//! stay in memory, the others' are written to temporary spill files (see `spill`) and read
//! back for their range's fold. Every fold is exactly
//! associative and commutative:
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use tierank_format::Channel;
use tierank_format::PersonId;
use tierank_format::enums::UnknownValue;
use tierank_format::schema::col;
use tierank_graph::interactions::InteractionParts;
use tierank_graph::{ChannelStats, Csr, GraphError, IdMap, NodeId, TieSummary, TimeWindow};

use super::LoadOptions;
use super::spill::Spill;
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
    pub work: super::AggregationWork,
}

/// One row group of one part.
struct Task<'a> {
    source: &'a ParquetSource,
    row_group: usize,
    row0: u64,
    /// Rows in the row group (from the footer).
    rows: u64,
    has_value: bool,
}

/// Opens every part and checks its columns.
pub(super) fn open_parts(parts: &[PathBuf]) -> Result<Vec<(ParquetSource, bool)>, IoError> {
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
/// The length of the run at the start of `items` whose items satisfy `same` (a linear scan:
/// runs are short, and the next items are in the same cache lines).
fn run_len<T>(items: &[T], same: impl Fn(&T) -> bool) -> usize {
    items.iter().position(|x| !same(x)).unwrap_or(items.len())
}

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
pub(super) struct KeyHasher(u64);

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

/// Bit position of the channel in [`Event::time`].
const CHANNEL_SHIFT: u32 = 61;
/// The milliseconds-after-window-start part of [`Event::time`]: the window is at most
/// 136 years (< 2^43 ms), far below 2^61.
const OFFSET_MASK: u64 = (1 << CHANNEL_SHIFT) - 1;

/// One event inside the window between two known, distinct people, as decoded (24 bytes).
///
/// Sorting events by `(pair, time)` groups them by sender, then receiver (the order of the
/// CSR's slots), then channel, then time: the fold then walks each sender's friend list
/// once, merge-style, and reads events and accumulators sequentially.
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Event {
    /// `sender << 32 | receiver`, dense ids.
    pair: u64,
    /// `channel << CHANNEL_SHIFT | milliseconds after the window start`.
    time: u64,
    /// The event's value; 0 where it is null.
    value: f64,
}

impl Event {
    fn sender(&self) -> u32 {
        (self.pair >> 32) as u32
    }
    fn channel(&self) -> u64 {
        self.time >> CHANNEL_SHIFT
    }
    fn offset_ms(&self) -> u64 {
        self.time & OFFSET_MASK
    }
}

/// The events of one row group, grouped by sender shard: shard `s` holds
/// `events[bounds[s]..bounds[s + 1]]`, in row order.
struct Decoded {
    events: Vec<Event>,
    bounds: Vec<usize>,
    counts: EventCounts,
}

/// The window, as days and the decay reference.
#[derive(Debug, Clone, Copy)]
struct Calendar {
    window: TimeWindow,
    day_words: usize,
    half_life_ms: f64,
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
                rows: starts[rg + 1] - row0,
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
            work: super::AggregationWork::default(),
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

    // Phase 4: aggregate, in two steps that touch memory in order. First every row group
    // is decoded (in parallel) into compact events grouped by sender shard; then every
    // shard (in parallel) gathers its events, sorts them by (sender, receiver, channel,
    // time) and folds them while walking each sender's friend list once. No lock, no hash,
    // no random access into accumulators: the old per-event binary search and scattered
    // fold were cache misses on every event.
    let t = Instant::now();
    let n = csr.num_nodes();
    let shard_of_node: Vec<u8> = (0..n)
        .map(|u| shard_of(NodeId(u as u32), n) as u8)
        .collect();
    let lookup = ids.dense_lookup();
    // Bounded memory: the decoded events of all rows would be 24 bytes each; beyond the
    // budget, fold contiguous shard (sender) ranges one after another, the later ranges'
    // events spilled to temporary files by the one decode.
    let rows: u64 = hist.values().map(|d| d.count).sum();
    let budget = crate::memory::decoded_events_budget();
    let passes = usize::try_from(
        rows.saturating_mul(std::mem::size_of::<Event>() as u64)
            .div_ceil(budget.max(1)),
    )
    .unwrap_or(SHARDS)
    .clamp(1, SHARDS);
    let range_of_pass = |pass: usize| pass * SHARDS / passes..(pass + 1) * SHARDS / passes;
    let pass_of_shard: Vec<u8> = (0..SHARDS)
        .map(|s| {
            (0..passes)
                .position(|p| range_of_pass(p).contains(&s))
                .expect("the passes' ranges cover every shard") as u8
        })
        .collect();
    let spill = if passes > 1 {
        Some(Spill::<Event>::create(passes - 1)?)
    } else {
        None
    };
    let sink = Sink {
        keep: range_of_pass(0),
        spill: spill.as_ref(),
        pass_of_shard: &pass_of_shard,
        passes,
    };
    let t_decode = Instant::now();
    let decoded = run_tasks(&tasks, |i, task| {
        decode_task(i, task, &lookup, &shard_of_node, &sink, &cal)
    })?;
    let decode_seconds = t_decode.elapsed().as_secs_f64();
    let mut event_bytes: usize = decoded
        .iter()
        .map(|d| d.events.capacity() * std::mem::size_of::<Event>())
        .sum();
    let mut counts = EventCounts::default();
    for d in &decoded {
        counts.add(&d.counts);
    }
    let rows_decoded = counts.rows;
    let mut outs: Vec<ShardOut> = Vec::with_capacity(SHARDS);
    outs.par_extend(
        range_of_pass(0)
            .into_par_iter()
            .map(|s| fold_shard(s, &decoded, csr, &cal)),
    );
    drop(decoded);
    let spilled_bytes = spill.as_ref().map_or(0, Spill::bytes_written);
    let mut read_back_seconds = 0.0;
    if let Some(spill) = &spill {
        for pass in 1..passes {
            let t_read = Instant::now();
            let mut decoded = Vec::new();
            spill.read_back(pass - 1, SPILL_CHUNK_EVENTS, |events| {
                decoded.push(group_by_shard(events, &shard_of_node));
                Ok(())
            })?;
            read_back_seconds += t_read.elapsed().as_secs_f64();
            event_bytes = event_bytes.max(
                decoded
                    .iter()
                    .map(|d| d.events.capacity() * std::mem::size_of::<Event>())
                    .sum(),
            );
            outs.par_extend(
                range_of_pass(pass)
                    .into_par_iter()
                    .map(|s| fold_shard(s, &decoded, csr, &cal)),
            );
        }
    }
    for out in &outs {
        counts.aggregated += out.aggregated;
        counts.non_friends += out.non_friends;
        counts.group_non_friends += out.group_non_friends;
    }
    let events_seconds = t.elapsed().as_secs_f64();
    log::info!(
        "aggregated {} of {} events in {:.3} s ({:.0} rows/s; decode {:.3} s, spill read \
         {:.3} s, sort and fold {:.3} s; decoded events held {} bytes, {} sender range(s), \
         {} bytes spilled)",
        counts.aggregated,
        counts.rows,
        events_seconds,
        counts.rows as f64 / events_seconds.max(1e-9),
        decode_seconds,
        read_back_seconds,
        events_seconds - decode_seconds - read_back_seconds,
        event_bytes,
        passes,
        spilled_bytes
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
        && counts.non_friends + counts.self_events > 0
        && let Some((task, row)) =
            first_refusable(&tasks, &lookup, csr, &cal, counts.first_refusable)?
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
    let parts = assemble(outs, csr, &cal, opts.half_life_ms)?;
    let finalise_seconds = t.elapsed().as_secs_f64();
    Ok(Outcome {
        parts: Some(parts),
        counts,
        source: Some(source),
        outside,
        window_seconds,
        events_seconds,
        finalise_seconds,
        work: super::AggregationWork {
            sender_ranges: passes,
            event_rows_decoded: rows_decoded,
            spilled_bytes,
        },
    })
}

/// The window of this load: the given sides of `opts.window`, the others from the events
/// inside the default bounds (the manifest's generation window, or else the estimate of
/// [`estimate_days`]). Every combination of timestamps is done in checked arithmetic.
pub(super) fn choose_window(
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

pub(super) fn parse_channels(
    values: &arrow::array::StringArray,
) -> Vec<Result<Channel, UnknownValue>> {
    values
        .iter()
        .map(|s| s.unwrap_or("").parse::<Channel>())
        .collect()
}

/// Decodes one row group: checks every row (bad rows are reported with file, column and
/// row), counts what is left out, and returns the events to fold grouped by sender shard.
fn decode_task(
    task_index: usize,
    task: &Task<'_>,
    dense: &(impl Fn(PersonId) -> Option<NodeId> + Sync),
    shard_of_node: &[u8],
    sink: &Sink<'_>,
    cal: &Calendar,
) -> Result<Decoded, IoError> {
    let path = task.source.path();
    let mut counts = EventCounts::default();
    let mut columns = vec![col::SRC, col::DST, col::CHANNEL, col::TS];
    if task.has_value {
        columns.push(col::VALUE);
    }
    let mut events =
        Vec::with_capacity(usize::try_from(task.rows.div_ceil(sink.passes as u64)).unwrap_or(0));
    // Events of later sender ranges, buffered per range and appended to its spill file.
    let mut spilled: Vec<Vec<Event>> = vec![Vec::new(); sink.passes.saturating_sub(1)];
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
            if u == v {
                counts.self_events += 1;
                counts
                    .first_refusable
                    .get_or_insert((task_index, row0 + i as u64));
                continue;
            }
            // In the window, so 0 <= ts - start <= MAX_WINDOW_MS < 2^43.
            let offset = (ts_i - cal.window.start_ms) as u64;
            let event = Event {
                pair: u64::from(u.0) << 32 | u64::from(v.0),
                time: (channel.index() as u64) << CHANNEL_SHIFT | offset,
                value: values.as_ref().and_then(|v| v[i]).unwrap_or(0.0),
            };
            let shard = usize::from(shard_of_node[u.index()]);
            if sink.keep.contains(&shard) {
                events.push(event);
            } else {
                let range = usize::from(sink.pass_of_shard[shard]) - 1;
                spilled[range].push(event);
                if spilled[range].len() >= SPILL_BUFFER_EVENTS {
                    sink.spill(range, &mut spilled[range])?;
                }
            }
        }
        row0 += batch.num_rows() as u64;
    }
    for (range, buffer) in spilled.iter_mut().enumerate() {
        sink.spill(range, buffer)?;
    }
    let mut decoded = group_by_shard(events, shard_of_node);
    decoded.counts = counts;
    Ok(decoded)
}

/// Where [`decode_task`] puts each event: the shards of `keep` in memory, the others in the
/// spill file of their sender range (range `r` >= 1 is folded in pass `r`).
struct Sink<'a> {
    keep: std::ops::Range<usize>,
    spill: Option<&'a Spill<Event>>,
    pass_of_shard: &'a [u8],
    passes: usize,
}

impl Sink<'_> {
    /// Appends `buffer` to the spill file of later range `range + 1` and empties it.
    fn spill(&self, range: usize, buffer: &mut Vec<Event>) -> Result<(), IoError> {
        if buffer.is_empty() {
            return Ok(());
        }
        self.spill
            .expect("events outside the kept range exist only when there is a spill")
            .append(range, buffer)?;
        buffer.clear();
        Ok(())
    }
}

/// Events a decoding thread buffers per later sender range before appending them to its
/// spill file (1.5 MB: large sequential writes, little memory per thread).
const SPILL_BUFFER_EVENTS: usize = 1 << 16;
/// Events read back from a spill file at a time (384 MB, grouped by shard as they arrive).
const SPILL_CHUNK_EVENTS: usize = 1 << 24;

/// Groups `events` by sender shard (a stable counting sort), so that each shard later reads
/// one range.
fn group_by_shard(events: Vec<Event>, shard_of_node: &[u8]) -> Decoded {
    let mut bounds = vec![0usize; SHARDS + 1];
    for e in &events {
        bounds[usize::from(shard_of_node[e.sender() as usize]) + 1] += 1;
    }
    for s in 0..SHARDS {
        bounds[s + 1] += bounds[s];
    }
    let mut next = bounds.clone();
    let mut grouped = vec![Event::default(); events.len()];
    for e in &events {
        let s = usize::from(shard_of_node[e.sender() as usize]);
        grouped[next[s]] = *e;
        next[s] += 1;
    }
    Decoded {
        events: grouped,
        bounds,
        counts: EventCounts::default(),
    }
}

/// The first (task, row) of an event between people who are not friends, or to oneself
/// (`first_self`, found while decoding), for the `--strict` error. The fold only counts
/// non-friend events (it sees them sorted, not in row order), so this re-reads the row
/// groups in order until the first one holding such an event: a cost paid only on the
/// error path.
fn first_refusable(
    tasks: &[Task<'_>],
    dense: &(impl Fn(PersonId) -> Option<NodeId> + Sync),
    csr: &Csr,
    cal: &Calendar,
    first_self: Option<(usize, u64)>,
) -> Result<Option<(usize, u64)>, IoError> {
    for (task_index, task) in tasks.iter().enumerate() {
        if first_self.is_some_and(|(t, _)| t < task_index) {
            break;
        }
        let path = task.source.path();
        let mut row0 = task.row0;
        for batch in task
            .source
            .reader(&[col::SRC, col::DST, col::TS], Some(vec![task.row_group]))?
        {
            let batch = batch.map_err(|e| IoError::parquet(path, e))?;
            let at = |column| ColumnAt { path, column, row0 };
            let src = i64_values(at(col::SRC), at(col::SRC).of(&batch)?)?;
            let dst = i64_values(at(col::DST), at(col::DST).of(&batch)?)?;
            let ts = timestamps_ms(at(col::TS), at(col::TS).of(&batch)?)?;
            for i in 0..batch.num_rows() {
                if ts[i] < cal.window.start_ms || ts[i] > cal.window.end_ms {
                    continue;
                }
                if let (Some(u), Some(v)) = (dense(src[i]), dense(dst[i]))
                    && (u == v || csr.slot(u, v).is_none())
                {
                    let found = (task_index, row0 + i as u64);
                    return Ok(Some(first_self.map_or(found, |s| s.min(found))));
                }
            }
            row0 += batch.num_rows() as u64;
        }
    }
    Ok(first_self)
}

/// Per-shard output, concatenated in shard (= sender) order.
#[derive(Default)]
struct ShardOut {
    senders: Vec<NodeId>,
    alters: Vec<NodeId>,
    summaries: Vec<TieSummary>,
    channel_counts: Vec<u8>,
    channels: Vec<ChannelStats>,
    aggregated: u64,
    non_friends: u64,
    group_non_friends: u64,
}

fn offset_s(offset_ms: u64) -> u32 {
    // The window check bounds every offset by u32::MAX seconds.
    u32::try_from(offset_ms / 1000).unwrap_or(u32::MAX)
}

/// Gathers shard `s`'s events from every row group, sorts them, and folds each run of one
/// (sender, receiver, channel) into its [`ChannelStats`]. Every fold is exact and
/// commutative (see the module docs), so the result does not depend on the order in which
/// the events arrived; the sort only makes the walk sequential.
fn fold_shard(s: usize, decoded: &[Decoded], csr: &Csr, cal: &Calendar) -> ShardOut {
    let total = decoded.iter().map(|d| d.bounds[s + 1] - d.bounds[s]).sum();
    let mut events = Vec::with_capacity(total);
    for d in decoded {
        events.extend_from_slice(&d.events[d.bounds[s]..d.bounds[s + 1]]);
    }
    fold_events(events, csr, cal)
}

/// Sorts one shard's events and folds them (see [`fold_shard`]).
fn fold_events(mut events: Vec<Event>, csr: &Csr, cal: &Calendar) -> ShardOut {
    events.sort_unstable_by_key(|e| (e.pair, e.time));

    let mut out = ShardOut::default();
    let value_scale = 2f64.powi(VALUE_FRAC_BITS);
    let decay_scale = 2f64.powi(DECAY_FRAC_BITS);
    // In the window, so both fit: 0 <= span <= MAX_WINDOW_MS, 0 <= start_in_day < DAY_MS.
    let span_ms = (cal.window.end_ms - cal.window.start_ms) as u64;
    let start_in_day = cal.window.start_ms.rem_euclid(DAY_MS) as u64;
    let day_ms = DAY_MS as u64;
    let group_message = Channel::GroupMessage.index() as u64;
    let mut union = vec![0u64; cal.day_words];
    let mut days = vec![0u64; cal.day_words];
    // The friend list of the current sender, and the merge cursor into it.
    let mut sender = u32::MAX;
    let mut row_start = 0usize;
    let mut friends: &[NodeId] = &[];
    let mut cursor = 0usize;
    let mut i = 0;
    while i < events.len() {
        let pair = events[i].pair;
        let end = i + run_len(&events[i..], |e| e.pair == pair);
        let (u, v) = (NodeId(events[i].sender()), NodeId(pair as u32));
        if u.0 != sender {
            sender = u.0;
            row_start = csr.slots(u).start;
            friends = csr.neighbors(u);
            cursor = 0;
        }
        // Receivers come in ascending order, like the friend list: advance, never restart.
        cursor += friends[cursor..].partition_point(|&f| f < v);
        if friends.get(cursor) != Some(&v) {
            out.non_friends += (end - i) as u64;
            out.group_non_friends += events[i..end]
                .iter()
                .filter(|e| e.channel() == group_message)
                .count() as u64;
            i = end;
            continue;
        }
        out.aggregated += (end - i) as u64;
        union.fill(0);
        let mut summary = TieSummary::default();
        let mut used = 0u8;
        let mut k = i;
        while k < end {
            let channel = events[k].channel();
            let run_end = k + run_len(&events[k..end], |e| e.channel() == channel);
            days.fill(0);
            let mut value_fx = 0i128;
            let mut decayed_fx = 0i128;
            for e in &events[k..run_end] {
                let offset = e.offset_ms();
                if e.value != 0.0 {
                    value_fx += (e.value * value_scale).round() as i128;
                }
                let age = (span_ms - offset) as f64;
                decayed_fx += ((-age / cal.half_life_ms).exp2() * decay_scale).round() as i128;
                let d = ((start_in_day + offset) / day_ms) as usize;
                days[d / 64] |= 1 << (d % 64);
            }
            // A count beyond u32::MAX events on one tie and channel saturates.
            let count = u32::try_from(run_end - k).unwrap_or(u32::MAX);
            for (u, d) in union.iter_mut().zip(days.iter()) {
                *u |= d;
            }
            summary.count = summary.count.saturating_add(count);
            summary.channel_mask |= 1 << channel;
            out.channels.push(ChannelStats {
                count,
                value_sum: (value_fx as f64 / value_scale) as f32,
                decayed: (decayed_fx as f64 / decay_scale) as f32,
                // Sorted by time within the run: first and last are its ends.
                first_s: offset_s(events[k].offset_ms()),
                last_s: offset_s(events[run_end - 1].offset_ms()),
                active_days: count_bits(&days),
                channel: channel as u8,
            });
            used += 1;
            k = run_end;
        }
        summary.active_days = count_bits(&union);
        summary.active_weeks = count_weeks(&union);
        out.senders.push(u);
        out.alters.push(csr.target(row_start + cursor));
        out.summaries.push(summary);
        out.channel_counts.push(used);
        i = end;
    }
    out
}

/// One event of the partitioned load, already inside the window and between two distinct
/// people of a graph (dense ids): `(sender, receiver, channel index, ms after the window
/// start, value or 0)`.
pub(super) type MemoryEvent = (NodeId, NodeId, u8, u64, f64);

/// Events per chunk of an [`EventBins`] shard: 96 KiB, so that a shard's unused tail is
/// small and no chunk is ever copied to grow.
const BIN_CHUNK: usize = 4096;

/// Events held for [`EventBins::fold`], as they arrive (the partitioned load's exchange
/// hands them in one at a time), grouped by sender shard in fixed-size chunks: 24 bytes per
/// event, no second copy to group them and no doubling of a growing vector. The fold is
/// [`aggregate`]'s per-shard sort and fold, so it is exact and does not depend on the order
/// of arrival.
///
/// Bounded memory, as in [`aggregate`]: when the events expected exceed the budget, the
/// shards are cut into contiguous sender ranges; the first range's events stay in memory,
/// and each later range's full chunks are appended to that range's spill file as they fill
/// (one chunk buffer per shard stays in memory). The fold folds the first range, then reads
/// each later range back and folds it. On `large` at two processes each worker would hold
/// 374 M events (9 GB) without it.
pub(super) struct EventBins {
    /// The shard of each sender (a table: the division of [`shard_of`] per event is slow).
    shard_of_node: Vec<u8>,
    shards: Vec<Vec<Vec<Event>>>,
    len: u64,
    /// The sender range of each shard: range 0 stays in memory, range `r >= 1` is spilled
    /// to file `r - 1` of `spill`.
    range_of_shard: Vec<u8>,
    ranges: usize,
    spill: Option<Spill<Event>>,
    /// The first failed append (a full disk): [`EventBins::push`] cannot return it to the
    /// exchange that hands events in, so [`EventBins::fold`] does; the run fails there.
    spill_error: Option<IoError>,
}

impl EventBins {
    /// Bins for the senders of a graph of `num_nodes` people, for about `expected` events
    /// within `budget` bytes of held events (see the type's documentation).
    ///
    /// # Errors
    /// [`IoError::Io`] when the spill directory cannot be created.
    pub(super) fn new(num_nodes: usize, expected: u64, budget: u64) -> Result<Self, IoError> {
        let ranges = usize::try_from(
            expected
                .saturating_mul(std::mem::size_of::<Event>() as u64)
                .div_ceil(budget.max(1)),
        )
        .unwrap_or(SHARDS)
        .clamp(1, SHARDS);
        // Range `r` is shards `r * SHARDS / ranges .. (r + 1) * SHARDS / ranges`, as in
        // [`aggregate`] (and in the fold below).
        let range_of_shard: Vec<u8> = (0..ranges)
            .flat_map(|r| (r * SHARDS / ranges..(r + 1) * SHARDS / ranges).map(move |_| r as u8))
            .collect();
        Ok(Self {
            shard_of_node: (0..num_nodes)
                .map(|u| shard_of(NodeId(u as u32), num_nodes) as u8)
                .collect(),
            shards: (0..SHARDS).map(|_| Vec::new()).collect(),
            len: 0,
            range_of_shard,
            ranges,
            spill: if ranges > 1 {
                Some(Spill::create(ranges - 1)?)
            } else {
                None
            },
            spill_error: None,
        })
    }

    /// Events held (in memory or spilled).
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Sender ranges folded one after another (1: everything in memory).
    pub(super) fn ranges(&self) -> usize {
        self.ranges
    }

    /// Bytes written to the spill files so far.
    pub(super) fn spilled_bytes(&self) -> u64 {
        self.spill.as_ref().map_or(0, Spill::bytes_written)
    }

    /// Holds one event inside the window between two distinct people (dense ids).
    pub(super) fn push(&mut self, (u, v, channel, offset, value): MemoryEvent) {
        let shard = usize::from(self.shard_of_node[u.index()]);
        let range = usize::from(self.range_of_shard[shard]);
        let chunks = &mut self.shards[shard];
        if chunks.last().is_none_or(|c| c.len() == BIN_CHUNK) {
            chunks.push(Vec::with_capacity(BIN_CHUNK));
        }
        let chunk = chunks.last_mut().expect("a chunk was pushed");
        chunk.push(Event {
            pair: u64::from(u.0) << 32 | u64::from(v.0),
            time: u64::from(channel) << CHANNEL_SHIFT | offset,
            value,
        });
        self.len += 1;
        if range > 0 && chunk.len() == BIN_CHUNK {
            let spill = self
                .spill
                .as_ref()
                .expect("ranges beyond the first have a spill");
            if self.spill_error.is_none()
                && let Err(e) = spill.append(range - 1, chunk)
            {
                self.spill_error = Some(e);
            }
            // Kept for the next events of the shard: one buffer per spilled shard.
            chunk.clear();
        }
    }

    /// Folds every held event per directed tie of `csr` (events between non-friends are
    /// left out), shard by shard in parallel, freeing each shard's events once gathered;
    /// the spilled ranges after the first, each read back once. Returns the parts and the
    /// number of events folded.
    ///
    /// # Errors
    /// [`IoError::Io`] when a spill file could not be written or read back.
    pub(super) fn fold(
        self,
        csr: &Csr,
        window: TimeWindow,
        half_life_ms: i64,
    ) -> Result<(InteractionParts, u64), IoError> {
        let Self {
            shard_of_node,
            shards,
            range_of_shard,
            ranges,
            spill,
            spill_error,
            ..
        } = self;
        if let Some(e) = spill_error {
            return Err(e);
        }
        let cal = calendar(window, half_life_ms)?;
        let gather = |chunks: Vec<Vec<Event>>| {
            let mut events = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
            for chunk in chunks {
                events.extend_from_slice(&chunk);
            }
            events
        };
        let mut shards: Vec<(usize, Vec<Vec<Event>>)> = shards.into_iter().enumerate().collect();
        let later = shards.split_off(range_of_shard.iter().filter(|&&r| r == 0).count());
        let mut outs: Vec<ShardOut> = Vec::with_capacity(SHARDS);
        outs.par_extend(
            shards
                .into_par_iter()
                .map(|(_, chunks)| fold_events(gather(chunks), csr, &cal)),
        );
        let mut later = later.into_iter().peekable();
        for range in 1..ranges {
            let mut these = Vec::new();
            while let Some((_, chunks)) =
                later.next_if(|(shard, _)| usize::from(range_of_shard[*shard]) == range)
            {
                these.push(chunks);
            }
            // The range's partly filled chunks, then its spill file, each grouped by shard.
            let mut decoded = vec![group_by_shard(
                these.into_iter().flat_map(gather).collect(),
                &shard_of_node,
            )];
            spill
                .as_ref()
                .expect("ranges beyond the first have a spill")
                .read_back(range - 1, SPILL_CHUNK_EVENTS, |events| {
                    decoded.push(group_by_shard(events, &shard_of_node));
                    Ok(())
                })?;
            let first = range * SHARDS / ranges;
            let last = (range + 1) * SHARDS / ranges;
            outs.par_extend(
                (first..last)
                    .into_par_iter()
                    .map(|s| fold_shard(s, &decoded, csr, &cal)),
            );
        }
        let aggregated = outs.iter().map(|o| o.aggregated).sum();
        let parts = assemble(outs, csr, &cal, half_life_ms)?;
        Ok((parts, aggregated))
    }
}

fn calendar(window: TimeWindow, half_life_ms: i64) -> Result<Calendar, IoError> {
    let first_day = window.start_ms.div_euclid(DAY_MS);
    let num_days =
        usize::try_from(window.end_ms.div_euclid(DAY_MS) - first_day + 1).map_err(|_| {
            IoError::InvalidOptions {
                reason: "the event window ends before it starts".into(),
            }
        })?;
    Ok(Calendar {
        window,
        day_words: num_days.div_ceil(64),
        half_life_ms: half_life_ms as f64,
    })
}

/// Concatenates the shards' outputs (in sender order) into [`InteractionParts`].
///
/// # Errors
/// [`GraphError::Inconsistent`] beyond `u32::MAX` channel records (the width of
/// [`InteractionParts::chan_bases`]); such a graph would need over 100 GB.
fn assemble(
    outs: Vec<ShardOut>,
    csr: &Csr,
    cal: &Calendar,
    half_life_ms: i64,
) -> Result<InteractionParts, GraphError> {
    let num_nodes = csr.num_nodes();
    let active: usize = outs.iter().map(|o| o.alters.len()).sum();
    let records: usize = outs.iter().map(|o| o.channels.len()).sum();
    if u32::try_from(records).is_err() {
        return Err(GraphError::Inconsistent(format!(
            "{records} channel records: more than the 2^32 - 1 a graph holds"
        )));
    }
    let mut parts = InteractionParts {
        window: cal.window,
        half_life_ms,
        node_offsets: vec![0; num_nodes + 1],
        alters: Vec::with_capacity(active),
        tie_days: Vec::with_capacity(active),
        tie_weeks: Vec::with_capacity(active),
        masks: Vec::with_capacity(active),
        chan_bases: Vec::with_capacity(
            active.div_ceil(tierank_graph::interactions::CHAN_BASE_EVERY),
        ),
        channels: Vec::with_capacity(records),
    };
    for out in outs {
        let mut at = 0usize;
        for (k, &sender) in out.senders.iter().enumerate() {
            parts.node_offsets[sender.index() + 1] += 1;
            let used = usize::from(out.channel_counts[k]);
            let summary = &out.summaries[k];
            parts.push_tie(
                out.alters[k],
                summary.active_days,
                summary.active_weeks,
                &out.channels[at..at + used],
            )?;
            at += used;
        }
    }
    for u in 0..num_nodes {
        parts.node_offsets[u + 1] += parts.node_offsets[u];
    }
    Ok(parts)
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

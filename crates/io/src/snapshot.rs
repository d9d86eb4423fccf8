//! Graph snapshots: a loaded [`Graph`] written once by `tierank index` and opened by every
//! later command in a fraction of the time a fresh load takes.
//!
//! # Layout (version [`SNAPSHOT_VERSION`], all integers little-endian)
//! | bytes | content |
//! |---|---|
//! | 0..8 | magic `TRSNAP\0\0` |
//! | 8..12 | format version (`u32`) |
//! | 12..16 | 0 |
//! | 16..24 | length of the metadata JSON in bytes (`u64`) |
//! | 24..32 | length of the payload in bytes (`u64`) |
//! | 32..40 | checksum (`u64`, see below) |
//! | 40..64 | 0 |
//! | 64.. | metadata JSON, zero-padded to a multiple of 64 bytes |
//! | then | the payload: the sections listed in the metadata, each starting at a multiple of 64, zero bytes between them |
//!
//! Sections (fixed-width little-endian records, no padding between records): `ids` (`i64`
//! person ids in dense order), `csr_offsets` (`u64`, nodes + 1), `csr_targets` (`u32`),
//! `weights` (`f64`, one per CSR slot, when the ties had weights), and with events
//! `node_offsets` (`u64`), `alters` (`u32`), `tie_days` (`u16`), `tie_weeks` (`u16`),
//! `masks` (`u8`), `chan_bases` (`u32`, one per 16 active ties) and `channels` (23 bytes:
//! count `u32`, value sum `f32`, decayed `f32`, first `u32`, last `u32`, active days `u16`,
//! channel `u8`): the arrays of [`Interactions`], which are also its in-memory layout.
//!
//! The metadata records the loader options, the load report, and for every source file its
//! path relative to the dataset, size, modification time and (when the dataset's manifest
//! lists it) SHA-256: [`open_graph`] uses a snapshot only while all of them still match.
//!
//! # Integrity
//! The file's length must be exactly header + metadata + payload (else: truncated); the
//! version must be this one (else: rebuild it); the bytes between sections must be zero and
//! the checksum must match (else: corrupt). The checksum is [`Hash64`] of the metadata
//! block followed by the `Hash64` of every block of every section, in file order (a block
//! is at most 8 MiB of whole records), so that blocks are read and checked in parallel.
//! The arrays are then checked by the same constructors a fresh load uses
//! ([`Csr::try_from_parts`], [`Interactions::try_from_parts`], [`Graph::try_new`]), each a
//! sequential pass. Every failure is [`IoError::Snapshot`], a bad-input error (exit 2):
//! never a wrong graph.
//!
//! Opening reads each block straight into the graph's own arrays (plain numbers are copied
//! byte for byte through `bytemuck`, channel records decoded at fixed offsets), with no
//! second copy and no `unsafe`: the graph owns its arrays, so memory-mapping would still
//! copy them.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tierank_format::layout::DatasetPaths;
use tierank_graph::interactions::InteractionParts;
use tierank_graph::{ChannelStats, Csr, Graph, IdMap, Interactions, NodeId, TimeWindow};

use crate::checksums::Checksums;
use crate::window::{OutsideWindow, WindowSource};
use crate::{IoError, LoadOptions, LoadReport, load_graph};

/// The version of the layout written by [`write_snapshot`]; others are refused.
pub const SNAPSHOT_VERSION: u32 = 3;
/// The file name of a snapshot inside its dataset directory, used automatically.
pub const SNAPSHOT_FILE: &str = tierank_format::layout::SNAPSHOT;
const MAGIC: &[u8; 8] = b"TRSNAP\0\0";
const HEADER: usize = 64;
const ALIGN: u64 = 64;

/// Where [`open_graph`]'s graph came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphSource {
    /// Loaded from the dataset's Parquet files.
    Dataset,
    /// Opened from this snapshot.
    Snapshot(PathBuf),
}

/// A graph with the report of the load that built it and where it came from.
#[derive(Debug)]
pub struct OpenedGraph {
    /// The graph.
    pub graph: Graph,
    /// The report of the load (for a snapshot: of the load that wrote it; `seconds.total` is
    /// the time it took to open).
    pub report: LoadReport,
    /// The dataset directory (for a snapshot file: the one it was built from), where the
    /// commands find the other files (truth, groups).
    pub dataset_dir: PathBuf,
    /// Dataset or snapshot.
    pub source: GraphSource,
}

/// The one way every command gets its graph from `--data`.
///
/// `data` is a dataset directory or a snapshot file. For a directory holding an up-to-date
/// [`SNAPSHOT_FILE`] (same source files, same loader options) the snapshot is opened, and
/// the log says so; a stale one is ignored with a warning naming what changed, and the
/// dataset is loaded. `use_snapshot: false` always loads the dataset.
///
/// # Errors
/// [`IoError::Snapshot`] for a snapshot that is truncated, corrupt, of another version, or
/// given explicitly but built with other loader options; every error of [`load_graph`].
pub fn open_graph(
    data: &Path,
    opts: &LoadOptions,
    use_snapshot: bool,
) -> Result<OpenedGraph, IoError> {
    if data.is_file() {
        let t = Instant::now();
        let (graph, mut report, meta) = read_snapshot(data)?;
        refuse_checkpoint(data, &meta)?;
        if meta.options != SnapshotOptions::from(opts) {
            return Err(IoError::Snapshot {
                path: data.to_owned(),
                reason: format!(
                    "built with loader options {} but these are {}: rebuild it with \
                     `tierank index` and the same options, or pass the dataset directory",
                    meta.options.describe(),
                    SnapshotOptions::from(opts).describe()
                ),
            });
        }
        let dataset_dir = PathBuf::from(&meta.dataset_dir);
        if let Some(change) = stale_reason(&meta, &dataset_dir) {
            log::warn!(
                "snapshot {} may be out of date: {change} (rebuild it with `tierank index`)",
                data.display()
            );
        }
        report.files_read = meta
            .files_read
            .iter()
            .map(|f| dataset_dir.join(f))
            .collect();
        if let Some(o) = &mut report.outside_window {
            o.example_path = dataset_dir.join(&o.example_path);
        }
        report.seconds = crate::PhaseSeconds {
            total: t.elapsed().as_secs_f64(),
            ..Default::default()
        };
        log_opened(data, &report);
        return Ok(OpenedGraph {
            graph,
            report,
            dataset_dir,
            source: GraphSource::Snapshot(data.to_owned()),
        });
    }
    let snapshot = data.join(SNAPSHOT_FILE);
    if use_snapshot && snapshot.is_file() {
        let t = Instant::now();
        let (graph, mut report, meta) = read_snapshot(&snapshot)?;
        refuse_checkpoint(&snapshot, &meta)?;
        let change = if meta.options == SnapshotOptions::from(opts) {
            stale_reason(&meta, data)
        } else {
            Some(format!(
                "loader options differ (snapshot: {}; now: {})",
                meta.options.describe(),
                SnapshotOptions::from(opts).describe()
            ))
        };
        match change {
            None => {
                report.files_read = meta.files_read.iter().map(|f| data.join(f)).collect();
                if let Some(o) = &mut report.outside_window {
                    o.example_path = data.join(&o.example_path);
                }
                report.seconds = crate::PhaseSeconds {
                    total: t.elapsed().as_secs_f64(),
                    ..Default::default()
                };
                log::info!(
                    "using the up-to-date snapshot {} (--no-snapshot loads the dataset)",
                    snapshot.display()
                );
                log_opened(&snapshot, &report);
                return Ok(OpenedGraph {
                    graph,
                    report,
                    dataset_dir: data.to_owned(),
                    source: GraphSource::Snapshot(snapshot),
                });
            }
            Some(change) => log::warn!(
                "ignoring the stale snapshot {}: {change}; loading the dataset (rebuild the \
                 snapshot with `tierank index`)",
                snapshot.display()
            ),
        }
    }
    let (graph, report) = load_graph(data, opts)?;
    Ok(OpenedGraph {
        graph,
        report,
        dataset_dir: data.to_owned(),
        source: GraphSource::Dataset,
    })
}

/// A checkpoint holds one worker's share of a partitioned run's graph: opened as a
/// snapshot it would rank against a fraction of the friendships without a word.
fn refuse_checkpoint(path: &Path, meta: &Meta) -> Result<(), IoError> {
    match meta.checkpoint {
        None => Ok(()),
        Some(_) => Err(IoError::Snapshot {
            path: path.to_owned(),
            reason: "is a partitioned run's checkpoint of one worker's share of the graph \
                     (--checkpoint), not a snapshot of the whole graph: give the dataset \
                     directory, or a snapshot written by `tierank index`"
                .to_owned(),
        }),
    }
}

/// Writes one worker's graph of a partitioned run to `path`, atomically, as a checkpoint:
/// the snapshot layout, with the dataset's source files (size, modification time, manifest
/// checksum), the loader options and `tag` (what the run needs to resume: the worker, the
/// number of workers, the window) in its metadata.
///
/// # Errors
/// [`IoError::Io`] when a source file cannot be described or the file cannot be written;
/// the errors of reading the dataset's `manifest.json`.
pub fn write_checkpoint(
    path: &Path,
    graph: &Graph,
    dir: &Path,
    files: &[PathBuf],
    opts: &LoadOptions,
    tag: serde_json::Value,
) -> Result<u64, IoError> {
    let checksums = Checksums::open(dir)?;
    let meta = Meta {
        tierank_version: env!("CARGO_PKG_VERSION").to_owned(),
        dataset_dir: dir.to_string_lossy().into_owned(),
        options: SnapshotOptions::from(opts),
        sources: describe_sources(dir, files, &checksums)?,
        files_read: files.iter().map(|f| relative(dir, f)).collect(),
        report: ReportRecord::new(&LoadReport::default(), dir),
        sections: Vec::new(),
        checkpoint: Some(tag),
    };
    write_graph(path, graph, meta)
}

/// Opens a checkpoint written by [`write_checkpoint`] when it still serves this run: the
/// same dataset directory (however spelled), loader options and tierank version, and no
/// source file changed since (size, modification time, manifest checksum; no event part
/// added or gone).
/// Returns the graph and the tag it was written with (the caller checks the tag); `Err`
/// with the reason it does not serve (missing, unreadable, corrupt, stale, other settings),
/// for a log line: the run then loads the dataset and writes a new checkpoint.
pub fn read_checkpoint(
    path: &Path,
    dir: &Path,
    files: &[PathBuf],
    opts: &LoadOptions,
) -> Result<(Graph, serde_json::Value), String> {
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    let (graph, _, meta) = read_snapshot(path).map_err(|e| e.to_string())?;
    let Some(tag) = meta.checkpoint.clone() else {
        return Err(format!(
            "{} is a snapshot, not a checkpoint",
            path.display()
        ));
    };
    if meta.tierank_version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "{} was written by tierank {}",
            path.display(),
            meta.tierank_version
        ));
    }
    // The same directory however it is spelled (`large`, `./large`, an absolute path).
    let written_for = Path::new(&meta.dataset_dir);
    let same_dir = match (written_for.canonicalize(), dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => written_for == dir,
    };
    if !same_dir {
        return Err(format!(
            "{} is of the dataset {}",
            path.display(),
            meta.dataset_dir
        ));
    }
    if meta.options != SnapshotOptions::from(opts) {
        return Err(format!(
            "{} was written with loader options {} (now: {})",
            path.display(),
            meta.options.describe(),
            SnapshotOptions::from(opts).describe()
        ));
    }
    let read: Vec<String> = files.iter().map(|f| relative(dir, f)).collect();
    if read != meta.files_read {
        return Err(format!(
            "{} was written from other input files",
            path.display()
        ));
    }
    if let Some(change) = stale_reason(&meta, dir) {
        return Err(format!("{} is out of date: {change}", path.display()));
    }
    Ok((graph, tag))
}

fn log_opened(path: &Path, report: &LoadReport) {
    log::info!(
        "opened snapshot {}: {} people, {} friendships, {} active directed ties, {} channel \
         records; {} heap bytes ({:.1} per directed tie) in {:.3} s",
        path.display(),
        report.num_nodes,
        report.num_edges,
        report.active_directed_ties,
        report.channel_records,
        report.graph_heap_bytes,
        report.bytes_per_directed_tie,
        report.seconds.total
    );
}

/// The loader options a snapshot was built with; a snapshot serves only the same options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct SnapshotOptions {
    half_life_ms: i64,
    strict: bool,
    window_start_ms: Option<i64>,
    window_end_ms: Option<i64>,
}

impl From<&LoadOptions> for SnapshotOptions {
    fn from(o: &LoadOptions) -> Self {
        Self {
            half_life_ms: o.half_life_ms,
            strict: o.strict,
            window_start_ms: o.window.start_ms,
            window_end_ms: o.window.end_ms,
        }
    }
}

impl SnapshotOptions {
    fn describe(&self) -> String {
        let side = |s: Option<i64>| s.map_or("from the data".to_owned(), |v| v.to_string());
        format!(
            "half-life {} ms, strict {}, window start {}, window end {}",
            self.half_life_ms,
            self.strict,
            side(self.window_start_ms),
            side(self.window_end_ms)
        )
    }
}

/// One source file of a snapshot, as it was when the snapshot was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SourceFile {
    /// Relative to the dataset directory, with `/`.
    path: String,
    bytes: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when unknown).
    modified_ns: u128,
    /// From the dataset's manifest, when it lists the file.
    sha256: Option<String>,
}

/// One array of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Section {
    name: String,
    /// From the start of the file.
    offset: u64,
    /// Number of records.
    count: u64,
    /// Bytes per record.
    width: u64,
}

/// The metadata JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    tierank_version: String,
    /// The dataset directory as given to `tierank index`.
    dataset_dir: String,
    options: SnapshotOptions,
    sources: Vec<SourceFile>,
    /// Relative to the dataset directory, in reading order.
    files_read: Vec<String>,
    report: ReportRecord,
    sections: Vec<Section>,
    /// Set on a partitioned run's checkpoint of one worker's graph
    /// ([`write_checkpoint`]): what the run recorded beside it. A checkpoint holds a share
    /// of the graph, so it is never opened as a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpoint: Option<serde_json::Value>,
}

/// The parts of [`LoadReport`] not recomputed from the graph.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReportRecord {
    tie_rows: u64,
    self_loops: u64,
    duplicate_ties: u64,
    person_rows: u64,
    isolated_people: u64,
    event_files: usize,
    event_rows: u64,
    events_aggregated: u64,
    events_between_non_friends: u64,
    /// Of those, the group-chat replies (counted apart in warnings and `tierank stats`).
    group_replies_between_non_friends: u64,
    events_self: u64,
    events_unknown_person: u64,
    has_events: bool,
    has_weights: bool,
    window: Option<(i64, i64)>,
    window_source: Option<String>,
    events_outside_window: u64,
    /// count, earliest, latest, example path (relative), example row.
    outside_window: Option<(u64, i64, i64, String, u64)>,
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

impl ReportRecord {
    fn new(r: &LoadReport, root: &Path) -> Self {
        Self {
            tie_rows: r.tie_rows,
            self_loops: r.self_loops,
            duplicate_ties: r.duplicate_ties,
            person_rows: r.person_rows,
            isolated_people: r.isolated_people,
            event_files: r.event_files,
            event_rows: r.event_rows,
            events_aggregated: r.events_aggregated,
            events_between_non_friends: r.events_between_non_friends,
            group_replies_between_non_friends: r.group_replies_between_non_friends,
            events_self: r.events_self,
            events_unknown_person: r.events_unknown_person,
            has_events: r.has_events,
            has_weights: r.has_weights,
            window: r.window.map(|w| (w.start_ms, w.end_ms)),
            window_source: r.window_source.map(|s| s.as_str().to_owned()),
            events_outside_window: r.events_outside_window,
            outside_window: r.outside_window.as_ref().map(|o| {
                (
                    o.count,
                    o.earliest_ms,
                    o.latest_ms,
                    relative(root, &o.example_path),
                    o.example_row,
                )
            }),
        }
    }

    fn report(&self, graph: &Graph) -> Result<LoadReport, String> {
        let window_source = match self.window_source.as_deref() {
            None => None,
            Some("given") => Some(WindowSource::Given),
            Some("manifest") => Some(WindowSource::Manifest),
            Some("estimated") => Some(WindowSource::Estimated),
            Some(other) => return Err(format!("unknown window source '{other}'")),
        };
        let mut report = LoadReport {
            tie_rows: self.tie_rows,
            self_loops: self.self_loops,
            duplicate_ties: self.duplicate_ties,
            person_rows: self.person_rows,
            isolated_people: self.isolated_people,
            event_files: self.event_files,
            event_rows: self.event_rows,
            events_aggregated: self.events_aggregated,
            events_between_non_friends: self.events_between_non_friends,
            group_replies_between_non_friends: self.group_replies_between_non_friends,
            events_self: self.events_self,
            events_unknown_person: self.events_unknown_person,
            has_events: self.has_events,
            has_weights: self.has_weights,
            window: self
                .window
                .map(|(start_ms, end_ms)| TimeWindow { start_ms, end_ms }),
            window_source,
            events_outside_window: self.events_outside_window,
            outside_window: self.outside_window.as_ref().map(|o| OutsideWindow {
                count: o.0,
                earliest_ms: o.1,
                latest_ms: o.2,
                example_path: PathBuf::from(&o.3),
                example_row: o.4,
            }),
            ..Default::default()
        };
        fill_graph_figures(&mut report, graph);
        Ok(report)
    }
}

/// The figures of a report that follow from the graph itself.
pub(crate) fn fill_graph_figures(report: &mut LoadReport, graph: &Graph) {
    report.num_nodes = graph.num_nodes();
    report.num_edges = graph.num_edges();
    if let Some(inter) = graph.interactions() {
        report.active_directed_ties = inter.num_active_ties();
        report.channel_records = inter.num_channel_records();
    }
    report.graph_heap_bytes = graph.heap_bytes();
    let directed = graph.csr().num_directed_edges();
    report.bytes_per_directed_tie = if directed == 0 {
        0.0
    } else {
        report.graph_heap_bytes as f64 / directed as f64
    };
}

fn modified_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The source files of a load, as they are now.
fn describe_sources(
    dir: &Path,
    files: &[PathBuf],
    checksums: &Checksums,
) -> Result<Vec<SourceFile>, IoError> {
    let mut out = Vec::with_capacity(files.len() + 1);
    let manifest = DatasetPaths::new(dir).manifest();
    let mut all: Vec<PathBuf> = files.to_vec();
    if manifest.is_file() {
        all.push(manifest);
    }
    for path in &all {
        let meta = std::fs::metadata(path).map_err(|e| IoError::io(path, e))?;
        let key = relative(dir, path);
        out.push(SourceFile {
            sha256: checksums.sha256_of(&key),
            path: key,
            bytes: meta.len(),
            modified_ns: modified_ns(&meta),
        });
    }
    Ok(out)
}

/// What changed since the snapshot was written, if anything: a source file's size,
/// modification time or manifest checksum, a file gone, or a new event part.
fn stale_reason(meta: &Meta, dir: &Path) -> Option<String> {
    let Ok(checksums) = Checksums::open(dir) else {
        return Some("the dataset's manifest.json cannot be read".into());
    };
    for source in &meta.sources {
        let path = dir.join(&source.path);
        let Ok(now) = std::fs::metadata(&path) else {
            return Some(format!("{} is gone", path.display()));
        };
        if now.len() != source.bytes {
            return Some(format!(
                "{} changed size ({} -> {} bytes)",
                path.display(),
                source.bytes,
                now.len()
            ));
        }
        if modified_ns(&now) != source.modified_ns {
            return Some(format!("{} was modified", path.display()));
        }
        if source.sha256.is_some() && checksums.sha256_of(&source.path) != source.sha256 {
            return Some(format!(
                "the checksum of {} in manifest.json changed",
                path.display()
            ));
        }
    }
    // A new event part (or persons file) changes the graph too.
    let paths = DatasetPaths::new(dir);
    let mut inputs = crate::load::list_parts(&paths.events_dir()).unwrap_or_default();
    if paths.persons().is_file() {
        inputs.push(paths.persons());
    }
    for path in inputs {
        let key = relative(dir, &path);
        if !meta.sources.iter().any(|s| s.path == key) {
            return Some(format!("{} is new", path.display()));
        }
    }
    None
}

/// What [`write_snapshot`] wrote.
#[derive(Debug, Clone)]
pub struct SnapshotSummary {
    /// The file written.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// The report of the load.
    pub report: LoadReport,
}

/// Loads the dataset in `dir` with `opts` and writes its snapshot to `out` (default
/// `dir/`[`SNAPSHOT_FILE`]) atomically.
///
/// # Errors
/// Every error of [`load_graph`]; [`IoError::Io`] when writing fails.
pub fn write_snapshot(
    dir: &Path,
    opts: &LoadOptions,
    out: Option<&Path>,
) -> Result<SnapshotSummary, IoError> {
    let checksums = Checksums::open(dir)?;
    let (graph, report) = load_graph(dir, opts)?;
    let sources = describe_sources(dir, &report.files_read, &checksums)?;
    let target = out.map_or_else(|| dir.join(SNAPSHOT_FILE), Path::to_owned);
    let meta = Meta {
        tierank_version: env!("CARGO_PKG_VERSION").to_owned(),
        dataset_dir: dir.to_string_lossy().into_owned(),
        options: SnapshotOptions::from(opts),
        sources,
        files_read: report.files_read.iter().map(|f| relative(dir, f)).collect(),
        report: ReportRecord::new(&report, dir),
        sections: Vec::new(),
        checkpoint: None,
    };
    let bytes = write_graph(&target, &graph, meta)?;
    log::info!("wrote snapshot {} ({bytes} bytes)", target.display());
    Ok(SnapshotSummary {
        path: target,
        bytes,
        report,
    })
}

/// Bytes of one checksum block. Each section is cut into blocks of whole records of at most
/// this size; each block is hashed on its own, so that an open reads and checks blocks on
/// every thread, and the header's checksum hashes the metadata block followed by the
/// blocks' hashes in file order.
const BLOCK_BYTES: usize = 8 << 20;
/// On-disk width of a channel record: the fields of [`ChannelStats`], packed.
const CHANNEL_WIDTH: usize = 23;
const _: () = assert!(std::mem::size_of::<ChannelStats>() == CHANNEL_WIDTH);

fn records_per_block(width: usize) -> usize {
    (BLOCK_BYTES / width.max(1)).max(1)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn u64_at(b: &[u8]) -> u64 {
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// Appends the little-endian bytes of plain numbers (a straight copy on little-endian hosts).
fn put_le<T: bytemuck::Pod>(items: &[T], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(bytemuck::cast_slice(items));
    swap_if_big_endian(&mut out[start..], std::mem::size_of::<T>());
}

/// Little-endian file bytes to native numbers, in place: nothing to do on little-endian
/// hosts.
fn swap_if_big_endian(bytes: &mut [u8], width: usize) {
    if cfg!(target_endian = "big") && width > 1 {
        for rec in bytes.chunks_exact_mut(width) {
            rec.reverse();
        }
    }
}

fn put_channels(items: &[ChannelStats], out: &mut Vec<u8>) {
    for c in items {
        out.extend_from_slice(&{ c.count }.to_le_bytes());
        out.extend_from_slice(&{ c.value_sum }.to_bits().to_le_bytes());
        out.extend_from_slice(&{ c.decayed }.to_bits().to_le_bytes());
        out.extend_from_slice(&{ c.first_s }.to_le_bytes());
        out.extend_from_slice(&{ c.last_s }.to_le_bytes());
        out.extend_from_slice(&{ c.active_days }.to_le_bytes());
        out.push(c.channel);
    }
}

fn get_channels(bytes: &[u8], out: &mut [ChannelStats]) {
    for (b, c) in bytes.chunks_exact(CHANNEL_WIDTH).zip(out) {
        *c = ChannelStats {
            count: u32_at(b, 0),
            value_sum: f32::from_bits(u32_at(b, 4)),
            decayed: f32::from_bits(u32_at(b, 8)),
            first_s: u32_at(b, 12),
            last_s: u32_at(b, 16),
            active_days: u16_at(b, 20),
            channel: b[22],
        };
    }
}

fn block_sum(bytes: &[u8]) -> u64 {
    let mut h = Hash64::new();
    h.update(bytes);
    h.finish()
}

/// The header's checksum: the metadata block, then every block's hash in file order.
fn file_sum(meta_block: &[u8], block_sums: &[u64]) -> u64 {
    let mut h = Hash64::new();
    h.update(meta_block);
    for s in block_sums {
        h.update(&s.to_le_bytes());
    }
    h.finish()
}

/// A 64-bit checksum over a byte stream: four independent multiply-rotate lanes over
/// 8-byte words (fast enough to run at memory speed), folded together at the end. It
/// detects corruption and truncation, not tampering.
#[derive(Debug, Clone)]
pub(crate) struct Hash64 {
    lanes: [u64; 4],
    /// Bytes of an incomplete 32-byte block.
    pending: Vec<u8>,
    len: u64,
}

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;

impl Hash64 {
    pub(crate) fn new() -> Self {
        Self {
            lanes: [P1, P2, !P1, !P2],
            pending: Vec::with_capacity(32),
            len: 0,
        }
    }

    fn block(lanes: &mut [u64; 4], b: &[u8]) {
        for (k, lane) in lanes.iter_mut().enumerate() {
            let w = u64_at(&b[k * 8..k * 8 + 8]);
            *lane = (*lane ^ w.wrapping_mul(P2))
                .rotate_left(31)
                .wrapping_mul(P1);
        }
    }

    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if !self.pending.is_empty() {
            let take = (32 - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() < 32 {
                return;
            }
            let block = std::mem::take(&mut self.pending);
            Self::block(&mut self.lanes, &block);
            self.pending = block;
            self.pending.clear();
        }
        let mut chunks = bytes.chunks_exact(32);
        for c in &mut chunks {
            Self::block(&mut self.lanes, c);
        }
        self.pending.extend_from_slice(chunks.remainder());
    }

    pub(crate) fn finish(&self) -> u64 {
        let mut h = self.len.wrapping_mul(P1);
        for (k, &lane) in self.lanes.iter().enumerate() {
            h = (h ^ lane.rotate_left(k as u32 * 7))
                .wrapping_mul(P2)
                .rotate_left(27);
        }
        for &b in &self.pending {
            h = (h ^ u64::from(b)).wrapping_mul(P1).rotate_left(11);
        }
        h ^ (h >> 29)
    }
}

/// Writes `graph` with `meta` to `target` atomically; returns the file's size.
fn write_graph(target: &Path, graph: &Graph, mut meta: Meta) -> Result<u64, IoError> {
    // The section table needs the metadata's length, which depends on the table's offsets:
    // lay the sections out from a generous fixed metadata allowance instead.
    let mut sections: Vec<(&str, u64, u64)> = vec![
        ("ids", graph.num_nodes() as u64, 8),
        ("csr_offsets", graph.csr().offsets().len() as u64, 8),
        ("csr_targets", graph.csr().targets().len() as u64, 4),
    ];
    if let Some(w) = graph.weights() {
        sections.push(("weights", w.len() as u64, 8));
    }
    let inter = graph.interactions();
    if let Some(i) = inter {
        let p = i.slices();
        sections.push(("node_offsets", p.node_offsets.len() as u64, 8));
        sections.push(("alters", p.alters.len() as u64, 4));
        sections.push(("tie_days", p.tie_days.len() as u64, 2));
        sections.push(("tie_weeks", p.tie_weeks.len() as u64, 2));
        sections.push(("masks", p.masks.len() as u64, 1));
        sections.push(("chan_bases", p.chan_bases.len() as u64, 4));
        sections.push(("channels", p.channels.len() as u64, CHANNEL_WIDTH as u64));
        meta.report.window = Some((i.window().start_ms, i.window().end_ms));
    }
    // Two passes: the first finds the metadata's length with placeholder offsets of the
    // final width (u64::MAX), the second fills them in.
    let layout = |meta_len: u64, meta: &mut Meta| {
        let mut at = HEADER as u64 + meta_len.next_multiple_of(ALIGN);
        meta.sections = sections
            .iter()
            .map(|&(name, count, width)| {
                let s = Section {
                    name: name.to_owned(),
                    offset: at,
                    count,
                    width,
                };
                at = (at + count * width).next_multiple_of(ALIGN);
                s
            })
            .collect();
        at
    };
    let placeholder = u64::MAX / 2;
    layout(placeholder, &mut meta);
    let mut meta_json = serde_json::to_vec(&meta).expect("metadata serialises");
    // Offsets shrink the JSON only; pad to the placeholder length so the second pass agrees.
    let meta_len = meta_json.len() as u64;
    let end = layout(meta_len, &mut meta);
    meta_json = serde_json::to_vec(&meta).expect("metadata serialises");
    meta_json.resize(meta_len as usize, b' ');
    let payload_start = HEADER as u64 + meta_len.next_multiple_of(ALIGN);
    let payload_len = end - payload_start;

    let mut meta_block = meta_json.clone();
    meta_block.resize(meta_len.next_multiple_of(ALIGN) as usize, 0);
    // The checksum needs every payload block: compute it while writing, then patch the
    // header.
    tierank_format::atomic::write_file_atomically::<IoError>(target, |file: &mut File| {
        let io = |e| IoError::io(target, e);
        let offset = |name: &str| {
            meta.sections
                .iter()
                .find(|s| s.name == name)
                .expect("section laid out")
                .offset
        };
        let mut w = SectionWriter {
            w: BufWriter::with_capacity(1 << 20, &mut *file),
            block_sums: Vec::new(),
            at: 0,
            buf: Vec::with_capacity(BLOCK_BYTES),
        };
        w.w.write_all(&[0u8; HEADER]).map_err(io)?;
        w.w.write_all(&meta_block).map_err(io)?;
        w.at = payload_start;
        let node_ids = |v: &[NodeId], out: &mut Vec<u8>| {
            out.extend(v.iter().flat_map(|x| x.0.to_le_bytes()));
        };
        w.section(offset("ids"), graph.ids().persons(), 8, put_le)
            .map_err(io)?;
        w.section(offset("csr_offsets"), graph.csr().offsets(), 8, put_le)
            .map_err(io)?;
        w.section(offset("csr_targets"), graph.csr().targets(), 4, node_ids)
            .map_err(io)?;
        if let Some(wt) = graph.weights() {
            w.section(offset("weights"), wt, 8, put_le).map_err(io)?;
        }
        if let Some(i) = inter {
            let p = i.slices();
            w.section(offset("node_offsets"), p.node_offsets, 8, put_le)
                .map_err(io)?;
            w.section(offset("alters"), p.alters, 4, node_ids)
                .map_err(io)?;
            w.section(offset("tie_days"), p.tie_days, 2, put_le)
                .map_err(io)?;
            w.section(offset("tie_weeks"), p.tie_weeks, 2, put_le)
                .map_err(io)?;
            w.section(offset("masks"), p.masks, 1, put_le).map_err(io)?;
            w.section(offset("chan_bases"), p.chan_bases, 4, put_le)
                .map_err(io)?;
            w.section(offset("channels"), p.channels, CHANNEL_WIDTH, put_channels)
                .map_err(io)?;
        }
        w.pad_to(end).map_err(io)?;
        w.w.flush().map_err(io)?;
        let sum = file_sum(&meta_block, &w.block_sums);
        drop(w);
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        header[16..24].copy_from_slice(&meta_len.to_le_bytes());
        header[24..32].copy_from_slice(&payload_len.to_le_bytes());
        header[32..40].copy_from_slice(&sum.to_le_bytes());
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        Ok(())
    })?;
    Ok(end)
}

/// Writes sections in file order, hashing every block (padding is zero and not hashed: an
/// open checks that it is zero).
struct SectionWriter<W: Write> {
    w: W,
    block_sums: Vec<u64>,
    at: u64,
    buf: Vec<u8>,
}

impl<W: Write> SectionWriter<W> {
    fn pad_to(&mut self, offset: u64) -> std::io::Result<()> {
        let zeros = vec![0u8; (offset - self.at) as usize];
        self.w.write_all(&zeros)?;
        self.at = offset;
        Ok(())
    }

    /// Writes `items` (records of `width` bytes, encoded by `put`) one block at a time.
    fn section<T>(
        &mut self,
        offset: u64,
        items: &[T],
        width: usize,
        put: impl Fn(&[T], &mut Vec<u8>),
    ) -> std::io::Result<()> {
        self.pad_to(offset)?;
        for chunk in items.chunks(records_per_block(width)) {
            self.buf.clear();
            put(chunk, &mut self.buf);
            debug_assert_eq!(self.buf.len(), chunk.len() * width);
            self.block_sums.push(block_sum(&self.buf));
            self.w.write_all(&self.buf)?;
            self.at += self.buf.len() as u64;
        }
        Ok(())
    }
}

/// The dataset directory `data` stands for: `data` itself, or for a snapshot file the
/// directory it was built from (where the truth and group files are).
///
/// # Errors
/// [`IoError::Snapshot`] for a file that is not a readable snapshot.
pub fn dataset_dir(data: &Path) -> Result<PathBuf, IoError> {
    if !data.is_file() {
        return Ok(data.to_owned());
    }
    let mut file = File::open(data).map_err(|e| IoError::io(data, e))?;
    let head = read_head(&mut file, data)?;
    Ok(PathBuf::from(head.meta.dataset_dir))
}

/// The header and metadata of a snapshot, checked for magic, version and length.
struct Head {
    meta: Meta,
    /// The metadata block as read (padding included), for the checksum.
    meta_bytes: Vec<u8>,
    expected_sum: u64,
    file_len: u64,
    payload_start: u64,
}

fn read_head(file: &mut File, path: &Path) -> Result<Head, IoError> {
    let bad = |reason: String| IoError::Snapshot {
        path: path.to_owned(),
        reason,
    };
    let file_len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    let mut header = [0u8; HEADER];
    if file_len < HEADER as u64 {
        return Err(bad(format!(
            "truncated: {file_len} bytes, shorter than the {HEADER}-byte header"
        )));
    }
    file.read_exact(&mut header)
        .map_err(|e| IoError::io(path, e))?;
    if &header[..8] != MAGIC {
        return Err(bad(
            "not a tierank graph snapshot (wrong magic bytes)".into()
        ));
    }
    let version = u32_at(&header, 8);
    if version != SNAPSHOT_VERSION {
        return Err(bad(format!(
            "snapshot format version {version}, but this tierank reads version \
             {SNAPSHOT_VERSION}: rebuild it with `tierank index`"
        )));
    }
    let meta_len = u64_at(&header[16..24]);
    let payload_len = u64_at(&header[24..32]);
    let expected_sum = u64_at(&header[32..40]);
    let meta_block = meta_len.checked_next_multiple_of(ALIGN);
    let expected_len = meta_block
        .and_then(|m| m.checked_add(HEADER as u64))
        .and_then(|m| m.checked_add(payload_len));
    if expected_len != Some(file_len) {
        return Err(bad(format!(
            "truncated or corrupt: the header promises {} bytes, the file has {file_len} \
             (rebuild it with `tierank index`)",
            expected_len.map_or("more than 2^64".to_owned(), |l| l.to_string())
        )));
    }
    let meta_block = meta_block.expect("checked above") as usize;
    let mut meta_bytes = vec![0u8; meta_block];
    file.read_exact(&mut meta_bytes)
        .map_err(|e| IoError::io(path, e))?;
    let meta: Meta = serde_json::from_slice(&meta_bytes[..meta_len as usize])
        .map_err(|e| bad(format!("corrupt metadata: {e}")))?;
    Ok(Head {
        meta,
        meta_bytes,
        expected_sum,
        file_len,
        payload_start: (HEADER + meta_block) as u64,
    })
}

/// Reads a snapshot: the graph, its load report and its metadata.
///
/// Every section is read straight into the array the graph keeps (plain numbers by a
/// byte-for-byte copy, channel records by a fixed-offset decode), in blocks that are read,
/// hashed and decoded on every thread of the caller's pool; then the graph's invariants are
/// checked by sequential passes (see docs/reliability.md for what is checked and why).
fn read_snapshot(path: &Path) -> Result<(Graph, LoadReport, Meta), IoError> {
    let bad = |reason: String| IoError::Snapshot {
        path: path.to_owned(),
        reason,
    };
    let t = Instant::now();
    let mut file = File::open(path).map_err(|e| IoError::io(path, e))?;
    let Head {
        meta,
        meta_bytes,
        expected_sum,
        file_len,
        payload_start,
    } = read_head(&mut file, path)?;
    // Sections must lie in order inside the payload, so that no count can be larger than
    // the file (and allocate more than it holds). The gaps between them are padding.
    let mut at = payload_start;
    let mut gaps = Vec::new();
    for s in &meta.sections {
        let len = s.count.checked_mul(s.width);
        let end = len.and_then(|l| s.offset.checked_add(l));
        match end {
            Some(end) if s.offset >= at && end <= file_len => {
                gaps.push((at, s.offset));
                at = end;
            }
            _ => return Err(bad(format!("corrupt section table at '{}'", s.name))),
        }
    }
    gaps.push((at, file_len));
    let find = |name: &str| meta.sections.iter().find(|s| s.name == name);
    let need = |name: &str| find(name).ok_or_else(|| bad(format!("section '{name}' missing")));
    fn checked<'s>(s: &'s Section, w: usize, path: &Path) -> Result<&'s Section, IoError> {
        if s.width == w as u64 {
            Ok(s)
        } else {
            Err(IoError::Snapshot {
                path: path.to_owned(),
                reason: format!(
                    "section '{}' has {}-byte records, expected {w}",
                    s.name, s.width
                ),
            })
        }
    }
    let count = |s: &Section| s.count as usize; // bounded by the file length above
    let mut ids = vec![0i64; count(need("ids")?)];
    let mut offsets = vec![0u64; count(need("csr_offsets")?)];
    let mut targets = vec![0u32; count(need("csr_targets")?)];
    let mut weights = find("weights").map(|s| vec![0f64; count(s)]);
    struct Inter {
        node_offsets: Vec<u64>,
        alters: Vec<u32>,
        tie_days: Vec<u16>,
        tie_weeks: Vec<u16>,
        masks: Vec<u8>,
        chan_bases: Vec<u32>,
        channels: Vec<ChannelStats>,
    }
    let mut inter = match find("node_offsets") {
        Some(s) => Some(Inter {
            node_offsets: vec![0; count(s)],
            alters: vec![0; count(need("alters")?)],
            tie_days: vec![0; count(need("tie_days")?)],
            tie_weeks: vec![0; count(need("tie_weeks")?)],
            masks: vec![0; count(need("masks")?)],
            chan_bases: vec![0; count(need("chan_bases")?)],
            channels: vec![ChannelStats::default(); count(need("channels")?)],
        }),
        None => None,
    };
    // Every block of every section, in file order.
    let mut jobs: Vec<(u64, Dest<'_>)> = Vec::new();
    fn raw<'a, T: bytemuck::Pod>(jobs: &mut Vec<(u64, Dest<'a>)>, s: &Section, v: &'a mut [T]) {
        let width = std::mem::size_of::<T>();
        let bytes: &'a mut [u8] = bytemuck::cast_slice_mut(v);
        let mut offset = s.offset;
        for block in bytes.chunks_mut(records_per_block(width) * width) {
            let len = block.len() as u64;
            jobs.push((
                offset,
                Dest::Raw {
                    bytes: block,
                    width,
                },
            ));
            offset += len;
        }
    }
    raw(&mut jobs, checked(need("ids")?, 8, path)?, &mut ids);
    raw(
        &mut jobs,
        checked(need("csr_offsets")?, 8, path)?,
        &mut offsets,
    );
    raw(
        &mut jobs,
        checked(need("csr_targets")?, 4, path)?,
        &mut targets,
    );
    if let Some(w) = &mut weights {
        raw(&mut jobs, checked(need("weights")?, 8, path)?, w);
    }
    if let Some(i) = &mut inter {
        raw(
            &mut jobs,
            checked(need("node_offsets")?, 8, path)?,
            &mut i.node_offsets,
        );
        raw(&mut jobs, checked(need("alters")?, 4, path)?, &mut i.alters);
        raw(
            &mut jobs,
            checked(need("tie_days")?, 2, path)?,
            &mut i.tie_days,
        );
        raw(
            &mut jobs,
            checked(need("tie_weeks")?, 2, path)?,
            &mut i.tie_weeks,
        );
        raw(&mut jobs, checked(need("masks")?, 1, path)?, &mut i.masks);
        raw(
            &mut jobs,
            checked(need("chan_bases")?, 4, path)?,
            &mut i.chan_bases,
        );
        let s = checked(need("channels")?, CHANNEL_WIDTH, path)?;
        let mut offset = s.offset;
        for block in i.channels.chunks_mut(records_per_block(CHANNEL_WIDTH)) {
            let len = (block.len() * CHANNEL_WIDTH) as u64;
            jobs.push((offset, Dest::Channels(block)));
            offset += len;
        }
    }
    jobs.sort_by_key(|j| j.0);
    let io = |e| IoError::io(path, e);
    let file = &file;
    let block_sums: Vec<u64> = jobs
        .into_par_iter()
        .map_init(
            Vec::new,
            |scratch: &mut Vec<u8>, (offset, dest): (u64, Dest<'_>)| -> Result<u64, IoError> {
                Ok(match dest {
                    Dest::Raw { bytes, width } => {
                        read_at(file, bytes, offset).map_err(io)?;
                        let sum = block_sum(bytes);
                        swap_if_big_endian(bytes, width);
                        sum
                    }
                    // On little-endian hosts a record's bytes are the packed struct's
                    // (`ChannelStats` is `Pod`, 23 bytes): read in place, no second copy.
                    Dest::Channels(recs) if cfg!(target_endian = "little") => {
                        let bytes: &mut [u8] = bytemuck::cast_slice_mut(recs);
                        read_at(file, bytes, offset).map_err(io)?;
                        block_sum(bytes)
                    }
                    Dest::Channels(recs) => {
                        scratch.resize(recs.len() * CHANNEL_WIDTH, 0);
                        read_at(file, scratch, offset).map_err(io)?;
                        get_channels(scratch, recs);
                        block_sum(scratch)
                    }
                })
            },
        )
        .collect::<Result<_, IoError>>()?;
    for (from, to) in gaps {
        let mut pad = vec![0u8; usize::try_from(to - from).unwrap_or(usize::MAX)];
        read_at(file, &mut pad, from).map_err(io)?;
        if pad.iter().any(|&b| b != 0) {
            return Err(bad(
                "corrupt: non-zero bytes between sections (rebuild it with `tierank index`)".into(),
            ));
        }
    }
    if file_sum(&meta_bytes, &block_sums) != expected_sum {
        return Err(bad(
            "corrupt: the checksum does not match the contents (rebuild it with `tierank \
             index`)"
                .into(),
        ));
    }
    let read_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let graph_err = |e: tierank_graph::GraphError| bad(format!("inconsistent graph: {e}"));
    let ids = IdMap::from_sorted(ids).map_err(graph_err)?;
    // Same size and alignment: collected in place, without a second buffer.
    let targets: Vec<NodeId> = targets.into_iter().map(NodeId).collect();
    let csr = Csr::try_from_parts(offsets, targets).map_err(graph_err)?;
    let interactions = match inter {
        Some(i) => {
            let (start_ms, end_ms) = meta
                .report
                .window
                .ok_or_else(|| bad("interactions without a window".into()))?;
            Some(
                Interactions::try_from_parts(
                    ids.len(),
                    InteractionParts {
                        window: TimeWindow { start_ms, end_ms },
                        half_life_ms: meta.options.half_life_ms,
                        node_offsets: i.node_offsets,
                        alters: i.alters.into_iter().map(NodeId).collect(),
                        tie_days: i.tie_days,
                        tie_weeks: i.tie_weeks,
                        masks: i.masks,
                        chan_bases: i.chan_bases,
                        channels: i.channels,
                    },
                )
                .map_err(graph_err)?,
            )
        }
        None => None,
    };
    let graph = Graph::try_new(ids, csr, weights, interactions).map_err(graph_err)?;
    log::debug!(
        "snapshot {}: read and checksummed in {read_seconds:.3} s, invariants checked in {:.3} s",
        path.display(),
        t.elapsed().as_secs_f64()
    );
    let report = meta.report.report(&graph).map_err(bad)?;
    Ok((graph, report, meta))
}

/// Reads exactly `buf.len()` bytes at `offset` without moving a shared cursor, so that
/// threads read blocks of one file at once.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// Where one block of a section goes.
enum Dest<'a> {
    /// Plain little-endian numbers of `width` bytes, copied as they are.
    Raw { bytes: &'a mut [u8], width: usize },
    /// Channel records, decoded from [`CHANNEL_WIDTH`]-byte records.
    Channels(&'a mut [ChannelStats]),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::WindowSpec;

    #[test]
    fn hash_does_not_depend_on_chunking() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut whole = Hash64::new();
        whole.update(&data);
        for split in [1, 5, 31, 32, 33, 500] {
            let mut parts = Hash64::new();
            for c in data.chunks(split) {
                parts.update(c);
            }
            assert_eq!(parts.finish(), whole.finish(), "split {split}");
        }
        let mut flipped = data.clone();
        flipped[517] ^= 1;
        let mut other = Hash64::new();
        other.update(&flipped);
        assert_ne!(other.finish(), whole.finish());
    }

    #[test]
    fn options_describe_the_window_sides() {
        let o = SnapshotOptions::from(&LoadOptions {
            window: WindowSpec {
                start_ms: Some(5),
                end_ms: None,
            },
            ..Default::default()
        });
        assert!(o.describe().contains("window start 5"));
        assert!(o.describe().contains("window end from the data"));
    }
}

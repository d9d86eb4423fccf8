//! Checkpoints of the partitioned load (`--checkpoint DIR`).
//!
//! The load is the expensive part of a partitioned run: reading every share, the window,
//! the exchange of every tie and event to its owner, and the fold (on `large` at two
//! processes, most of the run). timely has no fault tolerance, so a run that fails later
//! (a process killed while ranking, a machine lost) is restarted whole; with a checkpoint
//! the restart skips the load. After its load each worker writes its graph (its people's
//! friendships with both directions' folded features) to `DIR/worker-W-of-N.snap` in the
//! snapshot layout, with the dataset's source files, the loader options and what the run
//! needs beside the graph (the window and where it came from, the events left outside it,
//! the load's counts). A later run with the same `--checkpoint DIR` resumes from the files
//! when every worker's serves it: same worker count, dataset directory, input files
//! (size, modification time, manifest checksum), loader options and tierank version.
//! Otherwise every worker loads the dataset again and rewrites its file. The rows are the
//! same either way: the graph is the one the load built, array for array.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tierank_graph::TimeWindow;
use tierank_io::WindowSource;
use tierank_io::snapshot::{read_checkpoint, write_checkpoint};

use crate::bsp::Bsp;
use crate::partition::{
    Failure, Home, PartitionedRank, PartitionedReport, check_window, load_and_fold,
};

/// The version of [`Tag`]; a checkpoint of another is not resumed from.
const TAG_FORMAT: u32 = 1;

/// What a worker's checkpoint records beside its graph: its place in the run, and the
/// figures of the load that the rows' metadata, the audit and the log repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Tag {
    format: u32,
    worker: usize,
    workers: usize,
    /// The event window, `(start_ms, end_ms)`, and where its default sides came from.
    window: Option<(i64, i64, String)>,
    events_outside: u64,
    tie_rows_read: u64,
    person_rows_read: u64,
    event_rows_read: u64,
    ties_held: u64,
    events_held: u64,
    event_ranges: u64,
    events_spilled_bytes: u64,
}

impl Tag {
    fn of(me: usize, peers: usize, report: &PartitionedReport) -> Self {
        Self {
            format: TAG_FORMAT,
            worker: me,
            workers: peers,
            window: report
                .window
                .map(|(w, s)| (w.start_ms, w.end_ms, s.as_str().to_owned())),
            events_outside: report.events_outside,
            tie_rows_read: report.tie_rows_read,
            person_rows_read: report.person_rows_read,
            event_rows_read: report.event_rows_read,
            ties_held: report.ties_held,
            events_held: report.events_held,
            event_ranges: report.event_ranges,
            events_spilled_bytes: report.events_spilled_bytes,
        }
    }

    /// The window as the load gave it.
    fn window(&self) -> Result<Option<(TimeWindow, WindowSource)>, String> {
        let Some((start_ms, end_ms, source)) = &self.window else {
            return Ok(None);
        };
        let source = match source.as_str() {
            "given" => WindowSource::Given,
            "manifest" => WindowSource::Manifest,
            "estimated" => WindowSource::Estimated,
            other => return Err(format!("an unknown window source {other:?}")),
        };
        let window = TimeWindow {
            start_ms: *start_ms,
            end_ms: *end_ms,
        };
        Ok(Some((window, source)))
    }

    /// Puts the load's figures back into `report`.
    fn restore(&self, report: &mut PartitionedReport) -> Result<(), String> {
        report.window = self.window()?;
        report.events_outside = self.events_outside;
        report.tie_rows_read = self.tie_rows_read;
        report.person_rows_read = self.person_rows_read;
        report.event_rows_read = self.event_rows_read;
        report.ties_held = self.ties_held;
        report.events_held = self.events_held;
        report.event_ranges = self.event_ranges;
        report.events_spilled_bytes = self.events_spilled_bytes;
        Ok(())
    }
}

/// The checkpoint file of worker `me` of `peers` in `dir`.
pub fn checkpoint_path(dir: &Path, me: usize, peers: usize) -> PathBuf {
    dir.join(format!("worker-{me}-of-{peers}.snap"))
}

/// The input files a worker's share is read from (all of them: each file's row groups are
/// split between the workers), in the order the manifest check lists them.
fn input_files(run: &PartitionedRank) -> Vec<PathBuf> {
    let paths = tierank_format::layout::DatasetPaths::new(&run.shape.dir);
    let mut files = vec![paths.ties()];
    if run.shape.has_persons {
        files.push(paths.persons());
    }
    files.extend(run.shape.parts.iter().cloned());
    files
}

/// This worker's checkpoint, when it serves this run.
fn resume(
    dir: &Path,
    me: usize,
    peers: usize,
    run: &PartitionedRank,
) -> Result<(tierank_graph::Graph, Tag), String> {
    let path = checkpoint_path(dir, me, peers);
    let (graph, tag) = read_checkpoint(&path, &run.shape.dir, &input_files(run), &run.load)?;
    let tag: Tag = serde_json::from_value(tag)
        .map_err(|e| format!("{}: its record cannot be read: {e}", path.display()))?;
    if tag.format != TAG_FORMAT || tag.worker != me || tag.workers != peers {
        return Err(format!(
            "{} is of worker {} of {} (record format {})",
            path.display(),
            tag.worker,
            tag.workers,
            tag.format
        ));
    }
    let window = tag.window()?.map(|(w, _)| w);
    if graph.interactions().map(|i| i.window()) != window {
        return Err(format!(
            "{}: its graph's window differs from its record's",
            path.display()
        ));
    }
    Ok((graph, tag))
}

/// The partitioned load, or its checkpoint: without `run.checkpoint`, [`load_and_fold`].
/// With it, every worker resumes from its file when all of them can; else all load (every
/// worker makes the same rounds either way) and each writes its file. A file that cannot be
/// written is logged and the run goes on: the rows do not depend on it.
pub(crate) fn load_or_resume(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    run: &PartitionedRank,
    report: &mut PartitionedReport,
) -> Result<(Home, Option<TimeWindow>), Failure> {
    let Some(dir) = &run.checkpoint else {
        return load_and_fold(worker, bsp, run, report);
    };
    let (me, peers) = (worker.index(), worker.peers());
    let t = Instant::now();
    let resumed = resume(dir, me, peers, run);
    let serving = bsp.sum(worker, u64::from(resumed.is_ok()));
    if serving == peers as u64 {
        let (graph, tag) = resumed.expect("every worker's checkpoint serves");
        // A record this binary wrote and just read back: the window source is one of ours.
        tag.restore(report).map_err(Failure::Other)?;
        let window = report.window.map(|(w, _)| w);
        check_window(worker, bsp, run, window)?;
        report.phases.read = t.elapsed();
        report.resumed = true;
        log::info!(
            "worker {me}: resumed from the checkpoint {} in {:.2}s ({} friendships, {} \
             channel records): the load is skipped",
            checkpoint_path(dir, me, peers).display(),
            report.phases.read.as_secs_f64(),
            graph.num_edges(),
            graph.interactions().map_or(0, |i| i.num_channel_records())
        );
        return Ok((Home::new(graph, me, peers), window));
    }
    match &resumed {
        Ok(_) => log::info!(
            "worker {me}: its checkpoint serves, but {} of {peers} workers' do not: loading \
             the dataset",
            peers as u64 - serving
        ),
        Err(reason) => {
            log::info!("worker {me}: no checkpoint to resume from ({reason}): loading the dataset")
        }
    }
    drop(resumed);
    let (home, window) = load_and_fold(worker, bsp, run, report)?;
    let path = checkpoint_path(dir, me, peers);
    let t = Instant::now();
    let tag = serde_json::to_value(Tag::of(me, peers, report)).expect("the record serialises");
    let written = std::fs::create_dir_all(dir)
        .map_err(|e| format!("creating {}: {e}", dir.display()))
        .and_then(|()| {
            write_checkpoint(
                &path,
                &home.graph,
                &run.shape.dir,
                &input_files(run),
                &run.load,
                tag,
            )
            .map_err(|e| e.to_string())
        });
    match written {
        Ok(bytes) => log::info!(
            "worker {me}: wrote the checkpoint {} ({bytes} bytes) in {:.2}s",
            path.display(),
            t.elapsed().as_secs_f64()
        ),
        Err(e) => log::warn!(
            "worker {me}: no checkpoint written ({e}); the run goes on, a restart will load \
             the dataset again"
        ),
    }
    Ok((home, window))
}

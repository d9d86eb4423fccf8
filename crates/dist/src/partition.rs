//! The partitioned load, and ranking in two-hop waves: no process reads or holds the whole
//! dataset.
//!
//! Per worker `w` of `T` (see docs/distributed.md, "The partitioned load"):
//! 1. **read**: its share of every file's rows ([`tierank_io::share::read_share`]), checked
//!    as the single-process loader checks them, and its files' checksums
//!    ([`tierank_io::share::check_share_checksums`]);
//! 2. **window**: every worker's events per day to every worker, and the window chosen from
//!    their sum exactly as the single-process load chooses it;
//! 3. **exchange**: each tie row to the owners ([`owner_of`]) of both its people and each
//!    `persons.parquet` row to its person's owner; each worker builds its friendships
//!    ([`tierank_io::share::friendship_graph`], the loader's CSR build). Then each event
//!    inside the window goes to the owner of its sender only, which takes it as it arrives
//!    ([`Bsp::set_event_sink`], [`EventHold`]: 24 bytes per event between friends, the record
//!    freed at once). Each event is held once in the whole cluster;
//! 4. **fold**: each worker folds its held events once (the loader's per-tie fold) and sends
//!    every direction whose receiver another worker owns to that owner, folded
//!    ([`for_each_direction`], [`with_directions`]): every friendship incident to a person it
//!    owns then has its weight and both directions' features. Under `--strict` it counts
//!    what the single-process load refuses (`strict_tie_refusals` before the events,
//!    `strict_event_refusals` as they arrive);
//! 5. **targets**: listed ones are checked by their owners; a sample is chosen from every
//!    worker's candidates (the same keys as the single-process sample) by worker 0;
//! 6. **waves**: each worker takes its targets in waves whose ball stays within the memory
//!    budget, counted exactly before any wave is fetched (one round asks the owner of each
//!    distinct friend of its targets for the size of that friend's folded friendships;
//!    [`plan_waves`]); for a wave it asks the owners of the targets' friends for their
//!    friendships, folded ([`tierank_io::share::folded_ties_of`]: weight and both
//!    directions' features), assembles the wave's *ball* from them with
//!    [`tierank_io::share::graph_from_folded`] (no second fold) and ranks the targets on it
//!    with the unchanged [`rank_targets`]. Every kernel but `ppr` reads only the target's ties, its friends'
//!    friend lists and degrees, and the weights and interactions (both directions) of ties
//!    touching the target or a friend, which the ball holds completely; node ids follow
//!    person ids in the ball as in the whole graph, so tie-breaks agree and the rows are
//!    the single-process rows bit for bit;
//! 7. **gather**: rows to worker 0, sorted into single-process order.
//!
//! Errors (a bad row in any worker's share, an unknown target) are agreed on by all workers
//! ([`Bsp::agree`]) so that every process stops with the same message.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tierank_graph::{Graph, NodeId, TimeWindow};
use tierank_heuristics::rank::{RankOptions, rank_targets, sample_key};
use tierank_heuristics::{Heuristic, HeuristicConfig};
use tierank_io::LoadOptions;
use tierank_io::WindowSource;
use tierank_io::share::{
    Arrival, DatasetShape, EventHold, EventRecord, FoldedTie, check_share_checksums, choose_window,
    folded_size_of, folded_ties_of, for_each_direction, for_each_share_event, friendship_graph,
    graph_from_folded, read_share, with_directions,
};

use crate::bsp::{Bsp, Inbox, Msg, Traffic};
use crate::checkpoint::load_or_resume;
use crate::cluster::{ClusterSpec, DistError, owner_of};
use crate::failure::{ConnectWatchdog, install_exit_on_panic};
use crate::ppr::{DEFAULT_PUSH_BATCH, OwnedAdjacency, PushParams, push_partitioned, top_k_pushed};
use crate::rank::{EVENTS_BUDGET_ENV, HOLD_ENV, WireRow};

/// Default memory budget of one wave's ball, per worker: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 256 << 20;

/// Bytes a ball is charged per folded friendship it is assembled from (the record, its two
/// CSR slots and weights, the wave's bookkeeping). With [`BALL_CHANNEL_BYTES`], the unit in
/// which `--memory-budget` is planned and the assembled balls are counted (`ball_bytes`).
const BALL_TIE_BYTES: u64 = 96;
/// Bytes a ball is charged per (directed tie, channel) record (the wire record and its
/// place in the ball's interaction arrays).
const BALL_CHANNEL_BYTES: u64 = 48;

/// Which targets to rank.
#[derive(Debug, Clone)]
pub enum TargetSpec {
    /// These people, in this order (a `--targets` file, already read and free of repeats).
    Listed(Vec<i64>),
    /// `n` people with at least one friend, chosen reproducibly from `seed` (`--sample`).
    Sample {
        /// How many.
        n: usize,
        /// The seed.
        seed: u64,
    },
}

/// A check that needs the event window of the run (an artefact's recorded settings, such as
/// `rank --model`'s): run by worker 0 once the workers agree on the window (`None` for a
/// dataset without events); its error stops every process as bad input.
pub struct WindowCheck(pub Box<dyn Fn(Option<TimeWindow>) -> Result<(), String> + Send + Sync>);

impl std::fmt::Debug for WindowCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WindowCheck")
    }
}

/// A partitioned ranking: what to read and what to rank.
#[derive(Debug)]
pub struct PartitionedRank {
    /// The dataset (its files' footers, read on every process).
    pub shape: DatasetShape,
    /// Half-life and event window.
    pub load: LoadOptions,
    /// The heuristics, in column order. `ppr` among them runs as the distributed push
    /// ([`crate::ppr`]) on the worker's graph; every other one on the wave balls.
    pub heuristics: Vec<Box<dyn Heuristic>>,
    /// Their configuration: the pair weights and α, ε of the distributed push.
    pub config: HeuristicConfig,
    /// The targets.
    pub targets: TargetSpec,
    /// Friends kept per target and heuristic.
    pub k: usize,
    /// Memory budget of one wave per worker, in bytes.
    pub memory_budget: u64,
    /// Checks to run once the event window is known.
    pub window_check: Option<WindowCheck>,
    /// Where each worker keeps a checkpoint of its load, and resumes from it when it
    /// serves (`--checkpoint`; [`crate::checkpoint`]).
    pub checkpoint: Option<PathBuf>,
}

/// Wall time per phase (for a process: the slowest of its workers).
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Until every peer connected.
    pub connect: Duration,
    /// Reading and checking the share.
    pub read: Duration,
    /// Choosing the window (day counts all-reduced).
    pub window: Duration,
    /// Records to their owners.
    pub exchange: Duration,
    /// Folding the held events per directed tie, once, and the folded directions to the
    /// owners of their receivers.
    pub fold: Duration,
    /// Choosing the targets.
    pub targets: Duration,
    /// Wave requests and replies.
    pub wave_exchange: Duration,
    /// Building the balls.
    pub build: Duration,
    /// Ranking on the balls.
    pub rank: Duration,
    /// Rows to worker 0.
    pub gather: Duration,
}

impl Phases {
    fn max(&mut self, o: &Phases) {
        let m = |a: &mut Duration, b: Duration| *a = (*a).max(b);
        m(&mut self.connect, o.connect);
        m(&mut self.read, o.read);
        m(&mut self.window, o.window);
        m(&mut self.exchange, o.exchange);
        m(&mut self.fold, o.fold);
        m(&mut self.targets, o.targets);
        m(&mut self.wave_exchange, o.wave_exchange);
        m(&mut self.build, o.build);
        m(&mut self.rank, o.rank);
        m(&mut self.gather, o.gather);
    }
}

/// What one process did in a partitioned ranking.
#[derive(Debug, Clone, Default)]
pub struct PartitionedReport {
    /// Rows of `ties.parquet` this process's workers read.
    pub tie_rows_read: u64,
    /// Rows of `persons.parquet` this process's workers read.
    pub person_rows_read: u64,
    /// Rows of the event parts this process's workers read.
    pub event_rows_read: u64,
    /// Tie records held after the exchange (incident to an owned person).
    pub ties_held: u64,
    /// Event records received in the exchange: each event inside the window is sent to one
    /// worker only (the owner of its sender), so over the cluster this is at most the
    /// number of events.
    pub events_held: u64,
    /// Sender ranges the held events were folded in, one after another (the most of any
    /// worker; 1 when they fit the events budget, see [`EVENTS_BUDGET_ENV`]).
    pub event_ranges: u64,
    /// Bytes of held events written to spill files (beyond the budget).
    pub events_spilled_bytes: u64,
    /// Targets ranked here.
    pub targets_here: u64,
    /// Rows ranked here.
    pub rows_here: u64,
    /// Waves (the most of any worker of the cluster).
    pub waves: u64,
    /// Largest ball of any worker here, in ball bytes (`BALL_TIE_BYTES` per folded
    /// friendship it was assembled from, `BALL_CHANNEL_BYTES` per channel record).
    pub peak_ball_bytes: u64,
    /// Largest ball of any worker here as planned, before the wave's replies arrived: equal
    /// to [`PartitionedReport::peak_ball_bytes`] (the plan counts exactly).
    pub peak_planned_ball_bytes: u64,
    /// Largest ball of a wave of more than one target: within `--memory-budget`.
    pub peak_shared_ball_bytes: u64,
    /// Targets whose ball alone exceeds `--memory-budget` (each ranked in a wave of its own).
    pub lone_targets_over_budget: u64,
    /// Phases.
    pub phases: Phases,
    /// Bytes sent to other processes.
    pub traffic: Traffic,
    /// Heuristic thread time summed over this process's workers.
    pub heuristic_time: Vec<(String, Duration)>,
    /// The event window and where it came from, when the dataset has events.
    pub window: Option<(TimeWindow, WindowSource)>,
    /// Events of the whole dataset outside the window, left out.
    pub events_outside: u64,
    /// Whether the load was skipped: every worker resumed from its checkpoint (the load's
    /// figures above are then those the checkpoint recorded).
    pub resumed: bool,
    /// Every row in single-process order; only on process 0.
    pub rows: Vec<WireRow>,
}

/// A [`PartitionedRank`] with `ppr` taken out of the heuristics that run on the wave
/// balls: a ball holds two hops around its targets, and the push walks further.
struct Columns {
    run: PartitionedRank,
    /// The column of each heuristic left in `run.heuristics`.
    ball_columns: Vec<u8>,
    /// The column of `ppr`, when it was asked for.
    ppr_column: Option<u8>,
    /// Every column's heuristic name, in column order.
    names: Vec<String>,
    /// α, ε and wave size of the distributed push.
    push: PushParams,
}

impl Columns {
    fn split(mut run: PartitionedRank, push: PushParams) -> Self {
        let names: Vec<String> = run.heuristics.iter().map(|h| h.name().to_owned()).collect();
        let column = |i: usize| u8::try_from(i).expect("at most 256 heuristics");
        let ppr = run.heuristics.iter().position(|h| h.name() == "ppr");
        if let Some(i) = ppr {
            run.heuristics.remove(i);
        }
        let ball_columns = (0..names.len())
            .filter(|&i| Some(i) != ppr)
            .map(column)
            .collect();
        Self {
            run,
            ball_columns,
            ppr_column: ppr.map(column),
            names,
            push,
        }
    }
}

/// How a worker failed: bad input (the same on every worker, exit 2) or not.
pub(crate) enum Failure {
    Input(String),
    Other(String),
}

/// Runs a partitioned ranking on this process's workers.
///
/// # Errors
/// [`DistError::Input`] for bad input found by any worker (every process reports the same
/// one); [`DistError::Start`], [`DistError::Worker`] otherwise.
pub fn rank_partitioned_load(
    spec: &ClusterSpec,
    run: PartitionedRank,
) -> Result<PartitionedReport, DistError> {
    let push = PushParams::new(&run.config, DEFAULT_PUSH_BATCH)
        .map_err(|e| DistError::Input(e.to_string()))?;
    let run = Columns::split(run, push);
    let reports = run_workers(spec, move |worker, bsp, connect| {
        work(worker, bsp, &run, connect)
    })?;
    Ok(merge_reports(reports))
}

/// Runs `job` on every worker of this process inside timely (the panic hook, the connect
/// watchdog and the fault-drill hold armed), and returns each worker's result. An input
/// failure is agreed on by every worker ([`Bsp::agree`]) and comes back as
/// [`DistError::Input`]; any other failure ends the process (its peers then lose it).
pub(crate) fn run_workers<R: Send + 'static>(
    spec: &ClusterSpec,
    job: impl Fn(&mut timely::worker::Worker, &mut Bsp, Duration) -> Result<R, Failure>
    + Send
    + Sync
    + 'static,
) -> Result<Vec<R>, DistError> {
    install_exit_on_panic(spec.process);
    let watchdog = Arc::new(ConnectWatchdog::arm(
        spec.process,
        spec.addresses.clone(),
        spec.connect_timeout,
    ));
    let started = Instant::now();
    let workers_per_process = spec.workers;
    let reports: Arc<Mutex<Vec<R>>> = Arc::default();
    let sink = Arc::clone(&reports);
    let hold_ms = std::env::var(HOLD_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    let guards = timely::execute(spec.timely_config(), move |worker| {
        watchdog.connected();
        let connect = started.elapsed();
        let index = worker.index();
        if index % workers_per_process == 0 {
            log::info!(
                "process {}: all {} processes connected",
                index / workers_per_process,
                worker.peers() / workers_per_process
            );
        }
        if let Some(ms) = hold_ms {
            // A fault drill: time to kill a process after everyone connected.
            std::thread::sleep(Duration::from_millis(ms));
        }
        let mut bsp = Bsp::new(worker, workers_per_process);
        let result = job(worker, &mut bsp, connect);
        let report = match result {
            Ok(r) => r,
            Err(Failure::Input(e)) => return Err((true, e)),
            // Not agreed on: the other workers would wait for this one's next round, so
            // end the process (the panic hook exits with status 1; its peers then lose it).
            Err(Failure::Other(e)) => panic!("{e}"),
        };
        sink.lock()
            .map_err(|_| (false, "a worker panicked".to_owned()))?
            .push(report);
        Ok(())
    })
    .map_err(DistError::Start)?;
    let mut first: Option<(bool, String)> = None;
    for result in guards.join() {
        match result {
            Err(e) => first = first.or(Some((false, e))),
            Ok(Err(e)) => first = first.or(Some(e)),
            Ok(Ok(())) => {}
        }
    }
    if let Some((input, e)) = first {
        return Err(if input {
            DistError::Input(e)
        } else {
            DistError::Worker(e)
        });
    }
    let reports = std::mem::take(
        &mut *reports
            .lock()
            .map_err(|_| DistError::Worker("a worker panicked".into()))?,
    );
    Ok(reports)
}

/// One process's report from its workers' (sums, or the slowest phase).
pub(crate) fn merge_reports(reports: Vec<PartitionedReport>) -> PartitionedReport {
    let mut out = PartitionedReport::default();
    for r in reports {
        out.tie_rows_read += r.tie_rows_read;
        out.person_rows_read += r.person_rows_read;
        out.event_rows_read += r.event_rows_read;
        out.ties_held += r.ties_held;
        out.events_held += r.events_held;
        out.event_ranges = out.event_ranges.max(r.event_ranges);
        out.events_spilled_bytes += r.events_spilled_bytes;
        out.targets_here += r.targets_here;
        out.rows_here += r.rows_here;
        out.waves = out.waves.max(r.waves);
        out.peak_ball_bytes = out.peak_ball_bytes.max(r.peak_ball_bytes);
        out.peak_planned_ball_bytes = out.peak_planned_ball_bytes.max(r.peak_planned_ball_bytes);
        out.peak_shared_ball_bytes = out.peak_shared_ball_bytes.max(r.peak_shared_ball_bytes);
        out.lone_targets_over_budget += r.lone_targets_over_budget;
        out.phases.max(&r.phases);
        out.traffic.ties += r.traffic.ties;
        out.traffic.events += r.traffic.events;
        out.traffic.control += r.traffic.control;
        out.traffic.rows += r.traffic.rows;
        out.traffic.folded += r.traffic.folded;
        out.traffic.directions += r.traffic.directions;
        if out.heuristic_time.is_empty() {
            out.heuristic_time = r.heuristic_time;
        } else {
            for (sum, (_, t)) in out.heuristic_time.iter_mut().zip(r.heuristic_time) {
                sum.1 += t;
            }
        }
        out.window = out.window.or(r.window);
        out.events_outside = out.events_outside.max(r.events_outside);
        out.resumed |= r.resumed;
        if !r.rows.is_empty() {
            out.rows = r.rows;
        }
    }
    out
}

/// What one worker holds after the exchange and the fold: the graph of every tie incident to
/// a person it owns, with both directions' features of each (the directions its people
/// sent folded here, the others received folded from their senders' owners), so each owned
/// person's friend list, tie weights and both directions of their ties' features are
/// complete (what a wave's reply and the distributed push's pair weights need).
pub(crate) struct Home {
    pub(crate) graph: Graph,
    me: usize,
    peers: usize,
}

impl Home {
    pub(crate) fn new(graph: Graph, me: usize, peers: usize) -> Self {
        Self { graph, me, peers }
    }
    /// The friends of an owned person, in ascending id order (self-loops are not
    /// friendships).
    pub(crate) fn friends(&self, p: i64) -> Vec<i64> {
        self.graph.dense(p).map_or_else(Vec::new, |u| {
            self.graph
                .neighbors(u)
                .iter()
                .map(|&v| self.graph.person(v))
                .collect()
        })
    }
    /// Whether an owned person is in the dataset (in a tie or in `persons.parquet`).
    pub(crate) fn is_known(&self, p: i64) -> bool {
        self.graph.dense(p).is_some()
    }
    /// Every owned person (from ties or persons rows), sorted, distinct.
    fn owned_people(&self) -> Vec<i64> {
        self.graph
            .ids()
            .persons()
            .iter()
            .copied()
            .filter(|&p| owner_of(p, self.peers) == self.me)
            .collect()
    }
}

/// What a worker does with each event as it arrives (at the owner of its sender): holds it
/// for the fold ([`EventHold`]), and under `--strict` counts the ones the single-process
/// load refuses (to oneself, or between known people who are not friends). The sender's
/// owner knows whether the sender is known and the receiver a friend; when the receiver has
/// another owner, that owner is asked whether the receiver is known (`asks`).
struct Arrivals {
    hold: EventHold,
    strict: bool,
    me: usize,
    peers: usize,
    /// Refusable events found here, and the smallest [`event_key`] among them.
    refused: u64,
    first_refused: u64,
    /// `(receiver's owner, Msg::NonFriend)` for the receivers owned elsewhere.
    asks: Vec<(usize, Msg)>,
}

impl Arrivals {
    fn take(&mut self, graph: &Graph, e: &EventRecord) {
        let refuse = |a: &mut Self| {
            a.refused += 1;
            a.first_refused = a.first_refused.min(event_key(e.part, e.row));
        };
        match self.hold.add(graph, e) {
            Arrival::Held | Arrival::Outside | Arrival::UnknownSender => {}
            Arrival::ToSelf if self.strict => refuse(self),
            Arrival::ToSelf => {}
            Arrival::NotFriend { receiver_known } if self.strict => {
                let to = owner_of(e.dst, self.peers);
                if to == self.me {
                    if receiver_known {
                        refuse(self);
                    }
                } else {
                    self.asks.push((to, Msg::NonFriend(e.part, e.row, e.dst)));
                }
            }
            Arrival::NotFriend { .. } => {}
        }
    }
}

/// A sort key of an event row: (part, row) in one number (rows below 2^40 per part).
fn event_key(part: u32, row: u64) -> u64 {
    u64::from(part) << 40 | row.min((1 << 40) - 1)
}

/// `--strict` across the workers, for ties: the refusals of the single-process load
/// (self-loop ties, then repeated friendships), each counted over the whole dataset and
/// named by its first row, so that every process reports the single-process message.
/// `ties` are this worker's held tie rows (every one incident to a person it owns). Every
/// worker makes the same rounds; each returns the same result.
fn strict_tie_refusals(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    shape: &DatasetShape,
    ties: &[tierank_io::share::TieRecord],
) -> Result<(), String> {
    let (me, peers) = (worker.index(), worker.peers());
    let owner = |p: i64| owner_of(p, peers);
    let ties_path = tierank_format::layout::DatasetPaths::new(&shape.dir).ties();
    // Self-loops, at the owner of their person.
    let loops: Vec<u64> = ties
        .iter()
        .filter(|t| t.src == t.dst && owner(t.src) == me)
        .map(|t| t.row)
        .collect();
    let count = bsp.sum(worker, loops.len() as u64);
    let first = bsp.min(worker, loops.iter().copied().min().unwrap_or(u64::MAX));
    if count > 0 {
        return refuse(ties_path, "self-loop tie(s) (src == dst)", count, first);
    }
    // Repeated friendships, at the owner of the smaller id.
    let mut pairs: Vec<(i64, i64, u64)> = ties
        .iter()
        .filter(|t| owner(t.src.min(t.dst)) == me)
        .map(|t| (t.src.min(t.dst), t.src.max(t.dst), t.row))
        .collect();
    pairs.sort_unstable();
    let (mut count, mut first) = (0u64, u64::MAX);
    for w in pairs.windows(2) {
        if (w[0].0, w[0].1) == (w[1].0, w[1].1) {
            // Rows are sorted within a pair, so w[1] repeats an earlier row.
            count += 1;
            first = first.min(w[1].2);
        }
    }
    let count = bsp.sum(worker, count);
    let first = bsp.min(worker, first);
    if count > 0 {
        return refuse(
            ties_path,
            "duplicate tie(s) (the same friendship in either orientation)",
            count,
            first,
        );
    }
    Ok(())
}

/// `--strict` across the workers, for events inside the window between two known people
/// who are not friends or from a person to themselves: `refused` and `first` are what this
/// worker found among the events its people sent ([`Arrivals`]), `asks` the events whose
/// receiver another worker owns, which that worker confirms when the receiver is known.
/// Every worker makes the same rounds; each returns the same result.
fn strict_event_refusals(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    shape: &DatasetShape,
    graph: &Graph,
    mut count: u64,
    mut first: u64,
    asks: Vec<(usize, Msg)>,
) -> Result<(), String> {
    for m in bsp.round(worker, asks).other {
        if let Msg::NonFriend(part, row, receiver) = m
            && graph.dense(receiver).is_some()
        {
            count += 1;
            first = first.min(event_key(part, row));
        }
    }
    let count = bsp.sum(worker, count);
    let first = bsp.min(worker, first);
    if count > 0 {
        let part = usize::try_from(first >> 40).unwrap_or(usize::MAX);
        let path = shape.parts.get(part).cloned().unwrap_or_default();
        return refuse(
            path,
            "event(s) between people who are not friends (or to oneself)",
            count,
            first & ((1 << 40) - 1),
        );
    }
    Ok(())
}

fn refuse(path: std::path::PathBuf, what: &str, count: u64, first_row: u64) -> Result<(), String> {
    Err(tierank_io::IoError::Strict {
        path,
        what: what.into(),
        count,
        first_row,
    }
    .to_string())
}

pub(crate) fn input<T>(r: Result<T, String>) -> Result<T, Failure> {
    r.map_err(Failure::Input)
}

fn work(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    columns: &Columns,
    connect: Duration,
) -> Result<PartitionedReport, Failure> {
    let run = &columns.run;
    let (me, peers) = (worker.index(), worker.peers());
    let mut report = PartitionedReport::default();
    report.phases.connect = connect;
    let (home, window) = load_or_resume(worker, bsp, run, &mut report)?;
    let mine = own_targets(worker, bsp, run, &home, &mut report)?;
    let waves = plan_waves(worker, bsp, &home, &mine, run.memory_budget, &mut report);
    let num_waves = bsp.max(worker, waves.len() as u64);
    report.waves = num_waves;
    let mut gathered: Vec<WireRow> = Vec::new();
    fn keep_rows(inbox: &mut Vec<Msg>, gathered: &mut Vec<WireRow>) {
        inbox.retain(|m| match m {
            Msg::Row(r) => {
                gathered.push(*r);
                false
            }
            _ => true,
        });
    }
    let mut pending: Vec<(usize, Msg)> = Vec::new();
    let mut heuristic_nanos = vec![Duration::ZERO; columns.names.len()];
    for r in 0..usize::try_from(num_waves).unwrap_or(usize::MAX) {
        let empty = Wave::default();
        let wave = waves.get(r).unwrap_or(&empty);
        let out = std::mem::take(&mut pending);
        let (ball, mut mail) =
            fetch_ball(worker, bsp, &home, run, window, wave, out, r, &mut report)?;
        keep_rows(&mut mail, &mut gathered);
        let Some(ball) = ball else {
            continue;
        };

        let t = Instant::now();
        let positions: HashMap<NodeId, u32> = wave
            .targets
            .iter()
            .filter_map(|&(pos, p, _)| ball.dense(p).map(|u| (u, pos)))
            .collect();
        let targets: Vec<NodeId> = wave
            .targets
            .iter()
            .filter_map(|&(_, p, _)| ball.dense(p))
            .collect();
        let summary = rank_targets(
            &ball,
            &targets,
            &run.heuristics,
            run.k,
            &RankOptions::default(),
            |chunk| -> Result<(), tierank_heuristics::rank::RankError> {
                for i in 0..chunk.len() {
                    let target = chunk.target[i];
                    pending.push((
                        0,
                        Msg::Row((
                            positions[&target],
                            ball.person(target),
                            columns.ball_columns[usize::from(chunk.heuristic[i])],
                            chunk.rank[i],
                            ball.person(chunk.alter[i]),
                            chunk.score[i],
                        )),
                    ));
                }
                Ok(())
            },
            &|_| {},
        )
        .map_err(|e| Failure::Other(format!("worker {me}: {e}")))?;
        report.rows_here += summary.rows;
        for (&column, (_, t)) in columns.ball_columns.iter().zip(&summary.heuristic_time) {
            heuristic_nanos[usize::from(column)] += *t;
        }
        report.phases.rank += t.elapsed();
    }

    log_waves(me, waves.len(), &report, run.memory_budget);

    // `ppr`: the distributed push over every worker's graph (its scores are within
    // the push's error bound of the single-process ones; docs/distributed.md).
    if let Some(column) = columns.ppr_column {
        let t = Instant::now();
        let share = OwnedAdjacency::from_graph(&home.graph, &run.config, me, peers);
        report.phases.build += t.elapsed();
        let t = Instant::now();
        let sources: Vec<i64> = mine.iter().map(|&(_, p)| p).collect();
        let pushed = push_partitioned(worker, &share, &sources, &columns.push)
            .map_err(|e| Failure::Other(format!("worker {me}: ppr push: {e}")))?;
        for (&(pos, target), scores) in mine.iter().zip(&pushed.scores) {
            let best = top_k_pushed(&scores.friends, &scores.scores, run.k);
            for (rank, (alter, score)) in best.into_iter().enumerate() {
                let rank = u32::try_from(rank + 1).unwrap_or(u32::MAX);
                pending.push((0, Msg::Row((pos, target, column, rank, alter, score))));
                report.rows_here += 1;
            }
        }
        heuristic_nanos[usize::from(column)] += pushed.stats.elapsed;
        report.phases.rank += t.elapsed();
    }
    report.heuristic_time = columns.names.iter().cloned().zip(heuristic_nanos).collect();

    // 6. The last wave's rows to worker 0.
    let t = Instant::now();
    let mut inbox = bsp.round(worker, pending);
    keep_rows(&mut inbox.other, &mut gathered);
    if me == 0 {
        gathered.sort_unstable_by_key(|r| (r.0, r.2, r.3));
        report.rows = gathered;
    }
    report.phases.gather = t.elapsed();
    report.traffic = bsp.traffic;
    Ok(report)
}

/// Steps 1 to 3 and the fold of a partitioned run (see the module's documentation): reads
/// this worker's share, agrees on the window, exchanges every record to its owners and
/// folds the held records into the worker's [`Home`]. Returns it with the event window
/// (`None` for a dataset without events). Every worker makes the same rounds.
pub(crate) fn load_and_fold(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    run: &PartitionedRank,
    report: &mut PartitionedReport,
) -> Result<(Home, Option<TimeWindow>), Failure> {
    let me = worker.index();
    let peers = worker.peers();
    let owner = |p: i64| owner_of(p, peers);

    // 1. Read this worker's share.
    let t = Instant::now();
    // Each file is hashed against the manifest by one worker, beside reading the share.
    let (checked, share) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| check_share_checksums(&run.shape, peers, me));
        let share = read_share(&run.shape, peers, me);
        (hashing.join().expect("the hashing thread ends"), share)
    });
    // A changed file explains any decoding error it causes: report the checksum first.
    let share = checked.and(share).map_err(|e| e.to_string());
    let share = input(bsp.agree(worker, share))?;
    report.tie_rows_read = share.ties.len() as u64;
    report.person_rows_read = share.persons.len() as u64;
    report.event_rows_read = share.event_rows;
    report.phases.read = t.elapsed();
    log::info!(
        "worker {me}: read {} tie rows, {} person rows, {} event rows of {} / {} / {} in {:.2}s",
        share.ties.len(),
        share.persons.len(),
        share.event_rows,
        run.shape.tie_rows,
        run.shape.person_rows,
        run.shape.event_rows,
        report.phases.read.as_secs_f64()
    );

    // 2. The window, from everyone's day counts.
    let t = Instant::now();
    let window = if run.shape.has_events {
        let inbox = bsp.round(
            worker,
            (0..peers).flat_map(|w| {
                share
                    .days
                    .iter()
                    .map(move |&(d, c, lo, hi)| (w, Msg::Days(d, c, lo, hi)))
            }),
        );
        let days: Vec<_> = inbox
            .other
            .into_iter()
            .filter_map(|m| match m {
                Msg::Days(d, c, lo, hi) => Some((d, c, lo, hi)),
                _ => None,
            })
            .collect();
        let chosen = choose_window(&days, &run.load, &run.shape.dir).map_err(|e| e.to_string());
        let (window, source) = input(bsp.agree(worker, chosen))?;
        report.window = Some((window, source));
        Some((window, source))
    } else {
        None
    };
    check_window(worker, bsp, run, window.map(|(w, _)| w))?;
    report.phases.window = t.elapsed();

    // 3. Records to their owners: first the tie and persons rows, so that every worker
    // knows its friendships before any event arrives; then each event inside the window to
    // the owner of its sender only, which holds it as it arrives (24 bytes, the record
    // freed at once) and folds it once.
    let t = Instant::now();
    for t in &share.ties {
        let (a, b) = (owner(t.src), owner(t.dst));
        bsp.send(worker, a, Msg::Tie(*t));
        if b != a {
            bsp.send(worker, b, Msg::Tie(*t));
        }
    }
    for &(row, p) in &share.persons {
        bsp.send(worker, owner(p), Msg::Person(row, p));
    }
    drop(share);
    let Inbox {
        mut ties, other, ..
    } = bsp.finish(worker);
    let mut persons: Vec<(i64, u64)> = other
        .into_iter()
        .filter_map(|m| match m {
            Msg::Person(row, p) => Some((p, row)),
            _ => None,
        })
        .collect();
    // In row order, so that a repeated friendship keeps its first row's weight (the fold
    // does not depend on the order of the events).
    ties.sort_unstable_by_key(|t| t.row);
    persons.sort_unstable();
    // A person listed twice in persons.parquet: the single-process error, naming the row.
    let repeat = persons
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| (w[1].1, w[0].1, w[0].0))
        .min();
    let repeat = match repeat {
        Some((row, earlier, id)) => Err(format!(
            "{}: column person_id, row {row}: person id {id} repeats row {earlier}: \
             persons.parquet has one row per person",
            tierank_format::layout::DatasetPaths::new(&run.shape.dir)
                .persons()
                .display()
        )),
        None => Ok(()),
    };
    input(bsp.agree(worker, repeat))?;
    report.ties_held = ties.len() as u64;
    if run.load.strict {
        // The single-process load refuses ties before it reads an event.
        let refused = strict_tie_refusals(worker, bsp, &run.shape, &ties);
        input(bsp.agree(worker, refused))?;
    }
    let listed: Vec<i64> = persons.into_iter().map(|(p, _)| p).collect();
    let friendships = friendship_graph(&listed, &ties, run.shape.has_weights)
        .map_err(|e| format!("worker {me}: building its friendships: {e}"));
    drop((ties, listed));
    let graph = Rc::new(input(bsp.agree(worker, friendships))?);

    // The events a worker holds are about its share of all rows (owners by hash); the
    // process's decoded-event budget is split between its workers, and beyond it the
    // later sender ranges are spilled as they arrive.
    let hold = window.map(|(w, _)| {
        EventHold::with_budget(
            &graph,
            w,
            run.load.half_life_ms,
            run.load.strict,
            run.shape.event_rows.div_ceil(peers.max(1) as u64),
            events_budget() / bsp.workers_per_process().max(1) as u64,
        )
    });
    // Not bad input (a temporary directory that cannot be made): not agreed on; this
    // process ends and its peers lose it.
    let hold = hold.transpose().map_err(|e| {
        Failure::Other(format!(
            "worker {me}: creating its event spill directory: {e}"
        ))
    })?;
    let arrivals = hold.map(|hold| {
        let arrivals = Rc::new(RefCell::new(Arrivals {
            hold,
            strict: run.load.strict,
            me,
            peers,
            refused: 0,
            first_refused: u64::MAX,
            asks: Vec::new(),
        }));
        let (sink, held) = (Rc::clone(&arrivals), Rc::clone(&graph));
        bsp.set_event_sink(Some(Box::new(move |e| sink.borrow_mut().take(&held, e))));
        arrivals
    });
    // Every worker takes events from here on: none is sent before its receiver can hold it.
    input(bsp.agree(worker, Ok(())))?;
    let mut outside = 0u64;
    let read = match window {
        Some((w, _)) => for_each_share_event(&run.shape, peers, me, |e| {
            if e.ts_ms < w.start_ms || e.ts_ms > w.end_ms {
                outside += 1;
                return;
            }
            if e.src == e.dst && !run.load.strict {
                // Never folded; `--strict` refuses it at the sender's owner.
                return;
            }
            bsp.send(worker, owner(e.src), Msg::Event(e));
        }),
        None => Ok(()),
    };
    bsp.finish(worker);
    bsp.set_event_sink(None);
    input(bsp.agree(worker, read.map_err(|e| e.to_string())))?;
    if let Some((_, source)) = window {
        let outside = bsp.sum(worker, outside);
        let total = run.shape.event_rows.max(1);
        if source != WindowSource::Given
            && run.load.window.is_default()
            && outside as f64 / total as f64 > tierank_io::window::MAX_OUTSIDE_FRACTION
        {
            return Err(Failure::Input(format!(
                "{outside} of {total} events lie outside the event window ({source}); give \
                 the window with --window-start and --window-end (or --as-of)"
            )));
        }
        report.events_outside = outside;
    }
    let window = window.map(|(w, _)| w);
    let graph = Rc::try_unwrap(graph).map_err(|_| {
        Failure::Other(format!("worker {me}: the event sink still holds the graph"))
    })?;
    let arrivals = arrivals.map(|a| match Rc::try_unwrap(a) {
        Ok(a) => a.into_inner(),
        Err(_) => unreachable!("the event sink was dropped"),
    });
    if let Some(a) = &arrivals {
        report.events_held = a.hold.received();
        report.event_ranges = a.hold.ranges() as u64;
        report.events_spilled_bytes = a.hold.spilled_bytes();
        log::info!(
            "worker {me}: received {} tie and {} event records (each event once, at its \
             sender's owner); {} events held for the fold in {} sender range(s), {} bytes \
             spilled",
            report.ties_held,
            report.events_held,
            a.hold.held(),
            a.hold.ranges(),
            a.hold.spilled_bytes()
        );
    }
    report.phases.exchange = t.elapsed();

    // Each worker folds the events its people sent, once, then sends each direction whose
    // receiver another worker owns to that owner, folded: every friendship incident to a
    // person it owns then has both directions' features, and waves ship folded
    // friendships, not events.
    let t = Instant::now();
    let graph = match arrivals {
        Some(a) => {
            if run.load.strict {
                let refused = strict_event_refusals(
                    worker,
                    bsp,
                    &run.shape,
                    &graph,
                    a.refused,
                    a.first_refused,
                    a.asks,
                );
                input(bsp.agree(worker, refused))?;
            }
            let graph = a
                .hold
                .fold(graph)
                .map_err(|e| Failure::Other(format!("worker {me}: folding its events: {e}")))?;
            for_each_direction(
                &graph,
                |from, to| owner(from) == me && owner(to) != me,
                |d| {
                    let to = owner(d.to);
                    bsp.send(worker, to, Msg::Direction(d));
                },
            );
            let received = bsp.finish(worker).directions;
            with_directions(graph, received).map_err(|e| {
                Failure::Other(format!(
                    "worker {me}: adding the directions it was sent: {e}"
                ))
            })?
        }
        None => graph,
    };
    let home = Home { graph, me, peers };
    report.phases.fold = t.elapsed();
    log::info!(
        "worker {me}: folded {} event records into {} friendships, {} channel records in \
         {:.2}s",
        report.events_held,
        home.graph.num_edges(),
        home.graph
            .interactions()
            .map_or(0, |i| i.num_channel_records()),
        report.phases.fold.as_secs_f64()
    );
    Ok((home, window))
}

/// The checks that need the window (`--model`'s or a calibration's settings), made by
/// worker 0 as one process makes them, and agreed on.
pub(crate) fn check_window(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    run: &PartitionedRank,
    window: Option<TimeWindow>,
) -> Result<(), Failure> {
    let checked = match (&run.window_check, worker.index()) {
        (Some(check), 0) => (check.0)(window),
        _ => Ok(()),
    };
    input(bsp.agree(worker, checked))
}

/// Step 4: the targets this worker owns, as (position in the target list, person), in
/// list order. Listed targets are checked by their owners; a sample is chosen from every
/// worker's candidates by worker 0. Every worker makes the same rounds.
pub(crate) fn own_targets(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    run: &PartitionedRank,
    home: &Home,
    report: &mut PartitionedReport,
) -> Result<Vec<(u32, i64)>, Failure> {
    let (me, peers) = (worker.index(), worker.peers());
    let owner = |p: i64| owner_of(p, peers);
    // 4. Targets: (position in the target list, person), the ones this worker owns.
    let t = Instant::now();
    let mut mine: Vec<(u32, i64)> = Vec::new();
    match &run.targets {
        TargetSpec::Listed(ids) => {
            let mut unknown = Vec::new();
            for (pos, &p) in ids.iter().enumerate() {
                if owner(p) != me {
                    continue;
                }
                if home.is_known(p) {
                    mine.push((u32::try_from(pos).unwrap_or(u32::MAX), p));
                } else {
                    unknown.push(p);
                }
            }
            let status = if unknown.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} target(s) are not in the dataset (a person of no tie and not in \
                     persons.parquet), e.g. person id {}",
                    unknown.len(),
                    unknown[0]
                ))
            };
            input(bsp.agree(worker, status))?;
        }
        TargetSpec::Sample { n, seed } => {
            let mut keyed: Vec<(u64, i64)> = home
                .owned_people()
                .into_iter()
                .filter(|&p| !home.friends(p).is_empty())
                .map(|p| (sample_key(*seed, p), p))
                .collect();
            let eligible = keyed.len() as u64;
            keyed.sort_unstable();
            keyed.truncate(*n);
            let mut out: Vec<(usize, Msg)> = keyed
                .into_iter()
                .map(|(k, p)| (0, Msg::Candidate(k, p)))
                .collect();
            out.push((0, Msg::Count(eligible)));
            let inbox = bsp.round(worker, out);
            let mut chosen = Vec::new();
            let mut total = 0u64;
            for m in inbox.other {
                match m {
                    Msg::Candidate(k, p) => chosen.push((k, p)),
                    Msg::Count(c) => total += c,
                    _ => {}
                }
            }
            let status = if me == 0 && (*n as u64) > total {
                Err(format!(
                    "invalid sample: {n} targets requested, but the dataset has {total} people \
                     with at least one friend"
                ))
            } else {
                Ok(())
            };
            input(bsp.agree(worker, status))?;
            let mut out = Vec::new();
            if me == 0 {
                chosen.sort_unstable();
                chosen.truncate(*n);
                let mut people: Vec<i64> = chosen.into_iter().map(|(_, p)| p).collect();
                people.sort_unstable();
                for (pos, p) in people.into_iter().enumerate() {
                    out.push((
                        owner(p),
                        Msg::Target(u32::try_from(pos).unwrap_or(u32::MAX), p),
                    ));
                }
            }
            for m in bsp.round(worker, out).other {
                if let Msg::Target(pos, p) = m {
                    mine.push((pos, p));
                }
            }
        }
    }
    mine.sort_unstable();
    report.targets_here = mine.len() as u64;
    report.phases.targets = t.elapsed();
    Ok(mine)
}

/// Bytes of held events one process keeps in memory (see [`EVENTS_BUDGET_ENV`]).
fn events_budget() -> u64 {
    std::env::var(EVENTS_BUDGET_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&b| b > 0)
        .unwrap_or_else(tierank_io::memory::decoded_events_budget)
}

/// One wave: its targets, as (position in the target list, target, its friends), and the
/// bytes of its ball ([`ball_bytes`] of every record [`fetch_ball`] assembles it from).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Wave {
    pub(crate) targets: Vec<(u32, i64, Vec<i64>)>,
    pub(crate) bytes: u64,
}

/// The bytes a ball is charged for `ties` folded friendships carrying `records` channel
/// records in all: the unit of `--memory-budget`, the same for the plan and for the ball.
fn ball_bytes(ties: u64, records: u64) -> u64 {
    ties * BALL_TIE_BYTES + records * BALL_CHANNEL_BYTES
}

/// The ball bytes of an owned person's folded friendships (what a wave's reply for them
/// adds to a ball).
fn reply_bytes(home: &Home, p: i64) -> u64 {
    let (ties, records) = folded_size_of(&home.graph, p);
    ball_bytes(ties, records)
}

/// Step 5's plan: this worker's targets, in list order, in waves whose ball stays within
/// `budget` bytes, counted exactly. A wave's ball is what [`fetch_ball`] assembles: the
/// folded friendships of each distinct friend of its targets (from their owners) and of
/// each target. A friend's are as many as its own friends, and friends have more friends
/// than the mean person (the friendship paradox), so a plan from the mean person's size
/// undershoots; instead one round asks each distinct friend's owner for the size of that
/// friend's reply (16 B there and 20 B back per friend and worker). Every worker makes the same two
/// rounds.
pub(crate) fn plan_waves(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    home: &Home,
    mine: &[(u32, i64)],
    budget: u64,
    report: &mut PartitionedReport,
) -> Vec<Wave> {
    let (me, peers) = (worker.index(), worker.peers());
    let me32 = u32::try_from(me).expect("worker index fits u32");
    let targets: Vec<(u32, i64, Vec<i64>)> = mine
        .iter()
        .map(|&(pos, p)| (pos, p, home.friends(p)))
        .collect();
    let mut friends: Vec<i64> = targets
        .iter()
        .flat_map(|(_, _, f)| f.iter().copied())
        .collect();
    friends.sort_unstable();
    friends.dedup();
    let asks = friends
        .iter()
        .map(|&f| (owner_of(f, peers), Msg::SizeRequest(f, me32)));
    let asked = bsp.round(worker, asks).other;
    let replies = asked.into_iter().filter_map(|m| match m {
        Msg::SizeRequest(f, from) => Some((from as usize, Msg::Size(f, reply_bytes(home, f)))),
        _ => None,
    });
    let mut sizes: HashMap<i64, u64> = bsp
        .round(worker, replies.collect::<Vec<_>>())
        .other
        .into_iter()
        .filter_map(|m| match m {
            Msg::Size(f, bytes) => Some((f, bytes)),
            _ => None,
        })
        .collect();
    let own: Vec<(i64, u64)> = mine
        .iter()
        .map(|&(_, p)| (p, reply_bytes(home, p)))
        .collect();
    let waves = cut_waves(targets, &own, &sizes, budget);
    sizes.clear();
    for wave in waves.iter().filter(|w| w.bytes > budget) {
        report.lone_targets_over_budget += 1;
        let (_, p, friends) = &wave.targets[0];
        log::info!(
            "worker {me}: target {p}'s ball alone is {} bytes ({} friends), over the memory \
             budget of {budget} bytes: it takes a wave of its own (a ball cannot be split)",
            wave.bytes,
            friends.len()
        );
    }
    waves
}

/// Logs what a worker's waves held against `budget` (after its last wave).
pub(crate) fn log_waves(me: usize, waves: usize, report: &PartitionedReport, budget: u64) {
    log::info!(
        "worker {me}: {waves} waves within a memory budget of {budget} bytes: largest ball \
         {} bytes as planned, {} bytes as assembled ({} bytes of a wave of several targets); \
         {} targets over the budget alone, each in a wave of its own",
        report.peak_planned_ball_bytes,
        report.peak_ball_bytes,
        report.peak_shared_ball_bytes,
        report.lone_targets_over_budget
    );
}

/// Cuts `targets` (in list order; each with its friends) into waves, greedily: a target
/// joins the current wave when the wave's ball with it stays within `budget`, else it
/// starts the next one. A wave's ball is charged `own` bytes for each of its targets and
/// `sizes` bytes for each distinct friend of its targets (a friend shared by several
/// targets of the wave is fetched once). A target whose ball alone exceeds `budget` gets a
/// wave of its own: the only waves over `budget` are single-target ones.
fn cut_waves(
    targets: Vec<(u32, i64, Vec<i64>)>,
    own: &[(i64, u64)],
    sizes: &HashMap<i64, u64>,
    budget: u64,
) -> Vec<Wave> {
    let own: HashMap<i64, u64> = own.iter().copied().collect();
    let size = |f: &i64| sizes.get(f).copied().unwrap_or(0);
    let mut waves: Vec<Wave> = Vec::new();
    let mut current = Wave::default();
    let mut fetched: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for (pos, p, friends) in targets {
        let own_bytes = own.get(&p).copied().unwrap_or(0);
        let added = |fetched: &std::collections::HashSet<i64>| {
            own_bytes
                + friends
                    .iter()
                    .filter(|f| !fetched.contains(f))
                    .map(size)
                    .sum::<u64>()
        };
        let mut cost = added(&fetched);
        if !current.targets.is_empty() && current.bytes + cost > budget {
            waves.push(std::mem::take(&mut current));
            fetched.clear();
            cost = added(&fetched);
        }
        fetched.extend(friends.iter().copied());
        current.bytes += cost;
        current.targets.push((pos, p, friends));
    }
    if !current.targets.is_empty() {
        waves.push(current);
    }
    waves
}

/// One round of step 5: sends `out` (messages of the caller's, such as the previous
/// wave's rows for worker 0) with this wave's requests for its targets' friends'
/// friendships, answers the requests addressed to this worker, and assembles the wave's
/// ball from the replies (`None` for an empty wave: a worker with fewer waves than the
/// most still answers). Returns the ball and every other message received in the round.
/// Every worker calls it the same number of times.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fetch_ball(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    home: &Home,
    run: &PartitionedRank,
    window: Option<TimeWindow>,
    wave: &Wave,
    mut out: Vec<(usize, Msg)>,
    r: usize,
    report: &mut PartitionedReport,
) -> Result<(Option<Graph>, Vec<Msg>), Failure> {
    let (me, peers) = (worker.index(), worker.peers());
    let me32 = u32::try_from(me).expect("worker index fits u32");
    let owner = |p: i64| owner_of(p, peers);
    let mut mail = Vec::new();
    let t = Instant::now();
    let mut asked: Vec<i64> = wave
        .targets
        .iter()
        .flat_map(|(_, _, f)| f.iter().copied())
        .collect();
    asked.sort_unstable();
    asked.dedup();
    out.extend(asked.iter().map(|&f| (owner(f), Msg::Request(f, me32))));
    let inbox = bsp.round(worker, out);
    for m in inbox.other {
        if let Msg::Request(f, requester) = m {
            let to = requester as usize;
            for tie in folded_ties_of(&home.graph, f) {
                bsp.send(worker, to, Msg::Folded(tie));
            }
        } else {
            mail.push(m);
        }
    }
    let mut inbox = bsp.finish(worker);
    mail.append(&mut inbox.other);
    report.phases.wave_exchange += t.elapsed();
    if wave.targets.is_empty() {
        return Ok((None, mail));
    }

    let t = Instant::now();
    let mut ball_ties: Vec<FoldedTie> = std::mem::take(&mut inbox.folded);
    for (_, p, _) in &wave.targets {
        ball_ties.extend(folded_ties_of(&home.graph, *p));
    }
    let bytes = ball_bytes(
        ball_ties.len() as u64,
        ball_ties.iter().map(|t| t.channels.len() as u64).sum(),
    );
    report.peak_ball_bytes = report.peak_ball_bytes.max(bytes);
    report.peak_planned_ball_bytes = report.peak_planned_ball_bytes.max(wave.bytes);
    if wave.targets.len() > 1 {
        report.peak_shared_ball_bytes = report.peak_shared_ball_bytes.max(bytes);
    }
    // The folded records as they are: no event is folded again.
    // The targets too: one without a friendship is in no tie, yet has its (empty) pass.
    let targets: Vec<i64> = wave.targets.iter().map(|&(_, p, _)| p).collect();
    let ball = graph_from_folded(
        ball_ties,
        &targets,
        run.shape.has_weights,
        window,
        run.load.half_life_ms,
    )
    .map_err(|e| Failure::Other(format!("worker {me}: building wave {r}: {e}")))?;
    report.phases.build += t.elapsed();
    log::debug!(
        "worker {me}: wave {r}: {} targets, ball {bytes} bytes (planned {}), assembled graph \
         {} heap bytes",
        wave.targets.len(),
        wave.bytes,
        ball.heap_bytes()
    );
    Ok((Some(ball), mail))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;

    use super::{Wave, cut_waves};

    /// The bytes of a ball of `targets`, counted from scratch: each target's own, and each
    /// distinct friend's once.
    fn exact(
        targets: &[(u32, i64, Vec<i64>)],
        own: &HashMap<i64, u64>,
        sizes: &HashMap<i64, u64>,
    ) -> u64 {
        let friends: HashSet<i64> = targets
            .iter()
            .flat_map(|(_, _, f)| f.iter().copied())
            .collect();
        targets.iter().map(|(_, p, _)| own[p]).sum::<u64>()
            + friends.iter().map(|f| sizes[f]).sum::<u64>()
    }

    /// A planner's input: targets with their friends, the targets' own bytes, the
    /// friends' sizes, the budget.
    type Plan = (
        Vec<(u32, i64, Vec<i64>)>,
        Vec<(i64, u64)>,
        HashMap<i64, u64>,
        u64,
    );

    /// Targets 0..n (distinct), each with friends among 100..130 (shared between targets),
    /// random sizes, and a budget.
    fn plans() -> impl Strategy<Value = Plan> {
        (
            prop::collection::vec(
                (prop::collection::btree_set(100i64..130, 0..8), 0u64..500),
                0..25,
            ),
            prop::collection::vec(1u64..2_000, 30),
            1u64..6_000,
        )
            .prop_map(|(targets, friend_sizes, budget)| {
                let sizes: HashMap<i64, u64> = (100i64..130).zip(friend_sizes).collect();
                let own = targets
                    .iter()
                    .enumerate()
                    .map(|(i, (_, b))| (i as i64, *b))
                    .collect();
                let targets = targets
                    .into_iter()
                    .enumerate()
                    .map(|(i, (f, _))| (i as u32, i as i64, f.into_iter().collect()))
                    .collect();
                (targets, own, sizes, budget)
            })
    }

    proptest! {
        /// Every target once, in list order; each wave's bytes are its ball's exactly, a
        /// friend shared within a wave counted once; only a single target can exceed the
        /// budget; and a wave ends only when the next target would not fit in it.
        #[test]
        fn waves_hold_their_exact_ball_within_the_budget((targets, own, sizes, budget) in plans()) {
            let waves = cut_waves(targets.clone(), &own, &sizes, budget);
            let own: HashMap<i64, u64> = own.into_iter().collect();
            let flat: Vec<_> = waves.iter().flat_map(|w| w.targets.iter().cloned()).collect();
            prop_assert_eq!(&flat, &targets);
            for (i, w) in waves.iter().enumerate() {
                prop_assert!(!w.targets.is_empty());
                prop_assert_eq!(w.bytes, exact(&w.targets, &own, &sizes));
                prop_assert!(w.bytes <= budget || w.targets.len() == 1);
                if let Some(next) = waves.get(i + 1) {
                    let mut grown = w.targets.clone();
                    grown.push(next.targets[0].clone());
                    prop_assert!(exact(&grown, &own, &sizes) > budget);
                }
            }
        }
    }

    /// The friendship paradox: two targets of one friend each, the friends far larger than
    /// the targets. Each ball alone fits; together they do not, so they take two waves.
    /// A target over the budget alone takes a wave of its own.
    #[test]
    fn large_friends_split_the_waves_and_a_lone_large_ball_stands_alone() {
        let sizes: HashMap<i64, u64> = [(10, 600), (11, 600), (12, 5_000)].into();
        let own = [(1, 10), (2, 10), (3, 10), (4, 10)];
        let targets = vec![
            (0, 1, vec![10]),
            (1, 2, vec![11]),
            (2, 3, vec![12]),
            (3, 4, vec![10, 11]),
        ];
        let waves = cut_waves(targets, &own, &sizes, 1_000);
        let wave = |targets: Vec<(u32, i64, Vec<i64>)>, bytes| Wave { targets, bytes };
        assert_eq!(
            waves,
            vec![
                wave(vec![(0, 1, vec![10])], 610),
                wave(vec![(1, 2, vec![11])], 610),
                wave(vec![(2, 3, vec![12])], 5_010),
                wave(vec![(3, 4, vec![10, 11])], 1_210),
            ]
        );
    }
}

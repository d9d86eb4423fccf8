//! Ranking partitioned by target owner, rows gathered on worker 0 in target order.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tierank_format::PersonId;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::Heuristic;
use tierank_heuristics::rank::{RankOptions, rank_targets};
use timely::dataflow::InputHandleVec;
use timely::dataflow::operators::{Exchange, Input, Inspect, Probe};

use crate::cluster::{ClusterSpec, DistError, owner_of};
use crate::failure::{ConnectWatchdog, install_exit_on_panic};

/// One ranked row on the wire: position of the target in the target list, target person,
/// heuristic index, rank (from 1), alter person, score.
pub type WireRow = (u32, PersonId, u8, u32, PersonId, f64);

/// Bytes one [`WireRow`] takes on the wire (bincode: 4 + 8 + 1 + 4 + 8 + 8).
pub const WIRE_ROW_BYTES: u64 = 33;

/// Environment variable: milliseconds every worker waits after all processes connected,
/// before ranking. For fault drills and the failure tests (kill a process while its peers
/// are connected); unset in normal runs.
pub const HOLD_ENV: &str = "TIERANK_DIST_HOLD_MS";

/// What a partitioned ranking did, for the progress report.
#[derive(Debug, Clone, Default)]
pub struct PartitionReport {
    /// Targets ranked by this process's workers.
    pub targets_here: u64,
    /// Rows ranked by this process's workers.
    pub rows_here: u64,
    /// Bytes this process sent to other processes (rows × [`WIRE_ROW_BYTES`]).
    pub bytes_sent: u64,
    /// Wall time from the start of the workers until the peers were connected.
    pub connect: Duration,
    /// Wall time this process's slowest worker spent ranking.
    pub rank: Duration,
    /// Wall time from the end of ranking until every row reached worker 0.
    pub exchange: Duration,
    /// Heuristic thread time summed over this process's workers, per heuristic.
    pub heuristic_time: Vec<(String, Duration)>,
    /// Every row of the cluster in single-process order (target list order, heuristic,
    /// rank); only on process 0, empty elsewhere.
    pub rows: Vec<WireRow>,
}

#[derive(Default)]
struct WorkerOutcome {
    targets: u64,
    rows: u64,
    remote_rows: u64,
    connect: Duration,
    rank: Duration,
    exchange: Duration,
    heuristic_time: Vec<(String, Duration)>,
    gathered: Option<Vec<WireRow>>,
}

/// Ranks `targets` across the cluster: each worker ranks the targets it owns
/// ([`owner_of`] their person id among all workers) with the single-process driver and
/// pure kernels, and sends the rows to worker 0, which returns them sorted into
/// single-process order.
///
/// Every process must be given the same graph, heuristics, target list and `k`.
/// A panic anywhere (including the loss of a peer) ends the process with status 1 (see
/// [`crate::failure`]).
///
/// # Errors
/// [`DistError::Start`] when timely cannot start; [`DistError::Worker`] when a worker's
/// ranking fails (for instance `k == 0`).
pub fn rank_partitioned(
    spec: &ClusterSpec,
    graph: Arc<Graph>,
    heuristics: Arc<Vec<Box<dyn Heuristic>>>,
    targets: Arc<Vec<NodeId>>,
    k: usize,
    opts: RankOptions,
) -> Result<PartitionReport, DistError> {
    install_exit_on_panic(spec.process);
    let watchdog = Arc::new(ConnectWatchdog::arm(
        spec.process,
        spec.addresses.clone(),
        spec.connect_timeout,
    ));
    let started = Instant::now();
    let total_workers = spec.total_workers();
    let workers_per_process = spec.workers;
    let outcomes: Arc<Mutex<Vec<WorkerOutcome>>> = Arc::default();
    let sink_outcomes = Arc::clone(&outcomes);
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
                total_workers / workers_per_process
            );
        }
        if let Some(ms) = hold_ms {
            // A fault drill: time to kill a process after everyone connected.
            std::thread::sleep(Duration::from_millis(ms));
        }
        let mut input: InputHandleVec<u64, WireRow> = InputHandleVec::new();
        let gathered: Rc<RefCell<Vec<WireRow>>> = Rc::default();
        let sink = Rc::clone(&gathered);
        let probe = worker.dataflow(|scope| {
            scope
                .input_from(&mut input)
                .exchange(|_row: &WireRow| 0)
                .inspect(move |row: &WireRow| sink.borrow_mut().push(*row))
                .probe()
                .0
        });
        let mine: Vec<NodeId> = targets
            .iter()
            .copied()
            .filter(|&t| owner_of(graph.person(t), total_workers) == index)
            .collect();
        // Positions in the full target list put the rows back in single-process order.
        let positions: std::collections::HashMap<NodeId, u32> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| owner_of(graph.person(**t), total_workers) == index)
            .map(|(i, &t)| (t, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let rank_started = Instant::now();
        let mut outcome = WorkerOutcome {
            connect,
            targets: mine.len() as u64,
            ..WorkerOutcome::default()
        };
        let summary = rank_targets(
            &graph,
            &mine,
            &heuristics,
            k,
            &opts,
            |chunk| -> Result<(), tierank_heuristics::rank::RankError> {
                for i in 0..chunk.len() {
                    let target = chunk.target[i];
                    input.send((
                        positions[&target],
                        graph.person(target),
                        chunk.heuristic[i],
                        chunk.rank[i],
                        graph.person(chunk.alter[i]),
                        chunk.score[i],
                    ));
                }
                outcome.rows += chunk.len() as u64;
                // Let the rows leave while the next chunk is ranked.
                worker.step();
                Ok(())
            },
            &|_| {},
        );
        outcome.rank = rank_started.elapsed();
        let summary = summary.map_err(|e| format!("worker {index}: {e}"))?;
        outcome.heuristic_time = summary.heuristic_time;
        if index / workers_per_process != 0 {
            outcome.remote_rows = outcome.rows;
        }
        let exchange_started = Instant::now();
        input.close();
        while !probe.done() {
            worker.step();
        }
        outcome.exchange = exchange_started.elapsed();
        if index == 0 {
            let mut rows = std::mem::take(&mut *gathered.borrow_mut());
            rows.sort_unstable_by_key(|r| (r.0, r.2, r.3));
            outcome.gathered = Some(rows);
        }
        sink_outcomes
            .lock()
            .map_err(|_| "a worker panicked".to_owned())?
            .push(outcome);
        Ok::<(), String>(())
    })
    .map_err(DistError::Start)?;
    for result in guards.join() {
        result
            .map_err(DistError::Worker)?
            .map_err(DistError::Worker)?;
    }
    let outcomes = std::mem::take(
        &mut *outcomes
            .lock()
            .map_err(|_| DistError::Worker("a worker panicked".into()))?,
    );
    let mut report = PartitionReport::default();
    for o in outcomes {
        report.targets_here += o.targets;
        report.rows_here += o.rows;
        report.bytes_sent += o.remote_rows * WIRE_ROW_BYTES;
        report.connect = report.connect.max(o.connect);
        report.rank = report.rank.max(o.rank);
        report.exchange = report.exchange.max(o.exchange);
        if report.heuristic_time.is_empty() {
            report.heuristic_time = o.heuristic_time;
        } else {
            for (sum, (_, t)) in report.heuristic_time.iter_mut().zip(o.heuristic_time) {
                sum.1 += t;
            }
        }
        if let Some(rows) = o.gathered {
            report.rows = rows;
        }
    }
    Ok(report)
}

//! `tierank select` partitioned: the load, fold and waves of a partitioned ranking
//! ([`crate::partition`]), then on each wave's ball the per-target pass of
//! `tierank_select` ([`select_targets`]), and on worker 0 the step across targets
//! ([`select_global`]): the `budget` policy, people reached, consent and exposure figures.
//!
//! Why the passes are those of the whole graph: a pass reads, for a target, its friends'
//! scores (which the ball gives exactly, as for ranking), the target's own ties (weights,
//! interactions both ways: complete in the ball) and whether each friend opted out. Every
//! worker reads the whole opt-out list and resolves it against each ball, so every excluded
//! friend of a target is excluded in that target's pass, whichever worker owns them. Strict
//! minimisation removes the excluded people's ties from the ball before scoring, which
//! gives the target's and each friend's friend lists, weights and interactions of the
//! minimised whole graph. The passes name people by person id, so worker 0 can run the
//! global step on them as one process does on its own passes.
//!
//! What travels beside the load's exchanges: each pass to worker 0 (its chosen friends, or
//! for `budget` its whole eligible pool and, when someone in the ball opted out, the pool
//! without the opt-out list), and one count per worker of the listed people it owns and
//! knows (the consent figures).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, HeuristicConfig};
use tierank_io::LoadOptions;
use tierank_io::share::DatasetShape;
use tierank_select::{
    Calibration, ExclusionSet, Policy, SelectOptions, Selection, TargetPass, consent_of,
    select_global, select_targets,
};

use crate::bsp::{Bsp, Msg};
use crate::checkpoint::load_or_resume;
use crate::cluster::{ClusterSpec, DistError, owner_of};
use crate::partition::{
    Failure, PartitionedRank, PartitionedReport, TargetSpec, Wave, WindowCheck, fetch_ball, input,
    log_waves, merge_reports, own_targets, plan_waves, run_workers,
};

/// Bytes of one [`tierank_select::Pick`] on the wire (bincode: alter 8, score 8, value 8,
/// probability 1 + 8, block 1 + 16, excluded 1, channel 1 + 1).
const WIRE_PICK_BYTES: u64 = 53;

/// Bytes a pass takes on the wire in a [`Msg::Pass`] (position 4, target 8, friends 8,
/// the picks with their lengths, the counterfactual count 8).
pub(crate) fn pass_wire_bytes(pass: &TargetPass) -> u64 {
    let picks = pass.chosen.len() + pass.counterfactual_pool.as_ref().map_or(0, Vec::len);
    4 + 8 + 8 + 8 + 1 + 8 + 8 + picks as u64 * WIRE_PICK_BYTES
}

/// A partitioned selection: what to read and how to select.
pub struct PartitionedSelect {
    /// The dataset (its files' footers, read on every process).
    pub shape: DatasetShape,
    /// Half-life, event window, strictness.
    pub load: LoadOptions,
    /// The heuristic that scores each target's friends (not `ppr`, which needs more than a
    /// ball).
    pub heuristic: Box<dyn Heuristic>,
    /// Its configuration (channel weights for the coverage policy and the reason).
    pub config: HeuristicConfig,
    /// The policy.
    pub policy: Policy,
    /// The targets, in list order (read and free of repeats).
    pub targets: Vec<i64>,
    /// The opt-out list as read (every process reads it whole).
    pub excluded: Vec<i64>,
    /// `--strict-minimization`.
    pub strict_minimization: bool,
    /// `--min-evidence`.
    pub min_evidence: u32,
    /// The heuristic's calibration, if one was given.
    pub calibration: Option<Box<dyn Calibration>>,
    /// Memory budget of one wave per worker, in bytes.
    pub memory_budget: u64,
    /// Checks to run once the event window is known (the calibration's recorded settings).
    pub window_check: Option<WindowCheck>,
    /// Where each worker keeps a checkpoint of its load (`--checkpoint`; as for `rank`).
    pub checkpoint: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for PartitionedSelect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionedSelect")
            .field("heuristic", &self.heuristic.name())
            .field("policy", &self.policy)
            .field("targets", &self.targets.len())
            .field("excluded", &self.excluded.len())
            .field("strict_minimization", &self.strict_minimization)
            .field("min_evidence", &self.min_evidence)
            .field("calibrated", &self.calibration.is_some())
            .field("memory_budget", &self.memory_budget)
            .finish_non_exhaustive()
    }
}

/// What one process did in a partitioned selection.
#[derive(Debug, Clone, Default)]
pub struct PartitionedSelection {
    /// The load, waves and traffic of this process's workers (`targets_here`: targets
    /// selected for here; `rows`: empty).
    pub report: PartitionedReport,
    /// On process 0: the selection, exactly as one process makes it.
    pub selection: Option<Selection>,
    /// On process 0: per target, in list order, its number of friends in the dataset.
    pub candidates: Vec<i64>,
}

/// What every worker shares: the load (as a ranking without heuristics, whose load, fold,
/// targets and waves selection reuses) and the selection's settings.
struct Run {
    load: PartitionedRank,
    select: PartitionedSelect,
}

/// Runs a partitioned selection on this process's workers; process 0 gets the selection.
///
/// # Errors
/// [`DistError::Input`] for bad input found by any worker (every process reports the same
/// one); [`DistError::Start`], [`DistError::Worker`] otherwise.
pub fn select_partitioned_load(
    spec: &ClusterSpec,
    mut select: PartitionedSelect,
) -> Result<PartitionedSelection, DistError> {
    let load = PartitionedRank {
        shape: select.shape.clone(),
        load: select.load,
        heuristics: Vec::new(),
        config: select.config.clone(),
        targets: TargetSpec::Listed(select.targets.clone()),
        k: 0,
        memory_budget: select.memory_budget,
        window_check: select.window_check.take(),
        checkpoint: select.checkpoint.clone(),
    };
    let run = Arc::new(Run { load, select });
    let results = run_workers(spec, move |worker, bsp, connect| {
        work(worker, bsp, &run, connect)
    })?;
    let mut out = PartitionedSelection::default();
    let mut reports = Vec::with_capacity(results.len());
    for (report, selected) in results {
        reports.push(report);
        if let Some((selection, candidates)) = selected {
            out.selection = Some(selection);
            out.candidates = candidates;
        }
    }
    out.report = merge_reports(reports);
    Ok(out)
}

/// Worker 0's result: the selection and the candidates' person ids (other workers: `None`).
type Selected = Option<(Selection, Vec<i64>)>;

/// One worker's selection: the load, its targets' passes wave by wave, and on worker 0 the
/// step across targets.
fn work(
    worker: &mut timely::worker::Worker,
    bsp: &mut Bsp,
    run: &Run,
    connect: Duration,
) -> Result<(PartitionedReport, Selected), Failure> {
    let sel = &run.select;
    let (me, peers) = (worker.index(), worker.peers());
    let mut report = PartitionedReport::default();
    report.phases.connect = connect;
    let (home, window) = load_or_resume(worker, bsp, &run.load, &mut report)?;
    let mine = own_targets(worker, bsp, &run.load, &home, &mut report)?;

    // The consent figures of the whole graph: each owner counts the listed people it knows.
    let listed = ExclusionSet::new(&Graph::default(), &sel.excluded);
    let mut distinct = sel.excluded.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let known = distinct
        .iter()
        .filter(|&&p| owner_of(p, peers) == me && home.is_known(p))
        .count() as u64;
    let known = bsp.sum(worker, known);
    let mut consent = consent_of(&listed);
    consent.excluded_in_graph = known;
    consent.unknown = consent.listed - known;

    let waves = plan_waves(
        worker,
        bsp,
        &home,
        &mine,
        run.load.memory_budget,
        &mut report,
    );
    let num_waves = bsp.max(worker, waves.len() as u64);
    report.waves = num_waves;
    let mut gathered: Vec<(u32, TargetPass)> = Vec::new();
    let keep_passes = |mail: Vec<Msg>, gathered: &mut Vec<(u32, TargetPass)>| {
        for m in mail {
            if let Msg::Pass(pos, pass) = m {
                gathered.push((pos, *pass));
            }
        }
    };
    let mut pending: Vec<(usize, Msg)> = Vec::new();
    let mut heuristic_time = Duration::ZERO;
    for r in 0..usize::try_from(num_waves).unwrap_or(usize::MAX) {
        let empty = Wave::default();
        let wave = waves.get(r).unwrap_or(&empty);
        let out = std::mem::take(&mut pending);
        let (ball, mail) = fetch_ball(
            worker,
            bsp,
            &home,
            &run.load,
            window,
            wave,
            out,
            r,
            &mut report,
        )?;
        keep_passes(mail, &mut gathered);
        let t = Instant::now();
        // Every worker agrees on each wave's outcome, so that an error in one worker's
        // pass (a calibration that returns no probability) stops every process alike.
        let status = match &ball {
            None => Ok(Vec::new()),
            Some(ball) => {
                let targets: Vec<NodeId> = wave
                    .targets
                    .iter()
                    .filter_map(|&(_, p, _)| ball.dense(p))
                    .collect();
                // The ball holds each of its wave's targets (even one without a friend), so
                // each gets its own pass, in the wave's order, zipped with the positions
                // below; a missing one would hand every later target the next one's pass.
                let opts = SelectOptions {
                    excluded: ExclusionSet::new(ball, &sel.excluded),
                    strict_minimization: sel.strict_minimization,
                    min_evidence: sel.min_evidence,
                    calibration: sel.calibration.as_deref(),
                    config: &sel.config,
                };
                if targets.len() == wave.targets.len() {
                    select_targets(
                        ball,
                        &targets,
                        sel.heuristic.as_ref(),
                        &sel.policy,
                        &opts,
                        None,
                    )
                    .map_err(|e| e.to_string())
                } else {
                    Err(format!(
                        "worker {me}: wave {r}: {} of {} targets in the ball",
                        targets.len(),
                        wave.targets.len()
                    ))
                }
            }
        };
        let passes = input(bsp.agree(worker, status))?;
        for (&(pos, _, _), pass) in wave.targets.iter().zip(passes) {
            report.rows_here += pass.chosen.len() as u64;
            pending.push((0, Msg::Pass(pos, Box::new(pass))));
        }
        heuristic_time += t.elapsed();
        report.phases.rank += t.elapsed();
    }
    log_waves(me, waves.len(), &report, run.load.memory_budget);
    report.heuristic_time = vec![(sel.heuristic.name().to_owned(), heuristic_time)];

    // The last wave's passes to worker 0, which runs the step across targets.
    let t = Instant::now();
    let inbox = bsp.round(worker, pending);
    keep_passes(inbox.other, &mut gathered);
    let selected = if me == 0 {
        gathered.sort_unstable_by_key(|(pos, _)| *pos);
        if gathered.len() != sel.targets.len() {
            return Err(Failure::Other(format!(
                "worker 0 gathered {} passes for {} targets",
                gathered.len(),
                sel.targets.len()
            )));
        }
        let passes: Vec<TargetPass> = gathered.into_iter().map(|(_, p)| p).collect();
        let candidates = passes
            .iter()
            .map(|p| i64::try_from(p.friends).unwrap_or(i64::MAX))
            .collect();
        let selection = select_global(passes, &sel.policy, consent, sel.calibration.is_some());
        Some((selection, candidates))
    } else {
        None
    };
    report.phases.gather = t.elapsed();
    report.traffic = bsp.traffic;
    Ok((report, selected))
}

//! The parallel ranking driver: many targets, many heuristics, bounded top-k.
//!
//! Targets are processed in chunks of [`RankOptions::chunk_size`]; within a chunk they run
//! in parallel on the rayon pool, each worker with its own [`Scratch`] and buffers, and the
//! chunk's rows are handed to the caller in target order before the next chunk starts. A
//! caller can therefore stream rows to disk with memory bounded by one chunk, and the rows
//! are the same, in the same order, at any thread count: every (target, heuristic) result is
//! a pure function of the graph, and rayon's indexed `collect` keeps input order.
//!
//! Order within one (target, heuristic): score descending, then friend [`NodeId`] ascending.
//! Dense ids follow person-id order, so equal scores are ordered by person id.

use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tierank_graph::{Graph, NodeId};

use crate::{Heuristic, HeuristicError, Scratch};

/// A broken contract of [`rank_targets`]'s inputs. `evaluate` and `select` report the same
/// contracts as errors, so the driver does too instead of panicking: a caller (or a
/// heuristic written outside this crate) must never be able to crash the process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RankError {
    /// `k` was 0: nothing would be kept.
    #[error("k must be at least 1")]
    ZeroK,
    /// More heuristics than the output's `u8` heuristic index can number.
    #[error("{count} heuristics given, but at most 256 can be ranked in one run")]
    TooManyHeuristics {
        /// How many were given.
        count: usize,
    },
    /// A target is not a node of the graph.
    #[error("target node {node} is out of range (graph has {nodes} nodes)")]
    TargetOutOfRange {
        /// The dense id.
        node: u32,
        /// Number of nodes.
        nodes: usize,
    },
    /// A heuristic broke its contract of one score per friend.
    #[error(
        "heuristic '{heuristic}' wrote {scores} scores for person {person}, who has {friends} friends"
    )]
    ScoreCount {
        /// The heuristic.
        heuristic: String,
        /// The target's person id.
        person: i64,
        /// Scores written.
        scores: usize,
        /// The target's degree.
        friends: usize,
    },
    /// [`RankOptions::cancel`] was set.
    #[error("ranking cancelled")]
    Cancelled,
}

/// Default number of targets per chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 4096;

/// How often (in targets) a worker reports progress.
const PROGRESS_EVERY: u64 = 64;

/// Options of [`rank_targets`].
#[derive(Debug, Clone)]
pub struct RankOptions {
    /// Targets per chunk handed to the callback (at least 1).
    pub chunk_size: usize,
    /// Set (by another thread: Ctrl-C in the Python package) to stop the ranking. Checked
    /// before each target, so that a chunk of slow targets is not waited for; the ranking
    /// then returns [`RankError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for RankOptions {
    fn default() -> Self {
        Self {
            chunk_size: DEFAULT_CHUNK_SIZE,
            cancel: None,
        }
    }
}

/// The rows of one chunk of targets, column by column, in output order: by target (in the
/// order given), then heuristic (in the order given), then rank.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankedChunk {
    /// Position of the chunk's first target in the target list.
    pub first_target: usize,
    /// Number of targets in the chunk (targets without friends produce no rows).
    pub num_targets: usize,
    /// The target of each row.
    pub target: Vec<NodeId>,
    /// Index of the heuristic in the list passed to [`rank_targets`].
    pub heuristic: Vec<u8>,
    /// Rank, 1-based.
    pub rank: Vec<u32>,
    /// The ranked friend.
    pub alter: Vec<NodeId>,
    /// The friend's score.
    pub score: Vec<f64>,
}

impl RankedChunk {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    fn append(&mut self, other: &mut TargetRows) {
        self.target.append(&mut other.target);
        self.heuristic.append(&mut other.heuristic);
        self.rank.append(&mut other.rank);
        self.alter.append(&mut other.alter);
        self.score.append(&mut other.score);
    }
}

/// What [`rank_targets`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RankSummary {
    /// Targets processed.
    pub targets: u64,
    /// Rows produced.
    pub rows: u64,
    /// Per heuristic (in the order given): its name and the thread time spent scoring and
    /// selecting, summed over all workers (so it can exceed the wall time).
    pub heuristic_time: Vec<(String, Duration)>,
}

/// The rows of one target, and the time each heuristic took on it.
#[derive(Debug, Default)]
struct TargetRows {
    target: Vec<NodeId>,
    heuristic: Vec<u8>,
    rank: Vec<u32>,
    alter: Vec<NodeId>,
    score: Vec<f64>,
    nanos: Vec<u64>,
}

/// Per-worker working memory.
#[derive(Debug, Default)]
struct Worker {
    scratch: Scratch,
    scores: Vec<f64>,
    selected: Vec<(NodeId, f64)>,
}

/// The output order: score descending, then node id ascending.
#[inline]
fn order(a: &(NodeId, f64), b: &(NodeId, f64)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Makes a score safe for a total order: `-0.0` becomes `0.0` (so equal scores tie) and NaN,
/// which a correct heuristic never produces, ranks last as `-∞`.
#[inline]
fn canonical(s: f64) -> f64 {
    if s.is_nan() {
        f64::NEG_INFINITY
    } else {
        s + 0.0
    }
}

/// The `k` best friends by `scores` (aligned with `neighbors`), best first: score
/// descending, then node id ascending. Fewer than `k` when there are fewer friends.
///
/// `O(d + k log k)`: a linear-time selection of the `k` best, then a sort of those only.
///
/// # Panics
/// When `scores` and `neighbors` differ in length.
pub fn top_k(scores: &[f64], neighbors: &[NodeId], k: usize) -> Vec<(NodeId, f64)> {
    let mut out = Vec::new();
    top_k_into(scores, neighbors, k, &mut out);
    out
}

/// [`top_k`] into a reusable buffer (cleared first).
///
/// # Panics
/// When `scores` and `neighbors` differ in length.
pub fn top_k_into(scores: &[f64], neighbors: &[NodeId], k: usize, out: &mut Vec<(NodeId, f64)>) {
    assert_eq!(
        scores.len(),
        neighbors.len(),
        "one score per friend is the Heuristic contract"
    );
    out.clear();
    if k == 0 {
        return;
    }
    out.extend(
        neighbors
            .iter()
            .zip(scores)
            .map(|(&v, &s)| (v, canonical(s))),
    );
    if out.len() > k {
        out.select_nth_unstable_by(k - 1, order);
        out.truncate(k);
    }
    out.sort_unstable_by(order);
}

fn rank_one(
    graph: &Graph,
    target: NodeId,
    heuristics: &[Box<dyn Heuristic>],
    k: usize,
    worker: &mut Worker,
) -> Result<TargetRows, RankError> {
    let mut rows = TargetRows {
        nanos: vec![0; heuristics.len()],
        ..TargetRows::default()
    };
    let friends = graph.neighbors(target);
    if friends.is_empty() {
        return Ok(rows);
    }
    let per_target = k.min(friends.len()) * heuristics.len();
    rows.target.reserve_exact(per_target);
    rows.heuristic.reserve_exact(per_target);
    rows.rank.reserve_exact(per_target);
    rows.alter.reserve_exact(per_target);
    rows.score.reserve_exact(per_target);
    for (index, h) in heuristics.iter().enumerate() {
        let start = Instant::now();
        h.score(graph, target, &mut worker.scratch, &mut worker.scores);
        if worker.scores.len() != friends.len() {
            return Err(RankError::ScoreCount {
                heuristic: h.name().to_owned(),
                person: graph.person(target),
                scores: worker.scores.len(),
                friends: friends.len(),
            });
        }
        top_k_into(&worker.scores, friends, k, &mut worker.selected);
        rows.nanos[index] = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let index = u8::try_from(index).map_err(|_| RankError::TooManyHeuristics {
            count: heuristics.len(),
        })?;
        for (rank, &(alter, score)) in (1u32..).zip(&worker.selected) {
            rows.target.push(target);
            rows.heuristic.push(index);
            rows.rank.push(rank);
            rows.alter.push(alter);
            rows.score.push(score);
        }
    }
    Ok(rows)
}

/// Ranks the friends of every target under every heuristic, keeping the top `k` of each.
///
/// Chunks of targets are ranked in parallel (on the current rayon pool) and passed to
/// `on_chunk` in target order; `progress` receives the number of targets done so far (from
/// any thread, possibly slightly out of order, and exactly `targets.len()` last).
///
/// # Errors
/// The first error `on_chunk` returns; ranking stops there. A [`RankError`], converted
/// into `E`, when `k == 0`, when more than 256 heuristics are given (their index is stored
/// as `u8`), when a target is not a node of `graph` (all checked before any work), or when
/// a heuristic breaks its contract of one score per friend (the first such target in
/// target order; the chunks before it have been handed to `on_chunk`).
pub fn rank_targets<E: From<RankError>>(
    graph: &Graph,
    targets: &[NodeId],
    heuristics: &[Box<dyn Heuristic>],
    k: usize,
    opts: &RankOptions,
    mut on_chunk: impl FnMut(RankedChunk) -> Result<(), E>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RankSummary, E> {
    if k == 0 {
        return Err(RankError::ZeroK.into());
    }
    if heuristics.len() > 256 {
        return Err(RankError::TooManyHeuristics {
            count: heuristics.len(),
        }
        .into());
    }
    let nodes = graph.num_nodes();
    if let Some(&NodeId(node)) = targets.iter().find(|t| t.0 as usize >= nodes) {
        return Err(RankError::TargetOutOfRange { node, nodes }.into());
    }
    let chunk_size = opts.chunk_size.max(1);
    let done = AtomicU64::new(0);
    let mut nanos = vec![0u64; heuristics.len()];
    let mut rows = 0u64;
    for (chunk_index, chunk_targets) in targets.chunks(chunk_size).enumerate() {
        // Every target's result is kept, so the error reported is the first in target
        // order, whatever the thread count.
        let per_target: Vec<Result<TargetRows, RankError>> = chunk_targets
            .par_iter()
            .map_init(Worker::default, |worker, &target| {
                if opts
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(AtomicOrdering::Relaxed))
                {
                    return Err(RankError::Cancelled);
                }
                let result = rank_one(graph, target, heuristics, k, worker);
                let now = done.fetch_add(1, AtomicOrdering::Relaxed) + 1;
                if now.is_multiple_of(PROGRESS_EVERY) {
                    progress(now);
                }
                result
            })
            .collect();
        let per_target = per_target
            .into_iter()
            .collect::<Result<Vec<TargetRows>, RankError>>()?;
        let mut chunk = RankedChunk {
            first_target: chunk_index * chunk_size,
            num_targets: chunk_targets.len(),
            ..RankedChunk::default()
        };
        let total: usize = per_target.iter().map(|r| r.target.len()).sum();
        chunk.target.reserve_exact(total);
        chunk.heuristic.reserve_exact(total);
        chunk.rank.reserve_exact(total);
        chunk.alter.reserve_exact(total);
        chunk.score.reserve_exact(total);
        for mut r in per_target {
            for (sum, n) in nanos.iter_mut().zip(&r.nanos) {
                *sum = sum.saturating_add(*n);
            }
            chunk.append(&mut r);
        }
        rows += chunk.len() as u64;
        on_chunk(chunk)?;
        progress(done.load(AtomicOrdering::Relaxed));
    }
    log::debug!(
        "ranked {} targets under {} heuristics: {rows} rows",
        targets.len(),
        heuristics.len()
    );
    Ok(RankSummary {
        targets: targets.len() as u64,
        rows,
        heuristic_time: heuristics
            .iter()
            .zip(nanos)
            .map(|(h, n)| (h.name().to_owned(), Duration::from_nanos(n)))
            .collect(),
    })
}

/// Chooses `n` distinct targets with at least one friend, reproducibly from `seed`.
///
/// People are ordered by a hash of `(seed, person id)` and the first `n` with friends are
/// taken, so the sample depends only on the seed and the people, not on dense ids, thread
/// count or file order; a larger `n` extends a smaller one. The result is sorted by node id
/// (person id), which is the order the output is written in. `O(n_people)` plus
/// `O(n log n)` for the final sort.
///
/// # Errors
/// [`HeuristicError::InvalidParameter`] when `n` is 0 or exceeds the number of people with
/// at least one friend.
pub fn sample_targets(graph: &Graph, n: usize, seed: u64) -> Result<Vec<NodeId>, HeuristicError> {
    let mut keyed: Vec<(u64, NodeId)> = (0..graph.num_nodes())
        .map(|i| NodeId(u32::try_from(i).expect("dense ids fit u32")))
        .filter(|&u| graph.degree(u) > 0)
        .map(|u| (sample_key(seed, graph.person(u)), u))
        .collect();
    if n == 0 || n > keyed.len() {
        return Err(HeuristicError::InvalidParameter {
            name: "sample",
            reason: format!(
                "{n} targets requested, but the dataset has {} people with at least one friend",
                keyed.len()
            ),
        });
    }
    if n < keyed.len() {
        keyed.select_nth_unstable(n - 1);
        keyed.truncate(n);
    }
    let mut chosen: Vec<NodeId> = keyed.into_iter().map(|(_, u)| u).collect();
    chosen.sort_unstable();
    Ok(chosen)
}

/// The sampling key of a person: SplitMix64 over the seed and the person id. Person ids
/// are unique, so keys tie only on a 64-bit collision, and ties are then broken by node id.
/// Public so that a partitioned run (crate `tierank-dist`) samples the same targets from
/// the people each worker owns.
pub fn sample_key(seed: u64, person: i64) -> u64 {
    let mix = |x: u64| {
        let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    mix(mix(seed ^ 0x5A4D_504C_4520_5345) ^ person as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_by_score_then_id() {
        let ids: Vec<NodeId> = (0..6).map(NodeId).collect();
        let scores = [1.0, 3.0, 1.0, -0.0, 3.0, 0.0];
        assert_eq!(
            top_k(&scores, &ids, 4),
            vec![
                (NodeId(1), 3.0),
                (NodeId(4), 3.0),
                (NodeId(0), 1.0),
                (NodeId(2), 1.0)
            ]
        );
        // -0.0 and 0.0 tie and are ordered by id.
        let all = top_k(&scores, &ids, 10);
        assert_eq!(all[4].0, NodeId(3));
        assert_eq!(all[5].0, NodeId(5));
        assert!(top_k(&scores, &ids, 0).is_empty());
    }

    #[test]
    fn sample_is_seeded_nested_and_skips_isolated() {
        let (g, _) = Graph::from_person_edges(&[(1, 2), (2, 3), (4, 5), (6, 7)], None).unwrap();
        let all = sample_targets(&g, 7, 3).unwrap();
        assert_eq!(all.len(), 7);
        let small = sample_targets(&g, 3, 3).unwrap();
        assert_eq!(small, sample_targets(&g, 3, 3).unwrap());
        assert!(small.windows(2).all(|w| w[0] < w[1]));
        assert!(small.iter().all(|u| all.contains(u)));
        assert!((0..20).any(|seed| sample_targets(&g, 3, seed).unwrap() != small));
        assert!(sample_targets(&g, 0, 3).is_err());
        assert!(sample_targets(&g, 8, 3).is_err());
    }

    #[test]
    fn nan_ranks_last() {
        let ids: Vec<NodeId> = (0..3).map(NodeId).collect();
        let got = top_k(&[f64::NAN, -5.0, 2.0], &ids, 3);
        assert_eq!(got[2].0, NodeId(0));
    }
}

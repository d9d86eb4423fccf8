//! Personalized PageRank by push across partitions: residual mass travels to the worker
//! that owns its node ([`owner_of`]), and every worker pushes only the nodes it owns, in
//! synchronous rounds, so the scores are the same at any number of processes and workers.
//!
//! The single-machine heuristic (`tierank_heuristics::two_hop::PersonalizedPageRank`) runs
//! the Andersen–Chung–Lang lazy push from one target over the whole graph. Here the graph is
//! cut into shares: a worker sees, through [`PushGraph`], only the friends and pair weights
//! of the persons it owns. [`push_partitioned`] runs inside a timely worker (every worker of
//! the cluster calls it together, as in [`crate::rank_partitioned_load`]) for the sources that
//! worker owns, in waves of [`PushParams::batch`] sources per worker:
//!
//! ```text
//! wave: r(s, s) = 1 for each source s of the wave (every worker, its own sources)
//! round, repeated:
//!     every owned (s, x) with d(x) > 0 and r(s, x) ≥ ε d(x) at the start of the round pushes:
//!         p(s, x) += α r;   r(s, x) = (1 − α) r / 2
//!         send (s, y, (1 − α) r / (2 d(x)) · w_xy) to owner(y), for every friend y with w_xy > 0
//!     barrier; each owner adds what it received to r(s, y), per (s, y) in ascending mass order
//!     all-reduce: how many pushes happened in the round; none → the wave is over
//! gather: the owner of v sends p(s, v) + α r(s, v) to owner(s) for every friend v of s
//! ```
//!
//! **Determinism.** A round reads only the residuals at its start, every (s, x) lives on one
//! worker, and the masses arriving at (s, y) in a round are added in ascending order of
//! value (a canonical order of the multiset, whatever the sender, the worker count or the
//! arrival order), after the node's own push. Degrees are summed in adjacency order. So every
//! floating-point operation is the same at any N processes × W workers and any batch size:
//! the scores are bit-identical across cluster shapes (tested at 1, 2, 3 workers and 2
//! processes × 2 workers over TCP).
//!
//! **Error bound.** Exactly the single-machine one:
//! `0 ≤ pr_α(s)(v) − (p(v) + α r(v)) < ε · d(v)` for every node v. The proof (ACL 2006,
//! Lemma 3) does not depend on the order of pushes. With `W` the lazy walk
//! (`(xW)(y) = x(y)/2 + Σ_x x(x) w_xy / (2 d(x))`), `pr_α` is linear and satisfies
//! `pr_α(χ) = α χ + (1 − α) pr_α(χ W)` for every vector χ. Pushing an amount `m` at `x`
//! (`p(x) += α m`, `r −= m χ_x`, `r += (1 − α) m χ_x W`) therefore keeps the invariant
//! `pr_α(s) = p + pr_α(r)`, for any `0 < m ≤ r(x)`, not only `m = r(x)`. A synchronous round
//! is a sequence of such pushes, one per active node, each of the amount the node held at the
//! start of the round; mass arriving during the round only makes the node's residual larger,
//! so each amount is at most the residual at the moment it is pushed. `p` and `r` stay
//! non-negative. The rounds end when no node has `r(x) ≥ ε d(x)` (or `d(x) = 0`, which only
//! the source can hold: mass travels on positive weights only). Since `d` is stationary for
//! the lazy walk, `pr_α(d) = d`, and `pr_α` is monotone, `pr_α(r) ≤ ε d` entrywise; and
//! `pr_α(r)(v) ≥ α r(v)`. Hence
//! `0 ≤ pr_α(s)(v) − p(v) − α r(v) ≤ pr_α(r)(v) − α r(v) < ε d(v)`.
//! Termination: each push removes at least `α ε d(x) ≥ α ε w_min` of the total residual mass
//! (which starts at 1 and never grows), so there are at most `1/(α ε w_min)` pushes.
//!
//! The synchronous push does not do the same pushes as the single machine's FIFO queue, so
//! the two estimates differ, each within `ε d(v)` of the exact value; rankings agree on all
//! but near-ties (top-15 overlap on `tiny`: see the tests).
//!
//! **Memory.** A worker holds one `(p, r)` entry per (source of the wave, touched node it
//! owns): at most the wave's sources × `1/(α ε)` pushes' reach, spread over the workers, and
//! one round's messages. [`PushParams::batch`] bounds the sources per worker per wave.

use std::cell::RefCell;
use std::collections::hash_map::Entry as Slot;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tierank_format::PersonId;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{HeuristicConfig, for_each_pair_weight};
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Exchange, Input, Inspect, Probe};
use timely::dataflow::{InputHandleVec, ProbeHandle};
use timely::progress::Stamp;
use timely::worker::Worker;

use crate::cluster::{ClusterSpec, DistError, owner_of};

/// The share of the graph one worker holds, as the distributed push reads it.
///
/// For a `node` this worker owns (`owner_of(node, total_workers) == worker index`),
/// `adjacency(node)` returns `Some((friends, weights))`:
///
/// - `friends`: the person ids of **all** the node's friends (ties of weight 0 included:
///   they carry no mass but their friends are still scored), in **strictly ascending** person
///   id order, which is also the single-machine graph's slot order;
/// - `weights`: the same length, `weights[i]` is the symmetric pair weight `w_xy` between
///   `node` and `friends[i]`, exactly the value `tierank_heuristics::for_each_pair_weight`
///   gives for that tie on the single-machine graph: the user weight when `ties.parquet` has a
///   weight column; else the channel-weighted event volume of both directions,
///   `Σ_c channel_weight[c] · count_c(x → y) + Σ_c channel_weight[c] · count_c(y → x)`
///   (forward first, as `for_each_pair_weight` adds it); else `1.0` (unweighted graph).
///   Finite and non-negative, and the same value at both ends of a tie (`w_xy = w_yx`: the
///   error bound needs the weights symmetric).
///
/// It returns `None` for a node the worker does not hold; the push then stops with
/// [`PushError::NotOwned`]. A worker may hold more than its own nodes (the
/// [`OwnedAdjacency`] of a whole graph for one worker, for instance): only owned nodes are
/// asked for. The weighted degree is `d(x) = Σ_i weights[i]`, summed in this order, so the
/// order must not depend on the cluster's shape.
pub trait PushGraph {
    /// Friends (strictly ascending person ids) and pair weights of an owned `node`, or
    /// `None` when this worker does not hold it.
    fn adjacency(&self, node: PersonId) -> Option<(&[PersonId], &[f64])>;
}

/// Default sources per worker per wave: a wave's state is about `batch / (α ε)` entries
/// spread over the workers (256 sources at the default α and ε: at most 17 million
/// entries, 0.5 GB, in the worst case; a few megabytes on the presets, whose pushes stay
/// within a few thousand nodes).
pub const DEFAULT_PUSH_BATCH: usize = 256;

/// Bytes of one residual-mass message on the wire: source 8 + node 8 + mass 8 (bincode).
pub const MASS_MESSAGE_BYTES: u64 = 24;

/// Bytes of one score message on the wire: source 8 + friend 8 + score 8.
pub const SCORE_MESSAGE_BYTES: u64 = 24;

/// Errors of the distributed push.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PushError {
    /// α, ε or the batch size is out of range.
    #[error("invalid push parameter: {0}")]
    InvalidParameter(String),
    /// A source given to this worker, or a node mass was sent to, is not held here.
    #[error(
        "worker {worker}: person {node} is not held by this worker (its owner is worker \
         {owner}); a source must be given to its owner and every owned node must be in the \
         worker's share"
    )]
    NotOwned {
        /// This worker.
        worker: usize,
        /// The person.
        node: PersonId,
        /// `owner_of(node, peers)`.
        owner: usize,
    },
    /// A share broke the [`PushGraph`] contract.
    #[error("worker {worker}: adjacency of person {node}: {reason}")]
    BadAdjacency {
        /// This worker.
        worker: usize,
        /// The person.
        node: PersonId,
        /// What is wrong.
        reason: String,
    },
    /// Another worker failed; every worker stops at the same round instead of waiting.
    #[error("worker {worker}: stopped because another worker's push failed")]
    PeerFailed {
        /// This worker.
        worker: usize,
    },
}

/// Parameters of the distributed push.
#[derive(Debug, Clone, PartialEq)]
pub struct PushParams {
    /// Teleport probability α of the lazy walk (`ppr_alpha`).
    pub alpha: f64,
    /// Push threshold ε (`ppr_epsilon`).
    pub epsilon: f64,
    /// Sources per worker per wave; bounds the memory of a wave. Does not change the scores.
    pub batch: usize,
}

impl PushParams {
    /// α and ε from a heuristic configuration (the values the single-machine `ppr` uses),
    /// with `batch` sources per worker per wave.
    ///
    /// # Errors
    /// [`PushError::InvalidParameter`] when `config` does not validate or `batch` is 0.
    pub fn new(config: &HeuristicConfig, batch: usize) -> Result<Self, PushError> {
        config
            .validate()
            .map_err(|e| PushError::InvalidParameter(e.to_string()))?;
        let params = Self {
            alpha: config.ppr_alpha,
            epsilon: config.ppr_epsilon,
            batch,
        };
        params.validate()?;
        Ok(params)
    }

    fn validate(&self) -> Result<(), PushError> {
        let bad = |m: String| Err(PushError::InvalidParameter(m));
        if !(self.alpha >= tierank_heuristics::MIN_PPR_ALPHA && self.alpha <= 1.0) {
            return bad(format!(
                "alpha = {} (expected {} ..= 1)",
                self.alpha,
                tierank_heuristics::MIN_PPR_ALPHA
            ));
        }
        if !(self.epsilon >= tierank_heuristics::MIN_PPR_EPSILON && self.epsilon.is_finite()) {
            return bad(format!(
                "epsilon = {} (expected at least {})",
                self.epsilon,
                tierank_heuristics::MIN_PPR_EPSILON
            ));
        }
        if self.batch == 0 {
            return bad("batch = 0 (expected at least 1 source per wave)".into());
        }
        Ok(())
    }
}

/// The push's estimate for one source: one score per friend, aligned with `friends`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceScores {
    /// The source (target) person.
    pub source: PersonId,
    /// Its friends, as its owner's [`PushGraph::adjacency`] lists them (ascending).
    pub friends: Vec<PersonId>,
    /// `p(v) + α r(v)` for each friend `v`, as the single-machine heuristic reports it;
    /// `0.0` for a friend the push never reached.
    pub scores: Vec<f64>,
}

/// What the push did. `waves`, `rounds`, `total_pushes` and `round_messages` are global
/// (the same on every worker); the rest counts this worker only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushStats {
    /// Waves of sources.
    pub waves: u64,
    /// Rounds in which at least one node pushed, over all waves.
    pub rounds: u64,
    /// Barriers (all-reduces), over all waves: rounds, one closing round per wave, and one
    /// score gather per wave.
    pub barriers: u64,
    /// Pushes by every worker.
    pub total_pushes: u64,
    /// Residual-mass messages sent by every worker, per round (each
    /// [`MASS_MESSAGE_BYTES`] on the wire).
    pub round_messages: Vec<u64>,
    /// Pushes by this worker.
    pub pushes: u64,
    /// Residual-mass messages this worker sent.
    pub mass_messages: u64,
    /// Of those, messages to other workers (the rest stay in the worker).
    pub mass_messages_to_peers: u64,
    /// Score messages this worker sent ([`SCORE_MESSAGE_BYTES`] each).
    pub score_messages: u64,
    /// Largest number of `(source, node)` entries this worker held at once.
    pub peak_entries: usize,
    /// Wall time of the push on this worker.
    pub elapsed: Duration,
}

/// The result of [`push_partitioned`] on one worker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushOutput {
    /// One entry per source given to this worker, in the order given.
    pub scores: Vec<SourceScores>,
    /// What the push did.
    pub stats: PushStats,
}

/// Residual mass on the wire: (source, node, mass).
type Mass = (PersonId, PersonId, f64);
/// Per-round all-reduce: (pushes, messages, sources left after this wave, failed).
type Ctrl = (u64, u64, u64, u64);
/// A friend's final score on the wire: (source, friend, score).
type ScoreMsg = (PersonId, PersonId, f64);

/// Records received in a dataflow, by the time they were sent at.
type Buckets<D> = Rc<RefCell<BTreeMap<u64, Vec<D>>>>;

/// Files a received batch under its time. Data from an input handle at time `t` carries
/// the stamp `{t}`.
fn file<D: Copy>(buckets: &Buckets<D>, stamp: &Stamp<u64>, batch: &[D]) {
    let time = stamp.least().copied().unwrap_or(0);
    buckets
        .borrow_mut()
        .entry(time)
        .or_default()
        .extend_from_slice(batch);
}

/// One `(source, node)` entry of the push.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Estimate `p`.
    p: f64,
    /// Residual `r`.
    r: f64,
    /// Weighted degree `d(node)`.
    d: f64,
}

/// Weighted degrees of the nodes this worker owns, checked against the [`PushGraph`]
/// contract the first time each is asked for.
struct Degrees<'g, G: ?Sized> {
    graph: &'g G,
    worker: usize,
    peers: usize,
    cache: HashMap<PersonId, f64>,
}

impl<G: PushGraph + ?Sized> Degrees<'_, G> {
    fn get(&mut self, node: PersonId) -> Result<f64, PushError> {
        if let Some(&d) = self.cache.get(&node) {
            return Ok(d);
        }
        let owner = owner_of(node, self.peers);
        let bad = |reason: &str| PushError::BadAdjacency {
            worker: self.worker,
            node,
            reason: reason.to_owned(),
        };
        let Some((friends, weights)) = self.graph.adjacency(node).filter(|_| owner == self.worker)
        else {
            return Err(PushError::NotOwned {
                worker: self.worker,
                node,
                owner,
            });
        };
        if friends.len() != weights.len() {
            return Err(bad(&format!(
                "{} friends but {} weights",
                friends.len(),
                weights.len()
            )));
        }
        if friends.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad("friends are not in strictly ascending person id order"));
        }
        let mut d = 0.0;
        for &w in weights {
            if !(w.is_finite() && w >= 0.0) {
                return Err(bad(&format!("pair weight {w} is not finite and >= 0")));
            }
            d += w;
        }
        self.cache.insert(node, d);
        Ok(d)
    }
}

/// Runs the push for `sources` across every worker of the cluster; call it from inside a
/// timely worker, on **every** worker, with that worker's share of the graph and the
/// sources it owns (`owner_of(source, worker.peers()) == worker.index()`), the same
/// `params` everywhere. Workers with no sources still take part (their nodes receive mass).
///
/// Returns, for each source in the order given, `p(v) + α r(v)` for every friend `v`:
/// within `ε d(v)` below the exact personalized PageRank, and bit-identical at any number of
/// processes, workers and any batch size (see the module documentation for the proof).
///
/// Cost per wave: one barrier per round (6 to 8 rounds on `small` at the default ε; every round
/// is an all-reduce of four numbers plus the round's messages, [`MASS_MESSAGE_BYTES`] each),
/// one closing barrier and one score gather. Memory: see [`PushParams::batch`].
///
/// # Errors
/// [`PushError::InvalidParameter`] for bad `params` (on every worker alike);
/// [`PushError::NotOwned`] / [`PushError::BadAdjacency`] on the worker whose share is wrong,
/// and [`PushError::PeerFailed`] on every other worker: all stop at the same round, none
/// waits forever.
pub fn push_partitioned<G: PushGraph + ?Sized>(
    worker: &mut Worker,
    graph: &G,
    sources: &[PersonId],
    params: &PushParams,
) -> Result<PushOutput, PushError> {
    params.validate()?;
    let started = Instant::now();
    let index = worker.index();
    let peers = worker.peers();
    let (alpha, epsilon) = (params.alpha, params.epsilon);

    let mut mass_in: InputHandleVec<u64, Mass> = InputHandleVec::new();
    let mut ctrl_in: InputHandleVec<u64, Ctrl> = InputHandleVec::new();
    let mut score_in: InputHandleVec<u64, ScoreMsg> = InputHandleVec::new();
    let masses: Buckets<Mass> = Rc::default();
    let ctrls: Buckets<Ctrl> = Rc::default();
    let scores_in: Buckets<ScoreMsg> = Rc::default();
    let probe: ProbeHandle<u64> = ProbeHandle::new();
    worker.dataflow::<u64, _, _>(|scope| {
        let sink = Rc::clone(&masses);
        scope
            .input_from(&mut mass_in)
            .exchange(move |m: &Mass| owner_of(m.1, peers) as u64)
            .inspect_core(move |event| {
                if let Ok((stamp, batch)) = event {
                    file(&sink, stamp, batch);
                }
            })
            .probe_with(&probe);
        let sink = Rc::clone(&ctrls);
        scope
            .input_from(&mut ctrl_in)
            .broadcast()
            .inspect_core(move |event| {
                if let Ok((stamp, batch)) = event {
                    file(&sink, stamp, batch);
                }
            })
            .probe_with(&probe);
        let sink = Rc::clone(&scores_in);
        scope
            .input_from(&mut score_in)
            .exchange(move |m: &ScoreMsg| owner_of(m.0, peers) as u64)
            .inspect_core(move |event| {
                if let Ok((stamp, batch)) = event {
                    file(&sink, stamp, batch);
                }
            })
            .probe_with(&probe);
    });

    let mut degrees = Degrees {
        graph,
        worker: index,
        peers,
        cache: HashMap::new(),
    };
    let mut stats = PushStats::default();
    let mut output = Vec::with_capacity(sources.len());
    let mut failure: Option<PushError> = None;
    let mut state: HashMap<(PersonId, PersonId), Entry> = HashMap::new();
    let mut active: Vec<(PersonId, PersonId)> = Vec::new();
    let mut touched: Vec<(PersonId, PersonId)> = Vec::new();
    let mut time = 0u64;
    let mut next = 0usize;

    'waves: loop {
        let wave = &sources[next..(next + params.batch).min(sources.len())];
        next += wave.len();
        let left = (sources.len() - next) as u64;
        stats.waves += 1;
        state.clear();
        active.clear();
        for &s in wave {
            match degrees.get(s) {
                Ok(d) => {
                    state.insert((s, s), Entry { p: 0.0, r: 1.0, d });
                    active.push((s, s));
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    break;
                }
            }
        }
        active.sort_unstable();
        active.dedup();

        // Rounds; the loop's value is the number of sources left anywhere after this wave.
        let left_anywhere: u64 = loop {
            let sent_at = time;
            let (mut pushes, mut messages) = (0u64, 0u64);
            touched.clear();
            if failure.is_none() {
                for &key in &active {
                    let Some(e) = state.get_mut(&key) else {
                        continue;
                    };
                    let (r, d) = (e.r, e.d);
                    if !(d > 0.0 && r >= epsilon * d) {
                        continue;
                    }
                    // Validated when the entry was made.
                    let Some((friends, weights)) = graph.adjacency(key.1) else {
                        continue;
                    };
                    e.p += alpha * r;
                    let spread = (1.0 - alpha) * r / (2.0 * d);
                    e.r = (1.0 - alpha) * r / 2.0;
                    pushes += 1;
                    touched.push(key);
                    for (&y, &w) in friends.iter().zip(weights) {
                        if w > 0.0 {
                            mass_in.send((key.0, y, spread * w));
                            messages += 1;
                            if owner_of(y, peers) != index {
                                stats.mass_messages_to_peers += 1;
                            }
                        }
                    }
                }
            }
            stats.pushes += pushes;
            stats.mass_messages += messages;
            ctrl_in.send((pushes, messages, left, u64::from(failure.is_some())));
            barrier(
                worker,
                &probe,
                &mut time,
                [&mut mass_in, &mut score_in],
                &mut ctrl_in,
            );
            stats.barriers += 1;
            let (all_pushes, all_messages, all_left, failed) = ctrls
                .borrow_mut()
                .remove(&sent_at)
                .unwrap_or_default()
                .iter()
                .fold((0, 0, 0, 0), |a, c| {
                    (a.0 + c.0, a.1 + c.1, a.2 + c.2, a.3 + c.3)
                });
            let mut incoming = masses.borrow_mut().remove(&sent_at).unwrap_or_default();
            if failed > 0 {
                failure.get_or_insert(PushError::PeerFailed { worker: index });
                break 'waves;
            }
            if all_pushes == 0 {
                // Nothing moved: the residuals are final for this wave.
                break all_left;
            }
            stats.rounds += 1;
            stats.total_pushes += all_pushes;
            stats.round_messages.push(all_messages);
            // The canonical order: by (source, node), then by mass.
            incoming.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
            for &(s, y, m) in &incoming {
                let e = match state.entry((s, y)) {
                    Slot::Occupied(o) => o.into_mut(),
                    Slot::Vacant(v) => match degrees.get(y) {
                        Ok(d) => v.insert(Entry { p: 0.0, r: 0.0, d }),
                        Err(e) => {
                            failure.get_or_insert(e);
                            continue;
                        }
                    },
                };
                e.r += m;
                touched.push((s, y));
            }
            stats.peak_entries = stats.peak_entries.max(state.len());
            touched.sort_unstable();
            touched.dedup();
            active.clear();
            active.extend(touched.iter().copied().filter(|k| {
                state
                    .get(k)
                    .is_some_and(|e| e.d > 0.0 && e.r >= epsilon * e.d)
            }));
        };

        // Gather: the owner of v tells owner(s) the score of v, for every friend v of s.
        let sent_at = time;
        for (&(s, v), e) in &state {
            if s == v {
                continue;
            }
            let is_friend = graph
                .adjacency(v)
                .is_some_and(|(friends, _)| friends.binary_search(&s).is_ok());
            if is_friend {
                score_in.send((s, v, e.p + alpha * e.r));
                stats.score_messages += 1;
            }
        }
        barrier(
            worker,
            &probe,
            &mut time,
            [&mut mass_in, &mut score_in],
            &mut ctrl_in,
        );
        stats.barriers += 1;
        let received = scores_in.borrow_mut().remove(&sent_at).unwrap_or_default();
        let mut by_source: HashMap<PersonId, Vec<f64>> = HashMap::new();
        for &s in wave {
            if let Some((friends, _)) = graph.adjacency(s) {
                by_source
                    .entry(s)
                    .or_insert_with(|| vec![0.0; friends.len()]);
            }
        }
        for &(s, v, score) in &received {
            let (Some(scores), Some((friends, _))) = (by_source.get_mut(&s), graph.adjacency(s))
            else {
                continue;
            };
            if let Ok(i) = friends.binary_search(&v) {
                scores[i] = score;
            }
        }
        for &s in wave {
            let friends = graph
                .adjacency(s)
                .map(|(f, _)| f.to_vec())
                .unwrap_or_default();
            let scores = by_source
                .get(&s)
                .cloned()
                .unwrap_or_else(|| vec![0.0; friends.len()]);
            output.push(SourceScores {
                source: s,
                friends,
                scores,
            });
        }
        // Workers whose own sources are done keep taking part while others have some.
        if left_anywhere == 0 {
            break;
        }
    }
    drop((mass_in, ctrl_in, score_in));
    worker.step_or_park_while(None, || !probe.done());
    stats.elapsed = started.elapsed();
    match failure {
        Some(e) => Err(e),
        None => Ok(PushOutput {
            scores: output,
            stats,
        }),
    }
}

/// Closes time `*time` on every input and waits until everything sent at it has arrived
/// everywhere. Every worker goes through the same sequence of barriers (each decision is
/// taken on all-reduced numbers), so the times line up across workers.
fn barrier(
    worker: &mut Worker,
    probe: &ProbeHandle<u64>,
    time: &mut u64,
    inputs: [&mut InputHandleVec<u64, (PersonId, PersonId, f64)>; 2],
    ctrl_in: &mut InputHandleVec<u64, Ctrl>,
) {
    *time += 1;
    for input in inputs {
        input.advance_to(*time);
    }
    ctrl_in.advance_to(*time);
    let time = *time;
    worker.step_or_park_while(None, || probe.less_than(&time));
}

/// The [`PushGraph`] share of one worker cut from a whole in-memory graph: the friends and
/// [`for_each_pair_weight`] weights of the persons `owner_of` gives to `worker` among
/// `workers`. The partitioned load cuts it from a worker's graph (every tie of the persons
/// it owns, with both directions' features); [`push_whole_graph`] and the tests from a whole graph.
#[derive(Debug, Clone, Default)]
pub struct OwnedAdjacency {
    /// Owned persons, ascending.
    persons: Vec<PersonId>,
    /// `friends[offsets[i]..offsets[i + 1]]` are the friends of `persons[i]`.
    offsets: Vec<usize>,
    friends: Vec<PersonId>,
    weights: Vec<f64>,
}

impl OwnedAdjacency {
    /// Cuts the share of `worker` (of `workers`) out of `graph`, with pair weights read as
    /// `config` says (channel weights).
    ///
    /// Nodes are visited in node-id order, which is person-id order, and each node's friends
    /// in slot order, which is again person-id order: the contract of [`PushGraph`].
    pub fn from_graph(
        graph: &Graph,
        config: &HeuristicConfig,
        worker: usize,
        workers: usize,
    ) -> Self {
        let mut share = Self {
            offsets: vec![0],
            ..Self::default()
        };
        for i in 0..graph.num_nodes() {
            let x = NodeId(u32::try_from(i).unwrap_or(u32::MAX));
            let person = graph.person(x);
            if owner_of(person, workers) != worker {
                continue;
            }
            share.persons.push(person);
            for_each_pair_weight(graph, config, x, |_, y, w| {
                share.friends.push(graph.person(y));
                share.weights.push(w);
            });
            share.offsets.push(share.friends.len());
        }
        share
    }

    /// Number of persons held.
    pub fn len(&self) -> usize {
        self.persons.len()
    }

    /// Whether no person is held.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }
}

impl PushGraph for OwnedAdjacency {
    fn adjacency(&self, node: PersonId) -> Option<(&[PersonId], &[f64])> {
        let i = self.persons.binary_search(&node).ok()?;
        let range = self.offsets[i]..self.offsets[i + 1];
        Some((&self.friends[range.clone()], &self.weights[range]))
    }
}

/// The `k` best friends by pushed score, best first: score descending, then person id
/// ascending, with `-0.0` as `0.0` and NaN last — the order of
/// `tierank_heuristics::rank::top_k` (node ids follow person ids), so a pushed score ranks
/// as the single-process driver would rank it.
///
/// # Panics
/// When `friends` and `scores` differ in length.
pub fn top_k_pushed(friends: &[PersonId], scores: &[f64], k: usize) -> Vec<(PersonId, f64)> {
    assert_eq!(friends.len(), scores.len(), "one score per friend");
    let canonical = |s: f64| {
        if s.is_nan() {
            f64::NEG_INFINITY
        } else {
            s + 0.0
        }
    };
    let mut out: Vec<(PersonId, f64)> = friends
        .iter()
        .zip(scores)
        .map(|(&v, &s)| (v, canonical(s)))
        .collect();
    out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(k);
    out
}

/// Runs [`push_partitioned`] on a whole in-memory graph as a cluster of
/// `spec.total_workers()` workers (threads of this process, and processes when `spec` has
/// several): each worker cuts its [`OwnedAdjacency`] and pushes from the `sources` it owns.
/// Every process must get the same graph, sources and parameters.
///
/// Returns this process's results: every source owned by one of its workers (in `sources`
/// order, duplicates included) and each local worker's [`PushStats`] (worker order).
///
/// # Errors
/// [`DistError::Start`] when timely cannot start; [`DistError::Worker`] naming the worker
/// when a push fails.
pub fn push_whole_graph(
    spec: &ClusterSpec,
    graph: Arc<Graph>,
    config: &HeuristicConfig,
    sources: &[PersonId],
    batch: usize,
) -> Result<(Vec<SourceScores>, Vec<PushStats>), DistError> {
    let params = PushParams::new(config, batch).map_err(|e| DistError::Worker(e.to_string()))?;
    let config = Arc::new(config.clone());
    let sources: Arc<Vec<PersonId>> = Arc::new(sources.to_vec());
    let results: Arc<Mutex<Vec<(usize, PushOutput)>>> = Arc::default();
    let sink = Arc::clone(&results);
    let all_sources = Arc::clone(&sources);
    let guards = timely::execute(spec.timely_config(), move |worker| {
        let index = worker.index();
        let peers = worker.peers();
        let share = OwnedAdjacency::from_graph(&graph, &config, index, peers);
        let mine: Vec<PersonId> = all_sources
            .iter()
            .copied()
            .filter(|&s| owner_of(s, peers) == index)
            .collect();
        let out = push_partitioned(worker, &share, &mine, &params).map_err(|e| e.to_string())?;
        sink.lock()
            .map_err(|_| "a worker panicked".to_owned())?
            .push((index, out));
        Ok::<(), String>(())
    })
    .map_err(DistError::Start)?;
    for result in guards.join() {
        result
            .map_err(DistError::Worker)?
            .map_err(DistError::Worker)?;
    }
    let mut outputs = std::mem::take(
        &mut *results
            .lock()
            .map_err(|_| DistError::Worker("a worker panicked".into()))?,
    );
    outputs.sort_unstable_by_key(|(i, _)| *i);
    let total = spec.total_workers();
    let mut by_worker: Vec<std::vec::IntoIter<SourceScores>> = Vec::new();
    let mut stats = Vec::new();
    let first = spec.process * spec.workers;
    for (_, out) in outputs {
        by_worker.push(out.scores.into_iter());
        stats.push(out.stats);
    }
    // Each worker returned its sources in `sources` order; interleave them back.
    let mut scores = Vec::new();
    for &s in sources.iter() {
        let owner = owner_of(s, total);
        if owner < first || owner >= first + by_worker.len() {
            continue;
        }
        if let Some(row) = by_worker[owner - first].next() {
            scores.push(row);
        }
    }
    Ok((scores, stats))
}

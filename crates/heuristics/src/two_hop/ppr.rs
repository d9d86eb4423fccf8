//! Personalized PageRank by the Andersen–Chung–Lang push.

use crate::{
    CostClass, Heuristic, HeuristicConfig, HeuristicError, Needs, Scratch, for_each_pair_weight,
};
use tierank_graph::{Graph, NodeId};

/// Personalized PageRank from the target, estimated by the Andersen–Chung–Lang lazy push,
/// over symmetric tie weights; friends are ranked by their estimate `p(v) + α r(v)`.
///
/// Let `w_xy` be [`pair_weight`] (the user weight, else the channel-weighted event volume
/// both ways, else 1) and `d(x) = Σ_y w_xy` the weighted degree. The lazy walk stays put with
/// probability ½ and otherwise moves to `y` with probability `w_xy / d(x)`; `pr_α(s)` is the
/// stationary distribution of "teleport to `s` with probability α, else take a lazy step".
/// The push keeps an estimate `p` and a residual `r`, starting from `p = 0`, `r = e_s`:
///
/// ```text
/// while some x has r(x) ≥ ε d(x):
///     p(x) += α r(x)
///     r(y) += (1 − α) r(x) w_xy / (2 d(x))   for every friend y of x
///     r(x)  = (1 − α) r(x) / 2
/// ```
///
/// with α = `ppr_alpha` (teleport, default 0.15) and ε = `ppr_epsilon` (default 1e-4).
/// Nodes wait in a FIFO queue; a node is queued at most once at a time.
///
/// **Error bound.** The push keeps `pr_α(s) = p + pr_α(r)` (ACL 2006, Lemma 3). At
/// termination `r(x) < ε d(x)` for every `x`; `pr_α` is linear and monotone and `d` is
/// stationary for the lazy walk (`pr_α(d) = d`), so `pr_α(r) ≤ ε d` entrywise:
///
/// ```text
/// 0 ≤ pr_α(s)(v) − (p(v) + α r(v)) ≤ pr_α(s)(v) − p(v) < ε · d(v)     for every node v,
/// ```
///
/// and in total `‖pr_α(s) − p‖₁ < ε · vol(touched)`. Work is `O(1/(εα))` pushes
/// (ACL Lemma 2: each push removes at least `εα d(x)` of residual mass).
///
/// **Relation to plain PageRank.** The lazy walk with teleport α has the same stationary
/// vector as the plain walk with teleport `α' = 2α / (1 + α)`, i.e. networkx's
/// `pagerank(damping = 1 − α' = (1 − α)/(1 + α), personalization = {s: 1})`.
///
/// **Score.** Friends are ranked by `p(v) + α r(v)` (the estimate after one more push at
/// `v`; the bound below holds for it too), not by a degree-normalised form: the question is "where
/// does the target's random walk spend its time", which favours friends on heavy ties and
/// friends well woven into the target's circles. The degree-normalised form would instead
/// lift friends with few ties, whatever their tie to the target.
///
/// **Zero weights.** A tie of weight 0 carries no mass. A node whose weighted degree is 0 is
/// never pushed (there is nothing to spread over), so a target whose ties all weigh 0 scores
/// every friend 0.
///
/// Andersen, Chung & Lang (2006), "Local graph partitioning using PageRank vectors", Proc.
/// FOCS 2006, 475–486.
///
/// - Cost class: [`CostClass::Local`]; needs only the topology (works unweighted).
/// - Complexity: `O(Σ_{pushes} k_x)` time, at most `O(1/(εα) · max k)`, plus one weighted
///   degree per touched node (`O(k_y)` when the graph has weights, `O(1)` without), computed
///   once per node and thread and kept in [`Scratch::weighted_degree`] across targets (a
///   graph or channel-weight change starts it afresh, an `O(n)` fill). With events a weighted
///   degree costs a search in each friend's active ties, so a touched node first gets only a
///   lower bound from its own events (`O(active ties of y)`, kept in
///   [`Scratch::weighted_degree_floor`]) and its exact `d(y)` only once `r(y)` reaches `ε`
///   times the bound; the queue is exactly the one the exact degrees give. Memory is the dense
///   scratch arrays, and only touched entries are reset afterwards, so a call costs what it
///   touches, not the graph size.
///
/// # Arguments and returns
/// [`Heuristic::score`] writes `p(v)` (in `[0, 1]`) for every friend of `target`, aligned with
/// `graph.neighbors(target)`.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{two_hop::PersonalizedPageRank, Heuristic, HeuristicConfig, Scratch};
///
/// // A path 1 - 2 - 3 with a heavy tie 1-2 and a second friend 4 of 1 on a light tie.
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (2, 3), (1, 4)], Some(&[5.0, 1.0, 1.0]))
///     .unwrap();
/// let h = PersonalizedPageRank::new(&HeuristicConfig::default()).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// assert_eq!(out.len(), 2); // friends 2 and 4
/// assert!(out[0] > out[1]); // the heavy tie wins
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalizedPageRank {
    /// Teleport probability α of the lazy walk.
    pub alpha: f64,
    /// Push threshold ε.
    pub epsilon: f64,
    /// The configuration [`pair_weight`] reads (channel weights).
    config: HeuristicConfig,
}

impl PersonalizedPageRank {
    /// Takes α and ε (and the channel weights) from `config`.
    ///
    /// # Errors
    /// [`HeuristicError::InvalidParameter`] when `config` does not validate.
    pub fn new(config: &HeuristicConfig) -> Result<Self, HeuristicError> {
        config.validate()?;
        Ok(Self {
            alpha: config.ppr_alpha,
            epsilon: config.ppr_epsilon,
            config: config.clone(),
        })
    }
}

/// Per-call state of the push: which stamps mean "touched" and "queued", and whether the
/// weighted degree is just the degree.
struct Push<'a> {
    graph: &'a Graph,
    config: &'a HeuristicConfig,
    unweighted: bool,
    /// Whether weighted degrees come from events and are computed only when needed (see
    /// [`Push::touch`]).
    lazy: bool,
    touched_stamp: u32,
    queued_stamp: u32,
}

impl Push<'_> {
    /// Weighted degree `d(x)`.
    fn weighted_degree(&self, x: NodeId) -> f64 {
        if self.unweighted {
            return self.graph.degree(x) as f64;
        }
        let mut d = 0.0;
        for_each_pair_weight(self.graph, self.config, x, |_, _, w| d += w);
        d
    }

    /// A lower bound on `d(x)` that reads only `x`'s own active ties: the channel-weighted
    /// volume `x` sent, summed in neighbour order as [`Push::weighted_degree`] sums `d(x)`.
    ///
    /// Why it bounds `d(x)` in floating point too: `d(x)` adds, tie by tie in neighbour
    /// order, `fl(out + in)` with `in ≥ 0`, where this adds `out` (and nothing for a tie
    /// without events); rounding is monotone, so `fl(out + in) ≥ out`, and by induction every
    /// partial sum of `d(x)` is at least the same partial sum here.
    fn weighted_degree_floor(&self, x: NodeId) -> f64 {
        let Some(inter) = self.graph.interactions() else {
            return 0.0;
        };
        let mut floor = 0.0;
        for t in inter.out_ties(x) {
            let out: f64 = t
                .channels
                .iter()
                .map(|c| self.config.channel_weights[usize::from(c.channel)] * f64::from(c.count))
                .sum();
            floor += out;
        }
        floor
    }

    /// Records `x` as touched (first time only): its weighted degree goes to `buf_a` at the
    /// index kept in `position`, and a lower bound on it to `buf_b`.
    ///
    /// With events, `d(x)` costs a search in every friend's active ties, and most touched
    /// nodes never reach the threshold: their `buf_a` entry stays NaN (unknown) until
    /// [`Push::maybe_enqueue`] finds the residual at or above `ε` times the bound
    /// ([`Push::weighted_degree_floor`], which reads only `x`'s own ties). Both are kept per
    /// thread across targets.
    fn touch(&self, scratch: &mut Scratch, x: NodeId) {
        let m = scratch.marks[x.index()];
        if m == self.touched_stamp || m == self.queued_stamp {
            return;
        }
        scratch.marks[x.index()] = self.touched_stamp;
        scratch.position[x.index()] = scratch.touched.len() as u32;
        scratch.touched.push(x);
        if self.unweighted {
            let d = self.graph.degree(x) as f64;
            scratch.buf_a.push(d);
            scratch.buf_b.push(d);
            return;
        }
        let cached = scratch.weighted_degree[x.index()];
        if !cached.is_nan() || !self.lazy {
            let d = if cached.is_nan() {
                let d = self.weighted_degree(x);
                scratch.weighted_degree[x.index()] = d;
                d
            } else {
                cached
            };
            scratch.buf_a.push(d);
            scratch.buf_b.push(d);
            return;
        }
        let mut floor = scratch.weighted_degree_floor[x.index()];
        if floor.is_nan() {
            floor = self.weighted_degree_floor(x);
            scratch.weighted_degree_floor[x.index()] = floor;
        }
        scratch.buf_a.push(f64::NAN);
        scratch.buf_b.push(floor);
    }

    /// Queues a touched `x` when it is above threshold and not already queued.
    fn maybe_enqueue(&self, scratch: &mut Scratch, x: NodeId, epsilon: f64) {
        if scratch.marks[x.index()] == self.queued_stamp {
            return;
        }
        let at = scratch.position[x.index()] as usize;
        let r = scratch.dense_b[x.index()];
        let mut d = scratch.buf_a[at];
        if d.is_nan() {
            // `r < ε floor ≤ ε d`: below threshold whatever `d` is.
            if r < epsilon * scratch.buf_b[at] {
                return;
            }
            d = scratch.weighted_degree[x.index()];
            if d.is_nan() {
                d = self.weighted_degree(x);
                scratch.weighted_degree[x.index()] = d;
            }
            scratch.buf_a[at] = d;
        }
        if d > 0.0 && r >= epsilon * d {
            scratch.marks[x.index()] = self.queued_stamp;
            scratch.queue.push(x);
        }
    }
}

impl Heuristic for PersonalizedPageRank {
    fn name(&self) -> &str {
        "ppr"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::Local
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        if graph.degree(target) == 0 {
            return;
        }
        scratch.ensure_nodes(graph.num_nodes());
        let touched_stamp = scratch.next_stamp();
        let queued_stamp = scratch.next_stamp();
        let push = Push {
            graph,
            config: &self.config,
            unweighted: graph.weights().is_none() && graph.interactions().is_none(),
            lazy: graph.weights().is_none() && graph.interactions().is_some(),
            touched_stamp,
            queued_stamp,
        };
        scratch.touched.clear();
        scratch.queue.clear();
        scratch.buf_a.clear();
        scratch.buf_b.clear();
        if !push.unweighted {
            let key = (
                graph.instance(),
                self.config.channel_weights.map(f64::to_bits),
            );
            if scratch.weighted_degree_key != Some(key)
                || scratch.weighted_degree.len() != graph.num_nodes()
            {
                scratch.weighted_degree.clear();
                scratch.weighted_degree.resize(graph.num_nodes(), f64::NAN);
                scratch.weighted_degree_floor.clear();
                scratch
                    .weighted_degree_floor
                    .resize(graph.num_nodes(), f64::NAN);
                scratch.weighted_degree_key = Some(key);
            }
        }

        push.touch(scratch, target);
        scratch.dense_b[target.index()] = 1.0;
        push.maybe_enqueue(scratch, target, self.epsilon);

        // FIFO over a Vec: `head` is the front; the Vec only grows within a call.
        let mut head = 0;
        while head < scratch.queue.len() {
            let x = scratch.queue[head];
            head += 1;
            scratch.marks[x.index()] = touched_stamp;
            let d = scratch.buf_a[scratch.position[x.index()] as usize];
            let r = scratch.dense_b[x.index()];
            if !(d > 0.0 && r >= self.epsilon * d) {
                continue;
            }
            scratch.dense_a[x.index()] += self.alpha * r;
            let spread = (1.0 - self.alpha) * r / (2.0 * d);
            scratch.dense_b[x.index()] = (1.0 - self.alpha) * r / 2.0;
            for_each_pair_weight(graph, &self.config, x, |_, y, w| {
                if w > 0.0 {
                    push.touch(scratch, y);
                    scratch.dense_b[y.index()] += spread * w;
                    push.maybe_enqueue(scratch, y, self.epsilon);
                }
            });
            push.maybe_enqueue(scratch, x, self.epsilon);
            // Keep the queue from growing without bound on long runs: drop the consumed
            // prefix once it dominates.
            if head > 1024 && head * 2 > scratch.queue.len() {
                scratch.queue.drain(..head);
                head = 0;
            }
        }

        // Report `p(v) + α r(v)`: the estimate after one more push at `v`, without spreading.
        // It is still a lower bound on `pr_α(s)(v)` (the walk restarted from `v` keeps at
        // least α of its mass at `v`) and within the same `ε d(v)`, but it separates friends
        // that a coarse push left unpushed, which would otherwise all tie at `p = 0`.
        out.extend(
            graph
                .neighbors(target)
                .iter()
                .map(|&v| scratch.dense_a[v.index()] + self.alpha * scratch.dense_b[v.index()]),
        );
        for &x in &scratch.touched {
            scratch.dense_a[x.index()] = 0.0;
            scratch.dense_b[x.index()] = 0.0;
        }
        scratch.touched.clear();
        scratch.queue.clear();
        scratch.buf_a.clear();
        scratch.buf_b.clear();
    }
}

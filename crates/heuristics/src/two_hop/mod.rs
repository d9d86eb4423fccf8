//! Heuristics that read the friends' friends, and personalized PageRank.
//!
//! # Layout
//! One module per heuristic; the shared target-centric kernels live here:
//! - `sum_over_common`: marks `N(u)` once, then scans each friend's list and sums a
//!   per-common-neighbour term, giving `|C_uv|`, Adamic–Adar and resource allocation for
//!   every friend `v` in `O(Σ_{v∈N(u)} k_v)`.
//! - [`every_tie`]: the same sums for every tie of the graph at once, each tie scored from
//!   its higher-degree endpoint (`O(Σ min(k_u, k_v))`), for graph-wide tie tables.
//! - [`EgoCache`]: the target's ego network and the pairs of friends dispersed for each
//!   friend, built once per target and shared by dispersion and recursive dispersion.
//!
//! All kernels leave [`Scratch`] clean: marks are generation-stamped and the per-friend
//! buffers are overwritten, never read before being written.

mod adamic_adar;
mod common_neighbors;
mod dispersion;
pub mod every_tie;
mod jaccard;
mod overlap;
mod ppr;
mod recursive_dispersion;
mod resource_allocation;

pub use adamic_adar::AdamicAdar;
pub use common_neighbors::CommonNeighbors;
pub use dispersion::Dispersion;
pub use jaccard::Jaccard;
pub use overlap::Overlap;
pub use ppr::PersonalizedPageRank;
pub use recursive_dispersion::RecursiveDispersion;
pub use resource_allocation::ResourceAllocation;

use crate::{Entry, Heuristic, HeuristicConfig, HeuristicError, Scratch};
use tierank_graph::{Graph, NodeId};

/// Registry entries of this module.
pub(crate) const ENTRIES: &[Entry] = &[
    Entry {
        name: "common_neighbors",
        build: |_| Ok(Box::new(CommonNeighbors)),
    },
    Entry {
        name: "jaccard",
        build: |_| Ok(Box::new(Jaccard)),
    },
    Entry {
        name: "adamic_adar",
        build: |_| Ok(Box::new(AdamicAdar)),
    },
    Entry {
        name: "resource_allocation",
        build: |_| Ok(Box::new(ResourceAllocation)),
    },
    Entry {
        name: "overlap",
        build: |_| Ok(Box::new(Overlap)),
    },
    Entry {
        name: "dispersion",
        build: build_dispersion,
    },
    Entry {
        name: "recursive_dispersion",
        build: build_recursive_dispersion,
    },
    Entry {
        name: "ppr",
        build: build_ppr,
    },
];

fn build_dispersion(config: &HeuristicConfig) -> Result<Box<dyn Heuristic>, HeuristicError> {
    Ok(Box::new(Dispersion::new(config)?))
}

fn build_recursive_dispersion(
    config: &HeuristicConfig,
) -> Result<Box<dyn Heuristic>, HeuristicError> {
    Ok(Box::new(RecursiveDispersion::new(config)?))
}

fn build_ppr(config: &HeuristicConfig) -> Result<Box<dyn Heuristic>, HeuristicError> {
    Ok(Box::new(PersonalizedPageRank::new(config)?))
}

/// For every friend `v` of `target` (in neighbour order) pushes `Σ_{w∈C_uv} term(w)` to `out`.
///
/// Sets one bit per friend of `u` in a node bitset, then scans each `N(v)` and adds `term(w)`
/// for every `w` whose bit is set; the target itself is never set (the graph has no
/// self-loops), so `w ≠ u`, and `v ∉ N(v)`. Summation follows `N(v)`'s order (ascending
/// dense id), so results are deterministic. Cost `O(k_u + Σ_{v∈N(u)} k_v)`.
///
/// Why a bitset rather than the stamped `u32` marks: the scan is one random probe per
/// friend-of-friend, and the bitset is 32 times smaller (125 KiB for a million people, so it
/// stays in the L2 cache where the marks would spill to L3 or memory). Profiling the pair
/// scores (callgrind, `tierank-peers run --cases pairs`) showed the probes dominate.
pub(crate) fn sum_over_common(
    graph: &Graph,
    target: NodeId,
    scratch: &mut Scratch,
    out: &mut Vec<f64>,
    term: impl Fn(NodeId) -> f64,
) {
    out.clear();
    let bits = FriendBits::set(graph, target, &mut scratch.bits);
    for &v in graph.neighbors(target) {
        let mut sum = 0.0;
        for &w in graph.neighbors(v) {
            if bits.has(w) {
                sum += term(w);
            }
        }
        out.push(sum);
    }
    bits.clear(graph, target);
}

/// For every friend `v` of `target` (in neighbour order) pushes `|C_uv|` to `out`: as
/// [`sum_over_common`] with a term of 1, but counted without a branch per probe (the bit is
/// added), which is what common neighbours, Jaccard and overlap need.
pub(crate) fn count_common(
    graph: &Graph,
    target: NodeId,
    scratch: &mut Scratch,
    out: &mut Vec<f64>,
) {
    out.clear();
    let bits = FriendBits::set(graph, target, &mut scratch.bits);
    for &v in graph.neighbors(target) {
        let count: u64 = graph.neighbors(v).iter().map(|&w| bits.bit(w)).sum();
        out.push(count as f64);
    }
    bits.clear(graph, target);
}

/// The friends of one node as a bitset over all nodes, borrowed from [`Scratch::bits`],
/// which is all zero between calls: [`FriendBits::clear`] unsets exactly the bits it set.
pub(crate) struct FriendBits<'a> {
    words: &'a mut Vec<u64>,
}

impl<'a> FriendBits<'a> {
    /// Sets the bit of every friend of `u`. `O(k_u)`, plus growing the bitset once.
    pub(crate) fn set(graph: &Graph, u: NodeId, words: &'a mut Vec<u64>) -> Self {
        let need = graph.num_nodes().div_ceil(64);
        if words.len() < need {
            words.resize(need, 0);
        }
        for &v in graph.neighbors(u) {
            words[v.index() >> 6] |= 1 << (v.index() & 63);
        }
        Self { words }
    }

    /// 1 when `w` is a friend, else 0.
    #[inline]
    pub(crate) fn bit(&self, w: NodeId) -> u64 {
        (self.words[w.index() >> 6] >> (w.index() & 63)) & 1
    }

    /// Whether `w` is a friend.
    #[inline]
    pub(crate) fn has(&self, w: NodeId) -> bool {
        self.bit(w) != 0
    }

    /// Unsets the bits of `u`'s friends, leaving the bitset all zero. `O(k_u)`.
    pub(crate) fn clear(self, graph: &Graph, u: NodeId) {
        for &v in graph.neighbors(u) {
            self.words[v.index() >> 6] = 0;
        }
    }
}

/// The target's ego network and its dispersed pairs, built once per target and shared by
/// dispersion and recursive dispersion (a ranking thread scores both with one [`Scratch`]).
///
/// Let positions `0..k_u` number the target's friends in neighbour order. Row `i` of the ego
/// adjacency holds the positions of `N(u) ∩ N(s_i)`, ascending: for `v = s_i` that is `C_uv`.
///
/// **Why each dispersed pair belongs to exactly one friend.** For `s, t ∈ C_uv`, `v` itself is
/// a common friend of `s` and `t` inside `N(u)`. So `d_v(s, t) = 1` (`s`, `t` not adjacent and
/// no common friend in `N(u) \ {u, v}`) holds exactly when `s` and `t` are not adjacent and `v`
/// is their *only* common friend inside `N(u)`. Every non-adjacent pair of friends with exactly
/// one common friend inside `N(u)` is dispersed for that friend and for no other, and no other
/// pair is dispersed for anyone. The kernel therefore counts, for each position `a`, the paths
/// `a – v – t` (`t > a`) inside the ego network, and keeps `(v; a, t)` when `t` was reached
/// once and is not adjacent to `a`: `O(Σ_{v∈N(u)} |C_uv|²)` constant-cost steps, where the
/// bitset kernel it replaced paid `O(k_u / 32)` per pair and recomputed them every round of
/// recursive dispersion.
///
/// Each friend's pairs are kept in lexicographic order of positions `(a, t)`, the order the
/// pair-by-pair definition visits them, so sums over them are bit-identical to it.
/// Memory: the ego ties (`≤ Σ_{v∈N(u)} k_v`) and the dispersed pairs (`≤ k_u (k_u − 1) / 2`),
/// reused from target to target.
#[derive(Debug, Clone, Default)]
pub struct EgoCache {
    /// The graph ([`Graph::instance`]) and target the lists describe; `None` before the first
    /// build.
    key: Option<(u64, NodeId)>,
    /// Row `i` of the ego adjacency is `adj[adj_start[i]..adj_start[i + 1]]`.
    adj_start: Vec<usize>,
    /// Ego adjacency rows, positions ascending.
    adj: Vec<u32>,
    /// The pairs dispersed for the friend at position `i` are
    /// `pairs[pair_start[i]..pair_start[i + 1]]`.
    pair_start: Vec<usize>,
    /// Dispersed pairs `(a, t)`, `a < t`, grouped by friend, lexicographic within a friend.
    pairs: Vec<(u32, u32)>,
    /// Found pairs `(v, a, t)` in `(a, t)` order, before grouping by `v`.
    found: Vec<(u32, u32, u32)>,
    /// Per position: paths from the current `a` that reached it.
    count: Vec<u32>,
    /// Per position: the middle friend of the first path that reached it.
    via: Vec<u32>,
    /// Per position: `generation` when `count` and `via` are current.
    seen: Vec<u32>,
    /// Per position: `generation` when it is adjacent to the current `a`.
    near: Vec<u32>,
    /// Per position, one bit: reached from the current `a` (all zero between positions).
    reached: Vec<u64>,
    /// Stamp of the current `a`; never 0 once used.
    generation: u32,
}

impl EgoCache {
    /// `C_uv` as positions, ascending, for the friend at position `i`.
    #[inline]
    pub(crate) fn common(&self, i: usize) -> &[u32] {
        &self.adj[self.adj_start[i]..self.adj_start[i + 1]]
    }

    /// The pairs `(a, t)` of positions dispersed for the friend at position `i`, in
    /// lexicographic order; their number is the raw dispersion `disp(u, v)`.
    #[inline]
    pub(crate) fn dispersed(&self, i: usize) -> &[(u32, u32)] {
        &self.pairs[self.pair_start[i]..self.pair_start[i + 1]]
    }

    /// Number of friends of the target the lists describe.
    #[inline]
    pub(crate) fn degree(&self) -> usize {
        self.adj_start.len() - 1
    }

    /// A new stamp for `seen` and `near`, clearing them when the counter wraps.
    fn next_generation(&mut self) -> u32 {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.near.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.generation
    }

    /// Builds the ego adjacency and the dispersed pairs of `target`. `marks`, `position` and
    /// `stamp` are [`Scratch::mark_neighbors`]'s output for `target`.
    fn build(
        &mut self,
        graph: &Graph,
        target: NodeId,
        marks: &[u32],
        position: &[u32],
        stamp: u32,
    ) {
        let friends = graph.neighbors(target);
        let k = friends.len();
        self.adj_start.clear();
        self.adj.clear();
        self.adj_start.push(0);
        for &s in friends {
            for &w in graph.neighbors(s) {
                if marks[w.index()] == stamp {
                    self.adj.push(position[w.index()]);
                }
            }
            self.adj_start.push(self.adj.len());
        }
        if self.count.len() < k {
            self.count.resize(k, 0);
            self.via.resize(k, 0);
            self.seen.resize(k, 0);
            self.near.resize(k, 0);
        }
        if self.reached.len() < k.div_ceil(64) {
            self.reached.resize(k.div_ceil(64), 0);
        }
        self.found.clear();
        for a in 0..k {
            let generation = self.next_generation();
            let row_a = &self.adj[self.adj_start[a]..self.adj_start[a + 1]];
            let mut any = false;
            for &j in row_a {
                self.near[j as usize] = generation;
            }
            for &v in row_a {
                let row_v = &self.adj[self.adj_start[v as usize]..self.adj_start[v as usize + 1]];
                let after = row_v.partition_point(|&t| t as usize <= a);
                for &t in &row_v[after..] {
                    let t = t as usize;
                    if self.seen[t] == generation {
                        self.count[t] += 1;
                    } else {
                        self.seen[t] = generation;
                        self.count[t] = 1;
                        self.via[t] = v;
                        self.reached[t >> 6] |= 1 << (t & 63);
                        any = true;
                    }
                }
            }
            if !any {
                continue;
            }
            // Ascending `t`, so that each friend's pairs come out in lexicographic order.
            for wi in (a + 1) >> 6..k.div_ceil(64) {
                let mut bits = std::mem::take(&mut self.reached[wi]);
                while bits != 0 {
                    let t = (wi << 6) | bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if self.count[t] == 1 && self.near[t] != generation {
                        self.found.push((self.via[t], a as u32, t as u32));
                    }
                }
            }
        }
        // Group by friend, keeping the `(a, t)` order within each (a stable counting sort).
        self.pair_start.clear();
        self.pair_start.resize(k + 1, 0);
        for &(v, _, _) in &self.found {
            self.pair_start[v as usize + 1] += 1;
        }
        for i in 0..k {
            self.pair_start[i + 1] += self.pair_start[i];
        }
        self.pairs.clear();
        self.pairs.resize(self.found.len(), (0, 0));
        // `pair_start[v]` serves as `v`'s write cursor, ending at `v + 1`'s start; shifting it
        // by one place afterwards restores the starts.
        for &(v, a, t) in &self.found {
            let slot = &mut self.pair_start[v as usize];
            self.pairs[*slot] = (a, t);
            *slot += 1;
        }
        self.pair_start.copy_within(0..k, 1);
        self.pair_start[0] = 0;
    }
}

/// The ego network and dispersed pairs of `target` (see [`EgoCache`]), built unless `scratch`
/// already holds them for this graph and target.
pub(crate) fn ego_network<'s>(
    graph: &Graph,
    target: NodeId,
    scratch: &'s mut Scratch,
) -> &'s EgoCache {
    let key = (graph.instance(), target);
    if scratch.ego.key != Some(key) {
        scratch.ego.key = None;
        let stamp = scratch.mark_neighbors(graph, target);
        let Scratch {
            marks,
            position,
            ego,
            ..
        } = scratch;
        ego.build(graph, target, marks, position, stamp);
        ego.key = Some(key);
    }
    &scratch.ego
}

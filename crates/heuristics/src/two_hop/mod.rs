//! Heuristics that read the friends' friends, and personalized PageRank.
//!
//! # Layout
//! One module per heuristic; the shared target-centric kernels live here:
//! - `sum_over_common`: marks `N(u)` once, then scans each friend's list and sums a
//!   per-common-neighbour term, giving `|C_uv|`, Adamic–Adar and resource allocation for
//!   every friend `v` in `O(Σ_{v∈N(u)} k_v)`.
//! - [`every_tie`]: the same sums for every tie of the graph at once, each tie scored from
//!   its higher-degree endpoint (`O(Σ min(k_u, k_v))`), for graph-wide tie tables.
//! - `EgoBits`: the target's ego network as bitsets over positions in `N(u)`, which
//!   dispersion and recursive dispersion query pair by pair.
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

/// Bits per bitset word.
const WORD_BITS: usize = 32;

/// The target's ego network as bitsets over positions in `N(u)`: row `i` holds the
/// positions of `N(u) ∩ N(s_i)`, where `s_i` is the target's `i`-th friend.
///
/// Row `i` is also `C_{u s_i}` as a set of positions, so one structure answers both
/// "which are the common friends of `u` and `v`" and "are `s` and `t` adjacent / do they
/// share a friend inside the ego network". The rows live in `scratch.lists[0..k_u]`
/// (words of 32 bits), and `scratch.lists[k_u]` holds a member list as positions;
/// building costs `O(Σ_{v∈N(u)} k_v + k_u²/32)`.
pub(crate) struct EgoBits {
    /// Target degree `k_u`.
    pub degree: usize,
}

impl EgoBits {
    /// Builds the rows for `target` into `scratch.lists`.
    pub(crate) fn build(graph: &Graph, target: NodeId, scratch: &mut Scratch) -> Self {
        let degree = graph.degree(target);
        let words = degree.div_ceil(WORD_BITS);
        scratch.mark_neighbors(graph, target);
        if scratch.lists.len() < degree + 1 {
            scratch.lists.resize_with(degree + 1, Vec::new);
        }
        for (i, &s) in graph.neighbors(target).iter().enumerate() {
            let mut row = std::mem::take(&mut scratch.lists[i]);
            row.clear();
            row.resize(words, 0);
            for &w in graph.neighbors(s) {
                if scratch.is_marked(w) {
                    let p = scratch.position[w.index()] as usize;
                    row[p / WORD_BITS] |= 1 << (p % WORD_BITS);
                }
            }
            scratch.lists[i] = row;
        }
        Self { degree }
    }

    /// Whether position `j` is set in `row`.
    #[inline]
    pub(crate) fn has(row: &[u32], j: usize) -> bool {
        row[j / WORD_BITS] & (1 << (j % WORD_BITS)) != 0
    }

    /// Writes the positions set in row `i` (that is, `C_uv` for `v` at position `i`) into
    /// `members`, ascending.
    pub(crate) fn members_into(&self, scratch: &Scratch, i: usize, members: &mut Vec<u32>) {
        members.clear();
        for (wi, &word) in scratch.lists[i].iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                members.push((wi * WORD_BITS + b) as u32);
                bits &= bits - 1;
            }
        }
    }

    /// `d_v(s, t)` with `v` at position `i`, `s` at `a`, `t` at `b` (all in `N(u)`, and
    /// `s, t ∈ C_uv`): 1 when `s` and `t` are not adjacent and have no common friend in
    /// `N(u) \ {u, v}`. `O(k_u / 32)`.
    #[inline]
    pub(crate) fn dispersed(&self, scratch: &Scratch, i: usize, a: usize, b: usize) -> bool {
        let (row_a, row_b) = (&scratch.lists[a], &scratch.lists[b]);
        if Self::has(row_a, b) {
            return false;
        }
        let (vi, vb) = (i / WORD_BITS, 1u32 << (i % WORD_BITS));
        !row_a.iter().zip(row_b).enumerate().any(|(wi, (&x, &y))| {
            let both = x & y;
            (if wi == vi { both & !vb } else { both }) != 0
        })
    }
}

/// Raw dispersion `disp(u, v)` for the friend at position `i`, given its common friends'
/// positions. `O(|C_uv|² · k_u / 32)`.
pub(crate) fn raw_dispersion(ego: &EgoBits, scratch: &Scratch, i: usize, members: &[u32]) -> u64 {
    let mut disp = 0u64;
    for (x, &a) in members.iter().enumerate() {
        for &b in &members[x + 1..] {
            if ego.dispersed(scratch, i, a as usize, b as usize) {
                disp += 1;
            }
        }
    }
    disp
}

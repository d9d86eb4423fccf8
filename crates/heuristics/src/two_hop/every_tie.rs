//! Common-neighbour scores for every tie of the graph at once.
//!
//! Ranking asks "which of this target's friends are closest" and scores the target's ties
//! only. Graph-wide questions (sparsification, overlap-by-weight plots, a tie-strength table
//! for a whole network) need a score on *every* tie. Calling the per-target kernel for every
//! person visits each tie twice and costs `Σ_v k_v²`; this module visits each tie once, from
//! the endpoint with more friends, and scans the list of the endpoint with fewer, which costs
//! `Σ_{(u,v)} min(k_u, k_v)` — the classic degree-ordered bound of triangle listing
//! (Chiba & Nishizeki 1985; Schank & Wagner 2005), which is what keeps hub-heavy social
//! graphs tractable.
//!
//! Ties are numbered canonically: tie `(u, v)` with `u < v` (dense ids) gets the index of
//! its position in the lexicographic order of all such pairs, which is also the order of
//! `ties.parquet` when sorted by person id (dense ids follow person ids). [`TieIndex`] maps
//! between the two.

use rayon::prelude::*;
use tierank_graph::{Graph, NodeId};

use super::FriendBits;
use crate::Scratch;

/// The canonical numbering of the ties of a graph: `(u, v)` with `u < v`, lexicographic.
///
/// `first[u]` is the index of `u`'s first tie to a friend with a larger id, and
/// `upper_start[u]` the CSR slot of that friend; the tie in CSR slot `s ≥ upper_start[u]`
/// of `u` has index `first[u] + (s − upper_start[u])`.
#[derive(Debug, Clone)]
pub struct TieIndex {
    first: Vec<u64>,
    upper_start: Vec<usize>,
}

impl TieIndex {
    /// Builds the numbering in `O(n log k)` (one binary search per person).
    pub fn new(graph: &Graph) -> Self {
        let csr = graph.csr();
        let n = graph.num_nodes();
        let mut first = Vec::with_capacity(n + 1);
        let mut upper_start = Vec::with_capacity(n);
        let mut next = 0u64;
        for u in (0..n).map(node) {
            let neighbors = csr.neighbors(u);
            let lower = neighbors.partition_point(|&v| v < u);
            upper_start.push(csr.slots(u).start + lower);
            first.push(next);
            next += (neighbors.len() - lower) as u64;
        }
        first.push(next);
        Self { first, upper_start }
    }

    /// Number of ties.
    pub fn len(&self) -> usize {
        *self.first.last().expect("first has n + 1 entries") as usize
    }

    /// Whether the graph has no ties.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of tie `(u, v)`, in either order.
    ///
    /// # Panics
    /// When `u` and `v` are not friends.
    pub fn index(&self, graph: &Graph, u: NodeId, v: NodeId) -> usize {
        let (a, b) = if u < v { (u, v) } else { (v, u) };
        let slot = graph.csr().slot(a, b).expect("index of a tie that exists");
        (self.first[a.index()] + (slot - self.upper_start[a.index()]) as u64) as usize
    }

    /// Every tie `(u, v)`, `u < v`, in index order.
    pub fn ties<'g>(&'g self, graph: &'g Graph) -> impl Iterator<Item = (NodeId, NodeId)> + 'g {
        (0..graph.num_nodes()).map(node).flat_map(move |u| {
            let start = self.upper_start[u.index()] - graph.csr().slots(u).start;
            graph.neighbors(u)[start..].iter().map(move |&v| (u, v))
        })
    }
}

/// Per-tie common-neighbour count and sum of a per-neighbour term, indexed by [`TieIndex`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TieSums {
    /// `|C_uv|` per tie.
    pub common: Vec<u32>,
    /// `Σ_{w ∈ C_uv} term(w)` per tie, summed in ascending id of `w`.
    pub sum: Vec<f64>,
}

/// Whether `u` is the endpoint that scores tie `(u, v)`: the one with more friends, ties
/// in degree going to the larger id. Every tie has exactly one owner.
#[inline]
fn owns(graph: &Graph, u: NodeId, v: NodeId) -> bool {
    (graph.degree(u), u) > (graph.degree(v), v)
}

/// Scores the ties that `u` owns: for each friend `v` with fewer friends than `u`, pushes
/// `(v, |C_uv|, Σ_{w∈C_uv} term(w))` to `out` (cleared first), in neighbour order.
///
/// Sets `N(u)` in the scratch bitset once and scans `N(v)`, so a tie costs `k_v = min(k_u, k_v)`. Common
/// neighbours are met in ascending id, the same order as the per-target kernels, so sums are
/// bit-identical to theirs. A pure function of the graph, `u` and the scratch buffer.
pub fn owned_tie_sums(
    graph: &Graph,
    u: NodeId,
    scratch: &mut Scratch,
    term: impl Fn(NodeId) -> f64,
    out: &mut Vec<(NodeId, u32, f64)>,
) {
    out.clear();
    let neighbors = graph.neighbors(u);
    if !neighbors.iter().any(|&v| owns(graph, u, v)) {
        return;
    }
    let bits = FriendBits::set(graph, u, &mut scratch.bits);
    for &v in neighbors {
        if !owns(graph, u, v) {
            continue;
        }
        let mut common = 0u32;
        let mut sum = 0.0;
        for &w in graph.neighbors(v) {
            if bits.has(w) {
                common += 1;
                sum += term(w);
            }
        }
        out.push((v, common, sum));
    }
    bits.clear(graph, u);
}

/// [`TieSums`] for every tie of the graph, in parallel over people (rayon's current pool).
///
/// The result is identical at any thread count: each tie is scored by one owner, in a fixed
/// order. Time `O(Σ_{(u,v)} min(k_u, k_v))`; memory 12 bytes per tie plus, transiently, the
/// per-chunk results before they are placed.
pub fn every_tie_sums(
    graph: &Graph,
    index: &TieIndex,
    term: impl Fn(NodeId) -> f64 + Sync,
) -> TieSums {
    /// People per work unit: large enough to amortise the scratch arrays, small enough to
    /// balance hubs across threads.
    const CHUNK: usize = 4096;
    let n = graph.num_nodes();
    let parts: Vec<Vec<(u64, u32, f64)>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map_init(
            || (Scratch::new(), Vec::new()),
            |(scratch, owned), chunk| {
                let mut part = Vec::new();
                for u in (chunk * CHUNK..((chunk + 1) * CHUNK).min(n)).map(node) {
                    owned_tie_sums(graph, u, scratch, &term, owned);
                    part.extend(
                        owned
                            .iter()
                            .map(|&(v, c, s)| (index.index(graph, u, v) as u64, c, s)),
                    );
                }
                part
            },
        )
        .collect();
    let mut sums = TieSums {
        common: vec![0; index.len()],
        sum: vec![0.0; index.len()],
    };
    for (i, c, s) in parts.into_iter().flatten() {
        sums.common[i as usize] = c;
        sums.sum[i as usize] = s;
    }
    sums
}

#[inline]
fn node(i: usize) -> NodeId {
    NodeId(u32::try_from(i).expect("dense ids fit u32"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Heuristic;
    use crate::two_hop::{AdamicAdar, CommonNeighbors};

    fn graph() -> Graph {
        // Karate-like small graph with hubs and triangles.
        let edges = [
            (1, 2),
            (1, 3),
            (1, 4),
            (2, 3),
            (2, 4),
            (3, 4),
            (4, 5),
            (5, 6),
            (1, 6),
            (6, 7),
            (1, 7),
            (9, 10),
        ];
        Graph::from_person_edges(&edges, None).unwrap().0
    }

    #[test]
    fn matches_the_per_target_kernels_on_every_tie() {
        let g = graph();
        let index = TieIndex::new(&g);
        assert_eq!(index.len(), g.num_edges());
        let ties: Vec<_> = index.ties(&g).collect();
        assert!(ties.windows(2).all(|w| w[0] < w[1]));
        for (i, &(u, v)) in ties.iter().enumerate() {
            assert_eq!(index.index(&g, u, v), i);
            assert_eq!(index.index(&g, v, u), i);
        }
        let inv_ln = |w: NodeId| 1.0 / (g.degree(w) as f64).ln();
        let sums = every_tie_sums(&g, &index, inv_ln);
        let (mut cn, mut aa) = (Vec::new(), Vec::new());
        let mut scratch = Scratch::new();
        for u in (0..g.num_nodes()).map(node) {
            CommonNeighbors.score(&g, u, &mut scratch, &mut cn);
            AdamicAdar.score(&g, u, &mut scratch, &mut aa);
            for (j, &v) in g.neighbors(u).iter().enumerate() {
                let i = index.index(&g, u, v);
                assert_eq!(f64::from(sums.common[i]), cn[j]);
                assert_eq!(sums.sum[i].to_bits(), aa[j].to_bits());
            }
        }
    }

    #[test]
    fn same_at_one_and_two_threads() {
        let g = graph();
        let index = TieIndex::new(&g);
        let run = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| every_tie_sums(&g, &index, |w| 1.0 / g.degree(w) as f64))
        };
        assert_eq!(run(1), run(2));
    }
}

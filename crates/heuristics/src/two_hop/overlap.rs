//! Neighbourhood overlap.

use super::count_common;
use crate::{CostClass, Heuristic, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Neighbourhood overlap: the share of the two people's *other* friends that they share.
///
/// `score(u, v) = |C_uv| / ((k_u − 1) + (k_v − 1) − |C_uv|)`, and 0 when the denominator is
/// 0. Since `|C_uv| ≤ min(k_u, k_v) − 1`, the denominator is 0 only for an isolated pair
/// (`k_u = k_v = 1`, no common friend), where 0/0 has no better reading than "no overlap".
///
/// Onnela et al. (2007), "Structure and tie strengths in mobile communication networks",
/// PNAS 104(18):7332–7336, who found overlap rising with call volume (the weak-ties
/// hypothesis). Unlike [`super::Jaccard`] it leaves `u` and `v` out of the union, so a tie
/// inside a closed triangle scores 1.
///
/// - Cost class: [`CostClass::TwoHop`]; needs only the topology.
/// - Complexity: `O(k_u + Σ_{v∈N(u)} k_v)` for all friends of `u`.
///
/// # Arguments and returns
/// [`Heuristic::score`] writes one value in `[0, 1]` per friend of `target`, aligned with
/// `graph.neighbors(target)`.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{two_hop::Overlap, Heuristic, Scratch};
///
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (2, 3), (1, 3), (1, 4)], None).unwrap();
/// let mut out = Vec::new();
/// Overlap.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// // u = 1, v = 2: other friends {3, 4} and {3}: 1 / (2 + 1 - 1).
/// assert_eq!(out, vec![0.5, 0.5, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Overlap;

impl Heuristic for Overlap {
    fn name(&self) -> &str {
        "overlap"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        count_common(graph, target, scratch, out);
        let others_u = graph.degree(target) as f64 - 1.0;
        for (c, &v) in out.iter_mut().zip(graph.neighbors(target)) {
            let denom = others_u + (graph.degree(v) as f64 - 1.0) - *c;
            *c = if denom > 0.0 { *c / denom } else { 0.0 };
        }
    }
}

//! Adamic–Adar index.

use super::sum_over_common;
use crate::{CostClass, Heuristic, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Adamic–Adar: common friends, each weighted down by the log of its friend count.
///
/// `score(u, v) = Σ_{w∈C_uv} 1 / ln k_w` (natural log). A common friend `w` is adjacent to
/// both `u` and `v`, so `k_w ≥ 2` and every term is finite and positive.
///
/// Adamic & Adar (2003), "Friends and neighbors on the Web", Social Networks 25(3):211–230.
/// A shared friend with few friends says more than a shared hub; the log damps that less
/// than [`super::ResourceAllocation`]'s `1/k_w`.
///
/// - Cost class: [`CostClass::TwoHop`]; needs only the topology.
/// - Complexity: `O(k_u + Σ_{v∈N(u)} k_v)` for all friends of `u`.
///
/// # Arguments and returns
/// [`Heuristic::score`] writes one non-negative value per friend of `target`, aligned with
/// `graph.neighbors(target)`.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{two_hop::AdamicAdar, Heuristic, Scratch};
///
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (2, 3), (1, 3), (1, 4)], None).unwrap();
/// let mut out = Vec::new();
/// AdamicAdar.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// // 1 and 2 share 3, who has 2 friends: 1 / ln 2.
/// assert!((out[0] - 1.0 / 2f64.ln()).abs() < 1e-12);
/// assert_eq!(out[2], 0.0);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AdamicAdar;

impl Heuristic for AdamicAdar {
    fn name(&self) -> &str {
        "adamic_adar"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        sum_over_common(graph, target, scratch, out, |w| {
            1.0 / (graph.degree(w) as f64).ln()
        });
    }
}

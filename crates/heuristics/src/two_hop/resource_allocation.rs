//! Resource-allocation index.

use super::sum_over_common;
use crate::{CostClass, Heuristic, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Resource allocation: common friends, each weighted by the inverse of its friend count.
///
/// `score(u, v) = Σ_{w∈C_uv} 1 / k_w`: the share of a unit of resource that `u` sends to
/// `v` through `w` when every node splits what it receives equally among its friends.
///
/// Zhou, Lü & Zhang (2009), "Predicting missing links via local information", European
/// Physical Journal B 71(4):623–630. It punishes hub intermediaries harder than
/// [`super::AdamicAdar`].
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
/// use tierank_heuristics::{two_hop::ResourceAllocation, Heuristic, Scratch};
///
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (2, 3), (1, 3), (1, 4)], None).unwrap();
/// let mut out = Vec::new();
/// ResourceAllocation.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// // 1 and 2 share 3, who has 2 friends.
/// assert_eq!(out, vec![0.5, 0.5, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ResourceAllocation;

impl Heuristic for ResourceAllocation {
    fn name(&self) -> &str {
        "resource_allocation"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        sum_over_common(graph, target, scratch, out, |w| {
            1.0 / graph.degree(w) as f64
        });
    }
}

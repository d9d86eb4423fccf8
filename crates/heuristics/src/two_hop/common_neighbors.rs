//! Common neighbours (embeddedness).

use super::count_common;
use crate::{CostClass, Heuristic, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Common neighbours: the number of friends the target and the friend share.
///
/// `score(u, v) = |C_uv| = |N(u) ∩ N(v)|`, also called embeddedness.
///
/// The classic link-prediction baseline (Liben-Nowell & Kleinberg 2007, "The
/// link-prediction problem for social networks", JASIST 58(7):1019–1031); Backstrom &
/// Kleinberg (2014) use it as the embeddedness baseline for finding partners. It rewards
/// friends inside a big shared group (colleagues, a class), which is not the same as close.
///
/// - Cost class: [`CostClass::TwoHop`]; needs only the topology.
/// - Complexity: `O(k_u + Σ_{v∈N(u)} k_v)` time for all friends of `u` at once (mark `N(u)`,
///   scan each `N(v)` and count marked nodes), no allocation in steady state.
///
/// # Arguments and returns
/// [`Heuristic::score`] writes one count per friend of `target`, aligned with
/// `graph.neighbors(target)`, into `out`.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{two_hop::CommonNeighbors, Heuristic, Scratch};
///
/// // A triangle 1-2-3 plus a pendant friend 4 of person 1.
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (2, 3), (1, 3), (1, 4)], None).unwrap();
/// let mut out = Vec::new();
/// CommonNeighbors.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// // Friends of 1 in order: 2, 3, 4. 2 and 3 share the other; 4 shares nobody.
/// assert_eq!(out, vec![1.0, 1.0, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CommonNeighbors;

impl Heuristic for CommonNeighbors {
    fn name(&self) -> &str {
        "common_neighbors"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        count_common(graph, target, scratch, out);
    }
}

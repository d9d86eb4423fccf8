//! Jaccard similarity of the two friend lists.

use super::count_common;
use crate::{CostClass, Heuristic, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Jaccard: the share of the two friend lists that is common.
///
/// `score(u, v) = |C_uv| / |N(u) ∪ N(v)| = |C_uv| / (k_u + k_v − |C_uv|)`.
///
/// Jaccard (1901), as used for link prediction by Liben-Nowell & Kleinberg (2007, JASIST
/// 58(7):1019–1031). The union contains `u` and `v` themselves (each is in the other's list),
/// as in networkx's `jaccard_coefficient`, so it is never empty and the score is in `[0, 1)`.
/// Normalising by the union stops hubs from winning on size alone, but also punishes a close
/// friend who simply has many other friends.
///
/// - Cost class: [`CostClass::TwoHop`]; needs only the topology.
/// - Complexity: `O(k_u + Σ_{v∈N(u)} k_v)` for all friends of `u`.
///
/// # Arguments and returns
/// [`Heuristic::score`] writes one value in `[0, 1)` per friend of `target`, aligned with
/// `graph.neighbors(target)`.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{two_hop::Jaccard, Heuristic, Scratch};
///
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (2, 3), (1, 3), (1, 4)], None).unwrap();
/// let mut out = Vec::new();
/// Jaccard.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// // N(1) = {2,3,4}, N(2) = {1,3}: one shared of {1,2,3,4}.
/// assert_eq!(out, vec![0.25, 0.25, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Jaccard;

impl Heuristic for Jaccard {
    fn name(&self) -> &str {
        "jaccard"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        count_common(graph, target, scratch, out);
        let k_u = graph.degree(target) as f64;
        for (c, &v) in out.iter_mut().zip(graph.neighbors(target)) {
            // The union holds at least u and v, so the denominator is >= 2.
            *c /= k_u + graph.degree(v) as f64 - *c;
        }
    }
}

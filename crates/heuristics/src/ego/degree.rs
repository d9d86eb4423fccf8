//! `degree`: the friend's own number of friends (a baseline).

use crate::{CostClass, Heuristic, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Command-line name.
pub(crate) const NAME: &str = "degree";

/// The alter-degree baseline: ranks a target's friends by how many friends *they* have.
///
/// # Formula
/// `degree(u, v) = k_v`.
///
/// # Source
/// Preferential attachment (Barabási & Albert 1999, "Emergence of scaling in random
/// networks", Science 286:509–512), used as a link-prediction score by Liben-Nowell &
/// Kleinberg (2007), "The link-prediction problem for social networks", JASIST 58(7). Here it
/// is a baseline every real heuristic must beat: it favours hubs, who are rarely close.
///
/// # Cost
/// Ego: `O(k_u)` per target, no allocation.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{build, HeuristicConfig, Heuristic, Scratch};
///
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3), (3, 4)], None).unwrap();
/// let h = build("degree", &HeuristicConfig::default(), &g).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// assert_eq!(out, vec![1.0, 2.0]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Degree;

impl Heuristic for Degree {
    fn name(&self) -> &str {
        NAME
    }

    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, _scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        out.extend(
            graph
                .neighbors(target)
                .iter()
                .map(|&v| graph.degree(v) as f64),
        );
    }
}

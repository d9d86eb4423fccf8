//! Conversion to and from petgraph, for interoperability and as the reference
//! implementation in property tests.

use petgraph::graph::{NodeIndex, UnGraph};

use crate::{BuildStats, Graph, GraphError, NodeId};
use tierank_format::PersonId;

/// Converts to a petgraph undirected graph: node `i` is `NodeId(i)` with its person id as
/// weight; each friendship is one edge weighted by the user weight (or 1.0).
pub fn to_petgraph(graph: &Graph) -> UnGraph<PersonId, f64> {
    let mut out = UnGraph::with_capacity(graph.num_nodes(), graph.num_edges());
    for &person in graph.ids().persons() {
        out.add_node(person);
    }
    let csr = graph.csr();
    for u in 0..graph.num_nodes() {
        let u = NodeId(u as u32);
        for slot in csr.slots(u) {
            let v = csr.target(slot);
            if u < v {
                let w = graph.weights().map_or(1.0, |w| w[slot]);
                out.add_edge(NodeIndex::new(u.index()), NodeIndex::new(v.index()), w);
            }
        }
    }
    out
}

/// Builds a [`Graph`] from a petgraph graph whose node weights are person ids and edge
/// weights are tie weights. Isolated nodes are dropped (a person without friends has no
/// candidates to rank).
///
/// # Errors
/// As [`Graph::from_person_edges`].
pub fn from_petgraph(graph: &UnGraph<PersonId, f64>) -> Result<(Graph, BuildStats), GraphError> {
    let mut edges = Vec::with_capacity(graph.edge_count());
    let mut weights = Vec::with_capacity(graph.edge_count());
    for e in graph.raw_edges() {
        edges.push((graph[e.source()], graph[e.target()]));
        weights.push(e.weight);
    }
    Graph::from_person_edges(&edges, Some(&weights))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn csr_round_trips_through_petgraph(
            edges in prop::collection::vec((0i64..40, 0i64..40, 0.0f64..10.0), 1..120)
        ) {
            let pairs: Vec<(i64, i64)> = edges.iter().map(|e| (e.0 * 7919 - 100, e.1 * 7919 - 100)).collect();
            let weights: Vec<f64> = edges.iter().map(|e| e.2).collect();
            let (g, _) = Graph::from_person_edges(&pairs, Some(&weights)).unwrap();
            let pg = to_petgraph(&g);
            // petgraph's view of the edge set equals the input's, minus self-loops and repeats.
            let expected: BTreeSet<(i64, i64)> = pairs.iter()
                .filter(|(a, b)| a != b)
                .map(|&(a, b)| (a.min(b), a.max(b)))
                .collect();
            let got: BTreeSet<(i64, i64)> = pg.raw_edges().iter()
                .map(|e| { let (a, b) = (pg[e.source()], pg[e.target()]); (a.min(b), a.max(b)) })
                .collect();
            prop_assert_eq!(&got, &expected);
            let (back, _) = from_petgraph(&pg).unwrap();
            let non_isolated: Vec<i64> = g.ids().persons().iter().copied()
                .filter(|&p| g.degree(g.dense(p).unwrap()) > 0).collect();
            prop_assert_eq!(back.ids().persons(), &non_isolated[..]);
            prop_assert_eq!(back.num_edges(), g.num_edges());
            for &p in back.ids().persons() {
                let (a, b) = (back.dense(p).unwrap(), g.dense(p).unwrap());
                let na: Vec<i64> = back.neighbors(a).iter().map(|&v| back.person(v)).collect();
                let nb: Vec<i64> = g.neighbors(b).iter().map(|&v| g.person(v)).collect();
                prop_assert_eq!(na, nb);
                for (sa, sb) in back.csr().slots(a).zip(g.csr().slots(b)) {
                    prop_assert_eq!(back.weights().unwrap()[sa], g.weights().unwrap()[sb]);
                }
            }
        }
    }
}

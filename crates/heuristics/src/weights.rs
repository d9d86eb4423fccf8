//! Interaction weights shared by several heuristics.

use crate::HeuristicConfig;
use tierank_graph::{Graph, NodeId};

/// Channel-weighted number of events `from` sent `to`: `Σ_c w_c · count_c(from → to)`.
/// Zero when there are no events.
#[inline]
pub fn directed_volume(graph: &Graph, config: &HeuristicConfig, from: NodeId, to: NodeId) -> f64 {
    graph
        .interactions()
        .and_then(|i| i.tie(from, to))
        .map_or(0.0, |t| {
            t.channels
                .iter()
                .map(|c| config.channel_weights[usize::from(c.channel)] * f64::from(c.count))
                .sum()
        })
}

/// The symmetric weight of the friendship in CSR `slot` of `u`, used by weighted walks:
/// the user-supplied weight if the dataset has one, else the channel-weighted volume in
/// both directions, else 1.0 (unweighted graph).
#[inline]
pub fn pair_weight(graph: &Graph, config: &HeuristicConfig, u: NodeId, slot: usize) -> f64 {
    if let Some(w) = graph.weights() {
        return w[slot];
    }
    let v = graph.csr().target(slot);
    if graph.interactions().is_some() {
        return directed_volume(graph, config, u, v) + directed_volume(graph, config, v, u);
    }
    1.0
}

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

/// Calls `f(slot, y, w)` for every friend `y` of `x`, in neighbour order, with `w` the
/// [`pair_weight`] of the tie.
///
/// Equivalent to calling [`pair_weight`] per slot, but with events it walks `x`'s sorted
/// active ties alongside its sorted friend list, so only the reverse direction `y → x`
/// needs a search. Weighted walks call this on every node they touch.
#[inline]
pub fn for_each_pair_weight(
    graph: &Graph,
    config: &HeuristicConfig,
    x: NodeId,
    mut f: impl FnMut(usize, NodeId, f64),
) {
    let csr = graph.csr();
    if let Some(w) = graph.weights() {
        for slot in csr.slots(x) {
            f(slot, csr.target(slot), w[slot]);
        }
        return;
    }
    let Some(inter) = graph.interactions() else {
        for slot in csr.slots(x) {
            f(slot, csr.target(slot), 1.0);
        }
        return;
    };
    let mut out = inter.out_ties(x).peekable();
    for slot in csr.slots(x) {
        let y = csr.target(slot);
        while out.next_if(|t| t.alter < y).is_some() {}
        let forward = out.next_if(|t| t.alter == y).map_or(0.0, |t| {
            t.channels
                .iter()
                .map(|c| config.channel_weights[usize::from(c.channel)] * f64::from(c.count))
                .sum()
        });
        f(slot, y, forward + directed_volume(graph, config, y, x));
    }
}

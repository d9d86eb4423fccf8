//! `recency`: interaction volume with older events discounted.

use super::{for_each_tie, weighted};
use crate::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Command-line name.
pub(crate) const NAME: &str = "recency";

/// Recency-decayed, channel-weighted interaction volume in both directions.
///
/// # Formula
/// `recency(u, v) = Σ_c w_c · (o · D_c(u→v) + D_c(v→u))` with
/// `D_c(a→b) = Σ_{events i of a→b on c} 2^(−(t_end − t_i)/λ)`: every event counts 1 when it
/// happens at the end of the window and half as much every half-life `λ` before. `λ` is fixed
/// when the dataset is loaded (`--half-life-days`, [`Interactions::half_life_ms`]), because the
/// decayed sums are aggregated then; `w_c` and `o` are as in [`Volume`](super::Volume).
///
/// [`Interactions::half_life_ms`]: tierank_graph::Interactions::half_life_ms
///
/// # Source
/// Roth, Ben-David, Deutscher, Flysher, Horn, Leichtberg, Leiser, Matias, Merom (2010),
/// "Suggesting friends using the implicit social graph", KDD '10, pp. 233–242
/// (interactions score with exponential decay, outgoing interactions weighted more).
///
/// # Cost
/// Ego: `O(k_u + Σ_v log a_v)` per target, no allocation.
///
/// # Example
/// ```
/// # use tierank_graph::{Graph, ChannelStats, TieSummary, TimeWindow};
/// # use tierank_graph::interactions::interactions_from_ties;
/// # use tierank_format::Channel;
/// use tierank_heuristics::{build, HeuristicConfig, Heuristic, Scratch};
/// # let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3)], None).unwrap();
/// # let d = |p| g.dense(p).unwrap();
/// # let tie = |u, v, decayed| (d(u), d(v), TieSummary::default(), vec![ChannelStats {
/// #     count: 10, decayed, channel: Channel::Message.index() as u8, ..Default::default() }]);
/// # let inter = interactions_from_ties(3, TimeWindow::default(), 1,
/// #     vec![tie(1, 2, 0.5), tie(1, 3, 4.0)]).unwrap();
/// # let g = g.with_interactions(inter).unwrap();
/// // 1 sent 10 old messages to 2 (decayed to 0.5) and 10 recent ones to 3 (decayed to 4).
/// let h = build("recency", &HeuristicConfig::default(), &g).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// assert_eq!(out, vec![0.5, 4.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Recency {
    config: HeuristicConfig,
}

impl Recency {
    /// Reads the channel weights and the outgoing weight from `config`.
    pub fn new(config: &HeuristicConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }
}

impl Heuristic for Recency {
    fn name(&self) -> &str {
        NAME
    }

    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }

    fn needs(&self) -> Needs {
        Needs::Events
    }

    fn score(&self, graph: &Graph, target: NodeId, _scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        out.resize(graph.degree(target), 0.0);
        let o = self.config.outgoing_weight;
        let decayed = |c: &tierank_graph::ChannelStats| f64::from(c.decayed);
        for_each_tie(graph, target, |i, sent, received| {
            out[i] = o * weighted(&self.config, sent, decayed)
                + weighted(&self.config, received, decayed);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::fixtures::{dense, graph};
    use tierank_format::Channel::{Call, Message};

    #[test]
    fn recent_beats_frequent_but_old() {
        let g = graph(
            &[(1, 2), (1, 3)],
            &[
                (1, 2, vec![(Message, 50, 0.25, 5)]),
                (3, 1, vec![(Call, 2, 1.5, 2)]),
            ],
        );
        let mut out = Vec::new();
        Recency::new(&HeuristicConfig::default()).score(
            &g,
            dense(&g, 1),
            &mut Scratch::new(),
            &mut out,
        );
        assert_eq!(out, vec![0.25, 4.5]);
    }
}

//! `multiplexity`: how many channels the two people use with each other.

use super::{for_each_tie, weighted_count};
use crate::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Command-line name.
pub(crate) const NAME: &str = "multiplexity";

/// Number of distinct channels used in either direction, tie-broken by volume.
///
/// # Formula
/// With `mask(a→b)` the set of channels `a` used to reach `b` and `V` the
/// [`volume`](super::Volume) of the tie:
///
/// `multiplexity(u, v) = |mask(u→v) ∪ mask(v→u)| + V / (V + 1)`.
///
/// The channel count is an integer from 0 to 6, so most friends of a target share a value;
/// `V / (V + 1) ∈ [0, 1)` orders friends within one channel count by volume without ever
/// letting volume outweigh one more channel.
///
/// # Source
/// Haythornthwaite (2005), "Social networks and Internet connectivity effects", Information,
/// Communication & Society 8(2):125–147: strong ties use more media; also Gilbert &
/// Karahalios (2009), "Predicting tie strength with social media", CHI '09.
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
/// # let rec = |c: Channel, count| ChannelStats { count, channel: c.index() as u8, ..Default::default() };
/// # let inter = interactions_from_ties(3, TimeWindow::default(), 1, vec![
/// #     (d(1), d(2), TieSummary::default(), vec![rec(Channel::Message, 1)]),
/// #     (d(2), d(1), TieSummary::default(), vec![rec(Channel::Call, 1)]),
/// #     (d(1), d(3), TieSummary::default(), vec![rec(Channel::Message, 300)]),
/// # ]).unwrap();
/// # let g = g.with_interactions(inter).unwrap();
/// // 1 and 2 use messages and calls; 1 sends 3 many messages.
/// let h = build("multiplexity", &HeuristicConfig::default(), &g).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// assert!(out[0] > 2.0 && out[0] < 3.0);
/// assert!(out[1] > 1.0 && out[1] < 2.0);
/// ```
#[derive(Debug, Clone)]
pub struct Multiplexity {
    config: HeuristicConfig,
}

impl Multiplexity {
    /// Reads the channel weights and the outgoing weight (for the tie-breaker) from `config`.
    pub fn new(config: &HeuristicConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }
}

impl Heuristic for Multiplexity {
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
        for_each_tie(graph, target, |i, sent, received| {
            let mask = sent.map_or(0, |t| t.summary.channel_mask)
                | received.map_or(0, |t| t.summary.channel_mask);
            let volume =
                o * weighted_count(&self.config, sent) + weighted_count(&self.config, received);
            out[i] = f64::from(mask.count_ones()) + volume / (volume + 1.0);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::fixtures::{dense, graph};
    use tierank_format::Channel::{Call, Like, Message};

    #[test]
    fn union_of_channels_dominates_volume() {
        let g = graph(
            &[(1, 2), (1, 3), (1, 4)],
            &[
                (1, 2, vec![(Message, 1, 1.0, 1), (Call, 1, 1.0, 1)]),
                (2, 1, vec![(Message, 1, 1.0, 1), (Like, 1, 1.0, 1)]),
                (3, 1, vec![(Message, 10_000, 1.0, 1)]),
            ],
        );
        let mut out = Vec::new();
        Multiplexity::new(&HeuristicConfig::default()).score(
            &g,
            dense(&g, 1),
            &mut Scratch::new(),
            &mut out,
        );
        // Channels {message, call, like}; volume 1 + 3 + 1 + 0.2 = 5.2.
        assert!((out[0] - (3.0 + 5.2 / 6.2)).abs() < 1e-12, "{out:?}");
        assert!(out[1] > 1.99 && out[1] < 2.0, "{out:?}");
        assert_eq!(out[2], 0.0);
    }
}

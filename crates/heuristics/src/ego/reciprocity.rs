//! `reciprocity`: volume that only counts when it flows both ways.

use super::{for_each_tie, weighted_count};
use crate::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Command-line name.
pub(crate) const NAME: &str = "reciprocity";

/// Weight of the total volume in the score: a tie-breaker among one-way ties that keeps
/// every one-way tie below any reciprocated tie of realistic size (see [`Reciprocity`]).
pub const RECIPROCITY_EPSILON: f64 = 1e-6;

/// Reciprocity-aware volume: the harmonic mean of the two directions' volumes.
///
/// # Formula
/// With `a = Σ_c w_c count_c(u→v)` and `b = Σ_c w_c count_c(v→u)`:
///
/// `reciprocity(u, v) = 2ab / (a + b) + ε · (a + b)` (0 when `a + b = 0`), `ε` =
/// [`RECIPROCITY_EPSILON`].
///
/// The harmonic mean lies between `min(a, b)` and `2·min(a, b)`: it is governed by the
/// *weaker* direction, so traffic that is not answered does not count. A balanced tie with
/// total `T` scores `T/2`; a tie with the same total all one way (a broadcaster, a spammer,
/// an unanswered admirer) scores only `εT`, a million times less. The `ε` term orders one-way
/// ties among themselves by volume without letting them overtake answered ties: a one-way
/// tie needs more than `2·10⁵` weighted events to outscore the weakest answered tie (one
/// event of weight 0.1 each way). The outgoing weight is deliberately *not* applied: it
/// would make a balanced exchange look unbalanced.
///
/// # Source
/// Kovanen, Saramäki, Kaski (2010), "Reciprocity of mobile phone calls", Dynamics of
/// Socio-Economic Systems 2(2):138–151: a large share of ties are strongly one-sided, and
/// balanced ties are the stronger ones. The harmonic mean as a "both sides must
/// contribute" aggregate is the same idea as the F1 score's.
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
/// # let tie = |u, v, count| (d(u), d(v), TieSummary::default(), vec![ChannelStats {
/// #     count, channel: Channel::Message.index() as u8, ..Default::default() }]);
/// # let inter = interactions_from_ties(3, TimeWindow::default(), 1,
/// #     vec![tie(1, 2, 10), tie(2, 1, 10), tie(3, 1, 20)]).unwrap();
/// # let g = g.with_interactions(inter).unwrap();
/// // 1 and 2 exchanged 10 messages each way; 3 sent 1 twenty messages, unanswered.
/// let h = build("reciprocity", &HeuristicConfig::default(), &g).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// assert!(out[0] > 10.0 && out[1] < 1e-3);
/// ```
#[derive(Debug, Clone)]
pub struct Reciprocity {
    config: HeuristicConfig,
}

impl Reciprocity {
    /// Reads the channel weights from `config`.
    pub fn new(config: &HeuristicConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }
}

/// `2ab/(a+b) + ε(a+b)`, 0 for `a = b = 0`.
#[inline]
fn balanced(a: f64, b: f64) -> f64 {
    let total = a + b;
    if total <= 0.0 {
        return 0.0;
    }
    2.0 * a * b / total + RECIPROCITY_EPSILON * total
}

impl Heuristic for Reciprocity {
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
        for_each_tie(graph, target, |i, sent, received| {
            out[i] = balanced(
                weighted_count(&self.config, sent),
                weighted_count(&self.config, received),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::fixtures::{dense, graph};
    use tierank_format::Channel::Message;

    #[test]
    fn one_way_traffic_scores_far_below_balanced() {
        // Same total of 20 messages: balanced with 2, all one way from 3, all one way to 4.
        let g = graph(
            &[(1, 2), (1, 3), (1, 4)],
            &[
                (1, 2, vec![(Message, 10, 1.0, 1)]),
                (2, 1, vec![(Message, 10, 1.0, 1)]),
                (3, 1, vec![(Message, 20, 1.0, 1)]),
                (1, 4, vec![(Message, 20, 1.0, 1)]),
            ],
        );
        let mut out = Vec::new();
        Reciprocity::new(&HeuristicConfig::default()).score(
            &g,
            dense(&g, 1),
            &mut Scratch::new(),
            &mut out,
        );
        assert!((out[0] - (10.0 + 20e-6)).abs() < 1e-12, "{out:?}");
        assert!((out[1] - 20e-6).abs() < 1e-12, "{out:?}");
        assert_eq!(
            out[1], out[2],
            "direction of the one-way traffic does not matter"
        );
        assert!(out[0] > 1e5 * out[1]);
    }

    #[test]
    fn governed_by_weaker_direction() {
        assert!(balanced(1000.0, 1.0) < 2.0);
        assert!(balanced(1000.0, 1.0) > 1.0);
        assert_eq!(balanced(0.0, 0.0), 0.0);
    }
}

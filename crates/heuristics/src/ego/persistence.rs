//! `persistence`: on how many distinct days (or weeks) the two people were in contact.

use super::for_each_tie;
use crate::{CostClass, Heuristic, HeuristicConfig, Needs, PersistenceUnit, Scratch};
use tierank_graph::{Graph, NodeId, TieSummary};

/// Command-line name.
pub(crate) const NAME: &str = "persistence";

/// Number of distinct days (or weeks) with contact, resistant to bursts.
///
/// # Formula
/// With `D(a→b)` the distinct active days (weeks with `persistence_unit = weeks`) of the
/// directed tie `a→b`, `M = max(D(u→v), D(v→u))` and `m = min(D(u→v), D(v→u))`:
///
/// `persistence(u, v) = M + m / (M + 1)`.
///
/// The number of days with contact in *either* direction is the size of a union that the
/// graph does not store (only per-direction day counts are aggregated at load time). `M` is
/// the best lower bound of it and is exact whenever one side's days cover the other's, which
/// is the usual case in a conversation (a reply on the same day). The sum `D(u→v) + D(v→u)`
/// would count most conversation days twice and so double the score of answered ties
/// against one-way ones, mixing reciprocity into a measure of regularity. The fraction
/// `m / (M + 1) ∈ [0, 1)` only breaks ties among equal `M`, preferring ties that persist in
/// both directions, so the score stays integer-dominated.
///
/// # Source
/// Ureña-Carrion, Saramäki, Kivelä (2020), "Estimating tie strength in social networks using
/// temporally aggregated data", Social Networks 63:122–132: the number of days with
/// contact and temporal stability predict tie strength better than raw event counts.
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
/// # let tie = |u, v, count, days| (d(u), d(v),
/// #     TieSummary { active_days: days, ..Default::default() },
/// #     vec![ChannelStats { count, channel: Channel::Message.index() as u8, ..Default::default() }]);
/// # let inter = interactions_from_ties(3, TimeWindow::default(), 1,
/// #     vec![tie(1, 2, 30, 30), tie(2, 1, 30, 30), tie(1, 3, 500, 2)]).unwrap();
/// # let g = g.with_interactions(inter).unwrap();
/// // 1 and 2 talked on 30 days; 1 sent 3 a burst of 500 messages on 2 days.
/// let h = build("persistence", &HeuristicConfig::default(), &g).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// assert_eq!(out, vec![30.0 + 30.0 / 31.0, 2.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Persistence {
    unit: PersistenceUnit,
}

impl Persistence {
    /// Reads the unit (days or weeks) from `config`.
    pub fn new(config: &HeuristicConfig) -> Self {
        Self {
            unit: config.persistence_unit,
        }
    }

    #[inline]
    fn units(&self, summary: &TieSummary) -> f64 {
        match self.unit {
            PersistenceUnit::Days => f64::from(summary.active_days),
            PersistenceUnit::Weeks => f64::from(summary.active_weeks),
        }
    }
}

impl Heuristic for Persistence {
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
            let a = sent.map_or(0.0, |t| self.units(&t.summary));
            let b = received.map_or(0.0, |t| self.units(&t.summary));
            let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
            out[i] = hi + lo / (hi + 1.0);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::fixtures::{dense, graph};
    use tierank_format::Channel::Message;

    #[test]
    fn burst_loses_to_regular_contact_and_weeks_work() {
        let g = graph(
            &[(1, 2), (1, 3), (1, 4)],
            &[
                (2, 1, vec![(Message, 12, 1.0, 12)]),
                (1, 2, vec![(Message, 6, 1.0, 6)]),
                (1, 3, vec![(Message, 900, 1.0, 1)]),
            ],
        );
        let mut config = HeuristicConfig::default();
        let mut out = Vec::new();
        Persistence::new(&config).score(&g, dense(&g, 1), &mut Scratch::new(), &mut out);
        assert_eq!(out, vec![12.0 + 6.0 / 13.0, 1.0, 0.0]);
        config.persistence_unit = PersistenceUnit::Weeks;
        Persistence::new(&config).score(&g, dense(&g, 1), &mut Scratch::new(), &mut out);
        // The fixture stores ceil(days / 7) weeks.
        assert_eq!(out, vec![2.0 + 1.0 / 3.0, 1.0, 0.0]);
    }
}

//! Reciprocity and channel mix, from the per-directed-tie interaction counts.

use serde::Serialize;
use tierank_format::Channel;
use tierank_format::enums::CHANNEL_COUNT;
use tierank_graph::{Interactions, NodeId};

use crate::degree::quantile_sorted;

/// Lopsidedness above which a friendship counts as one-way-heavy in
/// [`ReciprocityStats::share_lopsided`]: the heavier side sends at least three times as much.
pub const LOPSIDED_THRESHOLD: f64 = 0.5;

/// How mutual the interactions are.
///
/// For a friendship with `a` events one way and `b` the other, the lopsidedness is
/// `|a − b| / (a + b)`: 0 for perfectly balanced, 1 for strictly one-way (Kovanen et al.
/// 2010 find lopsided ties common in mobile-phone data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReciprocityStats {
    /// Directed ties with at least one event.
    pub active_directed_ties: u64,
    /// Active directed ties whose reverse is also active.
    pub reciprocated_directed_ties: u64,
    /// `reciprocated_directed_ties / active_directed_ties`.
    pub reciprocity: f64,
    /// Friendships with at least one event in either direction.
    pub active_pairs: u64,
    /// Mean lopsidedness over active pairs.
    pub lopsidedness_mean: f64,
    /// Median lopsidedness over active pairs.
    pub lopsidedness_median: f64,
    /// Share of active pairs with lopsidedness above [`LOPSIDED_THRESHOLD`].
    pub share_lopsided: f64,
    /// Share of active pairs with events in one direction only (lopsidedness 1).
    pub share_one_way: f64,
    /// Active pairs per lopsidedness bin of width 0.1 (`[0, 0.1)`, ..., `[0.9, 1]`).
    pub histogram: Vec<u64>,
}

/// Reciprocity of the interactions; `None` when there is no active tie.
pub fn reciprocity(inter: &Interactions, num_nodes: usize) -> Option<ReciprocityStats> {
    let mut active = 0u64;
    let mut reciprocated = 0u64;
    let mut lopsided: Vec<f64> = Vec::new();
    for u in 0..num_nodes {
        let u = NodeId(u32::try_from(u).expect("graph sizes fit NodeId"));
        for tie in inter.out_ties(u) {
            let v = tie.alter;
            let a = f64::from(tie.summary.count);
            active += 1;
            let back = inter.tie(v, u);
            if back.is_some() {
                reciprocated += 1;
            }
            // Each active pair once: from its smaller end, or from its only sender.
            if u < v || back.is_none() {
                let b = back.map_or(0.0, |t| f64::from(t.summary.count));
                lopsided.push((a - b).abs() / (a + b));
            }
        }
    }
    if active == 0 {
        return None;
    }
    let pairs = lopsided.len();
    let mut histogram = vec![0u64; 10];
    for &l in &lopsided {
        histogram[((l * 10.0) as usize).min(9)] += 1;
    }
    let mean = lopsided.iter().sum::<f64>() / pairs as f64;
    let share = |pred: &dyn Fn(f64) -> bool| {
        lopsided.iter().filter(|&&l| pred(l)).count() as f64 / pairs as f64
    };
    let share_lopsided = share(&|l| l > LOPSIDED_THRESHOLD);
    let share_one_way = share(&|l| l >= 1.0);
    lopsided.sort_unstable_by(f64::total_cmp);
    Some(ReciprocityStats {
        active_directed_ties: active,
        reciprocated_directed_ties: reciprocated,
        reciprocity: reciprocated as f64 / active as f64,
        active_pairs: pairs as u64,
        lopsidedness_mean: mean,
        lopsidedness_median: quantile_sorted(&lopsided, 0.5),
        share_lopsided,
        share_one_way,
        histogram,
    })
}

/// Events of one channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelShare {
    /// The channel's name as stored in Parquet.
    pub channel: String,
    /// Events on it.
    pub events: u64,
    /// Its share of all events.
    pub share: f64,
}

/// Share of events per channel, every channel listed (in channel order), even unused ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelMix {
    /// Events on friendships, all channels.
    pub total_events: u64,
    /// One entry per channel.
    pub channels: Vec<ChannelShare>,
}

impl ChannelMix {
    /// The largest channel share.
    pub fn max_share(&self) -> f64 {
        self.channels.iter().map(|c| c.share).fold(0.0, f64::max)
    }
}

/// Channel mix of the interaction counts; `None` when there is no event.
pub fn channel_mix(inter: &Interactions, num_nodes: usize) -> Option<ChannelMix> {
    let mut counts = [0u64; CHANNEL_COUNT];
    for u in 0..num_nodes {
        let u = NodeId(u32::try_from(u).expect("graph sizes fit NodeId"));
        for tie in inter.out_ties(u) {
            for c in tie.channels {
                counts[usize::from(c.channel)] += u64::from(c.count);
            }
        }
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let channels = Channel::ALL
        .iter()
        .map(|c| ChannelShare {
            channel: c.as_str().to_owned(),
            events: counts[c.index()],
            share: counts[c.index()] as f64 / total as f64,
        })
        .collect();
    Some(ChannelMix {
        total_events: total,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tierank_graph::interactions::interactions_from_ties;
    use tierank_graph::{ChannelStats, Graph, TieSummary, TimeWindow};

    fn rec(channel: Channel, count: u32) -> ChannelStats {
        ChannelStats {
            count,
            channel: u8::try_from(channel.index()).unwrap(),
            ..Default::default()
        }
    }

    /// Path 0-1-2-3 plus 0-2. Events: 0→1 3 messages + 1 call, 1→0 4 messages (balanced);
    /// 1→2 9 likes, 2→1 1 like (lopsided 0.8); 2→3 2 messages (one-way); 0-2 silent.
    fn graph() -> Graph {
        let (g, _) =
            Graph::from_person_edges(&[(10, 11), (11, 12), (12, 13), (10, 12)], None).unwrap();
        let n = |i: u32| tierank_graph::NodeId(i);
        let tie = |a, b, recs: Vec<ChannelStats>| (n(a), n(b), TieSummary::default(), recs);
        let inter = interactions_from_ties(
            4,
            TimeWindow::default(),
            1,
            vec![
                tie(0, 1, vec![rec(Channel::Message, 3), rec(Channel::Call, 1)]),
                tie(1, 0, vec![rec(Channel::Message, 4)]),
                tie(1, 2, vec![rec(Channel::Like, 9)]),
                tie(2, 1, vec![rec(Channel::Like, 1)]),
                tie(2, 3, vec![rec(Channel::Message, 2)]),
            ],
        )
        .unwrap();
        g.with_interactions(inter).unwrap()
    }

    #[test]
    fn reciprocity_by_hand() {
        let g = graph();
        let r = reciprocity(g.interactions().unwrap(), g.num_nodes()).unwrap();
        assert_eq!(r.active_directed_ties, 5);
        assert_eq!(r.reciprocated_directed_ties, 4);
        assert_eq!(r.reciprocity, 0.8);
        // Pairs: 0-1 → 0, 1-2 → 0.8, 2-3 → 1.
        assert_eq!(r.active_pairs, 3);
        assert!((r.lopsidedness_mean - 0.6).abs() < 1e-12);
        assert!((r.lopsidedness_median - 0.8).abs() < 1e-12);
        assert!((r.share_lopsided - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.share_one_way - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.histogram, vec![1, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn channel_mix_by_hand() {
        let g = graph();
        let m = channel_mix(g.interactions().unwrap(), g.num_nodes()).unwrap();
        assert_eq!(m.total_events, 20);
        assert_eq!(m.channels.len(), CHANNEL_COUNT);
        let share = |c: Channel| m.channels[c.index()].share;
        assert_eq!(share(Channel::Message), 9.0 / 20.0);
        assert_eq!(share(Channel::Like), 10.0 / 20.0);
        assert_eq!(share(Channel::Call), 1.0 / 20.0);
        assert_eq!(share(Channel::Transfer), 0.0);
        assert_eq!(m.max_share(), 0.5);
    }

    #[test]
    fn overlap_uses_event_counts_both_ways() {
        let g = graph();
        let (_, o) = crate::structure::clustering_and_overlap(&g, 100, 0);
        let o = o.unwrap();
        assert_eq!(o.weight_source, crate::structure::WeightSource::Events);
        // Weights: 0-1 → 8, 1-2 → 10, 2-3 → 2, 0-2 → 0 (its own bucket).
        assert_eq!(o.ties_measured, 4);
        assert_eq!(o.zero_weight_ties, 1);
        // 0-2: common {1}, degrees 2 and 3 → 1 / (1 + 2 − 1) = 0.5.
        assert_eq!(o.zero_weight_mean_overlap, Some(0.5));
        let weights: Vec<(f64, f64)> = o
            .deciles
            .iter()
            .map(|d| (d.min_weight, d.mean_overlap))
            .collect();
        // 2-3: no common friend → 0; 0-1: common {2}, degrees 2 and 2 → 1 / (1 + 1 − 1) = 1;
        // 1-2: common {0}, degrees 2 and 3 → 1 / (1 + 2 − 1) = 0.5.
        assert_eq!(weights, vec![(2.0, 0.0), (8.0, 1.0), (10.0, 0.5)]);
    }
}

//! Heuristics that read only the target's own ties: `O(k_u)` work per target.
//!
//! | name | measures | needs |
//! |---|---|---|
//! | [`volume`](Volume) | channel-weighted event count, both directions | weights |
//! | [`recency`](Recency) | recency-decayed event count (Roth et al. 2010) | events |
//! | [`reciprocity`](Reciprocity) | harmonic mean of the two directions' volumes | events |
//! | [`persistence`](Persistence) | distinct days (or weeks) with contact | events |
//! | [`multiplexity`](Multiplexity) | distinct channels used | events |
//! | [`random`](Random) | seeded random baseline | topology |
//! | [`degree`](Degree) | the friend's number of friends | topology |
//! | [`combo`](Combo) | weighted sum of min–max normalised heuristics | its components |
//!
//! Interaction features are read by walking `out_ties(target)` (sorted by alter) in step
//! with the sorted neighbour list, so the outgoing direction costs `O(k_u)` in total; the
//! incoming direction `v → target` is a binary search in `v`'s active-tie list.

use crate::{Entry, HeuristicConfig};
use tierank_graph::interactions::TieActivity;
use tierank_graph::{Graph, NodeId};

mod combo;
mod degree;
mod multiplexity;
mod persistence;
mod random;
mod recency;
mod reciprocity;
mod volume;

pub use combo::Combo;
pub use degree::Degree;
pub use multiplexity::Multiplexity;
pub use persistence::Persistence;
pub use random::Random;
pub use recency::Recency;
pub use reciprocity::{RECIPROCITY_EPSILON, Reciprocity};
pub use volume::Volume;

/// Registry entries of this module.
pub(crate) const ENTRIES: &[Entry] = &[
    Entry {
        name: volume::NAME,
        build: |c| Ok(Box::new(Volume::new(c))),
    },
    Entry {
        name: recency::NAME,
        build: |c| Ok(Box::new(Recency::new(c))),
    },
    Entry {
        name: reciprocity::NAME,
        build: |c| Ok(Box::new(Reciprocity::new(c))),
    },
    Entry {
        name: persistence::NAME,
        build: |c| Ok(Box::new(Persistence::new(c))),
    },
    Entry {
        name: multiplexity::NAME,
        build: |c| Ok(Box::new(Multiplexity::new(c))),
    },
    Entry {
        name: random::NAME,
        build: |c| Ok(Box::new(Random::new(c))),
    },
    Entry {
        name: degree::NAME,
        build: |_| Ok(Box::new(Degree)),
    },
    Entry {
        name: combo::NAME,
        build: |c| Ok(Box::new(Combo::new(c)?)),
    },
];

/// Calls `f(i, out, inc)` for every friend `v = graph.neighbors(target)[i]`, in neighbour
/// order, with the events `target` sent `v` (`out`) and the events `v` sent `target`
/// (`inc`). Without interaction features both are always `None`.
///
/// `O(k_u + Σ_v log a_v)` where `a_v` is the number of `v`'s active ties.
#[inline]
pub(crate) fn for_each_tie<'g>(
    graph: &'g Graph,
    target: NodeId,
    mut f: impl FnMut(usize, Option<TieActivity<'g>>, Option<TieActivity<'g>>),
) {
    let friends = graph.neighbors(target);
    let Some(inter) = graph.interactions() else {
        (0..friends.len()).for_each(|i| f(i, None, None));
        return;
    };
    let mut outgoing = inter.out_ties(target).peekable();
    for (i, &v) in friends.iter().enumerate() {
        // Active alters are a sorted subset of the sorted friends: skip any that are behind.
        while outgoing.next_if(|t| t.alter < v).is_some() {}
        let out = outgoing.next_if(|t| t.alter == v);
        f(i, out, inter.tie(v, target));
    }
}

/// `Σ_c w_c · x_c` over a directed tie's channel records, where `x_c` is chosen by `field`.
#[inline]
pub(crate) fn weighted(
    config: &HeuristicConfig,
    tie: Option<TieActivity<'_>>,
    field: impl Fn(&tierank_graph::ChannelStats) -> f64,
) -> f64 {
    tie.map_or(0.0, |t| {
        t.channels
            .iter()
            .map(|c| config.channel_weights[usize::from(c.channel)] * field(c))
            .sum()
    })
}

/// Channel-weighted event count of one directed tie.
#[inline]
pub(crate) fn weighted_count(config: &HeuristicConfig, tie: Option<TieActivity<'_>>) -> f64 {
    weighted(config, tie, |c| f64::from(c.count))
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small graph with interactions shared by the unit tests of this module.

    use tierank_format::Channel;
    use tierank_graph::interactions::interactions_from_ties;
    use tierank_graph::{ChannelStats, Graph, NodeId, TieSummary, TimeWindow};

    /// One directed tie: (sender person, receiver person, [(channel, count, decayed, days)]).
    pub type TieSpec = (i64, i64, Vec<(Channel, u32, f32, u16)>);

    /// Builds a graph from person edges and directed tie specs.
    pub fn graph(edges: &[(i64, i64)], ties: &[TieSpec]) -> Graph {
        let (g, _) = Graph::from_person_edges(edges, None).expect("valid edges");
        let recs = ties
            .iter()
            .map(|(u, v, chans)| {
                let days = chans.iter().map(|c| c.3).max().unwrap_or(0);
                let summary = TieSummary {
                    count: 0,
                    active_days: days,
                    active_weeks: days.div_ceil(7),
                    channel_mask: 0,
                };
                let stats = chans
                    .iter()
                    .map(|&(c, count, decayed, active_days)| ChannelStats {
                        count,
                        decayed,
                        active_days,
                        channel: c.index() as u8,
                        ..Default::default()
                    })
                    .collect();
                (dense(&g, *u), dense(&g, *v), summary, stats)
            })
            .collect();
        let window = TimeWindow {
            start_ms: 0,
            end_ms: 90 * 86_400_000,
        };
        let inter = interactions_from_ties(g.num_nodes(), window, 14 * 86_400_000, recs)
            .expect("valid ties");
        g.with_interactions(inter).expect("ties are friendships")
    }

    /// The dense id of a person.
    pub fn dense(g: &Graph, p: i64) -> NodeId {
        g.dense(p).expect("person in graph")
    }
}

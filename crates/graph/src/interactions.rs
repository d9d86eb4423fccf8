//! Sparse per-directed-tie interaction features.
//!
//! Most friendships see no interaction in a window of a few months, so features are kept
//! only for directed ties with at least one event, in a second CSR-like structure whose
//! per-node lists are subsets of the friendship lists. Per tie, one [`ChannelStats`] per
//! channel actually used (at most [`CHANNEL_COUNT`]), plus a [`TieSummary`] across channels.
//!
//! Memory: 4 (alter) + 12 ([`TieSummary`]) + 8 (channel offset) bytes per active directed tie,
//! plus 24 bytes per (tie, channel) record.

use crate::{GraphError, NodeId};
use tierank_format::Channel;
use tierank_format::enums::CHANNEL_COUNT;

/// The observation window of the events, in milliseconds since the Unix epoch (UTC).
///
/// `end_ms` is the reference "now" for recency: decayed sums are computed relative to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeWindow {
    /// Earliest event time.
    pub start_ms: i64,
    /// Latest event time.
    pub end_ms: i64,
}

impl TimeWindow {
    /// Length of the window in whole days, at least 1.
    pub fn days(&self) -> u32 {
        let span = self.end_ms.saturating_sub(self.start_ms).max(0) / 86_400_000 + 1;
        u32::try_from(span).unwrap_or(u32::MAX)
    }

    /// Absolute time of an offset in seconds from `start_ms`.
    pub fn at(&self, offset_s: u32) -> i64 {
        self.start_ms.saturating_add(i64::from(offset_s) * 1000)
    }
}

/// Aggregates of the events one person sent another on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChannelStats {
    /// Number of events.
    pub count: u32,
    /// Sum of `value` (call seconds, transfer amount); 0 where values are null.
    pub value_sum: f32,
    /// Recency-decayed count: `Σ 2^(-(end - t_i) / half_life)` (Roth et al. 2010).
    pub decayed: f32,
    /// First event, seconds after the window start.
    pub first_s: u32,
    /// Last event, seconds after the window start.
    pub last_s: u32,
    /// Distinct UTC days with at least one event on this channel.
    pub active_days: u16,
    /// The channel's [`Channel::index`].
    pub channel: u8,
}

impl ChannelStats {
    /// The channel.
    pub fn channel(&self) -> Channel {
        Channel::from_index(usize::from(self.channel)).expect("valid channel code")
    }
}

/// Aggregates across channels of one directed tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TieSummary {
    /// Total events on all channels.
    pub count: u32,
    /// Distinct UTC days with at least one event on any channel.
    pub active_days: u16,
    /// Distinct ISO-style weeks (7-day blocks from the window start) with any event.
    pub active_weeks: u16,
    /// Bit `c` set when channel `c` was used.
    pub channel_mask: u8,
}

impl TieSummary {
    /// Number of distinct channels used.
    pub fn channels_used(&self) -> u32 {
        self.channel_mask.count_ones()
    }
}

/// One directed tie with its features, borrowed from [`Interactions`].
#[derive(Debug, Clone, Copy)]
pub struct TieActivity<'a> {
    /// The receiving friend.
    pub alter: NodeId,
    /// Aggregates across channels.
    pub summary: &'a TieSummary,
    /// One record per channel used, in channel order.
    pub channels: &'a [ChannelStats],
}

impl TieActivity<'_> {
    /// The record of one channel, if it was used.
    pub fn channel(&self, channel: Channel) -> Option<&ChannelStats> {
        self.channels
            .iter()
            .find(|c| usize::from(c.channel) == channel.index())
    }
}

/// Sparse per-directed-tie features of a whole graph.
///
/// # Invariants
/// - `node_offsets.len() == num_nodes + 1`, starts at 0, non-decreasing, ends at `alters.len()`.
/// - Each node's `alters` are strictly increasing and are friends of the node (checked by
///   [`crate::Graph::try_new`]).
/// - `summaries.len() == alters.len()`; `chan_offsets.len() == alters.len() + 1`, starts at
///   0, strictly increasing (every active tie has at least one channel), ends at `channels.len()`.
/// - Each tie's channel records are strictly increasing by channel code, each with `count > 0`,
///   and `summary.channel_mask` has exactly their bits.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Interactions {
    window: TimeWindow,
    half_life_ms: i64,
    node_offsets: Vec<u64>,
    alters: Vec<NodeId>,
    summaries: Vec<TieSummary>,
    chan_offsets: Vec<u32>,
    channels: Vec<ChannelStats>,
}

/// The raw arrays of an [`Interactions`], as built by a loader.
#[derive(Debug, Clone, Default)]
pub struct InteractionParts {
    /// Observation window.
    pub window: TimeWindow,
    /// Half-life used for [`ChannelStats::decayed`], in milliseconds.
    pub half_life_ms: i64,
    /// Per-node offsets into `alters` (`num_nodes + 1`).
    pub node_offsets: Vec<u64>,
    /// Receivers of active directed ties.
    pub alters: Vec<NodeId>,
    /// One summary per active directed tie.
    pub summaries: Vec<TieSummary>,
    /// Per-tie offsets into `channels` (`alters.len() + 1`). `u32`: 4 bytes per active tie
    /// instead of 8, and a graph has far fewer than 2^32 channel records before it stops
    /// fitting in memory.
    pub chan_offsets: Vec<u32>,
    /// Channel records.
    pub channels: Vec<ChannelStats>,
}

/// The raw arrays of [`Interactions`], borrowed (for writing snapshots); the same fields
/// as [`InteractionParts`].
#[derive(Debug, Clone, Copy)]
pub struct InteractionSlices<'a> {
    /// Per node, the start of its ties (`num_nodes + 1` entries).
    pub node_offsets: &'a [u64],
    /// Receivers of the active directed ties.
    pub alters: &'a [NodeId],
    /// Per active tie, its summary.
    pub summaries: &'a [TieSummary],
    /// Per active tie, the start of its channel records (`alters.len() + 1` entries).
    pub chan_offsets: &'a [u32],
    /// Channel records.
    pub channels: &'a [ChannelStats],
}

impl Interactions {
    /// The raw arrays, as [`Interactions::try_from_parts`] takes them.
    pub fn slices(&self) -> InteractionSlices<'_> {
        InteractionSlices {
            node_offsets: &self.node_offsets,
            alters: &self.alters,
            summaries: &self.summaries,
            chan_offsets: &self.chan_offsets,
            channels: &self.channels,
        }
    }

    /// Builds from raw parts, checking the invariants that do not need the friendship CSR.
    ///
    /// # Errors
    /// [`GraphError::Inconsistent`] naming the first violated invariant.
    pub fn try_from_parts(num_nodes: usize, parts: InteractionParts) -> Result<Self, GraphError> {
        let bad = |m: String| Err(GraphError::Inconsistent(m));
        let InteractionParts {
            window,
            half_life_ms,
            node_offsets,
            alters,
            summaries,
            chan_offsets,
            channels,
        } = parts;
        if half_life_ms <= 0 {
            return bad("half-life must be positive".into());
        }
        if node_offsets.len() != num_nodes + 1
            || node_offsets[0] != 0
            || node_offsets[num_nodes] != alters.len() as u64
            || node_offsets.windows(2).any(|w| w[0] > w[1])
        {
            return bad("interaction node offsets malformed".into());
        }
        if summaries.len() != alters.len()
            || chan_offsets.len() != alters.len() + 1
            || chan_offsets[0] != 0
            || chan_offsets[alters.len()] as usize != channels.len()
            || chan_offsets.windows(2).any(|w| w[0] >= w[1])
        {
            return bad("interaction tie arrays malformed".into());
        }
        for u in 0..num_nodes {
            let list = &alters[node_offsets[u] as usize..node_offsets[u + 1] as usize];
            if list.windows(2).any(|w| w[0] >= w[1]) {
                return bad(format!("active alters of node {u} not strictly increasing"));
            }
        }
        for (t, summary) in summaries.iter().enumerate() {
            let recs = &channels[chan_offsets[t] as usize..chan_offsets[t + 1] as usize];
            if recs.len() > CHANNEL_COUNT
                || recs.windows(2).any(|w| w[0].channel >= w[1].channel)
                || recs
                    .iter()
                    .any(|c| c.count == 0 || usize::from(c.channel) >= CHANNEL_COUNT)
            {
                return bad(format!("channel records of active tie {t} malformed"));
            }
            let mask = recs.iter().fold(0u8, |m, c| m | (1 << c.channel));
            if mask != summary.channel_mask {
                return bad(format!("channel mask of active tie {t} disagrees"));
            }
        }
        Ok(Self {
            window,
            half_life_ms,
            node_offsets,
            alters,
            summaries,
            chan_offsets,
            channels,
        })
    }

    /// The observation window.
    pub fn window(&self) -> TimeWindow {
        self.window
    }

    /// The half-life of [`ChannelStats::decayed`], in milliseconds.
    pub fn half_life_ms(&self) -> i64 {
        self.half_life_ms
    }

    /// Number of directed ties with at least one event.
    pub fn num_active_ties(&self) -> usize {
        self.alters.len()
    }

    /// Number of (directed tie, channel) records.
    pub fn num_channel_records(&self) -> usize {
        self.channels.len()
    }

    /// The ties on which `u` sent at least one event, sorted by alter.
    pub fn out_ties(&self, u: NodeId) -> impl ExactSizeIterator<Item = TieActivity<'_>> + '_ {
        let range =
            self.node_offsets[u.index()] as usize..self.node_offsets[u.index() + 1] as usize;
        range.map(move |t| self.activity(t))
    }

    /// The receivers of `u`'s active ties, sorted.
    pub fn out_alters(&self, u: NodeId) -> &[NodeId] {
        &self.alters
            [self.node_offsets[u.index()] as usize..self.node_offsets[u.index() + 1] as usize]
    }

    /// The events `u` sent `v`, if any (binary search in `u`'s list).
    pub fn tie(&self, u: NodeId, v: NodeId) -> Option<TieActivity<'_>> {
        let start = self.node_offsets[u.index()] as usize;
        self.out_alters(u)
            .binary_search(&v)
            .ok()
            .map(|i| self.activity(start + i))
    }

    fn activity(&self, t: usize) -> TieActivity<'_> {
        TieActivity {
            alter: self.alters[t],
            summary: &self.summaries[t],
            channels: &self.channels
                [self.chan_offsets[t] as usize..self.chan_offsets[t + 1] as usize],
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.node_offsets.capacity() * 8
            + self.alters.capacity() * 4
            + self.summaries.capacity() * std::mem::size_of::<TieSummary>()
            + self.chan_offsets.capacity() * 4
            + self.channels.capacity() * std::mem::size_of::<ChannelStats>()
    }

    pub(crate) fn all_alters_by_node(&self) -> impl Iterator<Item = (NodeId, &[NodeId])> + '_ {
        (0..self.node_offsets.len() - 1)
            .map(move |u| (NodeId(u as u32), self.out_alters(NodeId(u as u32))))
    }
}

/// Builds [`Interactions`] from unordered per-tie records; convenient for tests and small data.
///
/// Each entry is `(sender, receiver, summary, channel records)`; `summary.channel_mask` and
/// `summary.count` are recomputed from the records.
///
/// # Errors
/// [`GraphError::Inconsistent`] on duplicate ties or malformed records.
pub fn interactions_from_ties(
    num_nodes: usize,
    window: TimeWindow,
    half_life_ms: i64,
    mut ties: Vec<(NodeId, NodeId, TieSummary, Vec<ChannelStats>)>,
) -> Result<Interactions, GraphError> {
    ties.sort_by_key(|t| (t.0, t.1));
    let mut parts = InteractionParts {
        window,
        half_life_ms,
        node_offsets: vec![0; num_nodes + 1],
        chan_offsets: vec![0],
        ..Default::default()
    };
    for (u, v, mut summary, mut recs) in ties {
        if u.index() >= num_nodes {
            return Err(GraphError::NodeOutOfRange {
                node: u64::from(u.0),
                nodes: num_nodes,
            });
        }
        recs.sort_by_key(|c| c.channel);
        summary.channel_mask = recs.iter().fold(0, |m, c| m | (1 << c.channel));
        summary.count = recs.iter().map(|c| c.count).sum();
        parts.node_offsets[u.index() + 1] += 1;
        parts.alters.push(v);
        parts.summaries.push(summary);
        parts.channels.extend(recs);
        let end = u32::try_from(parts.channels.len())
            .map_err(|_| GraphError::Inconsistent("more than 2^32 - 1 channel records".into()))?;
        parts.chan_offsets.push(end);
    }
    for i in 0..num_nodes {
        parts.node_offsets[i + 1] += parts.node_offsets[i];
    }
    Interactions::try_from_parts(num_nodes, parts)
}

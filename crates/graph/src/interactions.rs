//! Sparse per-directed-tie interaction features.
//!
//! Most friendships see no interaction in a window of a few months, so features are kept
//! only for directed ties with at least one event, in a second CSR-like structure whose
//! per-node lists are subsets of the friendship lists. Per tie, one [`ChannelStats`] per
//! channel actually used (at most [`CHANNEL_COUNT`]), plus a [`TieSummary`] across channels.
//!
//! Memory: 4 (alter) + 2 (days) + 2 (weeks) + 1 (channel mask) + 1/4 (channel base) bytes
//! per active directed tie, plus 23 bytes per (tie, channel) record. The tie's total count
//! is derived from its channel records; the alters stay (rather than a bit per CSR slot)
//! so that the features can be read without the CSR at hand.

use crate::{GraphError, NodeId};
use rayon::prelude::*;
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
///
/// Packed (23 bytes, no padding): channel records are the largest array of a graph (about
/// two per active tie), and the byte of padding a 4-byte alignment would add was 1 of the
/// 32 bytes per directed tie the whole graph may spend. Fields are read by value
/// (`c.count`); a reference to a multi-byte field would be unaligned, so the compiler
/// refuses one (copy it first: `{ c.count }`). `Pod`: its bytes on a little-endian host are
/// exactly a snapshot's 23-byte record, so an open reads records in place, with no copy.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, PartialEq, Default, bytemuck::Pod, bytemuck::Zeroable)]
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
///
/// Not stored as such: [`Interactions`] keeps the days, weeks and channel mask in their own
/// arrays and derives `count` from the channel records (see [`Interactions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TieSummary {
    /// Total events on all channels (saturating at `u32::MAX`).
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
    pub summary: TieSummary,
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

/// Every this many active ties, [`Interactions`] stores where their channel records start;
/// in between, the start is found by adding the channel counts (mask popcounts) of at most
/// `CHAN_BASE_EVERY - 1` preceding ties. A quarter of a byte per active tie instead of a
/// 4-byte offset per tie.
pub const CHAN_BASE_EVERY: usize = 16;

/// Sparse per-directed-tie features of a whole graph.
///
/// Layout (structure of arrays; about 9.25 bytes per active tie plus 23 per channel
/// record): per active tie its receiver (`alters`), active days and weeks, and channel mask;
/// per block of [`CHAN_BASE_EVERY`] ties the index of its first channel record. A tie's
/// event count is the sum of its channel records' counts, so it is not stored.
///
/// # Invariants
/// - `node_offsets.len() == num_nodes + 1`, starts at 0, non-decreasing, ends at `alters.len()`.
/// - Each node's `alters` are strictly increasing and are friends of the node (checked by
///   [`crate::Graph::try_new`]).
/// - `tie_days`, `tie_weeks` and `masks` have one entry per active tie; every mask is
///   non-zero (every active tie has at least one channel) and below `2^CHANNEL_COUNT`.
/// - `chan_bases[k]` is the sum of the popcounts of `masks[..k * CHAN_BASE_EVERY]`
///   (`alters.len().div_ceil(CHAN_BASE_EVERY)` entries), and all popcounts sum to
///   `channels.len()`.
/// - Each tie's channel records are strictly increasing by channel code, each with
///   `count > 0`, and their channels are exactly the bits of its mask.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Interactions {
    window: TimeWindow,
    half_life_ms: i64,
    node_offsets: Vec<u64>,
    alters: Vec<NodeId>,
    tie_days: Vec<u16>,
    tie_weeks: Vec<u16>,
    masks: Vec<u8>,
    chan_bases: Vec<u32>,
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
    /// Per active tie, [`TieSummary::active_days`].
    pub tie_days: Vec<u16>,
    /// Per active tie, [`TieSummary::active_weeks`].
    pub tie_weeks: Vec<u16>,
    /// Per active tie, [`TieSummary::channel_mask`].
    pub masks: Vec<u8>,
    /// Per block of [`CHAN_BASE_EVERY`] active ties, the index of its first channel record.
    /// `u32`: a graph has far fewer than 2^32 channel records before it stops fitting in
    /// memory.
    pub chan_bases: Vec<u32>,
    /// Channel records.
    pub channels: Vec<ChannelStats>,
}

impl InteractionParts {
    /// Appends one active tie of the node being filled (ties must come in node order, then
    /// receiver order; `node_offsets` is the caller's to fill).
    ///
    /// # Errors
    /// [`GraphError::Inconsistent`] beyond `u32::MAX` channel records.
    pub fn push_tie(
        &mut self,
        alter: NodeId,
        active_days: u16,
        active_weeks: u16,
        channels: &[ChannelStats],
    ) -> Result<(), GraphError> {
        if self.masks.len().is_multiple_of(CHAN_BASE_EVERY) {
            let base = u32::try_from(self.channels.len()).map_err(|_| {
                GraphError::Inconsistent("more than 2^32 - 1 channel records".into())
            })?;
            self.chan_bases.push(base);
        }
        self.alters.push(alter);
        self.tie_days.push(active_days);
        self.tie_weeks.push(active_weeks);
        self.masks.push(
            channels
                .iter()
                .fold(0u8, |m, c| m | 1u8.wrapping_shl(c.channel.into())),
        );
        self.channels.extend_from_slice(channels);
        if u32::try_from(self.channels.len()).is_err() {
            return Err(GraphError::Inconsistent(
                "more than 2^32 - 1 channel records".into(),
            ));
        }
        Ok(())
    }
}

/// The raw arrays of [`Interactions`], borrowed (for writing snapshots); the same fields
/// as [`InteractionParts`].
#[derive(Debug, Clone, Copy)]
pub struct InteractionSlices<'a> {
    /// Per node, the start of its ties (`num_nodes + 1` entries).
    pub node_offsets: &'a [u64],
    /// Receivers of the active directed ties.
    pub alters: &'a [NodeId],
    /// Per active tie, its active days.
    pub tie_days: &'a [u16],
    /// Per active tie, its active weeks.
    pub tie_weeks: &'a [u16],
    /// Per active tie, its channel mask.
    pub masks: &'a [u8],
    /// Per block of [`CHAN_BASE_EVERY`] active ties, its first channel record.
    pub chan_bases: &'a [u32],
    /// Channel records.
    pub channels: &'a [ChannelStats],
}

impl Interactions {
    /// The raw arrays, as [`Interactions::try_from_parts`] takes them.
    pub fn slices(&self) -> InteractionSlices<'_> {
        InteractionSlices {
            node_offsets: &self.node_offsets,
            alters: &self.alters,
            tie_days: &self.tie_days,
            tie_weeks: &self.tie_weeks,
            masks: &self.masks,
            chan_bases: &self.chan_bases,
            channels: &self.channels,
        }
    }

    /// Builds from raw parts, checking the invariants that do not need the friendship CSR.
    /// Every check is a sequential pass (no search), so a snapshot opens at memory speed.
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
            tie_days,
            tie_weeks,
            masks,
            chan_bases,
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
        let ties = alters.len();
        if tie_days.len() != ties
            || tie_weeks.len() != ties
            || masks.len() != ties
            || chan_bases.len() != ties.div_ceil(CHAN_BASE_EVERY)
        {
            return bad("interaction tie arrays malformed".into());
        }
        let chunk = num_nodes.div_ceil(64).max(1024);
        let unsorted = (0..num_nodes.div_ceil(chunk))
            .into_par_iter()
            .map(|k| {
                (k * chunk..((k + 1) * chunk).min(num_nodes)).find(|&u| {
                    alters[node_offsets[u] as usize..node_offsets[u + 1] as usize]
                        .windows(2)
                        .any(|w| w[0] >= w[1])
                })
            })
            .find_first(Option::is_some)
            .flatten();
        if let Some(u) = unsorted {
            return bad(format!("active alters of node {u} not strictly increasing"));
        }
        // Channel bases and masks, then each tie's records against its mask: chunks of ties
        // in parallel, each from its stored base; then, in order, each chunk must start where
        // the previous one ended (the same first error as one sequential pass).
        let per = CHAN_BASE_EVERY * 4096;
        let checked: Vec<(usize, Result<usize, String>)> = (0..ties.div_ceil(per))
            .into_par_iter()
            .map(|k| {
                let (t0, t1) = (k * per, ((k + 1) * per).min(ties));
                let start = chan_bases[t0 / CHAN_BASE_EVERY] as usize;
                (
                    start,
                    check_ties(&masks[t0..t1], t0, start, &chan_bases, &channels),
                )
            })
            .collect();
        let mut at = 0usize;
        for (k, (start, end)) in checked.into_iter().enumerate() {
            if start != at {
                return bad(format!("channel base of active tie {} disagrees", k * per));
            }
            at = end.map_err(GraphError::Inconsistent)?;
        }
        if at != channels.len() {
            return bad("more channel records than the masks promise".into());
        }
        Ok(Self {
            window,
            half_life_ms,
            node_offsets,
            alters,
            tie_days,
            tie_weeks,
            masks,
            chan_bases,
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
        let mut next = if range.is_empty() {
            0
        } else {
            self.chan_start(range.start)
        };
        range.map(move |t| {
            let start = next;
            next += self.masks[t].count_ones() as usize;
            self.activity_at(t, start)
        })
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
            .map(|i| self.activity_at(start + i, self.chan_start(start + i)))
    }

    /// Index of the first channel record of active tie `t`.
    #[inline]
    fn chan_start(&self, t: usize) -> usize {
        let block = t / CHAN_BASE_EVERY;
        self.chan_bases[block] as usize
            + self.masks[block * CHAN_BASE_EVERY..t]
                .iter()
                .map(|m| m.count_ones() as usize)
                .sum::<usize>()
    }

    fn activity_at(&self, t: usize, chan_start: usize) -> TieActivity<'_> {
        let mask = self.masks[t];
        let channels = &self.channels[chan_start..chan_start + mask.count_ones() as usize];
        TieActivity {
            alter: self.alters[t],
            summary: TieSummary {
                count: channels.iter().fold(0u32, |s, c| s.saturating_add(c.count)),
                active_days: self.tie_days[t],
                active_weeks: self.tie_weeks[t],
                channel_mask: mask,
            },
            channels,
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.node_offsets.capacity() * 8
            + self.alters.capacity() * 4
            + self.tie_days.capacity() * 2
            + self.tie_weeks.capacity() * 2
            + self.masks.capacity()
            + self.chan_bases.capacity() * 4
            + self.channels.capacity() * std::mem::size_of::<ChannelStats>()
    }

    /// Number of nodes (senders) the features cover.
    pub fn num_nodes(&self) -> usize {
        self.node_offsets.len().saturating_sub(1)
    }
}

/// Checks the ties `t0..t0 + masks.len()` whose channel records start at `at`: the stored
/// bases, the masks, and each tie's records against its mask. Returns where the next tie's
/// records start.
fn check_ties(
    masks: &[u8],
    t0: usize,
    mut at: usize,
    chan_bases: &[u32],
    channels: &[ChannelStats],
) -> Result<usize, String> {
    for (i, &mask) in masks.iter().enumerate() {
        let t = t0 + i;
        if t.is_multiple_of(CHAN_BASE_EVERY) && chan_bases[t / CHAN_BASE_EVERY] as usize != at {
            return Err(format!("channel base of active tie {t} disagrees"));
        }
        if mask == 0 || usize::from(mask) >= 1 << CHANNEL_COUNT {
            return Err(format!("channel mask of active tie {t} malformed"));
        }
        let end = at + mask.count_ones() as usize;
        let Some(recs) = channels.get(at..end) else {
            return Err("fewer channel records than the masks promise".into());
        };
        let mut rest = mask;
        for c in recs {
            if c.count == 0 || rest.trailing_zeros() != u32::from(c.channel) {
                return Err(format!("channel records of active tie {t} malformed"));
            }
            rest &= rest - 1;
        }
        at = end;
    }
    Ok(at)
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
        ..Default::default()
    };
    for (u, v, summary, mut recs) in ties {
        if u.index() >= num_nodes {
            return Err(GraphError::NodeOutOfRange {
                node: u64::from(u.0),
                nodes: num_nodes,
            });
        }
        recs.sort_by_key(|c| c.channel);
        parts.node_offsets[u.index() + 1] += 1;
        parts.push_tie(v, summary.active_days, summary.active_weeks, &recs)?;
    }
    for i in 0..num_nodes {
        parts.node_offsets[i + 1] += parts.node_offsets[i];
    }
    Interactions::try_from_parts(num_nodes, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(channel: u8, count: u32) -> ChannelStats {
        ChannelStats {
            count,
            channel,
            first_s: u32::from(channel),
            ..Default::default()
        }
    }

    proptest::proptest! {
        /// Across blocks of `CHAN_BASE_EVERY` ties (the channel starts between two stored
        /// bases are summed from masks), every tie reads back its own channel records and
        /// summary, by `tie` and by `out_ties`.
        #[test]
        fn every_tie_reads_back_its_records(
            raw in proptest::collection::btree_map(
                (0u32..6, 0u32..40),
                (1u8..64, 1u32..5, 0u16..9, 0u16..3),
                0..120,
            ),
        ) {
            let n = 40;
            let ties: Vec<(NodeId, NodeId, TieSummary, Vec<ChannelStats>)> = raw
                .iter()
                .map(|(&(u, v), &(mask, count, days, weeks))| {
                    let recs = (0..6u8)
                        .filter(|c| mask & (1 << c) != 0)
                        .map(|c| rec(c, count + u32::from(c)))
                        .collect();
                    let summary = TieSummary { active_days: days, active_weeks: weeks, ..Default::default() };
                    (NodeId(u), NodeId(v), summary, recs)
                })
                .collect();
            let inter = interactions_from_ties(n, TimeWindow::default(), 1, ties.clone()).unwrap();
            proptest::prop_assert_eq!(inter.num_active_ties(), ties.len());
            for (u, v, summary, recs) in &ties {
                let t = inter.tie(*u, *v).unwrap();
                proptest::prop_assert_eq!(t.channels, recs.as_slice());
                proptest::prop_assert_eq!(t.summary.active_days, summary.active_days);
                proptest::prop_assert_eq!(t.summary.active_weeks, summary.active_weeks);
                proptest::prop_assert_eq!(t.summary.count, recs.iter().map(|c| c.count).sum::<u32>());
                proptest::prop_assert_eq!(u32::from(t.summary.channel_mask).count_ones() as usize, recs.len());
            }
            for u in 0..n as u32 {
                for t in inter.out_ties(NodeId(u)) {
                    let direct = inter.tie(NodeId(u), t.alter).unwrap();
                    proptest::prop_assert_eq!(t.channels, direct.channels);
                    proptest::prop_assert_eq!(t.summary, direct.summary);
                }
            }
        }
    }

    #[test]
    fn malformed_parts_are_refused() {
        let ties = (0..20)
            .map(|v| {
                (
                    NodeId(0),
                    NodeId(v + 1),
                    TieSummary::default(),
                    vec![rec(1, 1), rec(3, 2)],
                )
            })
            .collect();
        let inter = interactions_from_ties(21, TimeWindow::default(), 1, ties).unwrap();
        let parts = |f: &dyn Fn(&mut InteractionParts)| {
            let s = inter.slices();
            let mut p = InteractionParts {
                window: TimeWindow::default(),
                half_life_ms: 1,
                node_offsets: s.node_offsets.to_vec(),
                alters: s.alters.to_vec(),
                tie_days: s.tie_days.to_vec(),
                tie_weeks: s.tie_weeks.to_vec(),
                masks: s.masks.to_vec(),
                chan_bases: s.chan_bases.to_vec(),
                channels: s.channels.to_vec(),
            };
            f(&mut p);
            Interactions::try_from_parts(21, p)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        assert!(parts(&|p| p.chan_bases[1] += 1).contains("channel base"));
        assert!(parts(&|p| p.masks[3] = 0b1000_0010).contains("mask"));
        assert!(parts(&|p| p.channels[5].channel = 2).contains("channel records"));
        assert!(parts(&|p| p.channels[5].count = 0).contains("channel records"));
        assert!(
            parts(&|p| {
                p.channels.pop();
            })
            .contains("fewer channel records")
        );
        assert!(parts(&|p| p.tie_days.push(0)).contains("tie arrays"));
    }
}

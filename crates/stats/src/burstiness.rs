//! Burstiness of inter-event times, streamed from the raw events.
//!
//! The [`tierank_graph::Graph`] keeps per-tie aggregates, not timestamps, so the events are
//! read again, in the one pass of [`crate::events::measure_events`] that also feeds
//! [`crate::dynamics`]. Timestamps are kept for a deterministic sample of directed ties
//! (those whose seeded hash of `(src, dst)` is divisible by the sample modulus), so memory
//! stays about `events / modulus` timestamps whatever the dataset size.

use std::collections::HashMap;

use serde::Serialize;

use crate::degree::quantile_sorted;
use crate::sample::hash_pair;

/// Burstiness of the sampled directed ties.
///
/// Per tie, over the gaps `τ` between its consecutive events (sorted by time), with mean `μ`
/// and population standard deviation `σ`: `B = (σ − μ) / (σ + μ)` (Goh & Barabási 2008).
/// `B = −1` for perfectly regular events, ≈ 0 for a Poisson process, → 1 for very bursty ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurstinessStats {
    /// A directed tie is sampled when `hash(src, dst) % sample_modulus == 0`.
    pub sample_modulus: u64,
    /// Events read (all rows of the event files, sampled or not).
    pub events_read: u64,
    /// Sampled directed ties with at least one event.
    pub ties_sampled: u64,
    /// Minimum events for a tie to be measured.
    pub min_events: u64,
    /// Sampled ties with more than the timestamp cap, left out (their timestamps were not
    /// all kept, so their gaps are unknown).
    pub ties_over_cap: u64,
    /// Ties measured: sampled, with at least `min_events` events and a defined `B`.
    pub ties_measured: u64,
    /// Mean `B` over measured ties.
    pub mean: Option<f64>,
    /// Median `B` over measured ties.
    pub median: Option<f64>,
    /// Share of measured ties with `B > 0` (burstier than Poisson).
    pub share_bursty: Option<f64>,
}

/// Options of the burstiness part of [`crate::events::measure_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstinessOptions {
    /// Sample one directed tie in this many (by hash); 1 keeps every tie.
    pub sample_modulus: u64,
    /// Seed of the tie hash.
    pub seed: u64,
    /// Minimum number of events for a tie to be measured.
    pub min_events: usize,
    /// Most timestamps kept per tie; ties with more are left out and counted.
    pub max_timestamps_per_tie: usize,
    /// Only events in this window (inclusive ms) are measured: the loader's window, so that
    /// an outlier timestamp it left out does not turn a tie bursty here either.
    pub window: Option<(i64, i64)>,
}

/// `B = (σ − μ) / (σ + μ)` of the gaps between the given event times (any order, any unit:
/// `B` is scale-free). `None` with fewer than two events or when `σ + μ = 0`.
pub fn burstiness(times: &mut [i64]) -> Option<f64> {
    if times.len() < 2 {
        return None;
    }
    times.sort_unstable();
    // In i128: two extreme timestamps (a pandas NaT is i64::MIN) overflow an i64 difference.
    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (i128::from(w[1]) - i128::from(w[0])) as f64)
        .collect();
    let n = gaps.len() as f64;
    let mean = gaps.iter().sum::<f64>() / n;
    let var = gaps.iter().map(|g| (g - mean) * (g - mean)).sum::<f64>() / n;
    let sd = var.sqrt();
    (sd + mean > 0.0).then(|| (sd - mean) / (sd + mean))
}

#[derive(Debug, Default)]
struct TieTimes {
    times: Vec<i64>,
    over_cap: bool,
}

type Sampled = HashMap<(i64, i64), TieTimes>;

/// Timestamps of the sampled directed ties, gathered while [`crate::events::measure_events`]
/// streams the event parts past; one per row group, merged in row-group order.
#[derive(Debug, Default)]
pub(crate) struct BurstSample {
    ties: Sampled,
    events_read: u64,
}

impl BurstSample {
    /// Counts rows read, sampled or not (`events_read`).
    pub(crate) fn count_rows(&mut self, rows: u64) {
        self.events_read += rows;
    }

    /// One event with non-null `src`, `dst` and `ts`.
    pub(crate) fn observe(&mut self, opts: &BurstinessOptions, s: i64, d: i64, t: i64) {
        if let Some((lo, hi)) = opts.window
            && !(lo..=hi).contains(&t)
        {
            return;
        }
        let modulus = opts.sample_modulus.max(1);
        if s == d || !hash_pair(opts.seed, s as u64, d as u64).is_multiple_of(modulus) {
            return;
        }
        let tie = self.ties.entry((s, d)).or_default();
        if tie.over_cap {
            return;
        }
        tie.times.push(t);
        if tie.times.len() > opts.max_timestamps_per_tie {
            tie.over_cap = true;
            tie.times = Vec::new();
        }
    }

    /// Adds a later row group's sample (the cap applies to the merged timestamps).
    pub(crate) fn merge(&mut self, other: BurstSample, opts: &BurstinessOptions) {
        self.events_read += other.events_read;
        for (key, part) in other.ties {
            let entry = self.ties.entry(key).or_default();
            entry.over_cap |= part.over_cap;
            entry.times.extend(part.times);
            if entry.times.len() > opts.max_timestamps_per_tie {
                entry.over_cap = true;
            }
            if entry.over_cap {
                entry.times = Vec::new();
            }
        }
    }

    /// Measures `B` per sampled tie, over sorted keys so the result does not depend on the
    /// order the row groups were read in.
    pub(crate) fn finish(mut self, opts: &BurstinessOptions) -> BurstinessStats {
        let mut keys: Vec<(i64, i64)> = self.ties.keys().copied().collect();
        keys.sort_unstable();
        let mut values = Vec::new();
        let mut over_cap = 0;
        for key in &keys {
            let tie = self.ties.get_mut(key).expect("key from map");
            if tie.over_cap {
                over_cap += 1;
            } else if tie.times.len() >= opts.min_events
                && let Some(b) = burstiness(&mut tie.times)
            {
                values.push(b);
            }
        }
        let measured = values.len();
        let mean = (measured > 0).then(|| values.iter().sum::<f64>() / measured as f64);
        let share_bursty = (measured > 0)
            .then(|| values.iter().filter(|&&b| b > 0.0).count() as f64 / measured as f64);
        values.sort_unstable_by(f64::total_cmp);
        BurstinessStats {
            sample_modulus: opts.sample_modulus.max(1),
            events_read: self.events_read,
            ties_sampled: keys.len() as u64,
            min_events: opts.min_events as u64,
            ties_over_cap: over_cap,
            ties_measured: measured as u64,
            mean,
            median: (measured > 0).then(|| quantile_sorted(&values, 0.5)),
            share_bursty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        // Panicked with "attempt to subtract with overflow" before the gaps were i128.
        let mut t = [i64::MIN, 0, i64::MAX];
        assert!(burstiness(&mut t).is_some());
    }

    #[test]
    fn regular_events_have_b_minus_one() {
        let mut t = [40, 0, 10, 30, 20];
        assert!((burstiness(&mut t).unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn burst_then_silence_by_hand() {
        // Gaps 1, 1, 1, 97: μ = 25, σ = sqrt((3·24² + 72²)/4) = sqrt(1728) ≈ 41.569.
        let mut t = [0, 1, 2, 3, 100];
        let sd = 1728f64.sqrt();
        let expected = (sd - 25.0) / (sd + 25.0);
        assert!((burstiness(&mut t).unwrap() - expected).abs() < 1e-12);
        assert!(expected > 0.0);
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(burstiness(&mut [5]), None);
        assert_eq!(burstiness(&mut [5, 5, 5]), None);
    }
}

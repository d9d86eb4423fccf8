//! Temporal dynamics of the events: conversations, person-level burstiness, day-to-day
//! variation, personal rhythms, social signatures and ties that form or fade.
//!
//! Fed by the one streamed pass of [`crate::events::measure_events`] (`src`, `dst`,
//! `channel`, `ts`), in parallel over row groups. Memory stays bounded by sampling: pairs and people are kept when a seeded hash
//! of their ids is divisible by the sample modulus; only the per-day counts and the per-person
//! rhythm counters (four integers per sender) cover every event. Every sum is taken over
//! sorted keys, so the result is identical at any thread count and file order.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::burstiness::burstiness;
use crate::report::{RealismCheck, Tolerance};
use crate::sample::hash_pair;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// How far the other side's messages are shifted for the by-chance baseline of replies.
const SHIFT_MS: i64 = 7 * DAY_MS;
/// A person's calls count for the signature with at least this many calls...
const SIGNATURE_MIN_CALLS: usize = 20;
/// ...to at least this many people.
const SIGNATURE_MIN_PEOPLE: usize = 5;
/// Minimum outgoing calls for a person's call burstiness (ten gaps).
const PERSON_BURST_MIN_CALLS: usize = 11;
/// Minimum events (both directions) for a pair to count in the form/fade shares.
const SPAN_MIN_EVENTS: u32 = 10;
/// Minimum events per half (even or odd days) for a person's rhythm.
const RHYTHM_MIN_EVENTS: u32 = 30;

/// The dynamics section of the report. `None` values could not be measured (too few
/// sampled pairs or people, or no message or call channel).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicsStats {
    /// Pairs and people are sampled when `hash % sample_modulus == 0`.
    pub sample_modulus: u64,
    /// Share of messages (sampled pairs) answered by the other side within an hour.
    pub reply_within_hour: Option<f64>,
    /// The same with the other side's messages shifted by seven days: replies by chance.
    pub reply_within_hour_by_chance: Option<f64>,
    /// Sampled messaging pairs.
    pub message_pairs: u64,
    /// Share of sampled messaging pairs where only one side ever writes.
    pub one_way_message_pairs: Option<f64>,
    /// Mean burstiness `B` of a sampled person's outgoing calls (people with ≥ 11 calls).
    pub person_call_burstiness: Option<f64>,
    /// People measured for it.
    pub people_call_burstiness: u64,
    /// Coefficient of variation of the number of events per day (days of the window).
    pub daily_volume_cv: Option<f64>,
    /// The busiest day's volume over the median day's.
    pub peak_day_over_median: Option<f64>,
    /// Correlation across people of their share of late events (20:00–05:59) on even
    /// days with the share on odd days: 0 when everyone follows one daily curve.
    pub rhythm_split_half_correlation: Option<f64>,
    /// People measured for it (≥ 30 events on each half).
    pub people_rhythm: u64,
    /// Mean share of a sampled person's calls that go to their most-called person.
    pub call_signature_top1: Option<f64>,
    /// Mean share going to their five most-called people.
    pub call_signature_top5: Option<f64>,
    /// People measured for the signature (≥ 20 calls to ≥ 5 people).
    pub people_signature: u64,
    /// Share of sampled pairs with ≥ 10 events whose first event falls after the window's
    /// first third (ties that form).
    pub pairs_forming: Option<f64>,
    /// Share whose last event falls before the window's last third (ties that fade).
    pub pairs_fading: Option<f64>,
    /// Sampled pairs with ≥ 10 events.
    pub pairs_span_measured: u64,
}

/// Options of the dynamics part of [`crate::events::measure_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamicsOptions {
    /// Keep one pair and one person in this many (by hash); 1 keeps all.
    pub sample_modulus: u64,
    /// Seed of the hash.
    pub seed: u64,
    /// The event window (inclusive ms); events outside are left out. Without it, the
    /// range of the timestamps read.
    pub window: Option<(i64, i64)>,
}

/// Channel codes this module distinguishes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `message`.
    Message,
    /// `call`.
    Call,
    /// Any other direct channel.
    OtherDirect,
    /// `group_message`, or any event with a `group_id`.
    Group,
}

impl Kind {
    /// The kind of a channel name.
    pub(crate) fn of_channel(name: &str) -> Kind {
        match name {
            "message" => Kind::Message,
            "call" => Kind::Call,
            "group_message" => Kind::Group,
            _ => Kind::OtherDirect,
        }
    }
}

/// What one row group contributes; merged in row-group order.
#[derive(Default)]
pub(crate) struct Partial {
    days: BTreeMap<i64, u64>,
    /// Per sender: events on [even day, odd day] × [daytime, late].
    rhythm: HashMap<i64, [u32; 4]>,
    /// Sampled pairs (lo, hi): message times, `true` when sent by `lo`.
    messages: HashMap<(i64, i64), Vec<(i64, bool)>>,
    /// Sampled pairs: direct events, first and last time.
    spans: HashMap<(i64, i64), (u32, i64, i64)>,
    /// Sampled callers: (time, callee).
    calls: HashMap<i64, Vec<(i64, i64)>>,
}

impl Partial {
    pub(crate) fn merge(&mut self, other: Partial) {
        for (d, n) in other.days {
            *self.days.entry(d).or_default() += n;
        }
        for (k, v) in other.rhythm {
            let e = self.rhythm.entry(k).or_default();
            for (a, b) in e.iter_mut().zip(v) {
                *a += b;
            }
        }
        for (k, mut v) in other.messages {
            self.messages.entry(k).or_default().append(&mut v);
        }
        for (k, (n, lo, hi)) in other.spans {
            let e = self.spans.entry(k).or_insert((0, i64::MAX, i64::MIN));
            e.0 += n;
            e.1 = e.1.min(lo);
            e.2 = e.2.max(hi);
        }
        for (k, mut v) in other.calls {
            self.calls.entry(k).or_default().append(&mut v);
        }
    }
}

impl Partial {
    /// One event with non-null `src`, `dst`, `ts` and channel, of the given kind.
    pub(crate) fn observe(&mut self, opts: &DynamicsOptions, s: i64, d: i64, t: i64, kind: Kind) {
        if let Some((lo, hi)) = opts.window
            && !(lo..=hi).contains(&t)
        {
            return;
        }
        let modulus = opts.sample_modulus.max(1);
        let day = t.div_euclid(DAY_MS);
        *self.days.entry(day).or_default() += 1;
        let hour = t.rem_euclid(DAY_MS) / HOUR_MS;
        let late = !(6..20).contains(&hour);
        let slot = 2 * usize::from(day.rem_euclid(2) == 1) + usize::from(late);
        self.rhythm.entry(s).or_default()[slot] += 1;
        if kind == Kind::Group || s == d {
            return;
        }
        let (lo, hi) = if s < d { (s, d) } else { (d, s) };
        if hash_pair(opts.seed, lo as u64, hi as u64).is_multiple_of(modulus) {
            let span = self
                .spans
                .entry((lo, hi))
                .or_insert((0, i64::MAX, i64::MIN));
            span.0 += 1;
            span.1 = span.1.min(t);
            span.2 = span.2.max(t);
            if kind == Kind::Message {
                self.messages
                    .entry((lo, hi))
                    .or_default()
                    .push((t, s == lo));
            }
        }
        if kind == Kind::Call && hash_pair(opts.seed ^ 0xCA11, s as u64, 0).is_multiple_of(modulus)
        {
            self.calls.entry(s).or_default().push((t, d));
        }
    }

    /// The dynamics of everything observed (merged in row-group order).
    pub(crate) fn finish(self, opts: &DynamicsOptions) -> DynamicsStats {
        summarise(self, opts.sample_modulus.max(1), opts.window)
    }
}

fn summarise(mut all: Partial, modulus: u64, window: Option<(i64, i64)>) -> DynamicsStats {
    // Replies: for each message, the other side's next message within an hour.
    let mut pair_keys: Vec<(i64, i64)> = all.messages.keys().copied().collect();
    pair_keys.sort_unstable();
    let (mut answered, mut by_chance, mut total, mut one_way) = (0u64, 0u64, 0u64, 0u64);
    for key in &pair_keys {
        let msgs = all.messages.get_mut(key).expect("key from map");
        msgs.sort_unstable();
        let forward: Vec<i64> = msgs.iter().filter(|m| m.1).map(|m| m.0).collect();
        let backward: Vec<i64> = msgs.iter().filter(|m| !m.1).map(|m| m.0).collect();
        if forward.is_empty() || backward.is_empty() {
            one_way += 1;
        }
        for (mine, theirs) in [(&forward, &backward), (&backward, &forward)] {
            for &t in mine {
                total += 1;
                if next_within(theirs, t, 0) {
                    answered += 1;
                }
                if next_within(theirs, t, SHIFT_MS) {
                    by_chance += 1;
                }
            }
        }
    }
    let share = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);

    // Person-level burstiness of calls and call signatures.
    let mut callers: Vec<i64> = all.calls.keys().copied().collect();
    callers.sort_unstable();
    let (mut b_sum, mut b_n) = (0.0, 0u64);
    let (mut top1, mut top5, mut sig_n) = (0.0, 0.0, 0u64);
    for caller in &callers {
        let calls = all.calls.get_mut(caller).expect("key from map");
        calls.sort_unstable();
        if calls.len() >= PERSON_BURST_MIN_CALLS {
            let mut times: Vec<i64> = calls.iter().map(|c| c.0).collect();
            if let Some(b) = burstiness(&mut times) {
                b_sum += b;
                b_n += 1;
            }
        }
        let mut per_callee: BTreeMap<i64, u64> = BTreeMap::new();
        for c in calls.iter() {
            *per_callee.entry(c.1).or_default() += 1;
        }
        if calls.len() >= SIGNATURE_MIN_CALLS && per_callee.len() >= SIGNATURE_MIN_PEOPLE {
            let mut counts: Vec<u64> = per_callee.into_values().collect();
            counts.sort_unstable_by(|a, b| b.cmp(a));
            let n = calls.len() as f64;
            top1 += counts[0] as f64 / n;
            top5 += counts.iter().take(5).sum::<u64>() as f64 / n;
            sig_n += 1;
        }
    }

    // Day-to-day variation over the window's days (empty days count as zero).
    let (first_day, last_day) = match window {
        Some((lo, hi)) => (lo.div_euclid(DAY_MS), hi.div_euclid(DAY_MS)),
        None => (
            all.days.keys().next().copied().unwrap_or(0),
            all.days.keys().last().copied().unwrap_or(-1),
        ),
    };
    let daily: Vec<f64> = (first_day..=last_day)
        .map(|d| all.days.get(&d).copied().unwrap_or(0) as f64)
        .collect();
    let (daily_volume_cv, peak_day_over_median) = if daily.len() >= 7 {
        let n = daily.len() as f64;
        let mean = daily.iter().sum::<f64>() / n;
        let var = daily.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let mut sorted = daily.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let median = crate::degree::quantile_sorted(&sorted, 0.5);
        let peak = sorted[sorted.len() - 1];
        (
            (mean > 0.0).then(|| var.sqrt() / mean),
            (median > 0.0).then(|| peak / median),
        )
    } else {
        (None, None)
    };

    // Personal rhythms: late share on even days against odd days, across people.
    let mut senders: Vec<i64> = all.rhythm.keys().copied().collect();
    senders.sort_unstable();
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    for s in &senders {
        let [even_day, even_late, odd_day, odd_late] = all.rhythm[s];
        let (even, odd) = (even_day + even_late, odd_day + odd_late);
        if even >= RHYTHM_MIN_EVENTS && odd >= RHYTHM_MIN_EVENTS {
            pairs.push((
                f64::from(even_late) / f64::from(even),
                f64::from(odd_late) / f64::from(odd),
            ));
        }
    }
    let rhythm = pearson(&pairs);

    // Ties that form and fade.
    let (lo, hi) = window.unwrap_or_else(|| {
        let lo = all.spans.values().map(|s| s.1).min().unwrap_or(0);
        let hi = all.spans.values().map(|s| s.2).max().unwrap_or(0);
        (lo, hi)
    });
    let third = (hi - lo) / 3;
    let mut span_keys: Vec<(i64, i64)> = all.spans.keys().copied().collect();
    span_keys.sort_unstable();
    let (mut measured, mut forming, mut fading) = (0u64, 0u64, 0u64);
    for k in &span_keys {
        let (n, first, last) = all.spans[k];
        if n >= SPAN_MIN_EVENTS {
            measured += 1;
            forming += u64::from(first >= lo + third);
            fading += u64::from(last < hi - third);
        }
    }

    DynamicsStats {
        sample_modulus: modulus,
        reply_within_hour: share(answered, total),
        reply_within_hour_by_chance: share(by_chance, total),
        message_pairs: pair_keys.len() as u64,
        one_way_message_pairs: share(one_way, pair_keys.len() as u64),
        person_call_burstiness: (b_n > 0).then(|| b_sum / b_n as f64),
        people_call_burstiness: b_n,
        daily_volume_cv,
        peak_day_over_median,
        rhythm_split_half_correlation: rhythm,
        people_rhythm: pairs.len() as u64,
        call_signature_top1: (sig_n > 0).then(|| top1 / sig_n as f64),
        call_signature_top5: (sig_n > 0).then(|| top5 / sig_n as f64),
        people_signature: sig_n,
        pairs_forming: share(forming, measured),
        pairs_fading: share(fading, measured),
        pairs_span_measured: measured,
    }
}

/// Source of the conversation checks: Kovanen et al. 2011 (temporal motifs: messages come
/// in sessions) and Karsai et al. 2012 (bursty, correlated human communication).
pub const SOURCE_CONVERSATIONS: &str = "Kovanen et al. 2011; Karsai et al. 2012";
/// Source of the person-level burstiness check: Karsai et al. 2012, Sci. Rep. 2:397; Jo et
/// al. 2012, New J. Phys. 14:013055 (heavy tails remain after removing daily cycles).
pub const SOURCE_PERSON_BURST: &str = "Karsai et al. 2012; Jo et al. 2012";
/// Source of the daily-volume and rhythm checks: Aledavood et al. 2015, EPJ Data Science
/// (daily rhythms differ between people and persist; volume varies, peaks on holidays).
pub const SOURCE_RHYTHMS: &str = "Aledavood et al. 2015";
/// Source of the signature and turnover checks: Saramäki et al. 2014, PNAS 111:942.
pub const SOURCE_SIGNATURE: &str = "Saramäki et al. 2014";

/// Targets of the dynamics checks (`docs/realism.md`, "Dynamics").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicsTargets {
    /// Replies within an hour at least this many times more often than by chance: 5.
    pub reply_over_chance_min: f64,
    /// Share of messages answered within an hour at least: 0.2.
    pub reply_within_hour_min: f64,
    /// Passing range of the share of one-way messaging pairs: [0.05, 0.6].
    pub one_way_range: (f64, f64),
    /// Person-level call burstiness above: 0.1.
    pub person_call_burstiness_above: f64,
    /// Passing range of the coefficient of variation of daily volume: [0.05, 0.5].
    pub daily_volume_cv_range: (f64, f64),
    /// The busiest day at least this many times the median day: 1.25.
    pub peak_day_over_median_min: f64,
    /// Split-half correlation of personal late shares at least: 0.3.
    pub rhythm_correlation_min: f64,
    /// Passing range of the top contact's share of calls: [0.15, 0.32] (≈ 0.20–0.25).
    pub signature_top1_range: (f64, f64),
    /// Passing range of the top five's share: [0.45, 0.72] (≈ 0.50–0.60).
    pub signature_top5_range: (f64, f64),
    /// Shares of active pairs that form, and that fade, inside the window at least: 0.02.
    pub turnover_min: f64,
}

impl Default for DynamicsTargets {
    fn default() -> Self {
        Self {
            reply_over_chance_min: 5.0,
            reply_within_hour_min: 0.2,
            one_way_range: (0.05, 0.6),
            person_call_burstiness_above: 0.1,
            daily_volume_cv_range: (0.05, 0.5),
            peak_day_over_median_min: 1.25,
            rhythm_correlation_min: 0.3,
            signature_top1_range: (0.15, 0.32),
            signature_top5_range: (0.45, 0.72),
            turnover_min: 0.02,
        }
    }
}

impl DynamicsStats {
    /// The dynamics checks against `t`.
    pub fn checks(&self, t: &DynamicsTargets) -> Vec<RealismCheck> {
        let mut out = Vec::new();
        let mut push = |name: &str,
                        value: Option<f64>,
                        reference: Option<f64>,
                        tolerance: Tolerance,
                        source: &str| {
            let pass = value.is_some_and(|v| v.is_finite() && tolerance.accepts(v));
            out.push(RealismCheck {
                name: format!("dynamics.{name}"),
                value,
                reference,
                tolerance,
                pass,
                source: source.to_owned(),
            });
        };
        let over_chance = match (self.reply_within_hour, self.reply_within_hour_by_chance) {
            (Some(r), Some(c)) if c > 0.0 => Some(r / c),
            (Some(r), Some(_)) if r > 0.0 => Some(f64::INFINITY),
            _ => None,
        };
        push(
            "reply_within_hour_over_chance",
            over_chance.map(|v| v.min(1e9)),
            None,
            Tolerance::AtLeast {
                bound: t.reply_over_chance_min,
            },
            SOURCE_CONVERSATIONS,
        );
        push(
            "reply_within_hour",
            self.reply_within_hour,
            None,
            Tolerance::AtLeast {
                bound: t.reply_within_hour_min,
            },
            SOURCE_CONVERSATIONS,
        );
        let (low, high) = t.one_way_range;
        push(
            "one_way_message_pairs",
            self.one_way_message_pairs,
            None,
            Tolerance::Range { low, high },
            SOURCE_CONVERSATIONS,
        );
        push(
            "person_call_burstiness",
            self.person_call_burstiness,
            None,
            Tolerance::Above {
                bound: t.person_call_burstiness_above,
            },
            SOURCE_PERSON_BURST,
        );
        let (low, high) = t.daily_volume_cv_range;
        push(
            "daily_volume_cv",
            self.daily_volume_cv,
            None,
            Tolerance::Range { low, high },
            SOURCE_RHYTHMS,
        );
        push(
            "peak_day_over_median",
            self.peak_day_over_median,
            None,
            Tolerance::AtLeast {
                bound: t.peak_day_over_median_min,
            },
            SOURCE_RHYTHMS,
        );
        push(
            "rhythm_split_half_correlation",
            self.rhythm_split_half_correlation,
            None,
            Tolerance::AtLeast {
                bound: t.rhythm_correlation_min,
            },
            SOURCE_RHYTHMS,
        );
        let (low, high) = t.signature_top1_range;
        push(
            "call_signature_top1",
            self.call_signature_top1,
            Some(0.225),
            Tolerance::Range { low, high },
            SOURCE_SIGNATURE,
        );
        let (low, high) = t.signature_top5_range;
        push(
            "call_signature_top5",
            self.call_signature_top5,
            Some(0.55),
            Tolerance::Range { low, high },
            SOURCE_SIGNATURE,
        );
        push(
            "pairs_forming",
            self.pairs_forming,
            None,
            Tolerance::AtLeast {
                bound: t.turnover_min,
            },
            SOURCE_SIGNATURE,
        );
        push(
            "pairs_fading",
            self.pairs_fading,
            None,
            Tolerance::AtLeast {
                bound: t.turnover_min,
            },
            SOURCE_SIGNATURE,
        );
        out
    }
}

impl std::fmt::Display for DynamicsStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"));
        writeln!(
            f,
            "dynamics (pairs and people with hash % {} == 0)",
            self.sample_modulus
        )?;
        writeln!(
            f,
            "  messages answered within 1 h {}  (by chance {})  one-way pairs {} of {}",
            o(self.reply_within_hour),
            o(self.reply_within_hour_by_chance),
            o(self.one_way_message_pairs),
            self.message_pairs
        )?;
        writeln!(
            f,
            "  person-level call burstiness B {} over {} people",
            o(self.person_call_burstiness),
            self.people_call_burstiness
        )?;
        writeln!(
            f,
            "  daily volume cv {}  peak day / median day {}",
            o(self.daily_volume_cv),
            o(self.peak_day_over_median)
        )?;
        writeln!(
            f,
            "  personal rhythm split-half correlation {} over {} people",
            o(self.rhythm_split_half_correlation),
            self.people_rhythm
        )?;
        writeln!(
            f,
            "  call signature: top 1 {}  top 5 {} over {} people",
            o(self.call_signature_top1),
            o(self.call_signature_top5),
            self.people_signature
        )?;
        writeln!(
            f,
            "  pairs forming {}  fading {} over {} pairs",
            o(self.pairs_forming),
            o(self.pairs_fading),
            self.pairs_span_measured
        )
    }
}

/// Whether `sorted` has a time in `[t + shift, t + shift + 1 h]`: an answer after the
/// message (or after its shifted copy).
fn next_within(sorted: &[i64], t: i64, shift: i64) -> bool {
    let from = t.saturating_add(shift);
    let i = sorted.partition_point(|&x| x < from);
    sorted
        .get(i)
        .is_some_and(|&x| x.saturating_sub(from) <= HOUR_MS)
}

/// Pearson correlation; `None` with fewer than three points or no variance.
pub(crate) fn pearson(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in points {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_of(p: Partial, window: Option<(i64, i64)>) -> DynamicsStats {
        summarise(p, 1, window)
    }

    #[test]
    fn replies_by_hand() {
        // a writes at 0 and 10 h; b answers at 10 min (within the hour) and at 12 h (not).
        let mut p = Partial::default();
        p.messages.insert(
            (1, 2),
            vec![
                (0, true),
                (10 * HOUR_MS, true),
                (HOUR_MS / 6, false),
                (12 * HOUR_MS, false),
            ],
        );
        let s = stats_of(p, None);
        // a's first message answered; a's second not (b's next is 2 h later); b's first is
        // answered by a's second? no: 10 h later. b's second: no later message from a.
        assert_eq!(s.reply_within_hour, Some(0.25));
        assert_eq!(s.reply_within_hour_by_chance, Some(0.0));
        assert_eq!(s.one_way_message_pairs, Some(0.0));
    }

    #[test]
    fn signature_and_person_burstiness_by_hand() {
        // 20 calls: 8 to person 10, 4 to 11, 3 to 12, 3 to 13, 1 to 14, 1 to 15.
        let mut calls = Vec::new();
        let callees = [10, 11, 12, 13, 14, 15];
        let counts = [8, 4, 3, 3, 1, 1];
        let mut t = 0;
        for (c, n) in callees.iter().zip(counts) {
            for _ in 0..n {
                calls.push((t, *c));
                t += 1000;
            }
        }
        let mut p = Partial::default();
        p.calls.insert(1, calls);
        let s = stats_of(p, None);
        assert_eq!(s.people_signature, 1);
        assert!((s.call_signature_top1.unwrap() - 0.4).abs() < 1e-12);
        assert!((s.call_signature_top5.unwrap() - 19.0 / 20.0).abs() < 1e-12);
        // Regular calls: B = -1.
        assert!((s.person_call_burstiness.unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn daily_variation_counts_empty_days() {
        let mut p = Partial::default();
        for d in 0..7 {
            p.days.insert(d, if d == 3 { 300 } else { 100 });
        }
        let s = stats_of(p, Some((0, 8 * DAY_MS - 1)));
        // Days 0..=7: seven with events and day 7 empty; median of
        // [0, 100 × 6, 300] is 100 and the peak 300.
        assert_eq!(s.peak_day_over_median, Some(3.0));
        assert!(s.daily_volume_cv.unwrap() > 0.5);
    }

    #[test]
    fn pearson_by_hand() {
        assert!((pearson(&[(0.0, 0.0), (1.0, 2.0), (2.0, 4.0)]).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }
}

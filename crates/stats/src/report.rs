//! The realism report, its terminal table, and the realism checks.

use std::fmt;

use serde::Serialize;

use crate::activity::{ChannelMix, LOPSIDED_THRESHOLD, ReciprocityStats};
use crate::bridging::{PartnerRankStats, PercolationStats};
use crate::burstiness::BurstinessStats;
use crate::degree::DegreeStats;
use crate::dynamics::{DynamicsStats, DynamicsTargets};
use crate::layers::LayerStats;
use crate::structure::{ClusteringStats, OverlapStats, WeightSource};

/// Sizes of the dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counts {
    /// People in the graph.
    pub people: u64,
    /// Undirected friendships.
    pub ties: u64,
    /// Event rows in `events/`, when the dataset has events.
    pub events: Option<u64>,
    /// Groups in `groups.parquet`, when present.
    pub groups: Option<u64>,
    /// Events between people who are not friends, ignored by the engine, when the dataset
    /// has events.
    pub events_between_non_friends: Option<u64>,
    /// Of those, `group_message` replies (a group chat joins people who are not friends).
    pub group_replies_between_non_friends: Option<u64>,
}

/// The realism report of one dataset. Sections that need data the dataset lacks are `None`
/// (serialised as `null`): layers need `truth_closeness.parquet`; reciprocity, channel mix
/// and burstiness need events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Sizes.
    pub counts: Counts,
    /// Friend-count distribution.
    pub degree: DegreeStats,
    /// Local clustering, overall and by degree.
    pub clustering: ClusteringStats,
    /// Degree assortativity; `None` when undefined (no edges, or all edges join equal degrees).
    pub assortativity: Option<f64>,
    /// Dunbar layer sizes from the ground truth.
    pub layers: Option<LayerStats>,
    /// Reciprocity of the interactions.
    pub reciprocity: Option<ReciprocityStats>,
    /// Share of events per channel.
    pub channels: Option<ChannelMix>,
    /// Neighbourhood overlap by tie-weight decile; `None` without events or weights.
    pub overlap: Option<OverlapStats>,
    /// Giant component when ties are removed weakest-first or strongest-first; `None`
    /// without events or weights.
    pub percolation: Option<PercolationStats>,
    /// How often structural scores rank the partner first; `None` without a truth file or
    /// without egos with one partner.
    pub partners: Option<PartnerRankStats>,
    /// Burstiness of inter-event times.
    pub burstiness: Option<BurstinessStats>,
    /// The event window the dataset was loaded with; `None` without events.
    pub event_window: Option<EventWindow>,
    /// Conversations, rhythms, signatures and turnover, streamed from the raw events;
    /// `None` without event files.
    pub dynamics: Option<DynamicsStats>,
}

/// The event window of a load, as recorded in the report (see `docs/data-model.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventWindow {
    /// First instant counted, RFC 3339.
    pub start: String,
    /// End (exclusive), RFC 3339: `--window-start START --window-end END` reproduces it.
    pub end: String,
    /// `start` in ms since the epoch.
    pub start_ms: i64,
    /// `end` in ms since the epoch.
    pub end_ms: i64,
    /// `given`, `manifest` or `estimated`.
    pub source: String,
    /// Events left out because they lie outside the window.
    pub events_outside: u64,
}

/// What `tierank stats --json` writes: the report's sections, then its realism checks.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReportJson<'a> {
    /// The report, its sections inlined at the top level.
    #[serde(flatten)]
    pub report: &'a Report,
    /// The checks, as [`Report::check_realism`] returned them.
    pub realism_checks: &'a [RealismCheck],
}

/// What value passes a realism check. Each variant carries every number it needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Tolerance {
    /// `|value − center| ≤ plus_minus`.
    Absolute {
        /// The expected value.
        center: f64,
        /// Allowed distance from it.
        plus_minus: f64,
    },
    /// `low ≤ value ≤ high`.
    Range {
        /// Lowest passing value.
        low: f64,
        /// Highest passing value.
        high: f64,
    },
    /// `center / factor ≤ value ≤ center · factor`.
    Factor {
        /// The expected value.
        center: f64,
        /// Allowed multiplicative distance.
        factor: f64,
    },
    /// `value > bound`.
    Above {
        /// Exclusive lower bound.
        bound: f64,
    },
    /// `value ≥ bound`.
    AtLeast {
        /// Inclusive lower bound.
        bound: f64,
    },
    /// `value ≤ bound`.
    AtMost {
        /// Inclusive upper bound.
        bound: f64,
    },
}

impl Tolerance {
    /// Whether `value` passes. NaN never passes.
    pub fn accepts(&self, value: f64) -> bool {
        match *self {
            Tolerance::Absolute { center, plus_minus } => (value - center).abs() <= plus_minus,
            Tolerance::Range { low, high } => (low..=high).contains(&value),
            Tolerance::Factor { center, factor } => {
                value >= center / factor && value <= center * factor
            }
            Tolerance::Above { bound } => value > bound,
            Tolerance::AtLeast { bound } => value >= bound,
            Tolerance::AtMost { bound } => value <= bound,
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Tolerance::Absolute { center, plus_minus } => write!(f, "{center} ± {plus_minus}"),
            Tolerance::Range { low, high } => write!(f, "in [{low}, {high}]"),
            Tolerance::Factor { center, factor } => write!(f, "{center} within ×{factor}"),
            Tolerance::Above { bound } => write!(f, "> {bound}"),
            Tolerance::AtLeast { bound } => write!(f, "≥ {bound}"),
            Tolerance::AtMost { bound } => write!(f, "≤ {bound}"),
        }
    }
}

/// The result of one realism check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealismCheck {
    /// Short identifier, e.g. `degree.median`.
    pub name: String,
    /// Measured value; `None` when the dataset does not allow measuring it (the check fails).
    pub value: Option<f64>,
    /// The published figure the check is built around, where the source gives one
    /// (e.g. 0.23 for assortativity, whose check only asks for a positive value). Called
    /// `reference`, not `target`: `target` is a person id in every tierank output.
    pub reference: Option<f64>,
    /// What passes.
    pub tolerance: Tolerance,
    /// Whether the value passes.
    pub pass: bool,
    /// Where the reference comes from.
    pub source: String,
}

impl RealismCheck {
    /// What passes, in words, with the published figure when it differs from the rule:
    /// `"99 ± 30"`, `"in [0.07, 0.3] (published 0.14)"`, ...
    pub fn criterion(&self) -> String {
        let rule = self.tolerance.to_string();
        let shown = match self.tolerance {
            Tolerance::Absolute { center, .. } | Tolerance::Factor { center, .. } => center,
            Tolerance::Above { bound }
            | Tolerance::AtLeast { bound }
            | Tolerance::AtMost { bound } => bound,
            Tolerance::Range { .. } => f64::NAN,
        };
        match self.reference {
            Some(t) if t != shown => format!("{rule} (published {t})"),
            _ => rule,
        }
    }
}

impl fmt::Display for RealismCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self
            .value
            .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"));
        write!(
            f,
            "{}  {:<32}{:>12}   want {:<34} {}",
            if self.pass { "PASS" } else { "FAIL" },
            self.name,
            value,
            self.criterion(),
            self.source
        )
    }
}

/// Source of the degree, clustering and assortativity targets: Ugander, Karrer, Backstrom,
/// Marlow 2011, "The anatomy of the Facebook social graph" (arXiv:1111.4503).
pub const SOURCE_UGANDER: &str = "Ugander et al. 2011";
/// Source of the layer targets: Dunbar, Arnaboldi, Conti, Passarella 2015, "The structure of
/// online social networks mirrors those in the offline world", Social Networks 43:39–47.
pub const SOURCE_DUNBAR: &str = "Dunbar et al. 2015";
/// Source of the overlap targets: Onnela et al. 2007, "Structure and tie strengths in mobile
/// communication networks", PNAS 104:7332.
pub const SOURCE_ONNELA: &str = "Onnela et al. 2007";
/// Source of the partner-rank targets: Backstrom & Kleinberg 2014, "Romantic partnerships
/// and the dispersion of social ties: a network analysis of relationship status on
/// Facebook", CSCW 2014.
pub const SOURCE_BACKSTROM: &str = "Backstrom & Kleinberg 2014";
/// Source of the reciprocity target: Kovanen, Saramäki, Kaski 2010 (lopsided ties are common
/// in mobile-phone data).
pub const SOURCE_KOVANEN: &str = "Kovanen et al. 2010";
/// Source of the burstiness target: Goh & Barabási 2008, "Burstiness and memory in complex
/// systems", EPL 81:48002.
pub const SOURCE_GOH: &str = "Goh & Barabási 2008";
/// Source of the channel-mix target: a tierank design rule (a multi-channel dataset must not
/// be one channel in disguise; Kertész et al. 2016 show one channel alone distorts a network).
pub const SOURCE_CHANNELS: &str = "tierank design (Kertész et al. 2016)";

/// The published figures the realism checks compare against, with their tolerances.
///
/// One definition, used by `tierank stats --check` and by the realism tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealismTargets {
    /// Median friend count: 99 (Ugander et al. 2011).
    pub median_degree: f64,
    /// Allowed distance from the median degree: ± 30.
    pub median_degree_tolerance: f64,
    /// Mean local clustering of nodes with degree 50–199: ≈ 0.14 at degree 100 (Ugander 2011).
    pub clustering_50_199: f64,
    /// Passing range for it: [0.07, 0.30].
    pub clustering_50_199_range: (f64, f64),
    /// Degree assortativity must exceed this: 0 (Facebook: ≈ 0.23, Ugander 2011).
    pub assortativity_above: f64,
    /// The Facebook value, reported as the check's target.
    pub assortativity_published: f64,
    /// Largest allowed degree: 5,000 (the Facebook friend cap, Ugander 2011).
    pub max_degree: f64,
    /// Cumulative Dunbar layer sizes ≤1..≤5: 1.5, 5, 15, 50, 150 (Dunbar et al. 2015).
    pub layer_sizes: [f64; 5],
    /// Allowed multiplicative distance of each mean layer size: 1.6.
    pub layer_factor: f64,
    /// Minimum Spearman correlation of decile index vs mean overlap: 0.7 (Onnela 2007: overlap
    /// rises with weight).
    pub overlap_spearman_min: f64,
    /// Minimum ratio of the top to the bottom weight decile's mean overlap: 2 (Onnela 2007,
    /// Fig. 4: overlap rises several-fold from the weakest to the strongest ties).
    pub overlap_top_over_bottom_min: f64,
    /// Passing range of the share of active ties with lopsidedness > 0.5: [0.1, 0.9]
    /// (Kovanen 2010: lopsided ties are common but not universal).
    pub lopsided_share_range: (f64, f64),
    /// Mean burstiness must exceed this: 0 (Goh & Barabási 2008: human activity is bursty).
    pub burstiness_above: f64,
    /// Largest allowed share of events on one channel: 0.8.
    pub max_channel_share: f64,
    /// Smallest mean/median degree: 1.5 (Facebook: mean ≈ 190, median 99, ratio ≈ 1.9;
    /// Ugander 2011): the tail must be heavy.
    pub degree_mean_over_median_min: f64,
    /// Mean clustering at degree 100–199: 0.14 (Ugander 2011, Fig. 4 near degree 100).
    pub clustering_100_199: f64,
    /// Allowed distance from it: ± 0.06.
    pub clustering_100_199_tolerance: f64,
    /// Largest allowed rise of mean clustering from one degree bucket to the next, from
    /// 10–49 up (Ugander 2011: clustering falls steadily with degree).
    pub clustering_max_rise: f64,
    /// Partner first by embeddedness: ≈ 0.25 (Backstrom & Kleinberg 2014), ± 0.12.
    pub partner_embeddedness: (f64, f64),
    /// Partner first by absolute dispersion: ≈ 0.37, ± 0.15.
    pub partner_dispersion: (f64, f64),
    /// Partner first by recursive dispersion: ≈ 0.50, ± 0.20.
    pub partner_recursive: (f64, f64),
    /// Mean over the remaining mean degrees 4, 2 and 1 of the giant component
    /// (strong-first minus weak-first) must exceed this: 0 (Onnela 2007, Fig. 3).
    pub percolation_gap_above: f64,
    /// Targets of the dynamics checks.
    pub dynamics: DynamicsTargets,
}

impl Default for RealismTargets {
    fn default() -> Self {
        Self {
            median_degree: 99.0,
            median_degree_tolerance: 30.0,
            clustering_50_199: 0.14,
            clustering_50_199_range: (0.07, 0.30),
            assortativity_above: 0.0,
            assortativity_published: 0.23,
            max_degree: 5000.0,
            layer_sizes: [1.5, 5.0, 15.0, 50.0, 150.0],
            layer_factor: 1.6,
            overlap_spearman_min: 0.7,
            overlap_top_over_bottom_min: 2.0,
            lopsided_share_range: (0.1, 0.9),
            burstiness_above: 0.0,
            max_channel_share: 0.8,
            degree_mean_over_median_min: 1.5,
            clustering_100_199: 0.14,
            clustering_100_199_tolerance: 0.06,
            clustering_max_rise: 0.01,
            partner_embeddedness: (0.25, 0.12),
            partner_dispersion: (0.37, 0.15),
            partner_recursive: (0.50, 0.20),
            percolation_gap_above: 0.0,
            dynamics: DynamicsTargets::default(),
        }
    }
}

impl Report {
    /// Checks the report against published figures. A check is listed only when the
    /// dataset has the data it needs (no truth file: no layer checks; no events: no
    /// reciprocity, burstiness or channel checks); a listed check whose value cannot be
    /// measured (e.g. an empty degree bucket) fails.
    pub fn check_realism(&self, targets: &RealismTargets) -> Vec<RealismCheck> {
        let mut out = Vec::new();
        let mut push = |name: String,
                        value: Option<f64>,
                        reference: Option<f64>,
                        tolerance: Tolerance,
                        source: &str| {
            let pass = value.is_some_and(|v| v.is_finite() && tolerance.accepts(v));
            out.push(RealismCheck {
                name,
                value,
                reference,
                tolerance,
                pass,
                source: source.to_owned(),
            });
        };
        push(
            "degree.median".into(),
            Some(self.degree.median),
            Some(targets.median_degree),
            Tolerance::Absolute {
                center: targets.median_degree,
                plus_minus: targets.median_degree_tolerance,
            },
            SOURCE_UGANDER,
        );
        push(
            "degree.max".into(),
            Some(self.degree.max as f64),
            Some(targets.max_degree),
            Tolerance::AtMost {
                bound: targets.max_degree,
            },
            SOURCE_UGANDER,
        );
        push(
            "degree.mean_over_median".into(),
            (self.degree.median > 0.0).then(|| self.degree.mean / self.degree.median),
            Some(1.9),
            Tolerance::AtLeast {
                bound: targets.degree_mean_over_median_min,
            },
            SOURCE_UGANDER,
        );
        let (low, high) = targets.clustering_50_199_range;
        push(
            "clustering.degree_50_199".into(),
            self.clustering.mean_between(50, Some(199)),
            Some(targets.clustering_50_199),
            Tolerance::Range { low, high },
            SOURCE_UGANDER,
        );
        let falls = match (
            self.clustering.mean_between(10, Some(49)),
            self.clustering.mean_between(200, Some(499)),
        ) {
            (Some(low_degree), Some(high_degree)) => Some(low_degree - high_degree),
            _ => None,
        };
        push(
            "clustering.falls_with_degree".into(),
            falls,
            None,
            Tolerance::Above { bound: 0.0 },
            SOURCE_UGANDER,
        );
        push(
            "clustering.degree_100_199".into(),
            self.clustering.mean_between(100, Some(199)),
            Some(targets.clustering_100_199),
            Tolerance::Absolute {
                center: targets.clustering_100_199,
                plus_minus: targets.clustering_100_199_tolerance,
            },
            SOURCE_UGANDER,
        );
        push(
            "clustering.max_rise_from_degree_10".into(),
            self.clustering.max_rise_from(10),
            None,
            Tolerance::AtMost {
                bound: targets.clustering_max_rise,
            },
            SOURCE_UGANDER,
        );
        push(
            "assortativity".into(),
            self.assortativity,
            Some(targets.assortativity_published),
            Tolerance::Above {
                bound: targets.assortativity_above,
            },
            SOURCE_UGANDER,
        );
        if let Some(layers) = &self.layers {
            for (i, (&size, &value)) in targets
                .layer_sizes
                .iter()
                .zip(&layers.mean_cumulative)
                .enumerate()
            {
                push(
                    format!("layers.mean_size_le{}", i + 1),
                    Some(value),
                    Some(size),
                    Tolerance::Factor {
                        center: size,
                        factor: targets.layer_factor,
                    },
                    SOURCE_DUNBAR,
                );
            }
        }
        if let Some(overlap) = &self.overlap {
            push(
                "overlap.top_minus_bottom_decile".into(),
                overlap.top_minus_bottom(),
                None,
                Tolerance::Above { bound: 0.0 },
                SOURCE_ONNELA,
            );
            let ratio = match (overlap.deciles.first(), overlap.deciles.last()) {
                (Some(bottom), Some(top))
                    if overlap.deciles.len() >= 2 && bottom.mean_overlap > 0.0 =>
                {
                    Some(top.mean_overlap / bottom.mean_overlap)
                }
                _ => None,
            };
            push(
                "overlap.top_over_bottom_decile".into(),
                ratio,
                None,
                Tolerance::AtLeast {
                    bound: targets.overlap_top_over_bottom_min,
                },
                SOURCE_ONNELA,
            );
            push(
                "overlap.spearman_decile".into(),
                overlap.spearman,
                None,
                Tolerance::AtLeast {
                    bound: targets.overlap_spearman_min,
                },
                SOURCE_ONNELA,
            );
        }
        if let Some(p) = &self.percolation {
            push(
                "percolation.strong_first_minus_weak_first".into(),
                p.mean_gap(),
                None,
                Tolerance::Above {
                    bound: targets.percolation_gap_above,
                },
                SOURCE_ONNELA,
            );
        }
        if let Some(p) = &self.partners {
            for (name, value, (center, plus_minus)) in [
                (
                    "partners.first_by_embeddedness",
                    p.embeddedness,
                    targets.partner_embeddedness,
                ),
                (
                    "partners.first_by_dispersion",
                    p.dispersion,
                    targets.partner_dispersion,
                ),
                (
                    "partners.first_by_recursive_dispersion",
                    p.dispersion_recursive,
                    targets.partner_recursive,
                ),
            ] {
                push(
                    name.into(),
                    Some(value),
                    Some(center),
                    Tolerance::Absolute { center, plus_minus },
                    SOURCE_BACKSTROM,
                );
            }
            push(
                "partners.dispersion_beats_embeddedness".into(),
                Some(p.dispersion_recursive - p.embeddedness),
                None,
                Tolerance::Above { bound: 0.0 },
                SOURCE_BACKSTROM,
            );
        }
        if let Some(rec) = &self.reciprocity {
            let (low, high) = targets.lopsided_share_range;
            push(
                "reciprocity.share_lopsided".into(),
                Some(rec.share_lopsided),
                None,
                Tolerance::Range { low, high },
                SOURCE_KOVANEN,
            );
        }
        if let Some(burst) = &self.burstiness {
            push(
                "burstiness.mean".into(),
                burst.mean,
                None,
                Tolerance::Above {
                    bound: targets.burstiness_above,
                },
                SOURCE_GOH,
            );
        }
        if let Some(mix) = &self.channels {
            push(
                "channels.max_share".into(),
                Some(mix.max_share()),
                None,
                Tolerance::AtMost {
                    bound: targets.max_channel_share,
                },
                SOURCE_CHANNELS,
            );
        }
        if let Some(dynamics) = &self.dynamics {
            out.extend(dynamics.checks(&targets.dynamics));
        }
        out
    }
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}"))
}

fn opt_count(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(f, "counts")?;
        writeln!(f, "  people        {:>14}", c.people)?;
        writeln!(f, "  ties          {:>14}", c.ties)?;
        writeln!(f, "  events        {:>14}", opt_count(c.events))?;
        writeln!(f, "  groups        {:>14}", opt_count(c.groups))?;
        if let Some(n) = c.events_between_non_friends.filter(|&n| n > 0) {
            writeln!(
                f,
                "  events between non-friends, ignored {n} ({} group-chat replies)",
                opt_count(c.group_replies_between_non_friends)
            )?;
        }
        if let Some(w) = &self.event_window {
            writeln!(f, "event window ({})", w.source)?;
            writeln!(f, "  {} .. {} (end exclusive)", w.start, w.end)?;
            if w.events_outside > 0 {
                writeln!(f, "  {} event(s) outside, left out", w.events_outside)?;
            }
        }
        let d = &self.degree;
        writeln!(f, "degree")?;
        writeln!(
            f,
            "  min {}  median {:.1}  mean {:.1}  p99 {:.1}  max {}",
            d.min, d.median, d.mean, d.p99, d.max
        )?;
        let cl = &self.clustering;
        let how = if cl.sampled {
            format!(
                "sampled: {} of {} nodes, seed {}",
                cl.nodes_measured, cl.nodes_total, cl.seed
            )
        } else {
            format!("exact over {} nodes", cl.nodes_total)
        };
        writeln!(f, "clustering ({how})")?;
        writeln!(f, "  average       {:>14.4}", cl.average)?;
        writeln!(f, "  {:<12}{:>10}{:>10}", "degree", "nodes", "mean C")?;
        for b in &cl.buckets {
            writeln!(
                f,
                "  {:<12}{:>10}{:>10}",
                b.label(),
                b.nodes,
                opt(b.mean, 4)
            )?;
        }
        writeln!(f, "assortativity   {:>14}", opt(self.assortativity, 4))?;
        if let Some(l) = &self.layers {
            writeln!(
                f,
                "dunbar layers (cumulative, over {} targets)",
                l.num_targets
            )?;
            writeln!(
                f,
                "  {:<8}{:>10}{:>10}{:>10}",
                "layer", "mean", "median", "ratio"
            )?;
            for i in 0..l.mean_cumulative.len() {
                let ratio = if i == 0 {
                    "-".to_owned()
                } else {
                    opt(l.scaling_ratios[i - 1], 2)
                };
                writeln!(
                    f,
                    "  <={:<6}{:>10.2}{:>10.1}{:>10}",
                    i + 1,
                    l.mean_cumulative[i],
                    l.median_cumulative[i],
                    ratio
                )?;
            }
        }
        if let Some(r) = &self.reciprocity {
            writeln!(f, "reciprocity")?;
            writeln!(
                f,
                "  active directed ties {}  reciprocated {:.4}",
                r.active_directed_ties, r.reciprocity
            )?;
            writeln!(
                f,
                "  lopsidedness over {} active pairs: mean {:.3}  median {:.3}  > {LOPSIDED_THRESHOLD}: {:.3}  one-way: {:.3}",
                r.active_pairs,
                r.lopsidedness_mean,
                r.lopsidedness_median,
                r.share_lopsided,
                r.share_one_way
            )?;
        }
        if let Some(m) = &self.channels {
            writeln!(f, "channel mix ({} events on friendships)", m.total_events)?;
            for ch in &m.channels {
                writeln!(f, "  {:<14}{:>14}{:>10.4}", ch.channel, ch.events, ch.share)?;
            }
        }
        if let Some(o) = &self.overlap {
            let source = match o.weight_source {
                WeightSource::Events => "events both ways",
                WeightSource::UserWeight => "user weight",
            };
            let how = if o.sampled { "sampled egos" } else { "exact" };
            writeln!(
                f,
                "neighbourhood overlap by weight decile (weight = {source}; positive weights only; {how})"
            )?;
            writeln!(
                f,
                "  {} ties, mean overlap {}; zero-weight ties: {} (mean overlap {})",
                o.ties_measured,
                opt(o.mean_overlap, 4),
                o.zero_weight_ties,
                opt(o.zero_weight_mean_overlap, 4)
            )?;
            writeln!(
                f,
                "  {:<8}{:>10}{:>12}{:>12}{:>10}",
                "decile", "ties", "min w", "max w", "overlap"
            )?;
            for d in &o.deciles {
                writeln!(
                    f,
                    "  {:<8}{:>10}{:>12.1}{:>12.1}{:>10.4}",
                    d.decile, d.ties, d.min_weight, d.max_weight, d.mean_overlap
                )?;
            }
            writeln!(f, "  spearman(decile, overlap) {}", opt(o.spearman, 3))?;
        }
        if let Some(p) = &self.percolation {
            writeln!(
                f,
                "percolation: giant component once the {} ties with weight > 0 are cut to a mean degree k",
                p.ties
            )?;
            writeln!(
                f,
                "  {:<6}{:>10}{:>12}{:>14}",
                "k", "removed", "weak first", "strong first"
            )?;
            for (((k, x), w), s) in p
                .kept_mean_degree
                .iter()
                .zip(&p.fractions)
                .zip(&p.weak_first)
                .zip(&p.strong_first)
            {
                writeln!(f, "  {k:<6}{x:>10.4}{w:>12.4}{s:>14.4}")?;
            }
        }
        if let Some(p) = &self.partners {
            writeln!(
                f,
                "partner ranked first among the ego's friends ({} of {} targets with one partner)",
                p.num_targets, p.num_targets_eligible
            )?;
            writeln!(
                f,
                "  embeddedness {:.3}  dispersion {:.3}  normalised {:.3}  recursive {:.3}  (no mutual friend: {:.3})",
                p.embeddedness,
                p.dispersion,
                p.dispersion_normalised,
                p.dispersion_recursive,
                p.partner_unembedded
            )?;
        }
        if let Some(b) = &self.burstiness {
            writeln!(
                f,
                "burstiness (directed ties with hash % {} == 0 and >= {} events)",
                b.sample_modulus, b.min_events
            )?;
            writeln!(
                f,
                "  {} ties measured of {} sampled ({} over the timestamp cap): mean B {}  median B {}  share B > 0 {}",
                b.ties_measured,
                b.ties_sampled,
                b.ties_over_cap,
                opt(b.mean, 3),
                opt(b.median, 3),
                opt(b.share_bursty, 3)
            )?;
        }
        if let Some(d) = &self.dynamics {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_accept_and_reject() {
        let abs = Tolerance::Absolute {
            center: 99.0,
            plus_minus: 30.0,
        };
        assert!(abs.accepts(69.0) && abs.accepts(129.0) && !abs.accepts(68.9));
        let factor = Tolerance::Factor {
            center: 150.0,
            factor: 1.6,
        };
        assert!(factor.accepts(93.75) && factor.accepts(240.0) && !factor.accepts(93.7));
        let range = Tolerance::Range {
            low: 0.07,
            high: 0.3,
        };
        assert!(range.accepts(0.07) && !range.accepts(0.31) && !range.accepts(f64::NAN));
        assert!(!Tolerance::Above { bound: 0.0 }.accepts(0.0));
        assert!(Tolerance::AtLeast { bound: 0.7 }.accepts(0.7));
        assert!(Tolerance::AtMost { bound: 5000.0 }.accepts(5000.0));
    }

    #[test]
    fn criterion_names_the_published_figure_only_when_it_differs() {
        let check = |reference, tolerance| RealismCheck {
            name: "x".into(),
            value: Some(1.0),
            reference,
            tolerance,
            pass: true,
            source: "s".into(),
        };
        assert_eq!(
            check(Some(0.23), Tolerance::Above { bound: 0.0 }).criterion(),
            "> 0 (published 0.23)"
        );
        assert_eq!(
            check(
                Some(99.0),
                Tolerance::Absolute {
                    center: 99.0,
                    plus_minus: 30.0
                }
            )
            .criterion(),
            "99 ± 30"
        );
        assert_eq!(
            check(Some(5000.0), Tolerance::AtMost { bound: 5000.0 }).criterion(),
            "≤ 5000"
        );
        assert_eq!(
            check(
                None,
                Tolerance::Range {
                    low: 0.1,
                    high: 0.9
                }
            )
            .criterion(),
            "in [0.1, 0.9]"
        );
    }
}

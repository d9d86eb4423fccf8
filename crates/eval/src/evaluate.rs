//! Ranks a set of targets under several heuristics and measures them against the truth.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tierank_format::schema::OUTSIDE_LAYERS;
use tierank_format::{PersonId, Relation};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, Scratch};

use crate::EvalError;
use crate::bootstrap::Resamples;
use crate::metrics::{
    auc, average_precision, exposure_at_k, hits_at_k, jaccard_sorted, kendall_tau_b, layer_gain,
    ndcg_at_k, precision_at_k, rank_positions, recall_at_k,
};
use crate::sample::DegreeBucket;
use crate::truth::TruthIndex;

/// Name of the oracle row: the ranking by the planted truth, the ceiling any heuristic can
/// reach.
pub const ORACLE: &str = "oracle";

/// Default cut-offs: the innermost layers (1, 5, 15) and the 50 people of layer 4.
pub const DEFAULT_KS: [usize; 4] = [1, 5, 15, 50];
/// Default "relevant" layer: layers 1–3, the ~15 closest people.
pub const DEFAULT_RELEVANT_LAYER: i8 = 3;
/// Default number of bootstrap resamples.
pub const DEFAULT_RESAMPLES: usize = 1000;
/// Default confidence level of the intervals.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// What to compute, shared by `tierank compare`, the tests and the notebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalOptions {
    /// Cut-offs `k` of the top-k metrics; each positive, duplicates ignored.
    pub ks: Vec<usize>,
    /// A friend is relevant when its planted layer is `<= relevant_layer` (`1..=5`).
    pub relevant_layer: i8,
    /// Bootstrap resamples over targets; 0 disables the intervals.
    pub resamples: usize,
    /// Confidence level of the percentile intervals, in `(0, 1)`.
    pub confidence: f64,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Whether to add the [`ORACLE`] row.
    pub oracle: bool,
    /// Whether to measure agreement between every pair of heuristics.
    pub agreement: bool,
    /// Keep each row's top `keep_top` friends per target in [`Evaluation::rankings`] (0:
    /// keep none), so a report can publish the rankings it measured without scoring again.
    pub keep_top: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            ks: DEFAULT_KS.to_vec(),
            relevant_layer: DEFAULT_RELEVANT_LAYER,
            resamples: DEFAULT_RESAMPLES,
            confidence: DEFAULT_CONFIDENCE,
            seed: 0,
            oracle: true,
            agreement: true,
            keep_top: 0,
        }
    }
}

impl EvalOptions {
    /// Checks every option's range.
    ///
    /// # Errors
    /// [`EvalError::InvalidOption`] for the first option out of range.
    pub fn validate(&self) -> Result<(), EvalError> {
        let bad = |name, reason: String| Err(EvalError::InvalidOption { name, reason });
        if self.ks.is_empty()
            || self.ks.contains(&0)
            || self.ks.iter().any(|&k| k > u32::MAX as usize)
        {
            return bad("ks", "needs at least one cut-off, each positive".into());
        }
        if !(1..OUTSIDE_LAYERS).contains(&self.relevant_layer) {
            return bad(
                "relevant_layer",
                format!(
                    "{} is not in 1..={}",
                    self.relevant_layer,
                    OUTSIDE_LAYERS - 1
                ),
            );
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return bad(
                "confidence",
                format!("{} is not in (0, 1)", self.confidence),
            );
        }
        Ok(())
    }

    fn sorted_ks(&self) -> Vec<usize> {
        let mut ks = self.ks.clone();
        ks.sort_unstable();
        ks.dedup();
        ks
    }
}

/// A per-target metric. Top-k metrics come with a `k`; the others rank all friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// [`precision_at_k`].
    Precision,
    /// [`recall_at_k`].
    Recall,
    /// [`ndcg_at_k`].
    Ndcg,
    /// [`exposure_at_k`]: strangers shown the notice.
    Exposure,
    /// [`average_precision`]; its mean is MAP.
    AveragePrecision,
    /// [`auc`].
    Auc,
}

impl Metric {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::Ndcg => "ndcg",
            Metric::Exposure => "exposure",
            Metric::AveragePrecision => "average_precision",
            Metric::Auc => "auc",
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The subset of targets (or, for relations, of ties) a number describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stratum {
    /// Every target: `all`.
    All,
    /// Targets whose degree is in the bucket: `degree:10-49`.
    Degree(DegreeBucket),
    /// Only the target's friends of one planted relation: `relation:family`. Recall counts
    /// the relevant friends of that relation found; exposure counts the non-relevant friends
    /// of that relation selected.
    Relation(Relation),
    /// Only the target's friends of one planted layer (`1..=6`, 7 for friends without a
    /// truth row): `layer:2`. Only recall is given: the fraction of the target's friends of
    /// that layer that are selected (undefined when it has none). For layers beyond the
    /// relevant layer it is the share of that layer exposed.
    Layer(i8),
    /// Targets who are evaders (`evader:yes`) or not (`evader:no`), as marked in the truth
    /// ([`TruthIndex::with_evaders`]); present only when someone is marked.
    Evader(bool),
}

impl std::fmt::Display for Stratum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stratum::All => f.write_str("all"),
            Stratum::Degree(b) => write!(f, "degree:{b}"),
            Stratum::Relation(r) => write!(f, "relation:{r}"),
            Stratum::Layer(l) => write!(f, "layer:{l}"),
            Stratum::Evader(true) => f.write_str("evader:yes"),
            Stratum::Evader(false) => f.write_str("evader:no"),
        }
    }
}

impl Serialize for Stratum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A measure of agreement between two heuristics on the same target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementMeasure {
    /// [`jaccard_sorted`] of the two top-k selections.
    Jaccard,
    /// [`kendall_tau_b`] of the two score vectors over all friends.
    KendallTauB,
}

impl AgreementMeasure {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementMeasure::Jaccard => "jaccard",
            AgreementMeasure::KendallTauB => "kendall_tau_b",
        }
    }
}

/// One evaluated target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    /// Dense id.
    #[serde(skip)]
    pub node: NodeId,
    /// Person id.
    pub person: PersonId,
    /// Number of friends.
    pub degree: usize,
    /// Its degree bucket.
    pub bucket: DegreeBucket,
    /// Number of relevant friends (planted layer `<= L`).
    pub relevant: usize,
}

/// One metric of one target under one heuristic (only where the metric is defined).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PerTargetRow {
    /// Index into [`Evaluation::targets`].
    pub target: usize,
    /// Index into [`Evaluation::heuristics`].
    pub heuristic: usize,
    /// The cut-off, for top-k metrics.
    pub k: Option<u32>,
    /// The metric.
    pub metric: Metric,
    /// [`Stratum::All`] or a [`Stratum::Relation`].
    pub stratum: Stratum,
    /// The value.
    pub value: f64,
}

/// One friend in the top [`EvalOptions::keep_top`] of one target under one row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankedFriend {
    /// Index into [`Evaluation::targets`].
    pub target: usize,
    /// Index into [`Evaluation::heuristics`].
    pub heuristic: usize,
    /// 1-based rank (score descending, equal scores by ascending person id).
    pub rank: u32,
    /// The friend's person id.
    pub alter: PersonId,
    /// The row's score.
    pub score: f64,
}

/// The mean of one metric over the targets of one stratum, with its bootstrap interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    /// Heuristic name (or [`ORACLE`]).
    pub heuristic: String,
    /// The cut-off, for top-k metrics.
    pub k: Option<u32>,
    /// The metric.
    pub metric: Metric,
    /// The stratum.
    pub stratum: Stratum,
    /// Mean over the targets where the metric is defined.
    pub value: f64,
    /// Lower end of the percentile interval (none without resamples).
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
    /// Targets that entered the mean.
    pub targets: usize,
}

/// Mean agreement of two heuristics, with its bootstrap interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementRow {
    /// First heuristic.
    pub heuristic_a: String,
    /// Second heuristic.
    pub heuristic_b: String,
    /// The cut-off, for [`AgreementMeasure::Jaccard`].
    pub k: Option<u32>,
    /// The measure.
    pub measure: AgreementMeasure,
    /// Mean over the targets where it is defined.
    pub value: f64,
    /// Lower end of the percentile interval.
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
    /// Targets that entered the mean.
    pub targets: usize,
}

/// How long a heuristic took to score every target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimingRow {
    /// Heuristic name.
    pub heuristic: String,
    /// Wall-clock seconds of the parallel scoring pass over all targets (a measurement:
    /// the one output that is not deterministic).
    pub wall_seconds: f64,
    /// Targets scored.
    pub targets: usize,
    /// Friends scored (the sum of the targets' degrees).
    pub friends: usize,
    /// How far from the target the heuristic reads (`ego`, `two_hop`, `local`): the
    /// report's verdict calls `ego` heuristics cheap.
    pub cost_class: String,
}

/// Everything [`evaluate`] measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The rows' heuristics, in the order given, then [`ORACLE`] if requested.
    pub heuristics: Vec<String>,
    /// The evaluated targets, in the order given (targets without friends are dropped).
    pub targets: Vec<TargetInfo>,
    /// Targets dropped because they have no friends to rank.
    pub dropped_targets: usize,
    /// Per-target values, in target order, then heuristic, then metric.
    pub per_target: Vec<PerTargetRow>,
    /// Means with intervals, by heuristic, metric, k, stratum.
    pub metrics: Vec<MetricRow>,
    /// Pairwise agreement, by pair, measure, k.
    pub agreement: Vec<AgreementRow>,
    /// Wall time per heuristic.
    pub timings: Vec<TimingRow>,
    /// Top [`EvalOptions::keep_top`] friends per target and row, by target, row, rank.
    pub rankings: Vec<RankedFriend>,
    /// The options used.
    pub options: EvalOptions,
}

impl Evaluation {
    /// The aggregated row of one (heuristic, k, metric, stratum), if it exists.
    pub fn metric(
        &self,
        heuristic: &str,
        k: Option<usize>,
        metric: Metric,
        stratum: Stratum,
    ) -> Option<&MetricRow> {
        let k = k.map(|k| k as u32);
        self.metrics.iter().find(|r| {
            r.heuristic == heuristic && r.k == k && r.metric == metric && r.stratum == stratum
        })
    }

    /// The mean paired difference `a − b` of one metric over the targets where both are
    /// defined, with its percentile interval from the same bootstrap resamples as every
    /// other interval (so the pairing is kept: each resample draws whole targets). The row's
    /// `heuristic` is `"a - b"`. `None` when either row is unknown or no target has both.
    pub fn paired_difference(
        &self,
        a: &str,
        b: &str,
        k: Option<usize>,
        metric: Metric,
        stratum: Stratum,
    ) -> Option<MetricRow> {
        let ia = self.heuristics.iter().position(|h| h == a)?;
        let ib = self.heuristics.iter().position(|h| h == b)?;
        let k = k.map(|k| k as u32);
        let values = |h: usize| -> BTreeMap<usize, f64> {
            self.per_target
                .iter()
                .filter(|r| {
                    r.heuristic == h && r.k == k && r.metric == metric && r.stratum == stratum
                })
                .map(|r| (r.target, r.value))
                .collect()
        };
        let (va, vb) = (values(ia), values(ib));
        let diffs: Vec<(u32, f64)> = va
            .iter()
            .filter_map(|(t, x)| vb.get(t).map(|y| (*t as u32, x - y)))
            .collect();
        if diffs.is_empty() {
            return None;
        }
        let resamples = Resamples::draw(
            self.targets.len(),
            self.options.resamples,
            self.options.seed,
        );
        let s = resamples.summarise(&diffs, self.options.confidence);
        Some(MetricRow {
            heuristic: format!("{a} - {b}"),
            k,
            metric,
            stratum,
            value: s.mean,
            ci_low: s.ci.map(|c| c.0),
            ci_high: s.ci.map(|c| c.1),
            targets: s.count,
        })
    }
}

/// The oracle's score: planted layer first, planted closeness within a layer, friends with no
/// truth row last. `2 (7 − layer) + closeness` keeps the layers apart since closeness is in
/// `[0, 1]`.
fn oracle_scores(graph: &Graph, truth: &TruthIndex, target: NodeId, out: &mut Vec<f64>) {
    out.clear();
    out.extend((0..graph.degree(target)).map(|i| {
        truth.tie_at(graph, target, i).map_or(0.0, |t| {
            2.0 * f64::from(OUTSIDE_LAYERS + 1 - t.layer) + t.closeness
        })
    }));
}

/// Evaluates `heuristics` (and the oracle) on `targets` against `truth`.
///
/// For every target, in parallel (one [`Scratch`] per worker), each heuristic scores all
/// friends; the friends are ranked by score descending, ties by ascending person id (as the
/// ranking driver does), and the metrics of [`Metric`] are computed at every `k` of
/// `options.ks` and over the whole ranking. Means are taken per stratum (all targets, each
/// degree bucket, each relation, and evaders and non-evaders when the truth marks evaders)
/// with percentile bootstrap intervals over targets, and every
/// pair of rows (the oracle included) is compared by top-k Jaccard and Kendall's tau-b.
///
/// Pass the `random` heuristic among `heuristics` to get the floor; the oracle is the
/// ceiling. Heuristics are scored one after the other, each in one parallel pass, so that
/// [`TimingRow::wall_seconds`] is that heuristic's own wall time.
///
/// Memory: all score vectors are kept until the metrics are computed:
/// `8 · (heuristics + 1) · Σ degree` bytes, plus `4 · resamples · targets` for the bootstrap.
///
/// # Errors
/// [`EvalError::InvalidOption`] for bad options, [`EvalError::TargetOutOfRange`] for a target
/// not in the graph, and [`EvalError::ScoreCount`] when a heuristic breaks the contract of one
/// score per friend.
pub fn evaluate(
    graph: &Graph,
    targets: &[NodeId],
    heuristics: &[Box<dyn Heuristic>],
    truth: &TruthIndex,
    options: &EvalOptions,
) -> Result<Evaluation, EvalError> {
    evaluate_cancellable(graph, targets, heuristics, truth, options, None)
}

/// [`evaluate`], stopping with [`EvalError::Cancelled`] soon after `cancel` is set: once it
/// is, no further target is scored (the flag is read before each target) and the metrics
/// are not computed. A run that is not cancelled computes exactly what [`evaluate`] does.
///
/// # Errors
/// As [`evaluate`]; [`EvalError::Cancelled`].
pub fn evaluate_cancellable(
    graph: &Graph,
    targets: &[NodeId],
    heuristics: &[Box<dyn Heuristic>],
    truth: &TruthIndex,
    options: &EvalOptions,
    cancel: Option<&AtomicBool>,
) -> Result<Evaluation, EvalError> {
    let cancelled = || cancel.is_some_and(|flag| flag.load(Ordering::Relaxed));
    options.validate()?;
    if let Some(t) = targets.iter().find(|t| t.index() >= graph.num_nodes()) {
        return Err(EvalError::TargetOutOfRange {
            node: t.0,
            nodes: graph.num_nodes(),
        });
    }
    let kept: Vec<NodeId> = targets
        .iter()
        .copied()
        .filter(|&t| graph.degree(t) > 0)
        .collect();
    let dropped_targets = targets.len() - kept.len();
    if dropped_targets > 0 {
        log::info!("{dropped_targets} targets without friends are not evaluated");
    }
    let l = options.relevant_layer;
    let infos: Vec<TargetInfo> = kept
        .iter()
        .map(|&node| {
            let degree = graph.degree(node);
            TargetInfo {
                node,
                person: graph.person(node),
                degree,
                bucket: DegreeBucket::of(degree).expect("degree is positive"),
                relevant: truth.relevant_count(graph, node, l),
            }
        })
        .collect();
    let friends: usize = infos.iter().map(|t| t.degree).sum();

    let mut names: Vec<String> = heuristics.iter().map(|h| h.name().to_owned()).collect();
    let mut scores: Vec<Vec<Vec<f64>>> = Vec::with_capacity(heuristics.len() + 1);
    let mut timings = Vec::with_capacity(heuristics.len());
    for h in heuristics {
        let start = Instant::now();
        let per_target: Vec<Vec<f64>> = kept
            .par_iter()
            .map_init(Scratch::new, |scratch, &t| {
                let mut out = Vec::new();
                if !cancelled() {
                    h.score(graph, t, scratch, &mut out);
                }
                out
            })
            .collect();
        // Before the score-count check: the targets skipped after cancelling have none.
        if cancelled() {
            return Err(EvalError::Cancelled);
        }
        let wall_seconds = start.elapsed().as_secs_f64();
        if let Some((t, s)) = kept
            .iter()
            .zip(&per_target)
            .find(|(t, s)| s.len() != graph.degree(**t))
        {
            return Err(EvalError::ScoreCount {
                heuristic: h.name().to_owned(),
                person: graph.person(*t),
                scores: s.len(),
                friends: graph.degree(*t),
            });
        }
        log::info!(
            "scored {} targets with {} in {wall_seconds:.3} s",
            kept.len(),
            h.name()
        );
        timings.push(TimingRow {
            heuristic: h.name().to_owned(),
            wall_seconds,
            targets: kept.len(),
            friends,
            cost_class: h.cost_class().as_str().to_owned(),
        });
        scores.push(per_target);
    }
    if options.oracle {
        names.push(ORACLE.to_owned());
        scores.push(
            kept.par_iter()
                .map(|&t| {
                    let mut out = Vec::new();
                    oracle_scores(graph, truth, t, &mut out);
                    out
                })
                .collect(),
        );
    }

    if cancelled() {
        return Err(EvalError::Cancelled);
    }
    let ks = options.sorted_ks();
    let outputs: Vec<TargetOutput> = (0..kept.len())
        .into_par_iter()
        .map(|t| {
            let target_scores: Vec<&[f64]> = scores.iter().map(|h| h[t].as_slice()).collect();
            evaluate_target(
                graph,
                truth,
                kept[t],
                &target_scores,
                &ks,
                l,
                options.agreement,
                options.keep_top,
            )
        })
        .collect();
    drop(scores);
    if cancelled() {
        return Err(EvalError::Cancelled);
    }

    let resamples = Resamples::draw(kept.len(), options.resamples, options.seed);
    let mut per_target = Vec::new();
    let mut rankings = Vec::new();
    let mut series: BTreeMap<SeriesKey, Series> = BTreeMap::new();
    let mut pair_series: BTreeMap<PairKey, Series> = BTreeMap::new();
    for (t, out) in outputs.into_iter().enumerate() {
        let bucket = infos[t].bucket;
        let evader = truth
            .has_evaders()
            .then(|| Stratum::Evader(truth.is_evader(kept[t])));
        for v in out.values {
            let key = (v.heuristic, v.metric, v.k, v.stratum);
            series.entry(key).or_default().push((t as u32, v.value));
            if v.stratum == Stratum::All {
                series
                    .entry((v.heuristic, v.metric, v.k, Stratum::Degree(bucket)))
                    .or_default()
                    .push((t as u32, v.value));
                if let Some(stratum) = evader {
                    series
                        .entry((v.heuristic, v.metric, v.k, stratum))
                        .or_default()
                        .push((t as u32, v.value));
                }
            }
            per_target.push(PerTargetRow {
                target: t,
                heuristic: v.heuristic,
                k: v.k,
                metric: v.metric,
                stratum: v.stratum,
                value: v.value,
            });
        }
        for (h, top) in out.top.into_iter().enumerate() {
            let friends = graph.neighbors(kept[t]);
            rankings.extend(top.into_iter().enumerate().map(|(i, (position, score))| {
                RankedFriend {
                    target: t,
                    heuristic: h,
                    rank: i as u32 + 1,
                    alter: graph.person(friends[position as usize]),
                    score,
                }
            }));
        }
        for a in out.agreement {
            pair_series
                .entry((a.a, a.b, a.measure, a.k))
                .or_default()
                .push((t as u32, a.value));
        }
    }
    let series: Vec<_> = series.into_iter().collect();
    let metrics: Vec<MetricRow> = series
        .par_iter()
        .map(|((h, metric, k, stratum), values)| {
            let s = resamples.summarise(values, options.confidence);
            MetricRow {
                heuristic: names[*h].clone(),
                k: *k,
                metric: *metric,
                stratum: *stratum,
                value: s.mean,
                ci_low: s.ci.map(|c| c.0),
                ci_high: s.ci.map(|c| c.1),
                targets: s.count,
            }
        })
        .collect();
    let pair_series: Vec<_> = pair_series.into_iter().collect();
    let agreement: Vec<AgreementRow> = pair_series
        .par_iter()
        .map(|((a, b, measure, k), values)| {
            let s = resamples.summarise(values, options.confidence);
            AgreementRow {
                heuristic_a: names[*a].clone(),
                heuristic_b: names[*b].clone(),
                k: *k,
                measure: *measure,
                value: s.mean,
                ci_low: s.ci.map(|c| c.0),
                ci_high: s.ci.map(|c| c.1),
                targets: s.count,
            }
        })
        .collect();
    Ok(Evaluation {
        heuristics: names,
        targets: infos,
        dropped_targets,
        per_target,
        metrics,
        agreement,
        timings,
        rankings,
        options: options.clone(),
    })
}

/// (heuristic, metric, k, stratum): the order of [`Evaluation::metrics`].
type SeriesKey = (usize, Metric, Option<u32>, Stratum);
/// (heuristic a, heuristic b, measure, k): the order of [`Evaluation::agreement`].
type PairKey = (usize, usize, AgreementMeasure, Option<u32>);
/// (target index, value), target indices ascending.
type Series = Vec<(u32, f64)>;

/// One defined metric value of one target.
struct Value {
    heuristic: usize,
    metric: Metric,
    k: Option<u32>,
    stratum: Stratum,
    value: f64,
}

/// One defined agreement value of one target.
struct Agreement {
    a: usize,
    b: usize,
    measure: AgreementMeasure,
    k: Option<u32>,
    value: f64,
}

struct TargetOutput {
    values: Vec<Value>,
    agreement: Vec<Agreement>,
    /// Per row: the top (position, score) pairs.
    top: Vec<Vec<(u32, f64)>>,
}

#[allow(clippy::too_many_arguments)]
fn evaluate_target(
    graph: &Graph,
    truth: &TruthIndex,
    target: NodeId,
    scores: &[&[f64]],
    ks: &[usize],
    relevant_layer: i8,
    with_agreement: bool,
    keep_top: usize,
) -> TargetOutput {
    let d = graph.degree(target);
    let layers: Vec<i8> = truth.layers_of(graph, target).collect();
    let relations: Vec<Option<Relation>> = (0..d)
        .map(|i| truth.tie_at(graph, target, i).map(|t| t.relation))
        .collect();
    let relevant: Vec<bool> = layers
        .iter()
        .map(|&layer| layer <= relevant_layer)
        .collect();
    let gains: Vec<f64> = layers
        .iter()
        .map(|&layer| layer_gain(layer, relevant_layer))
        .collect();
    let mut ideal = gains.clone();
    ideal.sort_unstable_by(|a, b| b.total_cmp(a));
    let total_relevant = relevant.iter().filter(|&&r| r).count();
    let mut relevant_by_relation = [0usize; Relation::ALL.len()];
    for (r, rel) in relevant.iter().zip(&relations) {
        if let (true, Some(rel)) = (r, rel) {
            relevant_by_relation[rel.index()] += 1;
        }
    }

    // Friends per planted layer 1..=7 (7: no truth row), for the per-layer recall.
    let mut per_layer = [0usize; OUTSIDE_LAYERS as usize + 2];
    for &layer in &layers {
        per_layer[layer as usize] += 1;
    }
    let mut kept_top = Vec::with_capacity(scores.len());
    let mut values = Vec::new();
    let mut tops: Vec<Vec<Vec<u32>>> = Vec::with_capacity(scores.len());
    let mut order = Vec::with_capacity(d);
    for (h, s) in scores.iter().enumerate() {
        rank_positions(s, &mut order);
        kept_top.push(
            order
                .iter()
                .take(keep_top)
                .map(|&i| (i, s[i as usize]))
                .collect::<Vec<_>>(),
        );
        let ranked_relevant: Vec<bool> = order.iter().map(|&i| relevant[i as usize]).collect();
        let ranked_gains: Vec<f64> = order.iter().map(|&i| gains[i as usize]).collect();
        let mut push = |metric, k: Option<usize>, stratum, value: Option<f64>| {
            if let Some(value) = value {
                values.push(Value {
                    heuristic: h,
                    metric,
                    k: k.map(|k| k as u32),
                    stratum,
                    value,
                });
            }
        };
        let mut top_sets = Vec::with_capacity(ks.len());
        for &k in ks {
            let all = Stratum::All;
            push(
                Metric::Precision,
                Some(k),
                all,
                precision_at_k(&ranked_relevant, k),
            );
            push(
                Metric::Recall,
                Some(k),
                all,
                recall_at_k(&ranked_relevant, k, total_relevant),
            );
            push(
                Metric::Ndcg,
                Some(k),
                all,
                ndcg_at_k(&ranked_gains, &ideal, k),
            );
            push(
                Metric::Exposure,
                Some(k),
                all,
                Some(exposure_at_k(&ranked_relevant, k) as f64),
            );
            debug_assert_eq!(
                exposure_at_k(&ranked_relevant, k) + hits_at_k(&ranked_relevant, k),
                k.min(d)
            );
            let top = &order[..k.min(d)];
            let mut found = [0usize; Relation::ALL.len()];
            let mut exposed = [0usize; Relation::ALL.len()];
            for &i in top {
                if let Some(rel) = relations[i as usize] {
                    if relevant[i as usize] {
                        found[rel.index()] += 1;
                    } else {
                        exposed[rel.index()] += 1;
                    }
                }
            }
            for rel in Relation::ALL {
                let stratum = Stratum::Relation(*rel);
                let r = rel.index();
                let recall = (relevant_by_relation[r] > 0)
                    .then(|| found[r] as f64 / relevant_by_relation[r] as f64);
                push(Metric::Recall, Some(k), stratum, recall);
                push(Metric::Exposure, Some(k), stratum, Some(exposed[r] as f64));
            }
            let mut selected_by_layer = [0usize; OUTSIDE_LAYERS as usize + 2];
            for &i in top {
                selected_by_layer[layers[i as usize] as usize] += 1;
            }
            for (layer, (&n, &selected)) in per_layer.iter().zip(&selected_by_layer).enumerate() {
                if layer > 0 && n > 0 {
                    push(
                        Metric::Recall,
                        Some(k),
                        Stratum::Layer(layer as i8),
                        Some(selected as f64 / n as f64),
                    );
                }
            }
            if with_agreement {
                let mut set = top.to_vec();
                set.sort_unstable();
                top_sets.push(set);
            }
        }
        push(
            Metric::AveragePrecision,
            None,
            Stratum::All,
            average_precision(&ranked_relevant),
        );
        push(Metric::Auc, None, Stratum::All, auc(s, &relevant));
        tops.push(top_sets);
    }

    let mut agreement = Vec::new();
    if with_agreement {
        for a in 0..scores.len() {
            for b in a + 1..scores.len() {
                if let Some(value) = kendall_tau_b(scores[a], scores[b]) {
                    agreement.push(Agreement {
                        a,
                        b,
                        measure: AgreementMeasure::KendallTauB,
                        k: None,
                        value,
                    });
                }
                for (ki, &k) in ks.iter().enumerate() {
                    agreement.push(Agreement {
                        a,
                        b,
                        measure: AgreementMeasure::Jaccard,
                        k: Some(k as u32),
                        value: jaccard_sorted(&tops[a][ki], &tops[b][ki]),
                    });
                }
            }
        }
    }
    TargetOutput {
        values,
        agreement,
        top: kept_top,
    }
}

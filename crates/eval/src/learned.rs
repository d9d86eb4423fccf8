//! A learned combination of heuristics, usable by `rank` as the heuristic `learned`: either
//! gradient-boosted trees ([`ModelKind::Gbt`], the default, [`crate::gbt`]) or L2-regularised
//! logistic regression ([`ModelKind::Logistic`], kept for its readable coefficients), over
//! per-target normalised heuristic scores, tie features and per-ego ranks.
//!
//! # Features
//! For a target `u` and friend `v`, the base features are
//! - every component heuristic's score, min–max normalised over `u`'s friends
//!   (`(s − min) / (max − min)`, 0 when all of `u`'s friends score alike), so that scales as
//!   different as days, event counts and fractions become comparable, exactly as `combo`
//!   does;
//! - tie features ([`TieFeatureSet`]): `log1p` of both degrees, of the tie weight, of the
//!   event count per channel in each direction, of the active days and active weeks in each
//!   direction, of the span (first to last event) and of the recency (last event to the
//!   window end) in days in each direction, and the number of channels used in each
//!   direction;
//! - with [`LearnedOptions::ego_ranks`], then, for every base feature, `v`'s rank within
//!   `u`'s friends: `(#less + (#equal − 1)/2) / (d − 1)` in `[0, 1]` (0.5 when `u` has one
//!   friend), so that "the most-called of this person's friends" is one value whatever the
//!   person's overall volume.
//!
//! Non-finite feature values become 0.
//!
//! # Logistic model
//! Each feature is standardised with the training mean and standard deviation (a constant
//! feature keeps standard deviation 1 and gets coefficient 0), and
//! `P(relevant) = σ(b + Σ_j β_j z_j)`. The fit minimises the mean log loss plus
//! `(λ/2) ||β||²` (the intercept is not penalised) by Newton's method (IRLS) with step
//! halving and a fixed iteration budget, summing in a fixed order so that the same data give
//! the same bits at any thread count.
//!
//! The [`LearnedHeuristic`] scores a friend by the predicted log-odds, which ranks like the
//! probability but keeps resolution at the extremes. The [`Calibrator`] stored with the model
//! maps that score to an empirical probability of being relevant, fitted on the training
//! targets.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tierank_format::Channel;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{
    CostClass, Heuristic, HeuristicConfig, Needs, Scratch, build, pair_weight,
};

use crate::EvalError;
use crate::gbt::{GbtModel, GbtParams};
use crate::truth::TruthIndex;

/// Name of the learned heuristic on the command line.
pub const LEARNED: &str = "learned";
/// Version of the model file layout (2: model kinds, ego ranks, temporal tie features).
pub const MODEL_FORMAT: u32 = 2;
/// Default L2 penalty on the standardised coefficients.
pub const DEFAULT_L2: f64 = 1e-3;
/// Default Newton iteration budget; IRLS converges in well under 20 on tie data.
pub const DEFAULT_MAX_ITERATIONS: usize = 30;
/// Rows per partial sum: fixed, so the order of floating-point sums never depends on
/// thread count.
const CHUNK_ROWS: usize = 2048;
/// Upper bound of tie features (2 degrees + weight + 2 × 6 channels + 2 × (days, weeks, span,
/// recency, channel count)).
const MAX_TIE_FEATURES: usize = 25;

/// Which model a [`LearnedModel`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// L2-regularised logistic regression: one readable coefficient per feature.
    Logistic,
    /// Gradient-boosted trees ([`crate::gbt`]): non-linear, the more precise default.
    #[default]
    Gbt,
}

impl ModelKind {
    /// The name on the command line and in the model file.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Logistic => "logistic",
            ModelKind::Gbt => "gbt",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "logistic" => Ok(ModelKind::Logistic),
            "gbt" => Ok(ModelKind::Gbt),
            other => Err(format!("unknown model kind '{other}' (logistic or gbt)")),
        }
    }
}

/// Which tie features a model uses, by the input they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieFeatureSet {
    /// `log1p` of the target's and of the friend's degree.
    Topology,
    /// Topology, plus `log1p` of the tie weight (user weight, or channel-weighted volume in
    /// both directions).
    Weights,
    /// Weights, plus per-channel event counts, active days and weeks, span and recency in
    /// each direction and the number of channels used in each direction.
    Events,
}

impl TieFeatureSet {
    /// The richest set the graph supports.
    pub fn for_graph(graph: &Graph) -> Self {
        if graph.interactions().is_some() {
            TieFeatureSet::Events
        } else if graph.weights().is_some() {
            TieFeatureSet::Weights
        } else {
            TieFeatureSet::Topology
        }
    }

    /// What input the set needs.
    pub fn needs(self) -> Needs {
        match self {
            TieFeatureSet::Topology => Needs::Topology,
            TieFeatureSet::Weights => Needs::Weights,
            TieFeatureSet::Events => Needs::Events,
        }
    }

    /// The features' names, in model order.
    pub fn names(self) -> Vec<String> {
        let mut names = vec![
            "log1p_target_degree".to_owned(),
            "log1p_friend_degree".to_owned(),
        ];
        if self >= TieFeatureSet::Weights {
            names.push("log1p_weight".to_owned());
        }
        if self >= TieFeatureSet::Events {
            for c in Channel::ALL {
                names.push(format!("log1p_out_{c}"));
                names.push(format!("log1p_in_{c}"));
            }
            for n in [
                "log1p_out_active_days",
                "log1p_in_active_days",
                "out_channels",
                "in_channels",
                "log1p_out_active_weeks",
                "log1p_in_active_weeks",
                "log1p_out_span_days",
                "log1p_in_span_days",
                "log1p_out_recency_days",
                "log1p_in_recency_days",
            ] {
                names.push(n.to_owned());
            }
        }
        names
    }

    /// Writes the features of the `i`-th friend of `target` into `out[..names().len()]`.
    fn compute(
        self,
        graph: &Graph,
        config: &HeuristicConfig,
        target: NodeId,
        i: usize,
        out: &mut [f64; MAX_TIE_FEATURES],
    ) {
        let v = graph.neighbors(target)[i];
        out[0] = (graph.degree(target) as f64).ln_1p();
        out[1] = (graph.degree(v) as f64).ln_1p();
        if self < TieFeatureSet::Weights {
            return;
        }
        let slot = graph.csr().slots(target).start + i;
        out[2] = pair_weight(graph, config, target, slot).ln_1p();
        if self < TieFeatureSet::Events {
            return;
        }
        let inter = graph.interactions();
        let sent = inter.and_then(|x| x.tie(target, v));
        let received = inter.and_then(|x| x.tie(v, target));
        for c in Channel::ALL {
            let count = |t: &Option<tierank_graph::TieActivity<'_>>| {
                t.as_ref()
                    .and_then(|t| t.channel(*c))
                    .map_or(0.0, |s| f64::from(s.count))
            };
            out[3 + 2 * c.index()] = count(&sent).ln_1p();
            out[4 + 2 * c.index()] = count(&received).ln_1p();
        }
        let base = 3 + 2 * Channel::ALL.len();
        out[base] = sent
            .map_or(0.0, |t| f64::from(t.summary.active_days))
            .ln_1p();
        out[base + 1] = received
            .map_or(0.0, |t| f64::from(t.summary.active_days))
            .ln_1p();
        out[base + 2] = sent.map_or(0.0, |t| f64::from(t.summary.channels_used()));
        out[base + 3] = received.map_or(0.0, |t| f64::from(t.summary.channels_used()));
        out[base + 4] = sent
            .map_or(0.0, |t| f64::from(t.summary.active_weeks))
            .ln_1p();
        out[base + 5] = received
            .map_or(0.0, |t| f64::from(t.summary.active_weeks))
            .ln_1p();
        // Span and recency in days; a direction without events has span 0 and the whole
        // window as recency.
        let window_days = inter.map_or(0.0, |x| {
            (x.window().end_ms - x.window().start_ms).max(0) as f64 / 86_400_000.0
        });
        let span_recency = |t: &Option<tierank_graph::TieActivity<'_>>| match t {
            Some(t) if !t.channels.is_empty() => {
                let first = t.channels.iter().map(|c| c.first_s).min().unwrap_or(0);
                let last = t.channels.iter().map(|c| c.last_s).max().unwrap_or(0);
                let span = f64::from(last.saturating_sub(first)) / 86_400.0;
                let recency = (window_days - f64::from(last) / 86_400.0).max(0.0);
                (span, recency)
            }
            _ => (0.0, window_days),
        };
        let (out_span, out_recency) = span_recency(&sent);
        let (in_span, in_recency) = span_recency(&received);
        out[base + 6] = out_span.ln_1p();
        out[base + 7] = in_span.ln_1p();
        out[base + 8] = out_recency.ln_1p();
        out[base + 9] = in_recency.ln_1p();
    }
}

/// Min–max normalises scores in place over one target's friends; all equal → all 0.
fn min_max(scores: &mut [f64]) {
    let (lo, hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| {
            (lo.min(s), hi.max(s))
        });
    let span = hi - lo;
    for s in scores.iter_mut() {
        *s = if span > 0.0 && span.is_finite() {
            (*s - lo) / span
        } else {
            0.0
        };
    }
}

/// A monotone map from a score to the probability that the friend is relevant: isotonic
/// regression (pool-adjacent-violators, Ayer et al. 1955) of the relevance labels on the
/// scores of the training examples.
///
/// The fit is a step function over blocks of scores. A score between two blocks gets the
/// lower block's probability, and a score outside the training range the nearest block's:
/// when the estimate decides who sees someone's information, the conservative side is the
/// smaller probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibrator {
    /// Smallest training score of each block, strictly increasing.
    pub block_start: Vec<f64>,
    /// Fraction of relevant examples in each block, non-decreasing.
    pub probability: Vec<f64>,
    /// Training examples per block.
    pub examples: Vec<u64>,
}

impl Calibrator {
    /// Fits the isotonic regression of `labels` on `scores`. Non-finite scores are ignored.
    ///
    /// # Errors
    /// [`EvalError::Training`] when no finite score is given or the lengths differ.
    pub fn fit(scores: &[f64], labels: &[bool]) -> Result<Self, EvalError> {
        if scores.len() != labels.len() {
            return Err(EvalError::Training {
                reason: format!("{} scores for {} labels", scores.len(), labels.len()),
            });
        }
        let mut pairs: Vec<(f64, bool)> = scores
            .iter()
            .copied()
            .zip(labels.iter().copied())
            .filter(|p| p.0.is_finite())
            .collect();
        if pairs.is_empty() {
            return Err(EvalError::Training {
                reason: "no finite score to calibrate".into(),
            });
        }
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        // Groups of equal scores first: (score, positives, examples).
        let mut groups: Vec<(f64, u64, u64)> = Vec::new();
        for (s, y) in pairs {
            match groups.last_mut() {
                Some(last) if last.0 == s => {
                    last.1 += u64::from(y);
                    last.2 += 1;
                }
                _ => groups.push((s, u64::from(y), 1)),
            }
        }
        // Pool adjacent violators: merge while the previous block's rate exceeds the last's.
        let mut blocks: Vec<(f64, u64, u64)> = Vec::with_capacity(groups.len());
        for group in groups {
            blocks.push(group);
            while blocks.len() >= 2 {
                let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
                if (a.1 as f64) * (b.2 as f64) > (b.1 as f64) * (a.2 as f64) {
                    blocks.pop();
                    let last = blocks.last_mut().expect("two blocks");
                    last.1 += b.1;
                    last.2 += b.2;
                } else {
                    break;
                }
            }
        }
        Ok(Self {
            block_start: blocks.iter().map(|b| b.0).collect(),
            probability: blocks.iter().map(|b| b.1 as f64 / b.2 as f64).collect(),
            examples: blocks.iter().map(|b| b.2).collect(),
        })
    }

    /// Fits a calibration of `heuristic` on `targets`: every friend of every target is an
    /// example, relevant when its planted layer is `<= relevant_layer`.
    ///
    /// # Errors
    /// As [`Calibrator::fit`].
    pub fn fit_heuristic(
        graph: &Graph,
        targets: &[NodeId],
        heuristic: &dyn Heuristic,
        truth: &TruthIndex,
        relevant_layer: i8,
    ) -> Result<Self, EvalError> {
        let per_target: Vec<(Vec<f64>, Vec<bool>)> = targets
            .par_iter()
            .map_init(Scratch::new, |scratch, &t| {
                let mut out = Vec::new();
                heuristic.score(graph, t, scratch, &mut out);
                let labels = truth
                    .layers_of(graph, t)
                    .map(|l| l <= relevant_layer)
                    .collect();
                (out, labels)
            })
            .collect();
        let scores: Vec<f64> = per_target
            .iter()
            .flat_map(|p| p.0.iter().copied())
            .collect();
        let labels: Vec<bool> = per_target
            .iter()
            .flat_map(|p| p.1.iter().copied())
            .collect();
        Self::fit(&scores, &labels)
    }

    /// The calibrated probability for `score`: the probability of the last block starting at
    /// or below it (the first block's for a lower score). Monotone non-decreasing, in `[0, 1]`;
    /// NaN maps to the first block.
    pub fn probability(&self, score: f64) -> f64 {
        let i = self.block_start.partition_point(|&s| s <= score);
        self.probability[i.saturating_sub(1)]
    }

    /// The block [`Calibrator::probability`] reads for `score` and its standard error
    /// `sqrt(p̃ (1 − p̃) / (n + 4))`, `n` being that block's training examples and
    /// `p̃ = (n p + 2) / (n + 4)` (Agresti–Coull).
    pub fn block(&self, score: f64) -> (usize, f64) {
        let i = self
            .block_start
            .partition_point(|&s| s <= score)
            .saturating_sub(1);
        // Agresti–Coull: the rate with two successes and two failures added, so that a
        // block of all-close (or no-close) examples still has an error.
        let n = self.examples[i] as f64;
        let p = (self.probability[i] * n + 2.0) / (n + 4.0);
        (i, (p * (1.0 - p) / (n + 4.0)).sqrt())
    }
}

/// Options of [`train_learned`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedOptions {
    /// A friend is a positive example when its planted layer is `<= relevant_layer`.
    pub relevant_layer: i8,
    /// L2 penalty λ on the standardised coefficients.
    pub l2: f64,
    /// Newton iteration budget.
    pub max_iterations: usize,
    /// Stop when no coefficient moves by more than this.
    pub tolerance: f64,
    /// Tie features; `None` picks [`TieFeatureSet::for_graph`].
    pub tie_features: Option<TieFeatureSet>,
    /// Which model to fit.
    pub kind: ModelKind,
    /// Whether to add each friend's rank within the target's friends on every base feature.
    pub ego_ranks: bool,
    /// Hyperparameters of the [`ModelKind::Gbt`] model.
    pub gbt: GbtParams,
}

impl Default for LearnedOptions {
    fn default() -> Self {
        Self {
            relevant_layer: crate::evaluate::DEFAULT_RELEVANT_LAYER,
            l2: DEFAULT_L2,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            tolerance: 1e-8,
            tie_features: None,
            kind: ModelKind::default(),
            ego_ranks: true,
            gbt: GbtParams::default(),
        }
    }
}

/// How a model was trained, for the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Training targets.
    pub targets: usize,
    /// Training examples (friends of the training targets).
    pub examples: usize,
    /// Positive examples.
    pub positives: usize,
    /// "Relevant" layer of the labels.
    pub relevant_layer: i8,
    /// L2 penalty (on coefficients for logistic, on leaf values for GBT).
    pub l2: f64,
    /// Newton iterations run (logistic) or boosting rounds (GBT).
    pub iterations: usize,
    /// Whether the fit met the tolerance within the budget (always true for GBT, which runs
    /// a fixed number of rounds).
    pub converged: bool,
    /// Mean log loss on the training examples at the end.
    pub log_loss: f64,
}

/// A trained model, saved as JSON and loaded by `rank --heuristics learned --model FILE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedModel {
    /// [`MODEL_FORMAT`].
    pub format: u32,
    /// Which model this is.
    pub kind: ModelKind,
    /// Component heuristics, by command-line name, in feature order.
    pub components: Vec<String>,
    /// The configuration the components are built with.
    pub config: HeuristicConfig,
    /// Which tie features follow the components.
    pub tie_features: TieFeatureSet,
    /// Whether per-ego rank features follow the base features.
    pub ego_ranks: bool,
    /// All feature names: `score:NAME` for each component, then the tie features, then (with
    /// `ego_ranks`) `rank:NAME` for each of those.
    pub feature_names: Vec<String>,
    /// Logistic: training mean of each feature (empty for GBT).
    pub means: Vec<f64>,
    /// Logistic: training standard deviation of each feature, 1 for a constant feature
    /// (empty for GBT).
    pub stds: Vec<f64>,
    /// Logistic: coefficient of each standardised feature (empty for GBT).
    pub coefficients: Vec<f64>,
    /// Logistic: intercept (0 for GBT).
    pub intercept: f64,
    /// GBT: the trees and hyperparameters (absent for logistic).
    pub gbt: Option<GbtModel>,
    /// Training metadata.
    pub training: TrainingInfo,
    /// Score-to-probability map fitted on the training targets.
    pub calibration: Calibrator,
}

impl LearnedModel {
    /// The expected feature names of a model with these components and tie features.
    fn expected_names(components: &[String], set: TieFeatureSet, ego_ranks: bool) -> Vec<String> {
        let base: Vec<String> = components
            .iter()
            .map(|c| format!("score:{c}"))
            .chain(set.names())
            .collect();
        let ranks: Vec<String> = if ego_ranks {
            base.iter().map(|n| format!("rank:{n}")).collect()
        } else {
            Vec::new()
        };
        base.into_iter().chain(ranks).collect()
    }

    /// Checks the model's internal consistency.
    ///
    /// # Errors
    /// [`EvalError::Model`] naming the first inconsistency (`path` empty).
    pub fn validate(&self) -> Result<(), EvalError> {
        let bad = |reason: String| {
            Err(EvalError::Model {
                path: PathBuf::new(),
                reason,
            })
        };
        if self.format != MODEL_FORMAT {
            return bad(format!(
                "format {} is not {MODEL_FORMAT} (retrain it with this version's tierank compare)",
                self.format
            ));
        }
        if self.feature_names
            != Self::expected_names(&self.components, self.tie_features, self.ego_ranks)
        {
            return bad("feature names do not match the components and tie features".into());
        }
        let p = self.feature_names.len();
        match (self.kind, &self.gbt) {
            (ModelKind::Logistic, None) => {
                if self.means.len() != p || self.stds.len() != p || self.coefficients.len() != p {
                    return bad(format!("{p} features but other lengths differ"));
                }
            }
            (ModelKind::Gbt, Some(gbt)) => {
                if !(self.means.is_empty() && self.stds.is_empty() && self.coefficients.is_empty())
                    || self.intercept != 0.0
                {
                    return bad("a GBT model has no means, stds, coefficients or intercept".into());
                }
                if let Err(reason) = gbt.check(p) {
                    return bad(reason);
                }
            }
            (kind, _) => {
                return bad(format!(
                    "a {kind} model must have trees exactly when it is gbt"
                ));
            }
        }
        if self.components.iter().any(|c| c == LEARNED) {
            return bad("a learned model cannot contain 'learned'".into());
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !finite(&self.means)
            || !finite(&self.coefficients)
            || !self.intercept.is_finite()
            || self.stds.iter().any(|s| !(s.is_finite() && *s > 0.0))
        {
            return bad("means, coefficients and intercept must be finite, stds positive".into());
        }
        let c = &self.calibration;
        if c.block_start.is_empty()
            || c.block_start.len() != c.probability.len()
            || c.examples.len() != c.probability.len()
            || c.block_start
                .windows(2)
                .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
            || c.probability.windows(2).any(|w| w[0] > w[1])
            || c.probability.iter().any(|p| !(0.0..=1.0).contains(p))
        {
            return bad("calibration is not a monotone map into [0, 1]".into());
        }
        Ok(())
    }

    /// `(feature name, coefficient)`, in feature order: the effect on the log-odds of one
    /// standard deviation of the feature.
    pub fn coefficient_table(&self) -> Vec<(&str, f64)> {
        self.feature_names
            .iter()
            .map(String::as_str)
            .zip(self.coefficients.iter().copied())
            .collect()
    }

    /// `(feature name, weight)`, in feature order: the logistic coefficient, or the GBT
    /// feature's share of the total split gain.
    pub fn feature_table(&self) -> Vec<(&str, f64)> {
        match &self.gbt {
            Some(gbt) => self
                .feature_names
                .iter()
                .map(String::as_str)
                .zip(gbt.importance.iter().copied())
                .collect(),
            None => self.coefficient_table(),
        }
    }

    /// The predicted log-odds of one raw (unstandardised) feature row.
    pub fn log_odds(&self, raw: &[f64]) -> f64 {
        if let Some(gbt) = &self.gbt {
            return gbt.log_odds(raw);
        }
        let mut sum = 0.0;
        for ((x, (m, s)), b) in raw
            .iter()
            .zip(self.means.iter().zip(&self.stds))
            .zip(&self.coefficients)
        {
            sum += b * ((x - m) / s);
        }
        self.intercept + sum
    }

    /// The logistic function: log-odds to probability.
    pub fn probability(log_odds: f64) -> f64 {
        1.0 / (1.0 + (-log_odds).exp())
    }

    /// Serialises to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a model always serialises")
    }

    /// Parses and validates JSON.
    ///
    /// # Errors
    /// [`EvalError::Model`] for invalid JSON or an inconsistent model.
    pub fn from_json(text: &str) -> Result<Self, EvalError> {
        let model: Self = serde_json::from_str(text).map_err(|e| EvalError::Model {
            path: PathBuf::new(),
            reason: e.to_string(),
        })?;
        model.validate()?;
        Ok(model)
    }

    /// Writes the model file atomically.
    ///
    /// # Errors
    /// [`EvalError::Format`] on I/O failure.
    pub fn save(&self, path: &Path) -> Result<(), EvalError> {
        let text = self.to_json();
        tierank_format::atomic::write_file_atomically(path, |f| {
            use std::io::Write;
            f.write_all(text.as_bytes()).map_err(|e| EvalError::Io {
                path: path.to_owned(),
                source: e,
            })
        })
    }

    /// Reads and validates a model file.
    ///
    /// # Errors
    /// [`EvalError::Io`] when unreadable, [`EvalError::Model`] (naming the file) when invalid.
    pub fn load(path: &Path) -> Result<Self, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|e| EvalError::Io {
            path: path.to_owned(),
            source: e,
        })?;
        Self::from_json(&text).map_err(|e| match e {
            EvalError::Model { reason, .. } => EvalError::Model {
                path: path.to_owned(),
                reason,
            },
            other => other,
        })
    }
}

/// Writes the raw feature rows of `target` (row-major, `degree × p`) into `rows`: the base
/// features, then with `ego_ranks` the rank of each within the target's friends.
#[allow(clippy::too_many_arguments)]
fn target_features(
    graph: &Graph,
    target: NodeId,
    components: &[Box<dyn Heuristic>],
    set: TieFeatureSet,
    ego_ranks: bool,
    config: &HeuristicConfig,
    scratch: &mut Scratch,
    rows: &mut Vec<f64>,
) {
    let d = graph.degree(target);
    let tie_count = set.names().len();
    let base = components.len() + tie_count;
    let p = if ego_ranks { 2 * base } else { base };
    rows.clear();
    rows.resize(d * p, 0.0);
    let mut part = Vec::with_capacity(d);
    for (j, h) in components.iter().enumerate() {
        h.score(graph, target, scratch, &mut part);
        min_max(&mut part);
        for (i, &x) in part.iter().enumerate() {
            rows[i * p + j] = x;
        }
    }
    let mut tie = [0.0; MAX_TIE_FEATURES];
    for i in 0..d {
        set.compute(graph, config, target, i, &mut tie);
        rows[i * p + components.len()..i * p + base].copy_from_slice(&tie[..tie_count]);
    }
    for v in rows.iter_mut() {
        if !v.is_finite() {
            *v = 0.0;
        }
    }
    if ego_ranks {
        let mut order: Vec<usize> = Vec::with_capacity(d);
        for j in 0..base {
            order.clear();
            order.extend(0..d);
            order.sort_unstable_by(|&a, &b| rows[a * p + j].total_cmp(&rows[b * p + j]));
            let mut start = 0;
            while start < d {
                let value = rows[order[start] * p + j];
                let mut end = start + 1;
                while end < d && rows[order[end] * p + j] == value {
                    end += 1;
                }
                // Mid-rank of the tied group, from integers: exact.
                let rank = if d > 1 {
                    (2 * start + (end - start) - 1) as f64 / (2 * (d - 1)) as f64
                } else {
                    0.5
                };
                for &i in &order[start..end] {
                    rows[i * p + base + j] = rank;
                }
                start = end;
            }
        }
    }
}

/// Trains a [`LearnedModel`] on the friends of `train_targets`.
///
/// Evaluate it on targets disjoint from `train_targets` (see
/// [`crate::sample::split_train_test`]), so that nothing leaks from training into the
/// reported numbers.
///
/// Memory: `8 · examples · features` bytes for the design matrix.
///
/// # Errors
/// [`EvalError::Heuristic`] when a component cannot be built for `graph`,
/// [`EvalError::InvalidOption`] for bad options, [`EvalError::Training`] when the training
/// friends are all relevant or all not relevant.
pub fn train_learned(
    graph: &Graph,
    train_targets: &[NodeId],
    components: &[String],
    config: &HeuristicConfig,
    truth: &TruthIndex,
    options: &LearnedOptions,
) -> Result<LearnedModel, EvalError> {
    train_learned_cancellable(
        graph,
        train_targets,
        components,
        config,
        truth,
        options,
        None,
    )
}

/// [`train_learned`], stopping with [`EvalError::Cancelled`] soon after `cancel` is set:
/// the flag is read before each training target's features and before each boosting round,
/// so a Ctrl-C during a long training (every component scored for every training target,
/// then up to `rounds` trees) does not wait for its end.
///
/// # Errors
/// As [`train_learned`]; [`EvalError::Cancelled`].
pub fn train_learned_cancellable(
    graph: &Graph,
    train_targets: &[NodeId],
    components: &[String],
    config: &HeuristicConfig,
    truth: &TruthIndex,
    options: &LearnedOptions,
    cancel: Option<&AtomicBool>,
) -> Result<LearnedModel, EvalError> {
    let cancelled = || cancel.is_some_and(|flag| flag.load(Ordering::Relaxed));
    if !(1..tierank_format::schema::OUTSIDE_LAYERS).contains(&options.relevant_layer) {
        return Err(EvalError::InvalidOption {
            name: "relevant_layer",
            reason: format!("{} is not in 1..=5", options.relevant_layer),
        });
    }
    if !(options.l2.is_finite() && options.l2 >= 0.0) {
        return Err(EvalError::InvalidOption {
            name: "l2",
            reason: format!("{} is not >= 0", options.l2),
        });
    }
    if components.iter().any(|c| c == LEARNED) {
        return Err(EvalError::InvalidOption {
            name: "components",
            reason: "a learned model cannot contain 'learned'".into(),
        });
    }
    let built: Vec<Box<dyn Heuristic>> = components
        .iter()
        .map(|name| build(name, config, graph))
        .collect::<Result<_, _>>()?;
    let set = options
        .tie_features
        .unwrap_or_else(|| TieFeatureSet::for_graph(graph));
    if !set.needs().satisfied_by(graph) {
        return Err(EvalError::InvalidOption {
            name: "tie_features",
            reason: format!("{set:?} features need input this graph does not have"),
        });
    }
    if options.kind == ModelKind::Gbt
        && let Err(reason) = options.gbt.check()
    {
        return Err(EvalError::InvalidOption {
            name: "gbt",
            reason,
        });
    }
    let feature_names = LearnedModel::expected_names(components, set, options.ego_ranks);
    let p = feature_names.len();

    let per_target: Vec<(Vec<f64>, Vec<bool>)> = train_targets
        .par_iter()
        .map_init(Scratch::new, |scratch, &t| {
            let mut rows = Vec::new();
            if cancelled() {
                return (rows, Vec::new());
            }
            target_features(
                graph,
                t,
                &built,
                set,
                options.ego_ranks,
                config,
                scratch,
                &mut rows,
            );
            let labels = truth
                .layers_of(graph, t)
                .map(|l| l <= options.relevant_layer)
                .collect();
            (rows, labels)
        })
        .collect();
    if cancelled() {
        return Err(EvalError::Cancelled);
    }
    let mut x: Vec<f64> = Vec::with_capacity(per_target.iter().map(|r| r.0.len()).sum());
    let mut y: Vec<f64> = Vec::new();
    for (rows, labels) in per_target {
        x.extend(rows);
        y.extend(labels.iter().map(|&l| f64::from(u8::from(l))));
    }
    let n = y.len();
    let positives = y.iter().filter(|&&v| v > 0.5).count();
    if positives == 0 || positives == n {
        return Err(EvalError::Training {
            reason: format!("{positives} of {n} training friends are relevant: need both classes"),
        });
    }

    if options.kind == ModelKind::Gbt {
        let fit = crate::gbt::train_gbt(&x, &y, p, &options.gbt, cancel);
        if cancelled() {
            return Err(EvalError::Cancelled);
        }
        log::info!(
            "learned (gbt): {n} examples ({positives} relevant), {p} features, {} trees, log loss {:.4}",
            fit.model.trees.len(),
            fit.log_loss
        );
        let mut model = LearnedModel {
            format: MODEL_FORMAT,
            kind: ModelKind::Gbt,
            components: components.to_vec(),
            config: config.clone(),
            tie_features: set,
            ego_ranks: options.ego_ranks,
            feature_names,
            means: Vec::new(),
            stds: Vec::new(),
            coefficients: Vec::new(),
            intercept: 0.0,
            gbt: Some(fit.model),
            training: TrainingInfo {
                targets: train_targets.len(),
                examples: n,
                positives,
                relevant_layer: options.relevant_layer,
                l2: options.gbt.l2,
                iterations: options.gbt.rounds,
                converged: true,
                log_loss: fit.log_loss,
            },
            calibration: Calibrator {
                block_start: Vec::new(),
                probability: Vec::new(),
                examples: Vec::new(),
            },
        };
        let labels: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
        let scores: Vec<f64> = x
            .par_chunks(p * CHUNK_ROWS)
            .flat_map_iter(|c| c.chunks_exact(p).map(|row| model.log_odds(row)))
            .collect();
        model.calibration = Calibrator::fit(&scores, &labels)?;
        model.validate()?;
        return Ok(model);
    }

    // Standardise in place.
    let mut means = vec![0.0; p];
    let mut stds = vec![0.0; p];
    for row in x.chunks_exact(p) {
        for (m, v) in means.iter_mut().zip(row) {
            *m += v;
        }
    }
    means.iter_mut().for_each(|m| *m /= n as f64);
    for row in x.chunks_exact(p) {
        for ((s, v), m) in stds.iter_mut().zip(row).zip(&means) {
            *s += (v - m) * (v - m);
        }
    }
    for s in &mut stds {
        *s = (*s / n as f64).sqrt();
        if s.is_nan() || *s <= 1e-12 {
            *s = 1.0;
        }
    }
    for row in x.chunks_exact_mut(p) {
        for ((v, m), s) in row.iter_mut().zip(&means).zip(&stds) {
            *v = (*v - m) / s;
        }
    }

    let fit = newton_logistic(
        &x,
        &y,
        p,
        options.l2,
        options.max_iterations,
        options.tolerance,
    );
    log::info!(
        "learned: {n} examples ({positives} relevant), {p} features, {} iterations, log loss {:.4}",
        fit.iterations,
        fit.log_loss
    );
    let mut model = LearnedModel {
        format: MODEL_FORMAT,
        kind: ModelKind::Logistic,
        components: components.to_vec(),
        config: config.clone(),
        tie_features: set,
        ego_ranks: options.ego_ranks,
        feature_names,
        means,
        stds,
        coefficients: fit.beta[1..].to_vec(),
        intercept: fit.beta[0],
        gbt: None,
        training: TrainingInfo {
            targets: train_targets.len(),
            examples: n,
            positives,
            relevant_layer: options.relevant_layer,
            l2: options.l2,
            iterations: fit.iterations,
            converged: fit.converged,
            log_loss: fit.log_loss,
        },
        calibration: Calibrator {
            block_start: Vec::new(),
            probability: Vec::new(),
            examples: Vec::new(),
        },
    };
    let labels: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
    let scores: Vec<f64> = x.chunks_exact(p).map(|z| linear(&fit.beta, z)).collect();
    model.calibration = Calibrator::fit(&scores, &labels)?;
    model.validate()?;
    Ok(model)
}

/// `β_0 + Σ β_j z_j`.
#[inline]
fn linear(beta: &[f64], z: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (b, v) in beta[1..].iter().zip(z) {
        sum += b * v;
    }
    beta[0] + sum
}

/// Numerically stable `log(1 + e^t)`.
#[inline]
fn softplus(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

struct Fit {
    beta: Vec<f64>,
    iterations: usize,
    converged: bool,
    log_loss: f64,
}

/// Objective: mean log loss plus `(λ/2) Σ_{j≥1} β_j²`.
fn objective(x: &[f64], y: &[f64], p: usize, beta: &[f64], l2: f64) -> (f64, f64) {
    let partial: Vec<f64> = x
        .par_chunks(CHUNK_ROWS * p)
        .zip(y.par_chunks(CHUNK_ROWS))
        .map(|(xc, yc)| {
            xc.chunks_exact(p)
                .zip(yc)
                .map(|(z, &t)| softplus(linear(beta, z)) - t * linear(beta, z))
                .sum::<f64>()
        })
        .collect();
    let loss = partial.iter().sum::<f64>() / y.len() as f64;
    let penalty = 0.5 * l2 * beta[1..].iter().map(|b| b * b).sum::<f64>();
    (loss + penalty, loss)
}

/// Newton–Raphson (IRLS) for L2-regularised logistic regression on standardised rows, with
/// an intercept in `beta[0]` and step halving when a full step does not lower the objective.
fn newton_logistic(x: &[f64], y: &[f64], p: usize, l2: f64, max_iter: usize, tol: f64) -> Fit {
    let q = p + 1;
    let n = y.len() as f64;
    let mut beta = vec![0.0; q];
    // Start the intercept at the base rate's log-odds.
    let rate = y.iter().sum::<f64>() / n;
    beta[0] = (rate / (1.0 - rate)).ln();
    let (mut current, mut loss) = objective(x, y, p, &beta, l2);
    let (mut iterations, mut converged) = (0, false);
    while iterations < max_iter {
        iterations += 1;
        // Gradient and Hessian, summed per fixed chunk, then in chunk order.
        let partial: Vec<(Vec<f64>, Vec<f64>)> = x
            .par_chunks(CHUNK_ROWS * p)
            .zip(y.par_chunks(CHUNK_ROWS))
            .map(|(xc, yc)| {
                let mut g = vec![0.0; q];
                let mut h = vec![0.0; q * q];
                let mut row = vec![1.0; q];
                for (z, &t) in xc.chunks_exact(p).zip(yc) {
                    row[1..].copy_from_slice(z);
                    let mu = LearnedModel::probability(linear(&beta, z));
                    let w = mu * (1.0 - mu);
                    for a in 0..q {
                        g[a] += (mu - t) * row[a];
                        let wa = w * row[a];
                        for b in a..q {
                            h[a * q + b] += wa * row[b];
                        }
                    }
                }
                (g, h)
            })
            .collect();
        let mut g = vec![0.0; q];
        let mut h = vec![0.0; q * q];
        for (pg, ph) in &partial {
            g.iter_mut().zip(pg).for_each(|(a, b)| *a += b / n);
            h.iter_mut().zip(ph).for_each(|(a, b)| *a += b / n);
        }
        for a in 0..q {
            for b in 0..a {
                h[a * q + b] = h[b * q + a];
            }
            if a > 0 {
                g[a] += l2 * beta[a];
                h[a * q + a] += l2;
            }
            // A tiny ridge keeps the system solvable when features are collinear.
            h[a * q + a] += 1e-10;
        }
        let Some(step) = solve_spd(&h, &g, q) else {
            log::warn!(
                "learned: Hessian not positive definite; stopping at iteration {iterations}"
            );
            break;
        };
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - scale * s).collect();
            let (value, trial_loss) = objective(x, y, p, &trial, l2);
            if value <= current {
                beta = trial;
                current = value;
                loss = trial_loss;
                accepted = true;
                break;
            }
            scale *= 0.5;
        }
        let largest = step.iter().fold(0.0f64, |m, s| m.max((scale * s).abs()));
        if !accepted || largest < tol {
            converged = true;
            break;
        }
    }
    Fit {
        beta,
        iterations,
        converged,
        log_loss: loss,
    }
}

/// Solves `A x = b` for a symmetric positive definite `A` (`q × q`, row-major) by Cholesky.
fn solve_spd(a: &[f64], b: &[f64], q: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; q * q];
    for i in 0..q {
        for j in 0..=i {
            let s: f64 = a[i * q + j] - (0..j).map(|k| l[i * q + k] * l[j * q + k]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    return None;
                }
                l[i * q + i] = s.sqrt();
            } else {
                l[i * q + j] = s / l[j * q + j];
            }
        }
    }
    let mut z = vec![0.0; q];
    for i in 0..q {
        z[i] = (b[i] - (0..i).map(|k| l[i * q + k] * z[k]).sum::<f64>()) / l[i * q + i];
    }
    let mut x = vec![0.0; q];
    for i in (0..q).rev() {
        x[i] = (z[i] - (i + 1..q).map(|k| l[k * q + i] * x[k]).sum::<f64>()) / l[i * q + i];
    }
    Some(x)
}

/// A [`LearnedModel`] as a [`Heuristic`] named `learned`: the score of a friend is the
/// model's predicted log-odds that the friend is relevant.
///
/// The registry of `tierank-heuristics` cannot build it (the model lives in this crate and
/// comes from a file), so the CLI builds it with [`LearnedHeuristic::from_file`] when
/// `learned` is among the requested heuristics, and passes it alongside the others.
#[derive(Debug)]
pub struct LearnedHeuristic {
    model: LearnedModel,
    components: Vec<Box<dyn Heuristic>>,
    needs: Needs,
    cost: CostClass,
}

impl LearnedHeuristic {
    /// Builds the model's components (with the model's own configuration, so they score as
    /// they did in training) and checks that `graph` has the input they need.
    ///
    /// # Errors
    /// [`EvalError::Model`] for an inconsistent model, [`EvalError::Heuristic`] when a
    /// component is unknown or unsupported by `graph`, [`EvalError::InvalidOption`] when the
    /// graph lacks the tie features' input.
    pub fn new(model: LearnedModel, graph: &Graph) -> Result<Self, EvalError> {
        model.validate()?;
        let components: Vec<Box<dyn Heuristic>> = model
            .components
            .iter()
            .map(|name| build(name, &model.config, graph))
            .collect::<Result<_, _>>()?;
        if !model.tie_features.needs().satisfied_by(graph) {
            return Err(EvalError::InvalidOption {
                name: "model",
                reason: format!(
                    "the model uses {:?} tie features, which this dataset cannot provide",
                    model.tie_features
                ),
            });
        }
        let needs = components
            .iter()
            .map(|h| h.needs())
            .chain([model.tie_features.needs()])
            .max()
            .unwrap_or(Needs::Topology);
        let cost = components
            .iter()
            .map(|h| h.cost_class())
            .max()
            .unwrap_or(CostClass::Ego);
        Ok(Self {
            model,
            components,
            needs,
            cost,
        })
    }

    /// [`LearnedModel::load`] then [`LearnedHeuristic::new`].
    ///
    /// # Errors
    /// As those two.
    pub fn from_file(path: &Path, graph: &Graph) -> Result<Self, EvalError> {
        Self::new(LearnedModel::load(path)?, graph)
    }

    /// The model.
    pub fn model(&self) -> &LearnedModel {
        &self.model
    }
}

impl Heuristic for LearnedHeuristic {
    fn name(&self) -> &str {
        LEARNED
    }

    fn cost_class(&self) -> CostClass {
        self.cost
    }

    fn needs(&self) -> Needs {
        self.needs
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        let m = &self.model;
        // The same feature rows and the same summation order as training, so scores match
        // the calibration's bit for bit.
        let mut rows = std::mem::take(&mut scratch.learned_part);
        target_features(
            graph,
            target,
            &self.components,
            m.tie_features,
            m.ego_ranks,
            &m.config,
            scratch,
            &mut rows,
        );
        let p = m.feature_names.len();
        out.clear();
        out.extend(rows.chunks_exact(p).map(|row| m.log_odds(row)));
        scratch.learned_part = rows;
    }
}

//! A small deterministic gradient-boosted tree model (histogram GBT with logistic loss), the
//! default kind of the learned heuristic.
//!
//! # Algorithm
//! Friedman's gradient boosting (2001) with second-order leaf values and split gains as in
//! XGBoost (Chen & Guestrin 2016) and LightGBM-style histograms (Ke et al. 2017):
//! - every feature is cut into at most [`GbtParams::max_bins`] bins at thresholds taken from
//!   the sorted training values (every distinct value when there are few, quantiles
//!   otherwise); a split sends `x <= threshold` left, so prediction on raw values agrees with
//!   training on bins;
//! - the model starts from the log-odds of the training base rate; each round computes the
//!   logistic gradient `g = p − y` and Hessian `h = p (1 − p)` of every row, and grows one
//!   tree level by level to [`GbtParams::max_depth`]. A node splits on the (feature,
//!   threshold) of largest gain `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)` when that gain exceeds
//!   [`GbtParams::min_split_gain`] and both children keep a Hessian sum of at least
//!   [`GbtParams::min_child_hessian`]; a leaf's value is `−η G/(H+λ)`.
//!
//! # Determinism
//! The same rows give the same bits at any thread count: a feature's histogram is summed by
//! one worker in row order (workers split features, never rows), node totals are summed in
//! row order, ties between splits go to the lower (feature, bin), and prediction adds the
//! trees' leaf values to the base score in tree order, exactly as training updates the
//! scores. Nothing is sampled at random.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`train_gbt`]; the defaults are documented in `docs/heuristics.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbtParams {
    /// Boosting rounds (trees).
    pub rounds: usize,
    /// Shrinkage η applied to every leaf value.
    pub learning_rate: f64,
    /// Maximum depth of a tree (a depth-`d` tree has at most `2^d` leaves).
    pub max_depth: usize,
    /// Maximum bins per feature (at most 256).
    pub max_bins: usize,
    /// L2 penalty λ on leaf values.
    pub l2: f64,
    /// Smallest Hessian sum a child may have (about `4 ×` this many rows near p = 0.5).
    pub min_child_hessian: f64,
    /// Smallest gain a split must bring.
    pub min_split_gain: f64,
}

impl Default for GbtParams {
    fn default() -> Self {
        Self {
            rounds: 200,
            learning_rate: 0.1,
            max_depth: 4,
            max_bins: 64,
            l2: 1.0,
            min_child_hessian: 2.0,
            min_split_gain: 1e-6,
        }
    }
}

impl GbtParams {
    /// Checks every parameter's range; returns the first problem.
    pub fn check(&self) -> Result<(), String> {
        if self.rounds == 0 || self.rounds > 100_000 {
            return Err(format!("rounds {} is not in 1..=100000", self.rounds));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err(format!(
                "learning_rate {} is not in (0, 1]",
                self.learning_rate
            ));
        }
        if !(1..=12).contains(&self.max_depth) {
            return Err(format!("max_depth {} is not in 1..=12", self.max_depth));
        }
        if !(2..=256).contains(&self.max_bins) {
            return Err(format!("max_bins {} is not in 2..=256", self.max_bins));
        }
        for (name, v) in [
            ("l2", self.l2),
            ("min_child_hessian", self.min_child_hessian),
            ("min_split_gain", self.min_split_gain),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} {v} is not a finite number >= 0"));
            }
        }
        Ok(())
    }
}

/// One regression tree, as parallel arrays over its nodes (node 0 is the root).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Feature of each split node; −1 marks a leaf.
    pub feature: Vec<i32>,
    /// Threshold of each split node (`x <= threshold` goes left); 0 for leaves.
    pub threshold: Vec<f64>,
    /// Left child of each split node (0 for leaves).
    pub left: Vec<u32>,
    /// Right child of each split node (0 for leaves).
    pub right: Vec<u32>,
    /// Value of each leaf (0 for split nodes), shrinkage included.
    pub value: Vec<f64>,
}

impl Tree {
    /// The leaf value `row` falls into. A NaN goes right (it is not `<=` anything).
    pub fn predict(&self, row: &[f64]) -> f64 {
        let mut n = 0usize;
        while self.feature[n] >= 0 {
            let f = self.feature[n] as usize;
            n = if row[f] <= self.threshold[n] {
                self.left[n] as usize
            } else {
                self.right[n] as usize
            };
        }
        self.value[n]
    }

    /// Checks the structure: consistent lengths, features below `features`, children after
    /// their parent (so prediction always ends), finite numbers.
    fn check(&self, features: usize) -> Result<(), String> {
        let n = self.feature.len();
        if n == 0
            || self.threshold.len() != n
            || self.left.len() != n
            || self.right.len() != n
            || self.value.len() != n
        {
            return Err("tree arrays differ in length or are empty".into());
        }
        for i in 0..n {
            let f = self.feature[i];
            if f >= 0 {
                let (l, r) = (self.left[i] as usize, self.right[i] as usize);
                if f as usize >= features || l <= i || r <= i || l >= n || r >= n {
                    return Err(format!("tree node {i} has a bad feature or child"));
                }
                if !self.threshold[i].is_finite() {
                    return Err(format!("tree node {i} has a non-finite threshold"));
                }
            } else if f != -1 || !self.value[i].is_finite() {
                return Err(format!("tree leaf {i} is malformed"));
            }
        }
        Ok(())
    }
}

/// A trained GBT: the base score, the trees, and each feature's share of the total gain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbtModel {
    /// Hyperparameters it was trained with.
    pub params: GbtParams,
    /// Log-odds every prediction starts from (the training base rate's).
    pub base_score: f64,
    /// The trees, in boosting order.
    pub trees: Vec<Tree>,
    /// Per feature: its share of the summed split gain (sums to 1 when any split was made);
    /// an interpretation aid, not used in prediction.
    pub importance: Vec<f64>,
}

impl GbtModel {
    /// Predicted log-odds of one feature row: the base score plus each tree's leaf value, in
    /// tree order (the order training accumulates them in, so the bits agree).
    pub fn log_odds(&self, row: &[f64]) -> f64 {
        let mut f = self.base_score;
        for t in &self.trees {
            f += t.predict(row);
        }
        f
    }

    /// Checks the model against its feature count.
    ///
    /// # Errors
    /// The first inconsistency, in words.
    pub fn check(&self, features: usize) -> Result<(), String> {
        self.params.check()?;
        if !self.base_score.is_finite() {
            return Err("base score is not finite".into());
        }
        if self.importance.len() != features {
            return Err(format!(
                "{} importances for {features} features",
                self.importance.len()
            ));
        }
        for (i, t) in self.trees.iter().enumerate() {
            t.check(features).map_err(|e| format!("tree {i}: {e}"))?;
        }
        Ok(())
    }
}

/// What training reports besides the model.
pub(crate) struct GbtFit {
    pub model: GbtModel,
    /// Mean training log loss after the last round.
    pub log_loss: f64,
}

/// Thresholds of one feature from its training values: every distinct value but the largest
/// when at most `max_bins` are distinct, else the values at the `q / max_bins` quantiles.
fn thresholds(values: &mut [f64], max_bins: usize) -> Vec<f64> {
    values.sort_unstable_by(f64::total_cmp);
    let mut distinct: Vec<f64> = Vec::new();
    for &v in values.iter() {
        if distinct.last() != Some(&v) {
            distinct.push(v);
        }
    }
    let mut cuts = if distinct.len() <= max_bins {
        distinct
    } else {
        let n = values.len();
        let mut cuts: Vec<f64> = (1..max_bins).map(|q| values[q * n / max_bins]).collect();
        cuts.dedup();
        cuts
    };
    // The largest value would put nothing on the right.
    if cuts.last() == values.last() {
        cuts.pop();
    }
    cuts
}

/// Trains a GBT on `x` (row-major, `p` features) and labels `y` (0 or 1, both present).
pub(crate) fn train_gbt(
    x: &[f64],
    y: &[f64],
    p: usize,
    params: &GbtParams,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> GbtFit {
    let n = y.len();
    // Bin every feature: column-major bins, one worker per feature.
    let cuts: Vec<Vec<f64>> = (0..p)
        .into_par_iter()
        .map(|f| {
            let mut col: Vec<f64> = (0..n).map(|i| x[i * p + f]).collect();
            thresholds(&mut col, params.max_bins)
        })
        .collect();
    let bins: Vec<Vec<u8>> = (0..p)
        .into_par_iter()
        .map(|f| {
            (0..n)
                .map(|i| {
                    let v = x[i * p + f];
                    // NaN sorts after every threshold: the last bin, as prediction sends it right.
                    cuts[f].partition_point(|&t| t < v || v.is_nan()) as u8
                })
                .collect()
        })
        .collect();

    let rate = y.iter().sum::<f64>() / n as f64;
    let base_score = (rate / (1.0 - rate)).ln();
    let mut score = vec![base_score; n];
    let mut g = vec![0.0; n];
    let mut h = vec![0.0; n];
    let mut gain_by_feature = vec![0.0; p];
    let mut trees = Vec::with_capacity(params.rounds);
    let mut rows: Vec<u32> = Vec::with_capacity(n);
    for _ in 0..params.rounds {
        // A set flag ends the boosting early; the caller sees the flag and discards the fit.
        if cancel.is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed)) {
            break;
        }
        g.par_iter_mut()
            .zip(h.par_iter_mut())
            .zip(score.par_iter().zip(y.par_iter()))
            .for_each(|((g, h), (&s, &t))| {
                let prob = 1.0 / (1.0 + (-s).exp());
                *g = prob - t;
                *h = prob * (1.0 - prob);
            });
        rows.clear();
        rows.extend(0..n as u32);
        let mut builder = TreeBuilder {
            bins: &bins,
            cuts: &cuts,
            g: &g,
            h: &h,
            params,
            tree: Tree {
                feature: Vec::new(),
                threshold: Vec::new(),
                left: Vec::new(),
                right: Vec::new(),
                value: Vec::new(),
            },
            leaves: Vec::new(),
            gain_by_feature: &mut gain_by_feature,
        };
        builder.grow(&mut rows, 0);
        let TreeBuilder { tree, leaves, .. } = builder;
        for (leaf_rows, value) in leaves {
            for i in leaf_rows {
                score[i as usize] += value;
            }
        }
        trees.push(tree);
    }
    let total: f64 = gain_by_feature.iter().sum();
    let importance = gain_by_feature
        .iter()
        .map(|v| if total > 0.0 { v / total } else { 0.0 })
        .collect();
    let model = GbtModel {
        params: params.clone(),
        base_score,
        trees,
        importance,
    };
    let loss: f64 = x
        .chunks_exact(p)
        .zip(y)
        .map(|(row, &t)| {
            let s = model.log_odds(row);
            let softplus = if s > 0.0 {
                s + (-s).exp().ln_1p()
            } else {
                s.exp().ln_1p()
            };
            softplus - t * s
        })
        .sum::<f64>();
    GbtFit {
        model,
        log_loss: loss / n as f64,
    }
}

struct TreeBuilder<'a> {
    bins: &'a [Vec<u8>],
    cuts: &'a [Vec<f64>],
    g: &'a [f64],
    h: &'a [f64],
    params: &'a GbtParams,
    tree: Tree,
    /// (rows, value) of every leaf made, to update the training scores.
    leaves: Vec<(Vec<u32>, f64)>,
    gain_by_feature: &'a mut [f64],
}

/// The best split of one feature: (gain, bin).
fn best_bin(
    hist_g: &[f64],
    hist_h: &[f64],
    total_g: f64,
    total_h: f64,
    params: &GbtParams,
) -> Option<(f64, usize)> {
    let parent = total_g * total_g / (total_h + params.l2);
    let (mut gl, mut hl) = (0.0, 0.0);
    let mut best: Option<(f64, usize)> = None;
    for b in 0..hist_g.len().saturating_sub(1) {
        gl += hist_g[b];
        hl += hist_h[b];
        let (gr, hr) = (total_g - gl, total_h - hl);
        if hl < params.min_child_hessian || hr < params.min_child_hessian {
            continue;
        }
        let gain = gl * gl / (hl + params.l2) + gr * gr / (hr + params.l2) - parent;
        if gain > params.min_split_gain && best.is_none_or(|(bg, _)| gain > bg) {
            best = Some((gain, b));
        }
    }
    best
}

impl TreeBuilder<'_> {
    fn push_node(&mut self) -> usize {
        let t = &mut self.tree;
        t.feature.push(-1);
        t.threshold.push(0.0);
        t.left.push(0);
        t.right.push(0);
        t.value.push(0.0);
        t.feature.len() - 1
    }

    /// Grows the subtree of `rows` (ascending) at `depth`; returns its node index.
    fn grow(&mut self, rows: &mut Vec<u32>, depth: usize) -> usize {
        let node = self.push_node();
        let (mut total_g, mut total_h) = (0.0, 0.0);
        for &i in rows.iter() {
            total_g += self.g[i as usize];
            total_h += self.h[i as usize];
        }
        let split =
            if depth < self.params.max_depth && total_h >= 2.0 * self.params.min_child_hessian {
                let (bins, g, h, params) = (self.bins, self.g, self.h, self.params);
                let rows_ref: &[u32] = rows;
                let per_feature: Vec<Option<(f64, usize)>> = (0..bins.len())
                    .into_par_iter()
                    .map(|f| {
                        let nb = self.cuts[f].len() + 1;
                        if nb < 2 {
                            return None;
                        }
                        let mut hg = vec![0.0; nb];
                        let mut hh = vec![0.0; nb];
                        let col = &bins[f];
                        for &i in rows_ref {
                            let b = col[i as usize] as usize;
                            hg[b] += g[i as usize];
                            hh[b] += h[i as usize];
                        }
                        best_bin(&hg, &hh, total_g, total_h, params)
                    })
                    .collect();
                let mut best: Option<(f64, usize, usize)> = None;
                for (f, s) in per_feature.into_iter().enumerate() {
                    if let Some((gain, b)) = s
                        && best.is_none_or(|(bg, _, _)| gain > bg)
                    {
                        best = Some((gain, f, b));
                    }
                }
                best
            } else {
                None
            };
        match split {
            Some((gain, f, b)) => {
                self.gain_by_feature[f] += gain;
                let col = &self.bins[f];
                let (mut left, mut right): (Vec<u32>, Vec<u32>) = rows
                    .iter()
                    .partition(|&&i| usize::from(col[i as usize]) <= b);
                rows.clear();
                rows.shrink_to_fit();
                self.tree.feature[node] = f as i32;
                self.tree.threshold[node] = self.cuts[f][b];
                let l = self.grow(&mut left, depth + 1);
                let r = self.grow(&mut right, depth + 1);
                self.tree.left[node] = l as u32;
                self.tree.right[node] = r as u32;
            }
            None => {
                let value = -self.params.learning_rate * total_g / (total_h + self.params.l2);
                self.tree.value[node] = value;
                self.leaves.push((std::mem::take(rows), value));
            }
        }
        node
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_cover_distinct_values_and_quantiles() {
        assert_eq!(thresholds(&mut [3.0, 1.0, 2.0, 1.0], 8), vec![1.0, 2.0]);
        assert!(thresholds(&mut [5.0, 5.0], 8).is_empty());
        let mut many: Vec<f64> = (0..1000).map(f64::from).collect();
        let cuts = thresholds(&mut many, 4);
        assert_eq!(cuts, vec![250.0, 500.0, 750.0]);
    }

    #[test]
    fn learns_a_non_monotone_effect_a_linear_model_cannot() {
        // y = 1 exactly when 3 <= x0 < 7: no monotone function of x0 separates it.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400u32 {
            let a = f64::from(i % 10);
            x.extend([a, f64::from(i % 2), f64::from(i % 7)]);
            y.push(if (3.0..7.0).contains(&a) { 1.0 } else { 0.0 });
        }
        let fit = train_gbt(&x, &y, 3, &GbtParams::default(), None);
        fit.model.check(3).unwrap();
        for (row, &t) in x.chunks_exact(3).zip(&y) {
            let p = 1.0 / (1.0 + (-fit.model.log_odds(row)).exp());
            assert!((p - t).abs() < 0.1, "row {row:?}: {p} for {t}");
        }
        assert!(fit.log_loss < 0.05, "{}", fit.log_loss);
        // The noise features take almost no gain.
        assert!(fit.model.importance[0] > 0.95, "{:?}", fit.model.importance);
    }
}

//! Per-ego Dunbar layer sizes from the planted ground truth.

use serde::Serialize;

use crate::degree::quantile_sorted;

/// Number of Dunbar layers (layer 6 in the truth file means "every other friend").
pub const LAYERS: usize = 5;

/// Cumulative layer sizes per ego: how many friends each ego has in layers `≤ 1` .. `≤ 5`.
///
/// Dunbar, Arnaboldi, Conti, Passarella (2015) report cumulative sizes ≈ 1.5 / 5 / 15 / 50 /
/// 150 with a scaling ratio ≈ 3 between successive layers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerStats {
    /// Targets in the truth file (people with at least one truth row): a count, named as
    /// every count of targets in tierank's outputs.
    pub num_targets: u64,
    /// Mean over egos of the number of friends in layers `≤ L`, for `L = 1..=5`.
    pub mean_cumulative: Vec<f64>,
    /// Median over egos of the same.
    pub median_cumulative: Vec<f64>,
    /// `mean_cumulative[L] / mean_cumulative[L − 1]` for `L = 2..=5`; `None` when the
    /// inner layer is empty on average.
    pub scaling_ratios: Vec<Option<f64>>,
}

/// Layer statistics of truth rows given as parallel columns `ego[i]`, `layer[i]`, in any
/// order. Every ego with at least one row counts, even when all its rows are layer 6.
/// `None` when there is no row.
pub fn layer_stats(ego: &[i64], layer: &[i8]) -> Option<LayerStats> {
    let mut rows: Vec<(i64, i8)> = ego.iter().copied().zip(layer.iter().copied()).collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_unstable();
    // One [count in layer ≤ L] row per ego.
    let mut per_ego: Vec<[u32; LAYERS]> = Vec::new();
    let mut current: Option<i64> = None;
    for (e, l) in rows {
        if current != Some(e) {
            current = Some(e);
            per_ego.push([0; LAYERS]);
        }
        let counts = per_ego.last_mut().expect("pushed above");
        if (1..=LAYERS as i8).contains(&l) {
            for c in &mut counts[usize::try_from(l - 1).expect("positive")..] {
                *c += 1;
            }
        }
    }
    let egos = per_ego.len();
    let mut mean_cumulative = Vec::with_capacity(LAYERS);
    let mut median_cumulative = Vec::with_capacity(LAYERS);
    for l in 0..LAYERS {
        let mut values: Vec<f64> = per_ego.iter().map(|c| f64::from(c[l])).collect();
        mean_cumulative.push(values.iter().sum::<f64>() / egos as f64);
        values.sort_unstable_by(f64::total_cmp);
        median_cumulative.push(quantile_sorted(&values, 0.5));
    }
    let scaling_ratios = mean_cumulative
        .windows(2)
        .map(|w| (w[0] > 0.0).then(|| w[1] / w[0]))
        .collect();
    Some(LayerStats {
        num_targets: egos as u64,
        mean_cumulative,
        median_cumulative,
        scaling_ratios,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_sizes_by_hand() {
        // Ego 1: layers 1, 2, 2, 5, 6. Ego 2: layers 3, 6. Ego 3: only layer 6.
        let ego = [2, 1, 1, 3, 1, 1, 2, 1];
        let layer = [3, 1, 2, 6, 2, 5, 6, 6];
        let s = layer_stats(&ego, &layer).unwrap();
        assert_eq!(s.num_targets, 3);
        // Cumulative per ego: 1 -> [1,3,3,3,4]; 2 -> [0,0,1,1,1]; 3 -> [0,0,0,0,0].
        assert_eq!(
            s.mean_cumulative,
            vec![1.0 / 3.0, 1.0, 4.0 / 3.0, 4.0 / 3.0, 5.0 / 3.0]
        );
        assert_eq!(s.median_cumulative, vec![0.0, 0.0, 1.0, 1.0, 1.0]);
        assert_eq!(s.scaling_ratios[0], Some(3.0));
        assert!((s.scaling_ratios[3].unwrap() - 1.25).abs() < 1e-12);
        assert_eq!(layer_stats(&[], &[]), None);
    }
}

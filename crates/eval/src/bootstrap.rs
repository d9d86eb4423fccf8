//! Percentile bootstrap over targets with a counter-based RNG.
//!
//! All metrics share the same resamples (a paired bootstrap): resample `b` draws `n` targets
//! with replacement, the `j`-th draw being `hash(seed, b, j) mod n`, so a resample does not
//! depend on thread count or on which metric is being summarised. A metric's value in a
//! resample is the mean over the drawn targets for which it is defined (each counted as often
//! as drawn); resamples in which no such target is drawn are skipped.

use rayon::prelude::*;

use crate::rng::{below, mix};

/// Multiplicity of every target in every resample.
#[derive(Debug, Clone)]
pub(crate) struct Resamples {
    targets: usize,
    resamples: usize,
    /// `counts[b * targets + t]`: how many times resample `b` drew target `t`.
    counts: Vec<u32>,
}

/// A mean with its bootstrap percentile interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub mean: f64,
    pub ci: Option<(f64, f64)>,
    pub count: usize,
}

impl Resamples {
    /// Draws `resamples` resamples of `targets` targets. `O(resamples · targets)` time and
    /// 4 bytes per (resample, target).
    pub(crate) fn draw(targets: usize, resamples: usize, seed: u64) -> Self {
        let mut counts = vec![0u32; targets * resamples];
        if targets > 0 {
            counts
                .par_chunks_mut(targets)
                .enumerate()
                .for_each(|(b, row)| {
                    for j in 0..targets {
                        row[below(mix(seed, b as u64, j as u64), targets)] += 1;
                    }
                });
        }
        Self {
            targets,
            resamples,
            counts,
        }
    }

    /// The mean of `values` (`(target index, value)`, target indices ascending) and its
    /// `confidence` percentile interval. No interval when there are no resamples or no
    /// values.
    pub(crate) fn summarise(&self, values: &[(u32, f64)], confidence: f64) -> Summary {
        let count = values.len();
        let mean = if count == 0 {
            f64::NAN
        } else {
            values.iter().map(|v| v.1).sum::<f64>() / count as f64
        };
        if count == 0 || self.resamples == 0 {
            return Summary {
                mean,
                ci: None,
                count,
            };
        }
        let mut means = Vec::with_capacity(self.resamples);
        for row in self.counts.chunks_exact(self.targets) {
            let (mut sum, mut weight) = (0.0, 0u64);
            for &(t, v) in values {
                let w = row[t as usize];
                if w > 0 {
                    sum += f64::from(w) * v;
                    weight += u64::from(w);
                }
            }
            if weight > 0 {
                means.push(sum / weight as f64);
            }
        }
        means.sort_unstable_by(f64::total_cmp);
        let alpha = (1.0 - confidence) / 2.0;
        let ci =
            (!means.is_empty()).then(|| (quantile(&means, alpha), quantile(&means, 1.0 - alpha)));
        Summary { mean, ci, count }
    }
}

/// The `p`-quantile of sorted values by linear interpolation between order statistics
/// (Hyndman & Fan type 7, the default of R and NumPy).
pub(crate) fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_resample_draws_n_targets() {
        let r = Resamples::draw(7, 20, 3);
        for row in r.counts.chunks_exact(7) {
            assert_eq!(row.iter().sum::<u32>(), 7);
        }
        assert_eq!(r.counts, Resamples::draw(7, 20, 3).counts);
        assert_ne!(r.counts, Resamples::draw(7, 20, 4).counts);
    }

    #[test]
    fn quantile_interpolates() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.125), 1.5);
        assert_eq!(quantile(&v, 1.0), 5.0);
    }

    #[test]
    fn interval_brackets_the_mean_and_narrows_with_more_targets() {
        let values =
            |n: u32| -> Vec<(u32, f64)> { (0..n).map(|t| (t, f64::from(t % 2))).collect() };
        let small = Resamples::draw(20, 500, 1).summarise(&values(20), 0.95);
        let large = Resamples::draw(2000, 500, 1).summarise(&values(2000), 0.95);
        let (lo, hi) = small.ci.unwrap();
        assert!(lo < 0.5 && 0.5 < hi, "{small:?}");
        let (llo, lhi) = large.ci.unwrap();
        assert!(lhi - llo < (hi - lo) / 5.0, "{large:?}");
        // Constant values: a degenerate interval at the value.
        let c = Resamples::draw(10, 50, 1).summarise(&[(2, 4.0), (5, 4.0)], 0.95);
        assert_eq!(c.ci, Some((4.0, 4.0)));
        assert_eq!(c.count, 2);
        assert_eq!(
            Resamples::draw(10, 0, 1).summarise(&[(1, 1.0)], 0.95).ci,
            None
        );
    }
}

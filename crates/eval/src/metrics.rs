//! Ranking metrics as small pure functions, one per formula.
//!
//! Conventions shared by every function here (and by `docs/comparing.md`):
//! - A target's *candidates* are its `d` friends; a heuristic ranks all of them.
//! - At cut-off `k`, the selection is the top `k' = min(k, d)` friends: a target with fewer
//!   than `k` friends cannot expose more than `d` people, and is not penalised for it.
//! - A friend is *relevant* when its planted layer is `<= L`; friends without a truth row
//!   count as not relevant.
//! - Functions return `None` where the metric is undefined (no friends, no relevant friend,
//!   no non-relevant friend, constant scores); those targets are left out of that metric's
//!   mean and the number of targets that entered the mean is reported beside it.

use std::cmp::Ordering;

/// Makes a score safe for a total order, exactly as the ranking driver does: `-0.0`
/// becomes `0.0` (so equal scores tie) and NaN, which a correct heuristic never produces,
/// ranks last as `-∞`.
#[inline]
pub fn canonical(score: f64) -> f64 {
    if score.is_nan() {
        f64::NEG_INFINITY
    } else {
        score + 0.0
    }
}

/// Writes into `order` the friend positions `0..scores.len()` best first: score descending,
/// then position ascending. Positions follow `graph.neighbors(target)`, which is sorted by
/// node id, so this is the ranking driver's "equal scores by ascending person id".
///
/// `O(d log d)`.
pub fn rank_positions(scores: &[f64], order: &mut Vec<u32>) {
    order.clear();
    order.extend(0..scores.len() as u32);
    order.sort_unstable_by(|&a, &b| {
        canonical(scores[b as usize])
            .total_cmp(&canonical(scores[a as usize]))
            .then(a.cmp(&b))
    });
}

/// Number of relevant friends among the top `k' = min(k, d)`.
pub fn hits_at_k(ranked_relevant: &[bool], k: usize) -> usize {
    ranked_relevant.iter().take(k).filter(|&&r| r).count()
}

/// Precision@k `= hits@k / k'` with `k' = min(k, d)`; `None` when the target has no friends.
///
/// A target with relevant friends but fewer than `k` friends can still reach precision 1.
/// A target with no relevant friend has precision 0 (every pick is a stranger), and is kept
/// in the mean: it is exactly the case where a notice does the most harm.
pub fn precision_at_k(ranked_relevant: &[bool], k: usize) -> Option<f64> {
    let k_eff = k.min(ranked_relevant.len());
    (k_eff > 0).then(|| hits_at_k(ranked_relevant, k) as f64 / k_eff as f64)
}

/// Recall@k `= hits@k / R`, with `R` the number of relevant friends; `None` when `R = 0`.
pub fn recall_at_k(ranked_relevant: &[bool], k: usize, relevant_total: usize) -> Option<f64> {
    (relevant_total > 0).then(|| hits_at_k(ranked_relevant, k) as f64 / relevant_total as f64)
}

/// Collateral exposure@k `= k' − hits@k`: the number of selected friends who are *not*
/// relevant, i.e. the strangers who would be shown the target's information. Defined for
/// every target (0 when it has no friends), so `exposure@k + hits@k = min(k, d)`.
pub fn exposure_at_k(ranked_relevant: &[bool], k: usize) -> usize {
    let k_eff = k.min(ranked_relevant.len());
    k_eff - hits_at_k(ranked_relevant, k)
}

/// Graded gain of a friend in planted layer `layer` when "relevant" means layer `<= l`:
/// `gain = l + 1 − layer` for `layer <= l`, else 0. With `l = 3`: layer 1 (the ~1.5
/// closest) gains 3, layer 2 gains 2, layer 3 gains 1.
pub fn layer_gain(layer: i8, relevant_layer: i8) -> f64 {
    if layer >= 1 && layer <= relevant_layer {
        f64::from(relevant_layer + 1 - layer)
    } else {
        0.0
    }
}

/// Discounted cumulative gain `DCG@k = Σ_{i=1}^{k'} g_i / log2(i + 1)` over gains in rank
/// order (linear gains, the original Järvelin & Kekäläinen 2002 form).
pub fn dcg_at_k(ranked_gains: &[f64], k: usize) -> f64 {
    ranked_gains
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| g / ((i + 2) as f64).log2())
        .sum()
}

/// NDCG@k `= DCG@k / IDCG@k`, where `IDCG@k` is the DCG of the truth's best ordering
/// (`ideal_gains` sorted descending: the same friends' gains, best first). `None` when
/// `IDCG@k = 0`, i.e. when the target has no relevant friend.
pub fn ndcg_at_k(ranked_gains: &[f64], ideal_gains: &[f64], k: usize) -> Option<f64> {
    let ideal = dcg_at_k(ideal_gains, k);
    (ideal > 0.0).then(|| dcg_at_k(ranked_gains, k) / ideal)
}

/// Average precision over the whole ranking: `AP = (1/R) Σ_{i : rel_i} precision@i`, the
/// mean of the precision at the rank of each relevant friend. Its mean over targets is MAP.
/// `None` when `R = 0`.
pub fn average_precision(ranked_relevant: &[bool]) -> Option<f64> {
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (i, &r) in ranked_relevant.iter().enumerate() {
        if r {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    (hits > 0).then(|| sum / hits as f64)
}

/// Area under the ROC curve by the Mann–Whitney statistic: the probability that a random
/// relevant friend scores above a random non-relevant one, ties counting 1/2:
/// `AUC = (Σ_{p ∈ P} Σ_{n ∈ N} [s_p > s_n] + ½ [s_p = s_n]) / (|P| |N|)`.
/// Independent of the tie-breaking rule. `None` when `P` or `N` is empty.
///
/// `O(d log d)`: sort by score, then sweep groups of equal scores.
pub fn auc(scores: &[f64], relevant: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), relevant.len(), "one label per score");
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .map(|&s| canonical(s))
        .zip(relevant.iter().copied())
        .collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let (mut negatives_below, mut u) = (0u64, 0.0f64);
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        let (mut pos, mut neg) = (0u64, 0u64);
        while j < pairs.len() && pairs[j].0.total_cmp(&pairs[i].0) == Ordering::Equal {
            if pairs[j].1 {
                pos += 1
            } else {
                neg += 1
            }
            j += 1;
        }
        u += pos as f64 * (negatives_below as f64 + 0.5 * neg as f64);
        negatives_below += neg;
        i = j;
    }
    let positives = relevant.iter().filter(|&&r| r).count() as f64;
    let negatives = relevant.len() as f64 - positives;
    (positives > 0.0 && negatives > 0.0).then(|| u / (positives * negatives))
}

/// Kendall's tau-b between two score vectors over the same friends:
/// `τ_b = (C − D) / sqrt((n0 − n1)(n0 − n2))`, with `C`/`D` the concordant/discordant
/// pairs, `n0 = n(n−1)/2`, and `n1`, `n2` the pairs tied in `x`, in `y`. Pairs tied in both
/// count in `n1` and `n2` and in neither `C` nor `D`. `None` when fewer than two friends or
/// when either vector is constant (the denominator is 0).
///
/// `O(n log n)` by Knight's (1966) algorithm: sort by `(x, y)`, then count the discordant
/// pairs as the inversions of `y` with a merge sort. Uses
/// `C − D = n0 − n1 − n2 + n3 − 2D`, with `n3` the pairs tied in both.
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    assert_eq!(x.len(), y.len(), "tau needs paired observations");
    let n = x.len() as u64;
    if n < 2 {
        return None;
    }
    let mut pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| (canonical(a), canonical(b)))
        .collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let n0 = n * (n - 1) / 2;
    let n1 = tied_pairs(&pairs, |a, b| a.0.total_cmp(&b.0) == Ordering::Equal);
    let n3 = tied_pairs(&pairs, |a, b| {
        a.0.total_cmp(&b.0).is_eq() && a.1.total_cmp(&b.1).is_eq()
    });
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let mut buffer = vec![0.0; ys.len()];
    let discordant = count_inversions(&mut ys, &mut buffer);
    let n2 = tied_pairs(&ys, |a, b| a.total_cmp(b) == Ordering::Equal);
    let denominator = ((n0 - n1) as f64) * ((n0 - n2) as f64);
    if denominator <= 0.0 {
        return None;
    }
    let numerator = n0 as f64 - n1 as f64 - n2 as f64 + n3 as f64 - 2.0 * discordant as f64;
    Some((numerator / denominator.sqrt()).clamp(-1.0, 1.0))
}

/// Number of pairs inside runs of consecutive equal items: `Σ t(t−1)/2` over runs.
fn tied_pairs<T>(sorted: &[T], equal: impl Fn(&T, &T) -> bool) -> u64 {
    let mut total = 0u64;
    let mut run = 1u64;
    for w in sorted.windows(2) {
        if equal(&w[0], &w[1]) {
            run += 1;
        } else {
            total += run * (run - 1) / 2;
            run = 1;
        }
    }
    total + run * (run - 1) / 2
}

/// Sorts `v` ascending and returns the number of pairs `i < j` with `v[i] > v[j]` strictly.
fn count_inversions(v: &mut [f64], buffer: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let (left_buf, right_buf) = buffer.split_at_mut(mid);
    let mut inversions = {
        let (left, right) = v.split_at_mut(mid);
        count_inversions(left, left_buf) + count_inversions(right, right_buf)
    };
    let (mut i, mut j, mut out) = (0, mid, 0);
    while i < mid && j < n {
        if v[j].total_cmp(&v[i]) == Ordering::Less {
            buffer[out] = v[j];
            inversions += (mid - i) as u64;
            j += 1;
        } else {
            buffer[out] = v[i];
            i += 1;
        }
        out += 1;
    }
    buffer[out..out + mid - i].copy_from_slice(&v[i..mid]);
    out += mid - i;
    buffer[out..out + n - j].copy_from_slice(&v[j..n]);
    v.copy_from_slice(&buffer[..n]);
    inversions
}

/// Jaccard similarity of two sets given as sorted, duplicate-free slices:
/// `|A ∩ B| / |A ∪ B|`, and 1 when both are empty (two empty selections agree).
pub fn jaccard_sorted(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        1.0
    } else {
        common as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn ranking_breaks_ties_by_position_and_treats_negative_zero_as_zero() {
        let mut order = Vec::new();
        rank_positions(&[1.0, 3.0, 1.0, -0.0, 0.0, f64::NAN, 3.0], &mut order);
        assert_eq!(order, vec![1, 6, 0, 2, 3, 4, 5]);
    }

    #[test]
    fn precision_recall_exposure_by_hand() {
        // Ranked: R N R N N, R = 2 relevant of 5 friends.
        let r = [true, false, true, false, false];
        assert_eq!(precision_at_k(&r, 1), Some(1.0));
        assert_eq!(precision_at_k(&r, 3), Some(2.0 / 3.0));
        // k larger than the degree: k' = 5.
        assert_eq!(precision_at_k(&r, 50), Some(2.0 / 5.0));
        assert_eq!(recall_at_k(&r, 1, 2), Some(0.5));
        assert_eq!(recall_at_k(&r, 3, 2), Some(1.0));
        assert_eq!(exposure_at_k(&r, 3), 1);
        assert_eq!(exposure_at_k(&r, 50), 3);
        assert_eq!(precision_at_k(&[], 5), None);
        assert_eq!(exposure_at_k(&[], 5), 0);
        // No relevant friend: precision 0, recall undefined, exposure = k'.
        let none = [false, false];
        assert_eq!(precision_at_k(&none, 1), Some(0.0));
        assert_eq!(recall_at_k(&none, 1, 0), None);
        assert_eq!(exposure_at_k(&none, 5), 2);
    }

    #[test]
    fn gains_follow_layers() {
        assert_eq!(layer_gain(1, 3), 3.0);
        assert_eq!(layer_gain(3, 3), 1.0);
        assert_eq!(layer_gain(4, 3), 0.0);
        assert_eq!(layer_gain(6, 3), 0.0);
        assert_eq!(layer_gain(1, 1), 1.0);
    }

    #[test]
    fn ndcg_by_hand() {
        // Ranked gains 1, 3, 0, 2; ideal 3, 2, 1, 0.
        let ranked = [1.0, 3.0, 0.0, 2.0];
        let ideal = [3.0, 2.0, 1.0, 0.0];
        let dcg2 = 1.0 + 3.0 / 3f64.log2();
        let idcg2 = 3.0 + 2.0 / 3f64.log2();
        assert!(close(ndcg_at_k(&ranked, &ideal, 2).unwrap(), dcg2 / idcg2));
        let dcg4 = dcg2 + 0.0 + 2.0 / 5f64.log2();
        let idcg4 = idcg2 + 1.0 / 2.0;
        assert!(close(ndcg_at_k(&ranked, &ideal, 4).unwrap(), dcg4 / idcg4));
        assert!(close(ndcg_at_k(&ideal, &ideal, 3).unwrap(), 1.0));
        assert_eq!(ndcg_at_k(&[0.0, 0.0], &[0.0, 0.0], 2), None);
    }

    #[test]
    fn average_precision_by_hand() {
        // Relevant at ranks 1 and 3: (1/1 + 2/3) / 2.
        assert!(close(
            average_precision(&[true, false, true, false]).unwrap(),
            (1.0 + 2.0 / 3.0) / 2.0
        ));
        assert!(close(average_precision(&[false, true]).unwrap(), 0.5));
        assert_eq!(average_precision(&[false, false]), None);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        // Positives score 3 and 1; negatives 2 and 1.
        // Pairs: (3,2) win, (3,1) win, (1,2) loss, (1,1) tie: (2 + 0.5) / 4.
        let s = [3.0, 2.0, 1.0, 1.0];
        let r = [true, false, true, false];
        assert!(close(auc(&s, &r).unwrap(), 2.5 / 4.0));
        // All tied: 0.5 whatever the labels.
        assert!(close(
            auc(&[7.0; 5], &[true, false, false, true, false]).unwrap(),
            0.5
        ));
        assert!(close(auc(&[2.0, 1.0], &[true, false]).unwrap(), 1.0));
        assert!(close(auc(&[1.0, 2.0], &[true, false]).unwrap(), 0.0));
        assert_eq!(auc(&[1.0, 2.0], &[true, true]), None);
    }

    /// Direct O(n²) definition of tau-b.
    fn tau_b_naive(x: &[f64], y: &[f64]) -> Option<f64> {
        let n = x.len();
        let (mut c, mut d, mut tx, mut ty, mut n0) = (0i64, 0i64, 0i64, 0i64, 0i64);
        for i in 0..n {
            for j in i + 1..n {
                n0 += 1;
                let dx = x[i].total_cmp(&x[j]);
                let dy = y[i].total_cmp(&y[j]);
                if dx.is_eq() {
                    tx += 1;
                }
                if dy.is_eq() {
                    ty += 1;
                }
                if !dx.is_eq() && !dy.is_eq() {
                    if dx == dy { c += 1 } else { d += 1 }
                }
            }
        }
        let den = ((n0 - tx) as f64 * (n0 - ty) as f64).sqrt();
        (den > 0.0).then(|| (c - d) as f64 / den)
    }

    #[test]
    fn kendall_tau_b_by_hand_with_ties() {
        // x = 1 2 2 3, y = 1 3 2 3. Pairs (6): (1,2): C; (1,3): C; (1,4): C; (2,3): x tie;
        // (2,4): y tie; (3,4): C. C = 4, D = 0, n1 = 1, n2 = 1.
        // tau_b = 4 / sqrt(5 * 5) = 0.8 (scipy.stats.kendalltau gives 0.8 as well).
        let x = [1.0, 2.0, 2.0, 3.0];
        let y = [1.0, 3.0, 2.0, 3.0];
        assert!(close(kendall_tau_b(&x, &y).unwrap(), 0.8));
        // Reversed order: -1.
        assert!(close(
            kendall_tau_b(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap(),
            -1.0
        ));
        // Ties in x, in y and in both at once, against the pairwise definition.
        let x = [1.0, 1.0, 2.0, 2.0, 3.0];
        let y = [2.0, 1.0, 2.0, 2.0, 0.0];
        assert!(close(
            kendall_tau_b(&x, &y).unwrap(),
            tau_b_naive(&x, &y).unwrap()
        ));
        assert_eq!(kendall_tau_b(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(kendall_tau_b(&[1.0], &[1.0]), None);
    }

    #[test]
    fn jaccard_of_sorted_sets() {
        assert!(close(jaccard_sorted(&[1, 2, 3], &[2, 3, 4]), 0.5));
        assert_eq!(jaccard_sorted(&[], &[]), 1.0);
        assert_eq!(jaccard_sorted(&[1], &[]), 0.0);
    }

    proptest::proptest! {
        #[test]
        fn tau_b_matches_the_definition(
            v in proptest::collection::vec((0u8..4, 0u8..4), 0..40)
        ) {
            let x: Vec<f64> = v.iter().map(|p| f64::from(p.0)).collect();
            let y: Vec<f64> = v.iter().map(|p| f64::from(p.1)).collect();
            match (kendall_tau_b(&x, &y), tau_b_naive(&x, &y)) {
                (Some(a), Some(b)) => proptest::prop_assert!((a - b).abs() < 1e-9, "{a} vs {b}"),
                (None, None) => {}
                (a, b) => proptest::prop_assert!(false, "{a:?} vs {b:?}"),
            }
        }

        #[test]
        fn auc_matches_the_definition(
            v in proptest::collection::vec((0u8..5, proptest::bool::ANY), 0..40)
        ) {
            let s: Vec<f64> = v.iter().map(|p| f64::from(p.0)).collect();
            let r: Vec<bool> = v.iter().map(|p| p.1).collect();
            let (mut u, mut pairs) = (0.0, 0.0);
            for i in 0..s.len() {
                for j in 0..s.len() {
                    if r[i] && !r[j] {
                        pairs += 1.0;
                        u += if s[i] > s[j] { 1.0 } else if s[i] == s[j] { 0.5 } else { 0.0 };
                    }
                }
            }
            let expected = (pairs > 0.0).then(|| u / pairs);
            match (auc(&s, &r), expected) {
                (Some(a), Some(b)) => proptest::prop_assert!((a - b).abs() < 1e-12),
                (None, None) => {}
                (a, b) => proptest::prop_assert!(false, "{a:?} vs {b:?}"),
            }
        }

        #[test]
        fn metrics_stay_in_range(
            rel in proptest::collection::vec(proptest::bool::ANY, 0..60),
            k in 1usize..70,
        ) {
            let total = rel.iter().filter(|&&r| r).count();
            if let Some(p) = precision_at_k(&rel, k) {
                proptest::prop_assert!((0.0..=1.0).contains(&p));
            }
            if let Some(r) = recall_at_k(&rel, k, total) {
                proptest::prop_assert!((0.0..=1.0).contains(&r));
            }
            if let Some(a) = average_precision(&rel) {
                proptest::prop_assert!(a > 0.0 && a <= 1.0);
            }
            proptest::prop_assert_eq!(
                exposure_at_k(&rel, k) + hits_at_k(&rel, k),
                k.min(rel.len())
            );
        }
    }
}

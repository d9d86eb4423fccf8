//! Seeded, degree-stratified choice of the targets to evaluate.

use serde::{Deserialize, Serialize};
use tierank_graph::{Graph, NodeId};

use crate::rng::mix;

/// A band of target degrees. Heuristics behave very differently for a person with 5 friends
/// and one with 500 (two-hop signals vanish for small egos, interaction signals thin out for
/// large ones), so results are reported per band as well as overall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DegreeBucket {
    /// 1–9 friends.
    D1To9,
    /// 10–49 friends.
    D10To49,
    /// 50–99 friends.
    D50To99,
    /// 100–199 friends.
    D100To199,
    /// 200 friends or more.
    D200Plus,
}

impl DegreeBucket {
    /// Every bucket, smallest degrees first.
    pub const ALL: [DegreeBucket; 5] = [
        DegreeBucket::D1To9,
        DegreeBucket::D10To49,
        DegreeBucket::D50To99,
        DegreeBucket::D100To199,
        DegreeBucket::D200Plus,
    ];

    /// The bucket of a degree; `None` for 0 (a person without friends has nothing to rank).
    pub fn of(degree: usize) -> Option<Self> {
        Some(match degree {
            0 => return None,
            1..=9 => DegreeBucket::D1To9,
            10..=49 => DegreeBucket::D10To49,
            50..=99 => DegreeBucket::D50To99,
            100..=199 => DegreeBucket::D100To199,
            _ => DegreeBucket::D200Plus,
        })
    }

    /// The label used in reports: `1-9`, `10-49`, `50-99`, `100-199`, `200+`.
    pub fn as_str(self) -> &'static str {
        match self {
            DegreeBucket::D1To9 => "1-9",
            DegreeBucket::D10To49 => "10-49",
            DegreeBucket::D50To99 => "50-99",
            DegreeBucket::D100To199 => "100-199",
            DegreeBucket::D200Plus => "200+",
        }
    }

    /// Dense index `0..5`.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for DegreeBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every non-empty bucket gets at least this many targets (or all of its people, if fewer),
/// so that a rare band (hubs with 200+ friends are a few percent of people) still gets an
/// estimate, however small the requested sample.
pub const MIN_PER_BUCKET: usize = 5;

/// How many people a bucket has and how many were drawn from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketDraw {
    /// The bucket.
    pub bucket: DegreeBucket,
    /// People in the graph with a degree in this bucket.
    pub population: usize,
    /// Targets drawn from it.
    pub sampled: usize,
}

/// A stratified sample of targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The chosen targets, ascending.
    pub targets: Vec<NodeId>,
    /// Population and draw of every bucket, in [`DegreeBucket::ALL`] order.
    pub buckets: Vec<BucketDraw>,
    /// The seed of the draw.
    pub seed: u64,
}

/// Draws about `n` targets stratified by degree bucket, deterministically from `seed`.
///
/// # Allocation
/// People without friends are never drawn. When `n` is at least the number of people with
/// friends, everyone is taken. Otherwise each non-empty bucket first gets
/// `min(MIN_PER_BUCKET, population)` targets; the rest of `n` is shared in proportion to what
/// is left of each bucket's population, by largest remainders (ties to the smaller degrees).
/// The sample therefore has exactly `max(n, Σ minimums)` targets.
///
/// # Choice within a bucket
/// The people with the smallest `hash(seed, person id)` win (ties by node id). The hash is a
/// function of the person id, not of the position in the file, so the same seed draws the
/// same people from any copy of the data, and a larger `n` draws a superset within each
/// bucket whose quota grew.
///
/// `O(n_people log n_people)`.
pub fn stratified_sample(graph: &Graph, n: usize, seed: u64) -> Sample {
    let mut members: [Vec<(u64, NodeId)>; 5] = Default::default();
    for u in 0..graph.num_nodes() {
        let node = NodeId(u as u32);
        if let Some(b) = DegreeBucket::of(graph.degree(node)) {
            let key = mix(seed, graph.person(node) as u64, 0x5a4d_504c);
            members[b.index()].push((key, node));
        }
    }
    let population: Vec<usize> = members.iter().map(Vec::len).collect();
    let quotas = allocate(&population, n);
    let mut targets = Vec::with_capacity(quotas.iter().sum());
    for (list, &quota) in members.iter_mut().zip(&quotas) {
        list.sort_unstable();
        targets.extend(list.iter().take(quota).map(|&(_, v)| v));
    }
    targets.sort_unstable();
    let buckets = DegreeBucket::ALL
        .iter()
        .map(|&bucket| BucketDraw {
            bucket,
            population: population[bucket.index()],
            sampled: quotas[bucket.index()],
        })
        .collect();
    log::debug!("stratified sample of {} targets (asked {n})", targets.len());
    Sample {
        targets,
        buckets,
        seed,
    }
}

/// Splits `targets` into disjoint training and test sets, stratified by degree bucket:
/// within each bucket the `round(train_fraction · size)` targets with the smallest
/// `hash(seed, person id)` train, the rest test. Both lists come back ascending.
///
/// A learned model must be evaluated only on test targets: its training targets' friends
/// were its examples, so its numbers there would be optimistic.
pub fn split_train_test(
    graph: &Graph,
    targets: &[NodeId],
    train_fraction: f64,
    seed: u64,
) -> (Vec<NodeId>, Vec<NodeId>) {
    let fraction = if train_fraction.is_finite() {
        train_fraction.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let mut by_bucket: [Vec<(u64, NodeId)>; 6] = Default::default();
    let mut unique = targets.to_vec();
    unique.sort_unstable();
    unique.dedup();
    for &t in &unique {
        let b = DegreeBucket::of(graph.degree(t)).map_or(5, DegreeBucket::index);
        by_bucket[b].push((mix(seed, graph.person(t) as u64, 0x5350_4c54), t));
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for list in &mut by_bucket {
        list.sort_unstable();
        let cut = (fraction * list.len() as f64).round() as usize;
        train.extend(list[..cut].iter().map(|p| p.1));
        test.extend(list[cut..].iter().map(|p| p.1));
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Per-bucket quotas; see [`stratified_sample`].
fn allocate(population: &[usize], n: usize) -> Vec<usize> {
    let total: usize = population.iter().sum();
    if n >= total {
        return population.to_vec();
    }
    let mut quota: Vec<usize> = population.iter().map(|&p| p.min(MIN_PER_BUCKET)).collect();
    let base: usize = quota.iter().sum();
    let capacity: Vec<usize> = population.iter().zip(&quota).map(|(p, q)| p - q).collect();
    let capacity_total: usize = capacity.iter().sum();
    let extra = n.saturating_sub(base).min(capacity_total);
    if extra == 0 {
        return quota;
    }
    let mut remainders = Vec::with_capacity(population.len());
    let mut given = 0;
    for (b, &cap) in capacity.iter().enumerate() {
        // Exact integer arithmetic: share = extra * cap / capacity_total.
        let numerator = extra as u128 * cap as u128;
        let share = (numerator / capacity_total as u128) as usize;
        let remainder = numerator % capacity_total as u128;
        quota[b] += share;
        given += share;
        remainders.push((std::cmp::Reverse(remainder), b));
    }
    remainders.sort_unstable();
    for &(_, b) in remainders.iter().take(extra - given) {
        quota[b] += 1;
    }
    quota
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_degrees() {
        assert_eq!(DegreeBucket::of(0), None);
        assert_eq!(DegreeBucket::of(9), Some(DegreeBucket::D1To9));
        assert_eq!(DegreeBucket::of(10), Some(DegreeBucket::D10To49));
        assert_eq!(DegreeBucket::of(199), Some(DegreeBucket::D100To199));
        assert_eq!(DegreeBucket::of(5000), Some(DegreeBucket::D200Plus));
    }

    #[test]
    fn allocation_is_proportional_with_minimums() {
        // 1000 people: 700 / 200 / 90 / 8 / 2.
        let q = allocate(&[700, 200, 90, 8, 2], 100);
        assert_eq!(q.iter().sum::<usize>(), 100);
        assert_eq!(q[4], 2, "a bucket smaller than the minimum is taken whole");
        assert!(q[3] >= MIN_PER_BUCKET);
        assert!(q[0] > q[1] && q[1] > q[2], "{q:?}");
        // Asking for more than exists takes everyone.
        assert_eq!(allocate(&[3, 0, 1, 0, 0], 10), vec![3, 0, 1, 0, 0]);
        // Asking for fewer than the minimums still gives the minimums.
        assert_eq!(allocate(&[50, 50, 0, 0, 0], 3), vec![5, 5, 0, 0, 0]);
    }

    fn star_and_chain() -> Graph {
        // A hub with 60 friends, plus a chain of 40 people.
        let mut edges: Vec<(i64, i64)> = (1..=60).map(|i| (0, i)).collect();
        edges.extend((100..140).map(|i| (i, i + 1)));
        Graph::from_person_edges(&edges, None).unwrap().0
    }

    #[test]
    fn split_is_disjoint_and_stratified() {
        let g = star_and_chain();
        let all: Vec<NodeId> = (0..g.num_nodes() as u32).map(NodeId).collect();
        let (train, test) = split_train_test(&g, &all, 0.5, 3);
        assert_eq!(train.len() + test.len(), all.len());
        assert!(train.iter().all(|t| test.binary_search(t).is_err()));
        // 60 leaves + 2 chain ends in 1-9 (62), 39 chain inner nodes also 1-9, hub alone.
        assert!((train.len() as i64 - test.len() as i64).abs() <= 2);
        assert_eq!(split_train_test(&g, &all, 0.5, 3), (train, test));
    }

    #[test]
    fn sample_is_seeded_and_stratified() {
        let g = star_and_chain();
        let a = stratified_sample(&g, 20, 7);
        let b = stratified_sample(&g, 20, 7);
        assert_eq!(a, b);
        assert_eq!(a.targets.len(), 20);
        let hub = g.dense(0).unwrap();
        assert!(
            a.targets.contains(&hub),
            "the only 50-99 person is always drawn"
        );
        assert!(a.targets.windows(2).all(|w| w[0] < w[1]));
        let c = stratified_sample(&g, 20, 8);
        assert_ne!(a.targets, c.targets);
        let everyone = stratified_sample(&g, 10_000, 1);
        assert_eq!(everyone.targets.len(), g.num_nodes());
    }
}

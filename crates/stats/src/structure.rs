//! Local clustering by degree and neighbourhood overlap by tie weight, from one pass of
//! target-centric marking over a deterministic sample of egos.
//!
//! For an ego `u`, its friends are marked in a bitset; then for every friend `v` the marked
//! entries of `N(v)` are counted, giving `c_uv = |N(u) ∩ N(v)|` for every tie of `u` at a cost
//! of `Σ_{v∈N(u)} k_v`. The same numbers give both statistics:
//! - local clustering `C_u = Σ_v c_uv / (k_u (k_u − 1))` (each triangle at `u` is seen from
//!   both of its other corners), 0 when `k_u < 2` (the networkx convention);
//! - neighbourhood overlap `O_uv = c_uv / ((k_u − 1) + (k_v − 1) − c_uv)` (Onnela et al. 2007),
//!   undefined when both ends have degree 1.
//!
//! On a graph with at most `sample_nodes` people every node is an ego and both statistics
//! are exact; beyond that, egos are the `sample_nodes` nodes with the smallest seeded hash,
//! and the report says so.

use rayon::prelude::*;
use serde::Serialize;
use tierank_graph::{Graph, NodeId};

use crate::sample::{NodeBits, hash_pair, sample_nodes};

/// Degree buckets of the clustering-by-degree table: `(low, high)` inclusive, `None` = no
/// upper bound. Chosen around Ugander et al.'s figure, which reports clustering ≈ 0.14 near
/// degree 100 and falling with degree.
pub const DEGREE_BUCKETS: [(u64, Option<u64>); 6] = [
    (1, Some(9)),
    (10, Some(49)),
    (50, Some(99)),
    (100, Some(199)),
    (200, Some(499)),
    (500, None),
];

/// Mean local clustering of the measured nodes whose degree falls in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DegreeBucket {
    /// Smallest degree in the bucket.
    pub low: u64,
    /// Largest degree in the bucket; `None` means unbounded.
    pub high: Option<u64>,
    /// Measured nodes in the bucket.
    pub nodes: u64,
    /// Mean local clustering of those nodes; `None` when the bucket is empty.
    pub mean: Option<f64>,
}

impl DegreeBucket {
    /// `"10-49"`, or `"500+"` for the open bucket.
    pub fn label(&self) -> String {
        match self.high {
            Some(h) => format!("{}-{h}", self.low),
            None => format!("{}+", self.low),
        }
    }
}

/// Local clustering: its average and its profile by degree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusteringStats {
    /// Mean local clustering over the measured nodes, nodes with fewer than two friends
    /// counting as 0 (as `networkx.average_clustering`).
    pub average: f64,
    /// Whether the measured nodes are a sample (`false`: every node, exact).
    pub sampled: bool,
    /// Number of measured nodes.
    pub nodes_measured: u64,
    /// Number of nodes in the graph.
    pub nodes_total: u64,
    /// The seed of the node sample.
    pub seed: u64,
    /// Mean clustering per degree bucket ([`DEGREE_BUCKETS`]).
    pub buckets: Vec<DegreeBucket>,
}

impl ClusteringStats {
    /// Mean clustering of the measured nodes with degree in `low..=high`, combining whole
    /// buckets exactly (weighted by their node counts). `None` if no bucket boundaries match
    /// or no node falls in the range.
    pub fn mean_between(&self, low: u64, high: Option<u64>) -> Option<f64> {
        let first = self.buckets.iter().position(|b| b.low == low)?;
        let last = self.buckets.iter().position(|b| b.high == high)?;
        if last < first {
            return None;
        }
        let (mut nodes, mut sum) = (0u64, 0.0f64);
        for b in &self.buckets[first..=last] {
            if let Some(mean) = b.mean {
                nodes += b.nodes;
                sum += mean * b.nodes as f64;
            }
        }
        (nodes > 0).then(|| sum / nodes as f64)
    }
}

impl ClusteringStats {
    /// The largest rise of mean clustering between consecutive non-empty buckets, from the
    /// bucket starting at `low` up; 0 or less when clustering never rises. `None` with
    /// fewer than two non-empty buckets from there.
    pub fn max_rise_from(&self, low: u64) -> Option<f64> {
        let first = self.buckets.iter().position(|b| b.low == low)?;
        let means: Vec<f64> = self.buckets[first..]
            .iter()
            .filter_map(|b| b.mean.filter(|_| b.nodes >= MIN_BUCKET_NODES))
            .collect();
        means
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(None, |acc: Option<f64>, x| {
                Some(acc.map_or(x, |a| a.max(x)))
            })
    }
}

/// Fewest nodes for a degree bucket to count in the shape of the clustering curve: a mean
/// of a handful of hubs is noise.
pub const MIN_BUCKET_NODES: u64 = 20;

/// Where the tie weights of the overlap table come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightSource {
    /// Events both ways: `w_uv = count(u→v) + count(v→u)`.
    Events,
    /// The `weight` column of `ties.parquet` (weights-only datasets).
    UserWeight,
}

/// One weight decile of the overlap table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverlapDecile {
    /// 1 (weakest tenth of the ties) to 10 (strongest).
    pub decile: u32,
    /// Ties in the decile.
    pub ties: u64,
    /// Smallest weight in the decile.
    pub min_weight: f64,
    /// Largest weight in the decile.
    pub max_weight: f64,
    /// Mean neighbourhood overlap of its ties.
    pub mean_overlap: f64,
}

/// Neighbourhood overlap as a function of tie weight (Onnela et al. 2007).
///
/// Deciles are taken over the measured ties with positive weight only, by weight rank
/// (ties of equal weight are ordered by a seeded hash of the pair, so a decile boundary
/// never depends on ids); ties with zero weight are reported apart, as their own bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverlapStats {
    /// Where the weights come from.
    pub weight_source: WeightSource,
    /// Whether the ties are those of a sample of egos (`false`: every tie, exact).
    pub sampled: bool,
    /// Ties measured (each once), with a defined overlap.
    pub ties_measured: u64,
    /// Ties skipped because the overlap is undefined (both ends have one friend).
    pub ties_undefined: u64,
    /// Mean overlap over every measured tie, whatever its weight.
    pub mean_overlap: Option<f64>,
    /// Measured ties with zero weight.
    pub zero_weight_ties: u64,
    /// Their mean overlap.
    pub zero_weight_mean_overlap: Option<f64>,
    /// The ten deciles of positive weight (fewer when there are fewer than ten such ties).
    pub deciles: Vec<OverlapDecile>,
    /// Spearman rank correlation between decile index and mean overlap.
    pub spearman: Option<f64>,
}

impl OverlapStats {
    /// Mean overlap of the top decile minus that of the bottom decile.
    pub fn top_minus_bottom(&self) -> Option<f64> {
        match (self.deciles.first(), self.deciles.last()) {
            (Some(bottom), Some(top)) if self.deciles.len() >= 2 => {
                Some(top.mean_overlap - bottom.mean_overlap)
            }
            _ => None,
        }
    }
}

/// What one ego contributes.
struct EgoResult {
    degree: usize,
    clustering: f64,
    /// `(weight, overlap, tie-break hash)` of the ties this ego measures.
    ties: Vec<(f64, f64, u64)>,
    undefined: u64,
}

/// Computes local clustering and, when the graph has events or user weights, overlap by
/// weight decile, over at most `sample_size` egos chosen with `seed` (every node when the
/// graph is no larger).
///
/// Costs `O(Σ_{u∈egos} Σ_{v∈N(u)} k_v)` time, in parallel over egos, and one `n`-bit
/// bitset per worker. Results are summed in ego order, so they do not depend on the
/// number of threads.
pub fn clustering_and_overlap(
    graph: &Graph,
    sample_size: usize,
    seed: u64,
) -> (ClusteringStats, Option<OverlapStats>) {
    let n = graph.num_nodes();
    let egos = sample_nodes(n, sample_size, seed);
    let sampled = egos.len() < n;
    let mut in_sample = NodeBits::new(n);
    for &u in &egos {
        in_sample.insert(u);
    }
    let source = if graph.interactions().is_some() {
        Some(WeightSource::Events)
    } else if graph.weights().is_some() {
        Some(WeightSource::UserWeight)
    } else {
        None
    };
    let results: Vec<EgoResult> = egos
        .par_iter()
        .map_init(
            || NodeBits::new(n),
            |marks, &u| measure_ego(graph, u, marks, &in_sample, source, seed),
        )
        .collect();
    let clustering = summarise_clustering(&results, n, sampled, seed);
    let overlap = source.map(|s| summarise_overlap(&results, s, sampled));
    (clustering, overlap)
}

pub(crate) fn tie_weight(
    graph: &Graph,
    source: WeightSource,
    u: NodeId,
    v: NodeId,
    slot: usize,
) -> f64 {
    match source {
        WeightSource::Events => {
            let inter = graph
                .interactions()
                .expect("events source implies interactions");
            let count = |a, b| inter.tie(a, b).map_or(0, |t| t.summary.count);
            f64::from(count(u, v)) + f64::from(count(v, u))
        }
        WeightSource::UserWeight => graph.weights().expect("user weight source")[slot],
    }
}

fn measure_ego(
    graph: &Graph,
    u: NodeId,
    marks: &mut NodeBits,
    in_sample: &NodeBits,
    source: Option<WeightSource>,
    seed: u64,
) -> EgoResult {
    let csr = graph.csr();
    let friends = csr.neighbors(u);
    let ku = friends.len();
    for &v in friends {
        marks.insert(v);
    }
    let mut twice_triangles = 0u64;
    let mut ties = Vec::new();
    let mut undefined = 0u64;
    for slot in csr.slots(u) {
        let v = csr.target(slot);
        let common = csr
            .neighbors(v)
            .iter()
            .filter(|&&w| marks.contains(w))
            .count();
        twice_triangles += common as u64;
        // Each tie is measured once: by `u` when `v` is not an ego, else by the smaller id.
        let Some(source) = source else { continue };
        if in_sample.contains(v) && v < u {
            continue;
        }
        let kv = csr.degree(v);
        let denominator = (ku - 1) + (kv - 1) - common;
        if denominator == 0 {
            undefined += 1;
            continue;
        }
        let overlap = common as f64 / denominator as f64;
        let (a, b) = if u < v { (u, v) } else { (v, u) };
        let weight = tie_weight(graph, source, u, v, slot);
        ties.push((
            weight,
            overlap,
            hash_pair(seed, u64::from(a.0), u64::from(b.0)),
        ));
    }
    for &v in friends {
        marks.remove(v);
    }
    let clustering = if ku < 2 {
        0.0
    } else {
        twice_triangles as f64 / (ku as f64 * (ku - 1) as f64)
    };
    EgoResult {
        degree: ku,
        clustering,
        ties,
        undefined,
    }
}

fn summarise_clustering(
    results: &[EgoResult],
    n: usize,
    sampled: bool,
    seed: u64,
) -> ClusteringStats {
    let mut sums = [0.0f64; DEGREE_BUCKETS.len()];
    let mut counts = [0u64; DEGREE_BUCKETS.len()];
    let mut total = 0.0;
    for r in results {
        total += r.clustering;
        let k = r.degree as u64;
        if let Some(i) = DEGREE_BUCKETS
            .iter()
            .position(|&(lo, hi)| k >= lo && hi.is_none_or(|h| k <= h))
        {
            sums[i] += r.clustering;
            counts[i] += 1;
        }
    }
    let buckets = DEGREE_BUCKETS
        .iter()
        .enumerate()
        .map(|(i, &(low, high))| DegreeBucket {
            low,
            high,
            nodes: counts[i],
            mean: (counts[i] > 0).then(|| sums[i] / counts[i] as f64),
        })
        .collect();
    ClusteringStats {
        average: if results.is_empty() {
            0.0
        } else {
            total / results.len() as f64
        },
        sampled,
        nodes_measured: results.len() as u64,
        nodes_total: n as u64,
        seed,
        buckets,
    }
}

fn summarise_overlap(results: &[EgoResult], source: WeightSource, sampled: bool) -> OverlapStats {
    let mut all: Vec<(f64, f64, u64)> = results
        .iter()
        .flat_map(|r| r.ties.iter().copied())
        .collect();
    let undefined = results.iter().map(|r| r.undefined).sum();
    let mean = |xs: &[(f64, f64, u64)]| {
        (!xs.is_empty()).then(|| xs.iter().map(|t| t.1).sum::<f64>() / xs.len() as f64)
    };
    let mean_overlap = mean(&all);
    all.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    let zero = all.partition_point(|t| t.0 <= 0.0);
    let (zeros, positive) = all.split_at(zero);
    let deciles = weight_deciles(positive);
    let spearman = if deciles.len() >= 2 {
        let index: Vec<f64> = deciles.iter().map(|d| f64::from(d.decile)).collect();
        let overlap: Vec<f64> = deciles.iter().map(|d| d.mean_overlap).collect();
        spearman(&index, &overlap)
    } else {
        None
    };
    OverlapStats {
        weight_source: source,
        sampled,
        ties_measured: all.len() as u64,
        ties_undefined: undefined,
        mean_overlap,
        zero_weight_ties: zeros.len() as u64,
        zero_weight_mean_overlap: mean(zeros),
        deciles,
        spearman,
    }
}

/// Splits ties sorted by weight into ten groups of (nearly) equal size by rank: tie `i` of
/// `len` goes to decile `⌊10 i / len⌋ + 1`. Deciles left empty when there are fewer than
/// ten ties are omitted.
fn weight_deciles(sorted: &[(f64, f64, u64)]) -> Vec<OverlapDecile> {
    let len = sorted.len();
    let mut out: Vec<OverlapDecile> = Vec::new();
    for (i, &(weight, overlap, _)) in sorted.iter().enumerate() {
        let decile = u32::try_from(i * 10 / len).expect("below 10") + 1;
        match out.last_mut() {
            Some(d) if d.decile == decile => {
                d.ties += 1;
                d.max_weight = weight;
                d.mean_overlap += overlap;
            }
            _ => out.push(OverlapDecile {
                decile,
                ties: 1,
                min_weight: weight,
                max_weight: weight,
                mean_overlap: overlap,
            }),
        }
    }
    for d in &mut out {
        d.mean_overlap /= d.ties as f64;
    }
    out
}

/// Spearman rank correlation: the Pearson correlation of the ranks, tied values sharing
/// their mean rank. `None` when either side is constant or the lengths differ.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    pearson(&ranks(x), &ranks(y))
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        // Positions i..=j share the mean of ranks i+1..=j+1.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

//! Degree distribution and degree assortativity.

use serde::Serialize;
use tierank_graph::{Csr, NodeId};

/// Summary of the friend-count distribution over all people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DegreeStats {
    /// Smallest degree.
    pub min: u64,
    /// Median degree (mean of the two middle values for an even count).
    pub median: f64,
    /// Mean degree, `2m / n`.
    pub mean: f64,
    /// 99th percentile, linear interpolation between order statistics (numpy's default).
    pub p99: f64,
    /// Largest degree.
    pub max: u64,
}

/// Degree summary of every node. An empty graph gives all zeros.
pub fn degree_stats(csr: &Csr) -> DegreeStats {
    let n = csr.num_nodes();
    let mut degrees: Vec<u64> = (0..n)
        .map(|u| csr.degree(NodeId(u as u32)) as u64)
        .collect();
    if degrees.is_empty() {
        return DegreeStats {
            min: 0,
            median: 0.0,
            mean: 0.0,
            p99: 0.0,
            max: 0,
        };
    }
    degrees.sort_unstable();
    let as_f64: Vec<f64> = degrees.iter().map(|&d| d as f64).collect();
    DegreeStats {
        min: degrees[0],
        median: quantile_sorted(&as_f64, 0.5),
        mean: csr.num_directed_edges() as f64 / n as f64,
        p99: quantile_sorted(&as_f64, 0.99),
        max: degrees[n - 1],
    }
}

/// The `q`-quantile of sorted values with linear interpolation between the order
/// statistics at `q (len - 1)` (numpy's `method="linear"`, R type 7).
///
/// # Panics
/// When `sorted` is empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of an empty list");
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Degree assortativity (Newman 2002): the Pearson correlation between the degrees at the
/// two ends of every friendship, each friendship counted in both orientations. This is what
/// networkx's `degree_assortativity_coefficient` returns for an undirected graph.
///
/// Exact and `O(m)`: the sums are kept as 128-bit integers, so the result does not depend
/// on summation order and suffers no cancellation before the final division. Returns `None`
/// when the correlation is undefined (no edges, or every edge joins equal degrees, e.g. a
/// regular graph).
pub fn degree_assortativity(csr: &Csr) -> Option<f64> {
    let n = csr.num_nodes();
    // Over the 2m oriented edges (u, v): x = k_u, y = k_v, and by symmetry Σx = Σy and
    // Σx² = Σy². Σx = Σ_u k_u², Σx² = Σ_u k_u³, Σxy = Σ_u Σ_{v∈N(u)} k_u k_v.
    let mut sum_x: u128 = 0;
    let mut sum_xx: u128 = 0;
    let mut sum_xy: u128 = 0;
    for u in 0..n {
        let u = NodeId(u as u32);
        let ku = csr.degree(u) as u128;
        sum_x += ku * ku;
        sum_xx += ku * ku * ku;
        let neighbour_degrees: u128 = csr
            .neighbors(u)
            .iter()
            .map(|&v| csr.degree(v) as u128)
            .sum();
        sum_xy += ku * neighbour_degrees;
    }
    let m2 = csr.num_directed_edges() as u128;
    if m2 == 0 {
        return None;
    }
    // r = (M Σxy − (Σx)²) / (M Σx² − (Σx)²), numerator and denominator exact.
    let square = sum_x * sum_x;
    let numerator = (m2 * sum_xy) as i128 - square as i128;
    let denominator = (m2 * sum_xx) as i128 - square as i128;
    if denominator == 0 {
        return None;
    }
    Some(numerator as f64 / denominator as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csr(n: usize, edges: &[(u32, u32)]) -> Csr {
        let e: Vec<(NodeId, NodeId)> = edges.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
        Csr::from_edges(n, &e).unwrap().0
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.quantile([1,2,3,4], [0.5, 0.99, 0, 1]) == [2.5, 3.97, 1, 4]
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert!((quantile_sorted(&v, 0.99) - 3.97).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert_eq!(quantile_sorted(&[7.0], 0.99), 7.0);
    }

    #[test]
    fn star_degrees_and_assortativity() {
        // A star: the hub (degree 4) only meets leaves (degree 1): perfectly disassortative.
        let g = csr(5, &[(0, 1), (0, 2), (0, 3), (0, 4)]);
        let s = degree_stats(&g);
        assert_eq!((s.min, s.max), (1, 4));
        assert_eq!(s.median, 1.0);
        assert_eq!(s.mean, 8.0 / 5.0);
        assert!((degree_assortativity(&g).unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn regular_graph_has_no_assortativity() {
        let cycle = csr(4, &[(0, 1), (1, 2), (2, 3), (3, 0)]);
        assert_eq!(degree_assortativity(&cycle), None);
        assert_eq!(degree_assortativity(&csr(3, &[])), None);
    }

    #[test]
    fn two_components_of_different_degree_are_assortative() {
        // A triangle (degrees 2) plus a single edge (degrees 1): every edge joins equal
        // degrees but degrees differ across edges, so r = 1.
        let g = csr(5, &[(0, 1), (1, 2), (2, 0), (3, 4)]);
        assert!((degree_assortativity(&g).unwrap() - 1.0).abs() < 1e-12);
    }
}

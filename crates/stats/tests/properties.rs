//! Clustering, overlap and assortativity against naive reference implementations on
//! arbitrary small graphs.

use proptest::prelude::*;
use std::collections::BTreeSet;
use tierank_graph::{Graph, NodeId};
use tierank_stats::degree::degree_assortativity;
use tierank_stats::structure::clustering_and_overlap;

fn graph(edges: &[(i64, i64, f64)]) -> Graph {
    let pairs: Vec<(i64, i64)> = edges.iter().map(|e| (e.0, e.1)).collect();
    let weights: Vec<f64> = edges.iter().map(|e| e.2).collect();
    Graph::from_person_edges(&pairs, Some(&weights)).unwrap().0
}

fn set(g: &Graph, u: usize) -> BTreeSet<u32> {
    g.neighbors(NodeId(u as u32)).iter().map(|v| v.0).collect()
}

proptest! {
    #[test]
    fn matches_naive_definitions(
        edges in prop::collection::vec((0i64..25, 0i64..25, 0.0f64..5.0), 1..150)
    ) {
        let g = graph(&edges);
        let n = g.num_nodes();
        // Naive local clustering: adjacent pairs of friends over all pairs.
        let mut naive_sum = 0.0;
        for u in 0..n {
            let friends: Vec<u32> = set(&g, u).into_iter().collect();
            let k = friends.len();
            if k < 2 { continue; }
            let mut links = 0;
            for i in 0..k {
                for j in i + 1..k {
                    if g.csr().has_edge(NodeId(friends[i]), NodeId(friends[j])) { links += 1; }
                }
            }
            naive_sum += 2.0 * f64::from(links) / (k * (k - 1)) as f64;
        }
        let (c, overlap) = clustering_and_overlap(&g, usize::MAX, 0);
        prop_assert!((c.average - naive_sum / n as f64).abs() < 1e-9);

        // Naive overlap, every tie once.
        let mut overlaps = Vec::new();
        let mut undefined = 0u64;
        for u in 0..n {
            for &v in set(&g, u).iter().filter(|&&v| v as usize > u) {
                let (a, b) = (set(&g, u), set(&g, v as usize));
                let common = a.intersection(&b).count();
                let den = (a.len() - 1) + (b.len() - 1) - common;
                if den == 0 { undefined += 1; } else { overlaps.push(common as f64 / den as f64); }
            }
        }
        let o = overlap.unwrap();
        prop_assert_eq!(o.ties_measured, overlaps.len() as u64);
        prop_assert_eq!(o.ties_undefined, undefined);
        if !overlaps.is_empty() {
            let mean = overlaps.iter().sum::<f64>() / overlaps.len() as f64;
            prop_assert!((o.mean_overlap.unwrap() - mean).abs() < 1e-9);
        }
        let in_deciles: u64 = o.deciles.iter().map(|d| d.ties).sum();
        prop_assert_eq!(in_deciles + o.zero_weight_ties, o.ties_measured);

        // Naive assortativity: Pearson over both orientations of every edge.
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for u in 0..n {
            for v in set(&g, u) {
                xs.push(g.degree(NodeId(u as u32)) as f64);
                ys.push(g.degree(NodeId(v)) as f64);
            }
        }
        let m = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / m, ys.iter().sum::<f64>() / m);
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        let syy: f64 = ys.iter().map(|y| (y - my) * (y - my)).sum();
        match degree_assortativity(g.csr()) {
            Some(r) => prop_assert!((r - sxy / (sxx * syy).sqrt()).abs() < 1e-9),
            None => prop_assert!(sxx < 1e-9),
        }
    }

    #[test]
    fn sampled_egos_measure_each_tie_at_most_once(
        edges in prop::collection::vec((0i64..40, 0i64..40, 0.0f64..5.0), 1..200),
        sample in 1usize..40,
        seed in 0u64..1000,
    ) {
        let g = graph(&edges);
        let (c, o) = clustering_and_overlap(&g, sample, seed);
        let o = o.unwrap();
        prop_assert_eq!(c.nodes_measured as usize, sample.min(g.num_nodes()));
        prop_assert_eq!(c.sampled, sample < g.num_nodes());
        prop_assert!(o.ties_measured + o.ties_undefined <= g.num_edges() as u64);
        prop_assert!(c.buckets.iter().map(|b| b.nodes).sum::<u64>() <= c.nodes_measured);
    }
}

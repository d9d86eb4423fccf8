//! Property tests of the two-hop heuristics and personalized PageRank over random small
//! graphs: shape, invariance under renumbering, agreement with naive pair-by-pair
//! implementations written here (per target and for every tie at once), the push error bound, and scratch reuse.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::two_hop::Dispersion;
use tierank_heuristics::two_hop::every_tie::{TieIndex, every_tie_sums};
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch, build};

const TWO_HOP: &[&str] = &[
    "common_neighbors",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "overlap",
    "dispersion",
    "recursive_dispersion",
    "ppr",
];

/// A random small graph: `n` people, an edge list over `0..n` (self-loops and repeats
/// included, the graph drops them), and optional weights, a third of them zero.
#[derive(Debug, Clone)]
struct RandomGraph {
    n: usize,
    edges: Vec<(u32, u32)>,
    weights: Option<Vec<f64>>,
}

fn random_graph() -> impl Strategy<Value = RandomGraph> {
    (2usize..14)
        .prop_flat_map(|n| {
            let nu = n as u32;
            (Just(n), prop::collection::vec((0..nu, 0..nu), 1..n * 3))
        })
        .prop_flat_map(|(n, edges)| {
            let m = edges.len();
            let weight = prop_oneof![Just(0.0), 0.1f64..10.0, 0.1f64..10.0];
            let weights = prop::option::of(prop::collection::vec(weight, m));
            (Just(n), Just(edges), weights)
        })
        .prop_map(|(n, edges, weights)| RandomGraph { n, edges, weights })
}

impl RandomGraph {
    /// Builds the graph with person id `person(i)` for node `i`.
    fn build(&self, person: impl Fn(u32) -> i64) -> Graph {
        let edges: Vec<(i64, i64)> = self
            .edges
            .iter()
            .map(|&(a, b)| (person(a), person(b)))
            .collect();
        Graph::from_person_edges(&edges, self.weights.as_deref())
            .expect("random graph builds")
            .0
    }

    /// Adjacency sets straight from the edge list, without the graph crate.
    fn sets(&self) -> Vec<BTreeSet<u32>> {
        let mut adj = vec![BTreeSet::new(); self.n];
        for &(a, b) in &self.edges {
            if a != b {
                adj[a as usize].insert(b);
                adj[b as usize].insert(a);
            }
        }
        adj
    }
}

/// Scores of every (target, friend) pair under `h`, keyed by person ids.
fn scores_by_person(graph: &Graph, h: &dyn Heuristic) -> HashMap<(i64, i64), f64> {
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let mut map = HashMap::new();
    for u in 0..graph.num_nodes() {
        let u = NodeId(u as u32);
        h.score(graph, u, &mut scratch, &mut out);
        for (&v, &s) in graph.neighbors(u).iter().zip(&out) {
            map.insert((graph.person(u), graph.person(v)), s);
        }
    }
    map
}

fn weighted_degree(graph: &Graph, u: NodeId) -> f64 {
    match graph.weights() {
        Some(w) => graph.csr().slots(u).map(|s| w[s]).sum(),
        None => graph.degree(u) as f64,
    }
}

/// Naive values of the neighbourhood scores for the pair (u, v), from sets.
fn naive(adj: &[BTreeSet<u32>], name: &str, u: u32, v: u32) -> f64 {
    let (nu, nv) = (&adj[u as usize], &adj[v as usize]);
    let common: Vec<u32> = nu.intersection(nv).copied().collect();
    let c = common.len() as f64;
    let k = |x: u32| adj[x as usize].len() as f64;
    match name {
        "common_neighbors" => c,
        "jaccard" => c / nu.union(nv).count() as f64,
        "adamic_adar" => common.iter().map(|&w| 1.0 / k(w).ln()).sum(),
        "resource_allocation" => common.iter().map(|&w| 1.0 / k(w)).sum(),
        "overlap" => {
            let denom = (k(u) - 1.0) + (k(v) - 1.0) - c;
            if denom > 0.0 { c / denom } else { 0.0 }
        }
        _ => unreachable!("{name}"),
    }
}

/// Naive raw dispersion of (u, v), straight from the definition.
fn naive_dispersion(adj: &[BTreeSet<u32>], u: u32, v: u32) -> u64 {
    let nu = &adj[u as usize];
    let common: Vec<u32> = nu.intersection(&adj[v as usize]).copied().collect();
    let mut disp = 0;
    for (i, &s) in common.iter().enumerate() {
        for &t in &common[i + 1..] {
            let adjacent = adj[s as usize].contains(&t);
            let shared = nu
                .iter()
                .any(|&w| w != v && adj[s as usize].contains(&w) && adj[t as usize].contains(&w));
            if !adjacent && !shared {
                disp += 1;
            }
        }
    }
    disp
}

/// Exact lazy personalized PageRank from `s` by power iteration on
/// `x ← α e_s + (1 − α) x W`, `W = (I + D⁻¹A)/2`; a node of weighted degree 0 keeps its mass.
fn power_iteration(graph: &Graph, s: NodeId, alpha: f64) -> Vec<f64> {
    let n = graph.num_nodes();
    let d: Vec<f64> = (0..n)
        .map(|u| weighted_degree(graph, NodeId(u as u32)))
        .collect();
    let mut x = vec![0.0; n];
    x[s.index()] = 1.0;
    for _ in 0..20_000 {
        let mut next = vec![0.0; n];
        next[s.index()] += alpha;
        for u in 0..n {
            let mass = (1.0 - alpha) * x[u];
            if d[u] == 0.0 {
                next[u] += mass;
                continue;
            }
            next[u] += mass / 2.0;
            for slot in graph.csr().slots(NodeId(u as u32)) {
                let w = graph.weights().map_or(1.0, |w| w[slot]);
                next[graph.csr().target(slot).index()] += mass * w / (2.0 * d[u]);
            }
        }
        let change: f64 = x.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
        x = next;
        if change < 1e-15 {
            break;
        }
    }
    x
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn one_finite_score_per_friend(rg in random_graph()) {
        let graph = rg.build(i64::from);
        let config = HeuristicConfig::default();
        let mut scratch = Scratch::new();
        let mut out = Vec::new();
        for name in TWO_HOP {
            let h = build(name, &config, &graph).unwrap();
            for u in 0..graph.num_nodes() {
                let u = NodeId(u as u32);
                h.score(&graph, u, &mut scratch, &mut out);
                prop_assert_eq!(out.len(), graph.degree(u), "{}", name);
                prop_assert!(out.iter().all(|s| s.is_finite() && *s >= 0.0), "{} {:?}", name, out);
            }
        }
    }

    #[test]
    fn invariant_under_renumbering(
        rg in random_graph(),
        perm in Just((0..14i64).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let relabel = |i: u32| perm[i as usize] * 5 - 17;
        let (g1, g2) = (rg.build(i64::from), rg.build(relabel));
        let config = HeuristicConfig::default();
        for name in TWO_HOP {
            let s1 = scores_by_person(&g1, build(name, &config, &g1).unwrap().as_ref());
            let s2 = scores_by_person(&g2, build(name, &config, &g2).unwrap().as_ref());
            prop_assert_eq!(s1.len(), s2.len());
            for (&(u, v), &a) in &s1 {
                let b = s2[&(relabel(u as u32), relabel(v as u32))];
                // Summation order follows dense ids, so allow rounding; the push visits
                // nodes in another order, and both runs are within ε·d(v) of the same
                // exact value.
                let tol = if *name == "ppr" {
                    config.ppr_epsilon * weighted_degree(&g1, g1.dense(v).unwrap()) + 1e-15
                } else {
                    1e-12 * a.abs().max(1.0)
                };
                prop_assert!((a - b).abs() <= tol, "{} ({}, {}): {} vs {}", name, u, v, a, b);
            }
        }
    }

    #[test]
    fn neighbourhood_scores_match_naive_sets(rg in random_graph()) {
        let graph = rg.build(i64::from);
        let adj = rg.sets();
        let config = HeuristicConfig::default();
        for name in ["common_neighbors", "jaccard", "adamic_adar", "resource_allocation", "overlap"] {
            let scores = scores_by_person(&graph, build(name, &config, &graph).unwrap().as_ref());
            prop_assert_eq!(scores.len(), adj.iter().map(BTreeSet::len).sum::<usize>());
            for (&(u, v), &got) in &scores {
                let want = naive(&adj, name, u as u32, v as u32);
                prop_assert!((got - want).abs() <= 1e-12, "{} ({}, {}): {} vs {}", name, u, v, got, want);
            }
        }
    }

    #[test]
    fn every_tie_sums_match_naive_sets_once_per_tie(rg in random_graph()) {
        let graph = rg.build(i64::from);
        let adj = rg.sets();
        let index = TieIndex::new(&graph);
        let ties: Vec<(NodeId, NodeId)> = index.ties(&graph).collect();
        // Every tie exactly once, as (smaller, larger), in lexicographic order.
        prop_assert_eq!(ties.len(), adj.iter().map(BTreeSet::len).sum::<usize>() / 2);
        prop_assert!(ties.windows(2).all(|w| w[0] < w[1]) && ties.iter().all(|(u, v)| u < v));
        let aa = every_tie_sums(&graph, &index, |w| 1.0 / (graph.degree(w) as f64).ln());
        let ra = every_tie_sums(&graph, &index, |w| 1.0 / graph.degree(w) as f64);
        prop_assert_eq!(&aa.common, &ra.common);
        for (i, &(u, v)) in ties.iter().enumerate() {
            prop_assert_eq!(index.index(&graph, v, u), i);
            let (pu, pv) = (graph.person(u) as u32, graph.person(v) as u32);
            prop_assert_eq!(f64::from(aa.common[i]), naive(&adj, "common_neighbors", pu, pv));
            prop_assert!((aa.sum[i] - naive(&adj, "adamic_adar", pu, pv)).abs() <= 1e-12);
            prop_assert!((ra.sum[i] - naive(&adj, "resource_allocation", pu, pv)).abs() <= 1e-12);
        }
    }

    #[test]
    fn dispersion_matches_the_definition(rg in random_graph()) {
        let graph = rg.build(i64::from);
        let adj = rg.sets();
        let config = HeuristicConfig::default();
        let h = build("dispersion", &config, &graph).unwrap();
        let (mut scratch, mut out) = (Scratch::new(), Vec::new());
        let (mut disp, mut emb) = (Vec::new(), Vec::new());
        for u in 0..graph.num_nodes() {
            let target = NodeId(u as u32);
            Dispersion::raw(&graph, target, &mut scratch, &mut disp, &mut emb);
            h.score(&graph, target, &mut scratch, &mut out);
            // Person ids are the indices of the random edge list (dense ids skip people
            // without friends).
            let pu = graph.person(target) as u32;
            for (i, &v) in graph.neighbors(target).iter().enumerate() {
                let pv = graph.person(v) as u32;
                let want = naive_dispersion(&adj, pu, pv);
                prop_assert_eq!(disp[i], want, "({}, {})", pu, pv);
                let c = adj[pu as usize].intersection(&adj[pv as usize]).count() as u64;
                prop_assert_eq!(emb[i], c);
                let norm = (want as f64 + config.dispersion_b).powf(config.dispersion_alpha)
                    / (c as f64 + config.dispersion_c);
                prop_assert!((out[i] - norm).abs() <= 1e-12);
            }
        }
    }

    #[test]
    fn ppr_push_is_within_its_bound_of_power_iteration(rg in random_graph(), eps_exp in 3i32..10) {
        let graph = rg.build(i64::from);
        let epsilon = 10f64.powi(-eps_exp);
        let config = HeuristicConfig { ppr_epsilon: epsilon, ..HeuristicConfig::default() };
        let h = build("ppr", &config, &graph).unwrap();
        let (mut scratch, mut out) = (Scratch::new(), Vec::new());
        for u in 0..graph.num_nodes() {
            let target = NodeId(u as u32);
            h.score(&graph, target, &mut scratch, &mut out);
            let exact = power_iteration(&graph, target, config.ppr_alpha);
            for (&v, &p) in graph.neighbors(target).iter().zip(&out) {
                let gap = exact[v.index()] - p;
                let bound = epsilon * weighted_degree(&graph, v);
                prop_assert!(gap >= -1e-12 && gap <= bound + 1e-12,
                    "target {} friend {}: push {}, exact {}, bound {}", u, v.0, p, exact[v.index()], bound);
            }
        }
    }

    #[test]
    fn scratch_is_left_clean(rg in random_graph(), a in 0usize..14, b in 0usize..14) {
        let graph = rg.build(i64::from);
        let (a, b) = (NodeId((a % graph.num_nodes()) as u32), NodeId((b % graph.num_nodes()) as u32));
        let config = HeuristicConfig::default();
        let hs: Vec<_> = TWO_HOP.iter().map(|n| build(n, &config, &graph).unwrap()).collect();
        // One scratch shared by every heuristic, as a ranking thread does: A, B, then A again.
        let mut shared = Scratch::new();
        let mut first = Vec::new();
        let mut out = Vec::new();
        for h in &hs {
            h.score(&graph, a, &mut shared, &mut out);
            first.push(out.clone());
        }
        for h in &hs {
            h.score(&graph, b, &mut shared, &mut out);
        }
        for (h, want) in hs.iter().zip(&first) {
            h.score(&graph, a, &mut shared, &mut out);
            prop_assert_eq!(&out, want, "{}", h.name());
            let mut fresh = Vec::new();
            h.score(&graph, a, &mut Scratch::new(), &mut fresh);
            prop_assert_eq!(&fresh, want, "{}", h.name());
        }
        prop_assert!(shared.dense_a.iter().all(|x| *x == 0.0));
        prop_assert!(shared.dense_b.iter().all(|x| *x == 0.0));
    }

    /// `ppr` keeps each node's weighted degree in the thread's scratch across targets: a
    /// scratch that served one graph must not lend those degrees to another graph of the
    /// same size (the partitioned load ranks wave after wave of graphs on one thread).
    #[test]
    fn ppr_degree_cache_follows_the_graph(rg in random_graph(), a in 0usize..14) {
        prop_assume!(rg.weights.is_some());
        let g1 = rg.build(i64::from);
        let mut heavier = rg.clone();
        heavier.weights = rg.weights.as_ref().map(|w| {
            w.iter().enumerate().map(|(i, x)| if i % 2 == 0 { x * 3.0 + 1.0 } else { *x }).collect()
        });
        let g2 = heavier.build(i64::from);
        prop_assert_eq!(g1.num_nodes(), g2.num_nodes());
        let a = NodeId((a % g1.num_nodes()) as u32);
        let config = HeuristicConfig::default();
        let h = build("ppr", &config, &g1).unwrap();
        let mut shared = Scratch::new();
        let mut out = Vec::new();
        for u in 0..g1.num_nodes() {
            h.score(&g1, NodeId(u as u32), &mut shared, &mut out);
        }
        h.score(&g2, a, &mut shared, &mut out);
        let mut fresh = Vec::new();
        h.score(&g2, a, &mut Scratch::new(), &mut fresh);
        prop_assert_eq!(out, fresh);
    }
}

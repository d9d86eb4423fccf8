//! Golden tests: every two-hop heuristic and personalized PageRank against reference values
//! computed by networkx on Zachary's karate club and Les Misérables.
//!
//! The reference file and the script that writes it live in `crates/heuristics/golden/`;
//! the file carries the graphs' edge lists and weights, so nothing else is read here.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use tierank_graph::Graph;
use tierank_heuristics::two_hop::{
    AdamicAdar, CommonNeighbors, Dispersion, Jaccard, Overlap, PersonalizedPageRank,
    RecursiveDispersion, ResourceAllocation,
};
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch};

const REFERENCE: &str = include_str!("../golden/reference.json");

/// Values that are exact in both implementations up to floating-point summation order.
const TOLERANCE: f64 = 1e-9;

/// How far networkx's own power iteration may be from the exact PageRank: it stops when
/// `Σ_v |x_v − x'_v| < N · tol` with `tol = 1e-13`, so its error is below
/// `N · tol / (1 − damping)`, under 1e-10 for these graphs.
const NETWORKX_PPR_SLACK: f64 = 1e-10;

#[derive(Deserialize)]
struct Reference {
    networkx_version: String,
    ppr_teleport: f64,
    ppr_damping: f64,
    dispersion_bk: [f64; 3],
    recursive_dispersion_rounds: u32,
    graphs: BTreeMap<String, GraphRef>,
}

#[derive(Deserialize)]
struct GraphRef {
    edges: Vec<(i64, i64, f64)>,
    pairs: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    target: i64,
    friend: i64,
    common_neighbors: f64,
    jaccard: f64,
    adamic_adar: f64,
    resource_allocation: f64,
    overlap: f64,
    dispersion_raw: f64,
    dispersion_bk: f64,
    dispersion_nx: f64,
    recursive_dispersion: f64,
    ppr: f64,
}

/// Picks one reference value out of a row.
type Field = fn(&Row) -> f64;

fn reference() -> Reference {
    serde_json::from_str(REFERENCE).expect("golden/reference.json parses")
}

fn build(g: &GraphRef) -> Graph {
    let edges: Vec<(i64, i64)> = g.edges.iter().map(|&(a, b, _)| (a, b)).collect();
    let weights: Vec<f64> = g.edges.iter().map(|&(_, _, w)| w).collect();
    Graph::from_person_edges(&edges, Some(&weights))
        .expect("reference graph builds")
        .0
}

/// Scores of every (target, friend) pair, keyed by person ids.
fn all_scores(graph: &Graph, h: &dyn Heuristic) -> HashMap<(i64, i64), f64> {
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let mut scores = HashMap::new();
    for u in graph.ids().persons() {
        let target = graph.dense(*u).expect("person");
        h.score(graph, target, &mut scratch, &mut out);
        assert_eq!(out.len(), graph.degree(target), "{}", h.name());
        for (&v, &s) in graph.neighbors(target).iter().zip(&out) {
            scores.insert((*u, graph.person(v)), s);
        }
    }
    scores
}

fn check(
    name: &str,
    graph_name: &str,
    g: &GraphRef,
    scores: &HashMap<(i64, i64), f64>,
    want: impl Fn(&Row) -> f64,
) {
    assert_eq!(
        scores.len(),
        g.pairs.len(),
        "{graph_name}/{name}: pair count"
    );
    for row in &g.pairs {
        let got = scores[&(row.target, row.friend)];
        let expected = want(row);
        assert!(
            (got - expected).abs() <= TOLERANCE,
            "{graph_name}/{name} ({}, {}): got {got}, networkx {expected}",
            row.target,
            row.friend
        );
    }
}

#[test]
fn reference_file_matches_the_parameters_used_here() {
    let r = reference();
    assert!(
        r.networkx_version.starts_with('3'),
        "{}",
        r.networkx_version
    );
    let config = HeuristicConfig::default();
    assert_eq!(r.ppr_teleport, config.ppr_alpha);
    let lazy_as_plain = 2.0 * config.ppr_alpha / (1.0 + config.ppr_alpha);
    assert!((r.ppr_damping - (1.0 - lazy_as_plain)).abs() < 1e-15);
    assert_eq!(
        r.dispersion_bk,
        [
            config.dispersion_alpha,
            config.dispersion_b,
            config.dispersion_c
        ]
    );
    assert_eq!(r.recursive_dispersion_rounds, config.dispersion_iterations);
    assert_eq!(r.graphs["karate"].edges.len(), 78);
    assert_eq!(r.graphs["les_miserables"].edges.len(), 254);
}

#[test]
fn neighbourhood_scores_match_networkx() {
    let r = reference();
    for (graph_name, g) in &r.graphs {
        let graph = build(g);
        let cases: [(&dyn Heuristic, Field); 5] = [
            (&CommonNeighbors, |r| r.common_neighbors),
            (&Jaccard, |r| r.jaccard),
            (&AdamicAdar, |r| r.adamic_adar),
            (&ResourceAllocation, |r| r.resource_allocation),
            (&Overlap, |r| r.overlap),
        ];
        for (h, want) in cases {
            check(h.name(), graph_name, g, &all_scores(&graph, h), want);
        }
    }
}

#[test]
fn dispersion_matches_networkx() {
    let r = reference();
    let bk = HeuristicConfig::default();
    let nx_defaults = HeuristicConfig {
        dispersion_alpha: 1.0,
        dispersion_b: 0.0,
        dispersion_c: 0.0,
        ..HeuristicConfig::default()
    };
    for (graph_name, g) in &r.graphs {
        let graph = build(g);
        let h = Dispersion::new(&bk).unwrap();
        check(
            "dispersion (0.61, 0, 5)",
            graph_name,
            g,
            &all_scores(&graph, &h),
            |r| r.dispersion_bk,
        );
        let h = Dispersion::new(&nx_defaults).unwrap();
        check(
            "dispersion (1, 0, 0)",
            graph_name,
            g,
            &all_scores(&graph, &h),
            |r| r.dispersion_nx,
        );

        let mut scratch = Scratch::new();
        let (mut disp, mut emb) = (Vec::new(), Vec::new());
        let mut raw = HashMap::new();
        for u in graph.ids().persons() {
            let target = graph.dense(*u).unwrap();
            Dispersion::raw(&graph, target, &mut scratch, &mut disp, &mut emb);
            for (i, &v) in graph.neighbors(target).iter().enumerate() {
                raw.insert((*u, graph.person(v)), disp[i] as f64);
            }
        }
        check("dispersion raw", graph_name, g, &raw, |r| r.dispersion_raw);
        // Some pairs must actually be dispersed, or this test checks little.
        assert!(
            g.pairs.iter().any(|r| r.dispersion_raw >= 3.0),
            "{graph_name}"
        );
    }
}

#[test]
fn recursive_dispersion_matches_the_naive_python_recursion() {
    let r = reference();
    let h = RecursiveDispersion::new(&HeuristicConfig::default()).unwrap();
    for (graph_name, g) in &r.graphs {
        let graph = build(g);
        check(h.name(), graph_name, g, &all_scores(&graph, &h), |r| {
            r.recursive_dispersion
        });
    }
}

/// Checks the push estimate against networkx's PageRank: `0 ≤ exact − p < ε d(v)` up to
/// networkx's own error, and the top-5 friends come in the same order wherever the exact
/// values are further apart than that bound.
fn check_ppr(epsilon: f64) {
    let r = reference();
    let config = HeuristicConfig {
        ppr_epsilon: epsilon,
        ..HeuristicConfig::default()
    };
    let h = PersonalizedPageRank::new(&config).unwrap();
    for (graph_name, g) in &r.graphs {
        let graph = build(g);
        let scores = all_scores(&graph, &h);
        let mut wdeg: HashMap<i64, f64> = HashMap::new();
        for &(a, b, w) in &g.edges {
            *wdeg.entry(a).or_default() += w;
            *wdeg.entry(b).or_default() += w;
        }
        let bound = |v: i64| epsilon * wdeg[&v] + NETWORKX_PPR_SLACK;
        let mut by_target: BTreeMap<i64, Vec<(i64, f64, f64)>> = BTreeMap::new();
        for row in &g.pairs {
            let p = scores[&(row.target, row.friend)];
            let gap = row.ppr - p;
            assert!(
                gap >= -NETWORKX_PPR_SLACK && gap <= bound(row.friend),
                "{graph_name} ε={epsilon} ({}, {}): push {p}, networkx {}, bound {}",
                row.target,
                row.friend,
                row.ppr,
                bound(row.friend)
            );
            by_target
                .entry(row.target)
                .or_default()
                .push((row.friend, row.ppr, p));
        }
        for (target, mut friends) in by_target {
            friends.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let top = &friends[..friends.len().min(5)];
            for (i, a) in top.iter().enumerate() {
                for b in &friends[i + 1..] {
                    if a.1 - b.1 > bound(a.0) {
                        assert!(
                            a.2 > b.2,
                            "{graph_name} ε={epsilon} target {target}: {} should outrank {}",
                            a.0,
                            b.0
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn ppr_push_is_within_its_bound_of_networkx_at_default_epsilon() {
    check_ppr(HeuristicConfig::default().ppr_epsilon);
}

#[test]
fn ppr_push_is_within_its_bound_of_networkx_at_tight_epsilon() {
    check_ppr(1e-12);
}

//! The global budget policy: its invariants, and optimality of the greedy choice.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tierank_graph::Graph;
use tierank_heuristics::HeuristicConfig;
use tierank_select::{Policy, SelectOptions, Selection, select};

use crate::common::{Volume, graph, nodes, options, table};
use crate::policies::fixture;

fn picked(s: &Selection) -> Vec<(i64, i64)> {
    s.rows.iter().map(|r| (r.target, r.alter)).collect()
}

fn run_volume(policy: &str) -> Selection {
    let g = fixture();
    let config = HeuristicConfig::default();
    let policy: Policy = policy.parse().unwrap();
    select(
        &g,
        &nodes(&g, &[1, 10]),
        &Volume::default(),
        &policy,
        &options(&config),
    )
    .unwrap()
}

#[test]
fn budget_uses_normalised_scores_without_calibration() {
    // Normalised: target 1 → 2: 1, 3: 8/18, 4 and 6: 2/18, 5: 0; target 10 → 2: 1,
    // 11: 1, 12: 3/4. Ties at 1 go by target input order, then person id.
    let s = run_volume("budget:3");
    assert_eq!(picked(&s), vec![(1, 2), (10, 2), (10, 11)]);
    // Person 2 may receive one notice only: 12 comes in instead.
    let s = run_volume("budget:3,cap:1");
    assert_eq!(picked(&s), vec![(1, 2), (10, 11), (10, 12)]);
    // A large budget never takes the zero-valued friend 5 (no evidence of closeness).
    let s = run_volume("budget:100");
    assert_eq!(s.rows.len(), 7);
    assert!(s.rows.iter().all(|r| r.alter != 5));
}

#[test]
fn budget_ranks_within_target_by_score() {
    let s = run_volume("budget:5");
    let t1: Vec<(i64, u32)> = s
        .rows
        .iter()
        .filter(|r| r.target == 1)
        .map(|r| (r.alter, r.selection_rank))
        .collect();
    assert_eq!(t1, vec![(2, 1), (3, 2)]);
}

/// Edges, (target, friend, score) triples, and targets.
type Instance = (Vec<(i64, i64)>, Vec<(i64, i64, f64)>, Vec<i64>);

/// Random small instances: up to 8 people, up to 3 targets, scores in [0, 1] used directly as
/// calibrated probabilities.
fn instance() -> impl Strategy<Value = Instance> {
    let edges = proptest::collection::vec((0i64..8, 0i64..8), 1..16);
    (edges, 1usize..=3).prop_flat_map(|(edges, nt)| {
        let pairs: Vec<(i64, i64)> = edges.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
        let scores = proptest::collection::vec(0u32..=4, pairs.len()).prop_map(move |s| {
            pairs
                .iter()
                .zip(s)
                .map(|(&(a, b), q)| (a, b, f64::from(q) / 4.0))
                .collect::<Vec<_>>()
        });
        let targets = proptest::sample::subsequence((0i64..8).collect::<Vec<_>>(), nt);
        (Just(edges), scores, targets)
    })
}

/// The best total probability of at most `budget` (target, friend) pairs with no person
/// more than `cap` times, by exhaustive search.
fn brute_force(items: &[(i64, f64)], budget: usize, cap: usize) -> f64 {
    fn go(items: &[(i64, f64)], left: usize, cap: usize, used: &mut BTreeMap<i64, usize>) -> f64 {
        let Some((&(p, v), rest)) = items.split_first() else {
            return 0.0;
        };
        let mut best = go(rest, left, cap, used);
        if left > 0 && used.get(&p).copied().unwrap_or(0) < cap {
            *used.entry(p).or_default() += 1;
            best = best.max(v + go(rest, left - 1, cap, used));
            *used.entry(p).or_default() -= 1;
        }
        best
    }
    go(items, budget, cap, &mut BTreeMap::new())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn greedy_respects_budget_and_cap_and_is_optimal(
        (edges, scores, targets) in instance(),
        budget in 1u64..6,
        cap in proptest::option::of(1u32..3),
    ) {
        let g: Graph = graph(&edges, &[]);
        let targets: Vec<i64> = targets.into_iter().filter(|&t| g.dense(t).is_some()).collect();
        prop_assume!(!targets.is_empty());
        let h = table(&scores);
        let config = HeuristicConfig::default();
        let calibration = |s: f64| s;
        let opts = SelectOptions { calibration: Some(&calibration), ..options(&config) };
        let policy = Policy::Budget { budget, cap };
        let s = select(&g, &nodes(&g, &targets), &h, &policy, &opts).unwrap();

        prop_assert!(s.rows.len() as u64 <= budget);
        let mut received: BTreeMap<i64, u32> = BTreeMap::new();
        for r in &s.rows {
            *received.entry(r.alter).or_default() += 1;
            prop_assert!(r.probability.unwrap() > 0.0);
        }
        if let Some(cap) = cap {
            prop_assert!(received.values().all(|&n| n <= cap));
        }

        let mut items: Vec<(i64, f64)> = Vec::new();
        for &t in &targets {
            for &v in g.neighbors(g.dense(t).unwrap()) {
                let p = g.person(v);
                items.push((p, h.scores.get(&(t, p)).copied().unwrap_or(0.0)));
            }
        }
        let total: f64 = s.rows.iter().map(|r| r.probability.unwrap()).sum();
        let best = brute_force(&items, budget as usize, cap.map_or(usize::MAX, |c| c as usize));
        prop_assert!((total - best).abs() < 1e-9, "greedy {} vs optimum {}", total, best);
    }
}

//! Opt-outs: never selected under any policy; unknown ids counted; strict minimisation.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tierank_format::Channel::{Call, Message};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch};
use tierank_select::{ExclusionSet, Policy, SelectOptions, Selection, minimize, select};

use crate::common::{CommonFriends, Events, Volume, graph, nodes, options, table};
use crate::policies::fixture;

fn picked(s: &Selection) -> Vec<(i64, i64)> {
    s.rows.iter().map(|r| (r.target, r.alter)).collect()
}

#[test]
fn excluded_people_are_skipped_and_counted() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let opts = SelectOptions {
        excluded: ExclusionSet::new(&g, &[2, 999, 2, -7]),
        ..options(&config)
    };
    assert_eq!(opts.excluded.listed(), 3);
    assert_eq!(opts.excluded.unknown(), &[-7, 999]);
    let policy: Policy = "top-k:2".parse().unwrap();
    let s = select(&g, &nodes(&g, &[1, 10]), &Volume::default(), &policy, &opts).unwrap();
    // Person 2 would have been first for both targets; the next in line replace them.
    assert_eq!(picked(&s), vec![(1, 3), (1, 4), (10, 11), (10, 12)]);
    assert_eq!(s.consent.listed, 3);
    assert_eq!(s.consent.unknown, 2);
    assert_eq!(s.consent.excluded_in_graph, 1);
    assert_eq!(s.consent.excluded_would_have_been_selected, 2);
    // The canonical checksum ignores order and duplicates.
    assert_eq!(
        ExclusionSet::new(&g, &[-7, 999, 2]).canonical_sha256(),
        s.consent.canonical_sha256
    );
    assert_ne!(
        ExclusionSet::new(&g, &[2]).canonical_sha256(),
        s.consent.canonical_sha256
    );
}

/// People 1..=4 form a clique; 9 (who opts out) is friends with all of them and talks to 1 and 2;
/// 5 is friends with 1 and 9 only.
fn with_opt_out() -> (Vec<(i64, i64)>, Vec<Events>) {
    let edges = vec![
        (1, 2),
        (1, 3),
        (1, 4),
        (2, 3),
        (2, 4),
        (3, 4),
        (9, 1),
        (9, 2),
        (9, 3),
        (9, 4),
        (9, 5),
        (1, 5),
    ];
    let events: Vec<Events> = vec![
        (1, 2, Message, 5),
        (2, 1, Call, 1),
        (1, 9, Call, 7),
        (9, 2, Message, 3),
        (3, 4, Message, 1),
        (5, 1, Message, 2),
    ];
    (edges, events)
}

fn all_scores(g: &Graph, h: &dyn Heuristic) -> BTreeMap<(i64, i64), f64> {
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let mut map = BTreeMap::new();
    for u in 0..g.num_nodes() {
        let u = NodeId(u as u32);
        h.score(g, u, &mut scratch, &mut out);
        for (&v, &s) in g.neighbors(u).iter().zip(&out) {
            map.insert((g.person(u), g.person(v)), s);
        }
    }
    map
}

#[test]
fn minimised_graph_scores_like_a_graph_built_without_them() {
    let (edges, events) = with_opt_out();
    let full = graph(&edges, &events);
    let minimised = minimize(&full, &nodes(&full, &[9])).unwrap();
    let keep_edges: Vec<(i64, i64)> = edges
        .iter()
        .copied()
        .filter(|&(a, b)| a != 9 && b != 9)
        .collect();
    let keep_events: Vec<Events> = events
        .iter()
        .copied()
        .filter(|e| e.0 != 9 && e.1 != 9)
        .collect();
    let without = graph(&keep_edges, &keep_events);

    // Ids still resolve; 9 is isolated.
    assert_eq!(minimised.ids(), full.ids());
    assert_eq!(minimised.degree(full.dense(9).unwrap()), 0);
    assert_eq!(minimised.num_edges(), keep_edges.len());

    let volume = Volume::default();
    for h in [&CommonFriends as &dyn Heuristic, &volume] {
        let a = all_scores(&minimised, h);
        let b = all_scores(&without, h);
        assert_eq!(a, b, "{}", h.name());
    }
    // The opt-out mattered for the two-hop heuristic: 9 was a common friend.
    let before: BTreeMap<(i64, i64), f64> = all_scores(&full, &CommonFriends)
        .into_iter()
        .filter(|((t, v), _)| *t != 9 && *v != 9)
        .collect();
    assert_ne!(before, all_scores(&without, &CommonFriends));
}

#[test]
fn minimize_keeps_user_weights_of_kept_ties() {
    let (g, _) =
        Graph::from_person_edges(&[(1, 2), (2, 3), (1, 3)], Some(&[4.0, 5.0, 6.0])).unwrap();
    let m = minimize(&g, &nodes(&g, &[3])).unwrap();
    assert_eq!(m.weights().unwrap(), &[4.0, 4.0]);
    assert!(minimize(&g, &[NodeId(7)]).is_err());
}

#[test]
fn strict_minimisation_removes_evidence_about_others() {
    let (edges, events) = with_opt_out();
    let full = graph(&edges, &events);
    let config = HeuristicConfig::default();
    let policy: Policy = "threshold:1".parse().unwrap();
    let targets = nodes(&full, &[1]);
    let loose = SelectOptions {
        excluded: ExclusionSet::new(&full, &[9]),
        ..options(&config)
    };
    // Without minimisation, 9 still vouches for 5 (their only common friend).
    let s = select(&full, &targets, &CommonFriends, &policy, &loose).unwrap();
    assert_eq!(picked(&s), vec![(1, 2), (1, 3), (1, 4), (1, 5)]);
    assert_eq!(s.consent.excluded_would_have_been_selected, 1);
    let strict = SelectOptions {
        excluded: ExclusionSet::new(&full, &[9]),
        strict_minimization: true,
        ..options(&config)
    };
    let s = select(&full, &targets, &CommonFriends, &policy, &strict).unwrap();
    assert_eq!(picked(&s), vec![(1, 2), (1, 3), (1, 4)]);
    // Counted on the graph as given: 9 would have been selected.
    assert_eq!(s.consent.excluded_would_have_been_selected, 1);

    // Same rows as a graph that never had person 9.
    let keep_edges: Vec<(i64, i64)> = edges
        .iter()
        .copied()
        .filter(|&(a, b)| a != 9 && b != 9)
        .collect();
    let keep_events: Vec<Events> = events
        .iter()
        .copied()
        .filter(|e| e.0 != 9 && e.1 != 9)
        .collect();
    let without = graph(&keep_edges, &keep_events);
    for p in ["top-k:2", "threshold:1", "coverage:70", "budget:5,cap:1"] {
        let policy: Policy = p.parse().unwrap();
        let targets = [1, 2, 3, 4, 5];
        let a = select(
            &full,
            &nodes(&full, &targets),
            &Volume::default(),
            &policy,
            &strict,
        )
        .unwrap();
        let b = select(
            &without,
            &nodes(&without, &targets),
            &Volume::default(),
            &policy,
            &options(&config),
        )
        .unwrap();
        assert_eq!(a.rows, b.rows, "{p}");
    }
}

#[derive(Debug, Clone)]
struct Case {
    edges: Vec<(i64, i64)>,
    events: Vec<Events>,
    scores: Vec<(i64, i64, f64)>,
    excluded: Vec<i64>,
    targets: Vec<i64>,
}

fn case() -> impl Strategy<Value = Case> {
    let edges = proptest::collection::vec((0i64..12, 0i64..12), 1..30);
    edges.prop_flat_map(|edges| {
        let directed: Vec<(i64, i64)> = edges
            .iter()
            .filter(|(a, b)| a != b)
            .flat_map(|&(a, b)| [(a, b), (b, a)])
            .collect();
        let d = directed.clone();
        let events = proptest::collection::vec((0..directed.len().max(1), 0u32..4, 1u32..5), 0..12)
            .prop_map(move |raw| {
                raw.into_iter()
                    .filter_map(|(i, c, n)| {
                        let &(a, b) = d.get(i)?;
                        let channel = if c == 0 { Call } else { Message };
                        Some((a, b, channel, n))
                    })
                    .collect::<Vec<Events>>()
            });
        let n = directed.len();
        let scores = proptest::collection::vec(-2.0f64..3.0, n).prop_map(move |s| {
            directed
                .iter()
                .zip(s)
                .map(|(&(a, b), x)| (a, b, x))
                .collect::<Vec<_>>()
        });
        let excluded = proptest::collection::vec(-3i64..15, 0..6);
        let targets = proptest::sample::subsequence((0i64..12).collect::<Vec<_>>(), 1..6);
        (Just(edges), events, scores, excluded, targets).prop_map(
            |(edges, events, scores, excluded, targets)| Case {
                edges,
                events,
                scores,
                excluded,
                targets,
            },
        )
    })
}

fn any_policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        (1u32..6).prop_map(Policy::TopK),
        (-2.0f64..3.0).prop_map(Policy::Threshold),
        (1.0f64..=100.0).prop_map(Policy::Coverage),
        (0.01f64..=1.0).prop_map(Policy::Probability),
        (1u64..20, proptest::option::of(1u32..3))
            .prop_map(|(budget, cap)| Policy::Budget { budget, cap }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn excluded_people_are_never_selected(
        c in case(),
        policy in any_policy(),
        strict in any::<bool>(),
        min_evidence in 0u32..3,
    ) {
        let g = graph(&c.edges, &c.events);
        let targets: Vec<i64> = c.targets.iter().copied().filter(|&t| g.dense(t).is_some()).collect();
        prop_assume!(!targets.is_empty());
        let min_evidence = if g.interactions().is_some() { min_evidence } else { 0 };
        let h = table(&c.scores);
        let config = HeuristicConfig::default();
        let calibration = |s: f64| ((s + 2.0) / 5.0).clamp(0.0, 1.0);
        let excluded = ExclusionSet::new(&g, &c.excluded);
        let opts = SelectOptions {
            excluded: excluded.clone(),
            strict_minimization: strict,
            min_evidence,
            calibration: Some(&calibration),
            config: &config,
        };
        let s = select(&g, &nodes(&g, &targets), &h, &policy, &opts).unwrap();
        let banned: BTreeSet<i64> = c.excluded.iter().copied().collect();
        for r in &s.rows {
            prop_assert!(!banned.contains(&r.alter), "{} selected for {} under {}", r.alter, r.target, policy);
            prop_assert!(g.csr().has_edge(g.dense(r.target).unwrap(), g.dense(r.alter).unwrap()));
        }
        prop_assert_eq!(s.consent.unknown as usize, excluded.unknown().len());

        // Compared with the same run without the list: a pure filter policy loses exactly the
        // excluded, and the count says how many.
        let open = SelectOptions { excluded: ExclusionSet::empty(), ..opts };
        let all = select(&g, &nodes(&g, &targets), &h, &policy, &open).unwrap();
        prop_assert_eq!(all.consent.excluded_would_have_been_selected, 0);
        let lost = all.rows.iter().filter(|r| banned.contains(&r.alter)).count() as u64;
        prop_assert_eq!(s.consent.excluded_would_have_been_selected, lost);
        if !strict && matches!(policy, Policy::Threshold(_) | Policy::Probability(_)) {
            let kept: Vec<(i64, i64)> = all.rows.iter().filter(|r| !banned.contains(&r.alter)).map(|r| (r.target, r.alter)).collect();
            prop_assert_eq!(picked(&s), kept);
        }
    }
}

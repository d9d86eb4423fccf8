//! Each per-target policy on a hand-made graph, and the row contents.

use tierank_format::Channel::{Call, Like, Message};
use tierank_graph::Graph;
use tierank_heuristics::HeuristicConfig;
use tierank_select::{Calibration, Policy, SelectError, SelectOptions, Selection, select};

use crate::common::{Events, Table, Volume, graph, nodes, options, table};

/// Target 1's friends and their channel-weighted volumes with default weights
/// (message 1, call 3, like 0.2): 2 → 18 (calls 15, messages 3), 3 → 8 (messages 6,
/// likes 2), 4 → 2, 5 → 0, 6 → 2. Target 10: 2 → 4, 11 → 4, 12 → 3 (one call).
pub fn fixture() -> Graph {
    let edges = [
        (1, 2),
        (1, 3),
        (1, 4),
        (1, 5),
        (1, 6),
        (2, 3),
        (10, 2),
        (10, 11),
        (10, 12),
    ];
    let events: [Events; 9] = [
        (1, 2, Call, 3),
        (2, 1, Call, 2),
        (1, 2, Message, 3),
        (1, 3, Message, 4),
        (3, 1, Message, 2),
        (3, 1, Like, 10),
        (4, 1, Message, 2),
        (6, 1, Message, 2),
        (10, 2, Message, 4),
    ];
    let mut all = events.to_vec();
    all.extend([(11, 10, Message, 4), (10, 12, Call, 1)]);
    graph(&edges, &all)
}

fn run(g: &Graph, targets: &[i64], policy: &str, opts: &SelectOptions<'_>) -> Selection {
    let h = Volume::default();
    let policy: Policy = policy.parse().expect("valid policy");
    select(g, &nodes(g, targets), &h, &policy, opts).expect("selection succeeds")
}

fn picked(s: &Selection) -> Vec<(i64, i64)> {
    s.rows.iter().map(|r| (r.target, r.alter)).collect()
}

#[test]
fn top_k_takes_highest_scores_ties_by_person_id() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let s = run(&g, &[1], "top-k:3", &options(&config));
    assert_eq!(picked(&s), vec![(1, 2), (1, 3), (1, 4)]);
    let ranks: Vec<u32> = s.rows.iter().map(|r| r.selection_rank).collect();
    assert_eq!(ranks, vec![1, 2, 3]);
    let scores: Vec<f64> = s.rows.iter().map(|r| r.score).collect();
    assert_eq!(scores, vec![18.0, 8.0, 2.0]);
    // More than the friends: everyone, including the zero score.
    assert_eq!(run(&g, &[1], "top-k:50", &options(&config)).rows.len(), 5);
}

#[test]
fn rows_follow_target_input_order() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let s = run(&g, &[10, 1], "top-k:1", &options(&config));
    assert_eq!(picked(&s), vec![(10, 2), (1, 2)]);
    let t: Vec<i64> = s.exposure.per_target.iter().map(|e| e.target).collect();
    assert_eq!(t, vec![10, 1]);
    assert_eq!(s.exposure.notices, 2);
    assert_eq!(s.exposure.people_reached, 1, "person 2 is counted once");
}

#[test]
fn threshold_is_inclusive() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let s = run(&g, &[1], "threshold:2", &options(&config));
    assert_eq!(picked(&s), vec![(1, 2), (1, 3), (1, 4), (1, 6)]);
    let s = run(&g, &[1], "threshold:2.5", &options(&config));
    assert_eq!(picked(&s), vec![(1, 2), (1, 3)]);
}

#[test]
fn coverage_takes_the_smallest_prefix_by_weight() {
    let g = fixture();
    let config = HeuristicConfig::default();
    // Total weight 30: 18 is exactly 60%.
    assert_eq!(
        picked(&run(&g, &[1], "coverage:60", &options(&config))),
        vec![(1, 2)]
    );
    assert_eq!(
        picked(&run(&g, &[1], "coverage:61", &options(&config))),
        vec![(1, 2), (1, 3)]
    );
    // 26/30 < 90%: one more, and the tie between 4 and 6 (weight 2 each) goes to 4.
    assert_eq!(
        picked(&run(&g, &[1], "coverage:90", &options(&config))),
        vec![(1, 2), (1, 3), (1, 4)]
    );
    // Person 5 holds no weight and is never needed.
    assert_eq!(
        picked(&run(&g, &[1], "coverage:100", &options(&config))),
        vec![(1, 2), (1, 3), (1, 4), (1, 6)]
    );
}

#[test]
fn coverage_uses_channel_weights_not_scores() {
    let g = fixture();
    let config = HeuristicConfig::default();
    // A heuristic that prefers 5 (who has no events) does not change who holds the weight.
    let h = table(&[(1, 5, 100.0), (1, 2, 1.0)]);
    let policy: Policy = "coverage:60".parse().unwrap();
    let s = select(&g, &nodes(&g, &[1]), &h, &policy, &options(&config)).unwrap();
    assert_eq!(picked(&s), vec![(1, 2)]);
    assert_eq!(s.rows[0].score, 1.0);
}

/// A calibration with a map of coverage's walk: probability = `uncovered` share, block per
/// walk rank; the heuristic's map says 0.5 everywhere.
struct WithCoverage;

impl Calibration for WithCoverage {
    fn probability(&self, _score: f64, _at: tierank_select::Position) -> f64 {
        0.5
    }

    fn coverage(
        &self,
        uncovered: f64,
        at: tierank_select::Position,
    ) -> Option<(f64, Option<tierank_select::Block>)> {
        Some((
            uncovered,
            Some(tierank_select::Block {
                id: u64::from(at.rank),
                standard_error: 0.0,
            }),
        ))
    }
}

#[test]
fn coverage_reads_the_calibration_of_its_own_walk() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let calibration = WithCoverage;
    let mut opts = options(&config);
    opts.calibration = Some(&calibration);
    // Weights 18, 8, 2, 2 of 30: 2 is first (all uncovered), 3 second (12/30 left), then 4
    // (4/30 left).
    let s = run(&g, &[1], "coverage:90", &opts);
    assert_eq!(picked(&s), vec![(1, 2), (1, 3), (1, 4)]);
    let p: Vec<f64> = s.rows.iter().map(|r| r.probability.unwrap()).collect();
    let want = [1.0, 12.0 / 30.0, 4.0 / 30.0];
    for (got, want) in p.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{p:?}");
    }
    let collateral: f64 = want.iter().map(|p| 1.0 - p).sum();
    assert!((s.exposure.expected_collateral.unwrap() - collateral).abs() < 1e-12);
    // Other policies still read the heuristic's map.
    let s = run(&g, &[1], "top-k:2", &opts);
    assert!(s.rows.iter().all(|r| r.probability == Some(0.5)));
}

#[test]
fn probability_needs_a_calibration() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let policy: Policy = "probability:0.5".parse().unwrap();
    let err = select(
        &g,
        &nodes(&g, &[1]),
        &Volume::default(),
        &policy,
        &options(&config),
    )
    .unwrap_err();
    assert!(
        matches!(err, SelectError::CalibrationRequired { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("calibration"), "{err}");
}

#[test]
fn probability_selects_and_reports_collateral() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let calibration = |s: f64| (s / 20.0).clamp(0.0, 1.0);
    let opts = SelectOptions {
        calibration: Some(&calibration),
        ..options(&config)
    };
    let s = run(&g, &[1], "probability:0.4", &opts);
    assert_eq!(picked(&s), vec![(1, 2), (1, 3)]);
    let probs: Vec<Option<f64>> = s.rows.iter().map(|r| r.probability).collect();
    assert_eq!(probs, vec![Some(0.9), Some(0.4)]);
    let collateral = s.exposure.expected_collateral.unwrap();
    assert!((collateral - 0.7).abs() < 1e-12, "{collateral}");
    assert_eq!(
        s.exposure.per_target[0].expected_collateral,
        Some(collateral)
    );
    // Without a calibration there is no probability and no collateral figure.
    let s = run(&g, &[1], "top-k:1", &options(&config));
    assert_eq!(s.rows[0].probability, None);
    assert_eq!(s.exposure.expected_collateral, None);
}

#[test]
fn invalid_calibration_is_reported() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let calibration = |s: f64| s;
    let opts = SelectOptions {
        calibration: Some(&calibration as &dyn Calibration),
        ..options(&config)
    };
    let policy: Policy = "top-k:1".parse().unwrap();
    let err = select(&g, &nodes(&g, &[1]), &Volume::default(), &policy, &opts).unwrap_err();
    assert!(
        matches!(err, SelectError::InvalidProbability { target: 1, .. }),
        "{err}"
    );
}

#[test]
fn reason_is_the_top_weighted_channel() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let s = run(&g, &[1], "top-k:5", &options(&config));
    let reasons: Vec<(i64, &str)> = s
        .rows
        .iter()
        .map(|r| (r.alter, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (2, "call"),
            (3, "message"),
            (4, "message"),
            (6, "message"),
            (5, "structure")
        ]
    );
    // Likes outweigh messages once their channel weight is high enough.
    let mut heavy_likes = HeuristicConfig::default();
    heavy_likes.channel_weights[Like.index()] = 1.0;
    let s = run(&g, &[1], "top-k:2", &options(&heavy_likes));
    assert_eq!(s.rows[1].alter, 3);
    assert_eq!(s.rows[1].reason, "like");
}

#[test]
fn graph_without_events_gives_structure_reasons() {
    let g = graph(&[(1, 2), (1, 3), (2, 3)], &[]);
    let config = HeuristicConfig::default();
    let h = table(&[(1, 2, 2.0), (1, 3, 1.0)]);
    let policy: Policy = "top-k:2".parse().unwrap();
    let s = select(&g, &nodes(&g, &[1]), &h, &policy, &options(&config)).unwrap();
    assert_eq!(picked(&s), vec![(1, 2), (1, 3)]);
    assert!(s.rows.iter().all(|r| r.reason == "structure"));
}

#[test]
fn min_evidence_counts_both_directions() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let opts = SelectOptions {
        min_evidence: 3,
        ..options(&config)
    };
    // Person 4 sent 2 messages and 6 sent 2: both fall short; 3 has 4 + 2 + 10 events.
    let s = run(&g, &[1], "threshold:0", &opts);
    assert_eq!(picked(&s), vec![(1, 2), (1, 3)]);
    let opts = SelectOptions {
        min_evidence: 17,
        ..options(&config)
    };
    // 2 has 8 events, 3 has 16: nobody reaches 17.
    assert!(run(&g, &[1], "top-k:5", &opts).rows.is_empty());
    let opts = SelectOptions {
        min_evidence: 16,
        ..options(&config)
    };
    assert_eq!(picked(&run(&g, &[1], "top-k:5", &opts)), vec![(1, 3)]);
}

#[test]
fn min_evidence_without_events_is_an_error() {
    let g = graph(&[(1, 2)], &[]);
    let config = HeuristicConfig::default();
    let opts = SelectOptions {
        min_evidence: 1,
        ..options(&config)
    };
    let policy: Policy = "top-k:1".parse().unwrap();
    let err = select(&g, &nodes(&g, &[1]), &Table::default(), &policy, &opts).unwrap_err();
    assert!(matches!(
        err,
        SelectError::MinEvidenceWithoutEvents { min_evidence: 1 }
    ));
    assert!(err.to_string().contains("no events"), "{err}");
    // Zero is fine.
    let s = select(
        &g,
        &nodes(&g, &[1]),
        &Table::default(),
        &policy,
        &options(&config),
    )
    .unwrap();
    assert_eq!(s.rows.len(), 1);
}

#[test]
fn duplicate_targets_are_rejected() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let policy: Policy = "top-k:1".parse().unwrap();
    let err = select(
        &g,
        &nodes(&g, &[1, 10, 1]),
        &Volume::default(),
        &policy,
        &options(&config),
    )
    .unwrap_err();
    assert!(
        matches!(err, SelectError::DuplicateTarget { person: 1 }),
        "{err}"
    );
}

#[test]
fn same_result_at_any_thread_count() {
    let g = fixture();
    let config = HeuristicConfig::default();
    let calibration = |s: f64| (s / 20.0).clamp(0.0, 1.0);
    let opts = SelectOptions {
        calibration: Some(&calibration),
        ..options(&config)
    };
    let targets = [1, 10, 2, 3, 11];
    for policy in [
        "top-k:2",
        "coverage:80",
        "budget:6,cap:2",
        "probability:0.1",
    ] {
        let in_pool = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| run(&g, &targets, policy, &opts))
        };
        assert_eq!(in_pool(1), in_pool(4), "{policy}");
    }
}

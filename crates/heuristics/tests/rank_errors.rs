//! The ranking driver reports broken contracts as errors, as `evaluate` and `select` do,
//! instead of panicking: a heuristic that writes the wrong number of scores, `k = 0`, a
//! target that is not a node, more heuristics than the output can index.

use tierank_graph::{Graph, NodeId};
use tierank_heuristics::rank::{RankError, RankOptions, rank_targets};
use tierank_heuristics::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch, build};

/// Breaks the one-score-per-friend contract: writes one score too few.
#[derive(Debug)]
struct OneShort;

impl Heuristic for OneShort {
    fn name(&self) -> &str {
        "one_short"
    }
    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }
    fn needs(&self) -> Needs {
        Needs::Topology
    }
    fn score(&self, graph: &Graph, target: NodeId, _: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        out.extend(graph.neighbors(target).iter().skip(1).map(|_| 1.0));
    }
}

fn graph() -> Graph {
    Graph::from_person_edges(&[(10, 20), (10, 30), (20, 30)], None)
        .unwrap()
        .0
}

/// Ranks in chunks of one target, so an error comes after the chunks before it.
fn run(
    g: &Graph,
    targets: &[NodeId],
    hs: &[Box<dyn Heuristic>],
    k: usize,
) -> Result<u64, RankError> {
    let opts = RankOptions {
        chunk_size: 1,
        ..RankOptions::default()
    };
    rank_targets(
        g,
        targets,
        hs,
        k,
        &opts,
        |_| Ok::<(), RankError>(()),
        &|_| {},
    )
    .map(|s| s.rows)
}

/// A sink error of the caller's own type still passes through unchanged.
#[derive(Debug, PartialEq)]
enum SinkError {
    Full,
    Rank(RankError),
}

impl From<RankError> for SinkError {
    fn from(e: RankError) -> Self {
        Self::Rank(e)
    }
}

#[test]
fn a_heuristic_with_too_few_scores_is_an_error() {
    let g = graph();
    let hs: Vec<Box<dyn Heuristic>> = vec![Box::new(OneShort)];
    let err = run(&g, &[NodeId(0)], &hs, 2).unwrap_err();
    assert_eq!(
        err,
        RankError::ScoreCount {
            heuristic: "one_short".into(),
            person: 10,
            scores: 1,
            friends: 2,
        }
    );
    assert_eq!(
        err.to_string(),
        "heuristic 'one_short' wrote 1 scores for person 10, who has 2 friends"
    );
    // At any thread count the error is the first target's in target order.
    let targets = [NodeId(2), NodeId(1), NodeId(0)];
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let err = pool.install(|| run(&g, &targets, &hs, 2)).unwrap_err();
        assert!(
            matches!(err, RankError::ScoreCount { person: 30, .. }),
            "{err}"
        );
    }
}

#[test]
fn the_callers_error_type_carries_both() {
    let g = graph();
    let hs = vec![build("degree", &HeuristicConfig::default(), &g).unwrap()];
    let sink = |_| Err(SinkError::Full);
    let got = rank_targets(
        &g,
        &[NodeId(0)],
        &hs,
        1,
        &RankOptions::default(),
        sink,
        &|_| {},
    );
    assert_eq!(got.unwrap_err(), SinkError::Full);
    let ok = |_| Ok::<(), SinkError>(());
    let got = rank_targets(
        &g,
        &[NodeId(0)],
        &hs,
        0,
        &RankOptions::default(),
        ok,
        &|_| {},
    );
    assert_eq!(got.unwrap_err(), SinkError::Rank(RankError::ZeroK));
}

#[test]
fn zero_k_is_an_error() {
    let g = graph();
    let hs = vec![build("degree", &HeuristicConfig::default(), &g).unwrap()];
    assert_eq!(run(&g, &[NodeId(0)], &hs, 0).unwrap_err(), RankError::ZeroK);
}

#[test]
fn a_target_out_of_range_is_an_error() {
    let g = graph();
    let hs = vec![build("degree", &HeuristicConfig::default(), &g).unwrap()];
    let err = run(&g, &[NodeId(0), NodeId(3)], &hs, 1).unwrap_err();
    assert_eq!(err, RankError::TargetOutOfRange { node: 3, nodes: 3 });
}

#[test]
fn more_than_256_heuristics_is_an_error() {
    let g = graph();
    let hs: Vec<Box<dyn Heuristic>> = (0..257)
        .map(|_| build("degree", &HeuristicConfig::default(), &g).unwrap())
        .collect();
    let err = run(&g, &[NodeId(0)], &hs, 1).unwrap_err();
    assert_eq!(err, RankError::TooManyHeuristics { count: 257 });
}

/// Found by fuzzing a model file (`tierank-fuzz --reader model`, seed 1, input 338426):
/// `ppr_alpha = 5e-324` was inside (0, 1), so it passed validation, but `1 - α == 1` and
/// the push never ended.
#[test]
fn ppr_parameters_too_small_to_finish_are_refused() {
    for (alpha, epsilon) in [(5e-324, 1e-4), (1e-4, 1e-4), (0.15, 5e-324), (0.15, 1e-13)] {
        let config = HeuristicConfig {
            ppr_alpha: alpha,
            ppr_epsilon: epsilon,
            ..HeuristicConfig::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("ppr_"),
            "alpha {alpha}, epsilon {epsilon}: {err}"
        );
    }
    let smallest = HeuristicConfig {
        ppr_alpha: tierank_heuristics::MIN_PPR_ALPHA,
        ppr_epsilon: tierank_heuristics::MIN_PPR_EPSILON,
        ..HeuristicConfig::default()
    };
    assert!(smallest.validate().is_ok());
}

/// A set cancel flag stops the ranking before any target is scored: no chunk reaches the
/// caller, and the error says why.
#[test]
fn a_set_cancel_flag_stops_the_ranking() {
    let g = graph();
    let hs = vec![build("degree", &HeuristicConfig::default(), &g).unwrap()];
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let opts = RankOptions {
        cancel: Some(cancel),
        ..RankOptions::default()
    };
    let mut chunks = 0;
    let got = rank_targets(
        &g,
        &[NodeId(0), NodeId(1)],
        &hs,
        1,
        &opts,
        |_| {
            chunks += 1;
            Ok::<(), RankError>(())
        },
        &|_| {},
    );
    assert_eq!(got.unwrap_err(), RankError::Cancelled);
    assert_eq!(chunks, 0);
}

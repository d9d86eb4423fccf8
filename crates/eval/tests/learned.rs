//! The learned combination: recovery of a planted signal, persistence, calibration.

mod common;

use common::{random_edges, truth_from_closeness, unit};
use tierank_eval::learned::{LEARNED, TieFeatureSet};
use tierank_eval::{
    Calibrator, EvalError, EvalOptions, LearnedHeuristic, LearnedModel, LearnedOptions, Metric,
    ModelKind, Stratum, evaluate, split_train_test, stratified_sample, train_learned,
    train_learned_cancellable,
};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, HeuristicConfig, Needs, Scratch, build};

/// A weighted graph whose truth is decided by the tie weight alone (plus nothing else):
/// closeness of `u → v` is the friendship's weight, so layers follow weight ranks.
fn weighted() -> (Graph, tierank_eval::TruthIndex) {
    let edges = random_edges(300, 12, 5);
    let weights: Vec<f64> = (0..edges.len())
        .map(|i| 50.0 * unit(5, i as u64, 1).powi(3))
        .collect();
    let (g, _) = Graph::from_person_edges(&edges, Some(&weights)).unwrap();
    let w = g.weights().unwrap().to_vec();
    let (truth, _) = truth_from_closeness(&g, |u, v| w[g.csr().slot(u, v).unwrap()] / 50.0);
    (g, truth)
}

fn components() -> Vec<String> {
    vec!["degree".into(), "random".into()]
}

/// The logistic model on base features only: one readable coefficient per input.
fn plain_logistic() -> LearnedOptions {
    LearnedOptions {
        kind: ModelKind::Logistic,
        ego_ranks: false,
        ..LearnedOptions::default()
    }
}

#[test]
fn recovers_a_planted_feature_and_beats_random_on_held_out_targets() {
    let (g, truth) = weighted();
    let sample = stratified_sample(&g, 300, 2);
    let (train, test) = split_train_test(&g, &sample.targets, 0.5, 2);
    assert!(train.iter().all(|t| test.binary_search(t).is_err()));
    let config = HeuristicConfig::default();
    let model = train_learned(
        &g,
        &train,
        &components(),
        &config,
        &truth,
        &plain_logistic(),
    )
    .unwrap();
    assert_eq!(model.tie_features, TieFeatureSet::Weights);
    assert!(model.training.converged, "{:?}", model.training);
    // The weight is the only informative feature: by far the largest coefficient.
    let table = model.coefficient_table();
    let (best, coefficient) = table
        .iter()
        .copied()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .unwrap();
    assert_eq!(best, "log1p_weight", "{table:?}");
    assert!(coefficient > 0.0);

    let learned = LearnedHeuristic::new(model, &g).unwrap();
    assert_eq!(learned.name(), LEARNED);
    assert_eq!(learned.needs(), Needs::Weights);
    let heuristics: Vec<Box<dyn Heuristic>> =
        vec![Box::new(learned), build("random", &config, &g).unwrap()];
    let opts = EvalOptions {
        resamples: 100,
        ..EvalOptions::default()
    };
    let e = evaluate(&g, &test, &heuristics, &truth, &opts).unwrap();
    let auc = |h: &str| e.metric(h, None, Metric::Auc, Stratum::All).unwrap().value;
    assert!(auc(LEARNED) > 0.97, "learned AUC {}", auc(LEARNED));
    assert!(auc("random") < 0.6);
    let p5 = |h: &str| {
        e.metric(h, Some(5), Metric::Precision, Stratum::All)
            .unwrap()
            .value
    };
    assert!(p5(LEARNED) > p5("random") + 0.3);
}

#[test]
fn model_round_trips_and_scores_identically_after_reload() {
    let (g, truth) = weighted();
    let targets: Vec<NodeId> = (0..100).map(NodeId).collect();
    for kind in [ModelKind::Gbt, ModelKind::Logistic] {
        let options = LearnedOptions {
            kind,
            ..LearnedOptions::default()
        };
        let model = train_learned(
            &g,
            &targets,
            &components(),
            &HeuristicConfig::default(),
            &truth,
            &options,
        )
        .unwrap();
        assert_eq!(model.kind, kind);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.json");
        model.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&format!("\"kind\": \"{kind}\"")),
            "kind recorded"
        );
        let reloaded = LearnedModel::load(&path).unwrap();
        assert_eq!(reloaded, model);
        // Saving the reloaded model gives the same bytes: nothing is lost in the round trip.
        let again = dir.path().join("again.json");
        reloaded.save(&again).unwrap();
        assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
        let before = LearnedHeuristic::new(model.clone(), &g).unwrap();
        let after = LearnedHeuristic::from_file(&path, &g).unwrap();
        let (mut s1, mut s2) = (Scratch::new(), Scratch::new());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for t in 100..200 {
            before.score(&g, NodeId(t), &mut s1, &mut a);
            after.score(&g, NodeId(t), &mut s2, &mut b);
            assert_eq!(a.len(), g.degree(NodeId(t)));
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            assert!(a.iter().all(|x| x.is_finite()));
        }
        // A tampered file is rejected with its path.
        std::fs::write(
            &path,
            model.to_json().replace("\"format\": 2", "\"format\": 9"),
        )
        .unwrap();
        let err = LearnedModel::load(&path).unwrap_err();
        assert!(
            matches!(err, EvalError::Model { .. }) && err.to_string().contains("model.json"),
            "{err}"
        );
    }
}

/// Trees that point back up (a cycle) or name a feature the model does not have are refused
/// on load, so a hand-edited model file cannot hang or crash `rank`.
#[test]
fn malformed_trees_are_refused() {
    let (g, truth) = weighted();
    let targets: Vec<NodeId> = (0..60).map(NodeId).collect();
    let model = train_learned(
        &g,
        &targets,
        &components(),
        &HeuristicConfig::default(),
        &truth,
        &LearnedOptions::default(),
    )
    .unwrap();
    let mut cyclic = model.clone();
    let tree = &mut cyclic.gbt.as_mut().unwrap().trees[0];
    assert!(tree.feature[0] >= 0, "the first tree splits");
    tree.left[0] = 0;
    assert!(LearnedModel::from_json(&cyclic.to_json()).is_err());
    let mut unknown = model.clone();
    unknown.gbt.as_mut().unwrap().trees[0].feature[0] = 10_000;
    assert!(LearnedModel::from_json(&unknown.to_json()).is_err());
    let mut mixed = model;
    mixed.kind = ModelKind::Logistic;
    assert!(LearnedModel::from_json(&mixed.to_json()).is_err());
}

/// Training and scoring give the same bytes with 1 and with 2 worker threads.
#[test]
fn gbt_is_identical_at_one_and_two_threads() {
    let (g, truth) = weighted();
    let targets: Vec<NodeId> = (0..150).map(NodeId).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let model = train_learned(
                &g,
                &targets,
                &components(),
                &HeuristicConfig::default(),
                &truth,
                &LearnedOptions::default(),
            )
            .unwrap();
            let json = model.to_json();
            let h: Vec<Box<dyn Heuristic>> =
                vec![Box::new(LearnedHeuristic::new(model, &g).unwrap())];
            let test: Vec<NodeId> = (150..300).map(NodeId).collect();
            let opts = EvalOptions {
                resamples: 50,
                keep_top: 5,
                ..EvalOptions::default()
            };
            let e = evaluate(&g, &test, &h, &truth, &opts).unwrap();
            let ranks: Vec<(usize, i64, u64)> = e
                .rankings
                .iter()
                .map(|r| (r.target, r.alter, r.score.to_bits()))
                .collect();
            (json, ranks)
        })
    };
    let (one, two) = (run(1), run(2));
    assert!(one.0 == two.0, "model.json differs between 1 and 2 threads");
    assert_eq!(one.1, two.1);
}

/// Closeness peaks at a middle tie weight: no monotone (logistic) function of the features
/// ranks it well, trees do. The paired bootstrap interval of the P@5 gain is above zero.
#[test]
fn gbt_beats_logistic_on_a_non_monotone_signal() {
    let edges = random_edges(400, 12, 6);
    let weights: Vec<f64> = (0..edges.len())
        .map(|i| 50.0 * unit(6, i as u64, 1))
        .collect();
    let (g, _) = Graph::from_person_edges(&edges, Some(&weights)).unwrap();
    let w = g.weights().unwrap().to_vec();
    let (truth, _) = truth_from_closeness(&g, |u, v| {
        1.0 - (w[g.csr().slot(u, v).unwrap()] - 25.0).abs() / 25.0
    });
    let all: Vec<NodeId> = (0..g.num_nodes() as u32).map(NodeId).collect();
    let (train, test) = split_train_test(&g, &all, 0.5, 3);
    let config = HeuristicConfig::default();
    let mut rows: Vec<Box<dyn Heuristic>> = Vec::new();
    for (name, kind) in [("gbt", ModelKind::Gbt), ("logistic", ModelKind::Logistic)] {
        let options = LearnedOptions {
            kind,
            ..LearnedOptions::default()
        };
        let model = train_learned(&g, &train, &components(), &config, &truth, &options).unwrap();
        rows.push(Box::new(common::Renamed {
            inner: Box::new(LearnedHeuristic::new(model, &g).unwrap()),
            name,
        }));
    }
    let opts = EvalOptions {
        resamples: 200,
        agreement: false,
        ..EvalOptions::default()
    };
    let e = evaluate(&g, &test, &rows, &truth, &opts).unwrap();
    let d = e
        .paired_difference("gbt", "logistic", Some(5), Metric::Precision, Stratum::All)
        .unwrap();
    assert_eq!(d.heuristic, "gbt - logistic");
    assert!(d.ci_low.unwrap() > 0.0, "{d:?}");
    let gbt = e
        .metric("gbt", Some(5), Metric::Precision, Stratum::All)
        .unwrap()
        .value;
    let logistic = e
        .metric("logistic", Some(5), Metric::Precision, Stratum::All)
        .unwrap()
        .value;
    assert!(
        (gbt - logistic - d.value).abs() < 1e-12,
        "{gbt} {logistic} {d:?}"
    );
}

#[test]
fn refuses_single_class_training_and_unsupported_graphs() {
    let (g, truth) = weighted();
    // People with one friend: that friend is always layer 1, so every example is relevant.
    let lonely: Vec<NodeId> = (0..g.num_nodes() as u32)
        .map(NodeId)
        .filter(|&t| g.degree(t) == 1)
        .collect();
    if !lonely.is_empty() {
        let err = train_learned(
            &g,
            &lonely,
            &components(),
            &HeuristicConfig::default(),
            &truth,
            &LearnedOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, EvalError::Training { .. }), "{err}");
    }
    let events = LearnedOptions {
        tie_features: Some(TieFeatureSet::Events),
        ..LearnedOptions::default()
    };
    let targets: Vec<NodeId> = (0..50).map(NodeId).collect();
    assert!(
        train_learned(
            &g,
            &targets,
            &components(),
            &HeuristicConfig::default(),
            &truth,
            &events
        )
        .is_err()
    );
}

#[test]
fn calibration_is_monotone_and_matches_rates() {
    // Score 1: 1 of 4 relevant; score 2: 3 of 4; score 3: 0 of 2 (pooled with 2).
    let scores = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0];
    let labels = [
        true, false, false, false, true, true, true, false, false, false,
    ];
    let c = Calibrator::fit(&scores, &labels).unwrap();
    assert_eq!(c.probability(1.0), 0.25);
    assert_eq!(c.probability(2.0), 0.5);
    assert_eq!(c.probability(3.0), 0.5);
    assert_eq!(c.probability(-5.0), 0.25);
    assert_eq!(c.probability(1.5), 0.25, "between blocks: the lower block");
    assert_eq!(c.probability(100.0), 0.5);
    assert!(Calibrator::fit(&[], &[]).is_err());

    let (g, truth) = weighted();
    let targets: Vec<NodeId> = (0..150).map(NodeId).collect();
    let volume = build("volume", &HeuristicConfig::default(), &g).unwrap();
    let c = Calibrator::fit_heuristic(&g, &targets, volume.as_ref(), &truth, 3).unwrap();
    assert!(c.probability.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        c.probability(f64::MAX) > 0.5 && c.probability(0.0) < 0.2,
        "{c:?}"
    );
}

#[test]
fn event_features_carry_a_planted_call_signal() {
    use tierank_graph::interactions::interactions_from_ties;
    use tierank_graph::{ChannelStats, TieSummary, TimeWindow};
    let edges = random_edges(250, 10, 8);
    let (g, _) = Graph::from_person_edges(&edges, None).unwrap();
    let persons = g.ids().clone();
    let closeness =
        move |u: NodeId, v: NodeId| unit(8, persons.person(u) as u64, persons.person(v) as u64);
    let mut ties = Vec::new();
    for u in 0..g.num_nodes() as u32 {
        for &v in g.neighbors(NodeId(u)) {
            // Calls from u to v grow with u's planted closeness to v.
            let calls = 1 + (200.0 * closeness(NodeId(u), v).powi(2)) as u32;
            let summary = TieSummary {
                active_days: calls.min(90) as u16,
                active_weeks: 1,
                ..TieSummary::default()
            };
            let call = ChannelStats {
                count: calls,
                channel: 1,
                active_days: 1,
                ..ChannelStats::default()
            };
            ties.push((NodeId(u), v, summary, vec![call]));
        }
    }
    let window = TimeWindow {
        start_ms: 0,
        end_ms: 90 * 86_400_000,
    };
    let inter = interactions_from_ties(g.num_nodes(), window, 86_400_000, ties).unwrap();
    let g = g.with_interactions(inter).unwrap();
    let (truth, _) = truth_from_closeness(&g, closeness);
    let all: Vec<NodeId> = (0..g.num_nodes() as u32).map(NodeId).collect();
    let (train, test) = split_train_test(&g, &all, 0.5, 1);
    let model = train_learned(
        &g,
        &train,
        &components(),
        &HeuristicConfig::default(),
        &truth,
        &LearnedOptions::default(),
    )
    .unwrap();
    assert_eq!(model.tie_features, TieFeatureSet::Events);
    let learned = LearnedHeuristic::new(model, &g).unwrap();
    assert_eq!(learned.needs(), Needs::Events);
    let heuristics: Vec<Box<dyn Heuristic>> = vec![Box::new(learned)];
    let opts = EvalOptions {
        resamples: 0,
        agreement: false,
        ..EvalOptions::default()
    };
    let e = evaluate(&g, &test, &heuristics, &truth, &opts).unwrap();
    let auc = e.metric(LEARNED, None, Metric::Auc, Stratum::All).unwrap();
    assert!(auc.value > 0.97, "{auc:?}");
    assert_eq!(auc.ci_low, None, "no resamples, no interval");
}

#[test]
fn a_set_cancel_flag_stops_training_with_cancelled() {
    // Before, training ran to its end whatever the caller asked (a Ctrl-C in Python's
    // `tierank.compare` waited for every training target and every tree).
    let (g, truth) = weighted();
    let sample = stratified_sample(&g, 300, 2);
    let (train, _) = split_train_test(&g, &sample.targets, 0.5, 2);
    let config = HeuristicConfig::default();
    let stop = std::sync::atomic::AtomicBool::new(true);
    for kind in [ModelKind::Gbt, ModelKind::Logistic] {
        let options = LearnedOptions {
            kind,
            ..LearnedOptions::default()
        };
        let result = train_learned_cancellable(
            &g,
            &train,
            &components(),
            &config,
            &truth,
            &options,
            Some(&stop),
        );
        assert!(matches!(result, Err(EvalError::Cancelled)), "{kind:?}");
        // An unset flag trains as usual.
        let go_on = std::sync::atomic::AtomicBool::new(false);
        assert!(
            train_learned_cancellable(
                &g,
                &train,
                &components(),
                &config,
                &truth,
                &options,
                Some(&go_on)
            )
            .is_ok()
        );
    }
}

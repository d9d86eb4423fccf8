//! End-to-end checks of `evaluate` on synthetic graphs with a planted truth.

mod common;

use common::{noisy, random_edges, truth_from_closeness, unit};
use proptest::prelude::*;
use tierank_eval::evaluate::AgreementMeasure;
use tierank_eval::{
    EvalError, EvalOptions, Evaluation, Metric, ORACLE, Stratum, evaluate, stratified_sample,
};
use tierank_format::Relation;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, HeuristicConfig, build};

fn setup(n: u64, m: u64, seed: u64) -> (Graph, tierank_eval::TruthIndex, Vec<f64>) {
    let (g, _) = Graph::from_person_edges(&random_edges(n, m, seed), None).unwrap();
    let (truth, closeness) = truth_from_closeness(&g, |u, v| {
        unit(seed, g.person(u) as u64, g.person(v) as u64)
    });
    (g, truth, closeness)
}

fn heuristics(g: &Graph, closeness: &[f64]) -> Vec<Box<dyn Heuristic>> {
    vec![
        Box::new(noisy("good", closeness, 0.3, 1)),
        Box::new(noisy("poor", closeness, 3.0, 2)),
        build("random", &HeuristicConfig::default(), g).unwrap(),
    ]
}

fn options() -> EvalOptions {
    EvalOptions {
        ks: vec![1, 5, 15],
        resamples: 200,
        seed: 9,
        ..EvalOptions::default()
    }
}

fn value(e: &Evaluation, h: &str, k: Option<usize>, m: Metric) -> f64 {
    e.metric(h, k, m, Stratum::All).unwrap().value
}

#[test]
fn oracle_is_the_ceiling_and_random_the_floor() {
    let (g, truth, closeness) = setup(400, 25, 1);
    let sample = stratified_sample(&g, 150, 4);
    let e = evaluate(
        &g,
        &sample.targets,
        &heuristics(&g, &closeness),
        &truth,
        &options(),
    )
    .unwrap();
    assert_eq!(e.heuristics, vec!["good", "poor", "random", ORACLE]);
    for k in [1, 5, 15] {
        assert_eq!(value(&e, ORACLE, Some(k), Metric::Ndcg), 1.0);
        let (good, poor, random) = (
            value(&e, "good", Some(k), Metric::Precision),
            value(&e, "poor", Some(k), Metric::Precision),
            value(&e, "random", Some(k), Metric::Precision),
        );
        assert!(value(&e, ORACLE, Some(k), Metric::Precision) >= good);
        assert!(
            good > poor && poor > random,
            "k={k}: {good} {poor} {random}"
        );
        assert!(
            value(&e, "random", Some(k), Metric::Exposure)
                > value(&e, "good", Some(k), Metric::Exposure)
        );
    }
    // At most 15 friends are in layers 1-3, so the oracle's top 15 holds all of them.
    assert_eq!(value(&e, ORACLE, Some(15), Metric::Recall), 1.0);
    assert_eq!(value(&e, ORACLE, None, Metric::Auc), 1.0);
    assert_eq!(value(&e, ORACLE, None, Metric::AveragePrecision), 1.0);
    let random_auc = e.metric("random", None, Metric::Auc, Stratum::All).unwrap();
    assert!(
        random_auc.ci_low.unwrap() < 0.5 && 0.5 < random_auc.ci_high.unwrap(),
        "{random_auc:?}"
    );
    // The oracle finds every planted partner first.
    let partner = e
        .metric(
            ORACLE,
            Some(1),
            Metric::Recall,
            Stratum::Relation(Relation::Partner),
        )
        .unwrap();
    assert_eq!(partner.value, 1.0);
    // Degree strata partition the targets.
    let all = e
        .metric("good", Some(5), Metric::Precision, Stratum::All)
        .unwrap()
        .targets;
    let by_degree: usize = e
        .metrics
        .iter()
        .filter(|r| {
            r.heuristic == "good"
                && r.k == Some(5)
                && r.metric == Metric::Precision
                && matches!(r.stratum, Stratum::Degree(_))
        })
        .map(|r| r.targets)
        .sum();
    assert_eq!(all, by_degree);
    assert_eq!(all, sample.targets.len());
    // Agreement: a heuristic close to the truth agrees with the oracle more than random does.
    let tau = |a: &str, b: &str| {
        e.agreement
            .iter()
            .find(|r| {
                r.heuristic_a == a
                    && r.heuristic_b == b
                    && r.measure == AgreementMeasure::KendallTauB
            })
            .unwrap()
            .value
    };
    assert!(tau("good", ORACLE) > 0.5 && tau("random", ORACLE).abs() < 0.1);
    assert_eq!(e.timings.len(), 3);
}

#[test]
fn per_target_rows_satisfy_exposure_identity() {
    let (g, truth, closeness) = setup(200, 12, 2);
    let targets: Vec<NodeId> = (0..60).map(NodeId).collect();
    let e = evaluate(
        &g,
        &targets,
        &heuristics(&g, &closeness),
        &truth,
        &options(),
    )
    .unwrap();
    for row in e
        .per_target
        .iter()
        .filter(|r| r.metric == Metric::Exposure && r.stratum == Stratum::All)
    {
        let info = e.targets[row.target];
        let k_eff = (row.k.unwrap() as usize).min(info.degree) as f64;
        let precision = e
            .per_target
            .iter()
            .find(|p| {
                p.target == row.target
                    && p.heuristic == row.heuristic
                    && p.k == row.k
                    && p.metric == Metric::Precision
            })
            .unwrap()
            .value;
        assert!((row.value + precision * k_eff - k_eff).abs() < 1e-9);
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let (g, truth, closeness) = setup(300, 15, 3);
    let sample = stratified_sample(&g, 80, 1);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let mut e = evaluate(
                    &g,
                    &sample.targets,
                    &heuristics(&g, &closeness),
                    &truth,
                    &options(),
                )
                .unwrap();
                e.timings.iter_mut().for_each(|t| t.wall_seconds = 0.0);
                e
            })
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one, two);
    assert!(!one.metrics.is_empty() && !one.agreement.is_empty());
}

#[test]
fn rejects_bad_options_targets_and_heuristics() {
    let (g, truth, closeness) = setup(50, 4, 4);
    let h = heuristics(&g, &closeness);
    let bad = EvalOptions {
        ks: vec![0],
        ..options()
    };
    assert!(matches!(
        evaluate(&g, &[NodeId(0)], &h, &truth, &bad),
        Err(EvalError::InvalidOption { name: "ks", .. })
    ));
    let bad = EvalOptions {
        relevant_layer: 6,
        ..options()
    };
    assert!(evaluate(&g, &[NodeId(0)], &h, &truth, &bad).is_err());
    assert!(matches!(
        evaluate(&g, &[NodeId(10_000)], &h, &truth, &options()),
        Err(EvalError::TargetOutOfRange { .. })
    ));
    let short: Vec<Box<dyn Heuristic>> = vec![Box::new(Short)];
    let target = (0..g.num_nodes() as u32)
        .map(NodeId)
        .find(|&t| g.degree(t) > 1)
        .unwrap();
    assert!(matches!(
        evaluate(&g, &[target], &short, &truth, &options()),
        Err(EvalError::ScoreCount { scores: 1, .. })
    ));
}

/// Breaks the contract: one score whatever the degree.
#[derive(Debug)]
struct Short;

impl Heuristic for Short {
    fn name(&self) -> &str {
        "short"
    }
    fn cost_class(&self) -> tierank_heuristics::CostClass {
        tierank_heuristics::CostClass::Ego
    }
    fn needs(&self) -> tierank_heuristics::Needs {
        tierank_heuristics::Needs::Topology
    }
    fn score(&self, _: &Graph, _: NodeId, _: &mut tierank_heuristics::Scratch, out: &mut Vec<f64>) {
        out.clear();
        out.push(1.0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn metrics_are_in_range_and_oracle_has_best_ndcg(
        n in 10u64..60,
        m in 1u64..8,
        seed in 0u64..1000,
        noise in 0.0f64..2.0,
        layer in 1i8..=5,
    ) {
        let (g, truth, closeness) = setup(n, m, seed);
        let targets: Vec<NodeId> = (0..g.num_nodes() as u32).map(NodeId).collect();
        let h: Vec<Box<dyn Heuristic>> = vec![Box::new(noisy("noisy", &closeness, noise, seed))];
        let opts = EvalOptions {
            ks: vec![1, 3, 10],
            relevant_layer: layer,
            resamples: 40,
            seed,
            ..EvalOptions::default()
        };
        let e = evaluate(&g, &targets, &h, &truth, &opts).unwrap();
        for r in &e.per_target {
            match r.metric {
                Metric::Exposure => prop_assert!(r.value >= 0.0 && r.value <= f64::from(r.k.unwrap())),
                _ => prop_assert!((0.0..=1.0).contains(&r.value), "{r:?}"),
            }
        }
        for t in 0..e.targets.len() {
            for k in [1u32, 3, 10] {
                let get = |h: usize| e.per_target.iter().find(|r| {
                    r.target == t && r.heuristic == h && r.k == Some(k)
                        && r.metric == Metric::Ndcg && r.stratum == Stratum::All
                }).map(|r| r.value);
                if let (Some(noisy), Some(oracle)) = (get(0), get(1)) {
                    prop_assert!(oracle >= noisy - 1e-12);
                    prop_assert!((oracle - 1.0).abs() < 1e-12);
                }
            }
        }
        for r in &e.metrics {
            if let (Some(lo), Some(hi)) = (r.ci_low, r.ci_high) {
                prop_assert!(lo <= r.value + 1e-12 && r.value <= hi + 1e-12, "{r:?}");
            }
        }
    }
}

/// A [`common::BySlot`] that claims to read two hops, so it is not "cheap".
#[derive(Debug)]
struct TwoHop(common::BySlot);

impl Heuristic for TwoHop {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn cost_class(&self) -> tierank_heuristics::CostClass {
        tierank_heuristics::CostClass::TwoHop
    }
    fn needs(&self) -> tierank_heuristics::Needs {
        self.0.needs()
    }
    fn score(&self, g: &Graph, t: NodeId, s: &mut tierank_heuristics::Scratch, out: &mut Vec<f64>) {
        self.0.score(g, t, s, out);
    }
}

#[test]
fn verdict_names_the_best_its_ties_and_the_cost_of_the_cheap_one() {
    use tierank_eval::report::verdict::verdict;
    let (g, truth, closeness) = setup(400, 25, 1);
    let sample = stratified_sample(&g, 150, 4);
    let rows: Vec<Box<dyn Heuristic>> = vec![
        Box::new(TwoHop(noisy("good", &closeness, 0.3, 1))),
        // The same scores under another name: tied, with a difference of exactly 0.
        Box::new(noisy("same", &closeness, 0.3, 1)),
        Box::new(noisy("poor", &closeness, 3.0, 2)),
        build("random", &HeuristicConfig::default(), &g).unwrap(),
    ];
    let e = evaluate(&g, &sample.targets, &rows, &truth, &options()).unwrap();
    let v = verdict(&e);
    assert_eq!(v.iter().map(|v| v.k).collect::<Vec<_>>(), vec![1, 5, 15]);
    for v in &v {
        // "good" and "same" are equal; the name breaks the tie.
        assert_eq!(v.best, "good", "k = {}", v.k);
        assert!(!v.best_is_cheap);
        let names: Vec<&str> = v.others.iter().map(|c| c.heuristic.as_str()).collect();
        assert_eq!(
            names,
            vec!["same", "poor"],
            "oracle and random are never candidates"
        );
        let same = &v.others[0];
        assert_eq!(same.extra.value, 0.0);
        assert!(same.tied());
        let exposure = value(&e, "good", Some(v.k), Metric::Exposure);
        assert_eq!(v.exposure.value, exposure);
        // The cheapest is "same" (ego, tied); "poor" costs strangers at k = 5 and 15.
        assert_eq!(v.cheap.as_ref().unwrap().heuristic, "same");
        if v.k >= 5 {
            let poor = &v.others[1];
            let (lo, _) = poor.extra.ci.unwrap();
            assert!(lo > 0.0 && !poor.tied(), "k = {}: {poor:?}", v.k);
            // The paired difference is the difference of the means.
            let diff = value(&e, "poor", Some(v.k), Metric::Exposure) - exposure;
            assert!((poor.extra.value - diff).abs() < 1e-9);
        }
    }
    let html = tierank_eval::report::render_html(&e, &Default::default());
    assert!(html.contains("<h2>Verdict</h2>"));
    assert!(html.contains("use <b>good</b>"), "verdict sentence missing");
    for k in [1, 5, 15] {
        assert!(
            html.contains(&format!("<th>exposure@{k}</th>")),
            "exposure@{k}"
        );
    }
}

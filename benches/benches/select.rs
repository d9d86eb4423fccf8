//! Audience selection: [`select`], the library call of `tierank select`, under every policy
//! on a fixed seeded sample of targets, in targets per second.
//!
//! - `select/<preset>/<policy>`: `volume` scores each target's friends and the policy picks
//!   among them, with a calibration of `volume` (as `tierank demo` passes one), nobody
//!   excluded: `top-k:5`, `top-k:5` without the calibration, `threshold:X` (X the median
//!   score of the targets' friends, so about half of them pass), `coverage:80`,
//!   `probability:0.5`, `budget:B` and `budget:B,cap:2` (B = 5 notices per target, the
//!   total of `top-k:5`; the budget's greedy step is global, not per target).
//! - `select_exclusion/<preset>/...`: with 1 % of the people with friends opted out:
//!   `exclusion_set` (building the set from the person ids, throughput in ids), `top-k:5`
//!   and `budget:B,cap:2` (each also computing who would have been selected without the
//!   list), and `top-k:5+strict` (strict minimisation: the graph rebuilt without the
//!   opted-out people before scoring, the whole graph's cost included).
//! - `select_threads/<preset>/threads_N`: `top-k:5` on pools of 1 and 2 threads.
//!
//! Everything but `select_threads` runs on a rayon pool of one thread built before timing,
//! so the figures are per core. The targets are the `heuristics` bench's sample (2,000
//! targets, seed 42); the calibration is fitted on them against the planted truth before
//! timing. `TIERANK_BENCH_PRESET` picks the preset (default `small`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tierank_benches::{ensure_dataset, load, pool, preset_from_env, sample, truth};
use tierank_eval::{Calibrator, TruthIndex};
use tierank_graph::Graph;
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch};
use tierank_select::{Calibration, ExclusionSet, Policy, SelectOptions, select};

/// The heuristic that scores the friends.
const HEURISTIC: &str = "volume";
/// Notices per target of `top-k` and, times the targets, the budget.
const PER_TARGET: u64 = 5;
/// Seed of the opt-out list (distinct from the targets' seed).
const EXCLUDE_SEED: u64 = 99;
/// Share of the people with friends who opted out.
const EXCLUDE_FRACTION: f64 = 0.01;
/// A friend is relevant to the calibration when its planted layer is at most this.
const RELEVANT_LAYER: i8 = 3;

/// The median score of `h` over the friends of `targets`: a threshold about half pass.
fn median_score(graph: &Graph, targets: &[tierank_graph::NodeId], h: &dyn Heuristic) -> f64 {
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let mut all = Vec::new();
    for &t in targets {
        h.score(graph, t, &mut scratch, &mut out);
        all.extend_from_slice(&out);
    }
    all.sort_unstable_by(f64::total_cmp);
    all.get(all.len() / 2).copied().unwrap_or(0.0)
}

fn policy(text: &str) -> Policy {
    text.parse().expect("valid policy")
}

fn selection(c: &mut Criterion) {
    let preset = preset_from_env().expect("TIERANK_BENCH_PRESET");
    let dir = ensure_dataset(preset).expect("cached dataset");
    let (graph, _) = load(&dir).expect("load");
    let truth = truth(&dir).expect("truth");
    let index = TruthIndex::from_columns(
        &graph,
        &truth.target,
        &truth.alter,
        &truth.layer,
        &truth.relation,
        &truth.closeness,
    )
    .expect("truth index");
    let targets = sample(&graph).expect("sample targets");
    let config = HeuristicConfig::default();
    let heuristic = tierank_heuristics::build(HEURISTIC, &config, &graph).expect("build");
    let calibrator =
        Calibrator::fit_heuristic(&graph, &targets, heuristic.as_ref(), &index, RELEVANT_LAYER)
            .expect("calibration");
    let calibration = move |score: f64| calibrator.probability(score);
    let with_friends = (0..graph.num_nodes())
        .filter(|&i| graph.degree(tierank_graph::NodeId(i as u32)) > 0)
        .count();
    let excluded_count = ((with_friends as f64 * EXCLUDE_FRACTION).round() as usize).max(1);
    let excluded_ids: Vec<i64> =
        tierank_heuristics::rank::sample_targets(&graph, excluded_count, EXCLUDE_SEED)
            .expect("sample opt-outs")
            .into_iter()
            .map(|v| graph.person(v))
            .collect();
    let threshold = median_score(&graph, &targets, heuristic.as_ref());
    let budget = PER_TARGET * targets.len() as u64;
    let friends: usize = targets.iter().map(|&t| graph.degree(t)).sum();
    eprintln!(
        "select/{preset}: {} targets ({friends} friends), heuristic {HEURISTIC}, threshold \
         {threshold}, budget {budget}, {} people opted out",
        targets.len(),
        excluded_ids.len()
    );

    let calibrated = SelectOptions {
        excluded: ExclusionSet::empty(),
        strict_minimization: false,
        min_evidence: 0,
        calibration: Some(&calibration as &dyn Calibration),
        config: &config,
    };
    let uncalibrated = SelectOptions {
        calibration: None,
        excluded: ExclusionSet::empty(),
        ..calibrated
    };
    let excluding = SelectOptions {
        excluded: ExclusionSet::new(&graph, &excluded_ids),
        ..calibrated
    };
    let strict = SelectOptions {
        excluded: ExclusionSet::new(&graph, &excluded_ids),
        strict_minimization: true,
        calibration: Some(&calibration as &dyn Calibration),
        ..uncalibrated
    };
    let run = |policy: &Policy, opts: &SelectOptions<'_>| {
        let s = select(&graph, &targets, heuristic.as_ref(), policy, opts).expect("select");
        black_box(s.exposure.notices)
    };
    let one = pool(1);

    let mut group = c.benchmark_group(format!("select/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(targets.len() as u64));
    let cases = [
        (format!("top-k:{PER_TARGET}"), &calibrated),
        (format!("top-k:{PER_TARGET}/uncalibrated"), &uncalibrated),
        (format!("threshold:{threshold}"), &calibrated),
        ("coverage:80".to_owned(), &calibrated),
        ("probability:0.5".to_owned(), &calibrated),
        (format!("budget:{budget}"), &calibrated),
        (format!("budget:{budget},cap:2"), &calibrated),
    ];
    for (name, opts) in &cases {
        let p = policy(name.split('/').next().expect("policy text"));
        group.bench_function(name.as_str(), |b| {
            b.iter(|| one.install(|| run(&p, opts)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("select_exclusion/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(excluded_ids.len() as u64));
    group.bench_function("exclusion_set", |b| {
        b.iter(|| black_box(ExclusionSet::new(&graph, &excluded_ids).nodes().len()));
    });
    group.throughput(Throughput::Elements(targets.len() as u64));
    let cases = [
        (format!("top-k:{PER_TARGET}"), &excluding),
        (format!("budget:{budget},cap:2"), &excluding),
        (format!("top-k:{PER_TARGET}+strict"), &strict),
    ];
    for (name, opts) in &cases {
        let p = policy(name.split('+').next().expect("policy text"));
        group.bench_function(name.as_str(), |b| {
            b.iter(|| one.install(|| run(&p, opts)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("select_threads/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(targets.len() as u64));
    let top_k = policy(&format!("top-k:{PER_TARGET}"));
    for threads in [1, 2] {
        let p = pool(threads);
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| p.install(|| run(&top_k, &calibrated)));
        });
    }
    group.finish();
}

criterion_group!(benches, selection);
criterion_main!(benches);

//! Comparison against the planted truth: the library calls `tierank compare` makes, on the
//! CLI's default sample (1,000 targets drawn by degree bucket, seed 0, half of them training
//! the learned model, the other half evaluated), in targets per second.
//!
//! - `compare_evaluate/<preset>/<part>`: [`evaluate`] on scores computed before timing (each
//!   heuristic replaced by a table of its scores), so the figure is the evaluation's own cost:
//!   `metrics` (per-target metrics, oracle and kept rankings, no intervals, no agreement),
//!   `bootstrap` (plus 1,000 bootstrap resamples per series), `agreement` (plus agreement
//!   between every pair of rows), and `full` (both, as the CLI runs it). The differences with
//!   `metrics` are the cost of the intervals and of the agreement. `full_threads_2` is `full`
//!   on a pool of 2 threads, for the speed-up.
//! - `compare_scored/<preset>/evaluate`: [`evaluate`] with the real heuristics, scoring
//!   included: the CLI's evaluation step.
//! - `compare_fit/<preset>/train_learned`: fitting the learned combination on the training
//!   targets (scoring every component, then Newton iterations); `calibrate`: the calibration
//!   of one heuristic (`volume`) on the same targets; `truth_index`: aligning the truth rows
//!   with the graph (throughput in truth rows); `sample`: the stratified sample and the split.
//!
//! Everything but `full_threads_2` runs on a rayon pool of one thread built before timing, so
//! the figures are per core. The bootstrap dominates: every (row, metric, k, stratum) series
//! is summed over each of the 1,000 resamples, so `full` takes seconds per iteration on
//! `small` and the bench a few minutes. The heuristics are the ego and two-hop ones without
//! `dispersion`, `recursive_dispersion` and `ppr`, whose scoring cost would drown the
//! evaluation's (the `heuristics` bench times them). `TIERANK_BENCH_PRESET` picks the preset
//! (default `small`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tierank_benches::{ensure_dataset, load, pool, preset_from_env, truth};
use tierank_eval::{
    Calibrator, EvalOptions, LearnedOptions, TruthIndex, evaluate, split_train_test,
    stratified_sample, train_learned,
};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch};

/// Targets drawn, as `tierank compare --sample` by default.
const COMPARE_SAMPLE: usize = 1_000;
/// Seed of the sample, the split and the bootstrap: the CLI's default `--seed`.
const COMPARE_SEED: u64 = 0;
/// Share of the sample that trains the learned model, as in the CLI.
const TRAIN_FRACTION: f64 = 0.5;
/// Cut-offs, as the CLI's default `--k`.
const KS: [usize; 4] = [1, 5, 15, 50];
/// Bootstrap resamples, as the CLI's default `--resamples`.
const RESAMPLES: usize = 1_000;
/// Rows of the comparison (see the module documentation for the ones left out).
const COMPARE_HEURISTICS: &[&str] = &[
    "volume",
    "recency",
    "reciprocity",
    "persistence",
    "multiplexity",
    "common_neighbors",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "overlap",
    "degree",
    "combo",
    "random",
];
/// The heuristic whose calibration is timed.
const CALIBRATED: &str = "volume";

/// A heuristic replaced by its scores, computed once before timing: `evaluate` then reads a
/// table instead of scoring, and the bench times the evaluation alone.
#[derive(Debug)]
struct Precomputed {
    name: String,
    cost_class: CostClass,
    needs: Needs,
    /// Per node: its scores, empty for nodes that are not targets.
    scores: Vec<Vec<f64>>,
}

impl Precomputed {
    fn new(graph: &Graph, targets: &[NodeId], h: &dyn Heuristic) -> Self {
        let mut scores = vec![Vec::new(); graph.num_nodes()];
        let mut scratch = Scratch::new();
        for &t in targets {
            h.score(graph, t, &mut scratch, &mut scores[t.index()]);
        }
        Self {
            name: h.name().to_owned(),
            cost_class: h.cost_class(),
            needs: h.needs(),
            scores,
        }
    }
}

impl Heuristic for Precomputed {
    fn name(&self) -> &str {
        &self.name
    }
    fn cost_class(&self) -> CostClass {
        self.cost_class
    }
    fn needs(&self) -> Needs {
        self.needs
    }
    fn score(&self, _graph: &Graph, target: NodeId, _scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        out.extend_from_slice(&self.scores[target.index()]);
    }
}

/// The CLI's evaluation options, with or without the intervals and the agreement.
fn options(resamples: usize, agreement: bool) -> EvalOptions {
    EvalOptions {
        ks: KS.to_vec(),
        resamples,
        seed: COMPARE_SEED,
        agreement,
        keep_top: *KS.last().expect("KS is not empty"),
        ..EvalOptions::default()
    }
}

fn compare(c: &mut Criterion) {
    let preset = preset_from_env().expect("TIERANK_BENCH_PRESET");
    let dir = ensure_dataset(preset).expect("cached dataset");
    let (graph, _) = load(&dir).expect("load");
    let truth = truth(&dir).expect("truth");
    let truth_index = || {
        TruthIndex::from_columns(
            &graph,
            &truth.target,
            &truth.alter,
            &truth.layer,
            &truth.relation,
            &truth.closeness,
        )
        .expect("truth index")
    };
    let index = truth_index();
    let sample = stratified_sample(&graph, COMPARE_SAMPLE, COMPARE_SEED);
    let (train, test) = split_train_test(&graph, &sample.targets, TRAIN_FRACTION, COMPARE_SEED);
    let config = HeuristicConfig::default();
    let heuristics = tierank_heuristics::build_all(&COMPARE_HEURISTICS.join(","), &config, &graph)
        .expect("build heuristics");
    let precomputed: Vec<Box<dyn Heuristic>> = heuristics
        .iter()
        .map(|h| Box::new(Precomputed::new(&graph, &test, h.as_ref())) as Box<dyn Heuristic>)
        .collect();
    let components: Vec<String> = heuristics
        .iter()
        .map(|h| h.name().to_owned())
        .filter(|n| n != "random")
        .collect();
    let calibrated = tierank_heuristics::build(CALIBRATED, &config, &graph).expect("build");
    let test_pairs: usize = test.iter().map(|&t| graph.degree(t)).sum();
    eprintln!(
        "compare/{preset}: {} sampled targets, {} train, {} evaluated ({test_pairs} friends), \
         {} heuristics + oracle, {} truth rows",
        sample.targets.len(),
        train.len(),
        test.len(),
        heuristics.len(),
        truth.len()
    );
    let one = pool(1);

    let mut group = c.benchmark_group(format!("compare_evaluate/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(test.len() as u64));
    let parts = [
        ("metrics", options(0, false)),
        ("bootstrap", options(RESAMPLES, false)),
        ("agreement", options(0, true)),
        ("full", options(RESAMPLES, true)),
    ];
    for (part, opts) in &parts {
        group.bench_function(*part, |b| {
            b.iter(|| {
                one.install(|| {
                    let e = evaluate(&graph, &test, &precomputed, &index, opts).expect("evaluate");
                    black_box(e.metrics.len() + e.agreement.len())
                })
            });
        });
    }
    let full = options(RESAMPLES, true);
    let two = pool(2);
    group.bench_function("full_threads_2", |b| {
        b.iter(|| {
            two.install(|| {
                let e = evaluate(&graph, &test, &precomputed, &index, &full).expect("evaluate");
                black_box(e.metrics.len() + e.agreement.len())
            })
        });
    });
    group.finish();

    let mut group = c.benchmark_group(format!("compare_scored/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(test.len() as u64));
    group.bench_function("evaluate", |b| {
        b.iter(|| {
            one.install(|| {
                let e = evaluate(&graph, &test, &heuristics, &index, &full).expect("evaluate");
                black_box(e.metrics.len())
            })
        });
    });
    group.finish();

    let mut group = c.benchmark_group(format!("compare_fit/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(train.len() as u64));
    let learned_options = LearnedOptions::default();
    group.bench_function("train_learned", |b| {
        b.iter(|| {
            one.install(|| {
                let model = train_learned(
                    &graph,
                    &train,
                    &components,
                    &config,
                    &index,
                    &learned_options,
                )
                .expect("train");
                black_box(model.training.iterations)
            })
        });
    });
    group.bench_function("calibrate", |b| {
        b.iter(|| {
            one.install(|| {
                let c = Calibrator::fit_heuristic(
                    &graph,
                    &train,
                    calibrated.as_ref(),
                    &index,
                    learned_options.relevant_layer,
                )
                .expect("calibrate");
                black_box(c.block_start.len())
            })
        });
    });
    group.throughput(Throughput::Elements(truth.len() as u64));
    group.bench_function("truth_index", |b| {
        b.iter(|| one.install(|| black_box(truth_index().unmatched_rows())));
    });
    group.throughput(Throughput::Elements(sample.targets.len() as u64));
    group.bench_function("sample", |b| {
        b.iter(|| {
            one.install(|| {
                let s = stratified_sample(&graph, COMPARE_SAMPLE, COMPARE_SEED);
                black_box(split_train_test(
                    &graph,
                    &s.targets,
                    TRAIN_FRACTION,
                    COMPARE_SEED,
                ))
            })
        });
    });
    group.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);

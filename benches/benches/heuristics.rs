//! Per-heuristic cost on one core: a fixed seeded sample of targets, each scored and its
//! top 15 selected, as `rank_targets` does per (target, heuristic).
//!
//! `heuristics/<preset>/<name>`: targets per second, one benchmark per heuristic.
//! `heuristics_pairs/<preset>/<name>`: the two-hop scores again, in (target, friend) pairs
//! per second (pairs = sum of the targets' degrees), the unit of peers' pairwise
//! similarity functions such as igraph's `similarity_jaccard`.
//!
//! Personalized PageRank (the one `Local` heuristic) pushes until every residual is below
//! `ε·d(u)`, about `1/(εα)` pushes of `d` neighbours each, so it costs far more per target
//! than the others. It is timed on the first [`LOCAL_TARGETS`] targets of the same seeded
//! sample (samples are nested), so that its ten samples fit in a minute or two.
//!
//! Everything runs on the bench thread: no rayon, so the figures are per core.
//! `TIERANK_BENCH_PRESET` picks the preset (default `small`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tierank_benches::{
    TOP_K, ensure_dataset, is_two_hop, load, preset_from_env, sample, scored_pairs,
};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::rank::top_k_into;
use tierank_heuristics::{CostClass, Heuristic, HeuristicConfig, NAMES, Scratch};

/// Targets of the `Local` heuristic's benchmark (see the module documentation).
const LOCAL_TARGETS: usize = 200;

/// Scores and selects every target once; returns a checksum so nothing is optimised away.
fn rank_sample(graph: &Graph, targets: &[NodeId], h: &dyn Heuristic) -> usize {
    let mut scratch = Scratch::new();
    let mut scores = Vec::new();
    let mut selected = Vec::new();
    let mut kept = 0;
    for &target in targets {
        h.score(graph, target, &mut scratch, &mut scores);
        top_k_into(&scores, graph.neighbors(target), TOP_K, &mut selected);
        kept += selected.len();
    }
    kept
}

fn heuristics(c: &mut Criterion) {
    let preset = preset_from_env().expect("TIERANK_BENCH_PRESET");
    let dir = ensure_dataset(preset).expect("cached dataset");
    let (graph, _) = load(&dir).expect("load");
    let targets = sample(&graph).expect("sample targets");
    let local_targets = tierank_heuristics::rank::sample_targets(
        &graph,
        LOCAL_TARGETS.min(targets.len()),
        tierank_benches::SAMPLE_SEED,
    )
    .expect("sample local targets");
    let pairs = scored_pairs(&graph, &targets);
    eprintln!(
        "heuristics/{preset}: {} targets, {pairs} (target, friend) pairs, {:.1} friends per target",
        targets.len(),
        pairs as f64 / targets.len() as f64
    );
    let config = HeuristicConfig::default();
    let built: Vec<Box<dyn Heuristic>> = NAMES
        .iter()
        .map(|name| tierank_heuristics::build(name, &config, &graph).expect("build heuristic"))
        .collect();

    let mut group = c.benchmark_group(format!("heuristics/{preset}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for h in &built {
        let chosen = if h.cost_class() == CostClass::Local {
            &local_targets
        } else {
            &targets
        };
        group.throughput(Throughput::Elements(chosen.len() as u64));
        group.bench_function(h.name(), |b| {
            b.iter(|| black_box(rank_sample(&graph, chosen, h.as_ref())));
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("heuristics_pairs/{preset}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(pairs));
    for h in &built {
        if !is_two_hop(h.name(), &graph).expect("cost class") {
            continue;
        }
        group.bench_function(h.name(), |b| {
            b.iter(|| black_box(rank_sample(&graph, &targets, h.as_ref())));
        });
    }
    group.finish();
}

criterion_group!(benches, heuristics);
criterion_main!(benches);

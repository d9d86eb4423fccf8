//! Ranking every person under the ego-only heuristics at k = 15, on rayon pools of 1 and 2
//! threads built before timing: people per second, and the 2-thread speed-up as the ratio of
//! the two times.
//!
//! `TIERANK_BENCH_PRESET` picks the preset (default `small`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tierank_benches::{
    EGO_HEURISTICS, TOP_K, all_people, ensure_dataset, load, pool, preset_from_env,
};
use tierank_heuristics::rank::{RankError, RankOptions, rank_targets};
use tierank_heuristics::{Heuristic, HeuristicConfig};

fn rank_all(c: &mut Criterion) {
    let preset = preset_from_env().expect("TIERANK_BENCH_PRESET");
    let dir = ensure_dataset(preset).expect("cached dataset");
    let (graph, _) = load(&dir).expect("load");
    let targets = all_people(&graph);
    let config = HeuristicConfig::default();
    let heuristics: Vec<Box<dyn Heuristic>> = EGO_HEURISTICS
        .iter()
        .map(|name| tierank_heuristics::build(name, &config, &graph).expect("build heuristic"))
        .collect();
    eprintln!(
        "rank/{preset}: {} people, {} friendships, heuristics {}",
        targets.len(),
        graph.num_edges(),
        EGO_HEURISTICS.join(",")
    );
    let options = RankOptions::default();
    let pools = [(1, pool(1)), (2, pool(2))];

    let mut group = c.benchmark_group(format!("rank_all_ego/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(targets.len() as u64));
    for (threads, pool) in &pools {
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let mut rows = 0usize;
                    rank_targets(
                        &graph,
                        &targets,
                        &heuristics,
                        TOP_K,
                        &options,
                        |chunk| {
                            rows += chunk.len();
                            Ok::<_, RankError>(())
                        },
                        &|_| {},
                    )
                    .expect("a sink that never fails, built-in heuristics");
                    black_box(rows)
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, rank_all);
criterion_main!(benches);

//! Load throughput: `load_graph` on the cached dataset, in rows (ties + events) per second,
//! on the default rayon pool (every core), and beside it the open of the same graph's
//! snapshot (`tierank index`), in the same rows per second so the two read side by side.
//! The load report, with the graph's bytes per directed tie, is printed once.
//!
//! `load_graph_5_ranges` loads with a decoded-events budget of a fifth of the decoded events,
//! as `large` needs on the default 4 GiB budget: the fold runs over five sender ranges, the
//! later four spilled to temporary files by one decode (before the spill, each range decoded
//! every row group again). Beside `load_graph`, it shows what the ranges cost.
//!
//! `TIERANK_BENCH_PRESET` picks the preset (default `small`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tierank_benches::{ensure_dataset, load, preset_from_env};
use tierank_io::memory::DECODED_EVENTS_BUDGET_OVERRIDE;

fn load_graph(c: &mut Criterion) {
    let preset = preset_from_env().expect("TIERANK_BENCH_PRESET");
    let dir = ensure_dataset(preset).expect("cached dataset");
    let (graph, report) = load(&dir).expect("load once");
    let rows = report.tie_rows + report.event_rows;
    eprintln!(
        "load/{preset}: {} tie rows + {} event rows = {rows} rows; {} people, {} friendships, \
         {} heap bytes = {:.1} bytes per directed tie; rayon threads {}",
        report.tie_rows,
        report.event_rows,
        graph.num_nodes(),
        graph.num_edges(),
        report.graph_heap_bytes,
        report.bytes_per_directed_tie,
        rayon::current_num_threads()
    );
    drop(graph);

    let mut group = c.benchmark_group(format!("load/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(rows));
    group.bench_function("load_graph", |b| {
        b.iter(|| load(&dir).expect("load"));
    });
    // 24 bytes per decoded event; a fifth of them, rounded up, so that five ranges result.
    let budget = (report.event_rows * 24).div_ceil(5).max(1);
    DECODED_EVENTS_BUDGET_OVERRIDE.store(budget, Ordering::Relaxed);
    let (_, ranged) = load(&dir).expect("load in ranges");
    eprintln!(
        "load/{preset}: decoded-events budget {budget} bytes: {:?}",
        ranged.aggregation
    );
    group.bench_function("load_graph_5_ranges", |b| {
        b.iter(|| load(&dir).expect("load in ranges"));
    });
    DECODED_EVENTS_BUDGET_OVERRIDE.store(0, Ordering::Relaxed);
    // The snapshot goes beside the cached dataset's files, not into it, so that the
    // dataset's own loads above stay fresh loads.
    let snap_dir = tempfile::tempdir().expect("temporary directory");
    let snap = snap_dir.path().join("graph.tierank-snapshot");
    let opts = tierank_io::LoadOptions::default();
    tierank_io::write_snapshot(&dir, &opts, Some(&snap)).expect("snapshot");
    group.bench_function("snapshot_open", |b| {
        b.iter(|| tierank_io::open_graph(&snap, &opts, true).expect("open"));
    });
    group.finish();
}

criterion_group!(benches, load_graph);
criterion_main!(benches);

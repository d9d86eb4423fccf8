//! Measures the distributed push (`tierank_dist::ppr`) against the single-machine push on a
//! dataset: rounds, messages and bytes per round, time, top-15 overlap.
//!
//! ```sh
//! cargo run --release --workspace --locked --example ppr_push -- DATA [TARGETS] [SHAPES] [BATCH]
//! ```
//!
//! `SHAPES` is a comma-separated list of `PxW` (P processes × W workers; the processes are
//! threads of this program talking over loopback TCP, as separate processes would), default
//! `1x1,1x2,2x1`. `TARGETS` (default 1000) are sampled with seed 1; `BATCH` is the sources
//! per worker per wave (default `DEFAULT_PUSH_BATCH`). Results go to docs/benchmarks.md.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tierank_dist::ClusterSpec;
use tierank_dist::ppr::{
    DEFAULT_PUSH_BATCH, MASS_MESSAGE_BYTES, PushStats, SCORE_MESSAGE_BYTES, SourceScores,
    push_whole_graph, top_k_pushed,
};
use tierank_format::PersonId;
use tierank_graph::Graph;
use tierank_heuristics::two_hop::PersonalizedPageRank;
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = args
        .first()
        .ok_or("usage: ppr_push DATA [TARGETS] [SHAPES] [BATCH]")?;
    let n: usize = args.get(1).map_or(Ok(1000), |s| s.parse())?;
    let shapes = args.get(2).map_or("1x1,1x2,2x1", String::as_str).to_owned();
    let batch: usize = args.get(3).map_or(Ok(DEFAULT_PUSH_BATCH), |s| s.parse())?;

    let t = Instant::now();
    let (graph, _) = tierank_io::load_graph(
        std::path::Path::new(data),
        &tierank_io::LoadOptions::default(),
    )?;
    println!(
        "loaded {data}: {} persons, {} ties in {:.1} s",
        graph.num_nodes(),
        graph.num_edges(),
        t.elapsed().as_secs_f64()
    );
    let graph = Arc::new(graph);
    let config = HeuristicConfig::default();
    let targets = tierank_heuristics::rank::sample_targets(&graph, n, 1)?;
    let sources: Vec<PersonId> = targets.iter().map(|&t| graph.person(t)).collect();

    // The single-machine push, one thread.
    let h = PersonalizedPageRank::new(&config)?;
    let mut scratch = Scratch::new();
    let t = Instant::now();
    let mut single: HashMap<PersonId, Vec<PersonId>> = HashMap::new();
    for &target in &targets {
        let mut out = Vec::new();
        h.score(&graph, target, &mut scratch, &mut out);
        let top = tierank_heuristics::rank::top_k(&out, graph.neighbors(target), 15);
        single.insert(
            graph.person(target),
            top.into_iter().map(|(v, _)| graph.person(v)).collect(),
        );
    }
    println!(
        "single-machine push: {} targets in {:.3} s ({:.0} µs per target), one thread",
        targets.len(),
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e6 / targets.len().max(1) as f64
    );

    let mut reference: Option<Vec<(PersonId, Vec<u64>)>> = None;
    for shape in shapes.split(',') {
        let (p, w) = shape.split_once('x').ok_or("a shape is PxW")?;
        let (processes, workers): (usize, usize) = (p.parse()?, w.parse()?);
        let t = Instant::now();
        let (rows, stats) = run(processes, workers, &graph, &config, &sources, batch)?;
        let elapsed = t.elapsed();
        report(shape, elapsed, &rows, &stats, &single);
        let bits = {
            let mut b: Vec<(PersonId, Vec<u64>)> = rows
                .iter()
                .map(|r| (r.source, r.scores.iter().map(|s| s.to_bits()).collect()))
                .collect();
            b.sort_by_key(|r| r.0);
            b
        };
        match &reference {
            None => reference = Some(bits),
            Some(r) => println!("  scores bit-identical to the first shape: {}", *r == bits),
        }
    }
    Ok(())
}

/// Every process's rows and every worker's stats.
fn run(
    processes: usize,
    workers: usize,
    graph: &Arc<Graph>,
    config: &HeuristicConfig,
    sources: &[PersonId],
    batch: usize,
) -> Result<(Vec<SourceScores>, Vec<PushStats>), Box<dyn std::error::Error>> {
    if processes == 1 {
        return Ok(push_whole_graph(
            &ClusterSpec::single(workers),
            Arc::clone(graph),
            config,
            sources,
            batch,
        )?);
    }
    let listeners: Vec<TcpListener> = (0..processes)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let addresses: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.to_string()))
        .collect::<Result<_, _>>()?;
    drop(listeners);
    let handles: Vec<_> = (0..processes)
        .map(|process| {
            let spec = ClusterSpec {
                processes,
                process,
                workers,
                addresses: addresses.clone(),
                connect_timeout: Duration::from_secs(30),
            };
            let (graph, config, sources) = (Arc::clone(graph), config.clone(), sources.to_vec());
            std::thread::spawn(move || push_whole_graph(&spec, graph, &config, &sources, batch))
        })
        .collect();
    let (mut rows, mut stats) = (Vec::new(), Vec::new());
    for h in handles {
        let (r, s) = h.join().map_err(|_| "a process panicked")??;
        rows.extend(r);
        stats.extend(s);
    }
    Ok((rows, stats))
}

fn report(
    shape: &str,
    elapsed: Duration,
    rows: &[SourceScores],
    stats: &[PushStats],
    single: &HashMap<PersonId, Vec<PersonId>>,
) {
    let g = &stats[0];
    let messages: u64 = g.round_messages.iter().sum();
    let max_round = g.round_messages.iter().copied().max().unwrap_or(0);
    let to_peers: u64 = stats.iter().map(|s| s.mass_messages_to_peers).sum();
    let scores: u64 = stats.iter().map(|s| s.score_messages).sum();
    let peak = stats.iter().map(|s| s.peak_entries).max().unwrap_or(0);
    let push = stats.iter().map(|s| s.elapsed).max().unwrap_or_default();
    let (mut shared, mut total) = (0usize, 0usize);
    for row in rows {
        let got: Vec<PersonId> = top_k_pushed(&row.friends, &row.scores, 15)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        let want = &single[&row.source];
        total += want.len();
        shared += want.iter().filter(|v| got.contains(v)).count();
    }
    println!(
        "{shape}: {:.3} s (the push itself, slowest worker: {:.3} s; the rest is cutting the shares); {} waves, {} rounds ({} barriers), {} pushes; mass messages {} \
         ({:.1} MB), {:.0} per round on average, {} in the largest round ({:.2} MB), {} to \
         other workers; score messages {} ({:.2} MB); peak entries per worker {}; top-15 \
         overlap with the single-machine push {:.4}",
        elapsed.as_secs_f64(),
        push.as_secs_f64(),
        g.waves,
        g.rounds,
        g.barriers,
        g.total_pushes,
        messages,
        (messages * MASS_MESSAGE_BYTES) as f64 / 1e6,
        messages as f64 / g.rounds.max(1) as f64,
        max_round,
        (max_round * MASS_MESSAGE_BYTES) as f64 / 1e6,
        to_peers,
        scores,
        (scores * SCORE_MESSAGE_BYTES) as f64 / 1e6,
        peak,
        shared as f64 / total.max(1) as f64,
    );
}

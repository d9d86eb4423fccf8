//! The distributed push (`tierank_dist::ppr`) against an exact personalized PageRank, the
//! single-machine heuristic, and itself at other cluster shapes.
//!
//! Cost: about 11 s of CPU in all with the test profile (22–29 s wall at load average 10 on
//! the shared 2-core machine); the `tiny` test (generation, load, 1,000 targets both ways,
//! 20 exact PageRanks) is most of it. Every cluster here is threads of this process, plus
//! one 2-process × 2-worker run over loopback TCP.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use tierank_dist::ClusterSpec;
use tierank_dist::ppr::{
    OwnedAdjacency, PushError, PushParams, SourceScores, push_partitioned, push_whole_graph,
    top_k_pushed,
};
use tierank_format::PersonId;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::two_hop::PersonalizedPageRank;
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch, for_each_pair_weight};

/// Slack for float rounding against the exact value (power iteration converged to 1e-13).
const SLACK: f64 = 1e-11;

/// A small random graph: `n` persons with scattered ids (so owners mix), each pair a
/// friendship with probability about `p_permille / 1000`; weights drawn from a few values,
/// 0 included, or none (unweighted).
fn random_graph(seed: u64, n: u64, p_permille: u64, weighted: bool) -> Graph {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let person = |i: u64| (i * 7_919 + 13) as PersonId;
    let mut edges = Vec::new();
    let mut weights = Vec::new();
    for a in 0..n {
        // A path keeps most nodes connected; random chords add cycles and hubs.
        if a + 1 < n {
            edges.push((person(a), person(a + 1)));
            weights.push([0.0, 0.5, 1.0, 2.0, 7.5][(next() % 5) as usize]);
        }
        for b in a + 2..n {
            if next() % 1000 < p_permille {
                edges.push((person(a), person(b)));
                weights.push([0.0, 0.5, 1.0, 2.0, 7.5][(next() % 5) as usize]);
            }
        }
    }
    Graph::from_person_edges(&edges, weighted.then_some(&weights[..]))
        .unwrap()
        .0
}

/// Weighted degrees by node, as the push sums them.
fn degrees(graph: &Graph, config: &HeuristicConfig) -> Vec<f64> {
    (0..graph.num_nodes())
        .map(|i| {
            let mut d = 0.0;
            for_each_pair_weight(graph, config, NodeId(i as u32), |_, _, w| d += w);
            d
        })
        .collect()
}

/// The exact lazy personalized PageRank from `source` by power iteration of
/// `x ← α e_s + (1 − α) x W`, until successive iterates differ by less than 1e-13 in L1
/// (so the error is below 1e-13 (1 − α) / α).
fn exact_ppr(graph: &Graph, config: &HeuristicConfig, d: &[f64], source: NodeId) -> Vec<f64> {
    let alpha = config.ppr_alpha;
    let n = graph.num_nodes();
    let mut x = vec![0.0; n];
    x[source.index()] = 1.0;
    for _ in 0..100_000 {
        let mut y = vec![0.0; n];
        for (u, &xu) in x.iter().enumerate() {
            if xu == 0.0 {
                continue;
            }
            if d[u] == 0.0 {
                y[u] += (1.0 - alpha) * xu;
                continue;
            }
            y[u] += (1.0 - alpha) * xu / 2.0;
            let share = (1.0 - alpha) * xu / (2.0 * d[u]);
            for_each_pair_weight(graph, config, NodeId(u as u32), |_, v, w| {
                y[v.index()] += share * w;
            });
        }
        y[source.index()] += alpha;
        let diff: f64 = x.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum();
        x = y;
        if diff < 1e-13 {
            return x;
        }
    }
    panic!("power iteration did not converge");
}

/// Checks `0 ≤ exact(v) − score(v) ≤ ε d(v)` for every friend of every source.
fn assert_within_bound(graph: &Graph, config: &HeuristicConfig, rows: &[SourceScores]) {
    let d = degrees(graph, config);
    for row in rows {
        let s = graph.dense(row.source).unwrap();
        let exact = exact_ppr(graph, config, &d, s);
        let friends: Vec<PersonId> = graph
            .neighbors(s)
            .iter()
            .map(|&v| graph.person(v))
            .collect();
        assert_eq!(row.friends, friends, "friends of {}", row.source);
        for (&v, &score) in row.friends.iter().zip(&row.scores) {
            let v = graph.dense(v).unwrap();
            let gap = exact[v.index()] - score;
            let bound = config.ppr_epsilon * d[v.index()];
            assert!(
                gap >= -SLACK && gap <= bound + SLACK,
                "source {} friend {}: exact {} score {score} gap {gap} bound {bound}",
                row.source,
                graph.person(v),
                exact[v.index()]
            );
        }
    }
}

fn persons(graph: &Graph) -> Vec<PersonId> {
    (0..graph.num_nodes())
        .map(|i| graph.person(NodeId(i as u32)))
        .collect()
}

/// Runs the push as `workers` threads of this process.
fn threads(
    graph: &Arc<Graph>,
    config: &HeuristicConfig,
    sources: &[PersonId],
    workers: usize,
    batch: usize,
) -> Vec<SourceScores> {
    let (rows, stats) = push_whole_graph(
        &ClusterSpec::single(workers),
        Arc::clone(graph),
        config,
        sources,
        batch,
    )
    .unwrap();
    assert_eq!(rows.len(), sources.len());
    assert_eq!(stats.len(), workers);
    rows
}

/// Bit patterns of every score, for exact comparison.
fn bits(rows: &[SourceScores]) -> Vec<(PersonId, Vec<PersonId>, Vec<u64>)> {
    let mut out: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.source,
                r.friends.clone(),
                r.scores.iter().map(|s| s.to_bits()).collect(),
            )
        })
        .collect();
    out.sort_by_key(|r| r.0);
    out
}

#[test]
fn random_graphs_are_within_the_bound_and_identical_at_any_worker_count_and_batch() {
    for seed in 1..=5u64 {
        let weighted = seed != 3;
        let graph = Arc::new(random_graph(seed, 40, 80, weighted));
        let config = HeuristicConfig {
            ppr_epsilon: [1e-3, 1e-4, 1e-2, 1e-5, 3e-4][(seed - 1) as usize],
            ..HeuristicConfig::default()
        };
        let sources = persons(&graph);
        let one = threads(&graph, &config, &sources, 1, 1_000);
        assert_within_bound(&graph, &config, &one);
        for (workers, batch) in [(2, 3), (3, 7), (3, 1_000)] {
            let other = threads(&graph, &config, &sources, workers, batch);
            assert_eq!(
                bits(&one),
                bits(&other),
                "seed {seed}: 1 worker vs {workers} workers, batch {batch}"
            );
        }
        // The single-machine push is within the same bound (a sanity check of the check).
        let h = PersonalizedPageRank::new(&config).unwrap();
        let single: Vec<SourceScores> = sources
            .iter()
            .map(|&s| {
                let mut out = Vec::new();
                let node = graph.dense(s).unwrap();
                h.score(&graph, node, &mut Scratch::new(), &mut out);
                SourceScores {
                    source: s,
                    friends: graph
                        .neighbors(node)
                        .iter()
                        .map(|&v| graph.person(v))
                        .collect(),
                    scores: out,
                }
            })
            .collect();
        assert_within_bound(&graph, &config, &single);
    }
}

#[test]
fn a_source_whose_ties_all_weigh_zero_scores_every_friend_zero() {
    // 1 - 2 weighs 0 and 1 has no other tie; 2 - 3 weighs 1.
    let graph = Arc::new(
        Graph::from_person_edges(&[(1, 2), (2, 3)], Some(&[0.0, 1.0]))
            .unwrap()
            .0,
    );
    let config = HeuristicConfig::default();
    let rows = threads(&graph, &config, &[1, 2], 2, 4);
    assert_eq!(rows[0].scores, [0.0]);
    assert_within_bound(&graph, &config, &rows);
}

/// `tiny` (seed 7), generated and loaded once.
fn tiny() -> Graph {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("tiny");
    let gen_config = tierank_datagen::GeneratorConfig::preset(tierank_datagen::Preset::Tiny);
    tierank_datagen::generate(&gen_config, &data, tierank_datagen::ExistingDir::Refuse).unwrap();
    tierank_io::load_graph(&data, &tierank_io::LoadOptions::default())
        .unwrap()
        .0
}

#[test]
fn on_tiny_the_top_15_agree_with_the_single_machine_push_and_scores_are_within_the_bound() {
    let graph = Arc::new(tiny());
    let config = HeuristicConfig::default();
    let sources = persons(&graph);
    let rows = threads(&graph, &config, &sources, 3, 64);
    let h = PersonalizedPageRank::new(&config).unwrap();
    let mut scratch = Scratch::new();
    let (mut shared, mut total) = (0usize, 0usize);
    for row in &rows {
        let node = graph.dense(row.source).unwrap();
        let mut single = Vec::new();
        h.score(&graph, node, &mut scratch, &mut single);
        let want: Vec<PersonId> =
            tierank_heuristics::rank::top_k(&single, graph.neighbors(node), 15)
                .into_iter()
                .map(|(v, _)| graph.person(v))
                .collect();
        let got: Vec<PersonId> = top_k_pushed(&row.friends, &row.scores, 15)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        total += want.len();
        shared += want.iter().filter(|v| got.contains(v)).count();
    }
    let overlap = shared as f64 / total as f64;
    eprintln!(
        "tiny: top-15 overlap {overlap:.5} ({shared} of {total}) over {} targets",
        rows.len()
    );
    assert!(overlap >= 0.99, "top-15 overlap {overlap}");
    // The bound against the exact value, on a spread of targets (the exact computation
    // costs a whole-graph power iteration each).
    let some: Vec<SourceScores> = rows.iter().step_by(50).cloned().collect();
    assert_within_bound(&graph, &config, &some);
}

/// Free loopback addresses for `n` processes.
fn loopback(n: usize) -> Vec<String> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect()
}

#[test]
fn two_processes_over_tcp_give_the_bits_of_one_worker() {
    let graph = Arc::new(random_graph(11, 60, 60, true));
    let config = HeuristicConfig {
        ppr_epsilon: 1e-4,
        ..HeuristicConfig::default()
    };
    let sources = persons(&graph);
    let one = threads(&graph, &config, &sources, 1, 16);
    let addresses = loopback(2);
    let handles: Vec<_> = (0..2)
        .map(|process| {
            let spec = ClusterSpec {
                processes: 2,
                process,
                workers: 2,
                addresses: addresses.clone(),
                connect_timeout: Duration::from_secs(20),
            };
            let (graph, config, sources) = (Arc::clone(&graph), config.clone(), sources.clone());
            std::thread::spawn(move || push_whole_graph(&spec, graph, &config, &sources, 5))
        })
        .collect();
    let mut rows = Vec::new();
    for h in handles {
        rows.extend(h.join().unwrap().unwrap().0);
    }
    assert_eq!(rows.len(), sources.len());
    assert_eq!(bits(&one), bits(&rows));
}

#[test]
fn a_source_given_to_the_wrong_worker_fails_on_every_worker_without_hanging() {
    let graph = Arc::new(random_graph(2, 20, 100, true));
    let config = HeuristicConfig::default();
    let params = PushParams::new(&config, 4).unwrap();
    let all = persons(&graph);
    let errors: Arc<std::sync::Mutex<HashMap<usize, PushError>>> = Arc::default();
    let sink = Arc::clone(&errors);
    let guards = timely::execute(timely::Config::process(2), move |worker| {
        let (index, peers) = (worker.index(), worker.peers());
        let share = OwnedAdjacency::from_graph(&graph, &config, index, peers);
        // Worker 0 is also given one of worker 1's persons.
        let mut mine: Vec<PersonId> = all
            .iter()
            .copied()
            .filter(|&s| tierank_dist::owner_of(s, peers) == index)
            .collect();
        if index == 0 {
            let stranger = all
                .iter()
                .copied()
                .find(|&s| tierank_dist::owner_of(s, peers) == 1)
                .unwrap();
            mine.push(stranger);
        }
        let err = push_partitioned(worker, &share, &mine, &params).unwrap_err();
        sink.lock().unwrap().insert(index, err);
    })
    .unwrap();
    for result in guards.join() {
        result.unwrap();
    }
    let errors = errors.lock().unwrap();
    assert!(
        matches!(errors[&0], PushError::NotOwned { worker: 0, .. }),
        "{:?}",
        errors[&0]
    );
    assert_eq!(errors[&1], PushError::PeerFailed { worker: 1 });
}

//! `ppr` on graphs with events against the eager push it replaced (issue 11): the push now
//! computes a touched node's weighted degree only once its residual reaches `ε` times a lower
//! bound, and the queue, the estimates and the scores must stay the same bit for bit, with a
//! fresh scratch and with one scratch shared across targets.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use proptest::prelude::*;
use tierank_graph::interactions::interactions_from_ties;
use tierank_graph::{ChannelStats, Graph, NodeId, TieSummary, TimeWindow};
use tierank_heuristics::{HeuristicConfig, Scratch, build, for_each_pair_weight};

/// One directed tie's records: (channel, count).
type Recs = Vec<(u8, u32)>;

/// Friendships among up to 40 people, with the records of both directions (often none).
#[derive(Debug, Clone)]
struct Spec {
    edges: Vec<(usize, usize, Recs, Recs)>,
}

fn recs() -> impl Strategy<Value = Recs> {
    prop::collection::vec((0u8..6, 1u32..200), 0..3)
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..40).prop_flat_map(|n| {
        prop::collection::vec((0..n, 0..n, recs(), recs()), 1..160).prop_map(move |raw| {
            let mut seen = BTreeSet::new();
            let edges = raw
                .into_iter()
                .filter(|(a, b, _, _)| a != b && seen.insert((*a.min(b), *a.max(b))))
                .collect();
            Spec { edges }
        })
    })
}

fn build_graph(spec: &Spec) -> Graph {
    let edges: Vec<(i64, i64)> = spec
        .edges
        .iter()
        .map(|(a, b, _, _)| (*a as i64, *b as i64))
        .collect();
    let (g, _) = Graph::from_person_edges(&edges, None).expect("valid edges");
    let mut ties = Vec::new();
    for (a, b, ab, ba) in &spec.edges {
        let (da, db) = (g.dense(*a as i64).unwrap(), g.dense(*b as i64).unwrap());
        for (u, v, recs) in [(da, db, ab), (db, da, ba)] {
            let mut by_channel = BTreeMap::new();
            for &(channel, count) in recs {
                by_channel.entry(channel).or_insert(ChannelStats {
                    count,
                    active_days: 1,
                    channel,
                    ..ChannelStats::default()
                });
            }
            if !by_channel.is_empty() {
                let summary = TieSummary {
                    active_days: 1,
                    active_weeks: 1,
                    ..TieSummary::default()
                };
                ties.push((u, v, summary, by_channel.into_values().collect()));
            }
        }
    }
    let window = TimeWindow {
        start_ms: 0,
        end_ms: 30 * 86_400_000,
    };
    let inter = interactions_from_ties(g.num_nodes(), window, 86_400_000, ties).unwrap();
    g.with_interactions(inter).unwrap()
}

/// The push as it was: every touched node's weighted degree computed when first touched
/// (here: every node's, up front, which is the same function), a FIFO queue holding a node
/// at most once, scores `p(v) + α r(v)`.
fn eager_push(graph: &Graph, config: &HeuristicConfig, target: NodeId) -> Vec<f64> {
    if graph.degree(target) == 0 {
        return Vec::new();
    }
    let (alpha, epsilon) = (config.ppr_alpha, config.ppr_epsilon);
    let n = graph.num_nodes();
    let d: Vec<f64> = (0..n as u32)
        .map(|x| {
            let mut d = 0.0;
            for_each_pair_weight(graph, config, NodeId(x), |_, _, w| d += w);
            d
        })
        .collect();
    let (mut p, mut r) = (vec![0.0f64; n], vec![0.0f64; n]);
    let mut queued = vec![false; n];
    let mut queue = VecDeque::new();
    let enqueue = |x: NodeId, r: &[f64], queued: &mut [bool], queue: &mut VecDeque<NodeId>| {
        let i = x.index();
        if !queued[i] && d[i] > 0.0 && r[i] >= epsilon * d[i] {
            queued[i] = true;
            queue.push_back(x);
        }
    };
    r[target.index()] = 1.0;
    enqueue(target, &r, &mut queued, &mut queue);
    while let Some(x) = queue.pop_front() {
        let i = x.index();
        queued[i] = false;
        let rx = r[i];
        if !(d[i] > 0.0 && rx >= epsilon * d[i]) {
            continue;
        }
        p[i] += alpha * rx;
        let spread = (1.0 - alpha) * rx / (2.0 * d[i]);
        r[i] = (1.0 - alpha) * rx / 2.0;
        for_each_pair_weight(graph, config, x, |_, y, w| {
            if w > 0.0 {
                r[y.index()] += spread * w;
                enqueue(y, &r, &mut queued, &mut queue);
            }
        });
        enqueue(x, &r, &mut queued, &mut queue);
    }
    graph
        .neighbors(target)
        .iter()
        .map(|&v| p[v.index()] + alpha * r[v.index()])
        .collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn lazy_degrees_push_exactly_as_the_eager_push(
        s in spec(),
        eps_exp in 2i32..9,
        alpha in prop_oneof![Just(0.15), 0.01f64..0.9],
        zero_channel in 0usize..7,
    ) {
        let g = build_graph(&s);
        let mut config = HeuristicConfig {
            ppr_alpha: alpha,
            ppr_epsilon: 10f64.powi(-eps_exp),
            ..HeuristicConfig::default()
        };
        // A channel of weight 0 gives ties whose events weigh nothing.
        if zero_channel < 6 {
            config.channel_weights[zero_channel] = 0.0;
        }
        let h = build("ppr", &config, &g).unwrap();
        let mut shared = Scratch::new();
        let mut out = Vec::new();
        for round in 0..2 {
            for u in (0..g.num_nodes() as u32).map(NodeId) {
                let want = bits(&eager_push(&g, &config, u));
                h.score(&g, u, &mut shared, &mut out);
                prop_assert_eq!(bits(&out), want.clone(), "round {}, target {}", round, u.0);
                h.score(&g, u, &mut Scratch::new(), &mut out);
                prop_assert_eq!(bits(&out), want, "fresh scratch, target {}", u.0);
            }
        }
    }
}

//! Synthetic graphs with a planted truth, shared by the integration tests.

#![allow(dead_code)]

use tierank_eval::TruthIndex;
use tierank_format::Relation;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{CostClass, Heuristic, Needs, Scratch};

/// SplitMix64: deterministic test randomness.
pub fn hash(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in `[0, 1)` from `(seed, a, b)`.
pub fn unit(seed: u64, a: u64, b: u64) -> f64 {
    (hash(hash(hash(seed) ^ a) ^ b) >> 11) as f64 / (1u64 << 53) as f64
}

/// `n` people, each befriending `m` random others (person ids `1000 + i`), optional weights.
pub fn random_edges(n: u64, m: u64, seed: u64) -> Vec<(i64, i64)> {
    let mut edges = Vec::new();
    for u in 0..n {
        for j in 0..m {
            let v = hash(seed ^ (u << 20) ^ j) % n;
            if v != u {
                edges.push((1000 + u as i64, 1000 + v as i64));
            }
        }
    }
    edges
}

/// The layer of the friend at closeness rank `r` (0 = closest): Dunbar-like 1/5/15/50/150.
pub fn layer_of_rank(r: usize) -> i8 {
    match r {
        0 => 1,
        1..=4 => 2,
        5..=14 => 3,
        15..=49 => 4,
        50..=149 => 5,
        _ => 6,
    }
}

/// Relation planted for a layer.
pub fn relation_of_layer(layer: i8) -> Relation {
    match layer {
        1 => Relation::Partner,
        2 => Relation::Family,
        3 => Relation::CloseFriend,
        4 => Relation::Colleague,
        5 => Relation::Classmate,
        _ => Relation::Acquaintance,
    }
}

/// Truth columns where each ego's layers follow `closeness(ego, alter)` ranks.
pub fn truth_from_closeness(
    graph: &Graph,
    closeness: impl Fn(NodeId, NodeId) -> f64,
) -> (TruthIndex, Vec<f64>) {
    let (mut ego, mut alter, mut layer, mut relation, mut close) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut per_slot = vec![0.0; graph.csr().num_directed_edges()];
    for u in 0..graph.num_nodes() as u32 {
        let u = NodeId(u);
        let mut friends: Vec<(f64, NodeId)> = graph
            .neighbors(u)
            .iter()
            .map(|&v| (closeness(u, v), v))
            .collect();
        friends.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (r, &(c, v)) in friends.iter().enumerate() {
            ego.push(graph.person(u));
            alter.push(graph.person(v));
            layer.push(layer_of_rank(r));
            relation.push(relation_of_layer(layer_of_rank(r)));
            close.push(c);
            per_slot[graph.csr().slot(u, v).unwrap()] = c;
        }
    }
    let t = TruthIndex::from_columns(graph, &ego, &alter, &layer, &relation, &close).unwrap();
    (t, per_slot)
}

/// A test heuristic reading a fixed score per CSR slot.
#[derive(Debug)]
pub struct BySlot {
    pub name: &'static str,
    pub scores: Vec<f64>,
}

impl Heuristic for BySlot {
    fn name(&self) -> &str {
        self.name
    }
    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }
    fn needs(&self) -> Needs {
        Needs::Topology
    }
    fn score(&self, graph: &Graph, target: NodeId, _: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        out.extend_from_slice(&self.scores[graph.csr().slots(target)]);
    }
}

/// Closeness plus uniform noise of amplitude `noise`, per slot.
pub fn noisy(name: &'static str, closeness: &[f64], noise: f64, seed: u64) -> BySlot {
    BySlot {
        name,
        scores: closeness
            .iter()
            .enumerate()
            .map(|(s, c)| c + noise * unit(seed, s as u64, 7))
            .collect(),
    }
}

/// Another heuristic under another name, to evaluate two models of the same heuristic side
/// by side.
#[derive(Debug)]
pub struct Renamed {
    pub inner: Box<dyn Heuristic>,
    pub name: &'static str,
}

impl Heuristic for Renamed {
    fn name(&self) -> &str {
        self.name
    }
    fn cost_class(&self) -> CostClass {
        self.inner.cost_class()
    }
    fn needs(&self) -> Needs {
        self.inner.needs()
    }
    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        self.inner.score(graph, target, scratch, out);
    }
}

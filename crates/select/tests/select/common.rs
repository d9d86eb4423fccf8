//! Graph builders and test-only heuristics shared by the selection tests.

use std::collections::BTreeMap;

use tierank_format::Channel;
use tierank_graph::interactions::interactions_from_ties;
use tierank_graph::{ChannelStats, Graph, NodeId, TieSummary, TimeWindow};
use tierank_heuristics::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch, directed_volume};
use tierank_select::{ExclusionSet, SelectOptions};

/// One directed batch of events: (sender, receiver, channel, count).
pub type Events = (i64, i64, Channel, u32);

/// Builds a graph from person edges and directed event counts (no interactions when
/// `events` is empty).
pub fn graph(edges: &[(i64, i64)], events: &[Events]) -> Graph {
    let (g, _) = Graph::from_person_edges(edges, None).expect("valid edges");
    if events.is_empty() {
        return g;
    }
    let mut ties: BTreeMap<(NodeId, NodeId), BTreeMap<u8, u32>> = BTreeMap::new();
    for &(u, v, c, n) in events {
        let key = (dense(&g, u), dense(&g, v));
        *ties
            .entry(key)
            .or_default()
            .entry(c.index() as u8)
            .or_default() += n;
    }
    let recs = ties
        .into_iter()
        .map(|((u, v), chans)| {
            let stats = chans
                .into_iter()
                .map(|(channel, count)| ChannelStats {
                    count,
                    channel,
                    active_days: 1,
                    ..Default::default()
                })
                .collect();
            (u, v, TieSummary::default(), stats)
        })
        .collect();
    let window = TimeWindow {
        start_ms: 0,
        end_ms: 30 * 86_400_000,
    };
    let inter =
        interactions_from_ties(g.num_nodes(), window, 7 * 86_400_000, recs).expect("valid ties");
    g.with_interactions(inter).expect("ties are friendships")
}

/// The dense id of a person.
pub fn dense(g: &Graph, p: i64) -> NodeId {
    g.dense(p).expect("person in graph")
}

/// Dense ids of persons.
pub fn nodes(g: &Graph, persons: &[i64]) -> Vec<NodeId> {
    persons.iter().map(|&p| dense(g, p)).collect()
}

/// Options with no exclusion, no minimum evidence and no calibration.
pub fn options(config: &HeuristicConfig) -> SelectOptions<'_> {
    SelectOptions {
        excluded: ExclusionSet::empty(),
        strict_minimization: false,
        min_evidence: 0,
        calibration: None,
        config,
    }
}

/// Test-only `volume`: channel-weighted events both ways.
#[derive(Debug, Default)]
pub struct Volume {
    pub config: HeuristicConfig,
}

impl Heuristic for Volume {
    fn name(&self) -> &str {
        "test_volume"
    }
    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }
    fn needs(&self) -> Needs {
        Needs::Events
    }
    fn score(&self, graph: &Graph, target: NodeId, _: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        for &v in graph.neighbors(target) {
            out.push(
                directed_volume(graph, &self.config, target, v)
                    + directed_volume(graph, &self.config, v, target),
            );
        }
    }
}

/// Test-only two-hop heuristic: number of common friends.
#[derive(Debug, Default)]
pub struct CommonFriends;

impl Heuristic for CommonFriends {
    fn name(&self) -> &str {
        "test_common_friends"
    }
    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }
    fn needs(&self) -> Needs {
        Needs::Topology
    }
    fn score(&self, graph: &Graph, target: NodeId, _: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        let mine = graph.neighbors(target);
        for &v in mine {
            let common = graph
                .neighbors(v)
                .iter()
                .filter(|w| mine.binary_search(w).is_ok())
                .count();
            out.push(common as f64);
        }
    }
}

/// Test-only heuristic reading scores from a table keyed by (target, friend) person ids;
/// missing pairs score 0.
#[derive(Debug, Default, Clone)]
pub struct Table {
    pub scores: BTreeMap<(i64, i64), f64>,
}

impl Heuristic for Table {
    fn name(&self) -> &str {
        "test_table"
    }
    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }
    fn needs(&self) -> Needs {
        Needs::Topology
    }
    fn score(&self, graph: &Graph, target: NodeId, _: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        let t = graph.person(target);
        for &v in graph.neighbors(target) {
            out.push(
                self.scores
                    .get(&(t, graph.person(v)))
                    .copied()
                    .unwrap_or(0.0),
            );
        }
    }
}

/// A table from `(target, friend, score)` triples.
pub fn table(entries: &[(i64, i64, f64)]) -> Table {
    Table {
        scores: entries.iter().map(|&(t, v, s)| ((t, v), s)).collect(),
    }
}

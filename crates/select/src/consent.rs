//! Opt-outs: the exclusion set, and strict minimisation of the graph.

use tierank_format::PersonId;
use tierank_format::manifest::sha256_bytes;
use tierank_graph::interactions::interactions_from_ties;
use tierank_graph::{Csr, Graph, GraphError, NodeId};

/// People who opted out: never selected, under any policy.
///
/// Built from the person ids of an exclusion list. Ids that are not in the graph are kept
/// aside and counted (the CLI warns with the count) rather than rejected: an opt-out list is
/// maintained independently of any one dataset, and refusing to run because a person left
/// would be worse than running without them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExclusionSet {
    /// Dense ids of the excluded people present in the graph, sorted and unique.
    nodes: Vec<NodeId>,
    /// Distinct person ids listed.
    listed: usize,
    /// Listed person ids that are not in the graph, sorted and unique.
    unknown: Vec<PersonId>,
    /// SHA-256 of the canonical list, see [`ExclusionSet::canonical_sha256`].
    canonical_sha256: String,
}

impl ExclusionSet {
    /// An empty set: nobody opted out.
    pub fn empty() -> Self {
        Self::new(&Graph::default(), &[])
    }

    /// Resolves listed person ids against `graph`. Duplicates are counted once.
    pub fn new(graph: &Graph, persons: &[PersonId]) -> Self {
        let mut listed: Vec<PersonId> = persons.to_vec();
        listed.sort_unstable();
        listed.dedup();
        let mut nodes = Vec::new();
        let mut unknown = Vec::new();
        for &p in &listed {
            match graph.dense(p) {
                Some(v) => nodes.push(v),
                None => unknown.push(p),
            }
        }
        // Dense ids follow person-id order, so `nodes` is already sorted.
        let canonical: String = listed.iter().map(|p| format!("{p}\n")).collect();
        Self {
            nodes,
            listed: listed.len(),
            unknown,
            canonical_sha256: sha256_bytes(canonical.as_bytes()),
        }
    }

    /// Whether `v` opted out. `O(log e)`.
    #[inline]
    pub fn contains(&self, v: NodeId) -> bool {
        self.nodes.binary_search(&v).is_ok()
    }

    /// The excluded people present in the graph, sorted.
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Whether nobody in the graph is excluded.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Number of distinct person ids listed.
    pub fn listed(&self) -> usize {
        self.listed
    }

    /// Listed person ids that are not in the graph, sorted.
    pub fn unknown(&self) -> &[PersonId] {
        &self.unknown
    }

    /// Lower-case hex SHA-256 of the distinct listed ids in ascending order, one decimal id
    /// per line, each followed by `\n`. It identifies the *set*, whatever the file's
    /// format, order or duplicates, so two audits can be compared even when the list was
    /// re-exported.
    pub fn canonical_sha256(&self) -> &str {
        &self.canonical_sha256
    }
}

/// Strict minimisation: returns `graph` without any friendship or interaction that involves
/// an excluded person, so their data is not used as evidence about anyone else either.
///
/// Excluded people stay in the id map as isolated nodes, so every person id still resolves
/// and dense ids are unchanged. User-supplied tie weights of the kept friendships are kept.
/// The observation window and the per-tie aggregates of kept ties (decayed sums, active
/// days) are kept as they are: they describe only the two people of each tie.
///
/// Costs `O(n + m log d)`.
///
/// # Errors
/// [`GraphError::NodeOutOfRange`] when an excluded id is not a node of `graph`.
pub fn minimize(graph: &Graph, excluded: &[NodeId]) -> Result<Graph, GraphError> {
    let n = graph.num_nodes();
    let mut gone = vec![false; n];
    for &v in excluded {
        if v.index() >= n {
            return Err(GraphError::NodeOutOfRange {
                node: u64::from(v.0),
                nodes: n,
            });
        }
        gone[v.index()] = true;
    }
    let kept = |u: NodeId| !gone[u.index()];

    let mut edges = Vec::with_capacity(graph.num_edges());
    for u in (0..n).map(node) {
        if kept(u) {
            edges.extend(
                graph
                    .neighbors(u)
                    .iter()
                    .filter(|&&v| u < v && kept(v))
                    .map(|&v| (u, v)),
            );
        }
    }
    let (csr, _) = Csr::from_edges(n, &edges)?;

    let weights = graph.weights().map(|old| {
        let mut w = Vec::with_capacity(csr.num_directed_edges());
        for u in (0..n).map(node) {
            for &v in csr.neighbors(u) {
                // Every kept friendship is a friendship of the original graph.
                w.push(graph.csr().slot(u, v).map_or(0.0, |s| old[s]));
            }
        }
        w
    });

    let interactions = match graph.interactions() {
        None => None,
        Some(inter) => {
            let mut ties = Vec::new();
            for u in (0..n).map(node).filter(|&u| kept(u)) {
                for t in inter.out_ties(u).filter(|t| kept(t.alter)) {
                    ties.push((u, t.alter, t.summary, t.channels.to_vec()));
                }
            }
            Some(interactions_from_ties(
                n,
                inter.window(),
                inter.half_life_ms(),
                ties,
            )?)
        }
    };
    Graph::try_new(graph.ids().clone(), csr, weights, interactions)
}

/// The dense id of index `i`; graphs never exceed `u32` nodes (checked by `IdMap`).
fn node(i: usize) -> NodeId {
    NodeId(u32::try_from(i).unwrap_or(u32::MAX))
}

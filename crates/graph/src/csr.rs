use crate::{GraphError, NodeId};
use std::ops::Range;

/// Symmetric compressed sparse row adjacency of the friendship graph.
///
/// # Invariants
/// - `offsets.len() == num_nodes + 1`, `offsets[0] == 0`, non-decreasing, and
///   `offsets[num_nodes] == targets.len()`.
/// - The neighbours of `u` are `targets[offsets[u]..offsets[u + 1]]`, strictly increasing
///   (sorted, no duplicates) and never `u` itself (no self-loops).
/// - Symmetric: `v` is a neighbour of `u` if and only if `u` is a neighbour of `v`. Each
///   undirected friendship therefore occupies two *slots*, one per direction; a slot index
///   (`0..num_directed_edges()`) addresses per-directed-tie arrays.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Csr {
    offsets: Vec<u64>,
    targets: Vec<NodeId>,
}

/// What [`Csr::from_edges`] dropped while building.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuildStats {
    /// Edges `(u, u)`, dropped.
    pub self_loops: u64,
    /// Repeated friendships (in either orientation), dropped.
    pub duplicates: u64,
}

impl Csr {
    /// Builds the symmetric CSR of `num_nodes` nodes from undirected edges, in any order and
    /// orientation. Self-loops and duplicates are dropped and counted.
    ///
    /// Costs `O(n + m log d)` time and one temporary copy of the slots.
    ///
    /// # Errors
    /// [`GraphError::NodeOutOfRange`] when an endpoint is `>= num_nodes`.
    pub fn from_edges(
        num_nodes: usize,
        edges: &[(NodeId, NodeId)],
    ) -> Result<(Self, BuildStats), GraphError> {
        let mut stats = BuildStats::default();
        let mut degree = vec![0u64; num_nodes + 1];
        for &(u, v) in edges {
            for w in [u, v] {
                if w.index() >= num_nodes {
                    return Err(GraphError::NodeOutOfRange {
                        node: u64::from(w.0),
                        nodes: num_nodes,
                    });
                }
            }
            if u == v {
                stats.self_loops += 1;
                continue;
            }
            degree[u.index()] += 1;
            degree[v.index()] += 1;
        }
        let mut offsets = Vec::with_capacity(num_nodes + 1);
        let mut acc = 0u64;
        offsets.push(0);
        for d in &degree[..num_nodes] {
            acc += d;
            offsets.push(acc);
        }
        let mut fill: Vec<u64> = offsets[..num_nodes].to_vec();
        let mut targets = vec![NodeId(0); acc as usize];
        for &(u, v) in edges {
            if u == v {
                continue;
            }
            targets[fill[u.index()] as usize] = v;
            fill[u.index()] += 1;
            targets[fill[v.index()] as usize] = u;
            fill[v.index()] += 1;
        }
        // Sort and deduplicate each list, compacting in place.
        let mut write = 0usize;
        let mut new_offsets = Vec::with_capacity(num_nodes + 1);
        new_offsets.push(0u64);
        for u in 0..num_nodes {
            let (start, end) = (offsets[u] as usize, offsets[u + 1] as usize);
            targets[start..end].sort_unstable();
            let mut last: Option<NodeId> = None;
            for i in start..end {
                let t = targets[i];
                if last == Some(t) {
                    // Each duplicate friendship shows up once in each endpoint's list.
                    stats.duplicates += 1;
                    continue;
                }
                last = Some(t);
                targets[write] = t;
                write += 1;
            }
            new_offsets.push(write as u64);
        }
        targets.truncate(write);
        targets.shrink_to_fit();
        stats.duplicates /= 2;
        Ok((
            Self {
                offsets: new_offsets,
                targets,
            },
            stats,
        ))
    }

    /// Builds from raw parts, checking every invariant.
    ///
    /// # Errors
    /// [`GraphError::Inconsistent`] naming the first violated invariant.
    pub fn try_from_parts(offsets: Vec<u64>, targets: Vec<NodeId>) -> Result<Self, GraphError> {
        let bad = |m: String| Err(GraphError::Inconsistent(m));
        if offsets.first() != Some(&0) {
            return bad("offsets must start at 0".into());
        }
        if offsets.last().copied() != Some(targets.len() as u64) {
            return bad("offsets must end at targets.len()".into());
        }
        let n = offsets.len() - 1;
        let csr = Self { offsets, targets };
        for u in 0..n {
            let (s, e) = (csr.offsets[u], csr.offsets[u + 1]);
            if s > e {
                return bad(format!("offsets decrease at node {u}"));
            }
            let list = csr.neighbors(NodeId(u as u32));
            if list.iter().any(|v| v.index() >= n) {
                return bad(format!("node {u} has an out-of-range neighbour"));
            }
            if list.windows(2).any(|w| w[0] >= w[1]) {
                return bad(format!("neighbours of {u} not strictly increasing"));
            }
            if list.binary_search(&NodeId(u as u32)).is_ok() {
                return bad(format!("self-loop at node {u}"));
            }
            for &v in list {
                if csr.slot(v, NodeId(u as u32)).is_none() {
                    return bad(format!("edge {u}->{} has no reverse", v.0));
                }
            }
        }
        Ok(csr)
    }

    /// Number of nodes.
    #[inline]
    pub fn num_nodes(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of slots: twice the number of undirected friendships.
    #[inline]
    pub fn num_directed_edges(&self) -> usize {
        self.targets.len()
    }

    /// Number of undirected friendships.
    #[inline]
    pub fn num_edges(&self) -> usize {
        self.targets.len() / 2
    }

    /// The slots of `u`'s neighbours.
    #[inline]
    pub fn slots(&self, u: NodeId) -> Range<usize> {
        self.offsets[u.index()] as usize..self.offsets[u.index() + 1] as usize
    }

    /// The sorted neighbours of `u`.
    #[inline]
    pub fn neighbors(&self, u: NodeId) -> &[NodeId] {
        &self.targets[self.slots(u)]
    }

    /// The degree of `u`.
    #[inline]
    pub fn degree(&self, u: NodeId) -> usize {
        (self.offsets[u.index() + 1] - self.offsets[u.index()]) as usize
    }

    /// The slot of the directed tie `u -> v`, by binary search in `u`'s list.
    #[inline]
    pub fn slot(&self, u: NodeId, v: NodeId) -> Option<usize> {
        let range = self.slots(u);
        self.targets[range.clone()]
            .binary_search(&v)
            .ok()
            .map(|i| range.start + i)
    }

    /// Whether `u` and `v` are friends.
    #[inline]
    pub fn has_edge(&self, u: NodeId, v: NodeId) -> bool {
        self.slot(u, v).is_some()
    }

    /// The neighbour stored in `slot`.
    #[inline]
    pub fn target(&self, slot: usize) -> NodeId {
        self.targets[slot]
    }

    /// The offsets array (`num_nodes + 1` entries).
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// The flat neighbour array.
    pub fn targets(&self) -> &[NodeId] {
        &self.targets
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 8 + self.targets.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn builds_sorted_symmetric_lists() {
        let (csr, stats) = Csr::from_edges(
            4,
            &[
                (n(2), n(0)),
                (n(0), n(1)),
                (n(1), n(0)),
                (n(3), n(3)),
                (n(2), n(1)),
            ],
        )
        .unwrap();
        assert_eq!(stats.self_loops, 1);
        assert_eq!(stats.duplicates, 1);
        assert_eq!(csr.neighbors(n(0)), &[n(1), n(2)]);
        assert_eq!(csr.neighbors(n(1)), &[n(0), n(2)]);
        assert_eq!(csr.neighbors(n(3)), &[] as &[NodeId]);
        assert_eq!(csr.num_edges(), 3);
        assert!(Csr::try_from_parts(csr.offsets().to_vec(), csr.targets().to_vec()).is_ok());
    }

    #[test]
    fn rejects_asymmetric_parts() {
        let err = Csr::try_from_parts(vec![0, 1, 1], vec![n(1)]).unwrap_err();
        assert!(err.to_string().contains("no reverse"), "{err}");
    }

    #[test]
    fn rejects_out_of_range_endpoint() {
        assert!(matches!(
            Csr::from_edges(2, &[(n(0), n(2))]),
            Err(GraphError::NodeOutOfRange { node: 2, nodes: 2 })
        ));
    }
}

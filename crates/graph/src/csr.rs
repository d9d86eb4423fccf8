use crate::ids::{balanced_cuts, bucket_ranges, split_at_cuts};
use crate::{GraphError, NodeId};
use rayon::prelude::*;
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
    /// Costs `O(n + m log d)` time and one temporary copy of the slots; the degree count,
    /// the scatter and the per-node sorting run in parallel, with a result that does not
    /// depend on the thread count.
    ///
    /// # Errors
    /// [`GraphError::NodeOutOfRange`] when an endpoint is `>= num_nodes`.
    pub fn from_edges(
        num_nodes: usize,
        edges: &[(NodeId, NodeId)],
    ) -> Result<(Self, BuildStats), GraphError> {
        let (offsets, mut keys, stats) = build::<u32>(num_nodes, edges)?;
        keys.shrink_to_fit();
        // Same size and alignment: collected in place, without a second buffer.
        let targets = keys.into_iter().map(NodeId).collect();
        Ok((Self { offsets, targets }, stats))
    }

    /// As [`Csr::from_edges`], also returning one value per slot: `values[i]` belongs to
    /// `edges[i]`, and both slots of a friendship get the value of its first edge (the
    /// lowest index among repeats in either orientation).
    ///
    /// Each slot is placed with the index of the edge that made it, so no slot is searched
    /// for afterwards.
    ///
    /// # Errors
    /// [`GraphError::NodeOutOfRange`] when an endpoint is `>= num_nodes`;
    /// [`GraphError::Inconsistent`] when `values` and `edges` differ in length.
    pub fn from_edges_with_values<T: Copy + Send + Sync>(
        num_nodes: usize,
        edges: &[(NodeId, NodeId)],
        values: &[T],
    ) -> Result<(Self, BuildStats, Vec<T>), GraphError> {
        if values.len() != edges.len() {
            return Err(GraphError::Inconsistent(format!(
                "{} values for {} edges",
                values.len(),
                edges.len()
            )));
        }
        if u32::try_from(edges.len()).is_ok() {
            Ok(Self::with_values(build::<u64>(num_nodes, edges)?, values))
        } else {
            Ok(Self::with_values(build::<u128>(num_nodes, edges)?, values))
        }
    }

    fn with_values<K: SlotKey, T: Copy + Send + Sync>(
        (offsets, keys, stats): (Vec<u64>, Vec<K>, BuildStats),
        values: &[T],
    ) -> (Self, BuildStats, Vec<T>) {
        let targets = keys.par_iter().map(|k| k.target()).collect();
        let slot_values = keys.par_iter().map(|k| values[k.row()]).collect();
        (Self { offsets, targets }, stats, slot_values)
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
        if let Some(u) = offsets.windows(2).position(|w| w[0] > w[1]) {
            return bad(format!("offsets decrease at node {u}"));
        }
        let csr = Self { offsets, targets };
        // Ranges of nodes of about equal total degree, checked in parallel; the first
        // failing range (in node order) names the error, at any thread count.
        let threads = if csr.targets.len() < PARALLEL_EDGES {
            1
        } else {
            rayon::current_num_threads().max(1)
        };
        let ranges = bucket_ranges(&balanced_cuts(&csr.offsets, threads), n);
        let checked: Vec<Result<u64, String>> = ranges
            .par_iter()
            .map(|&(lo, hi)| csr.check_nodes(lo, hi))
            .collect();
        let mut balance = 0u64;
        for r in checked {
            balance = balance.wrapping_add(r.map_err(GraphError::Inconsistent)?);
        }
        if balance != 0 {
            return bad("not symmetric: some edge u -> v has no reverse v -> u".into());
        }
        Ok(csr)
    }

    /// The invariants of nodes `lo..hi`'s lists: neighbours in range, strictly increasing,
    /// no self-loop. Returns the range's share of the symmetry fingerprint.
    ///
    /// Symmetry: the lists hold no repeats, so the graph is symmetric exactly when the set
    /// of edges `(u, v)` equals the set of their reverses `(v, u)`, which is checked by the
    /// wrapping sum of `mix(u, v) - mix(v, u)` over all edges being 0 (`mix` a 64-bit
    /// bijective mixer). One sequential read per edge, where looking each reverse up is a
    /// cache miss per edge; an asymmetric graph passes only if its missing reverses'
    /// fingerprints cancel, about 2^-64 for any corruption not crafted to do so (and the
    /// snapshot checksum already catches accidental corruption).
    fn check_nodes(&self, lo: usize, hi: usize) -> Result<u64, String> {
        let n = self.num_nodes();
        let mut balance = 0u64;
        for u in lo..hi {
            let list = self.neighbors(NodeId(u as u32));
            if list.iter().any(|v| v.index() >= n) {
                return Err(format!("node {u} has an out-of-range neighbour"));
            }
            if list.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("neighbours of {u} not strictly increasing"));
            }
            if list.binary_search(&NodeId(u as u32)).is_ok() {
                return Err(format!("self-loop at node {u}"));
            }
            let u64_ = u as u64;
            for &v in list {
                let v = u64::from(v.0);
                balance = balance
                    .wrapping_add(mix(u64_ << 32 | v))
                    .wrapping_sub(mix(v << 32 | u64_));
            }
        }
        Ok(balance)
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

/// A slot while building: the neighbour in the high bits and, for the keyed variants, the
/// index of the edge that made it in the low bits, so that sorting orders a list by
/// neighbour and then by edge, and the first of repeated friendships comes first.
trait SlotKey: Copy + Ord + Send + Sync + Default {
    fn pack(target: NodeId, row: usize) -> Self;
    fn target(self) -> NodeId;
    fn row(self) -> usize;
}

impl SlotKey for u32 {
    #[inline]
    fn pack(target: NodeId, _row: usize) -> Self {
        target.0
    }
    #[inline]
    fn target(self) -> NodeId {
        NodeId(self)
    }
    #[inline]
    fn row(self) -> usize {
        0
    }
}

impl SlotKey for u64 {
    #[inline]
    fn pack(target: NodeId, row: usize) -> Self {
        (u64::from(target.0) << 32) | row as u64
    }
    #[inline]
    fn target(self) -> NodeId {
        NodeId((self >> 32) as u32)
    }
    #[inline]
    fn row(self) -> usize {
        (self & u64::from(u32::MAX)) as usize
    }
}

impl SlotKey for u128 {
    #[inline]
    fn pack(target: NodeId, row: usize) -> Self {
        (u128::from(target.0) << 64) | row as u128
    }
    #[inline]
    fn target(self) -> NodeId {
        NodeId((self >> 64) as u32)
    }
    #[inline]
    fn row(self) -> usize {
        self as u64 as usize
    }
}

/// Below this many edges the build runs on one thread.
const PARALLEL_EDGES: usize = 1 << 14;

/// The offsets, the sorted and deduplicated slot keys, and the counts of what was dropped.
///
/// 1. Degrees: each thread owns a range of nodes and scans every edge.
/// 2. Scatter: each thread owns a range of nodes of about equal total degree and scans every
///    edge in order, writing the slots of its own nodes; no two threads write the same memory.
/// 3. Sort each list and drop repeated neighbours (the lowest key, i.e. the first edge, is
///    kept), compacting within groups of nodes in parallel; then close the gaps.
fn build<K: SlotKey>(
    num_nodes: usize,
    edges: &[(NodeId, NodeId)],
) -> Result<(Vec<u64>, Vec<K>, BuildStats), GraphError> {
    let n = num_nodes;
    // One fused sequential pass finds the first bad edge and counts self-loops.
    let mut stats = BuildStats::default();
    for &(u, v) in edges {
        if u.index() >= n || v.index() >= n {
            let w = if u.index() >= n { u } else { v };
            return Err(GraphError::NodeOutOfRange {
                node: u64::from(w.0),
                nodes: n,
            });
        }
        stats.self_loops += u64::from(u == v);
    }
    let threads = if edges.len() < PARALLEL_EDGES {
        1
    } else {
        rayon::current_num_threads().max(1)
    };

    // 1. Degrees.
    let mut degree = vec![0u64; n];
    let per = n.div_ceil(threads).max(1);
    degree.par_chunks_mut(per).enumerate().for_each(|(k, deg)| {
        let lo = k * per;
        let hi = lo + deg.len();
        for &(u, v) in edges {
            if u == v {
                continue;
            }
            if (lo..hi).contains(&u.index()) {
                deg[u.index() - lo] += 1;
            }
            if (lo..hi).contains(&v.index()) {
                deg[v.index() - lo] += 1;
            }
        }
    });
    let offsets = prefix_sums(&degree);
    drop(degree);
    let slots = offsets[n] as usize;

    // 2. Scatter.
    let mut keys = vec![K::default(); slots];
    let owner_cuts = balanced_cuts(&offsets, threads);
    let owners = bucket_ranges(&owner_cuts, n);
    let slot_cuts: Vec<usize> = owner_cuts.iter().map(|&u| offsets[u] as usize).collect();
    split_at_cuts(&mut keys, &slot_cuts)
        .into_par_iter()
        .zip(owners.par_iter())
        .for_each(|(out, &(lo, hi))| {
            let base = offsets[lo];
            let mut fill: Vec<usize> = offsets[lo..hi]
                .iter()
                .map(|&s| (s - base) as usize)
                .collect();
            for (row, &(u, v)) in edges.iter().enumerate() {
                if u == v {
                    continue;
                }
                if (lo..hi).contains(&u.index()) {
                    let f = &mut fill[u.index() - lo];
                    out[*f] = K::pack(v, row);
                    *f += 1;
                }
                if (lo..hi).contains(&v.index()) {
                    let f = &mut fill[v.index() - lo];
                    out[*f] = K::pack(u, row);
                    *f += 1;
                }
            }
        });

    // 3. Sort, deduplicate, compact.
    let mut kept_degree = vec![0u64; n];
    let group_cuts = balanced_cuts(&offsets, 4 * threads);
    let groups = bucket_ranges(&group_cuts, n);
    let slot_cuts: Vec<usize> = group_cuts.iter().map(|&u| offsets[u] as usize).collect();
    let kept: Vec<(usize, u64)> = split_at_cuts(&mut keys, &slot_cuts)
        .into_par_iter()
        .zip(split_at_cuts(&mut kept_degree, &group_cuts))
        .zip(groups.par_iter())
        .map(|((out, kept_degree), &(lo, hi))| {
            let base = offsets[lo] as usize;
            let mut write = 0;
            let mut repeats = 0u64;
            for u in lo..hi {
                let (s, e) = (offsets[u] as usize - base, offsets[u + 1] as usize - base);
                out[s..e].sort_unstable();
                let before = write;
                let mut last: Option<NodeId> = None;
                for i in s..e {
                    let key = out[i];
                    if last == Some(key.target()) {
                        // Each repeated friendship shows up once in each endpoint's list.
                        repeats += 1;
                        continue;
                    }
                    last = Some(key.target());
                    out[write] = key;
                    write += 1;
                }
                kept_degree[u - lo] = (write - before) as u64;
            }
            (write, repeats)
        })
        .collect();
    let mut write = 0;
    for (&(lo, _), (kept, repeats)) in groups.iter().zip(kept) {
        let start = offsets[lo] as usize;
        keys.copy_within(start..start + kept, write);
        write += kept;
        stats.duplicates += repeats;
    }
    keys.truncate(write);
    stats.duplicates /= 2;
    Ok((prefix_sums(&kept_degree), keys, stats))
}

/// A bijective 64-bit mixer (the finaliser of SplitMix64).
#[inline]
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `[0, d0, d0 + d1, ...]`.
fn prefix_sums(degree: &[u64]) -> Vec<u64> {
    let mut offsets = Vec::with_capacity(degree.len() + 1);
    let mut acc = 0u64;
    offsets.push(0);
    for d in degree {
        acc += d;
        offsets.push(acc);
    }
    offsets
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

    /// The sequential reference: sorted, deduplicated lists, and the first edge's value on
    /// both slots of a friendship.
    fn naive(n: usize, edges: &[(NodeId, NodeId)], values: &[u32]) -> (Csr, BuildStats, Vec<u32>) {
        let mut lists = vec![Vec::new(); n];
        let mut stats = BuildStats::default();
        for &(u, v) in edges {
            if u == v {
                stats.self_loops += 1;
            } else {
                lists[u.index()].push(v);
                lists[v.index()].push(u);
            }
        }
        let mut offsets = vec![0u64];
        let mut targets = Vec::new();
        for list in &mut lists {
            let before = list.len();
            list.sort_unstable();
            list.dedup();
            stats.duplicates += (before - list.len()) as u64;
            targets.extend_from_slice(list);
            offsets.push(targets.len() as u64);
        }
        stats.duplicates /= 2;
        let csr = Csr::try_from_parts(offsets, targets).unwrap();
        let mut out = vec![None; csr.num_directed_edges()];
        for (&(u, v), &x) in edges.iter().zip(values) {
            if u != v {
                let (a, b) = (csr.slot(u, v).unwrap(), csr.slot(v, u).unwrap());
                if out[a].is_none() {
                    out[a] = Some(x);
                    out[b] = Some(x);
                }
            }
        }
        (csr, stats, out.into_iter().map(Option::unwrap).collect())
    }

    #[test]
    fn parallel_build_matches_reference_at_any_thread_count() {
        // Above the parallel cutoff, with hubs, repeats in both orientations and self-loops.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let n = 3000;
        let edges: Vec<(NodeId, NodeId)> = (0..60_000)
            .map(|i| {
                let u = if i % 7 == 0 { next(5) } else { next(n) };
                let v = if i % 11 == 0 { u } else { next(n) };
                (NodeId(u as u32), NodeId(v as u32))
            })
            .collect();
        let values: Vec<u32> = (0..edges.len() as u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let expected = naive(n as usize, &edges, &values);
        assert!(expected.1.duplicates > 0 && expected.1.self_loops > 0);
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (csr, stats) = pool
                .install(|| Csr::from_edges(n as usize, &edges))
                .unwrap();
            assert_eq!(
                (&csr, stats),
                (&expected.0, expected.1),
                "{threads} threads"
            );
            let got = pool
                .install(|| Csr::from_edges_with_values(n as usize, &edges, &values))
                .unwrap();
            assert_eq!(got, expected, "{threads} threads");
        }
    }

    proptest::proptest! {
        #[test]
        fn build_matches_reference(
            n in 1usize..40,
            raw in proptest::collection::vec((0u32..40, 0u32..40), 0..200),
        ) {
            let edges: Vec<(NodeId, NodeId)> = raw
                .iter()
                .map(|&(u, v)| (NodeId(u % n as u32), NodeId(v % n as u32)))
                .collect();
            let values: Vec<u32> = (0..edges.len() as u32).rev().collect();
            let expected = naive(n, &edges, &values);
            let (csr, stats) = Csr::from_edges(n, &edges).unwrap();
            proptest::prop_assert_eq!((&csr, stats), (&expected.0, expected.1));
            proptest::prop_assert_eq!(Csr::from_edges_with_values(n, &edges, &values).unwrap(), expected);
        }
    }

    #[test]
    fn values_must_match_edges() {
        assert!(matches!(
            Csr::from_edges_with_values(2, &[(n(0), n(1))], &[1.0, 2.0]),
            Err(GraphError::Inconsistent(_))
        ));
    }

    #[test]
    fn rejects_asymmetric_parts() {
        let err = Csr::try_from_parts(vec![0, 1, 1], vec![n(1)]).unwrap_err();
        assert!(err.to_string().contains("no reverse"), "{err}");
        // Two missing reverses, in different lists, do not hide each other.
        let err = Csr::try_from_parts(vec![0, 1, 2, 2], vec![n(1), n(2)]).unwrap_err();
        assert!(err.to_string().contains("not symmetric"), "{err}");
    }

    #[test]
    fn rejects_out_of_range_endpoint() {
        assert!(matches!(
            Csr::from_edges(2, &[(n(0), n(2))]),
            Err(GraphError::NodeOutOfRange { node: 2, nodes: 2 })
        ));
        // The first offending edge, and its first offending endpoint.
        assert!(matches!(
            Csr::from_edges(2, &[(n(0), n(1)), (n(5), n(3)), (n(4), n(0))]),
            Err(GraphError::NodeOutOfRange { node: 5, nodes: 2 })
        ));
    }
}

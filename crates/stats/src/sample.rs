//! Deterministic hashing and sampling.
//!
//! Every sample in the report is chosen by a seeded hash of stable identifiers, never by a
//! random stream, so the same dataset and options give the same report at any thread count
//! and in any file order.

use tierank_graph::NodeId;

/// The SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective mix with good avalanche,
/// so that `hash % m` is close to uniform for any modulus.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seeded hash of an ordered pair of 64-bit values.
#[inline]
pub(crate) fn hash_pair(seed: u64, a: u64, b: u64) -> u64 {
    mix64(mix64(seed ^ mix64(a)).wrapping_add(b))
}

/// Up to `k` nodes of `0..n`, chosen as the `k` smallest seeded hashes, returned sorted by id.
///
/// When `k >= n` every node is returned: the statistic is then exact, not sampled.
/// Costs `O(n)` time (selection, not a full sort) plus `O(k log k)` for the final order.
pub(crate) fn sample_nodes(n: usize, k: usize, seed: u64) -> Vec<NodeId> {
    let all = |i: usize| NodeId(u32::try_from(i).expect("graph sizes fit NodeId"));
    if k >= n {
        return (0..n).map(all).collect();
    }
    if k == 0 {
        return Vec::new();
    }
    let mut keyed: Vec<(u64, u32)> = (0..n)
        .map(|i| {
            let id = all(i).0;
            (hash_pair(seed, u64::from(id), 0x5A3D_1E55), id)
        })
        .collect();
    keyed.select_nth_unstable(k - 1);
    let mut chosen: Vec<NodeId> = keyed[..k].iter().map(|&(_, id)| NodeId(id)).collect();
    chosen.sort_unstable();
    chosen
}

/// A fixed-size set of node ids as a bitset: `n / 8` bytes.
#[derive(Debug, Clone)]
pub(crate) struct NodeBits {
    words: Vec<u64>,
}

impl NodeBits {
    /// An empty set able to hold `0..n`.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            words: vec![0; n.div_ceil(64)],
        }
    }

    #[inline]
    pub(crate) fn insert(&mut self, v: NodeId) {
        self.words[v.index() / 64] |= 1 << (v.index() % 64);
    }

    #[inline]
    pub(crate) fn remove(&mut self, v: NodeId) {
        self.words[v.index() / 64] &= !(1 << (v.index() % 64));
    }

    #[inline]
    pub(crate) fn contains(&self, v: NodeId) -> bool {
        self.words[v.index() / 64] & (1 << (v.index() % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_all_nodes_when_small() {
        assert_eq!(
            sample_nodes(3, 10, 1),
            vec![NodeId(0), NodeId(1), NodeId(2)]
        );
    }

    #[test]
    fn sample_is_sorted_distinct_and_seed_dependent() {
        let a = sample_nodes(1000, 100, 1);
        assert_eq!(a.len(), 100);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, sample_nodes(1000, 100, 1));
        assert_ne!(a, sample_nodes(1000, 100, 2));
        // Spread over the whole range, not a prefix.
        assert!(a.last().unwrap().0 > 500 && a[0].0 < 500);
    }

    #[test]
    fn hash_modulus_is_roughly_uniform() {
        let hits = (0..64_000u64)
            .filter(|&i| hash_pair(0, i, i * 7 + 1).is_multiple_of(64))
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
    }

    #[test]
    fn bits_insert_remove() {
        let mut b = NodeBits::new(130);
        b.insert(NodeId(129));
        b.insert(NodeId(3));
        assert!(b.contains(NodeId(129)) && b.contains(NodeId(3)) && !b.contains(NodeId(4)));
        b.remove(NodeId(129));
        assert!(!b.contains(NodeId(129)));
    }
}

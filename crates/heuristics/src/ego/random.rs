//! `random`: a seeded random baseline.

use crate::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch};
use tierank_format::PersonId;
use tierank_graph::{Graph, NodeId};

/// Command-line name.
pub(crate) const NAME: &str = "random";

/// A reproducible random order of each target's friends: the floor every heuristic must beat.
///
/// # Formula
/// `random(u, v) = h(seed, person(u), person(v)) / 2⁶⁴` rounded down to 53 bits, in `[0, 1)`,
/// where `h` chains the SplitMix64 finaliser over the seed and the two *person* ids.
///
/// Hashing person ids rather than dense ids keeps the score of a pair the same in any dataset
/// that contains both people (dense ids shift when people are added), and hashing rather
/// than drawing from a generator makes the score independent of the order and the thread in
/// which targets are processed.
///
/// # Source
/// Steele, Lea, Flood (2014), "Fast splittable pseudorandom number generators", OOPSLA '14
/// (the SplitMix64 finaliser).
///
/// # Cost
/// Ego: `O(k_u)` per target, no allocation.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{build, HeuristicConfig, Heuristic, Scratch};
///
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3)], None).unwrap();
/// let config = HeuristicConfig { seed: 7, ..HeuristicConfig::default() };
/// let h = build("random", &config, &g).unwrap();
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut a);
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut b);
/// assert_eq!(a, b);
/// assert!(a.iter().all(|s| (0.0..1.0).contains(s)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Random {
    seed: u64,
}

impl Random {
    /// Reads the seed from `config`.
    pub fn new(config: &HeuristicConfig) -> Self {
        Self { seed: config.seed }
    }

    /// The score of friend `friend` of `target` (person ids).
    pub fn pair_score(&self, target: PersonId, friend: PersonId) -> f64 {
        let h = splitmix(splitmix(splitmix(self.seed) ^ target as u64) ^ friend as u64);
        (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// The SplitMix64 finaliser (a bijection on `u64` with good avalanche).
#[inline]
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Heuristic for Random {
    fn name(&self) -> &str {
        NAME
    }

    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, _scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        let t = graph.person(target);
        out.extend(
            graph
                .neighbors(target)
                .iter()
                .map(|&v| self.pair_score(t, graph.person(v))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_on_seed_and_person_ids_only() {
        let a = Random::new(&HeuristicConfig::default());
        let b = Random::new(&HeuristicConfig {
            seed: 1,
            ..HeuristicConfig::default()
        });
        assert_eq!(a.pair_score(5, 9), a.pair_score(5, 9));
        assert_ne!(a.pair_score(5, 9), b.pair_score(5, 9));
        assert_ne!(a.pair_score(5, 9), a.pair_score(9, 5));
        let mean = (0..10_000).map(|i| a.pair_score(1, i)).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}

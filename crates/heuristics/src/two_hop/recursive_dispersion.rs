//! Recursive dispersion (Backstrom & Kleinberg 2014).

use super::ego_network;
use crate::{CostClass, Heuristic, HeuristicConfig, HeuristicError, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Recursive dispersion: dispersion in which a common friend counts more when it is itself
/// a high-dispersion friend of the target.
///
/// With `d_v(s, t)` as in [`super::Dispersion`] and `x` a value per friend of the target `u`,
/// start from `x ≡ 1` and repeat `iterations` times, updating every friend at once from the
/// previous round (a Jacobi step):
///
/// ```text
/// x_v ← ( Σ_{w∈C_uv} x_w² + 2 Σ_{ {s,t} ⊂ C_uv } d_v(s, t) x_s x_t ) / |C_uv|
/// ```
///
/// and `x_v = 0` when `|C_uv| = 0`. The pair sum runs over unordered pairs, so the factor 2
/// makes it the sum over ordered pairs `s ≠ t`; after one round `x_v = 1 + 2 disp / emb`.
/// This is our reading of the paper's definition (x is defined on the target's friends,
/// i.e. within the ego network `G_u`, and all of them update together).
///
/// The update is homogeneous of degree 2 (scaling `x` by `λ` scales the next round by
/// `λ²`), so values grow doubly exponentially with the rounds. To stay finite for any
/// number of rounds, `x` is divided by its maximum after every round: the reported scores
/// are `x / max x ∈ [0, 1]`, and the ranking is exactly the unnormalised one.
///
/// Backstrom & Kleinberg (2014), "Romantic partnerships and the dispersion of social ties:
/// a network analysis of relationship status on Facebook", Proc. CSCW 2014, 831–841: three
/// rounds (the default, `dispersion_iterations`) ranked the partner first most often.
///
/// - Cost class: [`CostClass::TwoHop`]; needs only the topology.
/// - Complexity: the dispersed pairs are found once, as for [`super::Dispersion`]
///   (`O(Σ_{v∈N(u)} k_v + Σ_{v∈N(u)} |C_uv|²)`, and not at all when dispersion was just
///   scored on the same target with the same [`Scratch`]), then each of the `R` rounds costs
///   `O(Σ_{v∈N(u)} |C_uv| + disp(u, v))`. Memory: the ego ties and the dispersed pairs.
///
/// # Arguments and returns
/// [`Heuristic::score`] writes one value in `[0, 1]` per friend of `target`, aligned with
/// `graph.neighbors(target)`.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{two_hop::RecursiveDispersion, Heuristic, HeuristicConfig, Scratch};
///
/// // Friend 1 bridges two separate circles of target 0; friend 4 sits inside one triangle.
/// let edges = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3),
///              (0, 4), (0, 5), (0, 6), (4, 5), (4, 6), (5, 6)];
/// let (g, _) = Graph::from_person_edges(&edges, None).unwrap();
/// let h = RecursiveDispersion::new(&HeuristicConfig::default()).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(0).unwrap(), &mut Scratch::new(), &mut out);
/// // Friend 1 (position 0) is the top-scored friend, far above friend 4 (position 3).
/// assert_eq!(out[0], 1.0);
/// assert!(out[3] < 0.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecursiveDispersion {
    /// Number of rounds (at least 1).
    pub iterations: u32,
}

impl RecursiveDispersion {
    /// Takes the number of rounds from `config.dispersion_iterations`.
    ///
    /// # Errors
    /// [`HeuristicError::InvalidParameter`] when `config` does not validate.
    pub fn new(config: &HeuristicConfig) -> Result<Self, HeuristicError> {
        config.validate()?;
        Ok(Self {
            iterations: config.dispersion_iterations,
        })
    }
}

impl Heuristic for RecursiveDispersion {
    fn name(&self) -> &str {
        "recursive_dispersion"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        let mut x = std::mem::take(&mut scratch.buf_a);
        let mut next = std::mem::take(&mut scratch.buf_b);
        let ego = ego_network(graph, target, scratch);
        let d = ego.degree();
        x.clear();
        x.resize(d, 1.0);
        next.clear();
        next.resize(d, 0.0);
        for _ in 0..self.iterations {
            let mut max = 0.0f64;
            for (i, slot) in next.iter_mut().enumerate() {
                let members = ego.common(i);
                if members.is_empty() {
                    *slot = 0.0;
                    continue;
                }
                // The squares in ascending position, then the dispersed pairs in
                // lexicographic order: the order of the pair-by-pair definition, so the sums
                // are bit-identical to it.
                let mut sum: f64 = members.iter().map(|&w| x[w as usize].powi(2)).sum();
                for &(a, b) in ego.dispersed(i) {
                    sum += 2.0 * x[a as usize] * x[b as usize];
                }
                *slot = sum / members.len() as f64;
                max = max.max(*slot);
            }
            if max > 0.0 {
                next.iter_mut().for_each(|v| *v /= max);
            }
            std::mem::swap(&mut x, &mut next);
        }
        out.extend_from_slice(&x[..d]);
        scratch.buf_a = x;
        scratch.buf_b = next;
    }
}

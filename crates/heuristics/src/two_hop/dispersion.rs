//! Normalised dispersion (Backstrom & Kleinberg 2014).

use super::ego_network;
use crate::{CostClass, Heuristic, HeuristicConfig, HeuristicError, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Normalised dispersion: how far apart, inside the target's own network, the common friends
/// of the target and the friend lie.
///
/// For target `u` and friend `v`, two common friends `s, t ∈ C_uv` are *dispersed*,
/// `d_v(s, t) = 1`, when they are not friends and have no common friend in `N(u) \ {u, v}`.
/// Then
///
/// ```text
/// disp(u, v)  = Σ_{ {s,t} ⊂ C_uv } d_v(s, t)        (unordered pairs)
/// score(u, v) = (disp(u, v) + b)^α / (|C_uv| + c)
/// ```
///
/// with α, b, c from [`HeuristicConfig`] (defaults 0.61, 0, 5: the paper's best). When
/// `|C_uv| + c = 0` (only possible with `c = 0`) the score is `(disp + b)^α` undivided,
/// exactly as networkx's `dispersion` does; with `b = 0` that is 0.
///
/// Backstrom & Kleinberg (2014), "Romantic partnerships and the dispersion of social ties:
/// a network analysis of relationship status on Facebook", Proc. CSCW 2014, 831–841. A
/// partner knows people from several of the target's separate circles (family, work,
/// school), which embeddedness alone misses. The definition matches networkx 3.6.1's
/// `centrality.dispersion` (checked against its source: it tests "`t` not adjacent to `s`"
/// and "`N(u) ∩ N(s) \ {u, v}` disjoint from `N(t)`", which is the same condition), but
/// networkx's own defaults are α = 1, b = 0, c = 0.
///
/// - Cost class: [`CostClass::TwoHop`]; needs only the topology.
/// - Complexity: `O(Σ_{v∈N(u)} k_v)` to find the ego network, then
///   `O(Σ_{v∈N(u)} |C_uv|²)` constant-cost steps to find every friend's dispersed pairs at once
///   (see [`super::EgoCache`]: a dispersed pair has exactly one friend it is dispersed for).
///   Memory: the ego ties and the dispersed pairs (at most `k_u (k_u − 1) / 2`), kept in the
///   [`Scratch`] so that recursive dispersion on the same target reuses them.
///
/// # Arguments and returns
/// [`Heuristic::score`] writes one finite non-negative value per friend of `target`,
/// aligned with `graph.neighbors(target)`.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{two_hop::Dispersion, Heuristic, HeuristicConfig, Scratch};
///
/// // Target 0. Friend 1 knows 2 and 3, who do not know each other (two separate circles);
/// // friend 4 knows 5 and 6, who are friends themselves.
/// let edges = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3),
///              (0, 4), (0, 5), (0, 6), (4, 5), (4, 6), (5, 6)];
/// let (g, _) = Graph::from_person_edges(&edges, None).unwrap();
/// let h = Dispersion::new(&HeuristicConfig::default()).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(0).unwrap(), &mut Scratch::new(), &mut out);
/// // Friends of 0: 1, 2, 3, 4, 5, 6. Both 1 and 4 have embeddedness 2, but only 1's
/// // common friends are dispersed: (1 + 0)^0.61 / (2 + 5).
/// assert!((out[0] - 1.0 / 7.0).abs() < 1e-12);
/// assert_eq!(out[3], 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dispersion {
    /// Exponent α.
    pub alpha: f64,
    /// Offset b added to the dispersion.
    pub b: f64,
    /// Offset c added to the embeddedness.
    pub c: f64,
}

impl Dispersion {
    /// Takes α, b, c from `config`.
    ///
    /// # Errors
    /// [`HeuristicError::InvalidParameter`] when `config` does not validate.
    pub fn new(config: &HeuristicConfig) -> Result<Self, HeuristicError> {
        config.validate()?;
        Ok(Self {
            alpha: config.dispersion_alpha,
            b: config.dispersion_b,
            c: config.dispersion_c,
        })
    }

    /// Writes the raw dispersion `disp(u, v)` and the embeddedness `|C_uv|` of every friend
    /// of `target` into `disp` and `emb` (cleared first), aligned with
    /// `graph.neighbors(target)`. The normalised score is computed from these.
    pub fn raw(
        graph: &Graph,
        target: NodeId,
        scratch: &mut Scratch,
        disp: &mut Vec<u64>,
        emb: &mut Vec<u64>,
    ) {
        disp.clear();
        emb.clear();
        let ego = ego_network(graph, target, scratch);
        for i in 0..ego.degree() {
            emb.push(ego.common(i).len() as u64);
            disp.push(ego.dispersed(i).len() as u64);
        }
    }
}

impl Heuristic for Dispersion {
    fn name(&self) -> &str {
        "dispersion"
    }

    fn cost_class(&self) -> CostClass {
        CostClass::TwoHop
    }

    fn needs(&self) -> Needs {
        Needs::Topology
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        let ego = ego_network(graph, target, scratch);
        for i in 0..ego.degree() {
            let disp = ego.dispersed(i).len() as f64;
            let denom = ego.common(i).len() as f64 + self.c;
            let num = (disp + self.b).powf(self.alpha);
            out.push(if denom > 0.0 { num / denom } else { num });
        }
    }
}

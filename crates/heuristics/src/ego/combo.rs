//! `combo`: a weighted combination of other heuristics.

use crate::{CostClass, Heuristic, HeuristicConfig, HeuristicError, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Command-line name.
pub(crate) const NAME: &str = "combo";

/// A user-configured weighted sum of other heuristics' per-target normalised scores.
///
/// # Formula
/// For the components `(h, w_h)` of `config.combo`:
///
/// `combo(u, v) = Σ_h w_h · (s_h(u, v) − min_h(u)) / (max_h(u) − min_h(u))`,
///
/// with `min_h(u)`, `max_h(u)` the smallest and largest score of `h` over `u`'s friends; a
/// component whose scores are all equal for `u` contributes 0 (it cannot tell the friends
/// apart). Default: `persistence = 1, reciprocity = 1, overlap = 0.5`.
///
/// The components live on unrelated scales (days, weighted event counts, fractions in
/// `[0, 1]`, degrees in the thousands), so a raw sum would be decided by whichever has the
/// largest numbers. Min–max normalisation over the target's own friends puts each component
/// on `[0, 1]` for every target, so the weights mean what they say. Only the ranking within
/// one target matters, so normalising per target loses nothing.
///
/// # Source
/// Score fusion by min–max normalisation and weighted sum (CombSUM): Fox & Shaw (1994),
/// "Combination of multiple searches", TREC-2; Lee (1997), "Analyses of multiple evidence
/// combination", SIGIR '97.
///
/// # Cost
/// The largest cost class of its components, plus `O(k_u)` per component.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{build, HeuristicConfig, Heuristic, Scratch};
///
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3), (3, 4)], Some(&[1.0, 3.0, 1.0])).unwrap();
/// let config = HeuristicConfig {
///     combo: vec![("volume".into(), 1.0), ("degree".into(), 2.0)],
///     ..HeuristicConfig::default()
/// };
/// let h = build("combo", &config, &g).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// // Friend 3 has the larger weight (normalised 1) and the larger degree (normalised 1).
/// assert_eq!(out, vec![0.0, 3.0]);
/// ```
#[derive(Debug)]
pub struct Combo {
    components: Vec<(Box<dyn Heuristic>, f64)>,
}

impl Combo {
    /// Builds every component named in `config.combo` through the registry.
    ///
    /// # Errors
    /// [`HeuristicError::Unknown`] for an unknown component, and
    /// [`HeuristicError::InvalidParameter`] when a component is `combo` itself.
    pub fn new(config: &HeuristicConfig) -> Result<Self, HeuristicError> {
        let mut components = Vec::with_capacity(config.combo.len());
        for (name, weight) in &config.combo {
            if name == NAME {
                return Err(HeuristicError::InvalidParameter {
                    name: "combo",
                    reason: "a combination cannot contain 'combo'".into(),
                });
            }
            let entry =
                crate::entry(name).ok_or_else(|| HeuristicError::Unknown { name: name.clone() })?;
            components.push(((entry.build)(config)?, *weight));
        }
        if components.is_empty() {
            return Err(HeuristicError::InvalidParameter {
                name: "combo",
                reason: "needs at least one (heuristic, weight)".into(),
            });
        }
        Ok(Self { components })
    }

    /// The components' names and weights, in configuration order.
    pub fn components(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.components.iter().map(|(h, w)| (h.name(), *w))
    }
}

impl Heuristic for Combo {
    fn name(&self) -> &str {
        NAME
    }

    fn cost_class(&self) -> CostClass {
        self.components
            .iter()
            .map(|(h, _)| h.cost_class())
            .max()
            .unwrap_or(CostClass::Ego)
    }

    fn needs(&self) -> Needs {
        self.components
            .iter()
            .map(|(h, _)| h.needs())
            .max()
            .unwrap_or(Needs::Topology)
    }

    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        out.resize(graph.degree(target), 0.0);
        // Taken out so that the components may use every other scratch buffer; put back below
        // so its capacity is reused by the next call.
        let mut part = std::mem::take(&mut scratch.combo_part);
        for (h, weight) in &self.components {
            h.score(graph, target, scratch, &mut part);
            let (lo, hi) = part
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| {
                    (lo.min(s), hi.max(s))
                });
            let range = hi - lo;
            if range > 0.0 && range.is_finite() {
                for (o, &s) in out.iter_mut().zip(&part) {
                    *o += weight * ((s - lo) / range);
                }
            }
        }
        scratch.combo_part = part;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::fixtures::{dense, graph};
    use tierank_format::Channel::Message;

    fn config(combo: &[(&str, f64)]) -> HeuristicConfig {
        HeuristicConfig {
            combo: combo.iter().map(|(n, w)| ((*n).to_owned(), *w)).collect(),
            ..HeuristicConfig::default()
        }
    }

    #[test]
    fn normalises_per_target_and_weights() {
        let g = graph(
            &[(1, 2), (1, 3), (1, 4)],
            &[
                (1, 2, vec![(Message, 100, 1.0, 1)]),
                (1, 3, vec![(Message, 50, 1.0, 5)]),
                (3, 1, vec![(Message, 50, 1.0, 9)]),
            ],
        );
        let h = Combo::new(&config(&[("volume", 1.0), ("persistence", 2.0)])).unwrap();
        assert_eq!(h.needs(), Needs::Events);
        assert_eq!(h.cost_class(), CostClass::Ego);
        let mut out = Vec::new();
        h.score(&g, dense(&g, 1), &mut Scratch::new(), &mut out);
        // volume [100, 100, 0] -> [1, 1, 0]; persistence [1, 9 + 5/10, 0] -> [1/9.5, 1, 0].
        assert!((out[0] - (1.0 + 2.0 / 9.5)).abs() < 1e-12, "{out:?}");
        assert!((out[1] - 3.0).abs() < 1e-12, "{out:?}");
        assert_eq!(out[2], 0.0);
    }

    #[test]
    fn all_equal_component_contributes_nothing() {
        let g = graph(&[(1, 2), (1, 3)], &[]);
        let h = Combo::new(&config(&[("volume", 1.0), ("degree", 1.0)])).unwrap();
        let mut out = Vec::new();
        h.score(&g, dense(&g, 1), &mut Scratch::new(), &mut out);
        assert_eq!(out, vec![0.0, 0.0]);
    }

    #[test]
    fn rejects_itself_and_unknown_names() {
        assert!(matches!(
            Combo::new(&config(&[("combo", 1.0)])),
            Err(HeuristicError::InvalidParameter { name: "combo", .. })
        ));
        assert!(matches!(
            Combo::new(&config(&[("nope", 1.0)])),
            Err(HeuristicError::Unknown { .. })
        ));
    }
}

//! `volume`: how much the two people interact.

use super::{for_each_tie, weighted_count};
use crate::{CostClass, Heuristic, HeuristicConfig, Needs, Scratch};
use tierank_graph::{Graph, NodeId};

/// Command-line name.
pub(crate) const NAME: &str = "volume";

/// Channel-weighted interaction volume in both directions.
///
/// # Formula
/// `volume(u, v) = Σ_c w_c · (o · count_c(u→v) + count_c(v→u))`, with `w_c` the channel
/// weights (`config.channel_weights`) and `o` the weight of the target's own outgoing events
/// (`config.outgoing_weight`). When the dataset has no events but a user-supplied tie weight,
/// the score is that weight.
///
/// # Source
/// The classic tie-strength proxy: Granovetter (1973) names "the amount of time" first among
/// the components of tie strength; Onnela et al. (2007, PNAS 104:7332) use call volume as
/// the tie weight; Gilbert & Karahalios (2009) and Jones et al. (2013) find interaction
/// frequency the strongest single predictor of self-reported closeness.
///
/// # Cost
/// Ego: `O(k_u + Σ_v log a_v)` per target (`a_v`: active ties of `v`), no allocation.
///
/// # Example
/// ```
/// use tierank_graph::Graph;
/// use tierank_heuristics::{build, HeuristicConfig, Heuristic, Scratch};
///
/// // Person 1 is friends with 2 (weight 5) and 3 (weight 0.5); no events.
/// let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3)], Some(&[5.0, 0.5])).unwrap();
/// let h = build("volume", &HeuristicConfig::default(), &g).unwrap();
/// let mut out = Vec::new();
/// h.score(&g, g.dense(1).unwrap(), &mut Scratch::new(), &mut out);
/// assert_eq!(out, vec![5.0, 0.5]);
/// ```
#[derive(Debug, Clone)]
pub struct Volume {
    config: HeuristicConfig,
}

impl Volume {
    /// Reads the channel weights and the outgoing weight from `config`.
    pub fn new(config: &HeuristicConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }
}

impl Heuristic for Volume {
    fn name(&self) -> &str {
        NAME
    }

    fn cost_class(&self) -> CostClass {
        CostClass::Ego
    }

    fn needs(&self) -> Needs {
        Needs::Weights
    }

    fn score(&self, graph: &Graph, target: NodeId, _scratch: &mut Scratch, out: &mut Vec<f64>) {
        out.clear();
        if graph.interactions().is_none()
            && let Some(w) = graph.weights()
        {
            out.extend_from_slice(&w[graph.csr().slots(target)]);
            return;
        }
        out.resize(graph.degree(target), 0.0);
        let o = self.config.outgoing_weight;
        for_each_tie(graph, target, |i, sent, received| {
            out[i] =
                o * weighted_count(&self.config, sent) + weighted_count(&self.config, received);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::fixtures::{dense, graph};
    use tierank_format::Channel::{Call, Message};

    #[test]
    fn weights_channels_and_directions() {
        let g = graph(
            &[(1, 2), (1, 3), (1, 4)],
            &[
                (1, 2, vec![(Message, 4, 1.0, 2)]),
                (2, 1, vec![(Message, 1, 1.0, 1), (Call, 2, 1.0, 1)]),
                (4, 1, vec![(Message, 3, 1.0, 1)]),
            ],
        );
        let config = HeuristicConfig {
            outgoing_weight: 2.0,
            ..HeuristicConfig::default()
        };
        let mut out = Vec::new();
        Volume::new(&config).score(&g, dense(&g, 1), &mut Scratch::new(), &mut out);
        // 2·4·1 + (1·1 + 2·3) = 15; nothing with 3; 3 received messages.
        assert_eq!(out, vec![15.0, 0.0, 3.0]);
    }

    #[test]
    fn events_take_precedence_over_nothing() {
        let (g, _) = Graph::from_person_edges(&[(1, 2)], None).unwrap();
        let mut out = vec![9.0];
        Volume::new(&HeuristicConfig::default()).score(
            &g,
            dense(&g, 1),
            &mut Scratch::new(),
            &mut out,
        );
        assert_eq!(out, vec![0.0]);
    }
}

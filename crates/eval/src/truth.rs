//! The planted ground truth, indexed by the graph's dense ids.

use tierank_format::Relation;
use tierank_format::schema::OUTSIDE_LAYERS;
use tierank_graph::{Graph, NodeId};

use crate::EvalError;

/// Planted facts about one directed tie `ego → alter`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthTie {
    /// Dunbar layer, 1 (innermost) ..= 6 (every other friend).
    pub layer: i8,
    /// Planted relation type.
    pub relation: Relation,
    /// Latent closeness in `[0, 1]`.
    pub closeness: f64,
}

/// Ground truth aligned with the graph: one optional [`TruthTie`] per CSR slot, so the truth
/// of the `i`-th friend of `ego` is found in `O(1)` while scoring, in the same order as the
/// heuristics' score vectors.
///
/// Memory: 10 bytes per directed friendship (layer, relation, closeness).
///
/// Truth rows whose ego or alter is not in the graph, or who are not friends in the graph,
/// are ignored and counted ([`TruthIndex::unmatched_rows`]); friendships without a truth row
/// have no planted layer and count as not relevant ([`TruthIndex::missing_ties`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TruthIndex {
    /// Per slot: the layer, or 0 for "no truth row".
    layer: Vec<i8>,
    relation: Vec<u8>,
    closeness: Vec<f64>,
    unmatched_rows: usize,
    duplicate_rows: usize,
    missing_ties: usize,
    /// Per node: whether the person is an evader (empty when nobody is).
    evader: Vec<bool>,
}

impl TruthIndex {
    /// Indexes the truth columns (one entry per directed tie, as in
    /// `truth_closeness.parquet`) against `graph`. A repeated `(target, alter)` keeps its first
    /// row and is counted in [`TruthIndex::duplicate_rows`].
    ///
    /// # Errors
    /// [`EvalError::TruthColumns`] when the columns differ in length, and
    /// [`EvalError::InvalidTruth`] for a layer outside `1..=6` or a closeness outside
    /// `[0, 1]`, naming the row and both persons.
    pub fn from_columns(
        graph: &Graph,
        target: &[i64],
        alter: &[i64],
        layer: &[i8],
        relation: &[Relation],
        closeness: &[f64],
    ) -> Result<Self, EvalError> {
        Self::build(graph, None, target, alter, layer, relation, closeness)
    }

    /// [`TruthIndex::from_columns`] for columns that hold only the rows of `targets` (read
    /// with `tierank_io::read_truth_where`): friendships without a row are counted among the
    /// targets' friendships only, since nobody else's rows were read.
    ///
    /// # Errors
    /// As [`TruthIndex::from_columns`].
    pub fn from_target_columns(
        graph: &Graph,
        targets: &[NodeId],
        target: &[i64],
        alter: &[i64],
        layer: &[i8],
        relation: &[Relation],
        closeness: &[f64],
    ) -> Result<Self, EvalError> {
        Self::build(
            graph,
            Some(targets),
            target,
            alter,
            layer,
            relation,
            closeness,
        )
    }

    fn build(
        graph: &Graph,
        scope: Option<&[NodeId]>,
        target: &[i64],
        alter: &[i64],
        layer: &[i8],
        relation: &[Relation],
        closeness: &[f64],
    ) -> Result<Self, EvalError> {
        let n = target.len();
        if [alter.len(), layer.len(), relation.len(), closeness.len()]
            .iter()
            .any(|&len| len != n)
        {
            return Err(EvalError::TruthColumns {
                lengths: vec![
                    target.len(),
                    alter.len(),
                    layer.len(),
                    relation.len(),
                    closeness.len(),
                ],
            });
        }
        let slots = graph.csr().num_directed_edges();
        let mut index = Self {
            layer: vec![0; slots],
            relation: vec![0; slots],
            closeness: vec![0.0; slots],
            unmatched_rows: 0,
            duplicate_rows: 0,
            missing_ties: 0,
            evader: Vec::new(),
        };
        for row in 0..n {
            let bad = |reason: String| EvalError::InvalidTruth {
                row,
                target: target[row],
                alter: alter[row],
                reason,
            };
            if !(1..=OUTSIDE_LAYERS).contains(&layer[row]) {
                return Err(bad(format!(
                    "layer {} is not in 1..={OUTSIDE_LAYERS}",
                    layer[row]
                )));
            }
            if !(0.0..=1.0).contains(&closeness[row]) {
                return Err(bad(format!(
                    "closeness {} is not in [0, 1]",
                    closeness[row]
                )));
            }
            let slot = graph
                .dense(target[row])
                .zip(graph.dense(alter[row]))
                .and_then(|(u, v)| graph.csr().slot(u, v));
            let Some(slot) = slot else {
                index.unmatched_rows += 1;
                continue;
            };
            if index.layer[slot] != 0 {
                index.duplicate_rows += 1;
                continue;
            }
            index.layer[slot] = layer[row];
            index.relation[slot] = relation[row] as u8;
            index.closeness[slot] = closeness[row];
        }
        index.missing_ties = match scope {
            None => index.layer.iter().filter(|&&l| l == 0).count(),
            Some(targets) => targets
                .iter()
                .map(|&t| {
                    graph
                        .csr()
                        .slots(t)
                        .filter(|&slot| index.layer[slot] == 0)
                        .count()
                })
                .sum(),
        };
        if index.unmatched_rows + index.duplicate_rows + index.missing_ties > 0 {
            log::warn!(
                "truth: {} rows match no friendship, {} repeat a tie, {} friendships have no row",
                index.unmatched_rows,
                index.duplicate_rows,
                index.missing_ties
            );
        }
        Ok(index)
    }

    /// Marks the people of `evaders` (person ids, as read by `tierank_io::read_truth_evaders`)
    /// as evaders, so that evaluation reports them and everyone else apart. Ids not in
    /// `graph` are ignored; an empty list marks nobody.
    #[must_use]
    pub fn with_evaders(mut self, graph: &Graph, evaders: &[i64]) -> Self {
        self.evader.clear();
        for &id in evaders {
            if let Some(node) = graph.dense(id) {
                if self.evader.is_empty() {
                    self.evader = vec![false; graph.num_nodes()];
                }
                self.evader[node.index()] = true;
            }
        }
        self
    }

    /// Whether anyone in the graph is marked an evader.
    pub fn has_evaders(&self) -> bool {
        !self.evader.is_empty()
    }

    /// Whether `node` is marked an evader.
    pub fn is_evader(&self, node: NodeId) -> bool {
        self.evader.get(node.index()).copied().unwrap_or(false)
    }

    /// Truth rows ignored because the pair is not a friendship of the graph.
    pub fn unmatched_rows(&self) -> usize {
        self.unmatched_rows
    }

    /// Truth rows ignored because they repeat an earlier `(ego, alter)`.
    pub fn duplicate_rows(&self) -> usize {
        self.duplicate_rows
    }

    /// Directed friendships with no truth row (treated as not relevant).
    pub fn missing_ties(&self) -> usize {
        self.missing_ties
    }

    /// The truth of the `position`-th friend of `ego` (in `graph.neighbors(ego)` order).
    ///
    /// # Panics
    /// When `position` is not below `ego`'s degree, or `graph` is not the indexed graph.
    #[inline]
    pub fn tie_at(&self, graph: &Graph, ego: NodeId, position: usize) -> Option<TruthTie> {
        let range = graph.csr().slots(ego);
        assert!(position < range.len(), "friend position out of range");
        self.tie_in_slot(range.start + position)
    }

    #[inline]
    fn tie_in_slot(&self, slot: usize) -> Option<TruthTie> {
        let layer = self.layer[slot];
        (layer != 0).then(|| TruthTie {
            layer,
            relation: Relation::from_index(usize::from(self.relation[slot]))
                .expect("stored from a Relation"),
            closeness: self.closeness[slot],
        })
    }

    /// The truth of the tie `ego → alter`, if they are friends and it has a row.
    pub fn tie(&self, graph: &Graph, ego: NodeId, alter: NodeId) -> Option<TruthTie> {
        graph
            .csr()
            .slot(ego, alter)
            .and_then(|s| self.tie_in_slot(s))
    }

    /// The planted layer of `ego → alter`, if known.
    pub fn layer(&self, graph: &Graph, ego: NodeId, alter: NodeId) -> Option<i8> {
        self.tie(graph, ego, alter).map(|t| t.layer)
    }

    /// The planted layers of `ego`'s friends in neighbour order, with
    /// [`OUTSIDE_LAYERS`]` + 1` for friends without a truth row.
    pub fn layers_of(&self, graph: &Graph, ego: NodeId) -> impl ExactSizeIterator<Item = i8> + '_ {
        self.layer[graph.csr().slots(ego)]
            .iter()
            .map(|&l| if l == 0 { OUTSIDE_LAYERS + 1 } else { l })
    }

    /// Number of `ego`'s friends in layers `1..=relevant_layer`.
    pub fn relevant_count(&self, graph: &Graph, ego: NodeId, relevant_layer: i8) -> usize {
        self.layer[graph.csr().slots(ego)]
            .iter()
            .filter(|&&l| l >= 1 && l <= relevant_layer)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_matching_rows_and_counts_the_rest() {
        let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3), (2, 3)], None).unwrap();
        let t = TruthIndex::from_columns(
            &g,
            &[1, 1, 1, 9, 2],
            &[2, 3, 2, 1, 1],
            &[1, 4, 2, 1, 6],
            &[
                Relation::Partner,
                Relation::Colleague,
                Relation::Family,
                Relation::Family,
                Relation::Acquaintance,
            ],
            &[0.9, 0.2, 0.5, 0.1, 0.05],
        )
        .unwrap();
        let (a, b, c) = (
            g.dense(1).unwrap(),
            g.dense(2).unwrap(),
            g.dense(3).unwrap(),
        );
        assert_eq!(t.layer(&g, a, b), Some(1), "first row wins");
        assert_eq!(t.tie(&g, a, c).unwrap().relation, Relation::Colleague);
        assert_eq!(t.layer(&g, b, a), Some(6));
        assert_eq!(t.layer(&g, b, c), None);
        assert_eq!((t.unmatched_rows(), t.duplicate_rows()), (1, 1));
        assert_eq!(t.missing_ties(), 3);
        assert_eq!(t.relevant_count(&g, a, 3), 1);
        assert_eq!(t.relevant_count(&g, a, 4), 2);
        assert_eq!(t.layers_of(&g, c).collect::<Vec<_>>(), vec![7, 7]);
        assert_eq!(t.tie_at(&g, a, 1).unwrap().layer, 4);
    }

    #[test]
    fn rejects_bad_rows() {
        let (g, _) = Graph::from_person_edges(&[(1, 2)], None).unwrap();
        let err = TruthIndex::from_columns(&g, &[1], &[2], &[0], &[Relation::Family], &[0.5])
            .unwrap_err();
        assert!(err.to_string().contains("layer 0"), "{err}");
        let err = TruthIndex::from_columns(&g, &[1], &[2], &[1], &[Relation::Family], &[1.5])
            .unwrap_err();
        assert!(err.to_string().contains("row 0"), "{err}");
        let err =
            TruthIndex::from_columns(&g, &[1], &[], &[1], &[Relation::Family], &[0.5]).unwrap_err();
        assert!(matches!(err, EvalError::TruthColumns { .. }));
    }
}

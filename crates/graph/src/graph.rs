use crate::{BuildStats, Csr, GraphError, IdMap, Interactions, NodeId};
use rayon::prelude::*;
use tierank_format::PersonId;

/// The immutable graph every kernel reads: ids, friendships, and what is known about ties.
///
/// A [`Graph`] is shared read-only between threads (`&Graph` is `Sync`); kernels take it by
/// reference together with a target and their own scratch space, so the same kernel can
/// later run on a partition of a distributed graph that offers the same accessors.
///
/// # Invariants
/// - `ids.len() == csr.num_nodes()`.
/// - `weights`, when present, has one finite non-negative entry per CSR slot, and the two
///   slots of a friendship hold the same value.
/// - `interactions`, when present, has `num_nodes` nodes and its active ties are friendships.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    ids: IdMap,
    csr: Csr,
    weights: Option<Vec<f64>>,
    interactions: Option<Interactions>,
    /// See [`Graph::instance`].
    instance: u64,
}

/// The next [`Graph::instance`]; 0 is left to `Graph::default()`, the empty graph.
static NEXT_INSTANCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Graph {
    /// Assembles a graph from parts, checking the cross-part invariants.
    ///
    /// # Errors
    /// [`GraphError::Inconsistent`] naming the violated invariant.
    pub fn try_new(
        ids: IdMap,
        csr: Csr,
        weights: Option<Vec<f64>>,
        interactions: Option<Interactions>,
    ) -> Result<Self, GraphError> {
        let bad = |m: String| Err(GraphError::Inconsistent(m));
        if ids.len() != csr.num_nodes() {
            return bad(format!(
                "{} ids but {} CSR nodes",
                ids.len(),
                csr.num_nodes()
            ));
        }
        if let Some(w) = &weights {
            if w.len() != csr.num_directed_edges() {
                return bad(format!(
                    "{} weights for {} slots",
                    w.len(),
                    csr.num_directed_edges()
                ));
            }
            if let Some(i) = w.iter().position(|x| !x.is_finite() || *x < 0.0) {
                return bad(format!("weight at slot {i} is {}", w[i]));
            }
        }
        if let Some(inter) = &interactions {
            if inter.num_nodes() > csr.num_nodes() {
                return bad("interactions have more nodes than the CSR".into());
            }
            // Both lists of a node are sorted: one linear merge walk per node, no search
            // per tie; nodes in parallel chunks, the first bad node (in order) reported.
            let n = inter.num_nodes();
            let chunk = n
                .div_ceil(4 * rayon::current_num_threads().max(1))
                .max(1024);
            let first_bad = (0..n.div_ceil(chunk))
                .into_par_iter()
                .map(|k| {
                    (k * chunk..((k + 1) * chunk).min(n)).find_map(|u| {
                        let u = NodeId(u as u32);
                        let mut friends = csr.neighbors(u).iter();
                        inter
                            .out_alters(u)
                            .iter()
                            .find(|&&v| !friends.any(|&f| f == v))
                            .map(|&v| (u, v))
                    })
                })
                .find_first(Option::is_some)
                .flatten();
            if let Some((u, v)) = first_bad {
                return bad(format!(
                    "interaction {} -> {} is not a friendship",
                    ids.person(u),
                    ids.person(v)
                ));
            }
        }
        Ok(Self {
            ids,
            csr,
            weights,
            interactions,
            instance: NEXT_INSTANCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// A number that no other graph of this process has (a clone keeps it: graphs are
    /// immutable, so a clone holds the same values). Per-thread caches of values derived
    /// from a graph (`ppr`'s weighted degrees) key on it to know when the graph changed;
    /// it never reaches an output, so it cannot affect determinism.
    #[must_use]
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// Builds a graph from undirected friendships between person ids, with optional weights
    /// (one per edge). Self-loops and repeated friendships are dropped and counted; a repeated
    /// friendship keeps the weight of its first occurrence.
    ///
    /// # Errors
    /// [`GraphError::Inconsistent`] when the weights do not match the edges or are negative
    /// or not finite.
    pub fn from_person_edges(
        edges: &[(PersonId, PersonId)],
        weights: Option<&[f64]>,
    ) -> Result<(Self, BuildStats), GraphError> {
        if let Some(w) = weights
            && w.len() != edges.len()
        {
            return Err(GraphError::Inconsistent(format!(
                "{} weights for {} edges",
                w.len(),
                edges.len()
            )));
        }
        let ids = IdMap::from_unsorted(edges.iter().flat_map(|&(a, b)| [a, b]).collect())?;
        let dense: Vec<(NodeId, NodeId)> = edges
            .iter()
            .map(|&(a, b)| (ids.dense(a).expect("mapped"), ids.dense(b).expect("mapped")))
            .collect();
        let (csr, stats) = Csr::from_edges(ids.len(), &dense)?;
        let slot_weights = weights.map(|w| {
            let mut out = vec![f64::NAN; csr.num_directed_edges()];
            for (&(u, v), &x) in dense.iter().zip(w) {
                if u == v {
                    continue;
                }
                let (a, b) = (csr.slot(u, v).expect("edge"), csr.slot(v, u).expect("edge"));
                if out[a].is_nan() {
                    out[a] = x;
                    out[b] = x;
                }
            }
            out
        });
        Ok((Self::try_new(ids, csr, slot_weights, None)?, stats))
    }

    /// Returns the same graph with interaction features attached.
    ///
    /// # Errors
    /// As [`Graph::try_new`].
    pub fn with_interactions(self, interactions: Interactions) -> Result<Self, GraphError> {
        Self::try_new(self.ids, self.csr, self.weights, Some(interactions))
    }

    /// Person ids and dense ids.
    #[inline]
    pub fn ids(&self) -> &IdMap {
        &self.ids
    }

    /// The friendship structure.
    #[inline]
    pub fn csr(&self) -> &Csr {
        &self.csr
    }

    /// Number of people.
    #[inline]
    pub fn num_nodes(&self) -> usize {
        self.csr.num_nodes()
    }

    /// Number of undirected friendships.
    #[inline]
    pub fn num_edges(&self) -> usize {
        self.csr.num_edges()
    }

    /// Sorted friends of `u`.
    #[inline]
    pub fn neighbors(&self, u: NodeId) -> &[NodeId] {
        self.csr.neighbors(u)
    }

    /// Number of friends of `u`.
    #[inline]
    pub fn degree(&self, u: NodeId) -> usize {
        self.csr.degree(u)
    }

    /// The person id of `u`.
    #[inline]
    pub fn person(&self, u: NodeId) -> PersonId {
        self.ids.person(u)
    }

    /// The dense id of a person.
    #[inline]
    pub fn dense(&self, person: PersonId) -> Option<NodeId> {
        self.ids.dense(person)
    }

    /// User-supplied tie weights, one per CSR slot, if the dataset had them.
    #[inline]
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Interaction features, if the dataset had events.
    #[inline]
    pub fn interactions(&self) -> Option<&Interactions> {
        self.interactions.as_ref()
    }

    /// Heap bytes held by the whole graph.
    pub fn heap_bytes(&self) -> usize {
        self.ids.len() * 8
            + self.csr.heap_bytes()
            + self.weights.as_ref().map_or(0, |w| w.capacity() * 8)
            + self
                .interactions
                .as_ref()
                .map_or(0, Interactions::heap_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_ids_follow_person_order() {
        let (g, _) = Graph::from_person_edges(&[(900, -5), (42, 900)], None).unwrap();
        assert_eq!(g.ids().persons(), &[-5, 42, 900]);
        let hub = g.dense(900).unwrap();
        let friends: Vec<i64> = g.neighbors(hub).iter().map(|&v| g.person(v)).collect();
        assert_eq!(friends, vec![-5, 42]);
    }

    #[test]
    fn weights_are_symmetric_and_first_wins() {
        let (g, stats) =
            Graph::from_person_edges(&[(1, 2), (2, 1), (2, 3)], Some(&[5.0, 9.0, 1.5])).unwrap();
        assert_eq!(stats.duplicates, 1);
        let w = g.weights().unwrap();
        let (a, b) = (g.dense(1).unwrap(), g.dense(2).unwrap());
        assert_eq!(w[g.csr().slot(a, b).unwrap()], 5.0);
        assert_eq!(w[g.csr().slot(b, a).unwrap()], 5.0);
    }

    #[test]
    fn rejects_negative_weight() {
        let err = Graph::from_person_edges(&[(1, 2)], Some(&[-1.0])).unwrap_err();
        assert!(err.to_string().contains("weight"), "{err}");
    }
}

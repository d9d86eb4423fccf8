use crate::GraphError;
use tierank_format::PersonId;

/// A dense internal node id, `0..graph.num_nodes()`.
///
/// Dense ids follow ascending person-id order (see [`IdMap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The id as an index into per-node arrays.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl TryFrom<usize> for NodeId {
    type Error = GraphError;
    fn try_from(value: usize) -> Result<Self, Self::Error> {
        u32::try_from(value)
            .map(NodeId)
            .map_err(|_| GraphError::TooManyNodes { count: value })
    }
}

/// The bijection between dense [`NodeId`]s and int64 person ids.
///
/// Invariant: `ids` is strictly increasing, and `NodeId(i)` is the person `ids[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdMap {
    ids: Vec<PersonId>,
}

impl IdMap {
    /// Builds the map from any list of person ids (sorted and deduplicated here).
    ///
    /// # Errors
    /// [`GraphError::TooManyNodes`] when there are more than `u32::MAX` distinct ids.
    pub fn from_unsorted(mut ids: Vec<PersonId>) -> Result<Self, GraphError> {
        ids.sort_unstable();
        ids.dedup();
        Self::check_len(ids.len())?;
        Ok(Self { ids })
    }

    /// Builds the map from ids that are already strictly increasing.
    ///
    /// # Errors
    /// [`GraphError::Inconsistent`] when they are not, [`GraphError::TooManyNodes`] when too many.
    pub fn from_sorted(ids: Vec<PersonId>) -> Result<Self, GraphError> {
        if let Some(w) = ids.windows(2).find(|w| w[0] >= w[1]) {
            return Err(if w[0] == w[1] {
                GraphError::DuplicatePerson(w[0])
            } else {
                GraphError::Inconsistent("person ids not sorted".into())
            });
        }
        Self::check_len(ids.len())?;
        Ok(Self { ids })
    }

    fn check_len(len: usize) -> Result<(), GraphError> {
        if len > u32::MAX as usize {
            return Err(GraphError::TooManyNodes { count: len });
        }
        Ok(())
    }

    /// Number of people.
    #[inline]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no people.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The dense id of a person, by binary search (`O(log n)`).
    #[inline]
    pub fn dense(&self, person: PersonId) -> Option<NodeId> {
        self.ids
            .binary_search(&person)
            .ok()
            .map(|i| NodeId(i as u32))
    }

    /// The person id of a dense id.
    ///
    /// # Panics
    /// When `node` is out of range.
    #[inline]
    pub fn person(&self, node: NodeId) -> PersonId {
        self.ids[node.index()]
    }

    /// All person ids in dense order (ascending).
    #[inline]
    pub fn persons(&self) -> &[PersonId] {
        &self.ids
    }
}

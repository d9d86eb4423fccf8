//! The immutable in-memory graph every tierank kernel reads.
//!
//! # Crate layout
//! - [`NodeId`] and [`IdMap`]: dense `u32` ids and the mapping back to int64 person ids.
//!   Dense ids are assigned in ascending person-id order, so comparing dense ids compares
//!   person ids: ties between equal scores are broken by dense id and the result is the
//!   same as breaking them by person id, whatever the input order.
//! - [`Csr`]: the symmetric friendship structure.
//! - [`Interactions`]: sparse, per-directed-tie, per-channel interaction features.
//! - [`Graph`]: the three together, plus optional user-supplied tie weights.
//! - [`interop`]: conversion to and from petgraph, the reference in tests.
//!
//! Nothing here does I/O; `tierank-io` builds a [`Graph`] from Parquet.

mod csr;
mod graph;
mod ids;
pub mod interactions;
pub mod interop;

pub use csr::{BuildStats, Csr};
pub use graph::Graph;
pub use ids::{IdMap, NodeId};
pub use interactions::{ChannelStats, Interactions, TieActivity, TieSummary, TimeWindow};

/// Errors raised when graph parts do not satisfy their invariants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A dense id was out of range.
    #[error("node {node} out of range (graph has {nodes} nodes)")]
    NodeOutOfRange {
        /// The offending id.
        node: u64,
        /// Number of nodes.
        nodes: usize,
    },
    /// More distinct people than `u32` dense ids can address.
    #[error("{count} distinct people exceed the limit of {} dense ids", u32::MAX)]
    TooManyNodes {
        /// The number of people.
        count: usize,
    },
    /// A person id appears twice in an id list that must be unique.
    #[error("person id {0} appears more than once")]
    DuplicatePerson(i64),
    /// Parts of an [`Interactions`] or [`Graph`] disagree.
    #[error("inconsistent graph parts: {0}")]
    Inconsistent(String),
}

//! tierank partitioned across processes and worker threads on timely-dataflow.
//!
//! A run is `N` OS processes × `W` worker threads each, connected by timely's own TCP
//! communication layer ([`ClusterSpec`]). Every target person is owned by exactly one of the
//! `N × W` workers ([`owner_of`]); each worker ranks only its own targets with the same pure
//! kernels as the single-process run (`tierank_heuristics::rank::rank_targets`), and the ranked
//! rows are exchanged to worker 0, which puts them back into target order and hands them to
//! the caller's writer, so the output is the single-process output row for row
//! ([`rank_partitioned_load`]).
//!
//! Failure is loud and bounded ([`failure`]): timely has no fault tolerance, and a lost peer
//! makes its network threads panic; the hook installed here turns that into an exit with
//! status 1 naming the lost process, and a watchdog bounds the time spent waiting for peers
//! that never connect. [`launch`] starts a local cluster on loopback for trying it on one
//! machine and for tests.
//!
//! [`ppr`] runs personalized PageRank by push across partitions: residual mass is sent to
//! the owner of its node, in synchronous rounds, so the scores are bit-identical at any
//! number of processes and workers and within the single-machine push's error bound. It
//! reads a worker's share through the [`ppr::PushGraph`] trait.
//!
//! The partitioned load ([`partition`]) reads only a worker's share of each file,
//! exchanges records to their owners, and ranks in waves bounded by a memory budget; see
//! docs/distributed.md for what it does not cover yet (`ppr` is not wired to it).
//! [`select`] runs `tierank select` on the same load and waves: the per-target pass of
//! `tierank_select` on each ball, the step across targets on worker 0.

pub mod bsp;
pub mod checkpoint;
pub mod cluster;
pub mod failure;
pub mod launch;
pub mod partition;
pub mod ppr;
pub mod rank;
pub mod select;

pub use cluster::{ClusterSpec, DistError, owner_of, read_hostfile};
pub use partition::{PartitionedRank, TargetSpec, rank_partitioned_load};
pub use select::{PartitionedSelect, PartitionedSelection, select_partitioned_load};

//! Reads tierank datasets (Parquet) into a [`tierank_graph::Graph`] and reads or writes the
//! small files the engine commands share.
//!
//! # Crate layout
//! - [`load_graph`]: a dataset directory into an immutable [`Graph`](tierank_graph::Graph),
//!   with a [`LoadReport`] of what was read, dropped and how long each phase took.
//! - [`open_graph`]: the one way commands get a graph from `--data`: a dataset directory
//!   (using its up-to-date snapshot when there is one) or a snapshot file written by
//!   [`write_snapshot`] (`tierank index`).
//! - [`read_person_ids`] and [`resolve_targets`]: target and opt-out lists (Parquet or CSV).
//! - [`read_truth`]: the planted ground truth, for evaluation.
//! - [`RankingsWriter`]: the streaming, atomic writer of `tierank rank`'s output.
//! - [`write_audiences`] and [`write_exposure`]: the outputs of `tierank select`.
//! - [`verify_dataset_file`]: one data file against the dataset's `manifest.json` (the
//!   loader checks every file it reads this way).
//! - [`IoError`]: every failure, naming file, column and row where there is one.
//!
//! The dataset contract (file names, columns, types) lives in `tierank_format`; this crate
//! accepts a little more than the contract where widening is lossless (Int32 ids, Float32
//! weights, timestamps in any unit), so that user exports from pandas, polars, DuckDB or
//! Spark load without casts.

mod audiences;
mod checksums;
mod columns;
pub mod compare;
mod error;
mod load;
pub mod memory;
mod rankings;
pub mod snapshot;
mod table;
mod targets;
mod truth;
pub mod window;

pub use audiences::{
    AudienceRows, ExposureRows, audiences_batches, exposure_batches, write_audiences,
    write_exposure,
};
pub use checksums::verify_dataset_file;
pub use error::IoError;
pub use load::share;
pub use load::{
    AggregationWork, DEFAULT_HALF_LIFE_MS, LoadOptions, LoadReport, PhaseSeconds, load_graph,
};
pub use rankings::{RankingRows, RankingsBatches, RankingsWriter};
pub use snapshot::{GraphSource, OpenedGraph, SNAPSHOT_FILE, open_graph, write_snapshot};
pub use targets::{IdList, UNKNOWN_TARGETS_LISTED, read_person_ids, resolve_targets};
pub use truth::{
    EVADER, Truth, check_truth_layout, read_truth, read_truth_evaders, read_truth_where,
};
pub use window::{OutsideWindow, WindowSource, WindowSpec};

/// Conversion of a loaded graph to and from petgraph, re-exported for convenience.
pub use tierank_graph::interop;

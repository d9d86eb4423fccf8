//! Evaluation of tie-strength heuristics against a planted ground truth: the library behind
//! `tierank compare`.
//!
//! # Crate layout
//! - [`sample`]: the seeded, degree-stratified choice of targets ([`stratified_sample`]).
//! - [`truth`]: [`TruthIndex`], the planted layers, relations and closeness aligned with the
//!   graph's friend lists.
//! - [`metrics`]: one small pure function per metric (precision, recall, exposure, NDCG,
//!   average precision, AUC, Kendall's tau-b, Jaccard), each documenting its formula.
//! - [`evaluate()`]: ranks the targets under every heuristic (plus the oracle), computes
//!   per-target metrics, aggregates them with bootstrap confidence intervals per stratum,
//!   and measures agreement between heuristics and their wall time.
//! - [`learned`]: gradient-boosted trees ([`gbt`], the default) or an L2-regularised
//!   logistic regression over heuristic scores, tie features and per-ego ranks
//!   ([`train_learned`]), saved as a [`LearnedModel`] and ranked as a heuristic
//!   ([`LearnedHeuristic`]); plus a monotone [`Calibrator`] from score to probability.
//!
//! Everything here is deterministic: the same inputs and seeds give identical results at any
//! thread count (work is collected in target order; the bootstrap uses a counter-based RNG),
//! except the wall times, which are measurements.
//!
//! `docs/comparing.md` explains every number for readers of the report.
//!
//! # Example
//! ```
//! use tierank_eval::{evaluate, EvalOptions, Metric, Stratum, TruthIndex, ORACLE};
//! use tierank_format::Relation;
//! use tierank_graph::Graph;
//! use tierank_heuristics::{build_all, HeuristicConfig};
//!
//! // Person 1 has three friends; 2 is the partner (layer 1), 3 and 4 are acquaintances.
//! let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3), (1, 4), (3, 4)], None).unwrap();
//! let truth = TruthIndex::from_columns(
//!     &g,
//!     &[1, 1, 1],
//!     &[2, 3, 4],
//!     &[1, 6, 6],
//!     &[Relation::Partner, Relation::Acquaintance, Relation::Acquaintance],
//!     &[0.9, 0.1, 0.2],
//! )
//! .unwrap();
//! let heuristics = build_all("degree,random", &HeuristicConfig::default(), &g).unwrap();
//! let options = EvalOptions { ks: vec![1], resamples: 100, ..EvalOptions::default() };
//! let e = evaluate(&g, &[g.dense(1).unwrap()], &heuristics, &truth, &options).unwrap();
//! // `degree` prefers friends 3 and 4 (two friends each) over the partner (one friend):
//! // its top 1 is a stranger.
//! let exposure = e.metric("degree", Some(1), Metric::Exposure, Stratum::All).unwrap();
//! assert_eq!(exposure.value, 1.0);
//! assert_eq!(e.metric(ORACLE, Some(1), Metric::Precision, Stratum::All).unwrap().value, 1.0);
//! ```

mod bootstrap;
pub mod calibration;
pub mod evaluate;
pub mod gbt;
pub mod learned;
pub mod metrics;
pub mod report;
mod rng;
pub mod sample;
pub mod truth;

pub use calibration::{
    CALIBRATION_FORMAT, CELL_BANDS, COVERAGE_BANDS, CalibrationFile, MIN_CELL_EXAMPLES, RANK_BANDS,
    RankBand,
};
pub use evaluate::{
    AgreementMeasure, AgreementRow, EvalOptions, Evaluation, Metric, MetricRow, ORACLE,
    PerTargetRow, RankedFriend, Stratum, TargetInfo, TimingRow, evaluate, evaluate_cancellable,
};
pub use gbt::{GbtModel, GbtParams};
pub use learned::{
    Calibrator, LearnedHeuristic, LearnedModel, LearnedOptions, ModelKind, TieFeatureSet,
    train_learned, train_learned_cancellable,
};
pub use sample::{DegreeBucket, Sample, split_train_test, stratified_sample};
pub use truth::{TruthIndex, TruthTie};

/// Errors raised by evaluation and by learned models.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The truth columns do not have one entry per row each.
    #[error(
        "truth columns differ in length (target, alter, layer, relation, closeness): {lengths:?}"
    )]
    TruthColumns {
        /// Lengths of the five columns.
        lengths: Vec<usize>,
    },
    /// A truth row holds an impossible value.
    #[error("truth row {row} (target {target}, alter {alter}): {reason}")]
    InvalidTruth {
        /// Zero-based row.
        row: usize,
        /// The target's person id.
        target: i64,
        /// The alter's person id.
        alter: i64,
        /// What is wrong.
        reason: String,
    },
    /// An option is out of range.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A target is not a node of the graph.
    #[error("target node {node} is out of range (graph has {nodes} nodes)")]
    TargetOutOfRange {
        /// The dense id.
        node: u32,
        /// Number of nodes.
        nodes: usize,
    },
    /// A heuristic broke its contract of one score per friend.
    #[error(
        "heuristic '{heuristic}' wrote {scores} scores for person {person}, who has {friends} friends"
    )]
    ScoreCount {
        /// The heuristic.
        heuristic: String,
        /// The target's person id.
        person: i64,
        /// Scores written.
        scores: usize,
        /// The target's degree.
        friends: usize,
    },
    /// The training targets hold no usable example (no friend, or only one class).
    #[error("cannot train: {reason}")]
    Training {
        /// Why.
        reason: String,
    },
    /// The caller set the cancel flag of [`evaluate_cancellable`].
    #[error("cancelled")]
    Cancelled,
    /// A model file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The model file.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A model file is not a valid model.
    #[error("{path}: invalid learned model: {reason}")]
    Model {
        /// The model file (empty when parsed from memory).
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A calibration file is not a valid calibration (its own variant: it is not a model,
    /// and a message about a "learned model" sent users looking at the wrong file).
    #[error("{path}: invalid calibration file: {reason}")]
    Calibration {
        /// The calibration file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be written atomically.
    #[error(transparent)]
    Format(#[from] tierank_format::FormatError),
    /// A component heuristic of a model cannot be built for this graph.
    #[error(transparent)]
    Heuristic(#[from] tierank_heuristics::HeuristicError),
}

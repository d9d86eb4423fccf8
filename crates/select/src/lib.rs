//! Audience selection: ranking says who is close to a target; selection decides who is
//! actually shown a notice about them, under a policy, respecting opt-outs, and leaving an
//! audit trail that can be checked by rerunning.
//!
//! Every wrong pick shows a stranger someone's personal information, so selection is
//! conservative by construction: people on the exclusion list are never selected under any
//! policy, a minimum amount of direct evidence can be required, and the expected number of
//! wrongly shown people is reported whenever a calibration is available.
//!
//! # Crate layout
//! - [`Policy`]: `top-k:K`, `threshold:X`, `coverage:P`, `probability:P`,
//!   `budget:B[,cap:C]`, parsed from and written to strings.
//! - [`Calibration`]: the score → probability map the evaluation crate provides.
//! - [`ExclusionSet`] and [`minimize`]: opt-outs, and strict data minimisation.
//! - [`select`]: the selection, with [`SelectOptions`], returning a [`Selection`] of
//!   [`AudienceRow`]s and an [`ExposureSummary`]. It is two steps, public for the
//!   partitioned run (`tierank-dist`): [`select_targets`], the per-target pass, which reads
//!   only the graph around each target and returns [`TargetPass`]es in person ids, and
//!   [`select_global`], the step across targets (the `budget` policy, people reached,
//!   consent and exposure figures).
//! - [`AuditRecord`] and [`verify`]: the audit file and the comparison with a rerun.
//!
//! The exact rule of every policy, the exposure formulas and the audit fields are in
//! `docs/selection.md`.
//!
//! # Example
//! ```
//! use tierank_graph::Graph;
//! use tierank_heuristics::{HeuristicConfig, build};
//! use tierank_select::{ExclusionSet, Policy, SelectOptions, select};
//!
//! // Person 1's ties to 2, 3 and 4 weigh 5, 0.5 and 2; person 4 opted out.
//! let (g, _) = Graph::from_person_edges(&[(1, 2), (1, 3), (1, 4)], Some(&[5.0, 0.5, 2.0]))?;
//! let config = HeuristicConfig::default();
//! let volume = build("volume", &config, &g)?;
//! let opts = SelectOptions {
//!     excluded: ExclusionSet::new(&g, &[4]),
//!     strict_minimization: false,
//!     min_evidence: 0,
//!     calibration: None,
//!     config: &config,
//! };
//! let policy: Policy = "top-k:2".parse()?;
//! let targets = [g.dense(1).expect("person 1 is in the graph")];
//! let selection = select(&g, &targets, volume.as_ref(), &policy, &opts)?;
//! let audience: Vec<i64> = selection.rows.iter().map(|r| r.alter).collect();
//! assert_eq!(audience, vec![2, 3]);
//! assert_eq!(selection.consent.excluded_would_have_been_selected, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod audit;
mod calibration;
mod consent;
mod policy;
mod select;

pub use audit::{
    AUDIT_VERSION, AuditCounts, AuditParameters, AuditRecord, Difference, FileDigest, verify,
    verify_files,
};
pub use calibration::{Block, Calibration, Position};
pub use consent::{ExclusionSet, minimize};
pub use policy::{POLICY_FORMS, Policy, PolicyError};
pub use select::{
    AudienceRow, ConsentSummary, EXPOSURE_CONFIDENCE, ExposureSummary, Pick, REASON_STRUCTURE,
    SelectOptions, Selection, TargetExposure, TargetPass, consent_of, select, select_cancellable,
    select_global, select_targets,
};

use tierank_format::PersonId;

/// Errors raised by selection.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The policy needs calibrated probabilities and none was given.
    #[error(
        "policy '{policy}' needs a calibrated probability per score, and no calibration is \
         available for this heuristic (run the evaluation to fit one)"
    )]
    CalibrationRequired {
        /// The policy, in canonical form.
        policy: String,
    },
    /// `min_evidence > 0` on a graph without interaction events.
    #[error(
        "--min-evidence {min_evidence} counts interaction events, but this dataset has none \
         (no events/*.parquet): nobody could ever be selected; use --min-evidence 0"
    )]
    MinEvidenceWithoutEvents {
        /// The requested minimum.
        min_evidence: u32,
    },
    /// A target's dense id is not in the graph.
    #[error("target node {node} out of range (graph has {nodes} nodes)")]
    TargetOutOfRange {
        /// The dense id.
        node: u32,
        /// Number of nodes.
        nodes: usize,
    },
    /// A target appears twice, which would send its audience every notice twice.
    #[error("target {person} appears more than once in the targets")]
    DuplicateTarget {
        /// The target's person id.
        person: PersonId,
    },
    /// The heuristic configuration is invalid.
    #[error(transparent)]
    Heuristic(#[from] tierank_heuristics::HeuristicError),
    /// The heuristic did not write one score per friend.
    #[error(
        "heuristic '{heuristic}' wrote {got} scores for the {expected} friends of target {target}"
    )]
    ScoreCount {
        /// The heuristic.
        heuristic: String,
        /// The target's person id.
        target: PersonId,
        /// Number of friends.
        expected: usize,
        /// Number of scores.
        got: usize,
    },
    /// The heuristic wrote a NaN or infinite score.
    #[error("heuristic '{heuristic}' scored friend {alter} of target {target} as {score}")]
    NonFiniteScore {
        /// The heuristic.
        heuristic: String,
        /// The target's person id.
        target: PersonId,
        /// The friend's person id.
        alter: PersonId,
        /// The score.
        score: f64,
    },
    /// The calibration returned something that is not a probability.
    #[error(
        "calibration maps score {score} (friend {alter} of target {target}) to {probability}, \
         which is not in [0, 1]"
    )]
    InvalidProbability {
        /// The target's person id.
        target: PersonId,
        /// The friend's person id.
        alter: PersonId,
        /// The score.
        score: f64,
        /// What the calibration returned.
        probability: f64,
    },
    /// The minimised graph could not be built.
    #[error("strict minimisation: {0}")]
    Graph(#[from] tierank_graph::GraphError),
    /// The caller set the cancel flag of [`select_cancellable`].
    #[error("cancelled")]
    Cancelled,
}

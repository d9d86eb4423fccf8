//! The interface through which selection reads a calibrated probability of closeness.

/// Maps a heuristic's score, and the friend's rank in the target's ranking, to the probability
/// that the friend is close to the target.
///
/// The evaluation crate fits one per heuristic against the planted truth (or a labelled
/// sample) and implements this trait; selection only reads it. The rank matters because a
/// score means different things for different targets: a map fitted over all friends is
/// pulled towards the many low-ranked ones and is biased at the top of each ranking, which is
/// exactly where selection picks (see `docs/selection.md`, "Expected collateral exposure"). Selection needs it for the
/// `probability` policy, for the expected collateral exposure, and prefers it to the
/// normalised score as the `budget` policy's measure of expected closeness.
///
/// # Contract
/// - `probability` returns a value in `[0, 1]` for every finite score (selection checks
///   and reports [`crate::SelectError::InvalidProbability`] otherwise).
/// - It need not be monotone across ranks: the `probability` policy stops at the first friend
///   of the ranking below its threshold, so it selects a prefix of the score ranking whatever
///   the map does across rank bands.
/// - It is a pure function: selection calls it from several threads.
///
/// Any `Fn(f64) -> f64 + Send + Sync` closure is a calibration that ignores the rank and
/// has no estimation error, which keeps tests and simple parametric fits short.
pub trait Calibration: Send + Sync {
    /// The calibrated probability that a friend with this score, at this position in the
    /// target's ranking, is close.
    fn probability(&self, score: f64, at: Position) -> f64;

    /// The fitted block [`Calibration::probability`] reads for this friend: an id, equal for
    /// every friend read off the same block, and the block's standard error from the finite
    /// sample it was fitted on. Selection widens the interval of the expected collateral
    /// exposure by it, counting the error as shared by every notice of a block and
    /// independent between blocks. `None` when unknown (no widening).
    fn block(&self, _score: f64, _at: Position) -> Option<Block> {
        None
    }

    /// For the `coverage` policy, which does not follow the heuristic's ranking: the
    /// calibrated probability that a friend it picks is close, and the block it is read from.
    /// `uncovered` is the share of the target's interaction weight (among the eligible
    /// friends) not covered by the friends before this one in the policy's walk by descending
    /// weight, and `at.rank` the friend's position in that walk; the policy picks a friend
    /// exactly when `uncovered > 1 − P/100`, so a map fitted on this share predicts its
    /// exposure without bias. `None` when the calibration has no such map: selection then
    /// reads [`Calibration::probability`] at the friend's rank in the heuristic's ranking,
    /// which under-predicts the strangers `coverage` picks.
    fn coverage(&self, _uncovered: f64, _at: Position) -> Option<(f64, Option<Block>)> {
        None
    }
}

/// Where a friend stands in its target's ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1 for the target's highest-scored friend, ties by ascending person id, counted among
    /// all the target's friends (the excluded ones too).
    pub rank: u32,
    /// The target's number of friends.
    pub degree: u32,
}

/// A fitted block of a calibration.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Block {
    /// Identifies the block within the calibration.
    pub id: u64,
    /// Standard error of the block's probability.
    pub standard_error: f64,
}

impl<F> Calibration for F
where
    F: Fn(f64) -> f64 + Send + Sync,
{
    fn probability(&self, score: f64, _at: Position) -> f64 {
        self(score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_are_calibrations() {
        let logistic = |s: f64| 1.0 / (1.0 + (-s).exp());
        let c: &dyn Calibration = &logistic;
        let at = Position { rank: 1, degree: 3 };
        assert_eq!(c.probability(0.0, at), 0.5);
        assert!(c.probability(3.0, at) > c.probability(1.0, at));
        assert_eq!(c.block(3.0, at), None);
    }
}

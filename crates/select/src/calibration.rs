//! The interface through which selection reads a calibrated probability of closeness.

/// Maps a heuristic's score to the probability that the friend is close to the target.
///
/// The evaluation crate fits one per heuristic against the planted truth (or a labelled
/// sample) and implements this trait; selection only reads it. Selection needs it for the
/// `probability` policy, for the expected collateral exposure, and prefers it to the
/// normalised score as the `budget` policy's measure of expected closeness.
///
/// # Contract
/// - `probability` returns a value in `[0, 1]` for every finite score (selection checks
///   and reports [`crate::SelectError::InvalidProbability`] otherwise).
/// - It is monotone non-decreasing in `score`: a higher score never means a lower
///   probability, so the `probability` policy selects a prefix of the score ranking.
/// - It is a pure function: selection calls it from several threads.
///
/// Any `Fn(f64) -> f64 + Send + Sync` closure is a calibration, which keeps tests and
/// simple parametric fits short.
pub trait Calibration: Send + Sync {
    /// The calibrated probability that a friend with this score is close.
    fn probability(&self, score: f64) -> f64;
}

impl<F> Calibration for F
where
    F: Fn(f64) -> f64 + Send + Sync,
{
    fn probability(&self, score: f64) -> f64 {
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
        assert_eq!(c.probability(0.0), 0.5);
        assert!(c.probability(3.0) > c.probability(1.0));
    }
}

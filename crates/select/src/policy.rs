//! Selection policies and their textual form (`top-k:5`, `budget:1000,cap:3`, ...).
//!
//! A policy is parsed once, from the command line, into a [`Policy`] whose parameters are
//! already range-checked, so the selection code never sees a nonsense value. `Display`
//! writes the canonical form, which parses back to an equal policy: the audit record stores
//! that form.

use std::fmt;
use std::str::FromStr;

/// The accepted forms, quoted in every parse error.
pub const POLICY_FORMS: &str =
    "top-k:K, threshold:X, coverage:P, probability:P, budget:B or budget:B,cap:C";

/// How many of a target's friends are shown a notice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Policy {
    /// `top-k:K`: the `K` friends with the highest scores (fewer when fewer are eligible).
    TopK(u32),
    /// `threshold:X`: every eligible friend whose score is at least `X` (finite).
    Threshold(f64),
    /// `coverage:P`: the fewest eligible friends, taken in descending interaction weight, that
    /// hold at least `P` percent (`0 < P ≤ 100`) of the eligible friends' total weight.
    Coverage(f64),
    /// `probability:P`: the eligible friends of the longest prefix of the ranking in which
    /// every friend's calibrated probability of being close is at least `P` (`0 < P ≤ 1`).
    /// Needs a [`crate::Calibration`].
    Probability(f64),
    /// `budget:B[,cap:C]`: at most `budget` notices across all targets, no person receiving
    /// more than `cap` (unbounded when `None`), chosen greedily by expected closeness.
    Budget {
        /// Total notices across all targets (`B ≥ 1`).
        budget: u64,
        /// Most notices one person may receive (`C ≥ 1`), or no limit.
        cap: Option<u32>,
    },
}

impl Policy {
    /// The policy's name, the part before the first `:`.
    pub fn name(&self) -> &'static str {
        match self {
            Policy::TopK(_) => "top-k",
            Policy::Threshold(_) => "threshold",
            Policy::Coverage(_) => "coverage",
            Policy::Probability(_) => "probability",
            Policy::Budget { .. } => "budget",
        }
    }

    /// Whether each target's audience is chosen independently of the other targets (every
    /// policy but `budget`), which lets selection run targets in parallel.
    pub fn is_per_target(&self) -> bool {
        !matches!(self, Policy::Budget { .. })
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{}` on f64 writes the shortest text that parses back to the same value.
        match self {
            Policy::TopK(k) => write!(f, "top-k:{k}"),
            Policy::Threshold(x) => write!(f, "threshold:{x}"),
            Policy::Coverage(p) => write!(f, "coverage:{p}"),
            Policy::Probability(p) => write!(f, "probability:{p}"),
            Policy::Budget { budget, cap: None } => write!(f, "budget:{budget}"),
            Policy::Budget {
                budget,
                cap: Some(c),
            } => write!(f, "budget:{budget},cap:{c}"),
        }
    }
}

/// Why a policy string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The name before `:` is not a policy.
    #[error("unknown policy '{name}' in '{input}' (expected one of: {POLICY_FORMS})")]
    Unknown {
        /// The whole input.
        input: String,
        /// The rejected name.
        name: String,
    },
    /// The string does not have the policy's shape.
    #[error("malformed policy '{input}': expected {expected}")]
    Malformed {
        /// The whole input.
        input: String,
        /// The expected shape.
        expected: &'static str,
    },
    /// A parameter is not a number of the right kind.
    #[error("policy '{input}': {parameter} '{value}' is not {kind}")]
    NotANumber {
        /// The whole input.
        input: String,
        /// The parameter (`K`, `X`, `P`, `B`, `C`).
        parameter: &'static str,
        /// Its text.
        value: String,
        /// What it should be (`a positive integer`, `a finite number`).
        kind: &'static str,
    },
    /// A parameter is a number outside its range (this includes NaN and infinities).
    #[error("policy '{input}': {parameter} = {value} is outside {range}")]
    OutOfRange {
        /// The whole input.
        input: String,
        /// The parameter.
        parameter: &'static str,
        /// Its text.
        value: String,
        /// The accepted range, in words.
        range: &'static str,
    },
}

impl FromStr for Policy {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = s.trim();
        let malformed = |expected| PolicyError::Malformed {
            input: input.to_owned(),
            expected,
        };
        let Some((name, rest)) = input.split_once(':') else {
            if ["top-k", "threshold", "coverage", "probability", "budget"].contains(&input) {
                return Err(malformed(expected_form(input)));
            }
            return Err(PolicyError::Unknown {
                input: input.to_owned(),
                name: input.to_owned(),
            });
        };
        let name = name.trim();
        let rest = rest.trim();
        match name {
            "top-k" => {
                let k = parse_int::<u32>(input, "K", rest)?;
                if k == 0 {
                    return Err(out_of_range(input, "K", rest, "[1, 4294967295]"));
                }
                Ok(Policy::TopK(k))
            }
            "threshold" => {
                let x = parse_float(input, "X", rest)?;
                if !x.is_finite() {
                    return Err(out_of_range(input, "X", rest, "the finite numbers"));
                }
                Ok(Policy::Threshold(x))
            }
            "coverage" => {
                let p = parse_float(input, "P", rest)?;
                // Written so that NaN fails the test.
                if !(p > 0.0 && p <= 100.0) {
                    return Err(out_of_range(input, "P", rest, "(0, 100] percent"));
                }
                Ok(Policy::Coverage(p))
            }
            "probability" => {
                let p = parse_float(input, "P", rest)?;
                if !(p > 0.0 && p <= 1.0) {
                    return Err(out_of_range(input, "P", rest, "(0, 1]"));
                }
                Ok(Policy::Probability(p))
            }
            "budget" => {
                let (b, cap) = match rest.split_once(',') {
                    None => (rest, None),
                    Some((b, c)) => {
                        let Some((key, value)) = c.split_once(':') else {
                            return Err(malformed(expected_form("budget")));
                        };
                        if key.trim() != "cap" {
                            return Err(malformed(expected_form("budget")));
                        }
                        (b.trim(), Some(value.trim()))
                    }
                };
                let budget = parse_int::<u64>(input, "B", b)?;
                if budget == 0 {
                    return Err(out_of_range(input, "B", b, "[1, 2^64 - 1] notices"));
                }
                let cap = match cap {
                    None => None,
                    Some(c) => {
                        let cap = parse_int::<u32>(input, "C", c)?;
                        if cap == 0 {
                            return Err(out_of_range(input, "C", c, "[1, 4294967295] notices"));
                        }
                        Some(cap)
                    }
                };
                Ok(Policy::Budget { budget, cap })
            }
            _ => Err(PolicyError::Unknown {
                input: input.to_owned(),
                name: name.to_owned(),
            }),
        }
    }
}

fn expected_form(name: &str) -> &'static str {
    match name {
        "top-k" => "top-k:K with K a positive integer",
        "threshold" => "threshold:X with X a finite number",
        "coverage" => "coverage:P with P a percentage in (0, 100]",
        "probability" => "probability:P with P in (0, 1]",
        _ => "budget:B or budget:B,cap:C with B and C positive integers",
    }
}

fn out_of_range(
    input: &str,
    parameter: &'static str,
    value: &str,
    range: &'static str,
) -> PolicyError {
    PolicyError::OutOfRange {
        input: input.to_owned(),
        parameter,
        value: value.to_owned(),
        range,
    }
}

fn parse_int<T: FromStr>(
    input: &str,
    parameter: &'static str,
    value: &str,
) -> Result<T, PolicyError> {
    // Refuse signs and spaces that `FromStr` would accept or mis-report.
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| value.parse::<T>().ok())
        .flatten()
        .ok_or_else(|| PolicyError::NotANumber {
            input: input.to_owned(),
            parameter,
            value: value.to_owned(),
            kind: "a non-negative integer that fits",
        })
}

fn parse_float(input: &str, parameter: &'static str, value: &str) -> Result<f64, PolicyError> {
    value.parse::<f64>().map_err(|_| PolicyError::NotANumber {
        input: input.to_owned(),
        parameter,
        value: value.to_owned(),
        kind: "a number",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> PolicyError {
        s.parse::<Policy>().unwrap_err()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!("top-k:5".parse(), Ok(Policy::TopK(5)));
        assert_eq!("threshold:-0.25".parse(), Ok(Policy::Threshold(-0.25)));
        assert_eq!("coverage:80".parse(), Ok(Policy::Coverage(80.0)));
        assert_eq!("coverage:100".parse(), Ok(Policy::Coverage(100.0)));
        assert_eq!("probability:0.9".parse(), Ok(Policy::Probability(0.9)));
        assert_eq!("probability:1".parse(), Ok(Policy::Probability(1.0)));
        assert_eq!(
            "budget:1000,cap:3".parse(),
            Ok(Policy::Budget {
                budget: 1000,
                cap: Some(3)
            })
        );
        assert_eq!(
            " budget: 7 ".parse(),
            Ok(Policy::Budget {
                budget: 7,
                cap: None
            })
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "top-k:1",
            "threshold:0.1",
            "threshold:-3",
            "threshold:12345678.901",
            "coverage:33.333333333333336",
            "probability:0.5",
            "budget:9",
            "budget:18446744073709551615,cap:4294967295",
        ] {
            let p: Policy = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
            assert_eq!(p.to_string().parse::<Policy>(), Ok(p));
        }
        let third = Policy::Threshold(1.0 / 3.0);
        assert_eq!(third.to_string().parse::<Policy>(), Ok(third));
    }

    #[test]
    fn rejects_unknown_and_malformed() {
        assert!(matches!(err("top:5"), PolicyError::Unknown { name, .. } if name == "top"));
        assert!(matches!(err("everyone"), PolicyError::Unknown { .. }));
        assert!(err("everyone").to_string().contains("top-k:K"));
        assert!(matches!(err("top-k"), PolicyError::Malformed { .. }));
        assert!(matches!(
            err("budget:5,limit:2"),
            PolicyError::Malformed { .. }
        ));
        assert!(matches!(err("budget:5,cap"), PolicyError::Malformed { .. }));
        assert!(matches!(
            err("top-k:"),
            PolicyError::NotANumber { parameter: "K", .. }
        ));
        assert!(matches!(
            err("top-k:-1"),
            PolicyError::NotANumber { parameter: "K", .. }
        ));
        assert!(matches!(err("top-k:2.5"), PolicyError::NotANumber { .. }));
        assert!(matches!(
            err("threshold:high"),
            PolicyError::NotANumber { parameter: "X", .. }
        ));
        assert!(matches!(
            err("top-k:99999999999"),
            PolicyError::NotANumber { .. }
        ));
    }

    #[test]
    fn rejects_out_of_range() {
        let range = |s: &str| match err(s) {
            PolicyError::OutOfRange { parameter, .. } => parameter,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(range("top-k:0"), "K");
        assert_eq!(range("coverage:0"), "P");
        assert_eq!(range("coverage:100.5"), "P");
        assert_eq!(range("coverage:-5"), "P");
        assert_eq!(range("coverage:NaN"), "P");
        assert_eq!(range("probability:0"), "P");
        assert_eq!(range("probability:1.01"), "P");
        assert_eq!(range("probability:nan"), "P");
        assert_eq!(range("threshold:NaN"), "X");
        assert_eq!(range("threshold:inf"), "X");
        assert_eq!(range("budget:0"), "B");
        assert_eq!(range("budget:0,cap:2"), "B");
        assert_eq!(range("budget:10,cap:0"), "C");
        assert!(err("coverage:0").to_string().contains("(0, 100]"));
    }
}

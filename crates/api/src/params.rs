//! Heuristic parameters shared by the requests that score friends (`rank`, `compare`,
//! `select`): one set of settings, parsed and validated in one place, so the same flags (and
//! the same Python arguments) mean the same configuration everywhere. Messages name the
//! CLI's flags, which the Python arguments mirror.

use std::str::FromStr;

use tierank_format::Channel;
use tierank_heuristics::{HeuristicConfig, NAMES};

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, BadInputExt, bad_input};

/// Milliseconds per day.
const DAY_MS: f64 = 86_400_000.0;

/// The flags that configure heuristics and the recency decay of the loader.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeuristicParams {
    /// Seed of the `random` baseline (and of `rank --sample`).
    pub seed: u64,
    /// Half-life of the recency decay, in days.
    pub half_life_days: Option<f64>,
    /// Weight of one event per channel, e.g. `message=1,call=3`; channels not listed keep
    /// their defaults (message=1, call=3, like=0.2, comment=0.5, transfer=2, group_message=0.1).
    pub channel_weights: Option<String>,
    /// Weight of events the target sent, relative to events it received.
    pub outgoing_weight: Option<f64>,
    /// Teleport probability of personalized PageRank, in (0, 1).
    pub ppr_alpha: Option<f64>,
    /// Push threshold of personalized PageRank, in (0, 1).
    pub ppr_epsilon: Option<f64>,
    /// Components of `combo`, e.g. `persistence=1,reciprocity=1,overlap=0.5` (replaces the
    /// default list).
    pub combo: Option<String>,
    /// The event window.
    pub window: WindowParams,
}

/// The event window: which events count, and the "now" recency is measured from. Without
/// these flags the window is the generation window recorded in the dataset's manifest, or
/// else estimated robustly from the timestamps (see docs/data-model.md); events outside it
/// are left out and counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowParams {
    /// First instant of the event window (inclusive): YYYY-MM-DD (UTC midnight) or RFC 3339
    /// (2026-01-01T08:00:00Z).
    pub window_start: Option<String>,
    /// End of the event window (exclusive), also the "now" of recency: YYYY-MM-DD or RFC 3339.
    pub window_end: Option<String>,
    /// The "now" of recency: events at or after it are left out (the same as --window-end).
    pub as_of: Option<String>,
}

impl WindowParams {
    /// The loader's window: the end flag is exclusive, the loader's end inclusive.
    ///
    /// # Errors
    /// A bad-input error naming the flag.
    pub fn spec(&self) -> Result<tierank_io::WindowSpec, ApiError> {
        let parse = |flag: &str, v: &Option<String>| -> Result<Option<i64>, ApiError> {
            v.as_deref()
                .map(|t| {
                    tierank_io::window::parse_instant(t)
                        .map_err(|e| bad_input(format!("--{flag}: {e}")))
                })
                .transpose()
        };
        let start_ms = parse("window-start", &self.window_start)?;
        let end = match (&self.window_end, &self.as_of) {
            (Some(_), _) => parse("window-end", &self.window_end)?,
            (None, _) => parse("as-of", &self.as_of)?,
        };
        let end_ms = match end {
            Some(e) => Some(
                e.checked_sub(1)
                    .ok_or_else(|| bad_input("--window-end: too early"))?,
            ),
            None => None,
        };
        if let (Some(s), Some(e)) = (start_ms, end_ms)
            && e < s
        {
            return Err(bad_input(format!(
                "--window-start {} is not before the window's end {}",
                self.window_start.as_deref().unwrap_or(""),
                self.window_end
                    .as_deref()
                    .or(self.as_of.as_deref())
                    .unwrap_or("")
            )));
        }
        Ok(tierank_io::WindowSpec { start_ms, end_ms })
    }
}

/// The window a load used, as recorded in every output (manifest, audit, Parquet metadata,
/// stats JSON), so that a result can be reproduced with the same `--window-start` and
/// `--window-end`.
pub fn window_record(report: &tierank_io::LoadReport) -> serde_json::Value {
    use tierank_io::window::format_instant;
    match report.window {
        Some(w) => {
            // The flags' end is exclusive; the window's is the last instant counted.
            let end = w.end_ms.saturating_add(1);
            serde_json::json!({
                "start": format_instant(w.start_ms),
                "end": format_instant(end),
                "start_ms": w.start_ms,
                "end_ms": end,
                "source": report.window_source.map(|s| s.as_str()),
                "events_outside": report.events_outside_window,
            })
        }
        None => serde_json::Value::Null,
    }
}

impl HeuristicParams {
    /// Builds and validates the heuristic configuration from the flags.
    ///
    /// # Errors
    /// A bad-input error naming the flag.
    pub fn config(&self) -> Result<HeuristicConfig, ApiError> {
        let mut config = HeuristicConfig {
            seed: self.seed,
            ..HeuristicConfig::default()
        };
        if let Some(list) = &self.channel_weights {
            for (name, weight) in parse_pairs("channel-weights", list)? {
                let channel = Channel::from_str(&name)
                    .map_err(|e| bad_input(format!("--channel-weights: {e}")))?;
                config.channel_weights[channel.index()] = weight;
            }
        }
        if let Some(list) = &self.combo {
            let pairs = parse_pairs("combo", list)?;
            if let Some((name, _)) = pairs
                .iter()
                .find(|(n, _)| n == "combo" || !NAMES.contains(&n.as_str()))
            {
                return Err(bad_input(format!(
                    "--combo: '{name}' is not a heuristic that can be combined (known: {})",
                    NAMES
                        .iter()
                        .filter(|n| **n != "combo")
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            config.combo = pairs;
        }
        if let Some(x) = self.outgoing_weight {
            config.outgoing_weight = x;
        }
        if let Some(a) = self.ppr_alpha {
            config.ppr_alpha = a;
        }
        if let Some(e) = self.ppr_epsilon {
            config.ppr_epsilon = e;
        }
        config.validate().bad_input()?;
        Ok(config)
    }

    /// The recency half-life in milliseconds: `--half-life-days`, or the loader's default.
    ///
    /// # Errors
    /// A bad-input error when the value is not a positive number of days.
    pub fn half_life_ms(&self) -> Result<i64, ApiError> {
        let Some(days) = self.half_life_days else {
            return Ok(tierank_io::DEFAULT_HALF_LIFE_MS);
        };
        let ms = days * DAY_MS;
        if !(ms.is_finite() && ms >= 1.0 && ms < i64::MAX as f64) {
            return Err(bad_input(format!(
                "--half-life-days: {days} is not a positive number of days"
            )));
        }
        Ok(ms.round() as i64)
    }
}

impl HeuristicParams {
    /// The same parameters with every default written out (the half-life, every channel
    /// weight, the outgoing weight, the PPR settings, the combo list), so that a recorded
    /// request still means the same run after a default changes.
    ///
    /// # Errors
    /// A bad-input error when the parameters are invalid.
    pub fn resolved(&self) -> Result<Self, ApiError> {
        let config = self.config()?;
        let half_life_ms = self.half_life_ms()?;
        let weights = Channel::ALL
            .iter()
            .map(|c| format!("{}={}", c.as_str(), config.channel_weights[c.index()]))
            .collect::<Vec<_>>()
            .join(",");
        let combo = config
            .combo
            .iter()
            .map(|(n, w)| format!("{n}={w}"))
            .collect::<Vec<_>>()
            .join(",");
        Ok(Self {
            seed: self.seed,
            half_life_days: Some(self.half_life_days.unwrap_or(half_life_ms as f64 / DAY_MS)),
            channel_weights: Some(weights),
            outgoing_weight: Some(config.outgoing_weight),
            ppr_alpha: Some(config.ppr_alpha),
            ppr_epsilon: Some(config.ppr_epsilon),
            combo: (!combo.is_empty()).then_some(combo),
            window: self.window.clone(),
        })
    }
}

/// Parses `name=number,name=number`, naming the first malformed item.
fn parse_pairs(flag: &str, list: &str) -> Result<Vec<(String, f64)>, ApiError> {
    let mut pairs = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = item.split_once('=').ok_or_else(|| {
            bad_input(format!("--{flag}: '{item}' is not of the form name=number"))
        })?;
        let value: f64 = value.trim().parse().map_err(|_| {
            bad_input(format!(
                "--{flag}: '{}' in '{item}' is not a number",
                value.trim()
            ))
        })?;
        pairs.push((name.trim().to_owned(), value));
    }
    if pairs.is_empty() {
        return Err(bad_input(format!("--{flag}: empty list")));
    }
    Ok(pairs)
}

/// The help of an option that takes heuristic names: `what`, then every name, so that
/// `--help` (and `-h`) answers "which heuristics are there?".
pub fn heuristics_help(what: &str) -> String {
    format!("{what} Heuristics: {}.", NAMES.join(", "))
}

/// Checks a comma-separated list of heuristic names against the registry (plus `extra`,
/// such as `all`), before any data is read, so that a typo costs no loading time. An
/// unknown name is reported with the nearest valid one when it looks like a typo.
///
/// # Errors
/// A bad-input error naming `--{flag}` for an unknown name or an empty list.
pub fn check_heuristic_names(
    flag: &str,
    list: &str,
    extra: &[&str],
) -> Result<Vec<String>, ApiError> {
    let names: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err(bad_input(format!("--{flag}: empty list")));
    }
    let valid: Vec<&str> = extra.iter().chain(NAMES).copied().collect();
    if let Some(bad) = names.iter().find(|n| !valid.contains(&n.as_str())) {
        let hint = nearest(bad, &valid)
            .map(|n| format!("did you mean '{n}'? "))
            .unwrap_or_default();
        return Err(bad_input(format!(
            "--{flag}: unknown heuristic '{bad}' ({hint}known: {})",
            valid.join(", ")
        )));
    }
    Ok(names)
}

/// The name of `valid` nearest to `name` by edit distance, when at most a third of `name`'s
/// characters (and at least 2) differ: close enough to be a typo.
fn nearest<'a>(name: &str, valid: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    valid
        .iter()
        .map(|v| (edit_distance(name, v), *v))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, v)| v)
}

/// Levenshtein distance over characters: `O(|a| |b|)`, for names of a few dozen characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name_of_a_typo_only() {
        assert_eq!(edit_distance("adamic_adr", "adamic_adar"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(nearest("adamic_adr", NAMES), Some("adamic_adar"));
        assert_eq!(nearest("recencey", NAMES), Some("recency"));
        assert_eq!(nearest("pagerank", NAMES), None);
        let err = check_heuristic_names("heuristics", "volume, jacard", &["all"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("'jacard' (did you mean 'jaccard'?"),
            "{err}"
        );
        assert!(check_heuristic_names("heuristics", " , ", &[]).is_err());
        assert_eq!(
            check_heuristic_names("heuristics", "all,ppr", &["all"]).unwrap(),
            vec!["all", "ppr"]
        );
    }
}

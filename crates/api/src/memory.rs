//! The memory guard: a request estimates the memory it needs before it starts (from the row
//! counts in the Parquet footers) and refuses, with the estimate, when it exceeds the limit
//! (default: the memory the machine has available now).

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, bad_input};

/// The memory limit of a request. Not part of a request's record: it decides whether a run
/// starts, never what it writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemoryLimit {
    /// `MemAvailable` from /proc/meminfo; where that cannot be read, no limit.
    #[default]
    Available,
    /// A limit in bytes (`--memory-limit`).
    Bytes(u64),
}

impl MemoryLimit {
    /// Parses `--memory-limit SIZE` (see [`parse_size`]).
    ///
    /// # Errors
    /// A bad-input error for a malformed size.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        parse_size(text)
            .map(Self::Bytes)
            .map_err(|e| bad_input(format!("--memory-limit: {e}")))
    }

    /// The limit in bytes and where it came from; `None` when there is none.
    #[must_use]
    pub fn limit(&self) -> Option<(u64, &'static str)> {
        match self {
            Self::Bytes(b) => Some((*b, "--memory-limit")),
            Self::Available => {
                available_memory().map(|b| (b, "the available memory (MemAvailable)"))
            }
        }
    }

    /// Refuses when `estimate` bytes exceed the limit. `what` names the work and `detail`
    /// the figures the estimate came from.
    ///
    /// # Errors
    /// A bad-input error with the estimate and the limit.
    pub fn check(
        &self,
        what: &str,
        estimate: u64,
        detail: &str,
        advice: &str,
    ) -> Result<(), ApiError> {
        let Some((limit, source)) = self.limit() else {
            log::debug!(
                "no memory limit known; {what} needs about {}",
                human(estimate)
            );
            return Ok(());
        };
        log::info!(
            "{what}: estimated peak memory {} ({detail}); limit {} from {source}",
            human(estimate),
            human(limit)
        );
        if estimate > limit {
            return Err(bad_input(format!(
                "{what} would need about {} of memory ({detail}), more than the limit of {} \
                 ({source}); {advice}, or raise --memory-limit if the estimate is too \
                 cautious (docs/architecture.md, \"Memory\")",
                human(estimate),
                human(limit)
            )));
        }
        Ok(())
    }
}

/// Parses `8G`, `512M`, `1.5G`, `64K`, `2T`, `1000` (bytes); suffixes are powers of 1024
/// and may be followed by `B` or `iB` (`8GiB`, `512MB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    let stripped = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (number, shift) = match stripped.chars().last() {
        Some('K') => (&stripped[..stripped.len() - 1], 10),
        Some('M') => (&stripped[..stripped.len() - 1], 20),
        Some('G') => (&stripped[..stripped.len() - 1], 30),
        Some('T') => (&stripped[..stripped.len() - 1], 40),
        _ => (stripped, 0),
    };
    let bad = || format!("'{text}' is not a size (e.g. 8G, 512M, 1000000)");
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let bytes = value * (1u64 << shift) as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// `MemAvailable` from `/proc/meminfo`, in bytes; `None` where it cannot be read (not
/// Linux, or a kernel before 3.14).
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") | None => value.checked_mul(1024),
        _ => None,
    }
}

/// Bytes as MiB or GiB with one decimal.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    }
}

/// Checks the estimated memory of loading `dir` against the limit. A dataset whose
/// footers cannot be read is left to the load, which names the problem precisely.
///
/// # Errors
/// A bad-input error when the estimate exceeds the limit.
pub fn check_load(limit: &MemoryLimit, dir: &std::path::Path) -> Result<(), ApiError> {
    let Ok(e) = tierank_io::memory::estimate_load(dir) else {
        return Ok(());
    };
    limit.check(
        &format!("loading {}", dir.display()),
        e.bytes,
        &format!(
            "{} ties, {} persons, {} events",
            e.ties, e.persons, e.events
        ),
        "use a machine with more memory or a smaller dataset",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("512mb"), Ok(512 << 20));
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert_eq!(parse_size("1000"), Ok(1000));
        for bad in ["", "G", "-1G", "0", "eight", "1e30T", "NaNG"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn meminfo_parses() {
        let text = "MemTotal:       24000000 kB\nMemFree: 1 kB\nMemAvailable:   22000000 kB\n";
        assert_eq!(parse_meminfo(text), Some(22_000_000 * 1024));
        assert_eq!(parse_meminfo("MemTotal: 1 kB\n"), None);
    }
}

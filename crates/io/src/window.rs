//! The event window: which events count, and the instant recency is measured from.
//!
//! Before this module the window was the earliest and the latest event time, so one bad
//! timestamp decided it for everybody: an event 75 years ahead moved "now" so far that every
//! other decayed sum rounded to 0, an event on 1970-01-01 stretched the per-day activity
//! bitsets of every tie to 56 years, and a pandas `NaT` (`i64::MIN`) overflowed the span.
//! Now the window is either given ([`WindowSpec`], the CLI's `--window-start`,
//! `--window-end`, `--as-of`) or taken from the data robustly (see [`default_bounds`]), and
//! events outside it are counted and left out, so no single row can change other ties'
//! scores or the memory the load needs.

use std::collections::BTreeMap;
use std::path::Path;

use tierank_format::layout::DatasetPaths;
use tierank_format::manifest::Manifest;

/// Milliseconds per day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// The largest share of the events a *default* window (from the manifest or estimated) may
/// leave out: 0.1 %. Beyond it the load fails and asks for the window flags, because a
/// default that drops more than a sliver of the data is no longer a safe guess.
pub const MAX_OUTSIDE_FRACTION: f64 = 0.001;

/// The estimated window keeps every day within this many inter-quartile ranges of the
/// quartiles of the event days (Tukey's fences, far wider than his 3).
pub const FENCE_IQRS: i64 = 6;

/// The inter-quartile range used for the fences is at least this many days, so that data
/// concentrated on a few days does not make the fences exclude their neighbours.
pub const MIN_IQR_DAYS: i64 = 7;

/// Longest supported window: offsets within it are stored as `u32` seconds (136 years).
pub const MAX_WINDOW_MS: i64 = u32::MAX as i64 * 1000;

/// The caller's choice of window; a side left `None` takes the default from the data.
///
/// Both bounds are inclusive instants in milliseconds since the Unix epoch (UTC); the end is
/// also the reference "now" of the decayed sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowSpec {
    /// First instant counted.
    pub start_ms: Option<i64>,
    /// Last instant counted, and the "now" of recency.
    pub end_ms: Option<i64>,
}

impl WindowSpec {
    /// Whether neither side is given.
    pub fn is_default(&self) -> bool {
        self.start_ms.is_none() && self.end_ms.is_none()
    }
}

/// Where the default sides of the window came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSource {
    /// Both sides were given by the caller.
    Given,
    /// The generation window recorded in `manifest.json` (`parameters.start_date` and
    /// `parameters.days`), narrowed to the events inside it.
    Manifest,
    /// Estimated from the timestamps (quartile fences), narrowed to the events inside.
    Estimated,
}

impl WindowSource {
    /// A stable lower-case name for reports: `given`, `manifest`, `estimated`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Manifest => "manifest",
            Self::Estimated => "estimated",
        }
    }
}

impl std::fmt::Display for WindowSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Events left out because they lie outside the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideWindow {
    /// How many.
    pub count: u64,
    /// The earliest offending timestamp, in ms.
    pub earliest_ms: i64,
    /// The latest offending timestamp, in ms.
    pub latest_ms: i64,
    /// The file of the first offending row (in part, row group and row order).
    pub example_path: std::path::PathBuf,
    /// Its 0-based row within that file.
    pub example_row: u64,
}

/// Event count and time range of one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayStat {
    pub count: u64,
    pub min_ms: i64,
    pub max_ms: i64,
}

/// Events per UTC day number; its size is the number of distinct days, never the span, so
/// no single row can make it large.
pub(crate) type DayHistogram = BTreeMap<i64, DayStat>;

impl DayStat {
    pub(crate) fn new(ts_ms: i64) -> Self {
        Self {
            count: 1,
            min_ms: ts_ms,
            max_ms: ts_ms,
        }
    }

    pub(crate) fn add(&mut self, ts_ms: i64) {
        self.count += 1;
        self.min_ms = self.min_ms.min(ts_ms);
        self.max_ms = self.max_ms.max(ts_ms);
    }
}

#[cfg(test)]
fn add_to_histogram(hist: &mut DayHistogram, ts_ms: i64) {
    hist.entry(ts_ms.div_euclid(DAY_MS))
        .and_modify(|s| s.add(ts_ms))
        .or_insert_with(|| DayStat::new(ts_ms));
}

pub(crate) fn merge_histograms(into: &mut DayHistogram, from: DayHistogram) {
    for (day, s) in from {
        into.entry(day)
            .and_modify(|t| {
                t.count += s.count;
                t.min_ms = t.min_ms.min(s.min_ms);
                t.max_ms = t.max_ms.max(s.max_ms);
            })
            .or_insert(s);
    }
}

/// The generation window recorded in `dir/manifest.json`, as inclusive day numbers: the
/// generator writes every event in `[start_date, start_date + days)`. `None` when there is
/// no manifest, it cannot be read (verifying it is not this module's job), or it does not
/// record `start_date` and `days`.
pub(crate) fn manifest_days(dir: &Path) -> Option<(i64, i64)> {
    let path = DatasetPaths::new(dir).manifest();
    if !path.is_file() {
        return None;
    }
    let manifest = match Manifest::read(&path) {
        Ok(m) => m,
        Err(e) => {
            log::debug!("event window: ignoring the manifest: {e}");
            return None;
        }
    };
    let start = manifest.parameters.get("start_date")?.as_str()?;
    let days = manifest.parameters.get("days")?.as_i64()?;
    let first = parse_date(start).ok()?;
    if days <= 0 {
        return None;
    }
    Some((first, first.checked_add(days - 1)?))
}

/// The default window's day range (inclusive) from the histogram: events outside it are
/// left out of a default window.
///
/// Quartiles of the event days `q1`, `q3` (nearest rank, so the result depends only on the
/// multiset of days: not on thread count, part order or row order); the fences are
/// `q1 - FENCE_IQRS · iqr` and `q3 + FENCE_IQRS · iqr` with `iqr = max(q3 - q1,
/// MIN_IQR_DAYS)`. For events spread evenly over W days the fences lie 3W beyond each end, so
/// nothing real is cut; for timestamps with an exponential tail they leave out about 0.03 %.
/// A single outlier, however far, moves a quartile by at most one event.
pub(crate) fn estimate_days(hist: &DayHistogram) -> Option<(i64, i64)> {
    let total: u64 = hist.values().map(|s| s.count).sum();
    if total == 0 {
        return None;
    }
    let nearest_rank = |p_num: u64, p_den: u64| -> i64 {
        // 1-based rank ceil(p · n), at least 1.
        let rank = (total * p_num).div_ceil(p_den).max(1);
        let mut seen = 0u64;
        for (&day, s) in hist {
            seen += s.count;
            if seen >= rank {
                return day;
            }
        }
        *hist.keys().next_back().expect("non-empty")
    };
    let q1 = i128::from(nearest_rank(1, 4));
    let q3 = i128::from(nearest_rank(3, 4));
    let iqr = (q3 - q1).max(i128::from(MIN_IQR_DAYS));
    let clamp = |d: i128| d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Some((
        clamp(q1 - i128::from(FENCE_IQRS) * iqr),
        clamp(q3 + i128::from(FENCE_IQRS) * iqr),
    ))
}

/// The earliest and latest event time on the days `lo..=hi` of the histogram.
pub(crate) fn span_within(hist: &DayHistogram, lo: i64, hi: i64) -> Option<(i64, i64)> {
    if lo > hi {
        return None;
    }
    let mut range = hist.range(lo..=hi);
    let first = range.next()?;
    let last = range.next_back().unwrap_or(first);
    Some((first.1.min_ms, last.1.max_ms))
}

/// Parses a UTC instant: `YYYY-MM-DD` (midnight) or RFC 3339 (`2026-03-31T23:59:59Z`,
/// `2026-03-31T23:59:59.250+02:00`; a space may replace the `T`), to ms since the epoch.
///
/// # Errors
/// A message saying what is wrong.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    let s = text.trim();
    let bad = || {
        format!(
            "'{text}' is not a date (YYYY-MM-DD) or an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.fff]Z)"
        )
    };
    if s.len() < 10 || !s.is_char_boundary(10) {
        return Err(bad());
    }
    let day = parse_date(&s[..10]).map_err(|_| bad())?;
    let day_ms = day.checked_mul(DAY_MS).ok_or_else(bad)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Ok(day_ms);
    }
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    if rest.len() < 8 || !rest.is_char_boundary(8) {
        return Err(bad());
    }
    let (hms, mut tail) = rest.split_at(8);
    let b = hms.as_bytes();
    if b[2] != b':' || b[5] != b':' {
        return Err(bad());
    }
    let num = |t: &str| -> Result<i64, String> {
        if t.bytes().all(|c| c.is_ascii_digit()) && !t.is_empty() {
            t.parse::<i64>().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (h, m, sec) = (num(&hms[..2])?, num(&hms[3..5])?, num(&hms[6..8])?);
    if h > 23 || m > 59 || sec > 60 {
        return Err(bad());
    }
    let mut ms = 0i64;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let f = &frac[..digits];
        // Milliseconds, truncated: finer digits cannot change which millisecond it is.
        let padded: String = f.chars().chain("000".chars()).take(3).collect();
        ms = num(&padded)?;
        tail = &frac[digits..];
    }
    let offset_ms = match tail {
        "Z" | "z" => 0,
        _ if tail.len() == 6 && (tail.starts_with('+') || tail.starts_with('-')) => {
            let (oh, om) = (num(&tail[1..3])?, num(&tail[4..6])?);
            if &tail[3..4] != ":" || oh > 23 || om > 59 {
                return Err(bad());
            }
            let sign = if tail.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3_600_000 + om * 60_000)
        }
        _ => return Err(bad()),
    };
    let time_ms = ((h * 60 + m) * 60 + sec) * 1000 + ms;
    day_ms
        .checked_add(time_ms)
        .and_then(|t| t.checked_sub(offset_ms))
        .ok_or_else(bad)
}

/// Parses `YYYY-MM-DD` to days since 1970-01-01.
fn parse_date(s: &str) -> Result<i64, ()> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(());
    }
    let digits = |r: std::ops::Range<usize>| -> Result<i64, ()> {
        let t = &s[r];
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().map_err(|_| ())
        } else {
            Err(())
        }
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&m) {
        return Err(());
    }
    let month_days = tierank_format::days_in_month(y, m);
    if d < 1 || month_days.is_none_or(|days| d > days) {
        return Err(());
    }
    Ok(days_from_civil(y, m, d))
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats ms since the epoch as RFC 3339 UTC with milliseconds
/// (`2026-03-31T23:59:59.999Z`); years beyond 9999 or before 0 are written as raw ms.
pub fn format_instant(ms: i64) -> String {
    let day = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(day);
    if !(0..=9999).contains(&y) {
        return format!("{ms} ms since 1970-01-01");
    }
    let (hh, mm, ss, fff) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{fff:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(ts: &[i64]) -> DayHistogram {
        let mut h = DayHistogram::new();
        for &t in ts {
            add_to_histogram(&mut h, t);
        }
        h
    }

    #[test]
    fn instants_parse_and_format() {
        assert_eq!(parse_instant("1970-01-01"), Ok(0));
        assert_eq!(parse_instant("2026-01-01"), Ok(20_454 * DAY_MS));
        assert_eq!(
            parse_instant("2026-01-01T00:00:01Z"),
            Ok(20_454 * DAY_MS + 1000)
        );
        assert_eq!(
            parse_instant("2026-01-01T02:00:00.5+02:00"),
            Ok(20_454 * DAY_MS + 500)
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2026-01-01T25:00:00Z",
            "yesterday",
            "2026-01-01T00:00:00",
            "2026-01-01Tx",
            "２０２６-01-01",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
        assert_eq!(
            format_instant(20_454 * DAY_MS + 1500),
            "2026-01-01T00:00:01.500Z"
        );
        assert_eq!(format_instant(-1), "1969-12-31T23:59:59.999Z");
        // Extremes format without overflow.
        assert!(format_instant(i64::MIN).contains("ms since"));
        assert!(format_instant(i64::MAX).contains("ms since"));
    }

    #[test]
    fn one_outlier_does_not_move_the_estimate() {
        let base = 20_454 * DAY_MS;
        let clean: Vec<i64> = (0..90).map(|d| base + d * DAY_MS + 3_600_000).collect();
        let (lo, hi) = estimate_days(&hist(&clean)).unwrap();
        assert!(lo <= 20_454 && hi >= 20_454 + 89);
        for outlier in [i64::MIN, 0, base + 75 * 365 * DAY_MS, i64::MAX] {
            let mut ts = clean.clone();
            ts.push(outlier);
            let h = hist(&ts);
            let (l, u) = estimate_days(&h).unwrap();
            assert!(!(l..=u).contains(&outlier.div_euclid(DAY_MS)), "{outlier}");
            assert_eq!(span_within(&h, l, u), Some((clean[0], clean[89])));
            // The histogram grows by one day, not by the span.
            assert_eq!(h.len(), 91);
        }
    }

    #[test]
    fn the_estimate_does_not_depend_on_order() {
        let ts: Vec<i64> = (0..1000).map(|i| (i * 7919 % 1000) * 3_600_000).collect();
        let mut rev = ts.clone();
        rev.reverse();
        let (mut a, b) = (hist(&ts[..500]), hist(&ts[500..]));
        merge_histograms(&mut a, b);
        assert_eq!(a, hist(&rev));
        assert_eq!(estimate_days(&a), estimate_days(&hist(&rev)));
    }
}

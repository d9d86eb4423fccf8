//! The event window: one outlier timestamp must not move it (issue 9, item 6), explicit
//! windows, and what is left out.

use std::path::Path;

use tierank_graph::Graph;
use tierank_io::{IoError, LoadOptions, LoadReport, WindowSource, WindowSpec, load_graph};

use crate::common::*;

/// 150 people in a ring with chords, 3,000 events over 60 days: enough that quartiles mean
/// something, small enough to load in milliseconds.
fn ties() -> Vec<(i64, i64)> {
    let n = 150;
    let mut ties: Vec<(i64, i64)> = (0..n).map(|i| (i, (i + 1) % n)).collect();
    ties.extend((0..n).map(|i| (i, (i + 7) % n)));
    ties
}

fn events() -> Vec<Event> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    (0..3000)
        .map(|_| {
            let src = (next() % 150) as i64;
            let dst = if next() % 2 == 0 {
                (src + 1) % 150
            } else {
                (src + 7) % 150
            };
            // next() < 2^31: scaled onto 60 days.
            let ts = T0 + ((u128::from(next()) * (60 * DAY) as u128) >> 31) as i64;
            (src, dst, "message", ts, None)
        })
        .collect()
}

fn dataset(dir: &Path, extra: &[Event]) {
    write_ties(dir, &ties(), None);
    let mut all = events();
    all.extend_from_slice(extra);
    // Two parts, so that the outlier sits in a different file from most events.
    write_events(dir, &all, 2000, 500);
}

fn load(dir: &Path, opts: &LoadOptions) -> (Graph, LoadReport) {
    load_graph(dir, opts).unwrap()
}

/// The error of a load that must fail (without printing the whole graph when it does not).
fn load_err(dir: &Path, opts: &LoadOptions) -> IoError {
    match load_graph(dir, opts) {
        Ok((_, report)) => panic!(
            "loaded: window {:?}, {} outside",
            report.window, report.events_outside_window
        ),
        Err(e) => e,
    }
}

/// The decayed sum of every directed tie (sender, alter) that is not `skip`.
fn decayed(g: &Graph, skip: (i64, i64)) -> Vec<(i64, i64, f32)> {
    let inter = g.interactions().unwrap();
    let mut out = Vec::new();
    for u in 0..g.num_nodes() as u32 {
        let u = tierank_graph::NodeId(u);
        for &v in g.neighbors(u) {
            let key = (g.person(u), g.person(v));
            if key == skip {
                continue;
            }
            if let Some(tie) = inter.tie(u, v) {
                let d: f32 = tie.channels.iter().map(|c| c.decayed).sum();
                out.push((key.0, key.1, d));
            }
        }
    }
    out
}

/// An unrelated tie: 0 -> 1 exists, and the outlier goes on 100 -> 101.
const OUTLIER_TIE: (i64, i64) = (100, 101);
const YEAR: i64 = 365 * DAY;

#[test]
fn an_event_75_years_ahead_leaves_every_other_tie_unchanged() {
    let clean = tempfile::tempdir().unwrap();
    dataset(clean.path(), &[]);
    let (reference, ref_report) = load(clean.path(), &LoadOptions::default());
    assert_eq!(ref_report.window_source, Some(WindowSource::Estimated));
    assert_eq!(ref_report.events_outside_window, 0);

    let far = T0 + 75 * YEAR;
    let dirty = tempfile::tempdir().unwrap();
    dataset(
        dirty.path(),
        &[(OUTLIER_TIE.0, OUTLIER_TIE.1, "message", far, None)],
    );
    let (g, report) = load(dirty.path(), &LoadOptions::default());
    // Before the fix the window ended 75 years ahead and every other decayed sum was 0.
    assert_eq!(report.window, ref_report.window);
    assert_eq!(decayed(&g, OUTLIER_TIE), decayed(&reference, OUTLIER_TIE));
    assert!(decayed(&g, OUTLIER_TIE).iter().any(|d| d.2 > 0.0));
    assert_eq!(report.events_outside_window, 1);
    let o = report.outside_window.unwrap();
    assert_eq!((o.earliest_ms, o.latest_ms), (far, far));
    assert!(o.example_path.ends_with("part-00001.parquet"), "{o:?}");
    assert_eq!(o.example_row, 1000);
}

#[test]
fn an_event_in_1970_does_not_widen_the_window() {
    let clean = tempfile::tempdir().unwrap();
    dataset(clean.path(), &[]);
    let (_, ref_report) = load(clean.path(), &LoadOptions::default());
    let dirty = tempfile::tempdir().unwrap();
    dataset(dirty.path(), &[(100, 101, "message", 0, None)]);
    let (g, report) = load(dirty.path(), &LoadOptions::default());
    // The per-day bitsets are sized by the window: before the fix it spanned 54 years
    // (19,700 days, 308 words per tie and channel instead of 1).
    let window = report.window.unwrap();
    assert_eq!(report.window, ref_report.window);
    assert!(window.days() <= 60, "{} days", window.days());
    assert_eq!(g.interactions().unwrap().window().days(), window.days());
    assert_eq!(report.events_outside_window, 1);
}

#[test]
fn extreme_timestamps_are_left_out_without_overflow() {
    // Before the fix `end - start` overflowed on extremes (a panic with overflow checks, as
    // in this test profile; an abort allocating 13 GB in release). i64::MIN itself is
    // pandas' NaT: see `a_nat_timestamp_is_refused_like_a_null`.
    for bad in [i64::MIN + 1, i64::MAX] {
        let dir = tempfile::tempdir().unwrap();
        dataset(dir.path(), &[(100, 101, "message", bad, None)]);
        let (_, report) = load(dir.path(), &LoadOptions::default());
        assert_eq!(report.events_outside_window, 1, "{bad}");
        assert!(report.window.unwrap().days() <= 60);
    }
}

#[test]
fn a_nat_timestamp_is_refused_like_a_null() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    write_events(
        dir.path(),
        &[
            (1, 2, "message", i64::MIN, None),
            (2, 1, "message", T0, None),
        ],
        10,
        10,
    );
    let err = load_err(dir.path(), &LoadOptions::default());
    assert!(err.is_bad_input(), "{err}");
    assert!(
        matches!(&err, IoError::BadValue { column, row: 0, reason, .. }
            if column == "ts" && reason.contains("NaT")),
        "{err}"
    );
}

#[test]
fn a_given_window_is_used_as_given_and_counts_what_it_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), &[]);
    let (start, end) = (T0 + 10 * DAY, T0 + 40 * DAY - 1);
    let opts = LoadOptions {
        window: WindowSpec {
            start_ms: Some(start),
            end_ms: Some(end),
        },
        ..LoadOptions::default()
    };
    let (g, report) = load(dir.path(), &opts);
    let w = g.interactions().unwrap().window();
    assert_eq!((w.start_ms, w.end_ms), (start, end));
    assert_eq!(report.window_source, Some(WindowSource::Given));
    let inside = events()
        .iter()
        .filter(|e| (start..=end).contains(&e.3))
        .count() as u64;
    assert_eq!(report.events_aggregated, inside);
    assert_eq!(report.events_outside_window, 3000 - inside);

    // Only the end (`--as-of`): the start is the earliest event.
    let opts = LoadOptions {
        window: WindowSpec {
            start_ms: None,
            end_ms: Some(end),
        },
        ..LoadOptions::default()
    };
    let (_, report) = load(dir.path(), &opts);
    let first = events().iter().map(|e| e.3).min().unwrap();
    assert_eq!(report.window.unwrap().start_ms, first);
    assert_eq!(report.window.unwrap().end_ms, end);
}

#[test]
fn an_empty_or_too_long_given_window_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), &[]);
    for (s, e) in [(T0, T0 - 1), (i64::MIN, i64::MAX), (0, 137 * YEAR)] {
        let opts = LoadOptions {
            window: WindowSpec {
                start_ms: Some(s),
                end_ms: Some(e),
            },
            ..LoadOptions::default()
        };
        let err = load_err(dir.path(), &opts);
        assert!(
            matches!(err, IoError::InvalidOptions { .. }) && err.is_bad_input(),
            "{err}"
        );
    }
}

fn write_manifest(dir: &Path, start_date: &str, days: i64) {
    let text = format!(
        r#"{{"format_version": 1, "tierank_version": "0.1.0", "generator": "test",
            "seed": null, "parameters": {{"start_date": "{start_date}", "days": {days}}},
            "row_counts": {{}}, "files": []}}"#
    );
    std::fs::write(dir.join("manifest.json"), text).unwrap();
}

#[test]
fn the_manifest_window_bounds_the_default() {
    // T0 is 2024-01-01; the events cover 60 days.
    let dir = tempfile::tempdir().unwrap();
    // An outlier only 200 days ahead: inside the estimate's fences, outside the manifest's.
    dataset(dir.path(), &[(100, 101, "message", T0 + 200 * DAY, None)]);
    write_manifest(dir.path(), "2024-01-01", 60);
    let (_, report) = load(dir.path(), &LoadOptions::default());
    assert_eq!(report.window_source, Some(WindowSource::Manifest));
    assert_eq!(report.events_outside_window, 1);
    assert!(report.window.unwrap().end_ms < T0 + 60 * DAY);

    // A manifest that contradicts the data (more than 0.1 % outside) is an error that
    // names the flags.
    write_manifest(dir.path(), "2024-01-01", 30);
    let err = load_err(dir.path(), &LoadOptions::default());
    assert!(matches!(err, IoError::OutsideWindow { .. }), "{err}");
    assert!(err.is_bad_input());
    let msg = err.to_string();
    assert!(
        msg.contains("--window-start") && msg.contains("part-0000"),
        "{msg}"
    );
}

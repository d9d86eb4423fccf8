//! Loading valid datasets: exact feature values, weights, topology only, determinism.

use std::path::Path;

use proptest::prelude::*;
use tierank_format::Channel;
use tierank_graph::{Graph, NodeId};
use tierank_io::{LoadOptions, load_graph};

use crate::common::*;

const HOUR: i64 = 3_600_000;

fn opts_day_half_life() -> LoadOptions {
    LoadOptions {
        half_life_ms: DAY,
        strict: false,
        ..LoadOptions::default()
    }
}

fn node(g: &Graph, person: i64) -> NodeId {
    g.dense(person).unwrap()
}

fn sample_events() -> Vec<Event> {
    vec![
        (10, 20, "message", T0 + HOUR / 2, None),
        (10, 20, "message", T0 + DAY + 2 * HOUR, None),
        (10, 20, "message", T0 + DAY + 3 * HOUR, None),
        (10, 20, "call", T0 + 8 * DAY, Some(120.0)),
        (10, 20, "call", T0 + 9 * DAY + HOUR, Some(30.5)),
        (20, 10, "like", T0 + 10 * DAY, None),
        (10, 40, "message", T0 + 2 * DAY, None),
        (10, 10, "message", T0 + 2 * DAY, None),
        (10, 999, "message", T0 + 2 * DAY, None),
    ]
}

fn sample_dataset(dir: &Path) {
    write_ties(dir, &[(10, 20), (10, 30), (20, 30)], None);
    write_persons(dir, &[10, 20, 30, 40]);
    write_events(dir, &sample_events(), 100, 100);
}

#[test]
fn every_feature_of_a_few_ties_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    sample_dataset(dir.path());
    let (g, report) = load_graph(dir.path(), &opts_day_half_life()).unwrap();

    assert_eq!(g.ids().persons(), &[10, 20, 30, 40]);
    assert_eq!(g.num_edges(), 3);
    assert_eq!(
        g.degree(node(&g, 40)),
        0,
        "isolated person from persons.parquet"
    );
    assert!(g.weights().is_none());

    let inter = g.interactions().expect("events were loaded");
    let start = T0 + HOUR / 2;
    let end = T0 + 10 * DAY;
    assert_eq!(inter.window().start_ms, start);
    assert_eq!(inter.window().end_ms, end);
    assert_eq!(inter.half_life_ms(), DAY);

    let decayed = |times: &[i64]| -> f32 {
        times
            .iter()
            .map(|&t| (-((end - t) as f64) / DAY as f64).exp2())
            .sum::<f64>() as f32
    };
    let secs = |t: i64| ((t - start) / 1000) as u32;

    let tie = inter.tie(node(&g, 10), node(&g, 20)).unwrap();
    assert_eq!(tie.summary.count, 5);
    assert_eq!(tie.summary.active_days, 4, "UTC days 0, 1, 8, 9");
    assert_eq!(
        tie.summary.active_weeks, 2,
        "days 0-1 in week 0, days 8-9 in week 1"
    );
    assert_eq!(tie.summary.channel_mask, 0b11);
    assert_eq!(tie.channels.len(), 2);

    let msg = tie.channel(Channel::Message).unwrap();
    assert_eq!({ msg.count }, 3);
    assert_eq!({ msg.value_sum }, 0.0);
    let msg_times = [T0 + HOUR / 2, T0 + DAY + 2 * HOUR, T0 + DAY + 3 * HOUR];
    let expected = decayed(&msg_times);
    assert!(
        (msg.decayed - expected).abs() <= expected * 1e-6,
        "{} vs {expected}",
        { msg.decayed }
    );
    assert_eq!({ msg.first_s }, 0);
    assert_eq!({ msg.last_s }, secs(T0 + DAY + 3 * HOUR));
    assert_eq!({ msg.active_days }, 2);

    let call = tie.channel(Channel::Call).unwrap();
    assert_eq!({ call.count }, 2);
    assert_eq!({ call.value_sum }, 150.5);
    let expected = decayed(&[T0 + 8 * DAY, T0 + 9 * DAY + HOUR]);
    assert!(({ call.decayed } - expected).abs() <= expected * 1e-6);
    assert_eq!({ call.first_s }, secs(T0 + 8 * DAY));
    assert_eq!({ call.last_s }, secs(T0 + 9 * DAY + HOUR));
    assert_eq!({ call.active_days }, 2);

    let back = inter.tie(node(&g, 20), node(&g, 10)).unwrap();
    assert_eq!(back.summary.count, 1);
    assert_eq!(back.summary.active_days, 1);
    assert_eq!(back.summary.active_weeks, 1);
    let like = back.channel(Channel::Like).unwrap();
    assert_eq!(
        { like.decayed },
        1.0,
        "the latest event has weight exactly 1"
    );
    assert_eq!(({ like.first_s }, { like.last_s }), (secs(end), secs(end)));
    assert!(inter.tie(node(&g, 10), node(&g, 30)).is_none());

    assert_eq!(report.event_files, 1);
    assert_eq!(report.event_rows, 9);
    assert_eq!(report.events_aggregated, 6);
    assert_eq!(report.events_between_non_friends, 1);
    assert_eq!(
        report.group_replies_between_non_friends, 0,
        "the one event between non-friends is a direct message"
    );
    assert_eq!(report.events_self, 1);
    assert_eq!(report.events_unknown_person, 1);
    assert!(report.has_events && !report.has_weights);
    assert_eq!((report.num_nodes, report.num_edges), (4, 3));
    assert_eq!(report.isolated_people, 1);
    assert_eq!(report.active_directed_ties, 2);
    assert_eq!(report.channel_records, 3);
    assert_eq!(report.graph_heap_bytes, g.heap_bytes());
    assert_eq!(report.bytes_per_directed_tie, g.heap_bytes() as f64 / 6.0);
    assert_eq!(report.files_read.len(), 3);
}

#[test]
fn timestamps_in_any_unit_give_the_same_graph() {
    use arrow::array::{ArrayRef, TimestampNanosecondArray, TimestampSecondArray};
    use std::sync::Arc;
    let events: Vec<Event> = vec![
        (1, 2, "message", T0, None),
        (2, 1, "call", T0 + 3 * DAY, Some(60.0)),
    ];
    let ms_dir = tempfile::tempdir().unwrap();
    write_ties(ms_dir.path(), &[(1, 2)], None);
    write_events(ms_dir.path(), &events, 10, 10);
    let (g_ms, _) = load_graph(ms_dir.path(), &LoadOptions::default()).unwrap();

    for ts in [
        Arc::new(TimestampSecondArray::from(vec![
            T0 / 1000,
            (T0 + 3 * DAY) / 1000,
        ])) as ArrayRef,
        Arc::new(
            TimestampNanosecondArray::from(vec![T0 * 1_000_000, (T0 + 3 * DAY) * 1_000_000])
                .with_timezone("Europe/Paris"),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_ties(dir.path(), &[(1, 2)], None);
        let batch = events_batch(&events);
        let cols: Vec<(&str, ArrayRef)> = batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, c)| {
                let name: &str = match f.name().as_str() {
                    "src" => "src",
                    "dst" => "dst",
                    "channel" => "channel",
                    "ts" => "ts",
                    _ => "value",
                };
                (name, if name == "ts" { ts.clone() } else { c.clone() })
            })
            .collect();
        write_columns(&dir.path().join("events/part-00000.parquet"), cols);
        let (g, _) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(g.interactions(), g_ms.interactions());
    }
}

#[test]
fn weights_load_symmetric_without_events() {
    let dir = tempfile::tempdir().unwrap();
    // The repeated friendship (2, 1) keeps the weight of its first row.
    write_ties(
        dir.path(),
        &[(1, 2), (2, 3), (2, 1)],
        Some(&[5.0, 0.25, 9.0]),
    );
    let (g, report) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert!(report.has_weights && !report.has_events);
    assert_eq!(report.duplicate_ties, 1);
    assert!(g.interactions().is_none());
    let w = g.weights().unwrap();
    let (a, b, c) = (node(&g, 1), node(&g, 2), node(&g, 3));
    let slot = |u, v| g.csr().slot(u, v).unwrap();
    assert_eq!(w[slot(a, b)], 5.0);
    assert_eq!(w[slot(b, a)], 5.0);
    assert_eq!(w[slot(b, c)], 0.25);
    assert_eq!(w[slot(c, b)], 0.25);
}

#[test]
fn integer_and_float32_weights_are_widened() {
    use arrow::array::{ArrayRef, Float32Array, Int32Array, Int64Array};
    use std::sync::Arc;
    for weight in [
        Arc::new(Int64Array::from(vec![3, 4])) as ArrayRef,
        Arc::new(Int32Array::from(vec![3, 4])),
        Arc::new(Float32Array::from(vec![3.0, 4.0])),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_columns(
            &dir.path().join("ties.parquet"),
            vec![
                ("src", Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef),
                ("dst", Arc::new(Int64Array::from(vec![2, 3]))),
                ("weight", weight),
            ],
        );
        let (g, _) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
        let mut w = g.weights().unwrap().to_vec();
        w.sort_by(f64::total_cmp);
        assert_eq!(w, vec![3.0, 3.0, 4.0, 4.0]);
    }
}

#[test]
fn weights_and_events_load_together() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], Some(&[2.0]));
    write_events(dir.path(), &[(1, 2, "message", T0, None)], 10, 10);
    let (g, report) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert!(report.has_weights && report.has_events);
    assert_eq!(g.weights().unwrap(), &[2.0, 2.0]);
    assert_eq!(g.interactions().unwrap().num_active_ties(), 1);
}

#[test]
fn without_events_or_weights_loads_topology_only() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2), (2, 3)], None);
    let (g, report) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert!(!report.has_events && !report.has_weights);
    assert!(g.interactions().is_none() && g.weights().is_none());
    assert_eq!(g.num_edges(), 2);

    // An events directory holding no parts (only a hidden temporary) is the same.
    std::fs::create_dir_all(dir.path().join("events")).unwrap();
    std::fs::write(dir.path().join("events/.part-00000.parquet.tmp-x"), b"junk").unwrap();
    let (g, report) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert!(!report.has_events);
    assert_eq!(report.event_files, 0);
    assert!(g.interactions().is_none());
}

#[test]
fn self_loops_and_duplicates_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2), (2, 1), (3, 3), (1, 2), (2, 3)], None);
    let (g, report) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(report.tie_rows, 5);
    assert_eq!(report.self_loops, 1);
    assert_eq!(report.duplicate_ties, 2);
    assert_eq!(g.num_edges(), 2);
}

fn assert_same_graph(a: &Graph, b: &Graph) {
    assert_eq!(a.ids(), b.ids());
    assert_eq!(a.csr(), b.csr());
    assert_eq!(a.weights(), b.weights());
    assert_eq!(a.interactions(), b.interactions());
}

/// Deterministic pseudo-random events (a fixed LCG, so the test data never changes).
fn many_events(n: usize) -> Vec<Event> {
    const CHANNELS: [&str; 6] = [
        "message",
        "call",
        "like",
        "comment",
        "transfer",
        "group_message",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    (0..n)
        .map(|_| {
            let src = (next() % 8) as i64;
            let dst = (next() % 8) as i64;
            let ch = CHANNELS[(next() % 6) as usize];
            let ts = T0 + (next() % (40 * DAY as u64)) as i64;
            let value = (next() % 3 == 0).then(|| (next() % 100_000) as f64 / 7.0);
            (src, dst, ch, ts, value)
        })
        .collect()
}

fn ring_ties() -> Vec<(i64, i64)> {
    let mut ties: Vec<(i64, i64)> = (0..8).map(|i| (i, (i + 1) % 8)).collect();
    ties.extend([(0, 4), (1, 5), (2, 6), (0, 3)]);
    ties
}

#[test]
fn same_graph_whatever_the_parts_row_groups_and_threads() {
    let events = many_events(3000);
    let one = tempfile::tempdir().unwrap();
    write_ties(one.path(), &ring_ties(), None);
    write_events(one.path(), &events, events.len(), events.len());
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let (reference, report) = pool(1)
        .install(|| load_graph(one.path(), &LoadOptions::default()))
        .unwrap();
    assert!(report.active_directed_ties > 10);

    let mut shuffled = events.clone();
    shuffled.reverse();
    shuffled.rotate_left(1234);
    let split = tempfile::tempdir().unwrap();
    write_ties(split.path(), &ring_ties(), None);
    write_events(split.path(), &shuffled, 700, 97);
    for threads in [1, 2, 3] {
        let (g, r) = pool(threads)
            .install(|| load_graph(split.path(), &LoadOptions::default()))
            .unwrap();
        assert_same_graph(&reference, &g);
        assert_eq!(r.event_files, 5);
        assert_eq!(r.events_aggregated, report.events_aggregated);
        assert_eq!(
            r.events_between_non_friends,
            report.events_between_non_friends
        );
    }
    assert_eq!(report.aggregation.sender_ranges, 1);
    assert_eq!(report.aggregation.spilled_bytes, 0);
    // Several sender ranges: a decoded-events budget far below these 3,000 events' 72 KB
    // (the later ranges' events are spilled to temporary files; the graph must not change).
    // Other tests running meanwhile may see the small budget too, which must not change
    // theirs either.
    use std::sync::atomic::Ordering;
    use tierank_io::memory::DECODED_EVENTS_BUDGET_OVERRIDE;
    DECODED_EVENTS_BUDGET_OVERRIDE.store(10_000, Ordering::Relaxed);
    let passes = pool(2).install(|| load_graph(split.path(), &LoadOptions::default()));
    DECODED_EVENTS_BUDGET_OVERRIDE.store(0, Ordering::Relaxed);
    let (g, r) = passes.unwrap();
    assert_same_graph(&reference, &g);
    assert_eq!(r.event_rows, report.event_rows);
    // Each row decoded once, however many ranges (each range used to decode every row
    // again: decoding was 85 % of the load of `large`, in five ranges).
    assert!(r.aggregation.sender_ranges > 1, "{:?}", r.aggregation);
    assert_eq!(r.aggregation.event_rows_decoded, r.event_rows);
    assert!(r.aggregation.spilled_bytes > 0, "{:?}", r.aggregation);
    assert_eq!(r.events_aggregated, report.events_aggregated);
    assert_eq!(
        r.events_between_non_friends,
        report.events_between_non_friends
    );
}

/// Naive aggregation: (src, dst, channel) -> (count, active UTC days).
fn naive(
    events: &[Event],
    ties: &[(i64, i64)],
) -> std::collections::BTreeMap<(i64, i64, u8), (u32, usize)> {
    use std::collections::{BTreeMap, BTreeSet};
    let friends: BTreeSet<(i64, i64)> = ties.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
    let mut out: BTreeMap<(i64, i64, u8), (u32, BTreeSet<i64>)> = BTreeMap::new();
    for &(s, d, ch, ts, _) in events {
        if s != d && friends.contains(&(s, d)) {
            let c = ch.parse::<Channel>().unwrap().index() as u8;
            let e = out.entry((s, d, c)).or_default();
            e.0 += 1;
            e.1.insert(ts.div_euclid(DAY));
        }
    }
    out.into_iter()
        .map(|(k, (n, days))| (k, (n, days.len())))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn counts_match_a_naive_aggregation(
        raw in prop::collection::vec((0i64..6, 0i64..6, 0usize..6, 0i64..(20 * DAY), any::<bool>()), 1..60),
        parts in 1usize..4,
    ) {
        const CHANNELS: [&str; 6] = ["message", "call", "like", "comment", "transfer", "group_message"];
        let events: Vec<Event> = raw
            .iter()
            .map(|&(s, d, c, t, v)| (s, d, CHANNELS[c], T0 + t, v.then_some(1.5)))
            .collect();
        let ties = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 5), (0, 3)];
        let dir = tempfile::tempdir().unwrap();
        write_ties(dir.path(), &ties, None);
        write_events(dir.path(), &events, events.len().div_ceil(parts), 7);
        let (g, _) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
        let mut got = std::collections::BTreeMap::new();
        if let Some(inter) = g.interactions() {
            for u in 0..g.num_nodes() {
                let u = NodeId(u as u32);
                for tie in inter.out_ties(u) {
                    let mut sum = 0;
                    for c in tie.channels {
                        sum += c.count;
                        got.insert((g.person(u), g.person(tie.alter), c.channel), (c.count, c.active_days as usize));
                        prop_assert_eq!({ c.value_sum }, 1.5 * ({ c.value_sum } / 1.5).round());
                    }
                    prop_assert_eq!(sum, tie.summary.count);
                }
            }
        }
        prop_assert_eq!(got, naive(&events, &ties));
    }
}

//! Graph snapshots: the graph and load report opened from a snapshot equal those of a fresh
//! load (property test over random small datasets, at 1 and 2 threads); an up-to-date
//! snapshot is used automatically, a stale one ignored, a corrupt, truncated or other-version
//! one refused. About 1 s.

use std::path::Path;

use proptest::prelude::*;
use tierank_graph::Graph;
use tierank_io::snapshot::SNAPSHOT_VERSION;
use tierank_io::{
    GraphSource, IoError, LoadOptions, LoadReport, SNAPSHOT_FILE, load_graph, open_graph,
    write_snapshot,
};

use crate::common::*;

const CHANNELS: [&str; 6] = [
    "message",
    "call",
    "like",
    "comment",
    "transfer",
    "group_message",
];

fn assert_same_graph(a: &Graph, b: &Graph) {
    assert_eq!(a.ids(), b.ids());
    assert_eq!(a.csr(), b.csr());
    assert_eq!(a.weights(), b.weights());
    assert_eq!(a.interactions(), b.interactions());
}

/// The report without its timings and how the aggregation ran (a snapshot records neither).
fn untimed(r: &LoadReport) -> LoadReport {
    LoadReport {
        seconds: Default::default(),
        aggregation: Default::default(),
        ..r.clone()
    }
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

fn dataset(dir: &Path) {
    let events: Vec<Event> = (0..400)
        .map(|i: i64| {
            (
                i % 5,
                (i * 7 + 1) % 6,
                CHANNELS[(i % 6) as usize],
                T0 + i * 3_600_000,
                (i % 3 == 0).then_some(i as f64 / 4.0),
            )
        })
        .collect();
    write_ties(dir, &[(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 5)], None);
    write_persons(dir, &[0, 1, 2, 3, 4, 5, 6]);
    write_events(dir, &events, 150, 40);
}

#[test]
fn an_up_to_date_snapshot_is_used_and_a_stale_one_ignored() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let opts = LoadOptions::default();
    let (fresh, fresh_report) = load_graph(dir.path(), &opts).unwrap();
    write_snapshot(dir.path(), &opts, None).unwrap();
    let opened = open_graph(dir.path(), &opts, true).unwrap();
    assert_eq!(
        opened.source,
        GraphSource::Snapshot(dir.path().join(SNAPSHOT_FILE))
    );
    assert_same_graph(&fresh, &opened.graph);
    assert_eq!(untimed(&fresh_report), untimed(&opened.report));
    // --no-snapshot.
    let loaded = open_graph(dir.path(), &opts, false).unwrap();
    assert_eq!(loaded.source, GraphSource::Dataset);
    // Other options: the snapshot does not serve them.
    let other = LoadOptions {
        half_life_ms: 3_600_000,
        ..opts
    };
    assert_eq!(
        open_graph(dir.path(), &other, true).unwrap().source,
        GraphSource::Dataset
    );
    // Given explicitly with other options: refused.
    let file = dir.path().join(SNAPSHOT_FILE);
    assert!(matches!(
        open_graph(&file, &other, true),
        Err(IoError::Snapshot { .. })
    ));
    // A new event part makes it stale.
    write_events(
        &dir.path().join("extra"),
        &[(0, 1, "call", T0, Some(2.0))],
        1,
        1,
    );
    std::fs::rename(
        dir.path().join("extra/events/part-00000.parquet"),
        dir.path().join("events/part-09999.parquet"),
    )
    .unwrap();
    let after = open_graph(dir.path(), &opts, true).unwrap();
    assert_eq!(after.source, GraphSource::Dataset);
    assert_ne!(after.report.event_rows, fresh_report.event_rows);
}

#[test]
fn corrupt_truncated_and_other_version_snapshots_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let opts = LoadOptions::default();
    let summary = write_snapshot(dir.path(), &opts, Some(&dir.path().join("g.snap"))).unwrap();
    let good = std::fs::read(&summary.path).unwrap();
    assert_eq!(good.len() as u64, summary.bytes);
    let refused = |bytes: &[u8], why: &str| {
        let path = dir.path().join("bad.snap");
        std::fs::write(&path, bytes).unwrap();
        match open_graph(&path, &opts, true) {
            Err(e @ IoError::Snapshot { .. }) => {
                assert!(e.is_bad_input(), "{why}: exit 2");
                e.to_string()
            }
            other => panic!("{why}: {other:?}"),
        }
    };
    // Every byte of the payload (and of the metadata) is covered by the checksum.
    for at in [200, good.len() / 2, good.len() - 1] {
        let mut bytes = good.clone();
        bytes[at] ^= 0x10;
        let msg = refused(&bytes, &format!("byte {at} flipped"));
        assert!(msg.contains("corrupt"), "{msg}");
    }
    let msg = refused(&good[..good.len() - 8], "truncated");
    assert!(msg.contains("truncated"), "{msg}");
    assert!(refused(&good[..10], "header only").contains("truncated"));
    let mut other = good.clone();
    other[8..12].copy_from_slice(&(SNAPSHOT_VERSION + 1).to_le_bytes());
    assert!(refused(&other, "version").contains("version"));
    assert!(
        refused(
            b"PAR1 not a snapshot at all, but long enough to hold a header.....",
            "magic"
        )
        .contains("magic")
    );
    // The good one opens, from any directory.
    let opened = open_graph(&summary.path, &opts, true).unwrap();
    assert_eq!(opened.dataset_dir, dir.path());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn a_snapshot_opens_to_the_loaded_graph_at_any_thread_count(
        raw in prop::collection::vec((0i64..7, 0i64..7, 0usize..6, 0i64..(30 * DAY), any::<bool>()), 1..80),
        weights in any::<bool>(),
        parts in 1usize..4,
    ) {
        let events: Vec<Event> = raw
            .iter()
            .map(|&(s, d, c, t, v)| (s, d, CHANNELS[c], T0 + t, v.then_some(t as f64 / 1e6)))
            .collect();
        let ties = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 5), (0, 3), (5, 6)];
        let w: Vec<f64> = (0..ties.len()).map(|i| i as f64 * 0.5).collect();
        let dir = tempfile::tempdir().unwrap();
        write_ties(dir.path(), &ties, weights.then_some(w.as_slice()));
        write_events(dir.path(), &events, events.len().div_ceil(parts), 5);
        let opts = LoadOptions::default();
        let (reference, report) = pool(1).install(|| load_graph(dir.path(), &opts)).unwrap();
        pool(2).install(|| write_snapshot(dir.path(), &opts, None)).unwrap();
        for threads in [1, 2] {
            let opened = pool(threads).install(|| open_graph(dir.path(), &opts, true)).unwrap();
            prop_assert!(matches!(opened.source, GraphSource::Snapshot(_)));
            assert_same_graph(&reference, &opened.graph);
            prop_assert_eq!(untimed(&report), untimed(&opened.report));
        }
    }
}

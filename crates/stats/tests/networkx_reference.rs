//! The statistics on Zachary's karate club against values computed with networkx 3.6.1 by
//! `tests/reference/networkx_reference.py` (re-run it to regenerate the numbers).

use tierank_graph::Graph;
use tierank_stats::structure::{WeightSource, clustering_and_overlap, spearman};
use tierank_stats::{StatsOptions, degree, report_from_graph};

/// `(u, v, weight)` of networkx's `karate_club_graph()`.
const KARATE: [(i64, i64, f64); 78] = [
    (0, 1, 4.),
    (0, 2, 5.),
    (0, 3, 3.),
    (0, 4, 3.),
    (0, 5, 3.),
    (0, 6, 3.),
    (0, 7, 2.),
    (0, 8, 2.),
    (0, 10, 2.),
    (0, 11, 3.),
    (0, 12, 1.),
    (0, 13, 3.),
    (0, 17, 2.),
    (0, 19, 2.),
    (0, 21, 2.),
    (0, 31, 2.),
    (1, 2, 6.),
    (1, 3, 3.),
    (1, 7, 4.),
    (1, 13, 5.),
    (1, 17, 1.),
    (1, 19, 2.),
    (1, 21, 2.),
    (1, 30, 2.),
    (2, 3, 3.),
    (2, 7, 4.),
    (2, 8, 5.),
    (2, 9, 1.),
    (2, 13, 3.),
    (2, 27, 2.),
    (2, 28, 2.),
    (2, 32, 2.),
    (3, 7, 3.),
    (3, 12, 3.),
    (3, 13, 3.),
    (4, 6, 2.),
    (4, 10, 3.),
    (5, 6, 5.),
    (5, 10, 3.),
    (5, 16, 3.),
    (6, 16, 3.),
    (8, 30, 3.),
    (8, 32, 3.),
    (8, 33, 4.),
    (9, 33, 2.),
    (13, 33, 3.),
    (14, 32, 3.),
    (14, 33, 2.),
    (15, 32, 3.),
    (15, 33, 4.),
    (18, 32, 1.),
    (18, 33, 2.),
    (19, 33, 1.),
    (20, 32, 3.),
    (20, 33, 1.),
    (22, 32, 2.),
    (22, 33, 3.),
    (23, 25, 5.),
    (23, 27, 4.),
    (23, 29, 3.),
    (23, 32, 5.),
    (23, 33, 4.),
    (24, 25, 2.),
    (24, 27, 3.),
    (24, 31, 2.),
    (25, 31, 7.),
    (26, 29, 4.),
    (26, 33, 2.),
    (27, 33, 4.),
    (28, 31, 2.),
    (28, 33, 2.),
    (29, 32, 4.),
    (29, 33, 2.),
    (30, 32, 3.),
    (30, 33, 3.),
    (31, 32, 4.),
    (31, 33, 4.),
    (32, 33, 5.),
];

fn karate() -> Graph {
    let edges: Vec<(i64, i64)> = KARATE.iter().map(|e| (e.0, e.1)).collect();
    let weights: Vec<f64> = KARATE.iter().map(|e| e.2).collect();
    Graph::from_person_edges(&edges, Some(&weights)).unwrap().0
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn degree_summary_matches_python() {
    let s = degree::degree_stats(karate().csr());
    assert_eq!(s.median, 3.0);
    close(s.mean, 4.588235294117647);
    assert_eq!(s.max, 17);
    assert_eq!(s.min, 1);
}

#[test]
fn assortativity_matches_networkx() {
    close(
        degree::degree_assortativity(karate().csr()).unwrap(),
        -0.47561309768461435,
    );
}

#[test]
fn clustering_matches_networkx() {
    let (c, _) = clustering_and_overlap(&karate(), 1000, 0);
    assert!(!c.sampled);
    assert_eq!(c.nodes_measured, 34);
    close(c.average, 0.5706384782076823);
    assert_eq!(c.buckets[0].label(), "1-9");
    assert_eq!(c.buckets[0].nodes, 30);
    close(c.buckets[0].mean.unwrap(), 0.6233333333333333);
    assert_eq!(c.buckets[1].nodes, 4);
    close(c.buckets[1].mean.unwrap(), 0.17542706476530007);
    assert!(
        c.buckets[2..]
            .iter()
            .all(|b| b.nodes == 0 && b.mean.is_none())
    );
    // Combined buckets 1-49 weight each bucket by its node count: the overall mean.
    close(c.mean_between(1, Some(49)).unwrap(), 0.5706384782076823);
    assert_eq!(c.mean_between(50, Some(199)), None);
}

#[test]
fn overlap_matches_python_and_every_tie_counts_once() {
    let (_, overlap) = clustering_and_overlap(&karate(), 1000, 0);
    let o = overlap.unwrap();
    assert_eq!(o.weight_source, WeightSource::UserWeight);
    assert!(!o.sampled);
    assert_eq!(o.ties_measured, 78);
    assert_eq!(o.ties_undefined, 0);
    close(o.mean_overlap.unwrap(), 0.17708857663906485);
    assert_eq!(o.zero_weight_ties, 0);
    assert_eq!(o.deciles.len(), 10);
    assert_eq!(o.deciles.iter().map(|d| d.ties).sum::<u64>(), 78);
    // Deciles are contiguous in weight.
    for w in o.deciles.windows(2) {
        assert!(w[0].max_weight <= w[1].min_weight);
    }
    assert_eq!(o.deciles[0].min_weight, 1.0);
    assert_eq!(o.deciles[9].max_weight, 7.0);
}

#[test]
fn sampled_clustering_is_deterministic_and_flagged() {
    let g = karate();
    let (a, oa) = clustering_and_overlap(&g, 10, 3);
    let (b, ob) = clustering_and_overlap(&g, 10, 3);
    assert!(a.sampled);
    assert_eq!(a.nodes_measured, 10);
    assert_eq!(a, b);
    assert_eq!(oa, ob);
    // Sampled egos measure fewer ties, each once.
    assert!(oa.unwrap().ties_measured < 78);
}

#[test]
fn weights_only_report_has_no_event_sections() {
    let r = report_from_graph(&karate(), &StatsOptions::default());
    assert_eq!(r.counts.people, 34);
    assert_eq!(r.counts.ties, 78);
    assert!(r.reciprocity.is_none() && r.channels.is_none() && r.burstiness.is_none());
    assert!(r.overlap.is_some());
    let names: Vec<String> = r
        .check_realism(&Default::default())
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.iter().any(|n| n == "overlap.spearman_decile"));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("burstiness") || n.starts_with("layers"))
    );
}

#[test]
fn spearman_by_hand() {
    close(spearman(&[1.0, 2.0, 3.0], &[0.1, 0.5, 0.2]).unwrap(), 0.5);
    close(
        spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]).unwrap(),
        -1.0,
    );
    // Ties share their mean rank: ranks (1, 2.5, 2.5) against (1, 2, 3).
    close(
        spearman(&[1.0, 2.0, 3.0], &[0.0, 1.0, 1.0]).unwrap(),
        1.5 / (1.5f64 * 2.0).sqrt(),
    );
    assert_eq!(spearman(&[1.0, 2.0], &[3.0, 3.0]), None);
}

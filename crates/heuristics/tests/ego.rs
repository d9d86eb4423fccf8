//! Registry and behaviour tests of the ego heuristics on small hand-built graphs.

use tierank_format::Channel;
use tierank_graph::interactions::interactions_from_ties;
use tierank_graph::{ChannelStats, Graph, NodeId, TieSummary, TimeWindow};
use tierank_heuristics::rank::top_k;
use tierank_heuristics::{
    CostClass, HeuristicConfig, HeuristicError, Needs, Scratch, build, build_all,
};

const EGO: &[&str] = &[
    "volume",
    "recency",
    "reciprocity",
    "persistence",
    "multiplexity",
    "random",
    "degree",
];

/// Target 1 and: a close friend 2 (balanced, daily), a broadcaster 3 (heavy one-way traffic
/// in a burst), a group-chat member 4 (many low-weight group messages both ways), a silent
/// friend 5. Every non-target person has a few extra friends so degrees differ.
fn scenario() -> Graph {
    let edges = [
        (1, 2),
        (1, 3),
        (1, 4),
        (1, 5),
        (3, 6),
        (3, 7),
        (3, 8),
        (4, 6),
    ];
    let (g, _) = Graph::from_person_edges(&edges, None).unwrap();
    let d = |p| g.dense(p).unwrap();
    let tie = |u, v, recs: &[(Channel, u32, f32, u16)]| {
        let days = recs.iter().map(|r| r.3).max().unwrap();
        (
            d(u),
            d(v),
            TieSummary {
                active_days: days,
                active_weeks: days.div_ceil(7),
                ..TieSummary::default()
            },
            recs.iter()
                .map(|&(c, count, decayed, active_days)| ChannelStats {
                    count,
                    decayed,
                    active_days,
                    channel: c.index() as u8,
                    ..ChannelStats::default()
                })
                .collect::<Vec<_>>(),
        )
    };
    let ties = vec![
        tie(
            1,
            2,
            &[(Channel::Message, 40, 10.0, 35), (Channel::Call, 5, 1.0, 5)],
        ),
        tie(2, 1, &[(Channel::Message, 45, 12.0, 38)]),
        tie(3, 1, &[(Channel::Message, 400, 1.0, 3)]),
        tie(4, 1, &[(Channel::GroupMessage, 300, 30.0, 20)]),
        tie(1, 4, &[(Channel::GroupMessage, 250, 25.0, 18)]),
    ];
    let window = TimeWindow {
        start_ms: 0,
        end_ms: 60 * 86_400_000,
    };
    let inter = interactions_from_ties(g.num_nodes(), window, 86_400_000 * 14, ties).unwrap();
    g.with_interactions(inter).unwrap()
}

fn ranking(g: &Graph, name: &str) -> Vec<i64> {
    let h = build(name, &HeuristicConfig::default(), g).unwrap();
    let target = g.dense(1).unwrap();
    let mut out = Vec::new();
    h.score(g, target, &mut Scratch::new(), &mut out);
    assert_eq!(out.len(), g.degree(target));
    top_k(&out, g.neighbors(target), usize::MAX)
        .into_iter()
        .map(|(v, _)| g.person(v))
        .collect()
}

#[test]
fn volume_is_fooled_by_the_broadcaster_and_reciprocity_is_not() {
    let g = scenario();
    assert_eq!(ranking(&g, "volume")[0], 3);
    assert_eq!(ranking(&g, "reciprocity")[0], 2);
    assert_eq!(ranking(&g, "persistence")[0], 2);
    assert_eq!(ranking(&g, "multiplexity")[0], 2);
    // The broadcaster's burst of 3 days does not persist.
    assert_eq!(ranking(&g, "persistence"), vec![2, 4, 3, 5]);
    // Degree favours the hub, the baseline's known bias.
    assert_eq!(ranking(&g, "degree")[0], 3);
}

#[test]
fn every_ego_heuristic_scores_every_friend_finitely() {
    let g = scenario();
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    for name in EGO.iter().chain(&["combo"]) {
        let config = HeuristicConfig {
            combo: vec![("persistence".into(), 1.0), ("reciprocity".into(), 1.0)],
            ..HeuristicConfig::default()
        };
        let h = build(name, &config, &g).unwrap();
        assert_eq!(h.name(), *name);
        assert_eq!(h.cost_class(), CostClass::Ego);
        for u in (0..g.num_nodes() as u32).map(NodeId) {
            out.push(f64::NAN);
            h.score(&g, u, &mut scratch, &mut out);
            assert_eq!(out.len(), g.degree(u), "{name}");
            assert!(out.iter().all(|s| s.is_finite()), "{name}: {out:?}");
        }
    }
}

#[test]
fn needs_are_declared_and_enforced() {
    let (topology, _) = Graph::from_person_edges(&[(1, 2), (2, 3)], None).unwrap();
    let (weighted, _) = Graph::from_person_edges(&[(1, 2), (2, 3)], Some(&[1.0, 2.0])).unwrap();
    let config = HeuristicConfig::default();
    for (name, needs) in [
        ("volume", Needs::Weights),
        ("recency", Needs::Events),
        ("reciprocity", Needs::Events),
        ("persistence", Needs::Events),
        ("multiplexity", Needs::Events),
        ("random", Needs::Topology),
        ("degree", Needs::Topology),
    ] {
        assert_eq!(build(name, &config, &scenario()).unwrap().needs(), needs);
        assert_eq!(
            build(name, &config, &topology).is_ok(),
            needs == Needs::Topology,
            "{name}"
        );
        assert_eq!(
            build(name, &config, &weighted).is_ok(),
            needs != Needs::Events,
            "{name}"
        );
    }
    let err = build("recency", &config, &weighted).unwrap_err();
    assert!(matches!(err, HeuristicError::Unsupported { .. }));
    assert!(err.to_string().contains("interaction events"), "{err}");
}

#[test]
fn all_expands_to_supported_ego_heuristics_in_order() {
    let (topology, _) = Graph::from_person_edges(&[(1, 2), (2, 3)], None).unwrap();
    let config = HeuristicConfig::default();
    let names: Vec<String> = build_all("all", &config, &topology)
        .unwrap()
        .iter()
        .map(|h| h.name().to_owned())
        .filter(|n| EGO.contains(&n.as_str()) || n == "combo")
        .collect();
    assert_eq!(names, vec!["random", "degree"]);
    let names: Vec<String> = build_all("all", &config, &scenario())
        .unwrap()
        .iter()
        .map(|h| h.name().to_owned())
        .filter(|n| EGO.contains(&n.as_str()))
        .collect();
    assert_eq!(names, EGO);
}

#[test]
fn combo_takes_the_strongest_need_and_rejects_itself() {
    let (weighted, _) = Graph::from_person_edges(&[(1, 2), (2, 3)], Some(&[1.0, 2.0])).unwrap();
    let mut config = HeuristicConfig {
        combo: vec![("degree".into(), 1.0), ("volume".into(), 1.0)],
        ..HeuristicConfig::default()
    };
    assert_eq!(
        build("combo", &config, &weighted).unwrap().needs(),
        Needs::Weights
    );
    config.combo.push(("persistence".into(), 1.0));
    assert!(matches!(
        build("combo", &config, &weighted),
        Err(HeuristicError::Unsupported { .. })
    ));
    config.combo = vec![("combo".into(), 1.0)];
    assert!(matches!(
        build("combo", &config, &weighted),
        Err(HeuristicError::InvalidParameter { name: "combo", .. })
    ));
}

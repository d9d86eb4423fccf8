//! The `difficulty` knob's range, measured on the generator's own output (no engine code):
//! at 0 a person's traffic puts their close friends first almost always, at 1 it barely
//! does better than chance.

use std::collections::HashMap;

use tierank_datagen::events::EventContext;
use tierank_datagen::{GeneratorConfig, Preset, build};
use tierank_format::AccountType;

/// Mean precision at 5 (relevant: layer ≤ 3 from the ego's side) of ranking each sampled
/// ego's friends by the number of events between them that the ego's own streams produce
/// (what the ego sends, and the answers it gets), over every 40th ordinary person with at
/// least five relevant friends; ties in the count are broken by internal index.
fn traffic_precision_at_5(difficulty: f64) -> (f64, usize) {
    let config = GeneratorConfig {
        seed: 3,
        difficulty,
        ..GeneratorConfig::preset(Preset::Small)
    };
    let syn = build(&config).unwrap();
    let (pop, net) = (&syn.population, &syn.network);
    let ctx = EventContext {
        config: &config,
        pop,
        net,
        start_ms: syn.start_ms,
        keep_channel: [true; 6],
    };
    let index: HashMap<i64, u32> = (0..pop.id.len()).map(|i| (pop.id[i], i as u32)).collect();
    let (mut sum, mut egos) = (0.0, 0);
    let mut events = Vec::new();
    for u in (0..net.len()).step_by(40) {
        let range = net.range(u);
        let relevant = range.clone().filter(|&e| net.layer[e] <= 3).count();
        if pop.account[u] != AccountType::Person || relevant < 5 {
            continue;
        }
        events.clear();
        ctx.person_events(u as u32, &mut events);
        let mut count: HashMap<u32, u64> = HashMap::new();
        for ev in &events {
            let other = if index[&ev.src] == u as u32 {
                ev.dst
            } else {
                ev.src
            };
            *count.entry(index[&other]).or_default() += 1;
        }
        let mut friends: Vec<(u64, u32, u8)> = range
            .map(|e| {
                let v = net.alters[e];
                (count.get(&v).copied().unwrap_or(0), v, net.layer[e])
            })
            .collect();
        friends.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        sum += friends[..5].iter().filter(|f| f.2 <= 3).count() as f64 / 5.0;
        egos += 1;
    }
    (sum / egos as f64, egos)
}

/// Raw event counts are a cruder ranking than the engine's heuristics (a like counts as
/// much as a call), so the bounds are below docs/generator.md's figures. Before the knob's
/// ends were widened this gave 0.880 at 0 (rate noise, relation-specific channel mixes,
/// episodes and the spread of activity remained) and 0.285 at 1; now 0.944 and 0.205
/// (249 egos). About 4 s (two `small` networks, events of 249 egos each).
#[test]
fn the_difficulty_knob_spans_near_perfect_to_near_chance() {
    let (easy, egos) = traffic_precision_at_5(0.0);
    assert!(egos >= 150, "{egos} egos");
    assert!(easy >= 0.93, "difficulty 0: traffic P@5 {easy:.3}");
    let (hard, _) = traffic_precision_at_5(1.0);
    assert!(hard <= 0.25, "difficulty 1: traffic P@5 {hard:.3}");
}

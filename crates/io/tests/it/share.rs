//! The partitioned load's graphs (`tierank_io::share`): a wave's ball assembled from the
//! folded friendships of each person's owner equals, array for array, the ball folded from
//! every raw record incident to the same people, and agrees with the whole graph on every
//! tie touching them.

use proptest::prelude::*;
use tierank_graph::{Graph, TimeWindow};
use tierank_io::share::{
    EventHold, EventRecord, FoldedDirection, FoldedTie, TieRecord, build_graph, folded_size_of,
    folded_ties_of, for_each_direction, friendship_graph, graph_from_folded, with_directions,
};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_700_000_000_000;
const HALF_LIFE: i64 = 7 * DAY;
const PEOPLE: i64 = 9;

fn window() -> TimeWindow {
    TimeWindow {
        start_ms: T0,
        end_ms: T0 + 30 * DAY,
    }
}

fn incident(p: &[i64], a: i64, b: i64) -> bool {
    p.contains(&a) || p.contains(&b)
}

/// The graph of the records incident to `people`, as a worker owning them builds it.
fn held(
    people: &[i64],
    ties: &[TieRecord],
    events: &[EventRecord],
    has_weights: bool,
    window: Option<TimeWindow>,
) -> Graph {
    let ties: Vec<TieRecord> = ties
        .iter()
        .filter(|t| incident(people, t.src, t.dst))
        .copied()
        .collect();
    let events: Vec<EventRecord> = events
        .iter()
        .filter(|e| incident(people, e.src, e.dst))
        .copied()
        .collect();
    build_graph(&[], &ties, &events, has_weights, window, HALF_LIFE).unwrap()
}

fn persons_of(g: &Graph, u: tierank_graph::NodeId) -> Vec<i64> {
    g.neighbors(u).iter().map(|&v| g.person(v)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn a_ball_of_folded_ties_equals_the_ball_folded_from_raw_records(
        raw_ties in prop::collection::vec((0..PEOPLE, 0..PEOPLE, 0u8..4), 1..30),
        raw_events in prop::collection::vec(
            (0..PEOPLE, 0..PEOPLE, 0u8..6, 0..(30 * DAY), 0u8..3), 0..120),
        workers in 1usize..4,
        targets in prop::collection::vec(0..PEOPLE, 1..4),
        weighted in any::<bool>(),
        with_events in any::<bool>(),
    ) {
        // Repeated friendships in both orientations, self-loops, events both ways, events
        // between non-friends (group chats) and to people of no tie.
        let ties: Vec<TieRecord> = raw_ties
            .iter()
            .enumerate()
            .map(|(row, &(src, dst, w))| TieRecord { row: row as u64, src, dst, weight: f64::from(w) })
            .collect();
        let events: Vec<EventRecord> = raw_events
            .iter()
            .enumerate()
            .map(|(row, &(src, dst, channel, ts, v))| EventRecord {
                part: (row % 2) as u32,
                row: row as u64,
                src,
                dst,
                ts_ms: T0 + ts,
                value: f64::from(v) * 1.25,
                channel,
            })
            .collect();
        let window = with_events.then(window);
        let owner = |p: i64| (p as usize * 7 + 3) % workers;
        let homes: Vec<Graph> = (0..workers)
            .map(|w| {
                let owned: Vec<i64> = (0..PEOPLE).filter(|&p| owner(p) == w).collect();
                held(&owned, &ties, &events, weighted, window)
            })
            .collect();
        let whole = build_graph(&[], &ties, &events, weighted, window, HALF_LIFE).unwrap();

        // The ball of `targets`: them and their friends.
        let mut ball_people: Vec<i64> = targets.clone();
        for &t in &targets {
            if let Some(u) = whole.dense(t) {
                ball_people.extend(persons_of(&whole, u));
            }
        }
        ball_people.sort_unstable();
        ball_people.dedup();
        // A person whose only tie is a self-loop has no friend: the folded ball leaves them
        // out (they rank nothing either way), the raw one would keep them as a node.
        let no_loops: Vec<TieRecord> = ties.iter().filter(|t| t.src != t.dst).copied().collect();
        let raw_ball = held(&ball_people, &no_loops, &events, weighted, window);
        let folded: Vec<FoldedTie> = ball_people
            .iter()
            .flat_map(|&p| folded_ties_of(&homes[owner(p)], p))
            .collect();
        // What the wave planner is told of each person's reply is its size.
        for &p in &ball_people {
            let ties = folded_ties_of(&homes[owner(p)], p);
            let records = ties.iter().map(|t| t.channels.len() as u64).sum::<u64>();
            prop_assert_eq!(
                folded_size_of(&homes[owner(p)], p),
                (ties.len() as u64, records)
            );
        }
        let ball = graph_from_folded(folded, &[], weighted, window, HALF_LIFE).unwrap();

        prop_assert_eq!(ball.ids().persons(), raw_ball.ids().persons());
        prop_assert_eq!(ball.csr(), raw_ball.csr());
        prop_assert_eq!(ball.weights(), raw_ball.weights());
        prop_assert_eq!(ball.interactions(), raw_ball.interactions());

        // And with the whole graph on every tie touching the ball's people.
        for &p in &ball_people {
            let (Some(u), Some(x)) = (ball.dense(p), whole.dense(p)) else {
                prop_assert!(whole.dense(p).is_none_or(|x| whole.degree(x) == 0));
                continue;
            };
            prop_assert_eq!(persons_of(&ball, u), persons_of(&whole, x));
            for (&v, slot) in ball.neighbors(u).iter().zip(ball.csr().slots(u)) {
                let y = whole.dense(ball.person(v)).unwrap();
                let whole_slot = whole.csr().slot(x, y).unwrap();
                prop_assert_eq!(
                    ball.weights().map(|w| w[slot]),
                    whole.weights().map(|w| w[whole_slot])
                );
                if let (Some(bi), Some(wi)) = (ball.interactions(), whole.interactions()) {
                    for (a, b, c, d) in [(u, v, x, y), (v, u, y, x)] {
                        let got = bi.tie(a, b).map(|t| (t.summary, t.channels.to_vec()));
                        let want = wi.tie(c, d).map(|t| (t.summary, t.channels.to_vec()));
                        prop_assert_eq!(got, want);
                    }
                }
            }
        }
    }

    #[test]
    fn senders_owners_folds_and_directions_equal_the_fold_of_every_incident_event(
        raw_ties in prop::collection::vec((0..PEOPLE, 0..PEOPLE, 0u8..4), 1..30),
        raw_events in prop::collection::vec(
            (0..PEOPLE, 0..PEOPLE, 0u8..6, 0..(30 * DAY), 0u8..3), 0..120),
        workers in 1usize..4,
        weighted in any::<bool>(),
        arrival_seed in any::<u64>(),
    ) {
        // The partitioned load holds each event once, at its sender's owner, in any order
        // of arrival; after the fold each owner sends every direction whose receiver
        // another worker owns to that owner, folded. Each worker's graph must then be the
        // one folded from every event incident to its people (both copies, as before).
        let ties: Vec<TieRecord> = raw_ties
            .iter()
            .enumerate()
            .map(|(row, &(src, dst, w))| TieRecord { row: row as u64, src, dst, weight: f64::from(w) })
            .collect();
        let mut events: Vec<EventRecord> = raw_events
            .iter()
            .enumerate()
            .map(|(row, &(src, dst, channel, ts, v))| EventRecord {
                part: (row % 2) as u32,
                row: row as u64,
                src,
                dst,
                ts_ms: T0 + ts,
                value: f64::from(v) * 1.25,
                channel,
            })
            .collect();
        let window = window();
        let owner = |p: i64| (p as usize * 7 + 3) % workers;
        let owned = |w: usize| -> Vec<i64> { (0..PEOPLE).filter(|&p| owner(p) == w).collect() };
        let want: Vec<Graph> = (0..workers)
            .map(|w| held(&owned(w), &ties, &events, weighted, Some(window)))
            .collect();
        // Events arrive in another order than the rows.
        let mut state = arrival_seed | 1;
        for i in (1..events.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            events.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut sent: Vec<Vec<FoldedDirection>> = vec![Vec::new(); workers];
        let mut folded = Vec::new();
        let mut held_events = 0u64;
        for w in 0..workers {
            let mine = owned(w);
            let held_ties: Vec<TieRecord> = ties
                .iter()
                .filter(|t| incident(&mine, t.src, t.dst))
                .copied()
                .collect();
            let graph = friendship_graph(&[], &held_ties, weighted).unwrap();
            let mut hold = EventHold::new(&graph, window, HALF_LIFE, workers == 2);
            for e in events.iter().filter(|e| owner(e.src) == w) {
                hold.add(&graph, e);
            }
            held_events += hold.received();
            let graph = hold.fold(graph).unwrap();
            for_each_direction(
                &graph,
                |from, to| owner(from) == w && owner(to) != w,
                |d| sent[owner(d.to)].push(d),
            );
            folded.push(graph);
        }
        // Each event was handed to one worker only.
        prop_assert_eq!(held_events, events.len() as u64);
        for (w, (graph, received)) in folded.into_iter().zip(sent).enumerate() {
            let got = with_directions(graph, received).unwrap();
            prop_assert_eq!(got.ids().persons(), want[w].ids().persons());
            prop_assert_eq!(got.csr(), want[w].csr());
            prop_assert_eq!(got.weights(), want[w].weights());
            prop_assert_eq!(got.interactions(), want[w].interactions());
        }
    }
}

#[test]
fn a_ball_holds_every_listed_person_even_one_without_a_friendship() {
    // A wave's target known only from persons.parquet has no folded tie; its ball must
    // still hold it (with no friend), or the wave's passes lose their order.
    let ball = graph_from_folded(Vec::new(), &[42, 7], false, Some(window()), HALF_LIFE).unwrap();
    assert_eq!(ball.ids().persons(), &[7, 42]);
    let u = ball.dense(42).expect("the listed person is in the ball");
    assert_eq!(ball.degree(u), 0);
}

#[test]
fn a_hold_over_its_budget_spills_later_sender_ranges_and_folds_the_same_graph() {
    // 300 people on a ring with chords; a few heavy senders in every part of the id range
    // (so every sender range has full 4,096-event chunks to spill) and light ones.
    let people = 300i64;
    let mut ties = Vec::new();
    for p in 0..people {
        for step in [1, 7, 31] {
            ties.push(TieRecord {
                row: ties.len() as u64,
                src: p,
                dst: (p + step) % people,
                weight: 1.0,
            });
        }
    }
    let mut events = Vec::new();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for p in 0..people {
        let n = if p % 37 == 0 { 9_000 } else { 40 };
        for _ in 0..n {
            let r = next();
            let step = [1, 7, 31][(r % 3) as usize];
            let dst = if r % 5 == 0 {
                (p + people - step) % people
            } else {
                (p + step) % people
            };
            events.push(EventRecord {
                part: 0,
                row: events.len() as u64,
                src: p,
                dst,
                ts_ms: T0 + (r >> 8) as i64 % (30 * DAY),
                value: (r % 1000) as f64 * 0.5,
                channel: (r >> 40) as u8 % 6,
            });
        }
    }
    let graph = friendship_graph(&[], &ties, false).unwrap();
    let window = window();
    let mut in_memory = EventHold::new(&graph, window, HALF_LIFE, false);
    let budget = events.len() as u64 * 24 / 4;
    let mut spilling = EventHold::with_budget(
        &graph,
        window,
        HALF_LIFE,
        false,
        events.len() as u64,
        budget,
    )
    .unwrap();
    for e in &events {
        in_memory.add(&graph, e);
        spilling.add(&graph, e);
    }
    assert_eq!(in_memory.ranges(), 1);
    assert_eq!(spilling.ranges(), 4);
    assert_eq!(spilling.held(), in_memory.held());
    // Three of four ranges, less each spilled shard's last partly filled chunk.
    let spilled = spilling.spilled_bytes();
    assert!(
        spilled >= 8 * 4096 * 24 && spilled < events.len() as u64 * 24,
        "{spilled} bytes spilled"
    );
    let want = in_memory.fold(graph.clone()).unwrap();
    let got = spilling.fold(graph).unwrap();
    assert_eq!(got.csr(), want.csr());
    assert_eq!(got.interactions(), want.interactions());
    assert!(want.interactions().unwrap().num_channel_records() > 0);
}

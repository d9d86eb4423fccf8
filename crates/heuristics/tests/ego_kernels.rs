//! The ego-network kernels of dispersion and recursive dispersion against the bitset kernel
//! they replaced (issue 11), kept here as the reference: scores must be equal bit for bit,
//! with a fresh scratch and with one scratch shared across targets, graphs and heuristics
//! in any order, as a ranking thread shares it.

use proptest::prelude::*;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::two_hop::{Dispersion, RecursiveDispersion};
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch};

/// The replaced kernel, unchanged in substance: the target's ego network as rows of 32-bit
/// words over positions in `N(u)` (row `i` = positions of `N(u) ∩ N(s_i)`), and each pair of
/// common friends tested for dispersion with a word-by-word AND of their rows.
struct Reference {
    rows: Vec<Vec<u32>>,
}

impl Reference {
    fn new(graph: &Graph, u: NodeId) -> Self {
        let friends = graph.neighbors(u);
        let words = friends.len().div_ceil(32);
        let rows = friends
            .iter()
            .map(|&s| {
                let mut row = vec![0u32; words];
                for &w in graph.neighbors(s) {
                    if let Ok(p) = friends.binary_search(&w) {
                        row[p / 32] |= 1 << (p % 32);
                    }
                }
                row
            })
            .collect();
        Self { rows }
    }

    fn has(row: &[u32], j: usize) -> bool {
        row[j / 32] & (1 << (j % 32)) != 0
    }

    fn members(&self, i: usize) -> Vec<u32> {
        (0..self.rows.len())
            .filter(|&j| Self::has(&self.rows[i], j))
            .map(|j| j as u32)
            .collect()
    }

    /// `d_v(s, t)` with `v` at `i`, `s` at `a`, `t` at `b`.
    fn dispersed(&self, i: usize, a: usize, b: usize) -> bool {
        let (row_a, row_b) = (&self.rows[a], &self.rows[b]);
        if Self::has(row_a, b) {
            return false;
        }
        let (vi, vb) = (i / 32, 1u32 << (i % 32));
        !row_a.iter().zip(row_b).enumerate().any(|(wi, (&x, &y))| {
            let both = x & y;
            (if wi == vi { both & !vb } else { both }) != 0
        })
    }

    fn raw(&self, i: usize, members: &[u32]) -> u64 {
        let mut disp = 0;
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if self.dispersed(i, a as usize, b as usize) {
                    disp += 1;
                }
            }
        }
        disp
    }

    fn dispersion(&self, h: &Dispersion) -> Vec<f64> {
        (0..self.rows.len())
            .map(|i| {
                let members = self.members(i);
                let disp = self.raw(i, &members) as f64;
                let denom = members.len() as f64 + h.c;
                let num = (disp + h.b).powf(h.alpha);
                if denom > 0.0 { num / denom } else { num }
            })
            .collect()
    }

    fn recursive(&self, iterations: u32) -> Vec<f64> {
        let d = self.rows.len();
        let mut x = vec![1.0f64; d];
        for _ in 0..iterations {
            let mut next = vec![0.0f64; d];
            let mut max = 0.0f64;
            for (i, slot) in next.iter_mut().enumerate() {
                let members = self.members(i);
                if members.is_empty() {
                    continue;
                }
                let mut sum: f64 = members.iter().map(|&w| x[w as usize].powi(2)).sum();
                for (k, &a) in members.iter().enumerate() {
                    for &b in &members[k + 1..] {
                        if self.dispersed(i, a as usize, b as usize) {
                            sum += 2.0 * x[a as usize] * x[b as usize];
                        }
                    }
                }
                *slot = sum / members.len() as f64;
                max = max.max(*slot);
            }
            if max > 0.0 {
                next.iter_mut().for_each(|v| *v /= max);
            }
            x = next;
        }
        x
    }
}

/// A random graph dense enough for large ego networks with many dispersed pairs: `n` people
/// (up to 150, so that ego networks span several words), each pair a friendship with
/// probability `p`, plus a hub that knows a random share of everyone (ego networks of more
/// than 64 friends).
fn random_graph() -> impl Strategy<Value = Graph> {
    (3usize..150, 0.02f64..0.5, any::<u64>(), 0.0f64..1.0).prop_map(|(n, p, seed, hub)| {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut edges = Vec::new();
        for a in 0..n as i64 {
            for b in a + 1..n as i64 {
                let q = if a == 0 { hub.max(p) } else { p };
                if next() < q {
                    edges.push((a * 7 + 3, b * 7 + 3));
                }
            }
        }
        if edges.is_empty() {
            edges.push((3, 10));
        }
        Graph::from_person_edges(&edges, None)
            .expect("graph builds")
            .0
    })
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn dispersion_kernels_match_the_bitset_reference(
        g in random_graph(),
        alpha in 0.1f64..2.0,
        b in prop_oneof![Just(0.0), 0.0f64..3.0],
        c in prop_oneof![Just(0.0), Just(5.0), 0.0f64..10.0],
        iterations in 1u32..6,
        order in any::<u64>(),
    ) {
        let config = HeuristicConfig {
            dispersion_alpha: alpha,
            dispersion_b: b,
            dispersion_c: c,
            dispersion_iterations: iterations,
            ..HeuristicConfig::default()
        };
        let disp = Dispersion::new(&config).unwrap();
        let rec = RecursiveDispersion::new(&config).unwrap();
        let mut shared = Scratch::new();
        let (mut out, mut raw, mut emb) = (Vec::new(), Vec::new(), Vec::new());
        // Targets in a scrambled order, each heuristic in a varying order, one scratch.
        let n = g.num_nodes() as u64;
        for step in 0..n {
            let u = NodeId(((step * 0x9E37 + order) % n) as u32);
            let reference = Reference::new(&g, u);
            let want_disp = bits(&reference.dispersion(&disp));
            let want_rec = bits(&reference.recursive(iterations));
            let rec_first = (order >> (step % 64)) & 1 == 1;
            for pass in 0..2 {
                if (pass == 0) == rec_first {
                    rec.score(&g, u, &mut shared, &mut out);
                    prop_assert_eq!(bits(&out), want_rec.clone(), "recursive, target {}", u.0);
                } else {
                    disp.score(&g, u, &mut shared, &mut out);
                    prop_assert_eq!(bits(&out), want_disp.clone(), "dispersion, target {}", u.0);
                }
            }
            rec.score(&g, u, &mut Scratch::new(), &mut out);
            prop_assert_eq!(bits(&out), want_rec, "recursive, fresh scratch, target {}", u.0);
            Dispersion::raw(&g, u, &mut shared, &mut raw, &mut emb);
            for i in 0..g.degree(u) {
                let members = reference.members(i);
                prop_assert_eq!(emb[i], members.len() as u64);
                prop_assert_eq!(raw[i], reference.raw(i, &members));
            }
        }
    }
}

/// The ego network kept in a scratch is the last target's *in that graph*: a second graph
/// with the same people and different friendships must not reuse it.
#[test]
fn a_new_graph_does_not_reuse_the_last_ego_network() {
    // In g1, 1's friends 2 and 3 are not friends; in g2 they are.
    let g1 = Graph::from_person_edges(&[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)], None)
        .unwrap()
        .0;
    let g2 = Graph::from_person_edges(&[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)], None)
        .unwrap()
        .0;
    let h = Dispersion::new(&HeuristicConfig::default()).unwrap();
    let target = g1.dense(0).unwrap();
    assert_eq!(g2.dense(0), Some(target));
    let mut shared = Scratch::new();
    let (mut out1, mut out2, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
    h.score(&g1, target, &mut shared, &mut out1);
    h.score(&g2, target, &mut shared, &mut out2);
    h.score(&g2, target, &mut Scratch::new(), &mut fresh);
    assert_eq!(out2, fresh);
    assert!(out1[0] > 0.0 && out2[0] == 0.0, "{out1:?} {out2:?}");
}

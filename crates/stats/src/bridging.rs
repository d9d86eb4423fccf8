//! Two structural signatures of tie strength that local clustering does not show:
//!
//! - **Partners bridge contexts** (Backstrom & Kleinberg 2014, "Romantic partnerships and
//!   the dispersion of social ties", CSCW): a partner's mutual friends with the ego come
//!   from several of the ego's circles (household, work, school, friends) that are not
//!   otherwise connected, so *dispersion* finds the partner more often than the number of
//!   mutual friends does. On Facebook the partner is the top-ranked friend for about 25 %
//!   of egos by embeddedness, 37 % by dispersion and 50 % by recursive dispersion.
//! - **Weak ties hold the network together** (Onnela et al. 2007, PNAS 104:7332, Fig. 3):
//!   removing ties from the weakest up fragments the giant component much sooner than
//!   removing them from the strongest down.
//!
//! Both are computed here independently of `tierank-heuristics` (a second implementation of
//! dispersion, with bitsets), so the report can also cross-check that crate.

use rayon::prelude::*;
use serde::Serialize;
use tierank_format::Relation;
use tierank_graph::{Graph, NodeId};

use crate::sample::hash_pair;
use crate::structure::{WeightSource, tie_weight};

/// Smallest ego degree measured for partner ranks: with fewer friends the ranking is
/// nearly trivial.
pub const PARTNER_MIN_DEGREE: usize = 20;
/// Largest ego degree measured for partner ranks: bounds the cost (dispersion is quadratic
/// in the mutual friends). Backstrom & Kleinberg used egos with 50 to 2,000 friends.
pub const PARTNER_MAX_DEGREE: usize = 1_000;
/// Most egos measured for partner ranks (a seeded hash sample of the eligible ones).
pub const PARTNER_SAMPLE: usize = 3_000;
/// Normalised dispersion `(disp + b)^α / (emb + c)`: Backstrom & Kleinberg's best α.
const DISP_ALPHA: f64 = 0.61;
/// Its `b`.
const DISP_B: f64 = 0.0;
/// Its `c`.
const DISP_C: f64 = 5.0;
/// Iterations of recursive dispersion (three were best in the paper).
const RECURSIVE_ITERATIONS: usize = 3;

/// How often each structural score ranks the ego's partner first among all friends.
///
/// Ties at the top share the credit: a partner tied with `t − 1` other friends for the top
/// score counts `1/t` (the expected hit rate of a random tie-break).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerRankStats {
    /// Egos measured: exactly one partner in the truth, degree within
    /// [`PARTNER_MIN_DEGREE`]..=[`PARTNER_MAX_DEGREE`].
    pub num_targets: u64,
    /// Eligible targets in the dataset (the measured ones are a sample when more).
    pub num_targets_eligible: u64,
    /// Partner first by embeddedness (number of mutual friends).
    pub embeddedness: f64,
    /// Partner first by absolute dispersion.
    pub dispersion: f64,
    /// Partner first by normalised dispersion `(disp + 0)^0.61 / (emb + 5)`.
    pub dispersion_normalised: f64,
    /// Partner first by recursive dispersion (three iterations).
    pub dispersion_recursive: f64,
    /// Share of egos whose partner has no mutual friend with them.
    pub partner_unembedded: f64,
}

/// Partner rank rates over egos with exactly one partner in the truth (`None` when no ego
/// qualifies). `ego`, `alter`, `relation` are the truth rows as dense node ids.
pub fn partner_ranks(
    graph: &Graph,
    truth: &[(NodeId, NodeId, Relation)],
    seed: u64,
) -> Option<PartnerRankStats> {
    let n = graph.num_nodes();
    let mut partner: Vec<Option<NodeId>> = vec![None; n];
    let mut partners = vec![0u8; n];
    for &(ego, alter, rel) in truth {
        if rel == Relation::Partner && graph.csr().has_edge(ego, alter) {
            partner[ego.index()] = Some(alter);
            partners[ego.index()] = partners[ego.index()].saturating_add(1);
        }
    }
    let mut eligible: Vec<(u64, NodeId)> = (0..n)
        .filter(|&u| {
            let k = graph.degree(NodeId(u as u32));
            partners[u] == 1 && (PARTNER_MIN_DEGREE..=PARTNER_MAX_DEGREE).contains(&k)
        })
        .map(|u| (hash_pair(seed, u as u64, 0xD15B), NodeId(u as u32)))
        .collect();
    if eligible.is_empty() {
        return None;
    }
    let egos_eligible = eligible.len() as u64;
    eligible.sort_unstable();
    eligible.truncate(PARTNER_SAMPLE);
    eligible.sort_unstable_by_key(|&(_, u)| u);
    let results: Vec<[f64; 5]> = eligible
        .par_iter()
        .map(|&(_, u)| {
            let p = partner[u.index()].expect("eligible egos have a partner");
            ego_partner_ranks(graph, u, p)
        })
        .collect();
    let mut sums = [0.0f64; 5];
    for r in &results {
        for (s, x) in sums.iter_mut().zip(r) {
            *s += x;
        }
    }
    let k = results.len() as f64;
    Some(PartnerRankStats {
        num_targets: results.len() as u64,
        num_targets_eligible: egos_eligible,
        embeddedness: sums[0] / k,
        dispersion: sums[1] / k,
        dispersion_normalised: sums[2] / k,
        dispersion_recursive: sums[3] / k,
        partner_unembedded: sums[4] / k,
    })
}

/// Credit of the partner at local index `p` under `scores`: `1/t` when it shares the top
/// score with `t − 1` others, else 0.
fn top_credit(scores: &[f64], p: usize) -> f64 {
    let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if scores[p] < best {
        return 0.0;
    }
    let tied = scores.iter().filter(|&&s| s == best).count();
    1.0 / tied as f64
}

/// Bit rows over the ego's friends: `rows[i]` has bit `j` set when friends `i` and `j` are
/// friends of each other.
struct LocalGraph {
    words: usize,
    rows: Vec<u64>,
}

impl LocalGraph {
    fn row(&self, i: usize) -> &[u64] {
        &self.rows[i * self.words..(i + 1) * self.words]
    }

    fn has(&self, i: usize, j: usize) -> bool {
        self.rows[i * self.words + j / 64] & (1 << (j % 64)) != 0
    }
}

/// `[embeddedness, dispersion, normalised, recursive, unembedded]` credits of one ego.
fn ego_partner_ranks(graph: &Graph, u: NodeId, partner: NodeId) -> [f64; 5] {
    let friends = graph.neighbors(u);
    let k = friends.len();
    let words = k.div_ceil(64);
    let mut local = LocalGraph {
        words,
        rows: vec![0; k * words],
    };
    for (i, &v) in friends.iter().enumerate() {
        // Both lists are sorted: a merge finds the friends of `v` among the ego's friends.
        let (mut a, mut b) = (0, 0);
        let theirs = graph.neighbors(v);
        while a < k && b < theirs.len() {
            match friends[a].cmp(&theirs[b]) {
                std::cmp::Ordering::Less => a += 1,
                std::cmp::Ordering::Greater => b += 1,
                std::cmp::Ordering::Equal => {
                    local.rows[i * words + a / 64] |= 1 << (a % 64);
                    a += 1;
                    b += 1;
                }
            }
        }
    }
    let p = friends
        .binary_search(&partner)
        .expect("the partner is a friend");
    let mut emb = vec![0.0f64; k];
    let mut disp = vec![0.0f64; k];
    // Dispersed pairs per friend, for the recursive iterations.
    let mut pairs: Vec<Vec<(u32, u32)>> = vec![Vec::new(); k];
    let mut common: Vec<usize> = Vec::new();
    let mut masked = vec![0u64; words];
    for v in 0..k {
        common.clear();
        common.extend((0..k).filter(|&j| local.has(v, j)));
        emb[v] = common.len() as f64;
        for a in 0..common.len() {
            let s = common[a];
            // Friends of `s` in N(u) \ {v}: a pair is dispersed when `t` is neither among
            // them nor shares one of them.
            for (m, &w) in masked.iter_mut().zip(local.row(s)) {
                *m = w;
            }
            masked[v / 64] &= !(1 << (v % 64));
            for &t in &common[a + 1..] {
                if local.has(s, t) {
                    continue;
                }
                let shared = masked.iter().zip(local.row(t)).any(|(x, y)| x & y != 0);
                if !shared {
                    disp[v] += 1.0;
                    pairs[v].push((s as u32, t as u32));
                }
            }
        }
    }
    let normalised: Vec<f64> = (0..k)
        .map(|v| (disp[v] + DISP_B).powf(DISP_ALPHA) / (emb[v] + DISP_C))
        .collect();
    let mut x = vec![1.0f64; k];
    for _ in 0..RECURSIVE_ITERATIONS {
        let next: Vec<f64> = (0..k)
            .map(|v| {
                if emb[v] == 0.0 {
                    return 0.0;
                }
                let squares: f64 = (0..k)
                    .filter(|&w| local.has(v, w))
                    .map(|w| x[w] * x[w])
                    .sum();
                let cross: f64 = pairs[v]
                    .iter()
                    .map(|&(s, t)| x[s as usize] * x[t as usize])
                    .sum();
                (squares + 2.0 * cross) / emb[v]
            })
            .collect();
        x = next;
    }
    [
        top_credit(&emb, p),
        top_credit(&disp, p),
        top_credit(&normalised, p),
        top_credit(&x, p),
        if emb[p] == 0.0 { 1.0 } else { 0.0 },
    ]
}

/// Mean degree of the ties still in when the giant component is measured: ties are
/// removed until `k · n / 2` are left, for each `k` here.
///
/// Onnela et al.'s effect (2007, Fig. 3) is where the network breaks up: their phone
/// network, about three contacts per person, collapses near 80 % removed when the weak
/// ties go first, i.e. once fewer than one contact per person is left. A friendship
/// network with a hundred active ties per person keeps one giant component, in either
/// order, until about 95 % are gone: with fixed fractions (0.5, 0.8, 0.9, 0.95, 0.98,
/// before 2026-12-03) four of five points measured only who drops out first (people
/// with a few ties, all strong, when the strong go first), and the mean over them was
/// carried by the last point alone, within ±0.01 of zero on every seed. Measuring at a
/// remaining mean degree of 4, 2 and 1 puts every point where a giant component can
/// break, whatever the density.
pub const PERCOLATION_KEPT_DEGREES: [f64; 3] = [4.0, 2.0, 1.0];

/// The giant component after removing ties weakest-first and strongest-first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PercolationStats {
    /// Where the weights come from.
    pub weight_source: WeightSource,
    /// Ties ordered: every tie with a positive weight.
    pub ties: u64,
    /// Mean degree of the ties left at each point ([`PERCOLATION_KEPT_DEGREES`]).
    pub kept_mean_degree: Vec<f64>,
    /// The fraction of the ordered ties removed at each point: `1 − k·n / (2·ties)`,
    /// clipped to `[0, 1]`.
    pub fractions: Vec<f64>,
    /// Giant component as a share of all nodes, removing the weakest ties first.
    pub weak_first: Vec<f64>,
    /// The same, removing the strongest ties first.
    pub strong_first: Vec<f64>,
}

impl PercolationStats {
    /// Mean over the points of `strong_first − weak_first`: positive when removing weak
    /// ties first fragments the network faster (Onnela et al. 2007).
    pub fn mean_gap(&self) -> Option<f64> {
        if self.fractions.is_empty() {
            return None;
        }
        let sum: f64 = self
            .strong_first
            .iter()
            .zip(&self.weak_first)
            .map(|(s, w)| s - w)
            .sum();
        Some(sum / self.fractions.len() as f64)
    }
}

/// Percolation by tie weight (events both ways, or the user weight); `None` when the graph
/// has neither, or no tie has a positive weight. Exact: every tie with a positive weight
/// (zero-weight friendships carried no interaction, and Onnela's network is made of calls)
/// is ordered by `(weight, seeded hash)`, then
/// union-find adds ties in the order opposite to their removal. `O(m log m)`.
pub fn percolation(graph: &Graph, seed: u64) -> Option<PercolationStats> {
    let source = if graph.interactions().is_some() {
        WeightSource::Events
    } else if graph.weights().is_some() {
        WeightSource::UserWeight
    } else {
        return None;
    };
    let csr = graph.csr();
    let n = graph.num_nodes();
    let mut ties: Vec<(f64, u64, u32, u32)> = (0..n)
        .into_par_iter()
        .flat_map_iter(|u| {
            let u = NodeId(u as u32);
            csr.slots(u).filter_map(move |slot| {
                let v = csr.target(slot);
                (u < v).then(|| {
                    (
                        tie_weight(graph, source, u, v, slot),
                        hash_pair(seed, u64::from(u.0), u64::from(v.0)),
                        u.0,
                        v.0,
                    )
                })
            })
        })
        .collect();
    if ties.is_empty() {
        return None;
    }
    // Ties that carried no interaction in the window are left out, as in Onnela et al.'s
    // network of ties defined by calls.
    ties.retain(|t| t.0 > 0.0);
    if ties.is_empty() {
        return None;
    }
    ties.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let m = ties.len();
    let kept: Vec<usize> = PERCOLATION_KEPT_DEGREES
        .iter()
        .map(|k| ((k * n as f64 / 2.0).round() as usize).min(m))
        .collect();
    // Removing the weakest ties keeps the strongest: add from the top.
    let weak_first = giant_when_kept(n, ties.iter().rev().map(|t| (t.2, t.3)), &kept);
    let strong_first = giant_when_kept(n, ties.iter().map(|t| (t.2, t.3)), &kept);
    Some(PercolationStats {
        weight_source: source,
        ties: m as u64,
        kept_mean_degree: PERCOLATION_KEPT_DEGREES.to_vec(),
        fractions: kept.iter().map(|&k| 1.0 - k as f64 / m as f64).collect(),
        weak_first,
        strong_first,
    })
}

/// Adds ties in the given order and records the largest component's share of `n` once
/// `targets[i]` ties are in, for each `i`.
fn giant_when_kept(
    n: usize,
    order: impl Iterator<Item = (u32, u32)>,
    targets: &[usize],
) -> Vec<f64> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut size = vec![1u32; n];
    let mut largest = 1u32.min(n as u32);
    let mut out = vec![0.0; targets.len()];
    let record = |added: usize, largest: u32, out: &mut Vec<f64>| {
        for (slot, &t) in out.iter_mut().zip(targets) {
            if t == added {
                *slot = f64::from(largest) / n as f64;
            }
        }
    };
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    record(0, largest, &mut out);
    for (added, (a, b)) in order.enumerate() {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            let (big, small) = if size[ra as usize] >= size[rb as usize] {
                (ra, rb)
            } else {
                (rb, ra)
            };
            parent[small as usize] = big;
            size[big as usize] += size[small as usize];
            largest = largest.max(size[big as usize]);
        }
        record(added + 1, largest, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(i64, i64)]) -> Graph {
        Graph::from_person_edges(edges, None)
            .expect("valid graph")
            .0
    }

    /// Ego 0 with partner 1: their mutual friends 2, 3 (work) and 4, 5 (family) form two
    /// unconnected pairs; friend 6 shares the clique {2, 3} only. By hand: emb(1) = 4,
    /// disp(1) = 4 (2–4, 2–5, 3–4, 3–5), emb(6) = 2, disp(6) = 0.
    #[test]
    fn partner_who_bridges_two_circles_wins_dispersion() {
        let g = graph(&[
            (0, 1),
            (0, 2),
            (0, 3),
            (0, 4),
            (0, 5),
            (0, 6),
            (1, 2),
            (1, 3),
            (1, 4),
            (1, 5),
            (2, 3),
            (4, 5),
            (6, 2),
            (6, 3),
        ]);
        let [emb, disp, norm, rec, unemb] = ego_partner_ranks(&g, NodeId(0), NodeId(1));
        assert_eq!((emb, disp, norm, unemb), (1.0, 1.0, 1.0, 0.0));
        assert_eq!(rec, 1.0);
        // Friend 2 has mutual friends 1, 3, 6 (all adjacent to 3 or via 3): emb 3 < 4.
        let truth = [(NodeId(0), NodeId(1), Relation::Partner)];
        assert_eq!(partner_ranks(&g, &truth, 0), None, "degree 6 < 20");
    }

    /// Two cliques joined by one bridge: removing the weak bridge first splits them.
    #[test]
    fn percolation_records_the_giant_component() {
        let out = giant_when_kept(4, [(0, 1), (2, 3), (1, 2)].into_iter(), &[3, 2, 1, 0]);
        assert_eq!(out, vec![1.0, 0.5, 0.5, 0.25]);
        let out = giant_when_kept(4, [(1, 2), (0, 1), (2, 3)].into_iter(), &[3, 2, 1, 0]);
        assert_eq!(out, vec![1.0, 0.75, 0.5, 0.25]);
    }
}

//! Friendships, their planted closeness, and each person's Dunbar layers.
//!
//! Ties come from overlapping contexts (a small-world ring inside each context, so people
//! close in a context's seating order share friends), from triadic closure, and from a few
//! long-range ties between people of similar sociability (which makes degree assortative).
//! Broadcasters gain followers and spammers gain victims through "service" ties.

use rayon::prelude::*;
use tierank_format::{AccountType, Relation};

use crate::config::GeneratorConfig;
use crate::population::{ContextKind, Population};
use crate::rng::{Rng, Stream, key, unit};

/// Bits per internal index in a packed edge key.
const INDEX_BITS: u32 = 29;
/// Bits holding the relation code below the two indices.
const REL_BITS: u32 = 6;

/// Packs an undirected edge: smaller index, larger index, relation (stronger sorts first).
#[inline]
fn pack(a: u32, b: u32, rel: Relation) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << (INDEX_BITS + REL_BITS)) | (u64::from(hi) << REL_BITS) | rel.index() as u64
}

#[inline]
fn unpack(k: u64) -> (u32, u32, Relation) {
    let lo = (k >> (INDEX_BITS + REL_BITS)) as u32;
    let hi = ((k >> REL_BITS) & ((1 << INDEX_BITS) - 1)) as u32;
    let rel =
        Relation::from_index((k & ((1 << REL_BITS) - 1)) as usize).unwrap_or(Relation::Service);
    (lo, hi, rel)
}

/// The friendship graph in compressed sparse rows, both directions stored.
///
/// Invariant: `offsets` has `n + 1` entries; the friends of `u` are
/// `alters[offsets[u]..offsets[u + 1]]`, sorted by internal index, and `relation` and
/// `layer` are parallel to `alters` (layer as seen from `u`).
#[derive(Debug, Clone)]
pub struct Network {
    /// Row offsets.
    pub offsets: Vec<u64>,
    /// Friends, by internal index.
    pub alters: Vec<u32>,
    /// Relationship type of each directed entry (the same in both directions).
    pub relation: Vec<Relation>,
    /// Dunbar layer 1..=6 of `alter` in `u`'s circle.
    pub layer: Vec<u8>,
}

impl Network {
    /// Number of people.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when there is nobody.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index range of `u`'s entries.
    #[inline]
    pub fn range(&self, u: usize) -> std::ops::Range<usize> {
        self.offsets[u] as usize..self.offsets[u + 1] as usize
    }

    /// Number of friends of `u`.
    pub fn degree(&self, u: usize) -> usize {
        self.range(u).len()
    }

    /// Number of undirected friendships.
    pub fn tie_count(&self) -> usize {
        self.alters.len() / 2
    }
}

/// Mean triadic-closure picks per person (times sociability and `degree_scale`).
const CLOSURE_PICKS: f64 = 90.0;

/// Mean long-range picks per person (times sociability and `degree_scale`): mostly weak
/// ties with no friends in common, which keeps the overlap of weak ties low.
const LONG_RANGE_PICKS: f64 = 12.0;

/// Base closeness of each relation (index order of [`Relation`]).
const BASE_CLOSENESS: [f64; 7] = [0.90, 0.58, 0.62, 0.30, 0.30, 0.14, 0.03];

/// Latent closeness of `alter` to `ego` (per direction), in `[0, 1]`.
///
/// Relation type sets the base; a noise term shared by both directions and a smaller
/// per-direction term make closeness vary within a type and differ between directions.
/// Higher difficulty widens both, so relation type predicts closeness less well.
pub fn closeness(
    seed: u64,
    pop: &Population,
    difficulty: f64,
    ego: u32,
    alter: u32,
    rel: Relation,
) -> f64 {
    let (lo, hi) = if ego < alter {
        (ego, alter)
    } else {
        (alter, ego)
    };
    if rel == Relation::Service {
        return 0.005
            + 0.05
                * unit(key(
                    seed,
                    Stream::Direction,
                    u64::from(ego),
                    u64::from(alter),
                ));
    }
    let mut base = BASE_CLOSENESS[rel.index()];
    if rel == Relation::Family && pop.household[ego as usize] == pop.household[alter as usize] {
        base += 0.17;
    }
    let shared = Rng::new(seed, Stream::Tie, u64::from(lo), u64::from(hi)).normal();
    let own = Rng::new(seed, Stream::Direction, u64::from(ego), u64::from(alter)).normal();
    let c = base + (0.08 + 0.08 * difficulty) * shared + (0.05 + 0.05 * difficulty) * own;
    c.clamp(0.01, 0.995)
}

/// Builds the friendship graph and assigns Dunbar layers.
pub fn build(config: &GeneratorConfig, pop: &Population) -> Network {
    let n = pop.len();
    let seed = config.seed;
    let scale = config.degree_scale;

    // 1. Ties inside contexts, households and special accounts.
    let mut edges: Vec<u64> = pop
        .contexts
        .par_iter()
        .enumerate()
        .flat_map_iter(|(ci, ctx)| context_edges(seed, scale, pop, ci as u64, ctx))
        .collect();
    edges.par_extend(
        (0..n as u32)
            .into_par_iter()
            .flat_map_iter(|u| special_and_long_range(config, pop, u)),
    );
    log::debug!("{} candidate context ties", edges.len());
    let mut net = to_csr(n, dedup(edges));

    // 2. Triadic closure: friends of friends become acquaintances or close friends.
    let closure: Vec<u64> = (0..n as u32)
        .into_par_iter()
        .flat_map_iter(|u| closure_edges(seed, scale, pop, &net, u))
        .collect();
    let mut edges = to_edges(&net);
    drop(net);
    edges.extend(closure);
    let edges = cap_degrees(seed, n, config.max_degree as usize, dedup(edges));
    net = to_csr(n, edges);

    // 3. Dunbar layers per ego.
    assign_layers(config, pop, &mut net);
    net
}

fn context_edges(
    seed: u64,
    scale: f64,
    pop: &Population,
    ci: u64,
    ctx: &crate::population::Context,
) -> Vec<u64> {
    let mut r = Rng::new(seed, Stream::ContextTies, ci, 0);
    let m = ctx.members.len();
    let mut out = Vec::new();
    let (base_k, rel) = match ctx.kind {
        ContextKind::Family => {
            // Everyone in a household knows each other; across households of one
            // extended family most adults do.
            for (a, &u) in ctx.members.iter().enumerate() {
                for &v in &ctx.members[a + 1..] {
                    let (ui, vi) = (u as usize, v as usize);
                    if pop.household[ui] == pop.household[vi] {
                        let rel = if pop.partnered[ui] && pop.partnered[vi] {
                            Relation::Partner
                        } else {
                            Relation::Family
                        };
                        out.push(pack(u, v, rel));
                    } else if r.chance(0.55) {
                        out.push(pack(u, v, Relation::Family));
                    }
                }
            }
            return out;
        }
        ContextKind::Work => (36.0, Relation::Colleague),
        ContextKind::School => (56.0, Relation::Classmate),
        ContextKind::Neighbourhood => (8.0, Relation::Acquaintance),
        ContextKind::Interest => (8.0, Relation::Acquaintance),
    };
    if m < 2 {
        return out;
    }
    for (p, &u) in ctx.members.iter().enumerate() {
        let soc = f64::from(pop.sociability[u as usize]);
        let want = base_k * scale * soc * ctx.liveliness;
        let picks = r.poisson(want / 1.6).min(m as u64 - 1);
        // Reach grows faster than degree: very social people know people across the
        // whole context, so their friends know each other less often.
        let reach = 1.0 + want.powf(1.3) / 14.0;
        for _ in 0..picks {
            let off = 1 + r.exponential(reach) as usize;
            let off = 1 + (off - 1) % (m - 1);
            let q = if r.chance(0.5) { p + off } else { p + m - off } % m;
            let v = ctx.members[q];
            // Similar people befriend each other more (homophily in sociability).
            let sv = f64::from(pop.sociability[v as usize]);
            if !r.chance((sv / soc).min(soc / sv).sqrt()) {
                continue;
            }
            let rel = if off <= 2 && r.chance(0.12) {
                Relation::CloseFriend
            } else {
                rel
            };
            out.push(pack(u, v, rel));
        }
    }
    out
}

fn special_and_long_range(config: &GeneratorConfig, pop: &Population, u: u32) -> Vec<u64> {
    let n = pop.len() as u64;
    let mut r = Rng::new(config.seed, Stream::Special, u64::from(u), 0);
    let mut out = Vec::new();
    let pick_other = |r: &mut Rng| {
        let v = r.below(n) as u32;
        (v != u && pop.account[v as usize] == AccountType::Person).then_some(v)
    };
    match pop.account[u as usize] {
        AccountType::Broadcaster => {
            // Sociable people follow more accounts: followers are drawn in proportion to
            // sociability, so a hub's neighbours are not typical low-degree people.
            let followers = r.pareto(100.0, 1.6).min(f64::from(config.max_degree)) as usize;
            let mut tries = 0;
            let mut got = 0;
            while got < followers && tries < 20 * followers {
                tries += 1;
                if let Some(v) = pick_other(&mut r)
                    && r.chance(f64::from(pop.sociability[v as usize]) / 3.0)
                {
                    out.push(pack(u, v, Relation::Service));
                    got += 1;
                }
            }
        }
        AccountType::Spammer => {
            let victims = r.poisson(120.0);
            out.extend(
                (0..victims)
                    .filter_map(|_| pick_other(&mut r))
                    .map(|v| pack(u, v, Relation::Service)),
            );
            return out;
        }
        AccountType::Person => {}
    }
    // Long-range ties: old friends who moved away, met online, former classmates. Partners
    // are drawn near one's own sociability, so social people befriend social people.
    let soc = f64::from(pop.sociability[u as usize]);
    let picks = r.poisson(LONG_RANGE_PICKS * config.degree_scale * soc);
    for _ in 0..picks {
        let v = r.below(n) as u32;
        if v == u || pop.account[v as usize] != AccountType::Person {
            continue;
        }
        let sv = f64::from(pop.sociability[v as usize]);
        if !r.chance((sv / soc).min(soc / sv)) {
            continue;
        }
        let x = r.f64();
        let rel = if x < 0.1 {
            Relation::CloseFriend
        } else if x < 0.25 {
            Relation::Classmate
        } else {
            Relation::Acquaintance
        };
        out.push(pack(u, v, rel));
    }
    out
}

/// How strongly a tie of each relation pulls its two ends' friends together in triadic
/// closure (index order of [`Relation`]): partners and family merge their circles, close
/// friends introduce each other's close friends, weak ties rarely introduce anyone
/// (Granovetter 1973: strong ties close triangles; Onnela et al. 2007: overlap rises with
/// tie strength).
const CLOSURE_PULL: [f64; 7] = [1.0, 0.8, 0.7, 0.05, 0.05, 0.02, 0.0];

/// Picks one of `u`'s entries with probability proportional to [`CLOSURE_PULL`] of its
/// relation (rejection sampling; `None` when a few tries find nothing).
fn pick_by_pull(r: &mut Rng, net: &Network, u: usize) -> Option<usize> {
    let range = net.range(u);
    if range.is_empty() {
        return None;
    }
    for _ in 0..12 {
        let e = range.start + r.below(range.len() as u64) as usize;
        if r.chance(CLOSURE_PULL[net.relation[e].index()]) {
            return Some(e);
        }
    }
    None
}

fn closure_edges(seed: u64, scale: f64, pop: &Population, net: &Network, u: u32) -> Vec<u64> {
    let ui = u as usize;
    if pop.account[ui] != AccountType::Person || net.degree(ui) == 0 {
        return Vec::new();
    }
    let mut r = Rng::new(seed, Stream::Closure, u64::from(u), 0);
    let picks = r.poisson(CLOSURE_PICKS * scale * f64::from(pop.sociability[ui]));
    let mut out = Vec::with_capacity(picks as usize);
    for _ in 0..picks {
        // A friend of a friend, both steps weighted by tie strength: people meet their
        // partner's family, their close friends' close friends.
        let Some(e) = pick_by_pull(&mut r, net, ui) else {
            continue;
        };
        let v = net.alters[e] as usize;
        let Some(f) = pick_by_pull(&mut r, net, v) else {
            continue;
        };
        let w = net.alters[f];
        if w == u || pop.account[w as usize] != AccountType::Person {
            continue;
        }
        let strength =
            CLOSURE_PULL[net.relation[e].index()] * CLOSURE_PULL[net.relation[f].index()];
        let rel = if r.chance(0.04 + 0.3 * strength) {
            Relation::CloseFriend
        } else {
            Relation::Acquaintance
        };
        out.push(pack(u, w, rel));
    }
    out
}

/// Sorts packed edges and keeps one per pair, the strongest relation; drops self-loops.
fn dedup(mut edges: Vec<u64>) -> Vec<u64> {
    edges.par_sort_unstable();
    edges.dedup_by(|b, a| (*a >> REL_BITS) == (*b >> REL_BITS));
    edges.retain(|&k| {
        let (lo, hi, _) = unpack(k);
        lo != hi
    });
    edges
}

/// Enforces the degree cap, keeping the strongest ties of over-full people (random
/// among equals).
fn cap_degrees(seed: u64, n: usize, cap: usize, edges: Vec<u64>) -> Vec<u64> {
    let mut degree = vec![0u32; n];
    for &k in &edges {
        let (a, b, _) = unpack(k);
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    let over = |x: u32| degree[x as usize] as usize > cap;
    if !degree.iter().any(|&d| d as usize > cap) {
        return edges;
    }
    let (mut touching, mut keep): (Vec<u64>, Vec<u64>) = edges.into_iter().partition(|&k| {
        let (a, b, _) = unpack(k);
        over(a) || over(b)
    });
    touching.sort_by_key(|&k| ((k & ((1 << REL_BITS) - 1)), key(seed, Stream::Tie, k, 1)));
    let mut count = vec![0u32; n];
    for k in touching {
        let (a, b, _) = unpack(k);
        let full = |x: u32| over(x) && count[x as usize] as usize >= cap;
        if !full(a) && !full(b) {
            count[a as usize] += 1;
            count[b as usize] += 1;
            keep.push(k);
        }
    }
    keep.par_sort_unstable();
    keep
}

fn to_csr(n: usize, edges: Vec<u64>) -> Network {
    let mut offsets = vec![0u64; n + 1];
    for &k in &edges {
        let (a, b, _) = unpack(k);
        offsets[a as usize + 1] += 1;
        offsets[b as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let total = offsets[n] as usize;
    let mut alters = vec![0u32; total];
    let mut relation = vec![Relation::Service; total];
    let mut fill: Vec<u64> = offsets[..n].to_vec();
    // Pairs are sorted by (lo, hi): each row fills in increasing alter order.
    for k in edges {
        let (a, b, rel) = unpack(k);
        for (x, y) in [(a, b), (b, a)] {
            let slot = fill[x as usize] as usize;
            alters[slot] = y;
            relation[slot] = rel;
            fill[x as usize] += 1;
        }
    }
    Network {
        offsets,
        alters,
        relation,
        layer: vec![0; total],
    }
}

fn to_edges(net: &Network) -> Vec<u64> {
    let mut out = Vec::with_capacity(net.tie_count());
    for u in 0..net.len() {
        for e in net.range(u) {
            let v = net.alters[e];
            if (u as u32) < v {
                out.push(pack(u as u32, v, net.relation[e]));
            }
        }
    }
    out
}

/// Per-person cumulative layer sizes: the configured sizes times a lognormal factor,
/// stochastically rounded, at least 1 and strictly growing.
pub fn layer_sizes(config: &GeneratorConfig, u: u32) -> [usize; 5] {
    let mut r = Rng::new(config.seed, Stream::Layers, u64::from(u), 0);
    let f = r.lognormal_mean1(config.layer_spread);
    let mut out = [0usize; 5];
    let mut prev = 0usize;
    for (slot, &size) in out.iter_mut().zip(&config.layer_sizes) {
        let x = size * f;
        let mut k = x.floor() as usize;
        if r.chance(x - x.floor()) {
            k += 1;
        }
        k = k.max(prev + 1);
        *slot = k;
        prev = k;
    }
    out
}

fn assign_layers(config: &GeneratorConfig, pop: &Population, net: &mut Network) {
    let seed = config.seed;
    let d = config.difficulty;
    let mut rows: Vec<&mut [u8]> = Vec::with_capacity(net.len());
    let mut rest = net.layer.as_mut_slice();
    for u in 0..net.offsets.len() - 1 {
        let len = (net.offsets[u + 1] - net.offsets[u]) as usize;
        let (row, tail) = rest.split_at_mut(len);
        rows.push(row);
        rest = tail;
    }
    let offsets = &net.offsets;
    let alters = &net.alters;
    let relation = &net.relation;
    rows.into_par_iter().enumerate().for_each(|(u, row)| {
        let start = offsets[u] as usize;
        let sizes = layer_sizes(config, u as u32);
        let mut ranked: Vec<(f64, u64, usize)> = (0..row.len())
            .filter(|&i| relation[start + i] != Relation::Service)
            .map(|i| {
                let v = alters[start + i];
                let c = closeness(seed, pop, d, u as u32, v, relation[start + i]);
                (c, key(seed, Stream::Layers, u as u64, u64::from(v)), i)
            })
            .collect();
        ranked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        row.fill(tierank_format::schema::OUTSIDE_LAYERS as u8);
        for (rank, &(_, _, i)) in ranked.iter().enumerate() {
            if let Some(layer) = sizes.iter().position(|&s| rank < s) {
                row[i] = layer as u8 + 1;
            }
        }
    });
}

//! Friendships, their planted closeness, and each person's Dunbar layers.
//!
//! Ties come from overlapping contexts (a small-world ring inside each context, so people
//! close in a context's seating order share friends), from triadic closure, and from a few
//! long-range ties between people of similar sociability (which makes degree assortative).
//! Broadcasters gain followers and spammers gain victims through "service" ties.

use std::sync::atomic::AtomicBool;

use rayon::prelude::*;
use tierank_format::{AccountType, Relation};

use crate::config::GeneratorConfig;
use crate::difficulty::Difficulty;
use crate::population::{ContextKind, Population};
use crate::rng::{Rng, Stream, key, unit};
use crate::{GenError, check_cancelled};

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
    /// How embedded the tie is: the square root of its neighbourhood overlap (Onnela et
    /// al. 2007), `√(|C_uv| / ((k_u − 1) + (k_v − 1) − |C_uv|))`, in 255ths (the root spreads
    /// the small overlaps of weak ties over more steps), the same in both directions. It
    /// raises the tie's closeness ([`closeness`]).
    pub embedding: Vec<u8>,
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

    /// The embedding of entry `e` (√overlap) in `[0, 1]`.
    #[inline]
    pub fn embedding_of(&self, e: usize) -> f64 {
        f64::from(self.embedding[e]) / 255.0
    }
}

/// Mean triadic-closure picks per person (times sociability and `degree_scale`). Each pick
/// is also a gathering ([`GATHERING_MEMBERS`]), so a pick adds several ties: 90 picks of one
/// friend of a friend each, before gatherings, gave the same median degree as 30 with them.
const CLOSURE_PICKS: f64 = 30.0;

/// Most people, besides the friend of a friend it is about, that one meets and befriends at
/// a gathering: when `u` meets `w` through their common friend `v` (a dinner, a birthday, a
/// match at `v`'s), `u` also befriends some of the people who know both `v` and `w`, the
/// others who were there. Friendships form in shared foci far more often than between
/// strangers (Feld 1981, "The focused organization of social ties", AJS 86:1015; Kossinets &
/// Watts 2006, "Empirical analysis of an evolving social network", Science 311:88: focal
/// and triadic closure together), and meeting several people at once is what closes many
/// triangles per tie. One friend of a friend per pick closes about one triangle per tie it
/// adds, which cannot lift an ego of degree 150 (11,175 pairs) to Facebook's clustering of
/// 0.14 (Ugander et al. 2011): on `medium` seed 1, 90 plain picks gave 0.092 at degree
/// 100–199, and 30 picks of up to 8 give 0.104 (3 days; docs/realism.md, "Gatherings").
const GATHERING_MEMBERS: u32 = 8;

/// Tries per member when looking for the others at a gathering (people in both `v`'s and
/// `w`'s friend lists), so a pair with few friends in common costs a bounded number of draws.
const GATHERING_TRIES_PER_MEMBER: u32 = 8;

/// Degree above which a person at a gathering is less likely to become a new friend:
/// accepted with chance `min(1, GATHERING_REFERENCE_DEGREE / degree)^GATHERING_DEGREE_EXPONENT`
/// (degree before closure). Someone found in both `v`'s and `w`'s lists is a hub far more
/// often than a random person (the friendship paradox: the chance is about proportional to
/// degree), and a hub has less time for each new acquaintance. Without this, gatherings
/// joined ordinary people to hubs and made assortativity negative (`small` seed 3: −0.028);
/// with a chance proportional to the ratio of the two ends' sociabilities instead, hubs met
/// only hubs, and clustering rose from degree 100–199 to 200–499 (0.142 to 0.153 on `small`
/// seed 3, against a fall on Facebook).
const GATHERING_REFERENCE_DEGREE: f64 = 60.0;

/// Exponent of the degree discount of [`GATHERING_REFERENCE_DEGREE`]: 1 removes the hub bias
/// entirely but thinned the degree tail (`small` seed 3: mean/median 1.47 against at least
/// 1.5); 0.5 left assortativity at 0.002; 0.75 gave 0.017 with mean/median 1.54.
const GATHERING_DEGREE_EXPONENT: f64 = 0.75;

/// Mean long-range picks per unit of outreach (times `degree_scale`): mostly weak ties with
/// no friends in common, which keeps the overlap of weak ties low.
const LONG_RANGE_PICKS: f64 = 55.0;

/// How far along a context's ring a person's picks reach: `1 + want^1.7 / 150` seats on
/// average, for a wish of `want` ties. People with an ordinary wish (≈ 39 colleagues reach
/// ≈ 4 seats, a wish of 90 reaches 15) know mostly their neighbours, whose friends they share; the reach grows
/// faster than the wish, so very social people's friends know each other less often and
/// clustering falls with degree (Ugander et al. 2011).
const RING_REACH_POWER: f64 = 1.7;
/// See [`RING_REACH_POWER`].
const RING_REACH_DIVISOR: f64 = 150.0;

/// Base closeness of each relation (index order of [`Relation`]).
const BASE_CLOSENESS: [f64; 7] = [0.90, 0.58, 0.62, 0.30, 0.30, 0.14, 0.03];

/// How much a tie's embedding (√ of its neighbourhood overlap, [`Network::embedding`])
/// moves its closeness: `EMBEDDING_WEIGHT · (embedding − EMBEDDING_CENTER)`. People who
/// share many friends see each other more and become closer, and close friends introduce
/// each other to their friends: tie strength and embeddedness go together (Granovetter
/// 1973: "the stronger the tie between A and B, the larger the proportion of individuals
/// to whom they will both be tied"; Onnela et al. 2007 measure overlap rising with call
/// volume; Gilbert & Karahalios 2009 find mutual friends among the predictors of tie
/// strength). Without it, a colleague one sits next to and a colleague from another floor
/// are equally close, and the bridges between communities (long-range ties, no friends in
/// common) are as strong as the ties inside them, so removing weak ties first does not
/// fragment the network faster (Onnela's percolation result fails).
const EMBEDDING_WEIGHT: f64 = 1.6;
/// The embedding of a typical tie (√0.04): ties more embedded than this gain closeness,
/// less embedded ones lose it, so the mean closeness of a relation barely moves.
const EMBEDDING_CENTER: f64 = 0.2;

/// Latent closeness of `alter` to `ego` (per direction), in `[0, 1]`.
///
/// Relation type sets the base, moved by how embedded the tie is (`embedding`, see
/// [`EMBEDDING_WEIGHT`]); a noise term shared by both directions and a smaller
/// per-direction term make closeness vary within a type and differ between directions.
/// Higher difficulty widens both ([`Difficulty`]), so relation type and embedding predict
/// closeness less well.
pub fn closeness(
    seed: u64,
    pop: &Population,
    difficulty: f64,
    ego: u32,
    alter: u32,
    rel: Relation,
    embedding: f64,
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
    let terms = Difficulty::new(difficulty);
    let mut base = BASE_CLOSENESS[rel.index()] + EMBEDDING_WEIGHT * (embedding - EMBEDDING_CENTER);
    if rel == Relation::Family && pop.household[ego as usize] == pop.household[alter as usize] {
        base += 0.17;
    }
    let shared = Rng::new(seed, Stream::Tie, u64::from(lo), u64::from(hi)).normal();
    let own = Rng::new(seed, Stream::Direction, u64::from(ego), u64::from(alter)).normal();
    let c = base + terms.closeness_sigma_shared * shared + terms.closeness_sigma_own * own;
    c.clamp(0.01, 0.995)
}

/// The closeness `ego`'s behaviour towards `alter` expresses: what drives the volume of
/// their direct interactions, as opposed to [`closeness`], the planted truth.
///
/// `(1 − w)·closeness + w·c'`, with `w` = [`Difficulty::hidden_weight`] (0.1875 at the
/// default) and `c'` a second closeness draw of the same form, whose relation is the tie's
/// own with probability `1 − 0.6·difficulty` and otherwise any of the six person-to-person
/// relations: at difficulty 0 behaviour follows closeness exactly, at difficulty 1 nine
/// tenths of it is unrelated to how close the two are (a colleague one writes to all day, a partner
/// one rarely messages). Heavy communication then no longer implies a strong tie, which
/// caps what any heuristic or model can recover from the events (Wiese et al. 2015: little
/// communication does not imply a weak tie; Gilbert & Karahalios 2009 reach ≈ 85 %, not
/// 100 %).
pub fn expressed_closeness(
    seed: u64,
    pop: &Population,
    difficulty: f64,
    ego: u32,
    alter: u32,
    rel: Relation,
    embedding: f64,
) -> f64 {
    let c = closeness(seed, pop, difficulty, ego, alter, rel, embedding);
    let terms = Difficulty::new(difficulty);
    let w = terms.hidden_weight;
    if w <= 0.0 || rel == Relation::Service {
        return c;
    }
    let mut r = Rng::new(
        seed,
        Stream::Direction,
        u64::from(ego),
        u64::from(alter) | (1 << 40),
    );
    let shown = if r.chance(terms.relation_swap) {
        Relation::from_index(r.below(6) as usize).unwrap_or(rel)
    } else {
        rel
    };
    let hidden = BASE_CLOSENESS[shown.index()] + terms.closeness_sigma_shared * r.normal();
    ((1.0 - w) * c + w * hidden).clamp(0.01, 0.995)
}

/// Builds the friendship graph and assigns Dunbar layers.
pub fn build(config: &GeneratorConfig, pop: &Population) -> Network {
    match build_cancellable(config, pop, None) {
        Ok(net) => net,
        Err(e) => unreachable!("only cancellation can fail, and nothing cancels: {e}"),
    }
}

/// [`build`], stopping with [`GenError::Cancelled`] soon after `cancel` is set: once it is,
/// the per-person steps yield nothing and the stage returns at its end.
///
/// # Errors
/// [`GenError::Cancelled`] only.
pub fn build_cancellable(
    config: &GeneratorConfig,
    pop: &Population,
    cancel: Option<&AtomicBool>,
) -> Result<Network, GenError> {
    // Each per-person (per-context) step yields nothing once cancelled; a run that is not
    // cancelled draws exactly what it drew before.
    let live = || !crate::is_cancelled(cancel);
    let n = pop.len();
    let seed = config.seed;
    let scale = config.degree_scale;

    // 1. Ties inside contexts, households and special accounts.
    let mut edges: Vec<u64> = pop
        .contexts
        .par_iter()
        .enumerate()
        .flat_map_iter(|(ci, ctx)| {
            if live() {
                context_edges(seed, scale, pop, ci as u64, ctx)
            } else {
                Vec::new()
            }
        })
        .collect();
    check_cancelled(cancel)?;
    let outreach = Outreach::new(seed, pop);
    edges.par_extend((0..n as u32).into_par_iter().flat_map_iter(|u| {
        if live() {
            special_and_long_range(config, pop, &outreach, u)
        } else {
            Vec::new()
        }
    }));
    drop(outreach);
    check_cancelled(cancel)?;
    log::debug!("{} candidate context ties", edges.len());
    let mut net = to_csr(n, dedup(edges));

    // 2. Triadic closure: friends of friends become acquaintances or close friends; and
    // partners and close friends meet the ego's other circles (both from the context ties).
    let closure: Vec<u64> = (0..n as u32)
        .into_par_iter()
        .flat_map_iter(|u| {
            if live() {
                closure_edges(seed, scale, pop, &net, u)
            } else {
                Vec::new()
            }
        })
        .collect();
    check_cancelled(cancel)?;
    let bridges: Vec<u64> = (0..n as u32)
        .into_par_iter()
        .flat_map_iter(|u| {
            if live() {
                bridge_edges(seed, pop, &net, u)
            } else {
                Vec::new()
            }
        })
        .collect();
    check_cancelled(cancel)?;
    log::debug!(
        "{} closure and {} bridging ties",
        closure.len(),
        bridges.len()
    );
    let mut edges = to_edges(&net);
    drop(net);
    edges.extend(closure);
    edges.extend(bridges);
    let edges = cap_degrees(seed, n, config.max_degree as usize, dedup(edges));
    net = to_csr(n, edges);
    check_cancelled(cancel)?;
    assign_embedding(&mut net, &live);
    check_cancelled(cancel)?;

    // 3. Dunbar layers per ego.
    assign_layers(config, pop, &mut net, &live);
    check_cancelled(cancel)?;
    Ok(net)
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
        ContextKind::Work => (38.9, Relation::Colleague),
        ContextKind::School => (60.5, Relation::Classmate),
        ContextKind::Neighbourhood => (8.65, Relation::Acquaintance),
        ContextKind::Interest => (8.65, Relation::Acquaintance),
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
        let reach = 1.0 + want.powf(RING_REACH_POWER) / RING_REACH_DIVISOR;
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

fn special_and_long_range(
    config: &GeneratorConfig,
    pop: &Population,
    outreach: &Outreach,
    u: u32,
) -> Vec<u64> {
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
    out.extend(long_range(config, pop, outreach, u, &mut r));
    out
}

/// Long-range ties: old friends who moved away, met online, former classmates. Each person
/// makes Poisson picks in proportion to their *outreach* (sociability × a heavy-tailed online
/// factor), and the other end is drawn from the [`LONG_RANGE_WINDOW`] people around them in
/// proportion to outreach^0.5 (a damped Chung–Lu
/// model: expected degree grows with outreach, so the heavy tail of outreach becomes a
/// heavier degree tail). Picks are accepted with `min(o_u/o_v, o_v/o_u)^0.3`: people befriend people of
/// similar outreach, which keeps degree assortative.
fn long_range(
    config: &GeneratorConfig,
    pop: &Population,
    outreach: &Outreach,
    u: u32,
    r: &mut Rng,
) -> Vec<u64> {
    let mut out = Vec::new();
    let ru = outreach.of[u as usize];
    if ru <= 0.0 || outreach.total <= 0.0 {
        return out;
    }
    let picks = r.poisson(LONG_RANGE_PICKS * config.degree_scale * ru);
    let window = long_range_window(u, pop.len());
    for _ in 0..picks {
        let v = outreach.draw(r, window.clone());
        if v == u || pop.account[v as usize] != AccountType::Person {
            continue;
        }
        let rv = outreach.of[v as usize];
        if !r.chance((rv / ru).min(ru / rv).powf(LONG_RANGE_HOMOPHILY)) {
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

/// Long-range partners are drawn in proportion to outreach to this power: 0.5, so a
/// person's long-range degree grows mostly with their own outreach and the people with a
/// large outreach do not all befriend each other (with 0.75 they formed, on 10,000 people,
/// a dense rich club whose clustering rose with degree; Ugander et al. 2011 see it fall).
const DRAW_POWER: f64 = 0.5;

/// Exponent of the similarity acceptance of long-range picks: weak, so people with a large
/// outreach still befriend ordinary people (a strong one would confine hubs to each other
/// and cut the tail).
const LONG_RANGE_HOMOPHILY: f64 = 0.3;

/// σ of the mean-1 lognormal online factor of outreach: median 0.11, 99.9th percentile ≈ 72,
/// so a few ordinary people have a thousand or more long-range friends (Ugander et al. 2011:
/// mean degree ≈ 1.9 × the median, a long tail under the 5,000 cap).
const ONLINE_SIGMA: f64 = 2.1;

/// Every person's long-range outreach and the cumulative sum of outreach^0.5, for drawing
/// people.
struct Outreach {
    of: Vec<f64>,
    cumulative: Vec<f64>,
    total: f64,
}

impl Outreach {
    fn new(seed: u64, pop: &Population) -> Self {
        let of: Vec<f64> = (0..pop.len())
            .into_par_iter()
            .map(|u| {
                if pop.account[u] != AccountType::Person {
                    return 0.0;
                }
                let online =
                    Rng::new(seed, Stream::Person, u as u64, 1).lognormal_mean1(ONLINE_SIGMA);
                f64::from(pop.sociability[u]) * online
            })
            .collect();
        let mut cumulative = Vec::with_capacity(of.len());
        let mut total = 0.0;
        for &x in &of {
            total += x.powf(DRAW_POWER);
            cumulative.push(total);
        }
        Self {
            of,
            cumulative,
            total,
        }
    }

    /// A person of `u`'s social world ([`long_range_window`]) drawn with probability
    /// proportional to outreach^0.5: people with a large outreach are found more often, but
    /// not so much more that they would all befriend each other (a dense rich club would
    /// give hubs a high clustering). With the whole population as the window this is the
    /// global draw of earlier versions, to the bit (`0.0 + x == x`).
    fn draw(&self, r: &mut Rng, window: std::ops::Range<usize>) -> u32 {
        let base = if window.start == 0 {
            0.0
        } else {
            self.cumulative[window.start - 1]
        };
        let top = self.cumulative[window.end - 1];
        let x = base + r.f64() * (top - base);
        let i = self.cumulative.partition_point(|&c| c <= x);
        i.clamp(window.start, window.end - 1) as u32
    }
}

/// People in one person's social world, the pool their long-range ties are drawn from:
/// 10,000, the size of the `small` preset, whose structure passes every realism check.
/// With gatherings ([`GATHERING_MEMBERS`]) a narrower world closes more triangles, since
/// long-range ties drawn from fewer people share more friends: `medium` seed 1's clustering
/// at degree 100–199 was 0.104 with 10,000, 0.115 with 7,000 and 0.127 with 5,000 (3-day
/// runs). But it also tightens the hubs' rich club: with 7,000, `medium` seed 2's clustering
/// rose by 0.010 from degree 100–199 to 200–499 (check: at most 0.01), and on `small`, where
/// the window is a share of everyone, seed 5 reached 0.177 (0.208 with 5,000; bound 0.20).
///
/// Friendship is local: the chance that two people are friends falls with the distance
/// between them, roughly as its inverse (Liben-Nowell et al. 2005, "Geographic routing in
/// social networks", PNAS 102:11623; Backstrom, Sun & Marlow 2010, "Find me if you can",
/// WWW), so long-range ties are long compared with a neighbourhood or a workplace, not
/// drawn from the whole country. Drawn from everyone, they behaved differently at each
/// size: on 10,000 people a hub's thousands of friends are a large share of everyone, so
/// any two friends share a few of them and triangles close by chance; on 100,000 that
/// background is ten times thinner (`medium` seed 1: clustering at degree 100–199 0.062,
/// the partner first by embeddedness for 0.65 of egos, against 0.13 and 0.31 on `small`).
/// Drawing within a window of the same size on every preset makes `medium` and `large` a
/// patchwork of `small`-like worlds that overlap (people are indexed by region, then
/// neighbourhood), so they still form one network.
pub const LONG_RANGE_WINDOW: usize = 10_000;

/// The index range `u`'s long-range ties are drawn from: [`LONG_RANGE_WINDOW`] people
/// around `u` in the internal order (region, neighbourhood, household), shifted to fit
/// inside `0..n`; everyone when `n` is no larger.
fn long_range_window(u: u32, n: usize) -> std::ops::Range<usize> {
    let w = LONG_RANGE_WINDOW.min(n);
    let lo = (u as usize).saturating_sub(w / 2);
    let hi = (lo + w).min(n);
    hi - w..hi
}

/// How strongly a tie of each relation pulls its two ends' friends together in triadic
/// closure (index order of [`Relation`]): partners and family merge their circles, close
/// friends introduce each other's close friends, weak ties rarely introduce anyone
/// (Granovetter 1973: strong ties close triangles; Onnela et al. 2007: overlap rises with
/// tie strength).
const CLOSURE_PULL: [f64; 7] = [1.0, 0.8, 0.7, 0.05, 0.05, 0.02, 0.0];

/// The closure pull of a relation.
fn pull(rel: Relation) -> f64 {
    CLOSURE_PULL[rel.index()]
}

/// Picks one of `u`'s entries with probability proportional to [`CLOSURE_PULL`] of its
/// relation (rejection sampling; `None` when a few tries find nothing).
fn pick_by_pull(r: &mut Rng, net: &Network, u: usize) -> Option<usize> {
    let range = net.range(u);
    if range.is_empty() {
        return None;
    }
    for _ in 0..12 {
        let e = range.start + r.below(range.len() as u64) as usize;
        if r.chance(pull(net.relation[e])) {
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
    // Gatherings draw from their own stream (b = 2), so the friend-of-friend draws do not
    // depend on how many tries each gathering took.
    let mut g = Rng::new(seed, Stream::Closure, u64::from(u), 2);
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
        let strength = pull(net.relation[e]) * pull(net.relation[f]);
        let rel = if r.chance(0.04 + 0.3 * strength) {
            Relation::CloseFriend
        } else {
            Relation::Acquaintance
        };
        out.push(pack(u, w, rel));
        gathering(&mut g, pop, net, u, v, w as usize, &mut out);
    }
    out
}

/// The others `u` befriends at the gathering where it met `w` through `v`: up to
/// [`GATHERING_MEMBERS`] people who are friends of both, each accepted with the degree
/// discount of [`GATHERING_REFERENCE_DEGREE`]. They become acquaintances: a gathering's
/// strangers are weak ties until events say otherwise.
fn gathering(
    r: &mut Rng,
    pop: &Population,
    net: &Network,
    u: u32,
    v: usize,
    w: usize,
    out: &mut Vec<u64>,
) {
    let (v_friends, w_range) = (&net.alters[net.range(v)], net.range(w));
    if w_range.is_empty() {
        return;
    }
    let mut met = 0;
    for _ in 0..GATHERING_MEMBERS * GATHERING_TRIES_PER_MEMBER {
        let x = net.alters[w_range.start + r.below(w_range.len() as u64) as usize];
        if x == u
            || pop.account[x as usize] != AccountType::Person
            || v_friends.binary_search(&x).is_err()
        {
            continue;
        }
        let discount = (GATHERING_REFERENCE_DEGREE / net.degree(x as usize).max(1) as f64)
            .min(1.0)
            .powf(GATHERING_DEGREE_EXPONENT);
        if r.chance(discount) {
            out.push(pack(u, x, Relation::Acquaintance));
            met += 1;
            if met == GATHERING_MEMBERS {
                return;
            }
        }
    }
}

/// Chance that one's partner befriends each of one's friends, by the relation of that
/// friend (index order of [`Relation`]): couples share close friends and meet a share of
/// each other's colleagues, classmates and club friends. This is what makes a partner's
/// mutual friends span several of the ego's circles (household, work, school, friends),
/// which dispersion detects (Backstrom & Kleinberg 2014). Close friends 0.47, colleagues
/// and classmates 0.21, acquaintances 0.10. History: 0.16 / 0.09 ranked the partner first by recursive
/// dispersion for only 0.26-0.33 of egos on small seeds 1-5 and 7 (≈ 0.5 on Facebook);
/// 0.35 / 0.17 fixed that on `small`, but once long-range ties stayed in a person's world
/// ([`LONG_RANGE_WINDOW`]) `medium` seed 1 ranked the partner first by embeddedness for
/// 0.43 of egos and by dispersion for 0.57 (bounds 0.37 and 0.52); with 0.7 times those
/// rates it gave 0.35 and 0.46. Gatherings ([`GATHERING_MEMBERS`]) knit the ego's other
/// circles more densely, so the partner, whose mutual friends span them, stands out more:
/// with 0.55 / 0.25 / 0.12, `medium` seed 3 ranked the partner first by dispersion for
/// 0.521 of egos at 90 days (bound 0.52); with 0.85 times those, 0.471 (3 days).
const PARTNER_MEETS: [f64; 7] = [0.0, 0.0, 0.47, 0.21, 0.21, 0.10, 0.0];

/// Chance that a close friend knows each member of one's household: close friends come
/// home, so they bridge the household and the circle they came from.
const CLOSE_FRIEND_MEETS_HOUSEHOLD: f64 = 0.2;

/// Ties that bridge an ego's circles: `u` befriends some friends of its partner, and `u`'s
/// household members befriend some of `u`'s close friends. Drawn from `Stream::Closure`
/// with `b = 1` (closure itself uses `b = 0`, its gatherings `b = 2`).
fn bridge_edges(seed: u64, pop: &Population, net: &Network, u: u32) -> Vec<u64> {
    let ui = u as usize;
    if pop.account[ui] != AccountType::Person {
        return Vec::new();
    }
    let mut r = Rng::new(seed, Stream::Closure, u64::from(u), 1);
    let mut out = Vec::new();
    let household = |e: usize| {
        matches!(net.relation[e], Relation::Partner | Relation::Family)
            && pop.household[net.alters[e] as usize] == pop.household[ui]
    };
    for e in net.range(ui) {
        let v = net.alters[e];
        match net.relation[e] {
            Relation::Partner => {
                for f in net.range(v as usize) {
                    let w = net.alters[f];
                    let rel = net.relation[f];
                    if w == u
                        || pop.account[w as usize] != AccountType::Person
                        || !r.chance(PARTNER_MEETS[rel.index()])
                    {
                        continue;
                    }
                    let rel = if rel == Relation::CloseFriend && r.chance(0.3) {
                        Relation::CloseFriend
                    } else {
                        Relation::Acquaintance
                    };
                    out.push(pack(u, w, rel));
                }
            }
            Relation::CloseFriend if pop.account[v as usize] == AccountType::Person => {
                for h in net.range(ui) {
                    if household(h) && r.chance(CLOSE_FRIEND_MEETS_HOUSEHOLD) {
                        out.push(pack(v, net.alters[h], Relation::Acquaintance));
                    }
                }
            }
            _ => {}
        }
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
        embedding: vec![0; total],
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

/// Number of common elements of two sorted lists.
fn common_count(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut c) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                c += 1;
                i += 1;
                j += 1;
            }
        }
    }
    c
}

/// Fills [`Network::embedding`]: each tie's overlap from a merge of the two sorted friend
/// lists, `O(Σ_u k_u²)` in all (about 0.5 s on `small`), computed once per tie (from its
/// smaller end) and mirrored.
///
/// `live` is checked per person: once it turns false the rest are left at 0 and the caller
/// stops. (On 30,000 people the steps after the closure, this one included, ran 5.4 s with a
/// check only between steps, and a Ctrl-C in Python once waited 4.5 s for them.)
fn assign_embedding(net: &mut Network, live: &(dyn Fn() -> bool + Sync)) {
    let g: &Network = net;
    let n = g.len();
    let half: Vec<Vec<u8>> = (0..n)
        .into_par_iter()
        .map(|u| {
            let mine = &g.alters[g.range(u)];
            if !live() {
                return vec![0; mine.len()];
            }
            mine.iter()
                .map(|&v| {
                    if (v as usize) < u {
                        return 0;
                    }
                    let theirs = &g.alters[g.range(v as usize)];
                    let c = common_count(mine, theirs);
                    let denom = (mine.len() + theirs.len()).saturating_sub(2 + c);
                    let overlap = if denom == 0 {
                        0.0
                    } else {
                        c as f64 / denom as f64
                    };
                    (overlap.sqrt() * 255.0).round().min(255.0) as u8
                })
                .collect()
        })
        .collect();
    let embedding: Vec<u8> = (0..n)
        .into_par_iter()
        .flat_map_iter(|u| {
            let row = g.range(u);
            let half = &half;
            g.alters[row]
                .iter()
                .enumerate()
                .map(move |(i, &v)| {
                    let v = v as usize;
                    if v > u {
                        half[u][i]
                    } else {
                        let theirs = &g.alters[g.range(v)];
                        theirs.binary_search(&(u as u32)).map_or(0, |j| half[v][j])
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    net.embedding = embedding;
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

/// `live` is checked per ego: once it turns false the rest keep their layers unset and the
/// caller stops.
fn assign_layers(
    config: &GeneratorConfig,
    pop: &Population,
    net: &mut Network,
    live: &(dyn Fn() -> bool + Sync),
) {
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
    let embedding = &net.embedding;
    rows.into_par_iter().enumerate().for_each(|(u, row)| {
        if !live() {
            return;
        }
        let start = offsets[u] as usize;
        let sizes = layer_sizes(config, u as u32);
        let mut ranked: Vec<(f64, u64, usize)> = (0..row.len())
            .filter(|&i| relation[start + i] != Relation::Service)
            .map(|i| {
                let v = alters[start + i];
                let c = closeness(
                    seed,
                    pop,
                    d,
                    u as u32,
                    v,
                    relation[start + i],
                    f64::from(embedding[start + i]) / 255.0,
                );
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

#[cfg(test)]
mod window_tests {
    use super::*;

    /// The window always holds `min(n, LONG_RANGE_WINDOW)` people and contains `u`.
    #[test]
    fn the_window_is_full_sized_and_holds_the_person() {
        for n in [1usize, 2, 9_999, 10_000, 10_001, 100_000] {
            for u in [0, n / 3, n / 2, n - 1] {
                let w = long_range_window(u as u32, n);
                assert_eq!(w.len(), n.min(LONG_RANGE_WINDOW), "n {n} u {u}");
                assert!(w.contains(&u), "n {n} u {u}: {w:?}");
            }
        }
        assert_eq!(long_range_window(5_000, 10_000), 0..10_000);
        assert_eq!(long_range_window(50_000, 100_000), 45_000..55_000);
    }

    fn outreach(n: usize) -> Outreach {
        let of: Vec<f64> = (0..n)
            .map(|i| Rng::new(3, Stream::Person, i as u64, 1).lognormal_mean1(ONLINE_SIGMA))
            .collect();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for &x in &of {
            total += x.powf(DRAW_POWER);
            cumulative.push(total);
        }
        Outreach {
            of,
            cumulative,
            total,
        }
    }

    /// With everyone in the window, the windowed draw is the old global one, to the bit:
    /// `tiny` and `small` (n ≤ 10,000) keep their structure.
    #[test]
    fn a_window_of_everyone_draws_as_before() {
        let o = outreach(3_000);
        for i in 0..20_000u64 {
            let mut a = Rng::new(9, Stream::Special, i, 0);
            let mut b = a.clone();
            assert_eq!(
                o.draw(&mut a, 0..3_000),
                draw_everywhere(&o, &mut b),
                "draw {i}"
            );
        }
    }

    /// Draws stay inside the window, and reach both ends of it.
    #[test]
    fn draws_stay_in_the_window() {
        let o = outreach(30_000);
        let w = long_range_window(20_000, 30_000);
        let mut r = Rng::new(9, Stream::Special, 1, 0);
        let picks: Vec<u32> = (0..20_000).map(|_| o.draw(&mut r, w.clone())).collect();
        assert!(picks.iter().all(|&v| w.contains(&(v as usize))));
        let (lo, hi) = (picks.iter().min().unwrap(), picks.iter().max().unwrap());
        assert!((*lo as usize) < w.start + 500 && (*hi as usize) >= w.end - 500);
    }

    /// The global draw of earlier versions, kept to prove [`Outreach::draw`] reproduces it
    /// when the window is everyone.
    fn draw_everywhere(o: &Outreach, r: &mut Rng) -> u32 {
        let x = r.f64() * o.total;
        let i = o.cumulative.partition_point(|&c| c <= x);
        i.min(o.of.len() - 1) as u32
    }
}

#[cfg(test)]
mod gathering_tests {
    use super::*;
    use crate::config::Preset;

    /// At a gathering at `v`'s where `u` met `w`, `u` befriends only people who know both
    /// (never itself, never an organisation), as acquaintances, at most
    /// [`GATHERING_MEMBERS`] at a time; and a hub among them is met less often than an
    /// ordinary common friend, by the degree discount (without it, the friendship paradox
    /// made gatherings join ordinary people to hubs).
    #[test]
    fn a_gathering_befriends_common_friends_and_discounts_hubs() {
        let pop = crate::population::build(&GeneratorConfig::preset(Preset::Tiny), 0);
        let people: Vec<u32> = (0..pop.len() as u32)
            .filter(|&i| pop.account[i as usize] == AccountType::Person)
            .collect();
        let organisation =
            (0..pop.len() as u32).find(|&i| pop.account[i as usize] != AccountType::Person);
        let (u, v, w, hub) = (people[0], people[1], people[2], people[3]);
        let common = &people[4..14];
        let mut edges = vec![
            pack(u, v, Relation::CloseFriend),
            pack(u, w, Relation::Acquaintance),
            pack(v, w, Relation::CloseFriend),
            pack(v, hub, Relation::Acquaintance),
            pack(w, hub, Relation::Acquaintance),
        ];
        for &c in common {
            edges.push(pack(v, c, Relation::Acquaintance));
            edges.push(pack(w, c, Relation::Acquaintance));
        }
        // The hub's 600 other friends (degree 602, ten times the reference degree).
        edges.extend(
            people[14..614]
                .iter()
                .map(|&x| pack(hub, x, Relation::Acquaintance)),
        );
        if let Some(o) = organisation {
            edges.push(pack(v, o, Relation::Service));
            edges.push(pack(w, o, Relation::Service));
        }
        let net = to_csr(pop.len(), dedup(edges));

        let mut met = vec![0u32; pop.len()];
        let gatherings: u32 = 2_000;
        for s in 0..u64::from(gatherings) {
            let mut r = Rng::new(s, Stream::Closure, u64::from(u), 2);
            let mut out = Vec::new();
            gathering(&mut r, &pop, &net, u, v as usize, w as usize, &mut out);
            assert!(out.len() <= GATHERING_MEMBERS as usize, "{} met", out.len());
            for k in out {
                let (a, b, rel) = unpack(k);
                assert_eq!(rel, Relation::Acquaintance);
                assert!(a == u || b == u, "{a}-{b} does not involve u");
                met[(a ^ b ^ u) as usize] += 1;
            }
        }
        for (x, &times) in met.iter().enumerate() {
            let x = x as u32;
            assert!(
                times == 0 || x == hub || common.contains(&x),
                "met {x} {times} times, who is not a friend of both"
            );
        }
        let ordinary = common
            .iter()
            .map(|&c| f64::from(met[c as usize]))
            .sum::<f64>()
            / 10.0;
        let hub_rate = f64::from(met[hub as usize]) / ordinary;
        // Per try the hub is as likely to be drawn as each common friend; accepted with
        // (60 / 602)^0.75 ≈ 0.18 (more, relatively, since the cap stops the commons first).
        assert!(
            ordinary > 0.5 * f64::from(gatherings),
            "commons met {ordinary}"
        );
        assert!(
            hub_rate > 0.05 && hub_rate < 0.4,
            "hub met {hub_rate} as often"
        );
    }
}

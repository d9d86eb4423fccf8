//! Interaction events: per directed tie, sessions (bursts) placed on daily and weekly
//! cycles, with rates driven by closeness, relation type, the sender's activity and a set
//! of confounders; and group chats.

use tierank_format::{AccountType, Channel, Relation};

use crate::config::GeneratorConfig;
use crate::network::{Network, expressed_closeness};
use crate::population::{ContextKind, Population};
use crate::rng::{Rng, Stream, permute63};

const DAY_S: i64 = 86_400;

/// One event row before it is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventRow {
    /// Milliseconds since the epoch.
    pub ts: i64,
    /// Sender id.
    pub src: i64,
    /// Receiver id.
    pub dst: i64,
    /// [`Channel::index`].
    pub channel: u8,
    /// Call seconds or transfer amount; NaN for null.
    pub value: f64,
    /// Group id, 0 for null.
    pub group: i64,
}

impl EventRow {
    /// The total order rows are written in: time first, so position says nothing about the tie.
    pub fn sort_key(&self) -> (i64, i64, i64, u8, u64, i64) {
        (
            self.ts,
            self.src,
            self.dst,
            self.channel,
            self.value.to_bits(),
            self.group,
        )
    }
}

/// How a tie's activity evolves over the window (shared by both directions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamics {
    /// Steady.
    Steady,
    /// Formed during the window: silent before `formed_at`.
    New,
    /// Activity falls towards zero across the window.
    Fading,
    /// A close tie that barely interacts (old friends, far away).
    Dormant,
    /// Family who call but rarely write.
    QuietFamily,
    /// A weak tie (new acquaintance, colleague on a project) formed inside the window with
    /// an intense burst of traffic: volume without closeness.
    Burst,
}

/// Per-tie attributes derived from a hash of the pair, so they need no storage.
#[derive(Debug, Clone, Copy)]
pub struct TieInfo {
    /// When the friendship was formed, ms since the epoch.
    pub formed_at: i64,
    /// Its dynamics.
    pub dynamics: Dynamics,
}

/// The attributes of the tie between `a` and `b`.
pub fn tie_info(
    config: &GeneratorConfig,
    pop: &Population,
    start_ms: i64,
    a: u32,
    b: u32,
    rel: Relation,
) -> TieInfo {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let mut r = Rng::new(
        config.seed,
        Stream::Tie,
        u64::from(lo),
        u64::from(hi) | (1 << 40),
    );
    let d = config.difficulty;
    let window_ms = config.days * DAY_S * 1000;
    let x = r.f64();
    let close = matches!(
        rel,
        Relation::CloseFriend | Relation::Classmate | Relation::Family
    );
    let weak = matches!(
        rel,
        Relation::Colleague | Relation::Classmate | Relation::Acquaintance
    );
    let dynamics = if weak && x >= 1.0 - BURST_SHARE * d {
        Dynamics::Burst
    } else if x < 0.04 {
        Dynamics::New
    } else if x < 0.04 + 0.04 + 0.08 * d {
        Dynamics::Fading
    } else if close && rel != Relation::Family && r.chance(0.05 + 0.25 * d) {
        Dynamics::Dormant
    } else if rel == Relation::Family && r.chance(0.1 + 0.4 * d) {
        Dynamics::QuietFamily
    } else {
        Dynamics::Steady
    };
    let joined = pop.joined_at[lo as usize].max(pop.joined_at[hi as usize]);
    let formed_at = if matches!(dynamics, Dynamics::New | Dynamics::Burst) {
        start_ms + (r.f64() * 0.9 * window_ms as f64) as i64
    } else {
        joined + (r.f64() * (start_ms - joined) as f64) as i64
    };
    TieInfo {
        formed_at,
        dynamics,
    }
}

/// Share of weak ties that burst, at difficulty 1.
const BURST_SHARE: f64 = 0.012;
/// Daily event rate of a bursting tie per unit of sender activity: above a typical
/// partner's, so a burst can outrank the closest tie by volume.
const BURST_RATE: f64 = 2.0;

/// Channel weights (message, call, like, comment, transfer) by relation.
const CHANNEL_MIX: [[f64; 5]; 7] = [
    [0.62, 0.18, 0.08, 0.04, 0.08], // partner: everything
    [0.22, 0.48, 0.15, 0.10, 0.05], // family: calls more, writes less
    [0.62, 0.08, 0.16, 0.12, 0.02], // close friend
    [0.78, 0.08, 0.07, 0.07, 0.00], // colleague: writes, on weekdays
    [0.55, 0.04, 0.25, 0.16, 0.00], // classmate
    [0.25, 0.02, 0.50, 0.23, 0.00], // acquaintance: mostly likes
    [0.00, 0.00, 0.70, 0.30, 0.00], // service (follower to broadcaster)
];
const DIRECT_CHANNELS: [Channel; 5] = [
    Channel::Message,
    Channel::Call,
    Channel::Like,
    Channel::Comment,
    Channel::Transfer,
];
/// Mean events per session by channel (messages come in bursts).
const BURST_MEAN: [f64; 5] = [3.0, 1.0, 1.6, 1.0, 1.0];
/// Mean gap between events of a session, seconds.
const BURST_GAP_S: [f64; 5] = [80.0, 1.0, 25.0, 1.0, 1.0];
/// Relative activity by hour of day (UTC as local time).
const HOURLY: [f64; 24] = [
    0.25, 0.12, 0.06, 0.04, 0.04, 0.08, 0.25, 0.6, 0.9, 1.0, 1.0, 1.05, 1.2, 1.1, 1.0, 1.0, 1.05,
    1.15, 1.3, 1.45, 1.55, 1.5, 1.1, 0.6,
];
const WORK_HOURLY: [f64; 24] = [
    0.01, 0.0, 0.0, 0.0, 0.0, 0.01, 0.05, 0.3, 1.0, 1.3, 1.3, 1.2, 0.8, 1.1, 1.3, 1.2, 1.0, 0.6,
    0.2, 0.1, 0.05, 0.04, 0.03, 0.02,
];

/// Read-only inputs of event generation.
pub struct EventContext<'a> {
    /// Parameters.
    pub config: &'a GeneratorConfig,
    /// People.
    pub pop: &'a Population,
    /// Friendships.
    pub net: &'a Network,
    /// Window start, ms since the epoch.
    pub start_ms: i64,
    /// Which channels are kept (by [`Channel::index`]).
    pub keep_channel: [bool; 6],
}

/// Shape of one stream of sessions.
struct Sessions {
    channel: Channel,
    per_day: f64,
    burst_mean: f64,
    gap_s: f64,
    work: bool,
}

impl EventContext<'_> {
    fn window_s(&self) -> i64 {
        self.config.days * DAY_S
    }

    /// Appends the events `u` sends over every one of its ties.
    pub fn person_events(&self, u: u32, out: &mut Vec<EventRow>) {
        for e in self.net.range(u as usize) {
            self.tie_events(u, self.net.alters[e], self.net.relation[e], out);
        }
    }

    fn tie_events(&self, u: u32, v: u32, rel: Relation, out: &mut Vec<EventRow>) {
        let cfg = self.config;
        let pop = self.pop;
        let d = cfg.difficulty;
        let info = tie_info(cfg, pop, self.start_ms, u, v, rel);
        let mut r = Rng::new(cfg.seed, Stream::Events, u64::from(u), u64::from(v));
        let act = f64::from(pop.activity[u as usize]);
        let rate = cfg.event_rate;
        let mut streams: Vec<Sessions> = Vec::with_capacity(5);
        let sender = pop.account[u as usize];
        let receiver = pop.account[v as usize];
        if rel == Relation::Service
            || sender != AccountType::Person
            || receiver == AccountType::Spammer
        {
            // Special accounts: volume without closeness.
            let s = |channel, per_day| Sessions {
                channel,
                per_day: per_day * rate,
                burst_mean: 1.0,
                gap_s: 1.0,
                work: false,
            };
            match (sender, receiver) {
                (AccountType::Spammer, _) => streams.push(s(Channel::Message, 0.15 * (0.5 + d))),
                (_, AccountType::Spammer) => streams.push(s(Channel::Message, 0.002)),
                (AccountType::Broadcaster, _) if rel == Relation::Service => {
                    streams.push(s(Channel::Message, 0.02 + 0.04 * d));
                    streams.push(s(Channel::Like, 0.01));
                }
                _ => {
                    // A follower: some are fans who like and comment a lot.
                    let fan = r.lognormal_mean1(1.0 + 0.6 * d);
                    let base = 0.02 * act * fan * (0.5 + d);
                    streams.push(s(Channel::Like, base * 0.7));
                    streams.push(s(Channel::Comment, base * 0.3));
                    if sender == AccountType::Broadcaster {
                        // Broadcasters' own friends: handled as ordinary ties below.
                        streams.clear();
                    }
                }
            }
        }
        if streams.is_empty() {
            let c = expressed_closeness(cfg.seed, pop, d, u, v, rel);
            // Heavy communication implies closeness; the noise mostly spreads weak ties.
            let noise = r.lognormal_mean1(0.25 + 0.75 * d);
            let mut per_day = rate * act * noise * (0.003 + 0.9 * c * c * c);
            per_day *= match info.dynamics {
                Dynamics::Dormant => 0.03,
                Dynamics::New => 1.5,
                Dynamics::Fading => 1.6,
                _ => 1.0,
            };
            if info.dynamics == Dynamics::Burst {
                per_day = rate * act * noise * BURST_RATE;
            }
            let mix = &CHANNEL_MIX[rel.index()];
            for (i, &channel) in DIRECT_CHANNELS.iter().enumerate() {
                let mut w = mix[i];
                if info.dynamics == Dynamics::QuietFamily && channel != Channel::Call {
                    w *= 0.08;
                }
                if w > 0.0 {
                    streams.push(Sessions {
                        channel,
                        per_day: per_day * w,
                        burst_mean: BURST_MEAN[i],
                        gap_s: BURST_GAP_S[i],
                        work: rel == Relation::Colleague,
                    });
                }
            }
        }
        let from_s = ((info.formed_at - self.start_ms) / 1000).max(0);
        let fading = info.dynamics == Dynamics::Fading;
        let src = pop.id[u as usize];
        let dst = pop.id[v as usize];
        for s in streams {
            if !self.keep_channel[s.channel.index()] {
                continue;
            }
            let active_days = (self.window_s() - from_s) as f64 / DAY_S as f64;
            let sessions = r.poisson(s.per_day * active_days / s.burst_mean);
            for _ in 0..sessions {
                let Some(mut t) = self.session_start(&mut r, from_s, fading, s.work) else {
                    continue;
                };
                let len = 1 + r.geometric(1.0 / s.burst_mean);
                for _ in 0..len {
                    if t >= self.window_s() {
                        break;
                    }
                    let value = match s.channel {
                        Channel::Call => (r.lognormal_mean1(1.0) * 150.0).round().max(5.0),
                        Channel::Transfer => ((r.normal() + 3.4).exp() * 100.0).round() / 100.0,
                        _ => f64::NAN,
                    };
                    if cfg.sample_events >= 1.0 || r.chance(cfg.sample_events) {
                        out.push(EventRow {
                            ts: self.start_ms + t * 1000 + r.below(1000) as i64,
                            src,
                            dst,
                            channel: s.channel.index() as u8,
                            value,
                            group: 0,
                        });
                    }
                    t += 1 + r.exponential(s.gap_s) as i64;
                }
            }
        }
    }

    /// A session start, seconds into the window, on the daily and weekly cycle.
    fn session_start(&self, r: &mut Rng, from_s: i64, fading: bool, work: bool) -> Option<i64> {
        let window = self.window_s();
        let start_day = self.start_ms.div_euclid(DAY_S * 1000);
        let hourly = if work { &WORK_HOURLY } else { &HOURLY };
        for _ in 0..16 {
            let u = r.f64();
            // Fading ties: density falls linearly to zero at the window's end.
            let frac = if fading { 1.0 - u.sqrt() } else { u };
            let at = from_s as f64 + frac * (window - from_s) as f64;
            let day = (at as i64).div_euclid(DAY_S);
            // 1970-01-01 was a Thursday: weekday 0 = Monday.
            let weekday = (start_day + day + 3).rem_euclid(7);
            let weekend = weekday >= 5;
            let w = match (work, weekend) {
                (true, true) => 0.12,
                (true, false) => 1.0,
                (false, true) => 1.0,
                (false, false) => 0.85,
            };
            if !r.chance(w) {
                continue;
            }
            let hour = r.weighted(hourly) as i64;
            let t = day * DAY_S + hour * 3600 + r.below(3600) as i64;
            if t >= from_s && t < window {
                return Some(t);
            }
        }
        None
    }
}

/// A group chat and its members (internal indices).
#[derive(Debug, Clone)]
pub struct GroupChat {
    /// Public id.
    pub id: i64,
    /// What it is about.
    pub kind: ContextKind,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Members (internal indices).
    pub members: Vec<u32>,
    /// Conversations per day.
    pub busy: f64,
}

/// Group chats drawn from contexts: family chats, work teams, school classes, interest
/// groups and a few neighbourhood chats. Members of a chat need not be close.
pub fn group_chats(config: &GeneratorConfig, pop: &Population, start_ms: i64) -> Vec<GroupChat> {
    let seed = config.seed;
    let mut out = Vec::new();
    for (ci, ctx) in pop.contexts.iter().enumerate() {
        let mut r = Rng::new(seed, Stream::Groups, ci as u64, 0);
        let (chunk, p) = match ctx.kind {
            ContextKind::Family => (usize::MAX, 0.6),
            ContextKind::Work => (8 + r.below(6) as usize, 0.35),
            ContextKind::School => (25, 0.4),
            ContextKind::Interest if ctx.members.len() <= 300 => (usize::MAX, 0.3),
            ContextKind::Interest => continue,
            ContextKind::Neighbourhood => (60, 0.05),
        };
        for members in ctx.members.chunks(chunk.min(ctx.members.len()).max(1)) {
            if members.len() < 3 || !r.chance(p) {
                continue;
            }
            if ctx.kind == ContextKind::Neighbourhood && !out.is_empty() && r.chance(0.9) {
                continue;
            }
            let index = out.len() as u64;
            let mut id = permute63(seed ^ 0x6772_6f75_7073, index);
            if id == 0 {
                id = permute63(seed ^ 0x6772_6f75_7073, index | (1 << 62));
            }
            let mut members = members.to_vec();
            members.sort_unstable();
            out.push(GroupChat {
                id: id as i64,
                kind: ctx.kind,
                created_at: start_ms - (r.f64() * 3.0 * 365.0 * 86_400_000.0) as i64 - 3_600_000,
                members,
                busy: r.lognormal_mean1(1.0) * ctx.liveliness,
            });
        }
    }
    out
}

impl EventContext<'_> {
    /// Appends the messages of one group chat.
    pub fn group_events(&self, g: &GroupChat, out: &mut Vec<EventRow>) {
        if !self.keep_channel[Channel::GroupMessage.index()] {
            return;
        }
        let cfg = self.config;
        let mut r = Rng::new(cfg.seed, Stream::Groups, g.id as u64, 1);
        let size = g.members.len() as f64;
        let per_day = cfg.group_rate * g.busy * (0.3 + 0.9 * cfg.difficulty) * 0.6 * size.sqrt();
        let mean_len = 6.0;
        let weights: Vec<f64> = g
            .members
            .iter()
            .map(|&m| f64::from(self.pop.activity[m as usize]))
            .collect();
        let mut cumulative = Vec::with_capacity(weights.len());
        let mut total = 0.0;
        for w in &weights {
            total += w;
            cumulative.push(total);
        }
        let pick = |r: &mut Rng| {
            let x = r.f64() * total;
            cumulative
                .partition_point(|&c| c <= x)
                .min(g.members.len() - 1)
        };
        let conversations = r.poisson(per_day * cfg.days as f64 / mean_len);
        for _ in 0..conversations {
            let Some(mut t) = self.session_start(&mut r, 0, false, g.kind == ContextKind::Work)
            else {
                continue;
            };
            let mut prev = pick(&mut r);
            let len = 1 + r.geometric(1.0 / mean_len);
            for _ in 0..len {
                if t >= self.window_s() {
                    break;
                }
                let mut s = pick(&mut r);
                if s == prev {
                    s = (s + 1 + r.below(g.members.len() as u64 - 1) as usize) % g.members.len();
                }
                if cfg.sample_events >= 1.0 || r.chance(cfg.sample_events) {
                    out.push(EventRow {
                        ts: self.start_ms + t * 1000 + r.below(1000) as i64,
                        src: self.pop.id[g.members[s] as usize],
                        dst: self.pop.id[g.members[prev] as usize],
                        channel: Channel::GroupMessage.index() as u8,
                        value: f64::NAN,
                        group: g.id,
                    });
                }
                prev = s;
                t += 1 + r.exponential(45.0) as i64;
            }
        }
    }
}

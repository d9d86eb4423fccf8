//! Interaction events: per directed tie, sessions (bursts) placed on daily and weekly
//! cycles, with rates driven by closeness, relation type, the sender's activity and a set
//! of confounders; and group chats.

use tierank_format::{AccountType, Channel, Relation};

use crate::config::{GeneratorConfig, Scenario};
use crate::difficulty::Difficulty;
use crate::network::{Network, expressed_closeness};
use crate::population::{ContextKind, Population};
use crate::rng::{Rng, Stream, key, permute63, unit};

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
    /// Relatives one rarely contacts: a few calls, fewer messages.
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
    let terms = Difficulty::new(config.difficulty);
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
    let dynamics = if weak && x >= 1.0 - terms.burst_share {
        Dynamics::Burst
    } else if x < terms.new_share {
        Dynamics::New
    } else if x < terms.new_share + terms.fading_share {
        Dynamics::Fading
    } else if close && rel != Relation::Family && r.chance(terms.dormant_chance) {
        Dynamics::Dormant
    } else if rel == Relation::Family && r.chance(terms.quiet_family_chance) {
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

/// Daily event rate of a bursting tie per unit of sender activity: above a typical
/// partner's, so a burst can outrank the closest tie by volume.
const BURST_RATE: f64 = 2.0;

/// Channel weights (message, call, like, comment, transfer) by relation. No zero: weak
/// ties sometimes pay each other (shared bills, marketplace sales), followers sometimes
/// pay a merchant or write to an official account.
///
/// Calls follow their own, flatter closeness curve ([`call_volume`]) so that a person's
/// calls spread over more people (Saramäki et al. 2014's social signature).
const CHANNEL_MIX: [[f64; 5]; 7] = [
    [0.62, 0.16, 0.08, 0.04, 0.08],   // partner: everything
    [0.22, 0.45, 0.15, 0.10, 0.05],   // family: calls more, writes less
    [0.62, 0.10, 0.16, 0.12, 0.02],   // close friend
    [0.76, 0.056, 0.07, 0.07, 0.02],  // colleague: writes, mostly on weekdays
    [0.55, 0.042, 0.25, 0.15, 0.01],  // classmate
    [0.25, 0.028, 0.50, 0.22, 0.01],  // acquaintance: mostly likes
    [0.02, 0.003, 0.69, 0.28, 0.007], // service (follower to broadcaster)
];

/// The channel mix of the close friend, the one every relation shares at difficulty 0.
const COMMON_MIX: [f64; 5] = CHANNEL_MIX[2];

/// `relation`'s channel mix, `share` of the way from [`COMMON_MIX`] to its own: at
/// difficulty 0 how people talk does not depend on their relation type (a cousin one is
/// close to is called no more than a friend as close), so traffic follows closeness alone.
fn relation_mix(relation: Relation, share: f64) -> [f64; 5] {
    let own = CHANNEL_MIX[relation.index()];
    if share >= 1.0 {
        return own;
    }
    std::array::from_fn(|i| share * own[i] + (1.0 - share) * COMMON_MIX[i])
}

/// Interaction volume (events per day per unit of activity) by closeness: steep, so heavy
/// communication implies closeness (Wiese et al. 2015).
fn volume(c: f64) -> f64 {
    0.003 + 0.9 * c * c * c
}

/// Call volume by closeness: flatter than [`volume`], so calls reach layer 3-4 friends
/// too and the top friend gets about a fifth of a person's calls, not a third
/// (Saramäki et al. 2014).
fn call_volume(c: f64) -> f64 {
    0.003 + 0.9 * c * c
}
const DIRECT_CHANNELS: [Channel; 5] = [
    Channel::Message,
    Channel::Call,
    Channel::Like,
    Channel::Comment,
    Channel::Transfer,
];
/// Mean events per session by channel (messages: see [`message_session_mean`]).
const BURST_MEAN: [f64; 5] = [3.0, 1.0, 1.6, 1.0, 1.0];
/// Mean gap between events of a session by the same sender, seconds.
const BURST_GAP_S: [f64; 5] = [40.0, 1.0, 25.0, 1.0, 1.0];
/// Mean sessions per episode by channel: sessions of a tie cluster into episodes
/// separated by heavy-tailed gaps (Karsai et al. 2012; Jo et al. 2012), which makes
/// inter-event times bursty beyond the daily and weekly cycles.
const EPISODE_MEAN: [f64; 5] = [2.5, 1.8, 2.5, 1.8, 1.4];
/// Median gap between sessions of one episode, seconds, and the σ of its logarithm.
const EPISODE_GAP_MEDIAN_S: f64 = 5_400.0;
const EPISODE_GAP_SIGMA: f64 = 1.6;
/// Relative activity by hour of day (UTC as local time), before a person's chronotype
/// shift.
const HOURLY: [f64; 24] = [
    0.25, 0.12, 0.06, 0.04, 0.04, 0.08, 0.25, 0.6, 0.9, 1.0, 1.0, 1.05, 1.2, 1.1, 1.0, 1.0, 1.05,
    1.15, 1.3, 1.45, 1.55, 1.5, 1.1, 0.6,
];
/// Working-hours profile: used by most sessions between colleagues and a few others.
/// Small but never zero at night (deadlines, shifts, other time zones).
const WORK_HOURLY: [f64; 24] = [
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.3, 1.0, 1.3, 1.3, 1.2, 0.8, 1.1, 1.3, 1.2, 1.0,
    0.6, 0.2, 0.1, 0.06, 0.05, 0.04, 0.03,
];
/// Share of colleague sessions on the working-hours pattern (the rest follow the
/// leisure pattern: colleagues who are also friends), and of everyone else's.
const WORK_SHARE_COLLEAGUE: f64 = 0.75;
const WORK_SHARE_OTHER: f64 = 0.05;
/// Calendar days with more traffic than usual (month, day, factor): New Year, Christmas,
/// Valentine's day (Aledavood et al. 2015 see the New Year peak in call and SMS volume).
const HOLIDAYS: [(i64, i64, f64); 7] = [
    (1, 1, 1.9),
    (1, 2, 1.2),
    (12, 24, 1.35),
    (12, 25, 1.45),
    (12, 26, 1.2),
    (12, 31, 1.6),
    (2, 14, 1.15),
];
/// σ of the log of the shared day-to-day factor (news, weather, paydays).
const DAY_SIGMA: f64 = 0.08;
/// σ of the log of a person's busy-day factor: some days a person is much more active.
const BUSY_DAY_SIGMA: f64 = 0.6;
/// σ of a person's chronotype shift of the hourly profile, hours (larks and owls).
const CHRONOTYPE_SIGMA_H: f64 = 2.0;

/// Mean messages per session of a special account's message stream (a broadcaster's post,
/// a spammer's message, a follower writing to a merchant). With 1, as before 2026-12-03, a
/// session held one message, so the answer that `reply` draws after it was never written:
/// nobody ever answered a broadcaster or a spammer within minutes (1 of 43,665 messages in
/// the blind audit of `small` seed 3), a hard zero no real inbox has.
const SPECIAL_MESSAGE_SESSION_MEAN: f64 = 1.5;
/// Quiet family ties (relatives one rarely contacts): the share kept of their calls and of
/// every other channel. Calls were kept whole before 2026-12-03, so 99.6 % of family ties
/// called within 90 days and the call count alone told family from other ties (AUC 0.981
/// in the blind audit); quiet relatives now call a little more than they write, not always.
const QUIET_FAMILY_CALLS: f64 = 0.1;
const QUIET_FAMILY_OTHER: f64 = 0.08;
/// Shortest call written, seconds: a call that connects and drops at once. The floor was
/// 5 s before 2026-12-03, which piled 10,611 calls on `small` seed 3 onto exactly 5 s
/// (twice the count at 6 s), a spike real call records do not have.
const MIN_CALL_S: f64 = 1.0;
/// Shares of transfers typed as a round amount: a multiple of ten (from 20 up) or a whole
/// unit (from 1 up). People mostly pay round sums (rent shares, gifts, repaying a friend),
/// shops and split bills give cents; before 2026-12-03 every amount was drawn to the cent
/// and 1 % came out whole.
const ROUND_TENS_SHARE: f64 = 0.3;
const ROUND_WHOLE_SHARE: f64 = 0.35;

/// A transfer amount as a person types it: `x` rounded to tens with probability
/// [`ROUND_TENS_SHARE`] (if at least 20), else to a whole unit with probability
/// [`ROUND_WHOLE_SHARE`] (if at least 1), else to the cent. The size of `x` (which rises
/// with closeness) is kept; only its last digits change.
fn typed_amount(r: &mut Rng, x: f64) -> f64 {
    let draw = r.f64();
    if x >= 20.0 && draw < ROUND_TENS_SHARE {
        (x / 10.0).round() * 10.0
    } else if x >= 1.0 && (ROUND_TENS_SHARE..ROUND_TENS_SHARE + ROUND_WHOLE_SHARE).contains(&draw) {
        x.round()
    } else {
        (x * 100.0).round() / 100.0
    }
}

/// Evasion: share of visible traffic left with the evader's layer 1-2 ties.
const HIDDEN_VISIBLE: f64 = 0.12;
/// Evasion: chance that an evader's layer 3-4 friend is a trusted money route.
const TRUSTED_CHANCE: f64 = 0.2;
/// Evasion: transfers per day on a trusted route, per unit of activity.
const TRUSTED_TRANSFER_RATE: f64 = 0.06;
/// Evasion: expected number of decoys among an evader's outer (layer 5-6) friends.
const DECOYS: f64 = 4.0;
/// Evasion: events per day with a decoy, per unit of activity: about a partner's level
/// (`volume` at closeness 0.95 is 0.77), so the decoys carry the visible traffic the hidden
/// closest ties no longer do (0.35 before, a close friend's level: decoys added only 12 %
/// to the outer friends' traffic on `tiny` once closeness rose with embedding; now 24 %).
const DECOY_RATE: f64 = 0.8;

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
    /// Chance that the other side answers after each message (messages only).
    reply: f64,
}

/// When one person (or one group chat) is active: cumulative day weights for the leisure
/// and the working pattern, and hourly profiles.
pub struct Clock {
    leisure: Vec<f64>,
    work: Vec<f64>,
    hourly: [f64; 24],
    hourly_max: f64,
}

/// Role of a tie in an evader's strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EvasionRole {
    /// Not an evader's tie, or an ordinary one.
    None,
    /// One of the evader's closest (layer 1-2): contact moves off the visible channels.
    Hidden,
    /// A trusted friend money is routed through.
    Trusted,
    /// A weak tie kept visibly busy.
    Decoy,
}

/// Whether person `u` (internal index) evades: only under [`Scenario::Evasion`], only
/// ordinary people, chosen by a hash of the seed and the person.
pub fn is_evader(config: &GeneratorConfig, pop: &Population, u: u32) -> bool {
    config.scenario == Scenario::Evasion
        && pop.account[u as usize] == AccountType::Person
        && unit(key(config.seed, Stream::Evasion, u64::from(u), 0)) < config.evader_share
}

/// Mean messages per conversation: longer between closer people.
fn message_session_mean(c: f64) -> f64 {
    1.5 + 3.0 * c
}

/// (month, day) of a day counted from 1970-01-01 (Howard Hinnant's civil_from_days).
fn month_day(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (m, d)
}

impl EventContext<'_> {
    fn window_s(&self) -> i64 {
        self.config.days * DAY_S
    }

    /// The activity calendar of person `who`, or the shared one (`None`, for group chats).
    ///
    /// Day weight = holiday factor × shared day factor × the person's busy-day factor ×
    /// weekday factor; the hourly profile is [`HOURLY`] shifted by the person's chronotype.
    pub fn clock(&self, who: Option<u32>) -> Clock {
        let seed = self.config.seed;
        let days = self.config.days;
        let start_day = self.start_ms.div_euclid(DAY_S * 1000);
        let mut personal = who.map(|u| Rng::new(seed, Stream::Rhythm, u64::from(u), 0));
        let (shift, weekend_taste) = match &mut personal {
            Some(r) => (
                (r.normal() * CHRONOTYPE_SIGMA_H).round().clamp(-5.0, 5.0) as i64,
                (0.3 * r.normal()).exp(),
            ),
            None => (0, 1.0),
        };
        let mut leisure = Vec::with_capacity(days as usize);
        let mut work = Vec::with_capacity(days as usize);
        let (mut lsum, mut wsum) = (0.0, 0.0);
        for d in 0..days {
            let date = start_day + d;
            let (m, day) = month_day(date);
            let holiday = HOLIDAYS
                .iter()
                .find(|h| h.0 == m && h.1 == day)
                .map_or(1.0, |h| h.2);
            let shared =
                Rng::new(seed, Stream::Rhythm, u64::MAX, date as u64).lognormal_mean1(DAY_SIGMA);
            let busy = match who {
                Some(u) => Rng::new(seed, Stream::Rhythm, u64::from(u), 1 + d as u64)
                    .lognormal_mean1(BUSY_DAY_SIGMA),
                None => 1.0,
            };
            // 1970-01-01 was a Thursday: weekday 0 = Monday.
            let weekend = (date + 3).rem_euclid(7) >= 5;
            let base = holiday * shared * busy;
            lsum += base * if weekend { weekend_taste } else { 0.85 };
            // Holidays are days off: work traffic drops like on a weekend.
            let off = weekend || holiday > 1.1;
            wsum += shared * busy * if off { 0.12 } else { 1.0 };
            leisure.push(lsum);
            work.push(wsum);
        }
        let mut hourly = [0.0; 24];
        for (h, w) in hourly.iter_mut().enumerate() {
            *w = HOURLY[(h as i64 - shift).rem_euclid(24) as usize];
        }
        let hourly_max = hourly.iter().copied().fold(0.0, f64::max);
        Clock {
            leisure,
            work,
            hourly,
            hourly_max,
        }
    }

    /// Appends the events `u` sends over every one of its ties (and the replies its
    /// conversations get).
    pub fn person_events(&self, u: u32, out: &mut Vec<EventRow>) {
        let clock = self.clock(Some(u));
        let outer = if is_evader(self.config, self.pop, u) {
            self.outer_friends(u)
        } else {
            0
        };
        for e in self.net.range(u as usize) {
            let v = self.net.alters[e];
            let role = self.evasion_role(u, e, v, outer);
            let tie = (v, self.net.relation[e], self.net.embedding_of(e));
            self.tie_events(u, tie, role, &clock, out);
        }
    }

    /// Number of `u`'s ordinary friends outside its layers 1-4 (candidate decoys).
    fn outer_friends(&self, u: u32) -> usize {
        self.net
            .range(u as usize)
            .filter(|&e| self.net.layer[e] >= 5 && self.net.relation[e] != Relation::Service)
            .count()
    }

    /// The role of the tie `u`–`v` (entry `e` of `u`'s row) when either side evades.
    fn evasion_role(&self, u: u32, e: usize, v: u32, u_outer: usize) -> EvasionRole {
        if self.config.scenario != Scenario::Evasion {
            return EvasionRole::None;
        }
        if is_evader(self.config, self.pop, u) {
            let role = self.role_seen_by(u, v, self.net.layer[e], self.net.relation[e], u_outer);
            if role != EvasionRole::None {
                return role;
            }
        }
        if is_evader(self.config, self.pop, v) {
            let row = self.net.range(v as usize);
            let alters = &self.net.alters[row.clone()];
            if let Ok(i) = alters.binary_search(&u) {
                let f = row.start + i;
                let outer = self.outer_friends(v);
                return self.role_seen_by(v, u, self.net.layer[f], self.net.relation[f], outer);
            }
        }
        EvasionRole::None
    }

    fn role_seen_by(
        &self,
        evader: u32,
        alter: u32,
        layer: u8,
        rel: Relation,
        outer: usize,
    ) -> EvasionRole {
        if rel == Relation::Service || self.pop.account[alter as usize] != AccountType::Person {
            return EvasionRole::None;
        }
        let h = unit(key(
            self.config.seed,
            Stream::Evasion,
            u64::from(evader),
            u64::from(alter) + 1,
        ));
        match layer {
            1 | 2 => EvasionRole::Hidden,
            3 | 4 if h < TRUSTED_CHANCE => EvasionRole::Trusted,
            5.. if outer > 0 && h < DECOYS / outer as f64 => EvasionRole::Decoy,
            _ => EvasionRole::None,
        }
    }

    fn tie_events(
        &self,
        u: u32,
        (v, rel, embedding): (u32, Relation, f64),
        role: EvasionRole,
        clock: &Clock,
        out: &mut Vec<EventRow>,
    ) {
        let cfg = self.config;
        let pop = self.pop;
        let d = cfg.difficulty;
        let terms = Difficulty::new(d);
        let info = tie_info(cfg, pop, self.start_ms, u, v, rel);
        let mut r = Rng::new(cfg.seed, Stream::Events, u64::from(u), u64::from(v));
        let act = f64::from(pop.activity[u as usize]);
        let rate = cfg.event_rate;
        let mut streams: Vec<Sessions> = Vec::with_capacity(5);
        let sender = pop.account[u as usize];
        let receiver = pop.account[v as usize];
        // Behaviour follows the closeness the tie expresses, which at difficulty > 0 differs
        // from the planted truth (see `expressed_closeness`).
        let c = expressed_closeness(cfg.seed, pop, d, u, v, rel, embedding);
        if rel == Relation::Service
            || sender != AccountType::Person
            || receiver == AccountType::Spammer
        {
            // Special accounts: volume without closeness. A message session may hold the
            // other side's answer (`reply`), so it must have room for more than one message.
            let s = |channel, per_day, reply| Sessions {
                channel,
                per_day: per_day * rate,
                burst_mean: if channel == Channel::Message {
                    SPECIAL_MESSAGE_SESSION_MEAN
                } else {
                    1.0
                },
                gap_s: 1.0,
                reply,
            };
            match (sender, receiver) {
                (AccountType::Spammer, _) => {
                    streams.push(s(Channel::Message, 0.15 * terms.spam_volume, 0.02));
                }
                (_, AccountType::Spammer) => streams.push(s(Channel::Message, 0.002, 0.1)),
                (AccountType::Broadcaster, _) if rel == Relation::Service => {
                    streams.push(s(Channel::Message, terms.broadcast_rate, 0.03));
                    streams.push(s(Channel::Like, 0.01, 0.0));
                }
                _ => {
                    // A follower: some are fans who like and comment a lot; a few buy
                    // from a merchant or write to it.
                    let fan = r.lognormal_mean1(terms.fan_sigma);
                    let base = 0.02 * act * fan * terms.fan_volume;
                    let mix = &CHANNEL_MIX[Relation::Service.index()];
                    for (i, &channel) in DIRECT_CHANNELS.iter().enumerate() {
                        streams.push(s(channel, base * mix[i], 0.3));
                    }
                    if sender == AccountType::Broadcaster {
                        // Broadcasters' own friends: handled as ordinary ties below.
                        streams.clear();
                    }
                }
            }
        }
        if streams.is_empty() {
            // Heavy communication implies closeness; the noise mostly spreads weak ties.
            let noise = r.lognormal_mean1(terms.rate_noise_sigma);
            let mut per_day = rate * act * noise * volume(c);
            per_day *= match info.dynamics {
                Dynamics::Dormant => 0.03,
                Dynamics::New => 1.5,
                Dynamics::Fading => 1.6,
                _ => 1.0,
            };
            if info.dynamics == Dynamics::Burst {
                per_day = rate * act * noise * BURST_RATE;
            }
            let mut mix = relation_mix(rel, terms.relation_mix);
            match role {
                EvasionRole::Hidden => {
                    per_day *= HIDDEN_VISIBLE;
                    mix[4] *= 0.3;
                }
                EvasionRole::Decoy => {
                    per_day = per_day.max(rate * act * noise * DECOY_RATE);
                    mix = CHANNEL_MIX[Relation::CloseFriend.index()];
                }
                EvasionRole::Trusted | EvasionRole::None => {}
            }
            // Closer ties call (through the curve) and pay each other a larger share of
            // the time.
            if info.dynamics != Dynamics::Burst {
                mix[1] *= call_volume(c) / volume(c);
            }
            mix[4] *= 0.4 + 1.2 * c;
            for (i, &channel) in DIRECT_CHANNELS.iter().enumerate() {
                let mut w = mix[i];
                if info.dynamics == Dynamics::QuietFamily {
                    w *= if channel == Channel::Call {
                        QUIET_FAMILY_CALLS
                    } else {
                        QUIET_FAMILY_OTHER
                    };
                }
                let mut per_channel = per_day * w;
                if channel == Channel::Transfer && role == EvasionRole::Trusted {
                    per_channel += rate * act * TRUSTED_TRANSFER_RATE;
                }
                let message = channel == Channel::Message;
                streams.push(Sessions {
                    channel,
                    per_day: per_channel,
                    burst_mean: if message {
                        message_session_mean(c)
                    } else {
                        BURST_MEAN[i]
                    },
                    gap_s: BURST_GAP_S[i],
                    reply: if message { 0.15 + 0.6 * c } else { 0.0 },
                });
            }
        }
        let from_s = ((info.formed_at - self.start_ms) / 1000).max(0);
        let fading = info.dynamics == Dynamics::Fading;
        let src = pop.id[u as usize];
        let dst = pop.id[v as usize];
        let trusted = role == EvasionRole::Trusted;
        for s in streams {
            if !self.keep_channel[s.channel.index()] || s.per_day <= 0.0 {
                continue;
            }
            let ci = s.channel.index().min(4);
            let active_days = (self.window_s() - from_s) as f64 / DAY_S as f64;
            // Rare streams are not clustered (a tie with one expected session keeps its
            // chance of appearing at all); busy ones cluster fully from ten sessions up.
            let expected = s.per_day * active_days / s.burst_mean;
            let episode_mean = 1.0
                + (EPISODE_MEAN[ci] - 1.0) * (expected / 10.0).min(1.0) * terms.episode_clustering;
            let episodes = r.poisson(expected / episode_mean);
            let work_share = if rel == Relation::Colleague {
                WORK_SHARE_COLLEAGUE
            } else {
                WORK_SHARE_OTHER
            };
            for _ in 0..episodes {
                let work = r.chance(work_share);
                let Some(mut t) = self.session_start(&mut r, clock, from_s, fading, work) else {
                    continue;
                };
                let sessions = 1 + r.geometric(1.0 / episode_mean);
                for k in 0..sessions {
                    if k > 0 {
                        match self.next_session(&mut r, clock, t) {
                            Some(next) => t = next,
                            None => break,
                        }
                    }
                    self.session(&mut r, &s, c, trusted, t, (src, dst), out);
                }
            }
        }
    }

    /// The start of the next session of an episode: a heavy-tailed (lognormal) gap after
    /// `t`, kept on the daily cycle by thinning with the hourly profile.
    fn next_session(&self, r: &mut Rng, clock: &Clock, t: i64) -> Option<i64> {
        let mut next = t;
        for _ in 0..8 {
            let gap = EPISODE_GAP_MEDIAN_S * (EPISODE_GAP_SIGMA * r.normal()).exp();
            next = t + 60 + gap as i64;
            if next >= self.window_s() {
                return None;
            }
            let hour = (next.rem_euclid(DAY_S) / 3600) as usize;
            if r.chance(clock.hourly[hour] / clock.hourly_max) {
                break;
            }
        }
        // After eight thinned draws the last one is kept, so an episode's size does not
        // depend on the hourly profile.
        Some(next)
    }

    /// One session starting at `t` (seconds into the window) between `pair.0` (who starts)
    /// and `pair.1`. Messages are conversations: after each message the other side answers
    /// with probability `s.reply`, within seconds to minutes.
    #[allow(clippy::too_many_arguments)]
    fn session(
        &self,
        r: &mut Rng,
        s: &Sessions,
        c: f64,
        trusted: bool,
        mut t: i64,
        pair: (i64, i64),
        out: &mut Vec<EventRow>,
    ) {
        let cfg = self.config;
        let len = 1 + r.geometric(1.0 / s.burst_mean);
        let mut forward = true;
        for _ in 0..len {
            if t >= self.window_s() {
                break;
            }
            let value = match s.channel {
                // Close ties talk longer on average; the wide spread keeps the overlap.
                Channel::Call => (60.0 * (1.6 * c).exp() * r.lognormal_mean1(1.1))
                    .round()
                    .max(MIN_CALL_S),
                Channel::Transfer => {
                    let scale = if trusted { 1.5 } else { 0.0 };
                    let drawn = (r.normal() * 1.1 + 2.8 + 1.4 * c + scale).exp();
                    typed_amount(r, drawn)
                }
                _ => f64::NAN,
            };
            let (src, dst) = if forward { pair } else { (pair.1, pair.0) };
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
            if s.reply > 0.0 && r.chance(s.reply) {
                forward = !forward;
                // Most answers come within a minute or two, some after a while.
                let median = if r.chance(0.8) { 45.0 } else { 1_200.0 };
                t += 2 + (median * r.normal().exp()) as i64;
            } else {
                t += 1 + r.exponential(s.gap_s) as i64;
            }
        }
    }

    /// A session start, seconds into the window, from the clock's day weights (busy days,
    /// holidays, weekdays) and its hourly profile.
    fn session_start(
        &self,
        r: &mut Rng,
        clock: &Clock,
        from_s: i64,
        fading: bool,
        work: bool,
    ) -> Option<i64> {
        let window = self.window_s();
        let (cdf, hourly) = if work {
            (&clock.work, &WORK_HOURLY)
        } else {
            (&clock.leisure, &clock.hourly)
        };
        let days = cdf.len();
        let from_day = ((from_s / DAY_S) as usize).min(days - 1);
        let lo = if from_day == 0 {
            0.0
        } else {
            cdf[from_day - 1]
        };
        let total = cdf[days - 1];
        for _ in 0..16 {
            let x = lo + r.f64() * (total - lo);
            let day = cdf.partition_point(|&w| w <= x).min(days - 1);
            // Fading ties: density falls linearly to zero at the window's end.
            if fading && !r.chance(1.0 - (day as f64 + 0.5) / days as f64) {
                continue;
            }
            let hour = r.weighted(hourly) as i64;
            let t = day as i64 * DAY_S + hour * 3600 + r.below(3600) as i64;
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
        let per_day = cfg.group_rate
            * g.busy
            * Difficulty::new(cfg.difficulty).group_volume
            * 0.6
            * size.sqrt();
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
        let clock = self.clock(None);
        for _ in 0..conversations {
            let work = r.chance(if g.kind == ContextKind::Work {
                0.8
            } else {
                WORK_SHARE_OTHER
            });
            let Some(mut t) = self.session_start(&mut r, &clock, 0, false, work) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_relation_has_a_zero_channel_weight() {
        // A zero is a built-in tell: the channel alone would rule a relation out.
        for (rel, row) in CHANNEL_MIX.iter().enumerate() {
            for (ch, &w) in row.iter().enumerate() {
                assert!(w > 0.0, "relation {rel} channel {ch}");
            }
        }
        assert!(WORK_HOURLY.iter().all(|&w| w > 0.0));
        assert!(HOURLY.iter().all(|&w| w > 0.0));
    }

    #[test]
    fn month_day_by_hand() {
        assert_eq!(month_day(0), (1, 1));
        assert_eq!(month_day(20_454), (1, 1)); // 2026-01-01
        assert_eq!(month_day(19_782), (2, 29)); // 2024-02-29
        assert_eq!(month_day(20_453), (12, 31)); // 2025-12-31
    }

    #[test]
    fn volume_is_steeper_than_call_volume() {
        // Calls spread over more people than other channels (the social signature).
        assert!(volume(0.9) / volume(0.3) > call_volume(0.9) / call_volume(0.3));
    }

    /// Amounts are typed as people type them: about 30 % multiples of ten (from 20 up),
    /// 35 % whole units, the rest to the cent, and never far from the drawn size. Before
    /// 2026-12-03 every amount was drawn to the cent (1 % whole, by chance).
    #[test]
    fn transfer_amounts_are_often_round() {
        let mut r = Rng::new(1, Stream::Events, 0, 0);
        let n = 100_000;
        let (mut tens, mut whole) = (0, 0);
        for i in 0..n {
            let x = 20.0 + f64::from(i % 977) * 0.731;
            let a = typed_amount(&mut r, x);
            assert!((a - x).abs() <= 5.0, "{x} typed as {a}");
            assert_eq!((a * 100.0).round() / 100.0, a, "{a} has more than cents");
            if a % 10.0 == 0.0 {
                tens += 1;
            } else if a.fract() == 0.0 {
                whole += 1;
            }
        }
        let tens = f64::from(tens) / f64::from(n);
        let whole = f64::from(whole) / f64::from(n);
        // A whole amount is a multiple of ten one time in ten: 0.30 + 0.035 and 0.315.
        assert!((0.31..0.36).contains(&tens), "tens {tens}");
        assert!((0.29..0.34).contains(&whole), "whole {whole}");
        // Below one unit nothing is rounded away.
        assert_eq!(typed_amount(&mut r, 0.42), 0.42);
    }
}

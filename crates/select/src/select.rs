//! The selection itself: score each target's friends, filter by consent and evidence, apply
//! the policy, and summarise the exposure.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tierank_format::enums::CHANNEL_COUNT;
use tierank_format::{Channel, PersonId};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch, pair_weight};

use crate::consent::{ExclusionSet, minimize};
use crate::{Block, Calibration, Policy, Position, SelectError};

/// The reason given for a selection made without any interaction between the two people.
pub const REASON_STRUCTURE: &str = "structure";

/// Everything selection needs besides the graph, the targets, the heuristic and the policy.
pub struct SelectOptions<'a> {
    /// People who opted out; never selected.
    pub excluded: ExclusionSet,
    /// Also remove the excluded people's ties and interactions before scoring (see
    /// [`minimize`]), so their data is not evidence about anyone else.
    pub strict_minimization: bool,
    /// Minimum number of interactions, both directions together, between the target and a
    /// selected friend. 0 disables the check.
    pub min_evidence: u32,
    /// The heuristic's calibration, if one was fitted.
    pub calibration: Option<&'a dyn Calibration>,
    /// Channel weights for the coverage policy's interaction weight and for the reason.
    pub config: &'a HeuristicConfig,
}

impl std::fmt::Debug for SelectOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectOptions")
            .field("excluded", &self.excluded)
            .field("strict_minimization", &self.strict_minimization)
            .field("min_evidence", &self.min_evidence)
            .field("calibrated", &self.calibration.is_some())
            .field("config", &self.config)
            .finish()
    }
}

/// One notice: `alter` (a friend of `target`) is shown a notice about `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceRow {
    /// The target's person id.
    pub target: PersonId,
    /// The selected friend's person id (the `alter` of the truth and of rankings).
    pub alter: PersonId,
    /// Position among this target's selected people by descending score, from 1 (ties by
    /// person id). Counted among the selected only, so a gap never reveals that someone
    /// above was withheld. Named apart from a ranking's `rank` (among all friends), which
    /// it equals only when nobody above was withheld.
    pub selection_rank: u32,
    /// The heuristic's score.
    pub score: f64,
    /// The calibrated probability of closeness, when a calibration was given.
    pub probability: Option<f64>,
    /// The main evidence: the channel with the largest channel-weighted number of events
    /// between the two people, both directions together (`call`, `message`, ...), or
    /// [`REASON_STRUCTURE`] when they have no events.
    pub reason: String,
}

/// The exposure of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetExposure {
    /// The target's person id.
    pub target: PersonId,
    /// Notices about this target.
    pub notices: u64,
    /// Distinct people shown a notice about this target (equal to `notices`: a person is
    /// selected at most once per target).
    pub people_reached: u64,
    /// `Σ (1 − p)` over this target's selected people, when calibrated: the expected number
    /// of people who are not close but see the notice.
    pub expected_collateral: Option<f64>,
}

/// How many people see what, per target and in total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExposureSummary {
    /// One entry per target, in input order.
    pub per_target: Vec<TargetExposure>,
    /// Total notices.
    pub notices: u64,
    /// Distinct people shown at least one notice.
    pub people_reached: u64,
    /// `Σ (1 − p)` over all notices, when calibrated.
    pub expected_collateral: Option<f64>,
    /// The [`EXPOSURE_CONFIDENCE`] interval of the number of notices to people who are not
    /// close, when calibrated: `Σ (1 − p) ± z · sqrt(Σ p (1 − p) + Σ_blocks (n_b · se_b)²)`,
    /// clipped to `[0, notices]`. The first term is the chance in who turns out close given
    /// correct probabilities; the second the calibration's own sampling error: the `n_b`
    /// notices read off one fitted block share its error `se_b`, blocks are independent.
    #[serde(default)]
    pub expected_collateral_interval: Option<(f64, f64)>,
}

/// Confidence level of [`ExposureSummary::expected_collateral_interval`].
pub const EXPOSURE_CONFIDENCE: f64 = 0.95;
/// The two-sided standard normal quantile of [`EXPOSURE_CONFIDENCE`].
const EXPOSURE_Z: f64 = 1.959_963_984_540_054;

/// What the exclusion list did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConsentSummary {
    /// Distinct person ids listed.
    pub listed: u64,
    /// Listed ids not in the graph (the CLI warns with this count).
    pub unknown: u64,
    /// Listed ids in the graph.
    pub excluded_in_graph: u64,
    /// Notices to excluded people that the same policy would have sent without the
    /// exclusion list (on the unminimised graph, with the same minimum evidence).
    pub excluded_would_have_been_selected: u64,
    /// [`ExclusionSet::canonical_sha256`].
    pub canonical_sha256: String,
}

/// The result of [`select`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    /// Notices sorted by (target input order, rank).
    pub rows: Vec<AudienceRow>,
    /// Exposure figures.
    pub exposure: ExposureSummary,
    /// Consent figures.
    pub consent: ConsentSummary,
}

/// One friend of a target, as seen by the policies.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    node: NodeId,
    score: f64,
    /// Expected closeness for the budget policy: the probability, else the normalised score.
    value: f64,
    probability: Option<f64>,
    /// The smallest probability from the top of the ranking down to this friend (the
    /// `probability` policy's criterion; 0 without a calibration).
    prefix_probability: f64,
    /// The calibration block `probability` was read from, if the calibration says.
    block: Option<Block>,
    /// Interaction weight (coverage only; 0 otherwise).
    weight: f64,
    /// Coverage's picks: the 1-based position in the walk by descending weight, and the
    /// share of the pool's weight not covered before this friend (1 and 0 otherwise).
    walk_rank: u32,
    uncovered: f64,
    excluded: bool,
    enough_evidence: bool,
}

/// A friend kept by the per-target pass ([`select_targets`]), named by person id, so that
/// passes computed on different graphs (the wave balls of a partitioned run) meet in one
/// global step ([`select_global`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// The friend's person id.
    pub alter: PersonId,
    /// The heuristic's score.
    pub score: f64,
    /// Expected closeness for the budget policy: the probability, else the normalised score.
    pub value: f64,
    /// The calibrated probability, when a calibration was given.
    pub probability: Option<f64>,
    /// The calibration block `probability` was read from, if the calibration says.
    pub block: Option<Block>,
    /// Whether the friend opted out (true only in a budget's counterfactual pool).
    pub excluded: bool,
    /// The main evidence ([`AudienceRow::reason`]) as a channel code ([`Channel::index`]),
    /// `None` for [`REASON_STRUCTURE`]. Read on the graph of the pass, which holds the
    /// target's ties; filled for chosen friends only (a counterfactual pool is never
    /// written).
    pub channel: Option<u8>,
}

impl Pick {
    /// [`AudienceRow::reason`] of this pick.
    pub fn reason(&self) -> &'static str {
        self.channel
            .and_then(|c| Channel::from_index(usize::from(c)))
            .map_or(REASON_STRUCTURE, Channel::as_str)
    }
}

/// What one target contributes before the step across targets: everything
/// [`select_global`] needs, in person ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetPass {
    /// The target's person id.
    pub target: PersonId,
    /// Its number of friends in the graph as given (before minimisation): the exposure
    /// file's `num_candidates`.
    pub friends: u64,
    /// Per-target policies: the chosen; budget: the eligible pool (value > 0).
    pub chosen: Vec<Pick>,
    /// Budget: the pool without the exclusion list. `None` when it equals `chosen`
    /// (nobody in the pass's graph is excluded).
    pub counterfactual_pool: Option<Vec<Pick>>,
    /// Per-target policies: excluded people the policy would have chosen.
    pub excluded_would_have_been_selected: u64,
}

/// Chooses who is shown a notice about each target.
///
/// For every target, its friends are scored with `heuristic` (on the minimised graph under
/// strict minimisation), friends who opted out or have fewer than `min_evidence`
/// interactions with the target are removed, and `policy` picks among the rest. Targets are
/// processed in parallel; the result does not depend on the thread count (ties by person id).
///
/// # Errors
/// - [`SelectError::CalibrationRequired`] for `probability:P` without a calibration;
/// - [`SelectError::MinEvidenceWithoutEvents`] for `min_evidence > 0` on a graph without events;
/// - [`SelectError::TargetOutOfRange`] / [`SelectError::DuplicateTarget`] for bad targets;
/// - [`SelectError::Heuristic`] for an invalid configuration;
/// - [`SelectError::ScoreCount`], [`SelectError::NonFiniteScore`],
///   [`SelectError::InvalidProbability`] when the heuristic or calibration breaks its contract.
pub fn select(
    graph: &Graph,
    targets: &[NodeId],
    heuristic: &dyn Heuristic,
    policy: &Policy,
    opts: &SelectOptions<'_>,
) -> Result<Selection, SelectError> {
    select_cancellable(graph, targets, heuristic, policy, opts, None)
}

/// [`select`], stopping with [`SelectError::Cancelled`] soon after `cancel` is set: the flag
/// is read before each target is scored. A run that is not cancelled selects exactly what
/// [`select`] does.
///
/// # Errors
/// As [`select`]; [`SelectError::Cancelled`].
pub fn select_cancellable(
    graph: &Graph,
    targets: &[NodeId],
    heuristic: &dyn Heuristic,
    policy: &Policy,
    opts: &SelectOptions<'_>,
    cancel: Option<&AtomicBool>,
) -> Result<Selection, SelectError> {
    let passes = select_targets(graph, targets, heuristic, policy, opts, cancel)?;
    let selection = select_global(
        passes,
        policy,
        consent_of(&opts.excluded),
        opts.calibration.is_some(),
    );
    log::info!(
        "selected {} notices reaching {} people for {} targets under {policy} ({} excluded people would have been selected)",
        selection.exposure.notices,
        selection.exposure.people_reached,
        targets.len(),
        selection.consent.excluded_would_have_been_selected
    );
    Ok(selection)
}

/// The per-target pass of [`select`]: for every target, in input order, its friends scored
/// (on the minimised graph under strict minimisation), filtered by consent and evidence,
/// and chosen by a per-target policy (or, for `budget`, its eligible pool), in person ids.
///
/// It reads, per target, only what the heuristic reads plus the target's own ties, so a
/// partitioned run calls it on each wave's ball (which holds those completely, and every
/// excluded person in it) and gets the passes of the whole graph. Minimising the ball is
/// exact for the target's and its friends' lists: [`minimize`] removes the same ties there.
/// Stops with [`SelectError::Cancelled`] soon after `cancel` is set.
///
/// # Errors
/// As [`select_cancellable`].
pub fn select_targets(
    graph: &Graph,
    targets: &[NodeId],
    heuristic: &dyn Heuristic,
    policy: &Policy,
    opts: &SelectOptions<'_>,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<TargetPass>, SelectError> {
    let cancelled = || cancel.is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed));
    check_inputs(graph, targets, policy, opts)?;
    let minimized = if opts.strict_minimization && !opts.excluded.is_empty() {
        Some(minimize(graph, opts.excluded.nodes())?)
    } else {
        None
    };
    let actual = minimized.as_ref().unwrap_or(graph);
    let ctx = Context {
        actual,
        original: graph,
        heuristic,
        policy,
        opts,
    };

    let passes: Vec<Result<TargetPass, SelectError>> = targets
        .par_iter()
        .map_init(
            || (Scratch::new(), Vec::new()),
            |(scratch, out), &t| {
                if cancelled() {
                    return Err(SelectError::Cancelled);
                }
                ctx.target_pass(t, scratch, out)
            },
        )
        .collect();
    if cancelled() {
        return Err(SelectError::Cancelled);
    }
    // Report the first failing target in input order, whatever the scheduling.
    passes.into_iter().collect()
}

/// The consent figures of `excluded` (without the counterfactual count, which
/// [`select_global`] fills in).
pub fn consent_of(excluded: &ExclusionSet) -> ConsentSummary {
    ConsentSummary {
        listed: excluded.listed() as u64,
        unknown: excluded.unknown().len() as u64,
        excluded_in_graph: excluded.nodes().len() as u64,
        excluded_would_have_been_selected: 0,
        canonical_sha256: excluded.canonical_sha256().to_owned(),
    }
}

/// The step of [`select`] across targets: the `budget` policy's allocation (and its
/// counterfactual without the exclusion list), then the rows, exposure and consent figures.
/// `passes` are [`select_targets`]'s, in target input order (from one graph or from the
/// balls of a partitioned run: they name people by person id); `consent` the exclusion
/// list's figures over the whole graph, whose `excluded_would_have_been_selected` this
/// fills in; `calibrated` whether the passes read a calibration.
pub fn select_global(
    passes: Vec<TargetPass>,
    policy: &Policy,
    mut consent: ConsentSummary,
    calibrated: bool,
) -> Selection {
    let friends: Vec<(PersonId, u64)> = passes.iter().map(|p| (p.target, p.friends)).collect();
    let (chosen, would_have): (Vec<Vec<Pick>>, u64) = match *policy {
        Policy::Budget { budget, cap } => {
            let pools: Vec<&[Pick]> = passes.iter().map(|p| p.chosen.as_slice()).collect();
            let chosen = greedy(&pools, budget, cap);
            let would_have = if consent.excluded_in_graph == 0 {
                0
            } else {
                let cf: Vec<&[Pick]> = passes
                    .iter()
                    .map(|p| p.counterfactual_pool.as_deref().unwrap_or(&p.chosen))
                    .collect();
                greedy(&cf, budget, cap)
                    .iter()
                    .flatten()
                    .filter(|c| c.excluded)
                    .count() as u64
            };
            (chosen, would_have)
        }
        _ => {
            let would_have = passes
                .iter()
                .map(|p| p.excluded_would_have_been_selected)
                .sum();
            (passes.into_iter().map(|p| p.chosen).collect(), would_have)
        }
    };
    consent.excluded_would_have_been_selected = would_have;
    assemble(&friends, chosen, consent, calibrated)
}

fn check_inputs(
    graph: &Graph,
    targets: &[NodeId],
    policy: &Policy,
    opts: &SelectOptions<'_>,
) -> Result<(), SelectError> {
    opts.config.validate()?;
    if matches!(policy, Policy::Probability(_)) && opts.calibration.is_none() {
        return Err(SelectError::CalibrationRequired {
            policy: policy.to_string(),
        });
    }
    if opts.min_evidence > 0 && graph.interactions().is_none() {
        return Err(SelectError::MinEvidenceWithoutEvents {
            min_evidence: opts.min_evidence,
        });
    }
    let mut seen: Vec<NodeId> = Vec::with_capacity(targets.len());
    for &t in targets {
        if t.index() >= graph.num_nodes() {
            return Err(SelectError::TargetOutOfRange {
                node: t.0,
                nodes: graph.num_nodes(),
            });
        }
        seen.push(t);
    }
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(SelectError::DuplicateTarget {
            person: graph.person(w[0]),
        });
    }
    Ok(())
}

struct Context<'a> {
    /// The graph selection reads: minimised under strict minimisation.
    actual: &'a Graph,
    /// The graph as given, for the counterfactual without the exclusion list.
    original: &'a Graph,
    heuristic: &'a dyn Heuristic,
    policy: &'a Policy,
    opts: &'a SelectOptions<'a>,
}

impl Context<'_> {
    fn target_pass(
        &self,
        t: NodeId,
        scratch: &mut Scratch,
        out: &mut Vec<f64>,
    ) -> Result<TargetPass, SelectError> {
        let cands = self.candidates(self.actual, t, scratch, out)?;
        let excluding = !self.opts.excluded.is_empty();
        // Without minimisation the counterfactual reads the same scores; with it, the
        // original graph's.
        let counterfactual = match (excluding, std::ptr::eq(self.actual, self.original)) {
            (false, _) => None,
            (true, true) => Some(cands.clone()),
            (true, false) => Some(self.candidates(self.original, t, scratch, out)?),
        };
        let eligible: Vec<Candidate> = cands
            .into_iter()
            .filter(|c| c.enough_evidence && !c.excluded)
            .collect();
        let cf_pool: Option<Vec<Candidate>> =
            counterfactual.map(|c| c.into_iter().filter(|c| c.enough_evidence).collect());
        let (chosen, counterfactual_pool, would_have) = match self.policy {
            Policy::Budget { .. } => (
                eligible.into_iter().filter(|c| c.value > 0.0).collect(),
                cf_pool.map(|p| p.into_iter().filter(|c| c.value > 0.0).collect()),
                0,
            ),
            Policy::Coverage(_) => (
                self.coverage_probabilities(t, choose(self.policy, eligible))?,
                None,
                cf_pool.map_or(0, |p| {
                    choose(self.policy, p).iter().filter(|c| c.excluded).count() as u64
                }),
            ),
            policy => (
                choose(policy, eligible),
                None,
                cf_pool.map_or(0, |p| {
                    choose(policy, p).iter().filter(|c| c.excluded).count() as u64
                }),
            ),
        };
        let pick = |c: &Candidate, channel: Option<u8>| Pick {
            alter: self.actual.person(c.node),
            score: c.score,
            value: c.value,
            probability: c.probability,
            block: c.block,
            excluded: c.excluded,
            channel,
        };
        Ok(TargetPass {
            target: self.original.person(t),
            friends: self.original.degree(t) as u64,
            chosen: chosen
                .iter()
                .map(|c| pick(c, reason(self.actual, self.opts.config, t, c.node)))
                .collect(),
            counterfactual_pool: counterfactual_pool
                .map(|p: Vec<Candidate>| p.iter().map(|c| pick(c, None)).collect()),
            excluded_would_have_been_selected: would_have,
        })
    }

    /// Replaces the probabilities of `coverage`'s picks by the calibration's map of the
    /// policy's own walk ([`Calibration::coverage`]), when it has one.
    fn coverage_probabilities(
        &self,
        t: NodeId,
        mut picks: Vec<Candidate>,
    ) -> Result<Vec<Candidate>, SelectError> {
        let Some(c) = self.opts.calibration else {
            return Ok(picks);
        };
        let degree = u32::try_from(self.actual.degree(t)).unwrap_or(u32::MAX);
        for pick in &mut picks {
            let at = Position {
                rank: pick.walk_rank,
                degree,
            };
            let Some((p, block)) = c.coverage(pick.uncovered, at) else {
                continue;
            };
            if !(0.0..=1.0).contains(&p) {
                return Err(SelectError::InvalidProbability {
                    target: self.actual.person(t),
                    alter: self.actual.person(pick.node),
                    score: pick.uncovered,
                    probability: p,
                });
            }
            pick.probability = Some(p);
            pick.block = block;
        }
        Ok(picks)
    }

    /// Scores `t`'s friends on `graph` and annotates them; one entry per friend.
    fn candidates(
        &self,
        graph: &Graph,
        t: NodeId,
        scratch: &mut Scratch,
        out: &mut Vec<f64>,
    ) -> Result<Vec<Candidate>, SelectError> {
        let friends = graph.neighbors(t);
        self.heuristic.score(graph, t, scratch, out);
        let name = || self.heuristic.name().to_owned();
        if out.len() != friends.len() {
            return Err(SelectError::ScoreCount {
                heuristic: name(),
                target: graph.person(t),
                expected: friends.len(),
                got: out.len(),
            });
        }
        if let Some(i) = out.iter().position(|s| !s.is_finite()) {
            return Err(SelectError::NonFiniteScore {
                heuristic: name(),
                target: graph.person(t),
                alter: graph.person(friends[i]),
                score: out[i],
            });
        }
        // Normalised score: divide by the largest, after shifting so the lowest is >= 0.
        let lo = out.iter().copied().fold(0.0_f64, f64::min);
        let hi = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = hi - lo;
        let first_slot = graph.csr().slots(t).start;
        let inter = graph.interactions();
        let coverage = matches!(self.policy, Policy::Coverage(_));
        // Calibrated probabilities (and their blocks) by position in the target's whole
        // ranking, with the running minimum along it: the `probability` policy stops at
        // the first friend below its threshold, so it always takes a prefix of the ranking.
        // The probability itself is not capped: it is calibrated for its position, and
        // capping it would bias the expected exposure upwards.
        let mut calibrated: Vec<Option<(f64, f64, Option<Block>)>> = vec![None; friends.len()];
        if let Some(c) = self.opts.calibration {
            let mut order: Vec<usize> = (0..friends.len()).collect();
            order.sort_by(|&a, &b| out[b].total_cmp(&out[a]).then(a.cmp(&b)));
            let degree = u32::try_from(friends.len()).unwrap_or(u32::MAX);
            let mut cap = 1.0_f64;
            for (r, &i) in order.iter().enumerate() {
                let at = Position {
                    rank: u32::try_from(r + 1).unwrap_or(u32::MAX),
                    degree,
                };
                let p = c.probability(out[i], at);
                if !(0.0..=1.0).contains(&p) {
                    return Err(SelectError::InvalidProbability {
                        target: graph.person(t),
                        alter: graph.person(friends[i]),
                        score: out[i],
                        probability: p,
                    });
                }
                cap = cap.min(p);
                calibrated[i] = Some((p, cap, c.block(out[i], at)));
            }
        }
        let mut cands = Vec::with_capacity(friends.len());
        for (i, (&v, &score)) in friends.iter().zip(out.iter()).enumerate() {
            let probability = calibrated[i].map(|c| c.0);
            let normalised = if span > 0.0 { (score - lo) / span } else { 0.0 };
            let evidence = inter.map_or(0u64, |inter| {
                [inter.tie(t, v), inter.tie(v, t)]
                    .iter()
                    .flatten()
                    .map(|a| u64::from(a.summary.count))
                    .sum()
            });
            cands.push(Candidate {
                node: v,
                score,
                value: probability.unwrap_or(normalised),
                probability,
                prefix_probability: calibrated[i].map_or(0.0, |c| c.1),
                block: calibrated[i].and_then(|c| c.2),
                weight: if coverage {
                    pair_weight(graph, self.opts.config, t, first_slot + i)
                } else {
                    0.0
                },
                walk_rank: 1,
                uncovered: 0.0,
                excluded: self.opts.excluded.contains(v),
                enough_evidence: evidence >= u64::from(self.opts.min_evidence),
            });
        }
        Ok(cands)
    }
}

/// Descending score, ties by person id (dense ids follow person-id order).
fn by_score(a: &Candidate, b: &Candidate) -> Ordering {
    b.score.total_cmp(&a.score).then(a.node.cmp(&b.node))
}

/// Applies a per-target policy to the eligible friends of one target.
fn choose(policy: &Policy, mut pool: Vec<Candidate>) -> Vec<Candidate> {
    match *policy {
        Policy::TopK(k) => {
            pool.sort_by(by_score);
            pool.truncate(usize::try_from(k).unwrap_or(usize::MAX));
            pool
        }
        Policy::Threshold(x) => pool.into_iter().filter(|c| c.score >= x).collect(),
        Policy::Probability(p) => pool
            .into_iter()
            .filter(|c| c.probability.is_some() && c.prefix_probability >= p)
            .collect(),
        Policy::Coverage(percent) => {
            pool.retain(|c| c.weight > 0.0);
            pool.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.node.cmp(&b.node)));
            // Summed in the same order as the walk, so at 100% the last prefix equals it exactly.
            let total: f64 = pool.iter().map(|c| c.weight).sum();
            let goal = percent / 100.0 * total;
            let mut cumulative = 0.0;
            let mut take = 0;
            for (r, c) in pool.iter_mut().enumerate() {
                if cumulative >= goal {
                    break;
                }
                c.walk_rank = u32::try_from(r + 1).unwrap_or(u32::MAX);
                c.uncovered = 1.0 - cumulative / total;
                cumulative += c.weight;
                take += 1;
            }
            pool.truncate(take);
            pool
        }
        // The budget is global; `select` never calls this for it.
        Policy::Budget { .. } => Vec::new(),
    }
}

/// Descending score, ties by person id: [`by_score`] on picks.
fn pick_by_score(a: &Pick, b: &Pick) -> Ordering {
    b.score.total_cmp(&a.score).then(a.alter.cmp(&b.alter))
}

/// The greedy budget allocation: walk every (target, friend) pair by descending value (ties
/// by target input order, then person id) and keep it while the budget lasts and the
/// person is under the cap. Returns the chosen per target.
fn greedy(pools: &[&[Pick]], budget: u64, cap: Option<u32>) -> Vec<Vec<Pick>> {
    let mut items: Vec<(usize, &Pick)> = pools
        .iter()
        .enumerate()
        .flat_map(|(ti, pool)| pool.iter().map(move |c| (ti, c)))
        .collect();
    items.sort_by(|a, b| {
        b.1.value
            .total_cmp(&a.1.value)
            .then(a.0.cmp(&b.0))
            .then(a.1.alter.cmp(&b.1.alter))
    });
    let mut received: HashMap<PersonId, u32> = HashMap::new();
    let mut chosen = vec![Vec::new(); pools.len()];
    let mut sent = 0u64;
    for (ti, c) in items {
        if sent >= budget {
            break;
        }
        let r = received.entry(c.alter).or_insert(0);
        if cap.is_some_and(|cap| *r >= cap) {
            continue;
        }
        *r += 1;
        sent += 1;
        chosen[ti].push(c.clone());
    }
    chosen
}

/// The main evidence between `t` and `v` (see [`AudienceRow::reason`]) as a channel code,
/// `None` for [`REASON_STRUCTURE`].
fn reason(graph: &Graph, config: &HeuristicConfig, t: NodeId, v: NodeId) -> Option<u8> {
    let inter = graph.interactions()?;
    let mut per = [(0.0_f64, 0u64); CHANNEL_COUNT];
    for tie in [inter.tie(t, v), inter.tie(v, t)].iter().flatten() {
        for c in tie.channels {
            let i = usize::from(c.channel);
            per[i].0 += config.channel_weights[i] * f64::from(c.count);
            per[i].1 += u64::from(c.count);
        }
    }
    let mut best: Option<usize> = None;
    for (i, &(w, n)) in per.iter().enumerate() {
        if n == 0 {
            continue;
        }
        // Strictly greater keeps the lower channel code on ties.
        if best.is_none_or(|b| (w, n) > per[b]) {
            best = Some(i);
        }
    }
    best.and_then(|b| u8::try_from(b).ok())
}

/// Rows, exposure and consent figures of the chosen per target (`targets`: person id and
/// number of friends, in input order).
fn assemble(
    targets: &[(PersonId, u64)],
    chosen: Vec<Vec<Pick>>,
    consent: ConsentSummary,
    calibrated: bool,
) -> Selection {
    let mut rows = Vec::new();
    let mut per_target = Vec::with_capacity(targets.len());
    let mut reached: Vec<PersonId> = Vec::new();
    let mut collateral_total = 0.0;
    let mut variance = 0.0;
    // Per block: its standard error and how many notices read it.
    let mut blocks: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for (&(t, _), mut picks) in targets.iter().zip(chosen) {
        picks.sort_by(pick_by_score);
        let mut collateral = 0.0;
        for (i, c) in picks.iter().enumerate() {
            collateral += c.probability.map_or(0.0, |p| 1.0 - p);
            variance += c.probability.map_or(0.0, |p| p * (1.0 - p));
            if let Some(b) = c.block {
                let e = blocks.entry(b.id).or_insert((b.standard_error, 0.0));
                e.1 += 1.0;
            }
            reached.push(c.alter);
            rows.push(AudienceRow {
                target: t,
                alter: c.alter,
                selection_rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                score: c.score,
                probability: c.probability,
                reason: c.reason().to_owned(),
            });
        }
        collateral_total += collateral;
        per_target.push(TargetExposure {
            target: t,
            notices: picks.len() as u64,
            people_reached: picks.len() as u64,
            expected_collateral: calibrated.then_some(collateral),
        });
    }
    reached.sort_unstable();
    reached.dedup();
    let calibration_variance: f64 = blocks
        .values()
        .map(|(se, n)| {
            if se.is_finite() {
                (se * n).powi(2)
            } else {
                0.0
            }
        })
        .sum();
    Selection {
        exposure: ExposureSummary {
            per_target,
            notices: rows.len() as u64,
            people_reached: reached.len() as u64,
            expected_collateral: calibrated.then_some(collateral_total),
            expected_collateral_interval: calibrated.then(|| {
                let half = EXPOSURE_Z * (variance + calibration_variance).sqrt();
                let notices = rows.len() as f64;
                (
                    (collateral_total - half).clamp(0.0, notices),
                    (collateral_total + half).clamp(0.0, notices),
                )
            }),
        },
        rows,
        consent,
    }
}

//! Tie-strength heuristics: given a target person, score each of their friends by how
//! close the relationship is.
//!
//! # Crate layout
//! - [`Heuristic`]: the one trait every heuristic implements. A heuristic is a *pure
//!   function* of a read-only [`Graph`], a target and a [`Scratch`] buffer: no global
//!   state, no I/O, no interior mutability. That is what lets the same kernels run on a
//!   partition of a distributed graph later.
//! - [`ego`]: heuristics that read only the target's own ties (volume, recency,
//!   reciprocity, persistence, multiplexity, baselines, the combination).
//! - [`two_hop`]: heuristics that read the friends' friends (common neighbours, Jaccard,
//!   Adamic–Adar, resource allocation, overlap, dispersion) and personalized PageRank.
//! - [`rank`]: the parallel driver that ranks many targets under many heuristics with
//!   bounded top-k and deterministic tie-breaking.
//! - [`build`] / [`build_all`]: the registry from command-line names to heuristics.
//!
//! The candidates for a target are exactly its friends: a notice can only reach them. Every
//! heuristic writes one score per friend, aligned with `graph.neighbors(target)`, so
//! "returns only the target's friends" holds by construction. Higher scores mean closer.

pub mod ego;
pub mod rank;
pub mod two_hop;
mod weights;

pub use weights::{directed_volume, for_each_pair_weight, pair_weight};

use tierank_format::enums::CHANNEL_COUNT;
use tierank_graph::{Graph, NodeId};

/// How far from the target a heuristic reads, which decides its cost and how it partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CostClass {
    /// Only the target's own ties (and the reverse direction of each): `O(d)`.
    Ego,
    /// The target's friends' friends: `O(Σ_{v∈N(u)} d_v)`.
    TwoHop,
    /// A bounded local exploration beyond two hops (push-based PageRank): `O(1/(εα))`.
    Local,
}

impl CostClass {
    /// Lower-case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CostClass::Ego => "ego",
            CostClass::TwoHop => "two_hop",
            CostClass::Local => "local",
        }
    }
}

/// What input a heuristic needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Needs {
    /// Only the friendship structure.
    Topology,
    /// A tie weight: interaction events, or a `weight` column in `ties.parquet`.
    Weights,
    /// Interaction events with channels and timestamps.
    Events,
}

impl Needs {
    /// Whether `graph` has what this requirement asks for.
    pub fn satisfied_by(self, graph: &Graph) -> bool {
        match self {
            Needs::Topology => true,
            Needs::Weights => graph.interactions().is_some() || graph.weights().is_some(),
            Needs::Events => graph.interactions().is_some(),
        }
    }
}

/// One heuristic. See the crate documentation for the contract.
pub trait Heuristic: Send + Sync + std::fmt::Debug {
    /// The command-line name (`volume`, `jaccard`, ...).
    fn name(&self) -> &str;
    /// How far from the target it reads.
    fn cost_class(&self) -> CostClass;
    /// What input it needs.
    fn needs(&self) -> Needs;
    /// Clears `out` and pushes one finite score per friend of `target`, in the order of
    /// `graph.neighbors(target)`. Higher is closer.
    ///
    /// Must not allocate per call in steady state beyond growing `scratch` and `out`, and
    /// must leave `scratch` reusable for the next call.
    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>);
}

/// Reusable per-thread working memory for [`Heuristic::score`].
///
/// Dense per-node arrays are sized lazily to the graph on first use and must be left in
/// their "clean" state (all zero / unmarked) after every call, so that a call costs time
/// proportional to what it touches, not to the graph size.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    /// Generation-stamped marks: node `v` is marked when `marks[v] == stamp`.
    pub marks: Vec<u32>,
    /// A node bitset, all zero between calls: the two-hop kernels set the target's friends,
    /// probe it once per friend-of-friend, and unset them again.
    pub bits: Vec<u64>,
    /// The current generation; bump with [`Scratch::next_stamp`] to clear all marks in `O(1)`.
    pub stamp: u32,
    /// For a marked node, its position in the target's neighbour list.
    pub position: Vec<u32>,
    /// Dense per-node values, all zero between calls (PageRank estimate).
    pub dense_a: Vec<f64>,
    /// Dense per-node values, all zero between calls (PageRank residual).
    pub dense_b: Vec<f64>,
    /// Nodes whose dense values were touched in this call.
    pub touched: Vec<NodeId>,
    /// A work queue.
    pub queue: Vec<NodeId>,
    /// Per-friend temporaries (length of the target's degree).
    pub buf_a: Vec<f64>,
    /// Per-friend temporaries.
    pub buf_b: Vec<f64>,
    /// Per-friend temporaries.
    pub buf_c: Vec<f64>,
    /// The last target's ego network and dispersed pairs, kept so that dispersion and
    /// recursive dispersion build them once per target between them.
    pub ego: two_hop::EgoCache,
    /// Reserved for `combo`: one component's scores, kept apart from the buffers above
    /// because the components use those themselves.
    pub combo_part: Vec<f64>,
    /// Reserved for the `learned` heuristic of `tierank-eval`: one component's scores. Kept
    /// apart from `combo_part` because a learned model may contain `combo` as a component.
    pub learned_part: Vec<f64>,
    /// `ppr`'s weighted degree `d(x)` per node, NaN where not computed yet. With events, each
    /// `d(x)` costs a reverse search per friend of `x`, and a thread's pushes touch the same
    /// busy nodes target after target: computing it once per thread made `ppr` on `large`
    /// several times faster. Valid only for [`Scratch::weighted_degree_key`].
    pub weighted_degree: Vec<f64>,
    /// `ppr`'s lower bound on `d(x)` from `x`'s own events, NaN where not computed yet: most
    /// touched nodes stay far below the push threshold, and this bound shows it without the
    /// search per friend that `d(x)` costs. Valid only for [`Scratch::weighted_degree_key`].
    pub weighted_degree_floor: Vec<f64>,
    /// The graph ([`Graph::instance`](tierank_graph::Graph::instance)) and channel weights
    /// (as bits) that [`Scratch::weighted_degree`] and [`Scratch::weighted_degree_floor`]
    /// were computed for.
    pub weighted_degree_key: Option<(u64, [u64; CHANNEL_COUNT])>,
}

impl Scratch {
    /// An empty scratch; arrays grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the dense arrays at least `n` long.
    pub fn ensure_nodes(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
            self.position.resize(n, 0);
            self.dense_a.resize(n, 0.0);
            self.dense_b.resize(n, 0.0);
        }
    }

    /// Starts a new generation of marks (clearing all marks in `O(1)` amortised).
    pub fn next_stamp(&mut self) -> u32 {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.marks.iter_mut().for_each(|m| *m = 0);
            self.stamp = 1;
        }
        self.stamp
    }

    /// Marks every friend of `target` and records its position in the neighbour list.
    /// Returns the stamp. `O(d)`.
    pub fn mark_neighbors(&mut self, graph: &Graph, target: NodeId) -> u32 {
        self.ensure_nodes(graph.num_nodes());
        let stamp = self.next_stamp();
        for (i, &v) in graph.neighbors(target).iter().enumerate() {
            self.marks[v.index()] = stamp;
            self.position[v.index()] = i as u32;
        }
        stamp
    }

    /// Whether `v` carries the current stamp.
    #[inline]
    pub fn is_marked(&self, v: NodeId) -> bool {
        self.marks[v.index()] == self.stamp
    }
}

/// Whether persistence counts days or weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersistenceUnit {
    /// Distinct UTC days with contact.
    #[default]
    Days,
    /// Distinct weeks with contact.
    Weeks,
}

/// Parameters of every heuristic, shared by the CLI, the benches and the tests.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeuristicConfig {
    /// Weight of one event per channel, indexed by [`tierank_format::Channel::index`].
    pub channel_weights: [f64; CHANNEL_COUNT],
    /// Weight of events the target sent relative to events it received (Roth et al. 2010
    /// weigh outgoing interactions more). 1.0 treats both directions alike.
    pub outgoing_weight: f64,
    /// Seed of the `random` baseline.
    pub seed: u64,
    /// Teleport probability α of the lazy personalized PageRank push.
    pub ppr_alpha: f64,
    /// Push threshold ε: the residual bound `r(u) < ε d(u)` at termination.
    pub ppr_epsilon: f64,
    /// Exponent α of normalised dispersion.
    pub dispersion_alpha: f64,
    /// Offset b of normalised dispersion.
    pub dispersion_b: f64,
    /// Offset c of normalised dispersion.
    pub dispersion_c: f64,
    /// Iterations of recursive dispersion.
    pub dispersion_iterations: u32,
    /// Persistence counts days or weeks.
    pub persistence_unit: PersistenceUnit,
    /// The `combo` heuristic: (heuristic name, weight) of per-target normalised scores.
    pub combo: Vec<(String, f64)>,
}

/// Default channel weights: a call or a transfer says more than a like; a group-chat reply
/// says little. Indexed like [`tierank_format::Channel::ALL`].
pub const DEFAULT_CHANNEL_WEIGHTS: [f64; CHANNEL_COUNT] = [1.0, 3.0, 0.2, 0.5, 2.0, 0.1];
/// Default teleport probability of the lazy push (Andersen, Chung & Lang 2006 use 0.15).
pub const DEFAULT_PPR_ALPHA: f64 = 0.15;
/// Default push threshold. Work is `O(1/(εα))`; 1e-4 ranks a target's friends in about a
/// millisecond on the `small` preset, while 1e-6 costs ~100× more for a ranking that
/// rarely changes (friends hold most of the mass near the target).
pub const DEFAULT_PPR_EPSILON: f64 = 1e-4;
/// Smallest accepted teleport probability. The push shrinks residual mass by a factor
/// `1 - α` per sweep, so it needs about `ln(1/ε)/α` sweeps: below 1e-3 (or at a subnormal
/// α, where `1 - α == 1` and it never ends; found by fuzzing a model file) a ranking would not
/// finish in practical time.
pub const MIN_PPR_ALPHA: f64 = 1e-3;
/// Smallest accepted push threshold: with [`MIN_PPR_ALPHA`] it bounds the sweeps by about
/// `ln(1e12)/1e-3 ≈ 28,000`; smaller values only add float noise to the scores.
pub const MIN_PPR_EPSILON: f64 = 1e-12;
/// Backstrom & Kleinberg (2014)'s best normalised-dispersion parameters.
pub const DEFAULT_DISPERSION: (f64, f64, f64) = (0.61, 0.0, 5.0);
/// Backstrom & Kleinberg (2014) found three iterations best.
pub const DEFAULT_DISPERSION_ITERATIONS: u32 = 3;

impl Default for HeuristicConfig {
    fn default() -> Self {
        Self {
            channel_weights: DEFAULT_CHANNEL_WEIGHTS,
            outgoing_weight: 1.0,
            seed: 0,
            ppr_alpha: DEFAULT_PPR_ALPHA,
            ppr_epsilon: DEFAULT_PPR_EPSILON,
            dispersion_alpha: DEFAULT_DISPERSION.0,
            dispersion_b: DEFAULT_DISPERSION.1,
            dispersion_c: DEFAULT_DISPERSION.2,
            dispersion_iterations: DEFAULT_DISPERSION_ITERATIONS,
            persistence_unit: PersistenceUnit::Days,
            combo: vec![
                ("persistence".into(), 1.0),
                ("reciprocity".into(), 1.0),
                ("overlap".into(), 0.5),
            ],
        }
    }
}

impl HeuristicConfig {
    /// Checks every parameter's range.
    ///
    /// # Errors
    /// [`HeuristicError::InvalidParameter`] for the first parameter out of range.
    pub fn validate(&self) -> Result<(), HeuristicError> {
        let bad = |name: &'static str, reason: String| {
            Err(HeuristicError::InvalidParameter { name, reason })
        };
        if self
            .channel_weights
            .iter()
            .any(|w| !w.is_finite() || *w < 0.0)
            || self.channel_weights.iter().all(|w| *w == 0.0)
        {
            return bad(
                "channel_weights",
                "must be finite, non-negative and not all zero".into(),
            );
        }
        if !(self.outgoing_weight.is_finite() && self.outgoing_weight >= 0.0) {
            return bad(
                "outgoing_weight",
                format!("{} is not >= 0", self.outgoing_weight),
            );
        }
        if !(self.ppr_alpha >= MIN_PPR_ALPHA && self.ppr_alpha < 1.0) {
            return bad(
                "ppr_alpha",
                format!("{} is not in [{MIN_PPR_ALPHA}, 1)", self.ppr_alpha),
            );
        }
        if !(self.ppr_epsilon >= MIN_PPR_EPSILON && self.ppr_epsilon < 1.0) {
            return bad(
                "ppr_epsilon",
                format!("{} is not in [{MIN_PPR_EPSILON}, 1)", self.ppr_epsilon),
            );
        }
        if !(self.dispersion_alpha.is_finite() && self.dispersion_alpha > 0.0) {
            return bad(
                "dispersion_alpha",
                format!("{} is not > 0", self.dispersion_alpha),
            );
        }
        if !(self.dispersion_b.is_finite() && self.dispersion_b >= 0.0) {
            return bad("dispersion_b", format!("{} is not >= 0", self.dispersion_b));
        }
        if !(self.dispersion_c.is_finite() && self.dispersion_c >= 0.0) {
            return bad("dispersion_c", format!("{} is not >= 0", self.dispersion_c));
        }
        if self.dispersion_iterations == 0 {
            return bad("dispersion_iterations", "must be at least 1".into());
        }
        if self.combo.is_empty() || self.combo.iter().any(|(_, w)| !w.is_finite()) {
            return bad(
                "combo",
                "needs at least one (heuristic, finite weight)".into(),
            );
        }
        Ok(())
    }
}

/// Errors raised when choosing or configuring heuristics.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeuristicError {
    /// No heuristic has this name.
    #[error("unknown heuristic '{name}' (known: {})", NAMES.join(", "))]
    Unknown {
        /// The rejected name.
        name: String,
    },
    /// The heuristic needs input the dataset does not have.
    #[error("heuristic '{name}' needs {needs}, which this dataset does not have")]
    Unsupported {
        /// The heuristic.
        name: String,
        /// What is missing, in words.
        needs: &'static str,
    },
    /// A parameter is out of range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// An empty list of heuristics was given.
    #[error("no heuristic given")]
    Empty,
}

/// A registry entry: a name and a constructor.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Command-line name.
    pub name: &'static str,
    /// Builds the heuristic from the shared configuration.
    pub build: fn(&HeuristicConfig) -> Result<Box<dyn Heuristic>, HeuristicError>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// Every heuristic's command-line name, in the order `all` expands to.
pub const NAMES: &[&str] = &[
    "volume",
    "recency",
    "reciprocity",
    "persistence",
    "multiplexity",
    "common_neighbors",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "overlap",
    "dispersion",
    "recursive_dispersion",
    "ppr",
    "random",
    "degree",
    "combo",
];

fn entry(name: &str) -> Option<Entry> {
    ego::ENTRIES
        .iter()
        .chain(two_hop::ENTRIES.iter())
        .find(|e| e.name == name)
        .copied()
}

/// Builds one heuristic by command-line name and checks the graph supports it.
///
/// # Errors
/// [`HeuristicError::Unknown`], [`HeuristicError::Unsupported`] or a parameter error.
pub fn build(
    name: &str,
    config: &HeuristicConfig,
    graph: &Graph,
) -> Result<Box<dyn Heuristic>, HeuristicError> {
    config.validate()?;
    let e = entry(name).ok_or_else(|| HeuristicError::Unknown { name: name.into() })?;
    let h = (e.build)(config)?;
    check_supported(h.as_ref(), graph)?;
    Ok(h)
}

fn check_supported(h: &dyn Heuristic, graph: &Graph) -> Result<(), HeuristicError> {
    if h.needs().satisfied_by(graph) {
        return Ok(());
    }
    Err(HeuristicError::Unsupported {
        name: h.name().to_owned(),
        needs: match h.needs() {
            Needs::Events => "interaction events (events/*.parquet)",
            Needs::Weights => "interaction events or a 'weight' column in ties.parquet",
            Needs::Topology => "nothing",
        },
    })
}

/// Builds a comma-separated list of names; `all` expands to every heuristic the graph
/// supports, in [`NAMES`] order. Duplicates are removed, keeping the first.
///
/// # Errors
/// As [`build`]; [`HeuristicError::Empty`] for an empty list.
pub fn build_all(
    list: &str,
    config: &HeuristicConfig,
    graph: &Graph,
) -> Result<Vec<Box<dyn Heuristic>>, HeuristicError> {
    config.validate()?;
    let mut names: Vec<&str> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "all" {
            for &n in NAMES {
                let e = entry(n).ok_or_else(|| HeuristicError::Unknown { name: n.into() })?;
                let h = (e.build)(config)?;
                if h.needs().satisfied_by(graph) && !names.contains(&n) {
                    names.push(n);
                }
            }
        } else if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(HeuristicError::Empty);
    }
    names.iter().map(|n| build(n, config, graph)).collect()
}

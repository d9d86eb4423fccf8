//! The flags of heuristic parameters shared by the commands that score friends (`rank`,
//! `compare`, `select`): one set of flags, turned into the request's
//! [`tierank_api::HeuristicParams`], which checks them in one place.

use tierank_heuristics::NAMES;

/// The flags that configure heuristics and the recency decay of the loader.
#[derive(Debug, Clone, clap::Args)]
pub struct HeuristicArgs {
    /// Seed of the `random` baseline (and of `rank --sample`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Half-life of the recency decay, in days.
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub half_life_days: Option<f64>,
    /// Weight of one event per channel, e.g. `message=1,call=3`; channels not listed keep
    /// their defaults (message=1, call=3, like=0.2, comment=0.5, transfer=2, group_message=0.1).
    #[arg(long, value_name = "LIST")]
    pub channel_weights: Option<String>,
    /// Weight of events the target sent, relative to events it received.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub outgoing_weight: Option<f64>,
    /// Teleport probability of personalized PageRank, in (0, 1).
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    pub ppr_alpha: Option<f64>,
    /// Push threshold of personalized PageRank, in (0, 1).
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    pub ppr_epsilon: Option<f64>,
    /// Components of `combo`, e.g. `persistence=1,reciprocity=1,overlap=0.5` (replaces the
    /// default list).
    #[arg(long, value_name = "LIST")]
    pub combo: Option<String>,
    /// The event window.
    #[command(flatten)]
    pub window: WindowArgs,
}

/// The event window: which events count, and the "now" recency is measured from. Without
/// these flags the window is the generation window recorded in the dataset's manifest, or
/// else estimated robustly from the timestamps (see docs/data-model.md); events outside it
/// are left out and counted.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WindowArgs {
    /// First instant of the event window (inclusive): YYYY-MM-DD (UTC midnight) or RFC 3339
    /// (2026-01-01T08:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub window_start: Option<String>,
    /// End of the event window (exclusive), also the "now" of recency: YYYY-MM-DD or RFC 3339.
    #[arg(long, value_name = "TIME", conflicts_with = "as_of")]
    pub window_end: Option<String>,
    /// The "now" of recency: events at or after it are left out (the same as --window-end).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
}

impl WindowArgs {
    /// The request's window settings.
    pub fn to_params(&self) -> tierank_api::WindowParams {
        tierank_api::WindowParams {
            window_start: self.window_start.clone(),
            window_end: self.window_end.clone(),
            as_of: self.as_of.clone(),
        }
    }
}

impl HeuristicArgs {
    /// The request's heuristic settings (checked by the request).
    pub fn to_params(&self) -> tierank_api::HeuristicParams {
        tierank_api::HeuristicParams {
            seed: self.seed,
            half_life_days: self.half_life_days,
            channel_weights: self.channel_weights.clone(),
            outgoing_weight: self.outgoing_weight,
            ppr_alpha: self.ppr_alpha,
            ppr_epsilon: self.ppr_epsilon,
            combo: self.combo.clone(),
            window: self.window.to_params(),
        }
    }
}

/// The help of an option that takes heuristic names: `what`, then every name, so that
/// `--help` (and `-h`) answers "which heuristics are there?".
pub fn heuristics_help(what: &str) -> String {
    format!("{what} Heuristics: {}.", NAMES.join(", "))
}

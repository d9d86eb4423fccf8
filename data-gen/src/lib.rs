//! Synthetic social networks with months of multi-channel interaction events and a planted
//! ground truth of who is close to whom.
//!
//! # Model in one paragraph
//! People live in households inside neighbourhoods and regions, belong to extended
//! families, work or study somewhere and join interest groups. Friendships form inside
//! those contexts, by triadic closure and over a few long ranges. Each tie has a relation
//! type and a latent closeness per direction; each person's friends fall into Dunbar
//! layers (about 1.5 / 5 / 15 / 50 / 150 cumulative). Events on six channels are drawn
//! per directed tie from closeness, relation type and the sender's activity, with
//! confounders (broadcasters, spammers, busy group chats, dormant and quiet close ties,
//! partial observation). `docs/generator.md` documents every knob and its source.
//!
//! # Crate layout
//! - [`config`]: [`GeneratorConfig`], [`Preset`], overrides and validation.
//! - [`rng`]: counter-based random streams (output independent of thread count).
//! - [`population`]: people and contexts.
//! - [`network`]: friendships, closeness, Dunbar layers.
//! - [`events`]: interaction events and group chats.
//! - [`output`]: Parquet writing helpers.
//! - [`generate`]: writes a dataset directory; [`build`] keeps it in memory.

pub mod config;
pub mod difficulty;
pub mod events;
pub mod memory;
pub mod network;
pub mod output;
pub mod population;
pub mod rng;
mod write;

pub use config::{ConfigOverrides, GeneratorConfig, Preset, Scenario};
pub use tierank_format::atomic::ExistingDir;
pub use write::{GenerateReport, generate, generate_cancellable};

use std::sync::atomic::{AtomicBool, Ordering};

use tierank_format::FormatError;

/// Errors of the generator. Parameter errors are the user's; the rest are I/O.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A parameter is outside its valid range.
    #[error("invalid {parameter} = {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter's name.
        parameter: &'static str,
        /// The rejected value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A preset name that does not exist.
    #[error("unknown preset '{name}' (expected one of: tiny, small, medium, large)")]
    UnknownPreset {
        /// The rejected name.
        name: String,
    },
    /// A channel name that does not exist.
    #[error("drop_channels: {message}")]
    UnknownChannel {
        /// The parse error, listing valid channels.
        message: String,
    },
    /// A TOML configuration file that does not parse.
    #[error("config file {path}: {message}")]
    ConfigFile {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// Writing the dataset failed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The caller set the cancel flag ([`generate_cancellable`]); the staging directory
    /// was removed and nothing was written at the output.
    #[error("cancelled")]
    Cancelled,
}

impl GenError {
    /// True for errors caused by the caller's parameters or output location (as opposed
    /// to I/O failures): the CLI maps these to exit code 2.
    pub fn is_user_error(&self) -> bool {
        match self {
            GenError::Format(FormatError::Output { .. }) => true,
            GenError::Format(_) | GenError::Cancelled => false,
            _ => true,
        }
    }
}

/// A generated network kept in memory (no events): for tests and analyses.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The parameters.
    pub config: GeneratorConfig,
    /// People and contexts.
    pub population: population::Population,
    /// Friendships and layers.
    pub network: network::Network,
    /// Group chats.
    pub groups: Vec<events::GroupChat>,
    /// Window start, ms since the epoch.
    pub start_ms: i64,
}

impl Synthetic {
    /// Closeness of `alter` to `ego` for the directed entry `e` of `ego`'s row.
    pub fn closeness_of_entry(&self, ego: usize, e: usize) -> f64 {
        network::closeness(
            self.config.seed,
            &self.population,
            self.config.difficulty,
            ego as u32,
            self.network.alters[e],
            self.network.relation[e],
            self.network.embedding_of(e),
        )
    }
}

/// True once the caller has asked to stop. The generator polls this between stages and
/// per person inside the long loops: one relaxed load, so the checks cost nothing
/// measurable, and they never change what is drawn (output stays byte-identical).
pub(crate) fn is_cancelled(cancel: Option<&AtomicBool>) -> bool {
    cancel.is_some_and(|flag| flag.load(Ordering::Relaxed))
}

/// [`GenError::Cancelled`] once the caller has asked to stop.
pub(crate) fn check_cancelled(cancel: Option<&AtomicBool>) -> Result<(), GenError> {
    if is_cancelled(cancel) {
        Err(GenError::Cancelled)
    } else {
        Ok(())
    }
}

/// Builds people, friendships, layers and group chats in memory.
///
/// # Errors
/// [`GenError::InvalidParameter`] and friends when `config` does not validate.
pub fn build(config: &GeneratorConfig) -> Result<Synthetic, GenError> {
    build_cancellable(config, None)
}

/// [`build`], stopping with [`GenError::Cancelled`] soon after `cancel` is set (checked
/// between stages and per person inside the friendship stages).
///
/// # Errors
/// As [`build`]; [`GenError::Cancelled`].
pub fn build_cancellable(
    config: &GeneratorConfig,
    cancel: Option<&AtomicBool>,
) -> Result<Synthetic, GenError> {
    config.validate()?;
    check_cancelled(cancel)?;
    let start_ms = config.start_ms()?;
    let t = std::time::Instant::now();
    let population = population::build(config, start_ms);
    log::info!(
        "population: {} people, {} contexts in {:.2?}",
        population.len(),
        population.contexts.len(),
        t.elapsed()
    );
    let t = std::time::Instant::now();
    check_cancelled(cancel)?;
    let network = network::build_cancellable(config, &population, cancel)?;
    log::info!(
        "friendships: {} ties in {:.2?}",
        network.tie_count(),
        t.elapsed()
    );
    let groups = events::group_chats(config, &population, start_ms);
    check_cancelled(cancel)?;
    Ok(Synthetic {
        config: config.clone(),
        population,
        network,
        groups,
        start_ms,
    })
}

//! Generator parameters: presets, overrides from a TOML file or the command line, and
//! validation before any file is touched.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use tierank_format::Channel;

use crate::GenError;

/// Largest supported population: internal indices are packed into 29 bits when edges are
/// sorted and deduplicated.
pub const MAX_PERSONS: u64 = (1 << 29) - 1;

/// Longest supported window, in days (ten years).
pub const MAX_DAYS: i64 = 3650;

/// Dunbar et al. (2015): cumulative layer sizes with a scaling ratio of about 3.
pub const DEFAULT_LAYER_SIZES: [f64; 5] = [1.5, 5.0, 15.0, 50.0, 150.0];

/// A named size of synthetic network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// About 1,000 people: unit tests.
    Tiny,
    /// About 10,000 people: realism tests, examples.
    Small,
    /// About 100,000 people: benchmarks.
    Medium,
    /// About 1,000,000 people: scale tests.
    Large,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 4] = [Preset::Tiny, Preset::Small, Preset::Medium, Preset::Large];

    /// The name used on the command line and in TOML files.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Small => "small",
            Preset::Medium => "medium",
            Preset::Large => "large",
        }
    }
}

/// A behavioural scenario layered over the ordinary model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Nobody hides anything.
    #[default]
    None,
    /// A share of people ([`GeneratorConfig::evader_share`]) know they are watched: they
    /// move contact with their closest ties to channels the data does not see, route money
    /// through a few trusted friends and keep up visible contact with decoys
    /// (`docs/generator.md`, "The evasion scenario").
    Evasion,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 2] = [Scenario::None, Scenario::Evasion];

    /// The name used on the command line and in TOML files.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::None => "none",
            Scenario::Evasion => "evasion",
        }
    }
}

impl FromStr for Scenario {
    type Err = GenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| GenError::InvalidParameter {
                parameter: "scenario",
                value: s.to_owned(),
                expected: "one of: none, evasion",
            })
    }
}

/// Default share of evaders under [`Scenario::Evasion`].
pub const DEFAULT_EVADER_SHARE: f64 = 0.02;

fn default_evader_share() -> f64 {
    DEFAULT_EVADER_SHARE
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Preset {
    type Err = GenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| GenError::UnknownPreset { name: s.to_owned() })
    }
}

/// Every parameter of one generation run. Recorded verbatim in `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// Seed of every random stream.
    pub seed: u64,
    /// Number of people, special accounts included.
    pub persons: u64,
    /// Length of the event window in days.
    pub days: i64,
    /// First day of the window, `YYYY-MM-DD` (UTC midnight).
    pub start_date: String,
    /// 0 = easy (behaviour follows closeness with nothing added), 1 = hard (nine tenths of
    /// behaviour unrelated to closeness); [`crate::difficulty::Difficulty`] lists every term.
    pub difficulty: f64,
    /// Multiplies the number of ties each person forms in every context.
    pub degree_scale: f64,
    /// Degree cap (WeChat's and Facebook's limit is 5,000).
    pub max_degree: u32,
    /// Cumulative Dunbar layer sizes 1..5; must strictly grow.
    pub layer_sizes: [f64; 5],
    /// Person-to-person spread of layer sizes (σ of a mean-1 lognormal factor).
    pub layer_spread: f64,
    /// Share of accounts that are broadcasters (official accounts, merchants, celebrities).
    pub broadcaster_share: f64,
    /// Share of accounts that are spammers.
    pub spammer_share: f64,
    /// Multiplies every event rate.
    pub event_rate: f64,
    /// Multiplies the message rate of group chats.
    pub group_rate: f64,
    /// Channels left out of the output (partial observation), by name.
    pub drop_channels: Vec<String>,
    /// Share of events kept (independent sampling), in `(0, 1]`.
    pub sample_events: f64,
    /// People per events part file (one part is generated, sorted and written at once).
    pub chunk_persons: u64,
    /// Behavioural scenario; absent in manifests written before scenarios existed.
    #[serde(default)]
    pub scenario: Scenario,
    /// Share of ordinary people who evade under [`Scenario::Evasion`] (ignored otherwise).
    #[serde(default = "default_evader_share")]
    pub evader_share: f64,
}

impl GeneratorConfig {
    /// The parameters of a preset, with seed 7.
    pub fn preset(preset: Preset) -> Self {
        let (persons, chunk_persons) = match preset {
            Preset::Tiny => (1_000, 250),
            Preset::Small => (10_000, 2_500),
            Preset::Medium => (100_000, 20_000),
            Preset::Large => (1_000_000, 20_000),
        };
        Self {
            seed: 7,
            persons,
            days: 90,
            start_date: "2026-01-01".to_owned(),
            difficulty: 0.5,
            degree_scale: 1.0,
            max_degree: 5_000,
            layer_sizes: DEFAULT_LAYER_SIZES,
            layer_spread: 0.25,
            broadcaster_share: 0.002,
            spammer_share: 0.002,
            event_rate: 1.0,
            group_rate: 1.0,
            drop_channels: Vec::new(),
            sample_events: 1.0,
            chunk_persons,
            scenario: Scenario::None,
            evader_share: DEFAULT_EVADER_SHARE,
        }
    }

    /// Checks every parameter; the generator calls this before touching the file system.
    ///
    /// # Errors
    /// The first nonsensical parameter, as a [`GenError`] naming it.
    pub fn validate(&self) -> Result<(), GenError> {
        let bad = |parameter: &'static str, value: String, expected: &'static str| {
            Err(GenError::InvalidParameter {
                parameter,
                value,
                expected,
            })
        };
        if self.persons == 0 || self.persons > MAX_PERSONS {
            return bad(
                "persons",
                self.persons.to_string(),
                "an integer in 1..=536870911",
            );
        }
        if self.days <= 0 || self.days > MAX_DAYS {
            return bad(
                "days",
                self.days.to_string(),
                "a whole number of days in 1..=3650",
            );
        }
        parse_date(&self.start_date)?;
        if !(0.0..=1.0).contains(&self.difficulty) {
            return bad(
                "difficulty",
                self.difficulty.to_string(),
                "a number in [0, 1]",
            );
        }
        if !(self.degree_scale.is_finite() && self.degree_scale > 0.0 && self.degree_scale <= 100.0)
        {
            return bad(
                "degree_scale",
                self.degree_scale.to_string(),
                "a number in (0, 100]",
            );
        }
        if self.max_degree < 2 {
            return bad(
                "max_degree",
                self.max_degree.to_string(),
                "an integer of at least 2",
            );
        }
        let sizes = self.layer_sizes;
        if sizes.iter().any(|s| !s.is_finite() || *s < 1.0)
            || sizes.windows(2).any(|w| w[1] <= w[0])
        {
            return bad(
                "layer_sizes",
                format!("{sizes:?}"),
                "five cumulative sizes, the first at least 1, each strictly larger than the one before",
            );
        }
        if !(self.layer_spread.is_finite() && (0.0..=2.0).contains(&self.layer_spread)) {
            return bad(
                "layer_spread",
                self.layer_spread.to_string(),
                "a number in [0, 2]",
            );
        }
        for (name, share) in [
            ("broadcaster_share", self.broadcaster_share),
            ("spammer_share", self.spammer_share),
        ] {
            if !(0.0..=0.2).contains(&share) {
                return bad(name, share.to_string(), "a share in [0, 0.2]");
            }
        }
        for (name, rate) in [
            ("event_rate", self.event_rate),
            ("group_rate", self.group_rate),
        ] {
            if !(rate.is_finite() && (0.0..=1000.0).contains(&rate)) {
                return bad(
                    name,
                    rate.to_string(),
                    "a non-negative multiplier up to 1000",
                );
            }
        }
        if !(self.sample_events > 0.0 && self.sample_events <= 1.0) {
            return bad(
                "sample_events",
                self.sample_events.to_string(),
                "a share in (0, 1]",
            );
        }
        if self.dropped_channels()?.len() == Channel::ALL.len() {
            return bad(
                "drop_channels",
                self.drop_channels.join(","),
                "at least one channel left",
            );
        }
        if !(0.0..=0.5).contains(&self.evader_share) {
            return bad(
                "evader_share",
                self.evader_share.to_string(),
                "a share in [0, 0.5]",
            );
        }
        if self.chunk_persons == 0 {
            return bad("chunk_persons", "0".into(), "a positive number of people");
        }
        Ok(())
    }

    /// The channels named in `drop_channels`.
    ///
    /// # Errors
    /// [`GenError::UnknownChannel`] for a name that is not a channel.
    pub fn dropped_channels(&self) -> Result<Vec<Channel>, GenError> {
        self.drop_channels
            .iter()
            .map(|name| {
                name.parse::<Channel>()
                    .map_err(|e| GenError::UnknownChannel {
                        message: e.to_string(),
                    })
            })
            .collect()
    }

    /// The window start as milliseconds since the Unix epoch.
    ///
    /// # Errors
    /// [`GenError::InvalidParameter`] when `start_date` is not `YYYY-MM-DD`.
    pub fn start_ms(&self) -> Result<i64, GenError> {
        parse_date(&self.start_date).map(|days| days * 86_400_000)
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
fn parse_date(text: &str) -> Result<i64, GenError> {
    let invalid = || GenError::InvalidParameter {
        parameter: "start_date",
        value: text.to_owned(),
        expected: "a date YYYY-MM-DD between 1970 and 2200",
    };
    let mut parts = text.split('-');
    let mut field = |len: usize| -> Result<i64, GenError> {
        let p = parts.next().ok_or_else(invalid)?;
        if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        p.parse::<i64>().map_err(|_| invalid())
    };
    let (y, m, d) = (field(4)?, field(2)?, field(2)?);
    if parts.next().is_some() || !(1970..=2200).contains(&y) || !(1..=12).contains(&m) {
        return Err(invalid());
    }
    let month_days = tierank_format::days_in_month(y, m);
    if d < 1 || month_days.is_none_or(|days| d > days) {
        return Err(invalid());
    }
    // Howard Hinnant's days_from_civil.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

/// Optional values layered over a preset: first a TOML file, then command-line flags.
///
/// Field names match [`GeneratorConfig`]; `preset` picks the base.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigOverrides {
    /// Base preset name.
    pub preset: Option<String>,
    /// See [`GeneratorConfig::seed`].
    pub seed: Option<u64>,
    /// See [`GeneratorConfig::persons`].
    pub persons: Option<u64>,
    /// See [`GeneratorConfig::days`].
    pub days: Option<i64>,
    /// See [`GeneratorConfig::start_date`].
    pub start_date: Option<String>,
    /// See [`GeneratorConfig::difficulty`].
    pub difficulty: Option<f64>,
    /// See [`GeneratorConfig::degree_scale`].
    pub degree_scale: Option<f64>,
    /// See [`GeneratorConfig::max_degree`].
    pub max_degree: Option<u32>,
    /// See [`GeneratorConfig::layer_sizes`].
    pub layer_sizes: Option<[f64; 5]>,
    /// See [`GeneratorConfig::layer_spread`].
    pub layer_spread: Option<f64>,
    /// See [`GeneratorConfig::broadcaster_share`].
    pub broadcaster_share: Option<f64>,
    /// See [`GeneratorConfig::spammer_share`].
    pub spammer_share: Option<f64>,
    /// See [`GeneratorConfig::event_rate`].
    pub event_rate: Option<f64>,
    /// See [`GeneratorConfig::group_rate`].
    pub group_rate: Option<f64>,
    /// See [`GeneratorConfig::drop_channels`].
    pub drop_channels: Option<Vec<String>>,
    /// See [`GeneratorConfig::sample_events`].
    pub sample_events: Option<f64>,
    /// See [`GeneratorConfig::chunk_persons`].
    pub chunk_persons: Option<u64>,
    /// See [`GeneratorConfig::scenario`].
    pub scenario: Option<Scenario>,
    /// See [`GeneratorConfig::evader_share`].
    pub evader_share: Option<f64>,
}

impl ConfigOverrides {
    /// Parses a TOML file's text.
    ///
    /// # Errors
    /// [`GenError::ConfigFile`] on a syntax error, an unknown key or a wrongly typed value.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, GenError> {
        toml::from_str(text).map_err(|e| GenError::ConfigFile {
            path: origin.to_owned(),
            message: e.to_string(),
        })
    }

    /// Resolves layers, lowest priority first: each later layer's values win. The preset is
    /// the last layer's `preset` that is set, else `small`.
    ///
    /// # Errors
    /// [`GenError::UnknownPreset`] for a preset name that does not exist.
    pub fn resolve(layers: &[&ConfigOverrides]) -> Result<GeneratorConfig, GenError> {
        let preset = layers
            .iter()
            .rev()
            .find_map(|l| l.preset.as_deref())
            .map(str::parse::<Preset>)
            .transpose()?
            .unwrap_or(Preset::Small);
        let mut config = GeneratorConfig::preset(preset);
        for layer in layers {
            layer.apply(&mut config);
        }
        Ok(config)
    }

    fn apply(&self, c: &mut GeneratorConfig) {
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = &self.$field { c.$field = v.clone(); } )* };
        }
        set!(
            seed,
            persons,
            days,
            start_date,
            difficulty,
            degree_scale,
            max_degree,
            layer_sizes,
            layer_spread,
            broadcaster_share,
            spammer_share,
            event_rate,
            group_rate,
            drop_channels,
            sample_events,
            chunk_persons,
            scenario,
            evader_share
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse() {
        assert_eq!(parse_date("1970-01-01").unwrap(), 0);
        assert_eq!(parse_date("2026-01-01").unwrap(), 20_454);
        assert_eq!(parse_date("2024-02-29").unwrap(), 19_782);
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "26-01-01",
            "2026-1-01",
            "x",
            "2026-01-01-1",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}

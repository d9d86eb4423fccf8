//! `tierank generate`: parses the arguments into a [`GenerateRequest`] (crate `tierank-api`,
//! which checks and generates) and prints what was written.

use std::path::PathBuf;
use std::time::Instant;

use tierank_api::GenerateRequest;
use tierank_datagen::ConfigOverrides;

use crate::util::{CliProgress, api_error, bad_input};

/// Arguments of `tierank generate`.
///
/// Precedence: command-line flags override the `--config` file, which overrides the preset.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output dataset directory (must not exist or be empty, unless --force).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace a non-empty output directory.
    #[arg(long)]
    force: bool,
    /// Base preset: tiny (1k people), small (10k), medium (100k), large (1M). Default small.
    #[arg(long)]
    preset: Option<String>,
    /// TOML file with any of the parameters below (snake_case names, e.g. `persons = 5000`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed of every random stream.
    #[arg(long)]
    seed: Option<u64>,
    /// Number of people.
    #[arg(long)]
    persons: Option<u64>,
    /// Event window in days.
    #[arg(long, allow_negative_numbers = true)]
    days: Option<i64>,
    /// First day of the window, YYYY-MM-DD.
    #[arg(long)]
    start_date: Option<String>,
    /// 0 = easy, 1 = hard (see docs/generator.md).
    #[arg(long, allow_negative_numbers = true)]
    difficulty: Option<f64>,
    /// Multiplies the number of ties each person forms.
    #[arg(long, allow_negative_numbers = true)]
    degree_scale: Option<f64>,
    /// Degree cap.
    #[arg(long)]
    max_degree: Option<u32>,
    /// Cumulative Dunbar layer sizes, five comma-separated numbers (default 1.5,5,15,50,150).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    layer_sizes: Option<Vec<f64>>,
    /// Person-to-person spread of layer sizes.
    #[arg(long, allow_negative_numbers = true)]
    layer_spread: Option<f64>,
    /// Share of broadcaster accounts.
    #[arg(long, allow_negative_numbers = true)]
    broadcaster_share: Option<f64>,
    /// Share of spammer accounts.
    #[arg(long, allow_negative_numbers = true)]
    spammer_share: Option<f64>,
    /// Multiplies every event rate.
    #[arg(long, allow_negative_numbers = true)]
    event_rate: Option<f64>,
    /// Multiplies group chat volume.
    #[arg(long, allow_negative_numbers = true)]
    group_rate: Option<f64>,
    /// Leave a channel out of the output (repeatable): message, call, like, comment,
    /// transfer, group_message.
    #[arg(long = "drop-channel")]
    drop_channel: Vec<String>,
    /// Keep each event with this probability, in (0, 1].
    #[arg(long, allow_negative_numbers = true)]
    sample_events: Option<f64>,
    /// People per events part file.
    #[arg(long)]
    chunk_persons: Option<u64>,
    /// Behavioural scenario: none (default) or evasion (a share of people hide their
    /// closest ties; see docs/generator.md).
    #[arg(long)]
    scenario: Option<String>,
    /// Share of ordinary people who evade under --scenario evasion (default 0.02).
    #[arg(long, allow_negative_numbers = true)]
    evader_share: Option<f64>,
    /// The memory guard.
    #[command(flatten)]
    memory: crate::memory::MemoryArgs,
}

impl Args {
    /// The request these arguments describe.
    ///
    /// # Errors
    /// A bad-input error for a malformed `--layer-sizes`, `--scenario` or `--memory-limit`.
    pub fn request(self) -> anyhow::Result<GenerateRequest> {
        let layer_sizes = match &self.layer_sizes {
            Some(v) => Some(<[f64; 5]>::try_from(v.as_slice()).map_err(|_| {
                bad_input(format!(
                    "--layer-sizes needs exactly five numbers, got {}",
                    v.len()
                ))
            })?),
            None => None,
        };
        let overrides = ConfigOverrides {
            preset: self.preset,
            seed: self.seed,
            persons: self.persons,
            days: self.days,
            start_date: self.start_date,
            difficulty: self.difficulty,
            degree_scale: self.degree_scale,
            max_degree: self.max_degree,
            layer_sizes,
            layer_spread: self.layer_spread,
            broadcaster_share: self.broadcaster_share,
            spammer_share: self.spammer_share,
            event_rate: self.event_rate,
            group_rate: self.group_rate,
            drop_channels: (!self.drop_channel.is_empty()).then_some(self.drop_channel),
            sample_events: self.sample_events,
            chunk_persons: self.chunk_persons,
            scenario: self
                .scenario
                .as_deref()
                .map(str::parse::<tierank_datagen::Scenario>)
                .transpose()
                .map_err(bad_input)?,
            evader_share: self.evader_share,
        };
        Ok(GenerateRequest {
            out: self.out,
            force: self.force,
            config_file: self.config,
            overrides,
            memory: self.memory.limit()?,
        })
    }
}

/// Runs `tierank generate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let request = args.request()?;
    let config = request.prepare().map_err(api_error)?;
    if !crate::util::quiet() {
        eprintln!(
            "generating {} people over {} days (seed {}, difficulty {}) into {}",
            config.persons,
            config.days,
            config.seed,
            config.difficulty,
            request.out.display()
        );
    }
    let started = Instant::now();
    let report = request
        .generate_prepared(config, &CliProgress::default())
        .map_err(api_error)?
        .report;
    let count = |k: &str| report.row_counts.get(k).copied().unwrap_or(0);
    println!("wrote {}", report.out.display());
    println!(
        "  persons {}  ties {}  events {} in {} parts  groups {} ({} memberships)  truth rows {}",
        count("persons"),
        count("ties"),
        count("events"),
        report.event_parts,
        count("groups"),
        count("group_members"),
        count("truth_closeness"),
    );
    let channels: Vec<String> = report
        .events_by_channel
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    println!("  events by channel: {}", channels.join(", "));
    let phases: Vec<String> = report
        .timings
        .iter()
        .map(|(name, d)| format!("{name} {:.1}s", d.as_secs_f64()))
        .collect();
    println!(
        "  time {:.1}s ({})",
        started.elapsed().as_secs_f64(),
        phases.join(", ")
    );
    Ok(())
}

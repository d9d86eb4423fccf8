//! `tierank rank`: ranks targets' friends under one or more heuristics into a Parquet file.
//!
//! Every argument is checked, and the output path too, before the dataset is loaded, so a
//! mistake costs no loading time and leaves nothing behind. The rankings file is written as
//! a stream and appears only when complete (see `tierank_io::RankingsWriter`).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::Context;
use tierank_format::Channel;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::rank::{RankOptions, RankedChunk, rank_targets, sample_targets};
use tierank_heuristics::{HeuristicConfig, NAMES, build_all};
use tierank_io::{IoError, LoadOptions, RankingRows, RankingsWriter};

use crate::util::{BadInputExt, bad_input, progress_bar};

/// Milliseconds per day.
const DAY_MS: f64 = 86_400_000.0;

/// Arguments of `tierank rank`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["targets", "sample"])))]
pub struct Args {
    /// Dataset directory (ties.parquet, events/, ...).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// File of target person ids: Parquet or CSV, column `person_id` or a single column.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Rank N targets with at least one friend, chosen reproducibly from --seed.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Comma-separated heuristics, or `all` for every heuristic the dataset supports.
    #[arg(long, value_name = "LIST")]
    pub heuristics: String,
    /// Number of friends kept per target and heuristic.
    #[arg(long, value_name = "K")]
    pub k: usize,
    /// Output Parquet file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Seed of the `random` baseline and of --sample.
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
    /// Refuse self-loops, duplicate ties and events between non-friends instead of dropping
    /// and counting them.
    #[arg(long)]
    pub strict: bool,
}

/// Parses `name=number,name=number`, naming the first malformed item.
fn parse_pairs(flag: &str, list: &str) -> anyhow::Result<Vec<(String, f64)>> {
    let mut pairs = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = item.split_once('=').ok_or_else(|| {
            bad_input(format!("--{flag}: '{item}' is not of the form name=number"))
        })?;
        let value: f64 = value.trim().parse().map_err(|_| {
            bad_input(format!(
                "--{flag}: '{}' in '{item}' is not a number",
                value.trim()
            ))
        })?;
        pairs.push((name.trim().to_owned(), value));
    }
    if pairs.is_empty() {
        return Err(bad_input(format!("--{flag}: empty list")));
    }
    Ok(pairs)
}

/// Builds and validates the heuristic configuration from the flags.
fn config(args: &Args) -> anyhow::Result<HeuristicConfig> {
    let mut config = HeuristicConfig {
        seed: args.seed,
        ..HeuristicConfig::default()
    };
    if let Some(list) = &args.channel_weights {
        for (name, weight) in parse_pairs("channel-weights", list)? {
            let channel = Channel::from_str(&name)
                .map_err(|e| bad_input(format!("--channel-weights: {e}")))?;
            config.channel_weights[channel.index()] = weight;
        }
    }
    if let Some(list) = &args.combo {
        let pairs = parse_pairs("combo", list)?;
        if let Some((name, _)) = pairs
            .iter()
            .find(|(n, _)| n == "combo" || !NAMES.contains(&n.as_str()))
        {
            return Err(bad_input(format!(
                "--combo: '{name}' is not a heuristic that can be combined (known: {})",
                NAMES
                    .iter()
                    .filter(|n| **n != "combo")
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        config.combo = pairs;
    }
    if let Some(x) = args.outgoing_weight {
        config.outgoing_weight = x;
    }
    if let Some(a) = args.ppr_alpha {
        config.ppr_alpha = a;
    }
    if let Some(e) = args.ppr_epsilon {
        config.ppr_epsilon = e;
    }
    config.validate().bad_input()?;
    Ok(config)
}

fn half_life_ms(days: Option<f64>) -> anyhow::Result<i64> {
    let Some(days) = days else {
        return Ok(tierank_io::DEFAULT_HALF_LIFE_MS);
    };
    let ms = days * DAY_MS;
    if !(ms.is_finite() && ms >= 1.0 && ms < i64::MAX as f64) {
        return Err(bad_input(format!(
            "--half-life-days: {days} is not a positive number of days"
        )));
    }
    Ok(ms.round() as i64)
}

/// Maps a library I/O error to exit code 2 when it is the user's input.
fn io_error(err: IoError) -> anyhow::Error {
    if err.is_bad_input() {
        bad_input(err)
    } else {
        anyhow::Error::new(err)
    }
}

fn check_output(path: &Path, force: bool) -> anyhow::Result<()> {
    if path.is_dir() {
        return Err(bad_input(format!(
            "--out: {} is a directory",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(bad_input(format!(
            "--out: {} already exists (pass --force to overwrite)",
            path.display()
        )));
    }
    Ok(())
}

/// Converts one chunk of dense-id rows into person-id rows.
fn to_rows(graph: &Graph, chunk: &RankedChunk, rows: &mut RankingRows) -> anyhow::Result<()> {
    rows.clear();
    for i in 0..chunk.len() {
        let rank = i32::try_from(chunk.rank[i]).context("rank exceeds the Int32 output column")?;
        rows.push(
            graph.person(chunk.target[i]),
            chunk.heuristic[i],
            rank,
            graph.person(chunk.alter[i]),
            chunk.score[i],
        );
    }
    Ok(())
}

/// Runs `tierank rank`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.k == 0 {
        return Err(bad_input("--k must be at least 1"));
    }
    if args.sample == Some(0) {
        return Err(bad_input("--sample must be at least 1"));
    }
    let config = config(&args)?;
    let half_life_ms = half_life_ms(args.half_life_days)?;
    check_output(&args.out, args.force)?;
    // Read the target list before the (much larger) dataset so a bad file fails fast.
    let target_ids = match &args.targets {
        Some(path) => Some(tierank_io::read_person_ids(path).map_err(io_error)?),
        None => None,
    };

    let started = Instant::now();
    let (graph, report) = tierank_io::load_graph(
        &args.data,
        &LoadOptions {
            half_life_ms,
            strict: args.strict,
        },
    )
    .map_err(io_error)?;
    log::info!(
        "loaded {} people, {} friendships, events: {}, weights: {} in {:.1}s",
        report.num_nodes,
        report.num_edges,
        report.has_events,
        report.has_weights,
        started.elapsed().as_secs_f64()
    );
    let heuristics = build_all(&args.heuristics, &config, &graph).bad_input()?;
    let targets: Vec<NodeId> = match (&target_ids, args.sample) {
        (Some(ids), _) => tierank_io::resolve_targets(&graph, ids).map_err(io_error)?,
        (None, Some(n)) => sample_targets(&graph, n, args.seed).bad_input()?,
        (None, None) => return Err(bad_input("give --targets FILE or --sample N")),
    };
    let friendless = targets.iter().filter(|&&t| graph.degree(t) == 0).count();
    if friendless > 0 {
        log::warn!("{friendless} targets have no friends and produce no rows");
    }

    let names: Vec<String> = heuristics.iter().map(|h| h.name().to_owned()).collect();
    let mut writer = RankingsWriter::create(&args.out, &names).map_err(io_error)?;
    let bar = progress_bar(targets.len() as u64, "ranking");
    let mut rows = RankingRows::default();
    let ranking_started = Instant::now();
    let summary = rank_targets(
        &graph,
        &targets,
        &heuristics,
        args.k,
        &RankOptions::default(),
        |chunk| {
            to_rows(&graph, &chunk, &mut rows)?;
            writer.write(&rows).map_err(io_error)
        },
        &|done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    let written = writer.finish().map_err(io_error)?;

    println!(
        "ranked {} targets under {} heuristics (k = {}) in {:.2}s: {written} rows",
        summary.targets,
        names.len(),
        args.k,
        ranking_started.elapsed().as_secs_f64()
    );
    for (name, time) in &summary.heuristic_time {
        println!("  {name:<22} {:>10.3}s thread time", time.as_secs_f64());
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

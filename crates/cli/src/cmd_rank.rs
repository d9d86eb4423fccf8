//! `tierank rank`: ranks targets' friends under one or more heuristics into a Parquet file.
//!
//! Every argument is checked, and the output path too, before the dataset is loaded, so a
//! mistake costs no loading time and leaves nothing behind. The rankings file is written as
//! a stream and appears only when complete (see `tierank_io::RankingsWriter`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use tierank_eval::learned::LEARNED;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::rank::{RankOptions, RankedChunk, rank_targets, sample_targets};
use tierank_io::{LoadOptions, RankingRows, RankingsWriter};

use crate::params::{HeuristicArgs, check_heuristic_names, heuristics_help};
use crate::util::{BadInputExt, bad_input, io_error, progress_bar};

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
    #[arg(long, value_name = "LIST", help = heuristics_help(
        "Comma-separated heuristics, or `all` for every heuristic the dataset supports, or \
         `learned` with --model."))]
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
    /// Heuristic parameters and the recency half-life.
    #[command(flatten)]
    pub heuristic: HeuristicArgs,
    /// Refuse self-loops, duplicate ties and events between non-friends instead of dropping
    /// and counting them.
    #[arg(long)]
    pub strict: bool,
    /// Load the dataset's Parquet files even when it holds an up-to-date graph snapshot
    /// (`tierank index`).
    #[arg(long)]
    pub no_snapshot: bool,
    /// The memory guard.
    #[command(flatten)]
    pub memory: crate::memory::MemoryArgs,
    /// Model file of the `learned` heuristic (`model.json` written by `tierank compare`).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Process flags of a partitioned run (`tierank cluster` sets them).
    #[command(flatten)]
    pub cluster: crate::cmd_cluster::ProcessArgs,
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
    let names = check_heuristic_names("heuristics", &args.heuristics, &["all", LEARNED])?;
    match &args.model {
        None if names.iter().any(|n| n == LEARNED) => {
            return Err(bad_input(
                "heuristic 'learned' needs --model FILE (a model.json of tierank compare)",
            ));
        }
        Some(path) if !path.is_file() => {
            return Err(bad_input(format!(
                "--model: {} is not a file",
                path.display()
            )));
        }
        _ => {}
    }
    let cluster = args.cluster.spec()?;
    let config = args.heuristic.config()?;
    let half_life_ms = args.heuristic.half_life_ms()?;
    let mut inputs = vec![args.data.as_path()];
    inputs.extend(args.targets.as_deref());
    inputs.extend(args.model.as_deref());
    tierank_format::output::check_output_path(&args.out, &inputs)
        .map_err(|e| bad_input(format!("--out: {e}")))?;
    let window = args.heuristic.window.spec()?;
    check_output(&args.out, args.force)?;
    // Read the target list before the (much larger) dataset so a bad file fails fast.
    let target_ids = match &args.targets {
        Some(path) => {
            Some(tierank_io::read_person_ids(path, tierank_io::IdList::Targets).map_err(io_error)?)
        }
        None => None,
    };

    let started = Instant::now();
    crate::memory::check_load(&args.memory, &args.data)?;
    let opened = tierank_io::open_graph(
        &args.data,
        &LoadOptions {
            half_life_ms,
            strict: args.strict,
            window,
        },
        !args.no_snapshot,
    )
    .map_err(io_error)?;
    let (graph, report) = (opened.graph, opened.report);
    log::info!(
        "loaded {} people, {} friendships, events: {}, weights: {} in {:.1}s",
        report.num_nodes,
        report.num_edges,
        report.has_events,
        report.has_weights,
        started.elapsed().as_secs_f64()
    );
    let heuristics = crate::cmd_compare::build_with_model(
        &args.heuristics,
        &config,
        &graph,
        args.model.as_deref(),
    )?;
    let targets: Vec<NodeId> = match (&target_ids, args.sample) {
        (Some(ids), _) => tierank_io::resolve_targets(&graph, ids).map_err(io_error)?,
        (None, Some(n)) => sample_targets(&graph, n, args.heuristic.seed).bad_input()?,
        (None, None) => return Err(bad_input("give --targets FILE or --sample N")),
    };
    let friendless = targets.iter().filter(|&&t| graph.degree(t) == 0).count();
    if friendless > 0 {
        log::warn!("{friendless} targets have no friends and produce no rows");
    }

    if args.cluster.is_partitioned() {
        return crate::cmd_cluster::rank(
            &cluster,
            std::sync::Arc::new(graph),
            heuristics,
            targets,
            args.k,
            &crate::cmd_cluster::Output {
                out: &args.out,
                window_record: crate::params::window_record(&report).to_string(),
                read_seconds: started.elapsed().as_secs_f64(),
            },
        );
    }
    let names: Vec<String> = heuristics.iter().map(|h| h.name().to_owned()).collect();
    let mut writer = RankingsWriter::create(&args.out, &names).map_err(io_error)?;
    // The event window, so that the rankings can be reproduced (`--window-start/-end`).
    writer.set_metadata(
        "tierank.event_window",
        &crate::params::window_record(&report).to_string(),
    );
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

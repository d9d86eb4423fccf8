//! `tierank-peers`: tierank's side of the peer benchmark harness in `benches/peers/`.
//!
//! The harness runs the same five cases in tierank, NetworKit, igraph, networkx and DuckDB
//! on one shared input and checks that the scores agree; the contract (files, columns,
//! conventions) is `benches/peers/README.md`. This binary does two things:
//!
//! - `prepare` turns a tierank dataset (events, or an aggregated `ties.parquet`) into that
//!   shared input: `ties.parquet` (`src < dst`, `weight` = tierank's symmetric pair weight)
//!   and seeded target lists, so every tool loads the very same weighted graph;
//! - `run` times tierank's library kernels on it, exactly as the engine calls them, and
//!   writes the scores for the agreement checks.
//!
//! Timings exclude writing the scores; each case is run `--runs` times and the best is kept,
//! as for the Python tools.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use clap::{Parser, Subcommand};
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;
use serde::Serialize;
use tierank_format::atomic::write_file_atomically;
use tierank_format::writer;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::rank::{sample_targets, top_k_into};
use tierank_heuristics::two_hop::every_tie::{TieIndex, every_tie_sums};
use tierank_heuristics::{HeuristicConfig, Scratch, build, for_each_pair_weight};
use tierank_io::{IdList, LoadOptions, load_graph, read_person_ids, resolve_targets};

#[derive(Parser)]
#[command(
    version,
    about = "tierank's side of the peer benchmark harness (benches/peers)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the shared input of every tool: ties.parquet with weights and the target lists.
    Prepare(PrepareArgs),
    /// Time tierank on the shared input and write its scores under WORK/results/tierank.
    Run(RunArgs),
}

#[derive(clap::Args)]
struct PrepareArgs {
    /// A tierank dataset directory (ties.parquet with events/, or with a weight column).
    #[arg(long)]
    data: PathBuf,
    /// The work directory to create (or refresh).
    #[arg(long)]
    out: PathBuf,
    /// Targets of the top-k and pair cases.
    #[arg(long, default_value_t = 10_000)]
    targets: usize,
    /// Sources of the personalized PageRank case (a subset of the targets).
    #[arg(long, default_value_t = 100)]
    ppr_targets: usize,
    /// Seed of both samples.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The work directory written by `prepare`.
    #[arg(long)]
    work: PathBuf,
    /// Timed runs per case; the best is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Comma-separated cases: load, topk, pairs, ties, ppr.
    #[arg(long, default_value = "load,topk,pairs,ties,ppr")]
    cases: String,
    /// Smaller push thresholds to run PPR at as well, besides the prepared epsilon: the
    /// speed/accuracy curve, so that speed can be compared at equal top-15 agreement.
    #[arg(long, value_delimiter = ',', default_value = "1e-5,1e-6,1e-7")]
    ppr_epsilons: Vec<f64>,
}

/// Parameters recorded by `prepare` and read back by `run` and the Python tools.
#[derive(Serialize, serde::Deserialize)]
struct Prepared {
    data: PathBuf,
    people: usize,
    ties: usize,
    targets: usize,
    ppr_targets: usize,
    seed: u64,
    alpha: f64,
    epsilon: f64,
    k: usize,
}

/// One timed row of `timings.json`, the schema every tool of the harness writes.
#[derive(Serialize)]
struct CaseTiming {
    case: &'static str,
    score: Option<&'static str>,
    /// A second configuration of the same case (here: a smaller PPR epsilon); its scores
    /// are in `<case>_<variant>.parquet`.
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
    seconds: f64,
    items: u64,
    unit: &'static str,
    sample: Option<String>,
    runs: Vec<f64>,
    note: String,
}

#[derive(Serialize)]
struct Timings {
    tool: &'static str,
    version: &'static str,
    threads: usize,
    cases: Vec<CaseTiming>,
}

/// Friends kept per target in the top-k case.
const K: usize = 15;

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Prepare(args) => prepare(&args),
        Command::Run(args) => run(&args),
    }
}

fn prepare(args: &PrepareArgs) -> Result<()> {
    if args.targets == 0 || args.ppr_targets == 0 || args.ppr_targets > args.targets {
        bail!(
            "--targets ({}) and --ppr-targets ({}) must be positive, with ppr-targets <= targets",
            args.targets,
            args.ppr_targets
        );
    }
    let t = Instant::now();
    let (graph, report) = load_graph(&args.data, &LoadOptions::default())
        .with_context(|| format!("loading {}", args.data.display()))?;
    eprintln!(
        "loaded {}: {} people, {} ties in {:.1} s",
        args.data.display(),
        graph.num_nodes(),
        graph.num_edges(),
        report.seconds.total
    );
    fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let config = HeuristicConfig::default();

    // One row per tie, src < dst; dense ids follow person ids, so this is (src, dst) order.
    let rows: Vec<(i64, i64, f64)> = (0..graph.num_nodes())
        .into_par_iter()
        .map(node)
        .fold(Vec::new, |mut acc, u| {
            for_each_pair_weight(&graph, &config, u, |_, v, w| {
                if v > u {
                    acc.push((graph.person(u), graph.person(v), w));
                }
            });
            acc
        })
        .flatten()
        .collect();
    let ties_schema = schema(&[
        ("src", DataType::Int64),
        ("dst", DataType::Int64),
        ("weight", DataType::Float64),
    ]);
    write_parquet(
        &args.out.join("ties.parquet"),
        &ties_schema,
        rows.len(),
        |range| {
            let rows = &rows[range];
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
            ]
        },
    )?;

    let targets = sample_targets(&graph, args.targets, args.seed)?;
    let ppr_targets = sample_targets(&graph, args.ppr_targets, args.seed)?;
    for (name, nodes) in [("targets", &targets), ("ppr_targets", &ppr_targets)] {
        let ids: Vec<i64> = nodes.iter().map(|&u| graph.person(u)).collect();
        write_parquet(
            &args.out.join(format!("{name}.parquet")),
            &schema(&[("person_id", DataType::Int64)]),
            ids.len(),
            |range| vec![Arc::new(Int64Array::from(ids[range].to_vec())) as ArrayRef],
        )?;
    }
    let prepared = Prepared {
        // Absolute, so that a later run from another directory recognises the same data.
        data: fs::canonicalize(&args.data).unwrap_or_else(|_| args.data.clone()),
        people: graph.num_nodes(),
        ties: rows.len(),
        targets: targets.len(),
        ppr_targets: ppr_targets.len(),
        seed: args.seed,
        alpha: config.ppr_alpha,
        epsilon: config.ppr_epsilon,
        k: K,
    };
    write_json(&args.out.join("prepare.json"), &prepared)?;
    eprintln!(
        "prepared {} in {:.1} s: {} ties, {} targets, {} ppr sources",
        args.out.display(),
        t.elapsed().as_secs_f64(),
        rows.len(),
        targets.len(),
        ppr_targets.len()
    );
    Ok(())
}

fn run(args: &RunArgs) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let prepared: Prepared = serde_json::from_slice(
        &fs::read(args.work.join("prepare.json"))
            .with_context(|| format!("reading {}/prepare.json", args.work.display()))?,
    )
    .context("parsing prepare.json")?;
    let out = args.work.join("results").join("tierank");
    fs::create_dir_all(&out)?;
    let cases: Vec<&str> = args.cases.split(',').map(str::trim).collect();
    for case in &cases {
        if !["load", "topk", "pairs", "ties", "ppr"].contains(case) {
            bail!("unknown case {case:?}: expected load, topk, pairs, ties or ppr");
        }
    }
    let threads = rayon::current_num_threads();
    let mut timings = Vec::new();

    // Loading is always done (every other case needs the graph); it is timed when asked.
    let mut graph = None;
    let mut load_runs = Vec::new();
    for _ in 0..if cases.contains(&"load") {
        args.runs
    } else {
        1
    } {
        drop(graph.take());
        let t = Instant::now();
        let (g, report) = load_graph(&args.work, &LoadOptions::default())?;
        load_runs.push(t.elapsed().as_secs_f64());
        if !report.has_weights {
            bail!("{}/ties.parquet has no weight column", args.work.display());
        }
        graph = Some(g);
    }
    let loaded = graph.expect("loaded at least once");
    let graph: &Graph = &loaded;
    if cases.contains(&"load") {
        timings.push(timed(
            "load",
            None,
            load_runs,
            graph.num_edges() as u64,
            "ties",
            "tierank_io::load_graph: Parquet decode, dense ids, CSR with sorted lists, weights"
                .into(),
        ));
    }

    let targets = resolve_targets(
        graph,
        &read_person_ids(&args.work.join("targets.parquet"), IdList::Targets)?,
    )?;
    let pairs: u64 = targets.iter().map(|&t| graph.degree(t) as u64).sum();

    if cases.contains(&"topk") {
        let weights = graph.weights().expect("checked above");
        let mut best = Vec::new();
        let runs = repeat(args.runs, || {
            best = targets
                .par_iter()
                .map(|&t| {
                    let mut top = Vec::with_capacity(K);
                    top_k_into(
                        &weights[graph.csr().slots(t)],
                        graph.neighbors(t),
                        K,
                        &mut top,
                    );
                    top
                })
                .collect::<Vec<_>>();
        });
        timings.push(timed(
            "topk",
            None,
            runs,
            targets.len() as u64,
            "targets",
            format!("top {K} friends by weight (rank::top_k_into), ties by smaller id"),
        ));
        let rows: Vec<(i64, i64, u32, f64)> = targets
            .iter()
            .zip(&best)
            .flat_map(|(&t, top)| {
                top.iter()
                    .enumerate()
                    .map(move |(r, &(v, w))| (graph.person(t), graph.person(v), r as u32 + 1, w))
            })
            .collect();
        write_parquet(
            &out.join("topk.parquet"),
            &schema(&[
                ("target", DataType::Int64),
                ("contact", DataType::Int64),
                ("rank", DataType::UInt32),
                ("weight", DataType::Float64),
            ]),
            rows.len(),
            |range| {
                let rows = &rows[range];
                vec![
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
                    Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.2))),
                    Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.3))),
                ]
            },
        )?;
    }

    if cases.contains(&"pairs") {
        let config = HeuristicConfig::default();
        const SCORES: [&str; 4] = [
            "common_neighbors",
            "jaccard",
            "adamic_adar",
            "resource_allocation",
        ];
        let mut columns: Vec<Vec<f64>> = Vec::new();
        for name in SCORES {
            let h = build(name, &config, graph)?;
            let mut scores = Vec::new();
            let runs = repeat(args.runs, || {
                scores = targets
                    .par_iter()
                    .map_init(
                        || (Scratch::new(), Vec::new()),
                        |(scratch, buf), &t| {
                            h.score(graph, t, scratch, buf);
                            buf.clone()
                        },
                    )
                    .collect::<Vec<Vec<f64>>>();
            });
            timings.push(timed(
                "pairs",
                Some(name),
                runs,
                pairs,
                "pairs",
                format!(
                    "the `{name}` heuristic kernel, target-centric, all friends of each target"
                ),
            ));
            columns.push(scores.into_iter().flatten().collect());
        }
        let ids: Vec<(i64, i64)> = targets
            .iter()
            .flat_map(|&t| {
                graph
                    .neighbors(t)
                    .iter()
                    .map(move |&v| (graph.person(t), graph.person(v)))
            })
            .collect();
        write_parquet(
            &out.join("pairs.parquet"),
            &schema(&[
                ("target", DataType::Int64),
                ("contact", DataType::Int64),
                ("common_neighbors", DataType::Float64),
                ("jaccard", DataType::Float64),
                ("adamic_adar", DataType::Float64),
                ("resource_allocation", DataType::Float64),
            ]),
            ids.len(),
            |range| {
                let mut arrays: Vec<ArrayRef> = vec![
                    id_column(&ids[range.clone()], |r| r.0),
                    id_column(&ids[range.clone()], |r| r.1),
                ];
                for column in &columns {
                    arrays.push(Arc::new(Float64Array::from(column[range.clone()].to_vec())));
                }
                arrays
            },
        )?;
    }

    if cases.contains(&"ties") {
        let mut index = None;
        let mut jaccard = Vec::new();
        let runs = repeat(args.runs, || {
            let ix = TieIndex::new(graph);
            let sums = every_tie_sums(graph, &ix, |_| 0.0);
            jaccard = ix
                .ties(graph)
                .zip(&sums.common)
                .map(|((u, v), &c)| {
                    let c = f64::from(c);
                    c / (graph.degree(u) as f64 + graph.degree(v) as f64 - c)
                })
                .collect();
            index = Some(ix);
        });
        let index = index.expect("ran at least once");
        timings.push(timed(
            "ties",
            Some("jaccard"),
            runs,
            index.len() as u64,
            "ties",
            "two_hop::every_tie: each tie once, from its higher-degree end".into(),
        ));
        let mut adamic_adar = Vec::new();
        let runs = repeat(args.runs, || {
            let ix = TieIndex::new(graph);
            adamic_adar = every_tie_sums(graph, &ix, |w| 1.0 / (graph.degree(w) as f64).ln()).sum;
        });
        timings.push(timed(
            "ties",
            Some("adamic_adar"),
            runs,
            index.len() as u64,
            "ties",
            "two_hop::every_tie: each tie once, from its higher-degree end".into(),
        ));
        let ids: Vec<(i64, i64)> = index
            .ties(graph)
            .map(|(u, v)| (graph.person(u), graph.person(v)))
            .collect();
        write_parquet(
            &out.join("ties.parquet"),
            &schema(&[
                ("src", DataType::Int64),
                ("dst", DataType::Int64),
                ("jaccard", DataType::Float64),
                ("adamic_adar", DataType::Float64),
            ]),
            ids.len(),
            |range| {
                vec![
                    id_column(&ids[range.clone()], |r| r.0),
                    id_column(&ids[range.clone()], |r| r.1),
                    Arc::new(Float64Array::from(jaccard[range.clone()].to_vec())),
                    Arc::new(Float64Array::from(adamic_adar[range].to_vec())),
                ]
            },
        )?;
    }

    if cases.contains(&"ppr") {
        let sources = resolve_targets(
            graph,
            &read_person_ids(&args.work.join("ppr_targets.parquet"), IdList::Targets)?,
        )?;
        let mut epsilons = vec![prepared.epsilon];
        epsilons.extend(args.ppr_epsilons.iter().filter(|&&e| e != prepared.epsilon));
        for (i, &epsilon) in epsilons.iter().enumerate() {
            let config = HeuristicConfig {
                ppr_alpha: prepared.alpha,
                ppr_epsilon: epsilon,
                ..HeuristicConfig::default()
            };
            let h = build("ppr", &config, graph)?;
            let mut scores = Vec::new();
            let runs = repeat(args.runs, || {
                scores = sources
                    .par_iter()
                    .map_init(
                        || (Scratch::new(), Vec::new()),
                        |(scratch, buf), &s| {
                            h.score(graph, s, scratch, buf);
                            buf.clone()
                        },
                    )
                    .collect::<Vec<Vec<f64>>>();
            });
            let mut timing = timed(
                "ppr",
                None,
                runs,
                sources.len() as u64,
                "sources",
                format!(
                    "Andersen-Chung-Lang lazy push, alpha = {}, epsilon = {epsilon:e}, friends' \
                     scores p + alpha r",
                    prepared.alpha
                ),
            );
            // The prepared epsilon is the plain `ppr` row; the others are variants.
            let file = if i == 0 {
                "ppr.parquet".to_owned()
            } else {
                let variant = format!("eps{epsilon:e}");
                let file = format!("ppr_{variant}.parquet");
                timing.variant = Some(variant);
                file
            };
            timings.push(timing);
            let rows: Vec<(i64, i64, f64)> = sources
                .iter()
                .zip(&scores)
                .flat_map(|(&s, sc)| {
                    graph
                        .neighbors(s)
                        .iter()
                        .zip(sc)
                        .map(move |(&v, &x)| (graph.person(s), graph.person(v), x))
                })
                .collect();
            write_parquet(
                &out.join(file),
                &schema(&[
                    ("source", DataType::Int64),
                    ("contact", DataType::Int64),
                    ("score", DataType::Float64),
                ]),
                rows.len(),
                |range| {
                    let rows = &rows[range];
                    vec![
                        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0)))
                            as ArrayRef,
                        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
                        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
                    ]
                },
            )?;
        }
    }

    for t in &timings {
        eprintln!(
            "tierank {:<6} {:<20} {:>10.4} s  {:>14.0} {}/s",
            t.case,
            t.score.or(t.variant.as_deref()).unwrap_or("-"),
            t.seconds,
            t.items as f64 / t.seconds,
            t.unit
        );
    }
    write_json(
        &out.join("timings.json"),
        &Timings {
            tool: "tierank",
            version: env!("CARGO_PKG_VERSION"),
            threads,
            cases: timings,
        },
    )?;
    Ok(())
}

/// Runs `f` `runs` times and returns the wall time of each run in seconds.
fn repeat(runs: usize, mut f: impl FnMut()) -> Vec<f64> {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect()
}

fn timed(
    case: &'static str,
    score: Option<&'static str>,
    runs: Vec<f64>,
    items: u64,
    unit: &'static str,
    note: String,
) -> CaseTiming {
    let seconds = runs.iter().copied().fold(f64::INFINITY, f64::min);
    CaseTiming {
        case,
        score,
        variant: None,
        seconds,
        items,
        unit,
        sample: None,
        runs,
        note,
    }
}

fn schema(fields: &[(&str, DataType)]) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .iter()
            .map(|(name, ty)| Field::new(*name, ty.clone(), false))
            .collect::<Vec<_>>(),
    ))
}

/// Writes `rows` rows as Parquet, one record batch per row group, atomically.
fn write_parquet(
    path: &Path,
    schema: &SchemaRef,
    rows: usize,
    columns: impl Fn(std::ops::Range<usize>) -> Vec<ArrayRef>,
) -> Result<()> {
    write_file_atomically(path, |file: &mut File| -> Result<()> {
        let mut w = ArrowWriter::try_new(file, schema.clone(), Some(writer::properties()))?;
        let step = writer::ROW_GROUP_ROWS;
        for start in (0..rows).step_by(step) {
            let batch =
                RecordBatch::try_new(schema.clone(), columns(start..(start + step).min(rows)))?;
            w.write(&batch)?;
            w.flush()?;
        }
        w.close()?;
        Ok(())
    })
    .with_context(|| format!("writing {}", path.display()))
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_file_atomically(path, |file: &mut File| -> Result<()> {
        use std::io::Write;
        file.write_all(text.as_bytes())?;
        Ok(())
    })
    .with_context(|| format!("writing {}", path.display()))
}

/// One Int64 column of (person, person) keys, for the score files.
fn id_column(ids: &[(i64, i64)], field: impl Fn(&(i64, i64)) -> i64) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(ids.iter().map(field)))
}

#[inline]
fn node(i: usize) -> NodeId {
    NodeId(u32::try_from(i).expect("dense ids fit u32"))
}

//! `tierank demo`: the main job on a built-in default, end to end.
//!
//! Generates the `small` preset, checks its realism, compares every heuristic against the
//! planted truth, and selects audiences for 100 targets under two policies. Each step runs
//! through the same argument parser as the subcommands, so the demo does exactly what the
//! printed command lines do.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser as _;
use tierank_format::layout::DatasetPaths;

use crate::util::{BadInputExt as _, bad_input};

/// A file that marks a directory as a demo's own output, so `--out` can be reused without
/// `--force` but a user's unrelated directory is never replaced.
const MARKER: &str = ".tierank-demo";

/// Arguments of `tierank demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output directory: dataset, comparison report, audiences.
    #[arg(long, value_name = "DIR", default_value = "tierank-demo")]
    pub out: PathBuf,
    /// Replace the output directory even if it is not a previous demo's.
    #[arg(long)]
    pub force: bool,
    /// Generator preset.
    #[arg(long, default_value = "small")]
    pub preset: String,
    /// Seed of the generator, the target samples and the bootstrap.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Targets sampled for the comparison (half train the learned model).
    #[arg(long, default_value_t = 1000)]
    pub sample: usize,
    /// Targets that get an audience.
    #[arg(long, default_value_t = 100)]
    pub targets: usize,
}

/// Runs `tierank demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.targets == 0 || args.sample == 0 {
        return Err(bad_input("--targets and --sample must be at least 1"));
    }
    // Every argument is checked before the output directory is created.
    args.preset
        .parse::<tierank_datagen::Preset>()
        .map_err(|e| bad_input(format!("--preset: {e}")))?;
    tierank_format::output::check_output_path(&args.out, &[])
        .map_err(|e| bad_input(format!("--out: {e}")))?;
    prepare_out(&args.out, args.force)?;
    let out = &args.out;
    let data = out.join("data");
    let report = out.join("report");
    let seed = args.seed.to_string();

    step(
        "1/5 generate",
        &[
            "generate",
            "--preset",
            &args.preset,
            "--seed",
            &seed,
            "--out",
            &s(&data),
            "--force",
        ],
    )?;
    step(
        "2/5 realism report",
        &[
            "stats",
            "--data",
            &s(&data),
            "--json",
            &s(&out.join("stats.json")),
            "--seed",
            &seed,
            "--force",
        ],
    )?;
    step(
        "3/5 compare every heuristic against the planted truth",
        &[
            "compare",
            "--data",
            &s(&data),
            "--sample",
            &args.sample.to_string(),
            "--heuristics",
            "all",
            "--seed",
            &seed,
            "--out",
            &s(&report),
            "--force",
        ],
    )?;

    // Audiences are built with the best single heuristic of the comparison, whose
    // calibration compare wrote, so both policies can use calibrated probabilities.
    let calibration = report.join("calibration.json");
    let heuristic = calibrated_heuristic(&calibration)?;
    let targets = out.join("targets.csv");
    write_targets(&data, &targets, args.targets, args.seed)?;
    let mut audiences = Vec::new();
    for (i, policy) in ["top-k:5", "probability:0.5"].into_iter().enumerate() {
        let dir = out.join(format!("audiences-{}", policy.replace(':', "-")));
        step(
            &format!(
                "{}/5 select ({policy}, heuristic {heuristic}, {} targets)",
                4 + i,
                args.targets
            ),
            &[
                "select",
                "--data",
                &s(&data),
                "--targets",
                &s(&targets),
                "--heuristic",
                &heuristic,
                "--policy",
                policy,
                "--calibration",
                &s(&calibration),
                "--seed",
                &seed,
                "--out",
                &s(&dir),
                "--force",
            ],
        )?;
        audiences.push(dir);
    }

    println!();
    println!("demo finished in {:.1}s", started.elapsed().as_secs_f64());
    println!("  dataset:   {}", data.display());
    println!("  realism:   {}", out.join("stats.json").display());
    println!("  report:    {}", report.join("report.html").display());
    for dir in &audiences {
        println!(
            "  audiences: {} (verify with `tierank audit verify {}`)",
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

fn s(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Prints a step header with its command line, then runs it as a subcommand.
fn step(title: &str, argv: &[&str]) -> anyhow::Result<()> {
    println!();
    println!("== {title}");
    println!("$ tierank {}", argv.join(" "));
    let _ = std::io::stdout().flush();
    let cli = crate::Cli::try_parse_from(std::iter::once("tierank").chain(argv.iter().copied()))
        .map_err(|e| anyhow::anyhow!("demo step '{title}': {e}"))?;
    crate::dispatch(cli.command).with_context(|| format!("demo step '{title}'"))
}

/// Creates `out`, refusing a non-empty directory that is not a previous demo's unless `force`.
fn prepare_out(out: &Path, force: bool) -> anyhow::Result<()> {
    if out.exists() {
        let is_demo = out.join(MARKER).exists();
        let empty = out.is_dir()
            && fs::read_dir(out)
                .with_context(|| format!("reading {}", out.display()))?
                .next()
                .is_none();
        if !out.is_dir() {
            return Err(bad_input(format!(
                "{}: exists and is not a directory",
                out.display()
            )));
        }
        if !(is_demo || empty || force) {
            return Err(bad_input(format!(
                "{}: directory exists, is not empty and was not written by `tierank demo` \
                 (use --force to replace its demo outputs)",
                out.display()
            )));
        }
    }
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    fs::write(
        out.join(MARKER),
        "written by `tierank demo`; safe to delete\n",
    )
    .with_context(|| format!("writing {}", out.join(MARKER).display()))?;
    Ok(())
}

/// The heuristic named in a calibration file written by `tierank compare`.
fn calibrated_heuristic(path: &Path) -> anyhow::Result<String> {
    let file = tierank_eval::CalibrationFile::load(path)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(file.heuristic)
}

/// Writes `n` targets: people with at least one friend, chosen by a seeded hash of their id.
fn write_targets(data: &Path, out: &Path, n: usize, seed: u64) -> anyhow::Result<()> {
    let paths = DatasetPaths::new(data);
    let (graph, _) =
        tierank_io::load_graph(paths.root(), &tierank_io::LoadOptions::default()).bad_input()?;
    let targets = tierank_heuristics::rank::sample_targets(&graph, n, seed).bad_input()?;
    let mut text = String::from("person_id\n");
    for t in targets {
        text.push_str(&graph.person(t).to_string());
        text.push('\n');
    }
    fs::write(out, text).with_context(|| format!("writing {}", out.display()))
}

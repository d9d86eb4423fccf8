//! `tierank compare`: parses the arguments into a [`CompareRequest`] (crate `tierank-api`:
//! it ranks a degree-stratified sample of targets under several heuristics, measures them
//! against the planted truth and writes the report directory), shows progress and prints the
//! summary table.

use std::path::PathBuf;

use tierank_api::CompareRequest;
use tierank_eval::report::{RowKind, SummaryRow, focus_k};

use crate::params::{HeuristicArgs, heuristics_help};
use crate::util::{CliProgress, api_error, bad_input};

/// Arguments of `tierank compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset directory with a ground truth (truth_closeness.parquet), or a graph snapshot
    /// file written by `tierank index` from such a directory (the truth is read there).
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// Number of targets, drawn by degree bucket (at least 5 per non-empty bucket).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub sample: usize,
    /// Comma-separated heuristics, or `all`; `random` is always added as the floor.
    #[arg(long, value_name = "LIST", default_value = "all", help = heuristics_help(
        "Comma-separated heuristics, or `all`; `random` is always added as the floor."))]
    pub heuristics: String,
    /// Cut-offs of the top-k metrics.
    #[arg(long, value_name = "LIST", default_value = "1,5,15,50")]
    pub k: String,
    /// A friend is relevant when its planted layer is at most L (1..=5).
    #[arg(long, value_name = "L", default_value_t = 3)]
    pub relevant_layer: i8,
    /// File of person ids who opted out: they are never counted as selectable, and rows
    /// `NAME+minimized` show each heuristic on the data without them (strict minimisation).
    #[arg(long, value_name = "FILE")]
    pub exclude: Option<PathBuf>,
    /// Train a learned combination on half of the targets and evaluate every row on the
    /// other half (the default).
    #[arg(long, overrides_with = "no_learned")]
    pub learned: bool,
    /// Skip the learned combination and evaluate every row on all sampled targets.
    #[arg(long)]
    pub no_learned: bool,
    /// Kind of the learned model: gradient-boosted trees (`gbt`, the more precise) or
    /// logistic regression (`logistic`, one readable coefficient per feature).
    #[arg(long, value_name = "KIND", default_value = "gbt", value_parser = ["gbt", "logistic"])]
    pub model_kind: String,
    /// Also train a logistic model on the same targets and evaluate it as the row
    /// `learned_logistic`; the report notes the paired difference in precision at each k,
    /// with its bootstrap interval.
    #[arg(long)]
    pub logistic_baseline: bool,
    /// Bootstrap resamples of the confidence intervals (0: no intervals).
    #[arg(long, value_name = "B", default_value_t = 1000)]
    pub resamples: usize,
    /// Report directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the report directory if it exists.
    #[arg(long)]
    pub force: bool,
    /// Heuristic parameters, the recency half-life and the seed (sample, split, bootstrap,
    /// `random`).
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
}

/// Parses the `--k` list: positive integers, sorted, duplicates removed.
fn parse_ks(list: &str) -> anyhow::Result<Vec<usize>> {
    let mut ks = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item.parse::<usize>() {
            Ok(k) if k > 0 && k <= i32::MAX as usize => ks.push(k),
            _ => {
                return Err(bad_input(format!(
                    "--k: '{item}' is not a positive integer"
                )));
            }
        }
    }
    if ks.is_empty() {
        return Err(bad_input("--k: empty list"));
    }
    ks.sort_unstable();
    ks.dedup();
    Ok(ks)
}

impl Args {
    /// The request these arguments describe.
    ///
    /// # Errors
    /// A bad-input error for a malformed `--k` list or `--memory-limit`.
    pub fn request(&self) -> anyhow::Result<CompareRequest> {
        Ok(CompareRequest {
            data: self.data.clone(),
            sample: self.sample,
            heuristics: self.heuristics.clone(),
            k: parse_ks(&self.k)?,
            relevant_layer: self.relevant_layer,
            exclude: self.exclude.clone(),
            learned: !self.no_learned,
            model_kind: self.model_kind.clone(),
            logistic_baseline: self.logistic_baseline,
            resamples: self.resamples,
            out: self.out.clone(),
            force: self.force,
            load: tierank_api::LoadSettings {
                params: self.heuristic.to_params(),
                strict: self.strict,
                memory: self.memory.limit()?,
                no_snapshot: self.no_snapshot,
            },
        })
    }
}

/// Runs `tierank compare`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let outcome = args
        .request()?
        .run(&CliProgress::default())
        .map_err(api_error)?;
    print_summary(&outcome.table, &outcome.ks, focus_k(&outcome.ks));
    if let Some(heuristic) = &outcome.calibrated {
        println!("calibration of '{heuristic}' (best single heuristic) in calibration.json");
    }
    println!("report: {}", outcome.out.join("report.html").display());
    Ok(())
}

fn est(e: Option<tierank_eval::report::Estimate>, digits: usize) -> String {
    e.map_or("–".to_owned(), |e| format!("{:.digits$}", e.value))
}

/// The terminal summary: best first, oracle and random marked.
fn print_summary(table: &[SummaryRow], ks: &[usize], fk: usize) {
    let shown: Vec<usize> = ks.iter().copied().take(4).collect();
    let mut header = format!("{:<28}", "heuristic");
    for k in &shown {
        header.push_str(&format!(" {:>7}", format!("P@{k}")));
    }
    header.push_str(&format!(
        " {:>9} {:>9} {:>7} {:>9}",
        format!("recall@{fk}"),
        format!("expos@{fk}"),
        "AUC",
        "time s"
    ));
    println!("{header}");
    println!("{}", "-".repeat(header.chars().count()));
    for r in table {
        let mark = match r.kind {
            RowKind::Oracle => " (ceiling)",
            RowKind::Random => " (floor)",
            RowKind::Heuristic => "",
        };
        let mut line = format!("{:<28}", format!("{}{mark}", r.heuristic));
        for k in &shown {
            let p = r.precision.iter().find(|(pk, _)| pk == k).and_then(|p| p.1);
            line.push_str(&format!(" {:>7}", est(p, 3)));
        }
        line.push_str(&format!(
            " {:>9} {:>9} {:>7} {:>9}",
            est(r.recall, 3),
            est(r.exposure, 2),
            est(r.auc, 3),
            r.wall_seconds.map_or("–".to_owned(), |w| format!("{w:.3}"))
        ));
        println!("{line}");
    }
}

//! The `compare` request: ranks a degree-stratified sample of targets under several heuristics,
//! measures them against the planted truth, and writes a report directory (Parquet tables,
//! the learned model, a calibration, a self-contained HTML report and a manifest).
//!
//! Every argument, the truth file and the output path are checked before the dataset is
//! loaded, so a mistake costs no loading time and leaves nothing behind. The report
//! directory is staged and appears whole, or not at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tierank_eval::report::{ReportInput, RowKind, SummaryRow, render_html, summary};
use tierank_eval::{
    CalibrationFile, EvalOptions, Evaluation, LearnedHeuristic, LearnedModel, LearnedOptions,
    Metric, ModelKind, Stratum, TruthIndex, evaluate_cancellable, split_train_test,
    stratified_sample, train_learned_cancellable,
};
use tierank_format::atomic::{ExistingDir, StagedDir, check_output_dir};
use tierank_format::layout::DatasetPaths;
use tierank_format::manifest::sha256_file;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{CostClass, Heuristic, Needs, Scratch, build};
use tierank_io::compare::{
    AgreementRows, MetricsRows, PerTargetRows, metrics_batches, write_agreement, write_metrics,
    write_per_target,
};
use tierank_io::{RankingRows, RankingsWriter};

use crate::artefact::{ScoreSettings, save_with_settings};
use crate::error::{ApiError, BadInputExt, Context, bad_input, io_error};
use crate::load::LoadSettings;
use crate::params::{check_heuristic_names, window_record};
use crate::{Batches, Progress, check_cancelled};

/// Name of the learned row.
const LEARNED: &str = tierank_eval::learned::LEARNED;
/// Name of the row of the logistic baseline ([`CompareRequest::logistic_baseline`]).
const LOGISTIC_BASELINE: &str = "learned_logistic";
/// The default kind of the learned model.
pub const DEFAULT_MODEL_KIND: &str = "gbt";
/// Suffix of the rows scored on the strictly minimised graph.
const MINIMIZED: &str = "+minimized";
/// Share of the sampled targets that train the learned model.
const TRAIN_FRACTION: f64 = 0.5;

/// Everything `tierank compare` needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareRequest {
    /// Dataset directory with a ground truth (truth_closeness.parquet).
    pub data: PathBuf,
    /// Number of targets, drawn by degree bucket.
    pub sample: usize,
    /// Comma-separated heuristics, or `all`; `random` is always added as the floor.
    pub heuristics: String,
    /// Cut-offs of the top-k metrics (positive; sorted and deduplicated by the run).
    pub k: Vec<usize>,
    /// A friend is relevant when its planted layer is at most this (1..=5).
    pub relevant_layer: i8,
    /// File of person ids who opted out.
    pub exclude: Option<PathBuf>,
    /// Train a learned combination on half of the targets.
    pub learned: bool,
    /// Kind of the learned model: gradient-boosted trees (`gbt`, the more precise) or
    /// logistic regression (`logistic`, one readable coefficient per feature).
    #[serde(default = "default_model_kind")]
    pub model_kind: String,
    /// Also train a logistic model on the same targets and evaluate it as the row
    /// `learned_logistic`; the report notes the paired difference in precision at each k.
    #[serde(default)]
    pub logistic_baseline: bool,
    /// Bootstrap resamples of the confidence intervals (0: no intervals).
    pub resamples: usize,
    /// Report directory.
    pub out: PathBuf,
    /// Replace the report directory if it exists.
    pub force: bool,
    /// How the dataset is loaded and the heuristics configured.
    pub load: LoadSettings,
}

fn default_model_kind() -> String {
    DEFAULT_MODEL_KIND.to_owned()
}

/// What a finished `compare` produced.
#[derive(Debug, Clone)]
pub struct CompareOutcome {
    /// The cut-offs, sorted.
    pub ks: Vec<usize>,
    /// The summary table, best first.
    pub table: Vec<SummaryRow>,
    /// Everything measured (the rows of metrics.parquet and the other tables).
    pub evaluation: Evaluation,
    /// The heuristic calibration.json calibrates, when one was fitted.
    pub calibrated: Option<String>,
    /// The report directory.
    pub out: PathBuf,
    /// The table `metrics.parquet` (its batches built by the function that builds the
    /// file's), for front ends that return the metrics in memory.
    pub metrics: Batches,
}

/// Checks the cut-offs: positive integers that fit the Int32 column, sorted, duplicates
/// removed.
///
/// # Errors
/// A bad-input error naming `--k`.
pub fn check_ks(ks: &[usize]) -> Result<Vec<usize>, ApiError> {
    if let Some(k) = ks.iter().find(|&&k| k == 0 || k > i32::MAX as usize) {
        return Err(bad_input(format!("--k: '{k}' is not a positive integer")));
    }
    if ks.is_empty() {
        return Err(bad_input("--k: empty list"));
    }
    let mut ks = ks.to_vec();
    ks.sort_unstable();
    ks.dedup();
    Ok(ks)
}

/// The requested names (before `all` is expanded), checked against the registry.
fn parse_names(list: &str) -> Result<Vec<String>, ApiError> {
    check_heuristic_names("heuristics", list, &["all", LEARNED])
}

/// A heuristic scored on the full data but evaluated on the minimised graph's friend lists:
/// the "without minimisation" row when people opted out. Opted-out friends are dropped from
/// its ranking (they are never selectable), while their data still shaped everyone's scores.
#[derive(Debug)]
struct OnFullData {
    inner: Box<dyn Heuristic>,
    full: Arc<Graph>,
}

impl Heuristic for OnFullData {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn cost_class(&self) -> CostClass {
        self.inner.cost_class()
    }
    fn needs(&self) -> Needs {
        self.inner.needs()
    }
    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        let mut full_scores = Vec::new();
        self.inner
            .score(&self.full, target, scratch, &mut full_scores);
        out.clear();
        // Both friend lists are sorted by node id and the minimised one is a subset.
        let full_friends = self.full.neighbors(target);
        let mut j = 0;
        for &v in graph.neighbors(target) {
            while j < full_friends.len() && full_friends[j] < v {
                j += 1;
            }
            out.push(full_scores.get(j).copied().unwrap_or(f64::NEG_INFINITY));
        }
    }
}

/// A heuristic under another row name (`NAME+minimized`).
#[derive(Debug)]
struct Renamed {
    inner: Box<dyn Heuristic>,
    name: String,
}

impl Heuristic for Renamed {
    fn name(&self) -> &str {
        &self.name
    }
    fn cost_class(&self) -> CostClass {
        self.inner.cost_class()
    }
    fn needs(&self) -> Needs {
        self.inner.needs()
    }
    fn score(&self, graph: &Graph, target: NodeId, scratch: &mut Scratch, out: &mut Vec<f64>) {
        self.inner.score(graph, target, scratch, out);
    }
}

impl CompareRequest {
    /// Reads a recorded request, also in the shape written before [`LoadSettings`] existed
    /// (see [`crate::load::nest_load_settings`]).
    ///
    /// # Errors
    /// The parser's error for a value that is not a request.
    pub fn from_recorded(mut value: serde_json::Value) -> Result<Self, serde_json::Error> {
        crate::load::nest_load_settings(&mut value);
        serde_json::from_value(value)
    }
}

/// Stages of the run, for the progress bar.
const STAGES: u64 = 6;

impl CompareRequest {
    /// Checks every setting and input, loads the dataset, evaluates and writes the report
    /// directory (staged: it appears whole or not at all).
    ///
    /// # Errors
    /// Bad input (nothing written) for every mistake in the settings or input files; a
    /// failure for I/O errors; [`ApiError::Cancelled`] when `progress` asks to stop.
    pub fn run(&self, progress: &dyn Progress) -> Result<CompareOutcome, ApiError> {
        let args = self;
        let ks = check_ks(&args.k)?;
        if args.sample == 0 {
            return Err(bad_input("--sample must be at least 1"));
        }
        if !(1..tierank_format::schema::OUTSIDE_LAYERS).contains(&args.relevant_layer) {
            return Err(bad_input(format!(
                "--relevant-layer: {} is not in 1..=5",
                args.relevant_layer
            )));
        }
        let names = parse_names(&args.heuristics)?;
        let config = args.load.params.config()?;
        let load = args.load.load_options()?;
        let seed = args.load.params.seed;
        let with_learned = args.learned;
        let existing = if args.force {
            ExistingDir::Replace
        } else {
            ExistingDir::Refuse
        };
        let mut inputs = vec![args.data.as_path()];
        inputs.extend(args.exclude.as_deref());
        tierank_format::output::check_output_path(&args.out, &inputs)
            .map_err(|e| bad_input(format!("--out: {e}")))?;
        check_output_dir(&args.out, existing).map_err(|e| bad_input(format!("--out: {e}")))?;
        // `data` may name a snapshot file: the truth lives in the dataset it was built from.
        let dataset_dir = tierank_io::snapshot::dataset_dir(&args.data).map_err(io_error)?;
        let paths = DatasetPaths::new(&dataset_dir);
        tierank_io::check_truth_layout(&dataset_dir).map_err(io_error)?;
        if !paths.closeness().is_file() {
            return Err(bad_input(format!(
                "{}: no ground truth; tierank compare needs truth_closeness.parquet (datasets \
             from tierank generate have one)",
                paths.closeness().display()
            )));
        }
        let excluded_ids = match &args.exclude {
            Some(path) => {
                let ids = tierank_io::read_person_ids(path, tierank_io::IdList::OptOuts)
                    .map_err(io_error)?;
                if ids.is_empty() {
                    progress.warn(&format!(
                        "the opt-out list {} lists no one: nobody is excluded",
                        path.display()
                    ));
                }
                Some(ids)
            }
            None => None,
        };
        let model_kind: ModelKind = args.model_kind.parse().map_err(bad_input)?;
        // Evaders of the evasion scenario (none in datasets without the column), read before
        // the dataset so that a bad column costs no loading time.
        let evaders = tierank_io::read_truth_evaders(&dataset_dir).map_err(io_error)?;

        progress.start(STAGES, "loading");
        let opened = args.load.open(&args.data, &load, progress)?;
        let (graph, report) = (opened.graph, opened.report);
        let graph = Arc::new(graph);
        check_cancelled(progress)?;
        // The sample depends on the graph and the seed only; drawn first, so that only the
        // sampled targets' truth rows are held (every row is still checked): the whole truth
        // of `large` (177 M rows) took more memory than its graph.
        let sample = stratified_sample(&graph, args.sample, seed);
        progress.step("reading truth");
        let sampled: std::collections::HashSet<i64> =
            sample.targets.iter().map(|&t| graph.person(t)).collect();
        let truth = tierank_io::read_truth_where(&dataset_dir, |t| sampled.contains(&t))
            .map_err(io_error)?
            .ok_or_else(|| bad_input("truth_closeness.parquet disappeared while loading"))?;
        drop(sampled);

        // Heuristics on the full data; `random` is the floor and always present.
        let mut list: Vec<String> = names.iter().filter(|n| *n != LEARNED).cloned().collect();
        if !list.iter().any(|n| n == "random" || n == "all") {
            list.push("random".into());
        }
        let singles =
            tierank_heuristics::build_all(&list.join(","), &config, &graph).bad_input()?;
        let learned_requested = with_learned || names.iter().any(|n| n == LEARNED);

        // Opt-outs and the minimised graph.
        let exclusion = excluded_ids
            .as_ref()
            .map(|ids| tierank_select::ExclusionSet::new(&graph, ids));
        let minimized: Option<Arc<Graph>> = match &exclusion {
            Some(set) => Some(Arc::new(
                tierank_select::minimize(&graph, set.nodes()).context("strict minimisation")?,
            )),
            None => None,
        };
        let eval_graph: Arc<Graph> = minimized.clone().unwrap_or_else(|| Arc::clone(&graph));
        let truth_index = TruthIndex::from_target_columns(
            &eval_graph,
            &sample.targets,
            &truth.target,
            &truth.alter,
            &truth.layer,
            &truth.relation,
            &truth.closeness,
        )
        .bad_input()?
        .with_evaders(&eval_graph, &evaders);
        if truth_index.unmatched_rows() > 0 || truth_index.missing_ties() > 0 {
            log::info!(
                "truth: {} rows not matching a friendship, {} friendships without a truth row",
                truth_index.unmatched_rows(),
                truth_index.missing_ties()
            );
        }

        // Targets: a stratified sample, without opted-out people, split for the learned model.
        check_cancelled(progress)?;
        progress.step("sampling");
        let mut targets: Vec<NodeId> = sample.targets.clone();
        if let Some(set) = &exclusion {
            targets.retain(|t| !set.contains(*t));
        }
        let (train, test) = if learned_requested {
            split_train_test(&graph, &targets, TRAIN_FRACTION, seed)
        } else {
            (Vec::new(), targets.clone())
        };
        if test.is_empty() {
            return Err(bad_input(
                "no target to evaluate: the dataset has no person with friends left to sample",
            ));
        }

        // The learned model, trained on the full data of the training targets.
        check_cancelled(progress)?;
        progress.step("training");
        let components: Vec<String> = singles
            .iter()
            .map(|h| h.name().to_owned())
            .filter(|n| n != "random")
            .collect();
        // Training and calibration read the truth on the full graph. Without opt-outs that is
        // the evaluation graph, and one index serves all three (an index is 10 bytes per
        // directed friendship, 1.8 GB on `large`).
        let full_graph_truth = match &minimized {
            None => None,
            Some(_) => Some(
                TruthIndex::from_target_columns(
                    &graph,
                    &sample.targets,
                    &truth.target,
                    &truth.alter,
                    &truth.layer,
                    &truth.relation,
                    &truth.closeness,
                )
                .bad_input()?,
            ),
        };
        let full_truth: &TruthIndex = full_graph_truth.as_ref().unwrap_or(&truth_index);
        let mut baseline: Option<LearnedModel> = None;
        let model: Option<LearnedModel> = if learned_requested && !components.is_empty() {
            let options = LearnedOptions {
                relevant_layer: args.relevant_layer,
                kind: model_kind,
                ..LearnedOptions::default()
            };
            // Stops before the next training target or boosting round once the flag is set.
            let cancel = progress.cancel_flag();
            let train_with = |options: &LearnedOptions| {
                train_learned_cancellable(
                    &graph,
                    &train,
                    &components,
                    &config,
                    full_truth,
                    options,
                    cancel.as_deref(),
                )
            };
            match train_with(&options) {
                Ok(m) => {
                    if args.logistic_baseline && model_kind != ModelKind::Logistic {
                        let options = LearnedOptions {
                            kind: ModelKind::Logistic,
                            ..options
                        };
                        baseline = Some(train_with(&options).map_err(from_eval)?);
                    }
                    Some(m)
                }
                Err(tierank_eval::EvalError::Training { reason }) => {
                    log::warn!("learned model not trained: {reason}");
                    None
                }
                Err(e) => return Err(from_eval(e)),
            }
        } else {
            None
        };

        // Rows: each heuristic (scored on full data), then each on the minimised data.
        let mut rows: Vec<Box<dyn Heuristic>> = Vec::new();
        let row_names: Vec<String> = singles.iter().map(|h| h.name().to_owned()).collect();
        let mut with_model: Vec<Box<dyn Heuristic>> = singles;
        if let Some(m) = &model {
            with_model.push(Box::new(
                LearnedHeuristic::new(m.clone(), &graph).map_err(ApiError::other)?,
            ));
        }
        if let Some(m) = &baseline {
            with_model.push(Box::new(Renamed {
                inner: Box::new(LearnedHeuristic::new(m.clone(), &graph).map_err(ApiError::other)?),
                name: LOGISTIC_BASELINE.to_owned(),
            }));
        }
        match &minimized {
            None => rows = with_model,
            Some(min) => {
                for h in with_model {
                    rows.push(Box::new(OnFullData {
                        inner: h,
                        full: Arc::clone(&graph),
                    }));
                }
                for name in &row_names {
                    rows.push(Box::new(Renamed {
                        inner: build(name, &config, min).bad_input()?,
                        name: format!("{name}{MINIMIZED}"),
                    }));
                }
                if let Some(m) = &model {
                    rows.push(Box::new(Renamed {
                        inner: Box::new(
                            LearnedHeuristic::new(m.clone(), min).map_err(ApiError::other)?,
                        ),
                        name: format!("{LEARNED}{MINIMIZED}"),
                    }));
                }
            }
        }

        check_cancelled(progress)?;
        progress.step(&format!(
            "scoring {} targets under {} heuristics",
            test.len(),
            rows.len()
        ));
        let max_k = *ks.last().expect("ks is not empty");
        let options = EvalOptions {
            ks: ks.clone(),
            relevant_layer: args.relevant_layer,
            resamples: args.resamples,
            seed,
            keep_top: max_k,
            ..EvalOptions::default()
        };
        // Stops before the next target once the caller sets the cancel flag.
        let cancel = progress.cancel_flag();
        let evaluation = evaluate_cancellable(
            &eval_graph,
            &test,
            &rows,
            &truth_index,
            &options,
            cancel.as_deref(),
        )
        .map_err(from_eval)?;

        // Calibration of the best single heuristic, fitted on targets that are not evaluated
        // when there is a training split.
        check_cancelled(progress)?;
        progress.step("writing the report");
        let table = summary(&evaluation);
        let best_single = table
            .iter()
            .find(|r| {
                r.kind == RowKind::Heuristic
                    && !r.heuristic.starts_with(LEARNED)
                    && !r.heuristic.ends_with(MINIMIZED)
            })
            .map(|r| r.heuristic.clone());
        let calibration = match &best_single {
            Some(name) => {
                let h = build(name, &config, &graph).bad_input()?;
                let fit_targets = if train.is_empty() { &test } else { &train };
                CalibrationFile::fit(
                    &graph,
                    fit_targets,
                    h.as_ref(),
                    full_truth,
                    args.relevant_layer,
                )
                .ok()
                .map(|c| {
                    // Without the coverage maps (no friend with interaction weight), `select`
                    // still reads the heuristic's.
                    let base = c.clone();
                    c.with_coverage(&graph, fit_targets, &config, full_truth)
                        .unwrap_or(base)
                })
            }
            None => None,
        };

        check_cancelled(progress)?;
        // What the model's and the calibration's scores depend on, recorded in both files.
        let settings = ScoreSettings::of_run(&config, &load, &opened.dataset_dir, &report)?;
        let staged = StagedDir::new(&args.out, existing).map_err(ApiError::other)?;
        let dir = staged.path().to_owned();
        let metrics = write_tables(&dir, &evaluation)?;
        if let Some(m) = &model {
            save_with_settings(&dir.join("model.json"), &m.to_json(), &settings)?;
        }
        if let Some(c) = &calibration {
            let mut text = serde_json::to_string_pretty(c).map_err(ApiError::other)?;
            text.push('\n');
            save_with_settings(&dir.join("calibration.json"), &text, &settings)?;
        }
        let mut facts = vec![
            ("dataset".to_owned(), args.data.display().to_string()),
            (
                "people / friendships".to_owned(),
                format!("{} / {}", report.num_nodes, report.num_edges),
            ),
            (
                "input".to_owned(),
                if report.has_events {
                    "interaction events".to_owned()
                } else if report.has_weights {
                    "tie weights".to_owned()
                } else {
                    "topology only".to_owned()
                },
            ),
            (
                "sample".to_owned(),
                format!(
                    "{} targets drawn by degree bucket (seed {seed}); {} train the learned model, {} are evaluated",
                    sample.targets.len(),
                    train.len(),
                    test.len()
                ),
            ),
            (
                "cut-offs k".to_owned(),
                ks.iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                "bootstrap".to_owned(),
                format!("{} resamples, 95% percentile intervals", args.resamples),
            ),
        ];
        let mut notes = Vec::new();
        if let Some(set) = &exclusion {
            facts.push((
                "opted out".to_owned(),
                format!(
                    "{} people listed ({} unknown); rows NAME{MINIMIZED} use data without them",
                    set.listed(),
                    set.unknown().len()
                ),
            ));
            notes.push(format!(
            "Opted-out people are never counted as selectable: rows without the {MINIMIZED} suffix use everyone's data to score but drop opted-out friends from the ranking; rows with it use no data about opted-out people at all (strict minimisation)."
        ));
        }
        if baseline.is_some() {
            for &k in &ks {
                if let Some(d) = evaluation.paired_difference(
                    LEARNED,
                    LOGISTIC_BASELINE,
                    Some(k),
                    Metric::Precision,
                    Stratum::All,
                ) {
                    let ci = match (d.ci_low, d.ci_high) {
                        (Some(lo), Some(hi)) => format!(" (95% CI {lo:+.4} to {hi:+.4})"),
                        _ => String::new(),
                    };
                    let line = format!(
                        "Precision@{k} of {LEARNED} ({model_kind}) minus {LOGISTIC_BASELINE}, paired over {} targets: {:+.4}{ci}.",
                        d.targets, d.value
                    );
                    log::info!("{line}");
                    notes.push(line);
                }
            }
        }
        if learned_requested && model.is_none() {
            notes.push(
                "The learned model could not be trained on this sample (see the log).".into(),
            );
        }
        if !report.has_events {
            notes.push(
            "This dataset has no interaction events: heuristics that need events are not evaluated."
                .into(),
        );
        }
        let html = render_html(
            &evaluation,
            &ReportInput {
                title: "tierank compare".into(),
                facts,
                notes,
                model: model.as_ref(),
            },
        );
        std::fs::write(dir.join("report.html"), html)
            .context(format!("writing {}", dir.join("report.html").display()))?;
        let manifest = manifest(
            args,
            &ks,
            &paths,
            &report,
            &sample,
            &train,
            &evaluation,
            model.as_ref(),
            calibration.as_ref(),
            !evaders.is_empty(),
        )?;
        std::fs::write(dir.join("manifest.json"), manifest)
            .context(format!("writing {}", dir.join("manifest.json").display()))?;
        let out = staged.commit().map_err(ApiError::other)?;
        progress.set_position(STAGES);
        progress.finish();
        Ok(CompareOutcome {
            ks,
            table,
            evaluation,
            calibrated: calibration.map(|c| c.heuristic),
            out,
            metrics: Batches {
                schema: tierank_format::schema::metrics(),
                batches: metrics,
            },
        })
    }
}

/// Writes metrics, per-target values, agreement and rankings into `dir`; returns the batches
/// of the metrics.
fn write_tables(dir: &Path, e: &Evaluation) -> Result<Vec<RecordBatch>, ApiError> {
    let mut metrics = MetricsRows::default();
    for r in &e.metrics {
        metrics.push(
            &r.heuristic,
            r.k.map(|k| k as i32),
            r.metric.as_str(),
            r.value,
            r.ci_low.zip(r.ci_high),
            &r.stratum.to_string(),
            r.targets as i64,
        );
    }
    for t in &e.timings {
        metrics.push(
            &t.heuristic,
            None,
            "wall_seconds",
            t.wall_seconds,
            None,
            "all",
            t.targets as i64,
        );
    }
    write_metrics(&dir.join("metrics.parquet"), &metrics).map_err(io_error)?;
    let metrics = metrics_batches(&metrics).map_err(io_error)?;

    let mut per = PerTargetRows::default();
    let strata: Vec<String> = e.per_target.iter().map(|r| r.stratum.to_string()).collect();
    for (r, stratum) in e.per_target.iter().zip(strata) {
        let t = &e.targets[r.target];
        per.target.push(t.person);
        per.degree.push(t.degree as i64);
        // Spelled as the stratum (`degree:10-49`), so per_target.degree_bucket joins
        // metrics.stratum without string surgery.
        per.degree_bucket
            .push(Stratum::Degree(t.bucket).to_string());
        per.heuristic.push(e.heuristics[r.heuristic].clone());
        per.k.push(r.k.map(|k| k as i32));
        per.metric.push(r.metric.as_str().to_owned());
        per.stratum.push(stratum);
        per.value.push(r.value);
    }
    write_per_target(&dir.join("per_target.parquet"), &per).map_err(io_error)?;

    let mut agreement = AgreementRows::default();
    for a in &e.agreement {
        agreement.heuristic_a.push(a.heuristic_a.clone());
        agreement.heuristic_b.push(a.heuristic_b.clone());
        agreement.k.push(a.k.map(|k| k as i32));
        agreement.measure.push(a.measure.as_str().to_owned());
        agreement.value.push(a.value);
        agreement.ci_low.push(a.ci_low);
        agreement.ci_high.push(a.ci_high);
        agreement.num_targets.push(a.targets as i64);
    }
    write_agreement(&dir.join("agreement.parquet"), &agreement).map_err(io_error)?;

    let mut writer =
        RankingsWriter::create(&dir.join("rankings.parquet"), &e.heuristics).map_err(io_error)?;
    let mut rows = RankingRows::default();
    for r in &e.rankings {
        rows.push(
            e.targets[r.target].person,
            r.heuristic as u8,
            i32::try_from(r.rank)
                .map_err(|_| ApiError::Message("rank exceeds the Int32 output column".into()))?,
            r.alter,
            r.score,
        );
        if rows.len() >= 1 << 16 {
            writer.write(&rows).map_err(io_error)?;
            rows.clear();
        }
    }
    writer.write(&rows).map_err(io_error)?;
    writer.finish().map_err(io_error)?;
    Ok(metrics)
}

/// `manifest.json` of the report: inputs with checksums, parameters, version, counts. No
/// wall-clock time (the wall times are in metrics.parquet).
#[allow(clippy::too_many_arguments)]
fn manifest(
    args: &CompareRequest,
    ks: &[usize],
    paths: &DatasetPaths,
    report: &tierank_io::LoadReport,
    sample: &tierank_eval::Sample,
    train: &[NodeId],
    e: &Evaluation,
    model: Option<&LearnedModel>,
    calibration: Option<&CalibrationFile>,
    evaders_read: bool,
) -> Result<String, ApiError> {
    let root = paths.root();
    let mut files: Vec<PathBuf> = report.files_read.clone();
    files.push(paths.closeness());
    if evaders_read {
        files.push(paths.truth_persons());
    }
    files.sort();
    files.dedup();
    let mut inputs = Vec::new();
    for f in &files {
        let name = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        inputs.push(json!({
            "role": "data",
            "name": name,
            "bytes": std::fs::metadata(f).map(|m| m.len()).unwrap_or(0),
            "sha256": sha256_file(f).map_err(ApiError::other)?,
        }));
    }
    if let Some(x) = &args.exclude {
        inputs.push(json!({
            "role": "exclude",
            "name": x.display().to_string(),
            "bytes": std::fs::metadata(x).map(|m| m.len()).unwrap_or(0),
            "sha256": sha256_file(x).map_err(ApiError::other)?,
        }));
    }
    let dataset_manifest = paths.manifest();
    let dataset_manifest_sha256 = if dataset_manifest.is_file() {
        Some(sha256_file(&dataset_manifest).map_err(ApiError::other)?)
    } else {
        None
    };
    let p = &args.load.params;
    let value = json!({
        "command": "tierank compare",
        "format_version": tierank_format::FORMAT_VERSION,
        "tierank_version": tierank_format::TIERANK_VERSION,
        "dataset_manifest_sha256": dataset_manifest_sha256,
        "inputs": inputs,
        "parameters": {
            "sample": args.sample,
            "heuristics": args.heuristics,
            "k": ks,
            "relevant_layer": args.relevant_layer,
            "seed": p.seed,
            "learned": args.learned,
            "model_kind": args.model_kind,
            "logistic_baseline": args.logistic_baseline,
            "train_fraction": if args.learned { TRAIN_FRACTION } else { 0.0 },
            "resamples": args.resamples,
            "confidence": e.options.confidence,
            "half_life_days": p.half_life_days,
            "channel_weights": p.channel_weights,
            "outgoing_weight": p.outgoing_weight,
            "ppr_alpha": p.ppr_alpha,
            "ppr_epsilon": p.ppr_epsilon,
            "combo": p.combo,
            "strict": args.load.strict,
            "window_start": p.window.window_start,
            "window_end": p.window.window_end,
            "as_of": p.window.as_of,
            "event_window": window_record(report),
            "exclude": args.exclude.as_ref().map(|x| x.display().to_string()),
        },
        "counts": {
            "people": report.num_nodes,
            "friendships": report.num_edges,
            "sampled_targets": sample.targets.len(),
            "train_targets": train.len(),
            "evaluated_targets": e.targets.len(),
            "dropped_targets": e.dropped_targets,
            "rows": e.heuristics,
            "metrics_rows": e.metrics.len() + e.timings.len(),
            "per_target_rows": e.per_target.len(),
            "agreement_rows": e.agreement.len(),
            "ranking_rows": e.rankings.len(),
        },
        "outputs": {
            "model": model.map(|_| "model.json"),
            "calibration": calibration.map(|c| json!({"file": "calibration.json", "heuristic": c.heuristic})),
        },
        // Each row's colour in report.html, for notebooks to draw the same (one palette).
        "colours": tierank_eval::report::chart_colours(e),
        "sample_buckets": sample.buckets.iter().map(|b| json!({
            "bucket": Stratum::Degree(b.bucket).to_string(), "population": b.population, "sampled": b.sampled,
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).map_err(ApiError::other)?;
    text.push('\n');
    Ok(text)
}

/// A cancelled evaluation or training stays a cancellation; every other error of the
/// evaluation crate here is a failure, not bad input.
fn from_eval(e: tierank_eval::EvalError) -> ApiError {
    match e {
        tierank_eval::EvalError::Cancelled => ApiError::Cancelled,
        e => ApiError::other(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request recorded before the model kind, the baseline and snapshots existed still
    /// reads, with the defaults of the CLI: gradient-boosted trees, no baseline, snapshot
    /// used.
    #[test]
    fn older_request_reads_with_defaults() {
        let text = r#"{"data":"d","sample":10,"heuristics":"all","k":[5],"relevant_layer":3,
            "exclude":null,"learned":true,"resamples":0,"out":"o","force":false,
            "params":{"seed":0,"half_life_days":null,"channel_weights":null,
            "outgoing_weight":null,"ppr_alpha":null,"ppr_epsilon":null,"combo":null,
            "window":{"window_start":null,"window_end":null,"as_of":null}},"strict":false}"#;
        let r = CompareRequest::from_recorded(serde_json::from_str(text).expect("JSON"))
            .expect("parses");
        assert_eq!(r.model_kind, DEFAULT_MODEL_KIND);
        assert!(!r.logistic_baseline);
        assert!(!r.load.no_snapshot);
        assert!(r.model_kind.parse::<ModelKind>().is_ok());
    }
}

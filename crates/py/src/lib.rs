//! The `tierank` Python module: the request layer (`tierank-api`) behind a Python API in the
//! style of polars and NetworKit.
//!
//! Results are `pyarrow.Table`s handed over through the Arrow C data interface (no copy row
//! by row), so polars and DuckDB take them directly. The GIL is released while the engine
//! runs; Ctrl-C is noticed between chunks of work (the request stops, writes nothing and
//! `KeyboardInterrupt` is raised). Errors carry the CLI's message: bad input raises
//! [`BadInputError`] (a `ValueError`), other failures [`TierankError`] (a `RuntimeError`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::RecordBatch;
use arrow::pyarrow::{IntoPyArrow, Table};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tierank_api::rank::{
    LoadedGraph, build_with_model, check_rank_settings, choose_targets, rank_chunks,
};
use tierank_api::{
    ApiError, CompareRequest, HeuristicParams, MemoryLimit, Progress, SelectRequest, WindowParams,
};
use tierank_io::RankingsWriter;

create_exception!(
    tierank,
    BadInputError,
    PyValueError,
    "Bad arguments or bad input data (the CLI's exit code 2): the message names the setting, file, column and row."
);
create_exception!(
    tierank,
    TierankError,
    PyRuntimeError,
    "A failure that is not the caller's (the CLI's exit code 1), such as an I/O error."
);

/// The Python exception of a request's error, with the CLI's message.
fn py_error(err: ApiError) -> PyErr {
    match err {
        ApiError::BadInput(message) => BadInputError::new_err(message),
        ApiError::Cancelled => PyKeyboardInterrupt::new_err("tierank: interrupted"),
        other => TierankError::new_err(tierank_api::error::chain(&other)),
    }
}

/// Progress of a call from Python: no bars; warnings through Python's `warnings`; Ctrl-C
/// (a pending signal) cancels the request at its next check.
#[derive(Default)]
struct PyProgress {
    interrupted: AtomicBool,
}

impl Progress for PyProgress {
    fn warn(&self, message: &str) {
        Python::attach(|py| {
            let _ = py
                .import("warnings")
                .and_then(|w| w.call_method1("warn", (message.to_owned(),)));
        });
    }

    fn cancelled(&self) -> bool {
        if self.interrupted.load(Ordering::Relaxed) {
            return true;
        }
        // Signal handlers run on the main thread only; elsewhere this finds nothing.
        let interrupted = Python::attach(|py| py.check_signals().is_err());
        if interrupted {
            self.interrupted.store(true, Ordering::Relaxed);
        }
        interrupted
    }
}

/// Runs `work` without the GIL, then maps its error.
fn run_detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&PyProgress) -> Result<T, ApiError> + Send,
) -> PyResult<T> {
    let progress = PyProgress::default();
    py.detach(|| work(&progress)).map_err(py_error)
}

/// Reads a Parquet file into one `pyarrow.Table` (the batches are handed over, not copied).
fn read_table(py: Python<'_>, path: &Path) -> PyResult<Py<PyAny>> {
    let (batches, schema) = py
        .detach(|| -> Result<(Vec<RecordBatch>, _), String> {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let schema = builder.schema().clone();
            // Whole row groups per batch: few chunks, so polars needs no rechunk (a copy).
            let reader = builder
                .with_batch_size(1 << 20)
                .build()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            // The batches carry no file metadata; the table's schema does (event window).
            let batches = reader
                .map(|b| b.and_then(|b| b.with_schema(schema.clone())))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((batches, schema))
        })
        .map_err(TierankError::new_err)?;
    let table =
        Table::try_new(batches, schema).map_err(|e| TierankError::new_err(e.to_string()))?;
    Ok(table.into_pyarrow(py)?.unbind())
}

/// Heuristic parameters from keyword arguments (the CLI's flags, with underscores).
#[allow(clippy::too_many_arguments)]
fn params(
    seed: u64,
    half_life_days: Option<f64>,
    channel_weights: Option<String>,
    outgoing_weight: Option<f64>,
    ppr_alpha: Option<f64>,
    ppr_epsilon: Option<f64>,
    combo: Option<String>,
    window_start: Option<String>,
    window_end: Option<String>,
) -> HeuristicParams {
    HeuristicParams {
        seed,
        half_life_days,
        channel_weights,
        outgoing_weight,
        ppr_alpha,
        ppr_epsilon,
        combo,
        window: WindowParams {
            window_start,
            window_end,
            as_of: None,
        },
    }
}

/// A loaded dataset: `tierank.load(path)`.
#[pyclass(module = "tierank", frozen)]
struct Graph {
    loaded: LoadedGraph,
    data: PathBuf,
}

#[pymethods]
impl Graph {
    /// Number of people.
    #[getter]
    fn num_people(&self) -> usize {
        self.loaded.graph.num_nodes()
    }

    /// Number of friendships (undirected ties).
    #[getter]
    fn num_ties(&self) -> usize {
        self.loaded.report.num_edges
    }

    /// Number of friends of each person id (a list, in the order given).
    ///
    /// Raises BadInputError for an id that is not in the dataset.
    fn degree(&self, ids: Vec<i64>) -> PyResult<Vec<usize>> {
        let nodes = tierank_io::resolve_targets(&self.loaded.graph, &ids)
            .map_err(|e| py_error(tierank_api::error::io_error(e)))?;
        Ok(nodes.iter().map(|&n| self.loaded.graph.degree(n)).collect())
    }

    /// Ranks targets' friends: the same columns and rows as `tierank rank`'s Parquet file.
    ///
    /// `targets`: a list, numpy array or pyarrow array of person ids; or `sample=N` people
    /// with friends, chosen reproducibly from `seed`. `heuristics`: comma-separated names or
    /// `all`; `learned` needs `model` (a model.json of `compare`).
    #[pyo3(signature = (targets=None, sample=None, heuristics="all", k=15, *, seed=0, model=None,
                        channel_weights=None, outgoing_weight=None, ppr_alpha=None,
                        ppr_epsilon=None, combo=None))]
    #[allow(clippy::too_many_arguments)]
    fn rank(
        &self,
        py: Python<'_>,
        targets: Option<&Bound<'_, PyAny>>,
        sample: Option<usize>,
        heuristics: &str,
        k: usize,
        seed: u64,
        model: Option<PathBuf>,
        channel_weights: Option<String>,
        outgoing_weight: Option<f64>,
        ppr_alpha: Option<f64>,
        ppr_epsilon: Option<f64>,
        combo: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let target_ids: Option<Vec<i64>> = match targets {
            None => None,
            Some(t) if t.hasattr("to_pylist")? => Some(t.call_method0("to_pylist")?.extract()?),
            Some(t) if t.hasattr("tolist")? => Some(t.call_method0("tolist")?.extract()?),
            Some(t) => Some(t.extract()?),
        };
        if target_ids.is_none() && sample.is_none() {
            return Err(BadInputError::new_err("give targets or sample=N"));
        }
        let p = params(
            seed,
            None,
            channel_weights,
            outgoing_weight,
            ppr_alpha,
            ppr_epsilon,
            combo,
            None,
            None,
        );
        let scratch = tempfile::tempdir().map_err(|e| TierankError::new_err(e.to_string()))?;
        let out = scratch.path().join("rankings.parquet");
        let loaded = &self.loaded;

        run_detached(py, |progress| {
            let settings = check_rank_settings(
                heuristics,
                k,
                sample,
                model.as_deref(),
                &p,
                loaded.load.strict,
            )?;
            if let Some(model) = &model {
                let now = tierank_api::artefact::ScoreSettings::of_run(
                    &settings.config,
                    &loaded.load,
                    &loaded.dataset_dir,
                    &loaded.report,
                )?;
                tierank_api::artefact::check_settings("--model", model, &now, &|m| {
                    progress.warn(m);
                })?;
            }
            let hs = build_with_model(
                heuristics,
                &settings.config,
                &loaded.graph,
                model.as_deref(),
            )?;
            let ids = choose_targets(&loaded.graph, target_ids.as_deref(), sample, seed)?;
            let names: Vec<String> = hs.iter().map(|h| h.name().to_owned()).collect();
            let mut writer =
                RankingsWriter::create(&out, &names).map_err(tierank_api::error::io_error)?;
            writer.set_metadata(
                "tierank.event_window",
                &tierank_api::params::window_record(&loaded.report).to_string(),
            );
            rank_chunks(&loaded.graph, &ids, &hs, k, progress, |rows| {
                writer.write(rows).map_err(tierank_api::error::io_error)
            })?;
            writer.finish().map_err(tierank_api::error::io_error)?;
            Ok(())
        })?;
        read_table(py, &out)
    }

    fn __repr__(&self) -> String {
        format!(
            "tierank.Graph({}: {} people, {} ties)",
            self.data.display(),
            self.num_people(),
            self.num_ties()
        )
    }
}

/// Loads a dataset directory (ties.parquet, events/, ...).
#[pyfunction]
#[pyo3(signature = (path, *, half_life_days=None, strict=false, window_start=None, window_end=None,
                    use_snapshot=true))]
fn load(
    py: Python<'_>,
    path: PathBuf,
    half_life_days: Option<f64>,
    strict: bool,
    window_start: Option<String>,
    window_end: Option<String>,
    use_snapshot: bool,
) -> PyResult<Graph> {
    let p = params(
        0,
        half_life_days,
        None,
        None,
        None,
        None,
        None,
        window_start,
        window_end,
    );
    let data = path.clone();
    let loaded = run_detached(py, move |progress| {
        let load = tierank_io::LoadOptions {
            half_life_ms: p.half_life_ms()?,
            strict,
            window: p.window.spec()?,
        };
        tierank_api::memory::check_load(&MemoryLimit::Available, &path)?;
        tierank_api::check_cancelled(progress)?;
        let opened = tierank_api::load_graph(&path, &load, use_snapshot)?;
        Ok(LoadedGraph {
            graph: opened.graph,
            report: opened.report,
            dataset_dir: opened.dataset_dir,
            load,
        })
    })?;
    Ok(Graph { loaded, data })
}

/// Generates a synthetic dataset into `out` (as `tierank generate`); returns `out`.
#[pyfunction]
#[pyo3(signature = (preset="small", persons=None, seed=None, *, out, force=false))]
fn generate(
    py: Python<'_>,
    preset: &str,
    persons: Option<u64>,
    seed: Option<u64>,
    out: PathBuf,
    force: bool,
) -> PyResult<PathBuf> {
    let overrides = tierank_datagen::ConfigOverrides {
        preset: Some(preset.to_owned()),
        seed,
        persons,
        ..tierank_datagen::ConfigOverrides::default()
    };
    let existing = if force {
        tierank_datagen::ExistingDir::Replace
    } else {
        tierank_datagen::ExistingDir::Refuse
    };
    let target = out.clone();
    run_detached(py, move |_| {
        let config = tierank_datagen::ConfigOverrides::resolve(&[&overrides])
            .map_err(tierank_api::error::bad_input)?;
        config.validate().map_err(tierank_api::error::bad_input)?;
        tierank_format::output::check_output_path(&target, &[])
            .map_err(|e| tierank_api::error::bad_input(format!("--out: {e}")))?;
        tierank_format::atomic::check_output_dir(&target, existing)
            .map_err(tierank_api::error::bad_input)?;
        match tierank_datagen::generate(&config, &target, existing) {
            Ok(_) => Ok(()),
            Err(e) if tierank_datagen::GenError::is_user_error(&e) => {
                Err(tierank_api::error::bad_input(e))
            }
            Err(e) => Err(ApiError::failed("generation failed", e)),
        }
    })?;
    Ok(out)
}

/// The realism report of a dataset (`tierank stats --json`), as a dict.
#[pyfunction]
#[pyo3(signature = (path, *, sample_nodes=None, seed=None))]
fn stats(
    py: Python<'_>,
    path: PathBuf,
    sample_nodes: Option<usize>,
    seed: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let text = run_detached(py, move |_| {
        let defaults = tierank_stats::StatsOptions::default();
        let opts = tierank_stats::StatsOptions {
            sample_nodes: sample_nodes.unwrap_or(defaults.sample_nodes),
            seed: seed.unwrap_or(defaults.seed),
            ..defaults
        };
        let report = tierank_stats::compute(&path, &opts).map_err(|e| {
            if e.is_bad_input() {
                tierank_api::error::bad_input(e)
            } else {
                ApiError::other(e)
            }
        })?;
        let checks = report.check_realism(&tierank_stats::RealismTargets::default());
        serde_json::to_string(&tierank_stats::ReportJson {
            report: &report,
            realism_checks: &checks,
        })
        .map_err(ApiError::other)
    })?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// Compares heuristics against the planted truth (as `tierank compare`) and returns the
/// metrics (metrics.parquet) as a table; the report directory is written to `out` when given.
#[pyfunction]
#[pyo3(signature = (data, *, out=None, sample=1000, heuristics="all", k=vec![1, 5, 15, 50],
                    relevant_layer=3, exclude=None, learned=true, model_kind="gbt",
                    logistic_baseline=false, resamples=1000, seed=0, force=false,
                    use_snapshot=true))]
#[allow(clippy::too_many_arguments)]
fn compare(
    py: Python<'_>,
    data: PathBuf,
    out: Option<PathBuf>,
    sample: usize,
    heuristics: &str,
    k: Vec<usize>,
    relevant_layer: i8,
    exclude: Option<PathBuf>,
    learned: bool,
    model_kind: &str,
    logistic_baseline: bool,
    resamples: usize,
    seed: u64,
    force: bool,
    use_snapshot: bool,
) -> PyResult<Py<PyAny>> {
    let scratch = tempfile::tempdir().map_err(|e| TierankError::new_err(e.to_string()))?;
    let out = out.unwrap_or_else(|| scratch.path().join("report"));
    let request = CompareRequest {
        data,
        sample,
        heuristics: heuristics.to_owned(),
        k,
        relevant_layer,
        exclude,
        learned,
        model_kind: model_kind.to_owned(),
        logistic_baseline,
        resamples,
        out,
        force,
        params: params(seed, None, None, None, None, None, None, None, None),
        strict: false,
        memory: MemoryLimit::Available,
        no_snapshot: !use_snapshot,
    };
    let outcome = run_detached(py, |progress| request.run(progress))?;
    read_table(py, &outcome.out.join("metrics.parquet"))
}

/// Selects audiences under a policy (as `tierank select`), writing `out`; returns a dict with
/// the `audiences` and `exposure` tables and the `audit` record.
#[pyfunction]
#[pyo3(signature = (data, targets, heuristic, policy, *, out, exclude=None,
                    strict_minimization=false, min_evidence=0, calibration=None, seed=0,
                    force=false, use_snapshot=true))]
#[allow(clippy::too_many_arguments)]
fn select(
    py: Python<'_>,
    data: PathBuf,
    targets: PathBuf,
    heuristic: &str,
    policy: &str,
    out: PathBuf,
    exclude: Option<PathBuf>,
    strict_minimization: bool,
    min_evidence: u32,
    calibration: Option<PathBuf>,
    seed: u64,
    force: bool,
    use_snapshot: bool,
) -> PyResult<Py<PyAny>> {
    let request = SelectRequest {
        data,
        targets,
        heuristic: heuristic.to_owned(),
        policy: policy.to_owned(),
        exclude,
        strict_minimization,
        min_evidence,
        calibration,
        params: params(seed, None, None, None, None, None, None, None, None),
        strict: false,
        memory: MemoryLimit::Available,
        no_snapshot: !use_snapshot,
        out,
        force,
        command_line: vec!["python".to_owned(), "tierank.select(...)".to_owned()],
    };
    let outcome = run_detached(py, |progress| request.run(progress))?;
    let result = PyDict::new(py);
    result.set_item(
        "audiences",
        read_table(py, &outcome.out.join(tierank_api::select::AUDIENCES_FILE))?,
    )?;
    result.set_item(
        "exposure",
        read_table(py, &outcome.out.join(tierank_api::select::EXPOSURE_FILE))?,
    )?;
    let audit = outcome
        .record
        .to_json()
        .map_err(|e| TierankError::new_err(e.to_string()))?;
    result.set_item("audit", py.import("json")?.call_method1("loads", (audit,))?)?;
    Ok(result.into_any().unbind())
}

/// The `tierank` module.
#[pymodule]
fn tierank(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", tierank_format::TIERANK_VERSION)?;
    m.add("BadInputError", m.py().get_type::<BadInputError>())?;
    m.add("TierankError", m.py().get_type::<TierankError>())?;
    m.add_class::<Graph>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(stats, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(select, m)?)?;
    Ok(())
}

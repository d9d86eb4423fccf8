//! The `tierank` Python module: the request layer (`tierank-api`) behind a Python API in the
//! style of polars and NetworKit.
//!
//! Results are `pyarrow.Table`s made of the request layer's record batches (the batches the
//! CLI writes to Parquet, built by the same function), handed over through the Arrow C data
//! interface without a copy, so polars and DuckDB take them directly. The GIL is released
//! while the engine runs; Ctrl-C stops a call within moments (the request stops, writes
//! nothing and `KeyboardInterrupt` is raised; see [`run_detached`]). Errors carry the CLI's
//! message: bad input raises [`BadInputError`] (a `ValueError`), other failures
//! [`TierankError`] (a `RuntimeError`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use arrow::pyarrow::{IntoPyArrow, Table};
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tierank_api::{
    ApiError, Batches, CompareRequest, GenerateRequest, HeuristicParams, LoadSettings, LoadedGraph,
    MemoryLimit, Progress, RankQuery, SelectRequest, StatsRequest, WindowParams,
};

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

/// Progress of a call from Python: no bars; warnings through Python's `warnings`; a cancel
/// flag that [`run_detached`] sets on Ctrl-C.
#[derive(Default)]
struct PyProgress {
    cancel: Arc<AtomicBool>,
}

impl Progress for PyProgress {
    fn warn(&self, message: &str) {
        Python::attach(|py| {
            let _ = py
                .import("warnings")
                .and_then(|w| w.call_method1("warn", (message.to_owned(),)));
        });
    }

    fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        Some(Arc::clone(&self.cancel))
    }
}

/// How often the calling thread looks for a pending signal while the engine works.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `work` on a worker thread while the calling thread waits without the GIL, taking it
/// every [`SIGNAL_POLL`] to run Python's signal handlers (they run on the main thread only,
/// so the engine's own threads cannot see Ctrl-C). When a handler raises (Ctrl-C:
/// `KeyboardInterrupt`), the cancel flag is set, the engine stops at its next check and
/// writes nothing, and the handler's exception is raised. Errors carry the CLI's message.
fn run_detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&PyProgress) -> Result<T, ApiError> + Send,
) -> PyResult<T> {
    let progress = PyProgress::default();
    let done = (Mutex::new(false), Condvar::new());
    let mut interrupt: Option<PyErr> = None;
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let result = work(&progress);
            *done.0.lock().unwrap_or_else(PoisonError::into_inner) = true;
            done.1.notify_all();
            result
        });
        loop {
            let finished = py.detach(|| {
                let guard = done.0.lock().unwrap_or_else(PoisonError::into_inner);
                let (guard, _) = done
                    .1
                    .wait_timeout_while(guard, SIGNAL_POLL, |finished| !*finished)
                    .unwrap_or_else(PoisonError::into_inner);
                *guard
            });
            if finished {
                break;
            }
            if interrupt.is_none()
                && let Err(err) = py.check_signals()
            {
                progress.cancel.store(true, Ordering::Relaxed);
                interrupt = Some(err);
            }
        }
        worker.join()
    });
    let result = match result {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    match (interrupt, result) {
        (Some(err), _) => Err(err),
        (None, result) => result.map_err(py_error),
    }
}

/// Hands a table of the request layer to Python as one `pyarrow.Table`: the record batches
/// cross through the Arrow C data interface (PyCapsules), so the buffers are shared, not
/// copied.
fn to_pyarrow(py: Python<'_>, table: Batches) -> PyResult<Py<PyAny>> {
    let table = Table::try_new(table.batches, table.schema)
        .map_err(|e| TierankError::new_err(e.to_string()))?;
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

/// The load settings of a call: the memory guard at the available memory, like the CLI's
/// default.
fn load_settings(params: HeuristicParams, strict: bool, use_snapshot: bool) -> LoadSettings {
    LoadSettings {
        params,
        strict,
        memory: MemoryLimit::Available,
        no_snapshot: !use_snapshot,
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
        let query = RankQuery {
            targets: target_ids,
            sample,
            heuristics: heuristics.to_owned(),
            k,
            params: params(
                seed,
                None,
                channel_weights,
                outgoing_weight,
                ppr_alpha,
                ppr_epsilon,
                combo,
                None,
                None,
            ),
            model,
        };
        let loaded = &self.loaded;
        let ranked = run_detached(py, |progress| loaded.rank(&query, progress))?;
        to_pyarrow(py, ranked.table)
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
    let settings = load_settings(p, strict, use_snapshot);
    let loaded = run_detached(py, |progress| LoadedGraph::open(&path, &settings, progress))?;
    Ok(Graph { loaded, data: path })
}

/// Generates a synthetic dataset into `out` (as `tierank generate`); returns `out`.
///
/// Ctrl-C stops the generator within moments (it checks per person and per block of rows);
/// nothing is left at `out`.
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
    let request = GenerateRequest {
        out,
        force,
        config_file: None,
        overrides: tierank_datagen::ConfigOverrides {
            preset: Some(preset.to_owned()),
            seed,
            persons,
            ..tierank_datagen::ConfigOverrides::default()
        },
        memory: MemoryLimit::Available,
    };
    run_detached(py, |progress| request.run(progress))?;
    Ok(request.out)
}

/// The realism report of a dataset (`tierank stats --json`), as a dict.
#[pyfunction]
#[pyo3(signature = (path, *, sample_nodes=None, seed=None, use_snapshot=true))]
fn stats(
    py: Python<'_>,
    path: PathBuf,
    sample_nodes: Option<usize>,
    seed: Option<u64>,
    use_snapshot: bool,
) -> PyResult<Py<PyAny>> {
    let defaults = StatsRequest::default();
    let request = StatsRequest {
        data: path,
        sample_nodes: sample_nodes.unwrap_or(defaults.sample_nodes),
        seed: seed.unwrap_or(defaults.seed),
        load: load_settings(HeuristicParams::default(), false, use_snapshot),
        ..defaults
    };
    let text = run_detached(py, |progress| request.run(progress)?.to_json())?;
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
        load: load_settings(
            params(seed, None, None, None, None, None, None, None, None),
            false,
            use_snapshot,
        ),
    };
    let outcome = run_detached(py, |progress| request.run(progress))?;
    to_pyarrow(py, outcome.metrics)
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
        load: load_settings(
            params(seed, None, None, None, None, None, None, None, None),
            false,
            use_snapshot,
        ),
        out,
        force,
        command_line: vec!["python".to_owned(), "tierank.select(...)".to_owned()],
    };
    let outcome = run_detached(py, |progress| request.run(progress))?;
    let result = PyDict::new(py);
    result.set_item("audiences", to_pyarrow(py, outcome.audiences)?)?;
    result.set_item("exposure", to_pyarrow(py, outcome.exposure)?)?;
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

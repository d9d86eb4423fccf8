//! Shared fixtures for the criterion benches in `benches/benches/`.
//!
//! Every bench runs on a generated dataset that is expensive to make (about 8 s for `small`,
//! minutes for `medium`), so datasets are generated once into
//! `target/bench-data/<preset>-seed<seed>` and reused while their manifest records the same
//! generator parameters. The preset is chosen with `TIERANK_BENCH_PRESET` (default `small`).
//!
//! Everything here runs outside the timed loops: the benches time only the operation they
//! name.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tierank_datagen::{ExistingDir, GeneratorConfig, Preset};
use tierank_format::layout::DatasetPaths;
use tierank_format::manifest::Manifest;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{CostClass, HeuristicConfig};
use tierank_io::{LoadOptions, LoadReport};

/// Environment variable naming the preset to bench (`tiny`, `small`, `medium`, `large`).
pub const PRESET_ENV: &str = "TIERANK_BENCH_PRESET";

/// Seed of every benched dataset: the presets' own seed, so the cached dataset is the one
/// `tierank generate --preset P` writes.
pub const DATASET_SEED: u64 = 7;

/// Seed of the target sample of the per-heuristic benches.
pub const SAMPLE_SEED: u64 = 42;

/// Targets in the per-heuristic sample: enough that per-target variance averages out, few
/// enough that the slowest heuristic (recursive dispersion) stays within a sample budget.
pub const SAMPLE_TARGETS: usize = 2_000;

/// Friends kept per target and heuristic, as in the ranking goals.
pub const TOP_K: usize = 15;

/// The heuristics that read only the target's own ties, ranked for every person in the
/// `rank` bench.
pub const EGO_HEURISTICS: &[&str] = &[
    "volume",
    "recency",
    "reciprocity",
    "persistence",
    "multiplexity",
    "degree",
    "random",
];

/// Why a fixture could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// `TIERANK_BENCH_PRESET` names no preset.
    #[error("{PRESET_ENV}={value}: {source}")]
    Preset {
        /// The rejected value.
        value: String,
        /// The parse error, listing the presets.
        source: tierank_datagen::GenError,
    },
    /// Generating the dataset failed.
    #[error("generating {dir}: {source}")]
    Generate {
        /// The cache directory.
        dir: PathBuf,
        /// The generator's error.
        source: tierank_datagen::GenError,
    },
    /// Loading the dataset failed.
    #[error("loading {dir}: {source}")]
    Load {
        /// The cache directory.
        dir: PathBuf,
        /// The loader's error.
        source: tierank_io::IoError,
    },
    /// Reading a Parquet file back failed.
    #[error("reading {file}: {message}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The reader's message.
        message: String,
    },
    /// A manifest or directory listing failed.
    #[error(transparent)]
    Format(#[from] tierank_format::FormatError),
    /// Building a heuristic or sampling targets failed.
    #[error(transparent)]
    Heuristic(#[from] tierank_heuristics::HeuristicError),
}

/// The preset named by `TIERANK_BENCH_PRESET`, `small` when unset.
///
/// # Errors
/// [`FixtureError::Preset`] for an unknown name.
pub fn preset_from_env() -> Result<Preset, FixtureError> {
    match std::env::var(PRESET_ENV) {
        Ok(value) => value
            .parse()
            .map_err(|source| FixtureError::Preset { value, source }),
        Err(_) => Ok(Preset::Small),
    }
}

/// The generator parameters of a benched preset.
pub fn bench_config(preset: Preset) -> GeneratorConfig {
    GeneratorConfig {
        seed: DATASET_SEED,
        ..GeneratorConfig::preset(preset)
    }
}

/// The cargo target directory: `CARGO_TARGET_DIR` when set, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("target"),
    }
}

/// The cache directory of a preset: `target/bench-data/<preset>-seed<seed>`.
pub fn dataset_dir(preset: Preset) -> PathBuf {
    target_dir()
        .join("bench-data")
        .join(format!("{}-seed{DATASET_SEED}", preset.as_str()))
}

/// Whether `dir` holds a complete dataset generated with `config` (its manifest is written
/// last and records the parameters).
fn is_cached(dir: &Path, config: &GeneratorConfig) -> bool {
    let Ok(manifest) = Manifest::read(&DatasetPaths::new(dir).manifest()) else {
        return false;
    };
    // A dataset of an older output format (another truth layout, other names) is remade.
    manifest.format_version == tierank_format::FORMAT_VERSION
        && serde_json::to_value(config).is_ok_and(|expected| manifest.parameters == expected)
}

/// The cached dataset of `preset`, generated first when absent or made with other parameters.
///
/// # Errors
/// [`FixtureError::Generate`] when generation fails.
pub fn ensure_dataset(preset: Preset) -> Result<PathBuf, FixtureError> {
    let dir = dataset_dir(preset);
    let config = bench_config(preset);
    if is_cached(&dir, &config) {
        log::info!("reusing {}", dir.display());
        return Ok(dir);
    }
    log::info!("generating {} into {}", preset, dir.display());
    tierank_datagen::generate(&config, &dir, ExistingDir::Replace).map_err(|source| {
        FixtureError::Generate {
            dir: dir.clone(),
            source,
        }
    })?;
    Ok(dir)
}

/// The manifest of a cached dataset.
///
/// # Errors
/// [`FixtureError::Format`] when it cannot be read.
pub fn manifest(dir: &Path) -> Result<Manifest, FixtureError> {
    Ok(Manifest::read(&DatasetPaths::new(dir).manifest())?)
}

/// Loads a dataset with the default options.
///
/// # Errors
/// [`FixtureError::Load`] when loading fails.
pub fn load(dir: &Path) -> Result<(Graph, LoadReport), FixtureError> {
    tierank_io::load_graph(dir, &LoadOptions::default()).map_err(|source| FixtureError::Load {
        dir: dir.to_owned(),
        source,
    })
}

/// One Parquet file of a dataset read back into memory, for the parquet-alone baseline.
#[derive(Debug, Clone)]
pub struct TableBatches {
    /// Path relative to the dataset root, as in the manifest.
    pub relative: String,
    /// Its record batches, in file order, with the file's Arrow schema.
    pub batches: Vec<RecordBatch>,
    /// Its rows.
    pub rows: u64,
}

/// Every Parquet file listed in a dataset's manifest, read back into record batches of up
/// to `batch_rows` rows (the generator hands the writer batches of `2^20` rows).
///
/// # Errors
/// [`FixtureError::Read`] when a file does not decode.
pub fn read_tables(dir: &Path, batch_rows: usize) -> Result<Vec<TableBatches>, FixtureError> {
    let manifest = manifest(dir)?;
    manifest
        .files
        .iter()
        .map(|entry| {
            let file = dir.join(&entry.path);
            let read_err = |e: &dyn std::fmt::Display| FixtureError::Read {
                file: file.clone(),
                message: e.to_string(),
            };
            let handle = File::open(&file).map_err(|e| read_err(&e))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(handle)
                .map_err(|e| read_err(&e))?
                .with_batch_size(batch_rows)
                .build()
                .map_err(|e| read_err(&e))?;
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| read_err(&e))?;
            let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
            Ok(TableBatches {
                relative: entry.path.clone(),
                batches,
                rows,
            })
        })
        .collect()
}

/// A seeded sample of [`SAMPLE_TARGETS`] targets with friends (all of them when fewer).
///
/// # Errors
/// [`FixtureError::Heuristic`] for a graph without any tie.
pub fn sample(graph: &Graph) -> Result<Vec<NodeId>, FixtureError> {
    let with_friends = (0..graph.num_nodes())
        .filter(|&i| graph.degree(NodeId(i as u32)) > 0)
        .count();
    Ok(tierank_heuristics::rank::sample_targets(
        graph,
        SAMPLE_TARGETS.min(with_friends),
        SAMPLE_SEED,
    )?)
}

/// The planted ground truth of a cached dataset (`truth_closeness.parquet`), for the
/// comparison and selection benches.
///
/// # Errors
/// [`FixtureError::Load`] when the file does not decode, [`FixtureError::Read`] when the
/// dataset has no truth.
pub fn truth(dir: &Path) -> Result<tierank_io::Truth, FixtureError> {
    tierank_io::read_truth(dir)
        .map_err(|source| FixtureError::Load {
            dir: dir.to_owned(),
            source,
        })?
        .ok_or_else(|| FixtureError::Read {
            file: DatasetPaths::new(dir).closeness(),
            message: "the dataset has no ground truth".into(),
        })
}

/// Every person of the graph, in node order: the targets of a full ranking.
pub fn all_people(graph: &Graph) -> Vec<NodeId> {
    (0..graph.num_nodes()).map(|i| NodeId(i as u32)).collect()
}

/// (target, friend) pairs a heuristic scores over `targets`: the sum of their degrees. The
/// unit in which two-hop scores are compared with peers' pairwise similarity functions.
pub fn scored_pairs(graph: &Graph, targets: &[NodeId]) -> u64 {
    targets.iter().map(|&u| graph.degree(u) as u64).sum()
}

/// Whether the heuristic named `name` is a two-hop score (common friends and relatives).
///
/// # Errors
/// [`FixtureError::Heuristic`] for an unknown name or one the graph does not support.
pub fn is_two_hop(name: &str, graph: &Graph) -> Result<bool, FixtureError> {
    let h = tierank_heuristics::build(name, &HeuristicConfig::default(), graph)?;
    Ok(h.cost_class() == CostClass::TwoHop)
}

/// A rayon pool of exactly `threads` workers, for per-core and scaling figures.
///
/// # Panics
/// When the operating system refuses to start the threads: the bench cannot run then.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("start a rayon pool")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_names_preset_and_seed() {
        let dir = dataset_dir(Preset::Medium);
        assert!(
            dir.ends_with("bench-data/medium-seed7"),
            "{}",
            dir.display()
        );
        assert_eq!(bench_config(Preset::Small).seed, DATASET_SEED);
    }

    #[test]
    fn cache_requires_matching_manifest() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let config = GeneratorConfig {
            persons: 300,
            chunk_persons: 100,
            ..bench_config(Preset::Tiny)
        };
        assert!(!is_cached(tmp.path(), &config));
        let dir = tmp.path().join("data");
        tierank_datagen::generate(&config, &dir, ExistingDir::Refuse).expect("generate");
        assert!(is_cached(&dir, &config));
        let other = GeneratorConfig {
            seed: config.seed + 1,
            ..config.clone()
        };
        assert!(!is_cached(&dir, &other));

        let tables = read_tables(&dir, 1 << 20).expect("read back");
        let manifest = manifest(&dir).expect("manifest");
        assert_eq!(tables.len(), manifest.files.len());
        for (table, entry) in tables.iter().zip(&manifest.files) {
            assert_eq!(table.rows, entry.rows, "{}", entry.path);
        }

        let (graph, _) = load(&dir).expect("load");
        assert!(!truth(&dir).expect("truth").is_empty());
        let targets = sample(&graph).expect("sample");
        assert!(!targets.is_empty());
        assert_eq!(
            scored_pairs(&graph, &all_people(&graph)),
            2 * graph.num_edges() as u64
        );
        assert!(is_two_hop("jaccard", &graph).expect("jaccard"));
        assert!(!is_two_hop("volume", &graph).expect("volume"));
    }
}

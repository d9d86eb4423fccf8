//! The planted ground truth, `truth_closeness.parquet`, and the evaders of
//! `truth_persons.parquet`, read only by evaluation.

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType::Boolean;
use arrow::datatypes::{DataType, Int8Type, Int16Type, Int32Type};
use tierank_format::Relation;
use tierank_format::layout::DatasetPaths;
use tierank_format::schema::col;

use crate::IoError;
use crate::checksums::verify_dataset_file;
use crate::columns::{
    ColumnAt, ParquetSource, check_float, check_int, check_string, dict_strings, f64_values,
    i64_values,
};

/// Ground truth: one row per directed tie (target, alter), in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Truth {
    /// The person whose circle the row describes.
    pub target: Vec<i64>,
    /// The friend.
    pub alter: Vec<i64>,
    /// Dunbar layer 1 (innermost) ..= 5, or 6 for other friends.
    pub layer: Vec<i8>,
    /// Planted relation type.
    pub relation: Vec<Relation>,
    /// Latent closeness in `[0, 1]`.
    pub closeness: Vec<f64>,
}

impl Truth {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }
}

const LAYER_EXPECTED: &str = "Int8 (or Int16, Int32)";

/// Refuses a dataset in the truth layout of output format 1: a `truth/` directory holding
/// `closeness.parquet` and `persons.parquet`. Read as a directory (Spark, DuckDB, polars)
/// it was the union of two tables with all-null rows, so format 2 gives each table its own
/// top-level file; and the old closeness file names the target `ego`. Reading it anyway
/// would mix layouts, so the user is asked to regenerate.
///
/// # Errors
/// [`IoError::OldLayout`] naming the directory, the new file names and what to do.
pub fn check_truth_layout(dataset_dir: &Path) -> Result<(), IoError> {
    let paths = DatasetPaths::new(dataset_dir);
    match paths.old_truth_dir() {
        Some(dir) => Err(IoError::OldLayout {
            path: dir,
            reason: format!(
                "a ground truth in the layout of tierank output format 1 (truth/closeness.parquet, \
                 truth/persons.parquet); since format 2 the truth is two top-level files, {} and \
                 {}, one table each. Regenerate the dataset with `tierank generate` (same \
                 seed and parameters give the same data), or for your own truth move \
                 truth/closeness.parquet to {} and rename its column 'ego' to 'target'",
                tierank_format::layout::CLOSENESS,
                tierank_format::layout::TRUTH_PERSONS,
                tierank_format::layout::CLOSENESS,
            ),
        }),
        None => Ok(()),
    }
}

/// Reads `truth_closeness.parquet` of a dataset.
///
/// Returns `Ok(None)` when the file is absent (user datasets have no truth). When the
/// dataset's `manifest.json` lists the file, it must exist and match its checksum.
///
/// # Errors
/// [`IoError::Checksum`], [`IoError::ListedMissing`] or [`IoError::Manifest`] as for
/// [`crate::load_graph`];
/// Missing or wrongly typed columns, nulls, layers outside `1..=6`, unknown relation strings,
/// and closeness outside `[0, 1]` or NaN, each naming file, column and row;
/// [`IoError::OldLayout`] for a dataset with the `truth/` directory of format 1
/// ([`check_truth_layout`]).
pub fn read_truth(dataset_dir: &Path) -> Result<Option<Truth>, IoError> {
    read_truth_where(dataset_dir, |_| true)
}

/// [`read_truth`], keeping only the rows whose `target` passes `keep`. Every row is still
/// checked (a bad row anywhere is refused, naming its row), but only the kept ones are held:
/// `compare` evaluates a sample of targets, and the whole truth of `large` (177 M rows,
/// 26 bytes each in memory) was more than its graph.
///
/// # Errors
/// As [`read_truth`].
pub fn read_truth_where(
    dataset_dir: &Path,
    keep: impl Fn(i64) -> bool,
) -> Result<Option<Truth>, IoError> {
    check_truth_layout(dataset_dir)?;
    let path = DatasetPaths::new(dataset_dir).closeness();
    verify_dataset_file(dataset_dir, &path)?;
    if !path.is_file() {
        return Ok(None);
    }
    let source = ParquetSource::open(&path)?;
    let at = |column: &'static str| ColumnAt {
        path: &path,
        column,
        row0: 0,
    };
    check_int(
        at(col::TARGET),
        source.require_renamed(col::TARGET, col::OLD_EGO)?,
    )?;
    check_int(at(col::ALTER), source.require(col::ALTER)?)?;
    let layer_type = source.require(col::LAYER)?;
    if !matches!(
        layer_type,
        DataType::Int8 | DataType::Int16 | DataType::Int32
    ) {
        return Err(at(col::LAYER).wrong_type(LAYER_EXPECTED, layer_type));
    }
    check_string(at(col::RELATION), source.require(col::RELATION)?)?;
    check_float(at(col::CLOSENESS), source.require(col::CLOSENESS)?)?;

    let mut truth = Truth::default();
    let columns = [
        col::TARGET,
        col::ALTER,
        col::LAYER,
        col::RELATION,
        col::CLOSENESS,
    ];
    source.for_each_batch(&columns, |batch, row0| {
        let at = |column: &'static str| ColumnAt {
            path: &path,
            column,
            row0,
        };
        let target = at(col::TARGET);
        let targets = i64_values(target, target.of(batch)?)?;
        let kept: Vec<bool> = targets.iter().map(|&t| keep(t)).collect();
        let is_kept = |i: &usize| kept[*i];
        truth.target.extend(
            targets
                .iter()
                .enumerate()
                .filter(|(i, _)| is_kept(i))
                .map(|(_, v)| *v),
        );
        let alter = at(col::ALTER);
        truth.alter.extend(
            i64_values(alter, alter.of(batch)?)?
                .iter()
                .enumerate()
                .filter(|(i, _)| is_kept(i))
                .map(|(_, v)| *v),
        );

        let layer_at = at(col::LAYER);
        let layer = layer_at.of(batch)?;
        if layer.null_count() > 0 {
            let i = (0..layer.len()).find(|&i| layer.is_null(i)).unwrap_or(0);
            return Err(layer_at.bad(i, "null value"));
        }
        let widened: Vec<i64> = match layer.data_type() {
            DataType::Int8 => layer
                .as_primitive::<Int8Type>()
                .values()
                .iter()
                .map(|&v| i64::from(v))
                .collect(),
            DataType::Int16 => layer
                .as_primitive::<Int16Type>()
                .values()
                .iter()
                .map(|&v| i64::from(v))
                .collect(),
            DataType::Int32 => layer
                .as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&v| i64::from(v))
                .collect(),
            other => return Err(layer_at.wrong_type(LAYER_EXPECTED, other)),
        };
        for (i, v) in widened.into_iter().enumerate() {
            match i8::try_from(v) {
                Ok(l) if (1..=tierank_format::schema::OUTSIDE_LAYERS).contains(&l) => {
                    if kept[i] {
                        truth.layer.push(l);
                    }
                }
                _ => return Err(layer_at.bad(i, format!("layer {v} is outside 1..=6"))),
            }
        }

        let rel_at = at(col::RELATION);
        let strings = dict_strings(rel_at, rel_at.of(batch)?)?;
        let mut parsed = Vec::with_capacity(strings.values.len());
        for s in strings.values.iter() {
            parsed.push(s.unwrap_or("").parse::<Relation>());
        }
        for (i, &k) in strings.keys.iter().enumerate() {
            match &parsed[k as usize] {
                Ok(r) if kept[i] => truth.relation.push(*r),
                Ok(_) => {}
                Err(e) => return Err(rel_at.bad(i, e.to_string())),
            }
        }

        let clo_at = at(col::CLOSENESS);
        for (i, v) in f64_values(clo_at, clo_at.of(batch)?)?
            .into_iter()
            .enumerate()
        {
            match v {
                None => return Err(clo_at.bad(i, "null value")),
                Some(c) if (0.0..=1.0).contains(&c) => {
                    if kept[i] {
                        truth.closeness.push(c);
                    }
                }
                Some(c) => return Err(clo_at.bad(i, format!("closeness {c} is outside [0, 1]"))),
            }
        }
        Ok(())
    })?;
    Ok(Some(truth))
}

/// Column of `truth_persons.parquet` that marks an evader (the `evasion` scenario): a
/// non-null boolean. Files without it mark nobody.
pub const EVADER: &str = col::EVADER;

/// Reads the evaders of a dataset: the person ids whose `evader` is true in
/// `truth_persons.parquet`, ascending.
///
/// Returns an empty list when the file is absent or has no `evader` column (datasets made
/// before the evasion scenario, and user datasets: nobody is an evader). When the dataset's
/// `manifest.json` lists the file, it must exist and match its checksum.
///
/// # Errors
/// As [`read_truth`] for the checksum; a missing `person_id` column, an `evader` column that
/// is not Boolean, or a null in either, naming file, column and row; [`IoError::OldLayout`]
/// as [`read_truth`].
pub fn read_truth_evaders(dataset_dir: &Path) -> Result<Vec<i64>, IoError> {
    check_truth_layout(dataset_dir)?;
    let path = DatasetPaths::new(dataset_dir).truth_persons();
    verify_dataset_file(dataset_dir, &path)?;
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let source = ParquetSource::open(&path)?;
    let at = |column: &'static str| ColumnAt {
        path: &path,
        column,
        row0: 0,
    };
    let Some(ty) = source.optional(EVADER) else {
        return Ok(Vec::new());
    };
    if *ty != Boolean {
        return Err(at(EVADER).wrong_type("Boolean", ty));
    }
    check_int(at(col::PERSON_ID), source.require(col::PERSON_ID)?)?;
    let mut evaders = Vec::new();
    source.for_each_batch(&[col::PERSON_ID, EVADER], |batch, row0| {
        let at = |column: &'static str| ColumnAt {
            path: &path,
            column,
            row0,
        };
        let id_at = at(col::PERSON_ID);
        let ids = i64_values(id_at, id_at.of(batch)?)?;
        let flag_at = at(EVADER);
        let flags = flag_at.of(batch)?;
        if let Some(i) = (0..flags.len()).find(|&i| flags.is_null(i)) {
            return Err(flag_at.bad(i, "null value"));
        }
        let flags = flags.as_boolean();
        evaders.extend((0..flags.len()).filter(|&i| flags.value(i)).map(|i| ids[i]));
        Ok(())
    })?;
    evaders.sort_unstable();
    evaders.dedup();
    Ok(evaders)
}

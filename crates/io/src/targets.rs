//! Target lists: the people whose friends `tierank rank` ranks.

use std::collections::HashSet;
use std::path::Path;

use tierank_format::schema::col;
use tierank_graph::{Graph, NodeId};

use crate::IoError;
use crate::columns::{ColumnAt, ParquetSource, check_int, i64_values};

/// How many unknown ids [`IoError::UnknownTargets`] lists.
pub const UNKNOWN_TARGETS_LISTED: usize = 5;

/// Reads a list of person ids from a Parquet or CSV file (chosen by extension).
///
/// The column is `person_id`, or the file's only column whatever its name. Parquet columns
/// must be Int64 (Int32 is widened); CSV files start with a header line and hold one integer
/// per line (blank lines are skipped). Order and repeats are kept: see [`resolve_targets`].
///
/// # Errors
/// [`IoError::Missing`] when the file does not exist, [`IoError::UnsupportedFormat`] for
/// another extension, [`IoError::MissingColumn`] when there are several columns and none is
/// `person_id`, [`IoError::WrongType`] for a non-integer Parquet column, and
/// [`IoError::BadValue`] (file, column, row) for a null or a non-integer CSV field.
pub fn read_person_ids(path: &Path) -> Result<Vec<i64>, IoError> {
    if !path.is_file() {
        return Err(IoError::Missing {
            path: path.to_owned(),
            what: "target list not found (a .parquet or .csv file with a person_id column)".into(),
        });
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "parquet" | "pq" => read_parquet_ids(path),
        "csv" => read_csv_ids(path),
        _ => Err(IoError::UnsupportedFormat {
            path: path.to_owned(),
        }),
    }
}

/// Picks `person_id`, or the only column.
fn pick_column(path: &Path, names: &[String]) -> Result<String, IoError> {
    if names.iter().any(|n| n == col::PERSON_ID) {
        Ok(col::PERSON_ID.to_owned())
    } else if let [only] = names {
        Ok(only.clone())
    } else {
        Err(IoError::MissingColumn {
            path: path.to_owned(),
            column: col::PERSON_ID.to_owned(),
            found: names.to_vec(),
        })
    }
}

fn read_parquet_ids(path: &Path) -> Result<Vec<i64>, IoError> {
    let source = ParquetSource::open(path)?;
    let column = pick_column(path, &source.column_names())?;
    let mut at = ColumnAt {
        path,
        column: &column,
        row0: 0,
    };
    check_int(at, source.require(&column)?)?;
    let mut ids = Vec::with_capacity(usize::try_from(source.num_rows()).unwrap_or(0));
    source.for_each_batch(&[column.as_str()], |batch, row0| {
        at.row0 = row0;
        ids.extend_from_slice(&i64_values(at, at.of(batch)?)?);
        Ok(())
    })?;
    Ok(ids)
}

/// Splits one CSV line into trimmed fields with surrounding double quotes removed. Person-id
/// lists hold no embedded commas, so quoting beyond that is not needed.
fn csv_fields(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .unwrap_or(f)
        })
        .collect()
}

fn read_csv_ids(path: &Path) -> Result<Vec<i64>, IoError> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(path, e))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(IoError::MissingColumn {
            path: path.to_owned(),
            column: col::PERSON_ID.to_owned(),
            found: Vec::new(),
        });
    };
    let header = header.trim_start_matches('\u{feff}');
    let names: Vec<String> = csv_fields(header).into_iter().map(str::to_owned).collect();
    let column = pick_column(path, &names)?;
    let index = names
        .iter()
        .position(|n| *n == column)
        .expect("picked from names");
    let mut ids = Vec::new();
    for (row, (line_no, line)) in lines.enumerate() {
        let fields = csv_fields(line);
        let bad = |reason: String| IoError::BadValue {
            path: path.to_owned(),
            column: column.clone(),
            row: row as u64,
            reason: format!("{reason} (line {})", line_no + 1),
        };
        let field = fields
            .get(index)
            .copied()
            .ok_or_else(|| bad(format!("only {} field(s)", fields.len())))?;
        if field.is_empty() {
            return Err(bad("null value".into()));
        }
        let id = field
            .parse::<i64>()
            .map_err(|_| bad(format!("'{field}' is not a 64-bit integer")))?;
        ids.push(id);
    }
    Ok(ids)
}

/// Maps person ids to dense ids, keeping the input order and dropping repeated ids.
///
/// A person with no friends is still a valid target (ranked to nothing) when the dataset
/// lists them in `persons.parquet`.
///
/// # Errors
/// [`IoError::EmptyTargets`] for an empty list; [`IoError::UnknownTargets`] with the number of
/// distinct unknown ids and the first [`UNKNOWN_TARGETS_LISTED`] of them in input order.
pub fn resolve_targets(graph: &Graph, ids: &[i64]) -> Result<Vec<NodeId>, IoError> {
    if ids.is_empty() {
        return Err(IoError::EmptyTargets);
    }
    let mut seen = HashSet::with_capacity(ids.len());
    let mut unknown_seen = HashSet::new();
    let mut unknown = Vec::new();
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        match graph.dense(id) {
            Some(node) => {
                if seen.insert(node) {
                    out.push(node);
                }
            }
            None => {
                if unknown_seen.insert(id) {
                    unknown.push(id);
                }
            }
        }
    }
    if !unknown.is_empty() {
        let count = unknown.len();
        unknown.truncate(UNKNOWN_TARGETS_LISTED);
        return Err(IoError::UnknownTargets {
            count,
            first: unknown,
        });
    }
    Ok(out)
}

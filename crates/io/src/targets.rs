//! Files of person ids: target lists and opt-out (exclude) lists.
//!
//! Both are one column of ids, in Parquet or CSV. Opt-outs are the one input that must never
//! fail open: a list that silently lost an id selects a person who said no. So the reader
//! accepts a small set of unambiguous shapes and refuses everything else, naming the file and
//! the line; every non-blank data line of a CSV yields exactly one id or an error.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use tierank_format::schema::col;
use tierank_graph::{Graph, NodeId};

use crate::IoError;
use crate::columns::{ColumnAt, ParquetSource};

/// How many unknown ids [`IoError::UnknownTargets`] lists.
pub const UNKNOWN_TARGETS_LISTED: usize = 5;

/// What a file of person ids is for: it names the file in every message, and decides what a
/// repeated id means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdList {
    /// The people whose friends are ranked or selected (`--targets`). A repeated id is an
    /// error: `select` would notify the target's audience twice, and `rank` refuses it too so
    /// that one file means the same to both commands.
    Targets,
    /// People who opted out of being shown notices (`--exclude`). A repeated id counts once:
    /// excluding someone twice excludes them.
    OptOuts,
}

impl fmt::Display for IdList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Targets => "target list",
            Self::OptOuts => "opt-out (exclude) list",
        })
    }
}

/// Reads a list of person ids from a Parquet or CSV file (chosen by extension).
///
/// The column is `person_id`, or the file's only column whatever its name.
///
/// - **Parquet**: any integer column type (Int64, Int32, UInt64, ...); no nulls.
/// - **CSV** (UTF-8, an optional byte-order mark, LF or CRLF line ends, blank lines skipped):
///   the first non-blank line is a **header** when its first field starts with a letter or
///   `_`, and then it must name the column (`person_id`, or be the only column); otherwise the
///   file has no header and every non-blank line is one id. Every data line has as many fields
///   as the header (one without a header). A field may be surrounded by spaces and by double
///   quotes.
/// - **Ids** are written in plain decimal digits, `0` to `9223372036854775807`, without a
///   sign, leading zeros, a decimal point or an exponent: anything else (`+5`, `-5`, `5.0`,
///   `1.8e18`, `05`) is an error rather than a guess.
///
/// Order is kept. In a [`IdList::Targets`] list a repeated id is an error naming both rows;
/// in an [`IdList::OptOuts`] list it is kept (and counted once by the consumer).
///
/// # Errors
/// Every error is an [`IoError::IdList`] naming `list` around the cause:
/// [`IoError::Missing`] when the file does not exist, [`IoError::UnsupportedFormat`] for
/// another extension, [`IoError::MissingColumn`] when the header or the Parquet schema does
/// not name the column, [`IoError::WrongType`] for a non-integer Parquet column, and
/// [`IoError::BadValue`] (file, column, 0-based data row, and for CSV the 1-based line) for
/// anything else.
pub fn read_person_ids(path: &Path, list: IdList) -> Result<Vec<i64>, IoError> {
    read_ids(path, list).map_err(|inner| IoError::IdList {
        list,
        inner: Box::new(inner),
    })
}

fn read_ids(path: &Path, list: IdList) -> Result<Vec<i64>, IoError> {
    if !path.is_file() {
        return Err(IoError::Missing {
            path: path.to_owned(),
            what: "file not found (a .parquet or .csv file with a person_id column)".into(),
        });
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let (ids, column, lines) = match ext.as_str() {
        "parquet" | "pq" => {
            let (ids, column) = read_parquet_ids(path)?;
            (ids, column, None)
        }
        "csv" => {
            let (ids, column, lines) = read_csv_ids(path)?;
            (ids, column, Some(lines))
        }
        _ => {
            return Err(IoError::UnsupportedFormat {
                path: path.to_owned(),
            });
        }
    };
    if list == IdList::Targets {
        refuse_repeated_targets(path, &column, &ids, lines.as_deref())?;
    }
    Ok(ids)
}

/// Picks `person_id`, or the only column; `person_id` twice is ambiguous.
fn pick_column(path: &Path, names: &[String]) -> Result<usize, IoError> {
    let named: Vec<usize> = (0..names.len())
        .filter(|&i| names[i] == col::PERSON_ID)
        .collect();
    match (named.as_slice(), names.len()) {
        ([i], _) => Ok(*i),
        ([], 1) => Ok(0),
        ([], _) => Err(IoError::MissingColumn {
            path: path.to_owned(),
            column: col::PERSON_ID.to_owned(),
            found: names.to_vec(),
        }),
        (_, _) => Err(IoError::BadValue {
            path: path.to_owned(),
            column: col::PERSON_ID.to_owned(),
            row: 0,
            reason: format!(
                "{} columns are named person_id; keep one (columns: {})",
                named.len(),
                names.join(", ")
            ),
        }),
    }
}

/// Reads the id column of a Parquet file, and returns its name.
fn read_parquet_ids(path: &Path) -> Result<(Vec<i64>, String), IoError> {
    let source = ParquetSource::open_in_memory(path)?;
    let names = source.column_names();
    let column = names[pick_column(path, &names)?].clone();
    let mut at = ColumnAt {
        path,
        column: &column,
        row0: 0,
    };
    let ty = source.require(&column)?;
    if !is_integer(ty) {
        return Err(at.wrong_type("an integer type (Int64, Int32, UInt64, ...)", ty));
    }
    let mut ids = Vec::with_capacity(usize::try_from(source.num_rows()).unwrap_or(0));
    source.for_each_batch(&[column.as_str()], |batch, row0| {
        at.row0 = row0;
        append_ids(at, at.of(batch)?, &mut ids)
    })?;
    Ok((ids, column))
}

fn is_integer(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// Appends the values of an integer array, refusing nulls, negative values and values beyond
/// `i64::MAX`.
fn append_ids(at: ColumnAt<'_>, array: &ArrayRef, ids: &mut Vec<i64>) -> Result<(), IoError> {
    fn widen<T>(at: ColumnAt<'_>, array: &ArrayRef, ids: &mut Vec<i64>) -> Result<(), IoError>
    where
        T: ArrowPrimitiveType,
        T::Native: TryInto<i64> + fmt::Display + Copy,
    {
        let array = array.as_primitive::<T>();
        for (i, v) in array.iter().enumerate() {
            let v = v.ok_or_else(|| at.bad(i, "null value"))?;
            let id: i64 = v.try_into().map_err(|_| {
                at.bad(
                    i,
                    format!("{v} is out of range: person ids are at most {}", i64::MAX),
                )
            })?;
            if id < 0 {
                return Err(at.bad(i, negative(id)));
            }
            ids.push(id);
        }
        Ok(())
    }
    match array.data_type() {
        DataType::Int8 => widen::<Int8Type>(at, array, ids),
        DataType::Int16 => widen::<Int16Type>(at, array, ids),
        DataType::Int32 => widen::<Int32Type>(at, array, ids),
        DataType::Int64 => widen::<Int64Type>(at, array, ids),
        DataType::UInt8 => widen::<UInt8Type>(at, array, ids),
        DataType::UInt16 => widen::<UInt16Type>(at, array, ids),
        DataType::UInt32 => widen::<UInt32Type>(at, array, ids),
        DataType::UInt64 => widen::<UInt64Type>(at, array, ids),
        other => Err(at.wrong_type("an integer type (Int64, Int32, UInt64, ...)", other)),
    }
}

/// The reason given for a negative id, here and in the dataset loader.
pub(crate) fn negative(id: i64) -> String {
    format!("person id {id} is negative: person ids are non-negative 64-bit integers")
}

/// Splits one CSV line into fields: unquoted fields are trimmed of spaces and tabs; a quoted
/// field (`"..."`, with `""` for a quote) may be surrounded by spaces. A quote anywhere else,
/// or an unterminated one, is an error: the line does not mean one clear thing.
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let blank = |c: char| c == ' ' || c == '\t';
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start_matches(blank);
        if let Some(quoted) = trimmed.strip_prefix('"') {
            let mut field = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    None => return Err("a quote is not closed".into()),
                    Some((i, '"')) => {
                        if quoted[i + 1..].starts_with('"') {
                            field.push('"');
                            chars.next();
                        } else {
                            break &quoted[i + 1..];
                        }
                    }
                    Some((_, c)) => field.push(c),
                }
            };
            fields.push(field);
            let after = after.trim_start_matches(blank);
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => {
                    return Err(format!(
                        "'{}' follows a closing quote",
                        after.escape_debug()
                    ));
                }
            }
        } else {
            let (field, next) = match trimmed.find(',') {
                Some(i) => (&trimmed[..i], Some(&trimmed[i + 1..])),
                None => (trimmed, None),
            };
            if field.contains('"') {
                return Err(format!(
                    "'{}' holds a quote that does not surround the field",
                    field.escape_debug()
                ));
            }
            fields.push(field.trim_end_matches(blank).to_owned());
            match next {
                Some(next) => rest = next,
                None => return Ok(fields),
            }
        }
    }
}

/// Parses one id written as plain decimal digits.
fn parse_id(field: &str) -> Result<i64, String> {
    let field = field.trim_matches(|c| c == ' ' || c == '\t');
    let shown = field.escape_debug();
    if field.is_empty() {
        return Err("empty id (a null?)".into());
    }
    if let Some(digits) = field.strip_prefix('-')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "'{shown}' is negative: person ids are non-negative 64-bit integers"
        ));
    }
    if !field.bytes().all(|b| b.is_ascii_digit()) {
        let hint = if field.starts_with('+') {
            ": write ids without a sign"
        } else if field.contains(['.', 'e', 'E']) && field.starts_with(|c: char| c.is_ascii_digit())
        {
            ": write ids as whole numbers in plain digits (a spreadsheet may have turned \
             them into decimals or scientific notation, which loses digits)"
        } else {
            ""
        };
        return Err(format!("'{shown}' is not a person id{hint}"));
    }
    if field.len() > 1 && field.starts_with('0') {
        return Err(format!(
            "'{shown}' has a leading zero: write ids without padding, so that each id has one \
             spelling"
        ));
    }
    field.parse::<i64>().map_err(|_| {
        format!(
            "'{shown}' is out of range: person ids are at most {}",
            i64::MAX
        )
    })
}

/// Whether the first line of a CSV is a header: its first field starts like a name, not
/// like a number. A line of ids, or of anything number-like that is not a valid id, is data,
/// so that it is read or refused rather than dropped.
fn is_header(fields: &[String]) -> bool {
    fields
        .first()
        .and_then(|f| f.chars().next())
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Reads a CSV id file: the ids, the column name, and the 1-based line of each id.
fn read_csv_ids(path: &Path) -> Result<(Vec<i64>, String, Vec<u64>), IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let bad = |column: &str, row: usize, line: usize, reason: String| IoError::BadValue {
        path: path.to_owned(),
        column: column.to_owned(),
        row: row as u64,
        reason: format!("{reason} (line {line})"),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(bad(
                col::PERSON_ID,
                0,
                line,
                "the file is not UTF-8 text (save it as CSV UTF-8)".into(),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // 1-based line numbers of the non-blank lines; `str::lines` strips a `\r` before `\n`.
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();

    let mut column = col::PERSON_ID.to_owned();
    let mut width = 1;
    let mut index = 0;
    let mut header = None;
    if let Some(&(line, first)) = lines.peek() {
        let fields = split_fields(first).map_err(|r| bad(&column, 0, line, r))?;
        if is_header(&fields) {
            lines.next();
            if let Some(name) = fields
                .iter()
                .find(|f| f.is_empty() || f.contains(char::is_control))
            {
                return Err(bad(
                    &column,
                    0,
                    line,
                    format!(
                        "the header has a column name '{}' that is empty or holds a control \
                         character (a trailing comma? line ends other than LF or CRLF?)",
                        name.escape_debug()
                    ),
                ));
            }
            index = pick_column(path, &fields)?;
            column = fields[index].clone();
            width = fields.len();
            header = Some(line);
        }
    }
    if let Some(line) = header
        && column != col::PERSON_ID
        && lines.peek().is_none()
    {
        // "ID:123" alone: a header of no ids, or an id that is not one? Refuse to guess.
        return Err(bad(
            &column,
            0,
            line,
            format!(
                "the only line, '{}', is neither a person id nor a header naming the                  person_id column",
                column.escape_debug()
            ),
        ));
    }

    let mut ids = Vec::new();
    let mut id_lines = Vec::new();
    for (row, (line, text)) in lines.enumerate() {
        let bad = |reason: String| bad(&column, row, line, reason);
        let fields = split_fields(text).map_err(bad)?;
        if fields.len() != width {
            return Err(bad(match header {
                Some(h) => format!(
                    "{} fields where the header (line {h}) has {width}",
                    fields.len()
                ),
                None => format!(
                    "{} fields in a file without a header line: give one id per line, or a \
                     first line naming the columns with one called person_id",
                    fields.len()
                ),
            }));
        }
        ids.push(parse_id(&fields[index]).map_err(bad)?);
        id_lines.push(line as u64);
    }
    Ok((ids, column, id_lines))
}

/// Refuses the first id of a target list that repeats an earlier one.
fn refuse_repeated_targets(
    path: &Path,
    column: &str,
    ids: &[i64],
    lines: Option<&[u64]>,
) -> Result<(), IoError> {
    let mut first_row = HashMap::with_capacity(ids.len());
    for (row, &id) in ids.iter().enumerate() {
        if let Some(&earlier) = first_row.get(&id) {
            let line = |r: usize| lines.map_or(String::new(), |l| format!(", line {}", l[r]));
            return Err(IoError::BadValue {
                path: path.to_owned(),
                column: column.to_owned(),
                row: row as u64,
                reason: format!(
                    "person id {id} repeats row {earlier}{}: list each target once (its \
                     audience would be notified twice){}",
                    line(earlier),
                    lines.map_or(String::new(), |l| format!(" (line {})", l[row]))
                ),
            });
        }
        first_row.insert(id, row);
    }
    Ok(())
}

/// Maps person ids to dense ids, keeping the input order.
///
/// A person with no friends is still a valid target (ranked to nothing) when the dataset
/// lists them in `persons.parquet`.
///
/// # Errors
/// [`IoError::EmptyTargets`] for an empty list; [`IoError::RepeatedTarget`] for an id listed
/// twice (as [`read_person_ids`] refuses it in a [`IdList::Targets`] file);
/// [`IoError::UnknownTargets`] with the number of distinct unknown ids and the first
/// [`UNKNOWN_TARGETS_LISTED`] of them in input order.
pub fn resolve_targets(graph: &Graph, ids: &[i64]) -> Result<Vec<NodeId>, IoError> {
    if ids.is_empty() {
        return Err(IoError::EmptyTargets);
    }
    let mut seen = HashMap::with_capacity(ids.len());
    let mut unknown = Vec::new();
    let mut out = Vec::with_capacity(ids.len());
    for (index, &id) in ids.iter().enumerate() {
        if let Some(&first) = seen.get(&id) {
            return Err(IoError::RepeatedTarget { id, index, first });
        }
        seen.insert(id, index);
        match graph.dense(id) {
            Some(node) => out.push(node),
            None => unknown.push(id),
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

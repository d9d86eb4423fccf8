//! `ties.parquet` and `persons.parquet`.

use std::path::Path;

use rayon::prelude::*;
use tierank_format::schema::col;
use tierank_graph::{BuildStats, Csr, IdMap, NodeId};

use crate::IoError;
use crate::columns::{
    ColumnAt, ParquetSource, check_float, check_int, copy_i64_into, copy_measures_into, i64_values,
};

/// The rows of `ties.parquet`, in file order.
#[derive(Debug, Default)]
pub(super) struct TieRows {
    pub src: Vec<i64>,
    pub dst: Vec<i64>,
    /// Present when the file has a `weight` column.
    pub weight: Option<Vec<f64>>,
}

/// Reads `ties.parquet`, decoding every (row group, column) pair in parallel straight into
/// its place in the output columns, so that even a file of one row group decodes on several
/// threads and no row is copied twice.
///
/// Of several bad values, the one reported is the first by row group, then by batch of
/// [`BATCH_ROWS`](crate::columns::BATCH_ROWS) rows, then by column (src, dst, weight): what reading the row groups one
/// batch of all columns at a time would meet first.
pub(super) fn read_ties(path: &Path) -> Result<TieRows, IoError> {
    let source = ParquetSource::open(path)?;
    let at = |column| ColumnAt {
        path,
        column,
        row0: 0,
    };
    check_int(at(col::SRC), source.require(col::SRC)?)?;
    check_int(at(col::DST), source.require(col::DST)?)?;
    let has_weight = match source.optional(col::WEIGHT) {
        Some(ty) => {
            check_float(at(col::WEIGHT), ty)?;
            true
        }
        None => false,
    };
    let starts = source.row_group_starts();
    let rows = usize::try_from(source.num_rows())
        .map_err(|_| IoError::parquet(path, "more rows than this machine can address"))?;
    let lens: Vec<usize> = starts
        .windows(2)
        .map(|w| usize::try_from(w[1] - w[0]).unwrap_or(usize::MAX))
        .collect();
    let mut src = vec![0i64; rows];
    let mut dst = vec![0i64; rows];
    let mut weight = vec![0f64; if has_weight { rows } else { 0 }];
    let mut tasks: Vec<(usize, usize, Out<'_>)> = Vec::new();
    for (rg, out) in split_lens(&mut src, &lens).into_iter().enumerate() {
        tasks.push((rg, 0, Out::Int(out)));
    }
    for (rg, out) in split_lens(&mut dst, &lens).into_iter().enumerate() {
        tasks.push((rg, 1, Out::Int(out)));
    }
    if has_weight {
        for (rg, out) in split_lens(&mut weight, &lens).into_iter().enumerate() {
            tasks.push((rg, 2, Out::Float(out)));
        }
    }
    let first_error = tasks
        .into_par_iter()
        .filter_map(|(rg, order, out)| {
            let column = [col::SRC, col::DST, col::WEIGHT][order];
            read_column(&source, column, rg, starts[rg], out)
                .err()
                .map(|(batch, e)| ((rg, batch, order), e))
        })
        .min_by_key(|(key, _)| *key);
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    Ok(TieRows {
        src,
        dst,
        weight: has_weight.then_some(weight),
    })
}

/// Where one column of one row group goes.
enum Out<'a> {
    Int(&'a mut [i64]),
    Float(&'a mut [f64]),
}

/// Splits `slice` into consecutive pieces of the given lengths (the last takes the rest).
fn split_lens<'a, T>(mut slice: &'a mut [T], lens: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(lens.len());
    for (i, &len) in lens.iter().enumerate() {
        let len = if i + 1 == lens.len() {
            slice.len()
        } else {
            len.min(slice.len())
        };
        let (head, tail) = slice.split_at_mut(len);
        out.push(head);
        slice = tail;
    }
    out
}

/// Decodes `column` of row group `rg` (first file row `row0`) into `out`; on failure, the
/// index of the batch that failed and the error.
fn read_column(
    source: &ParquetSource,
    column: &str,
    rg: usize,
    row0: u64,
    mut out: Out<'_>,
) -> Result<(), (usize, IoError)> {
    let path = source.path();
    let reader = source
        .reader(&[column], Some(vec![rg]))
        .map_err(|e| (0, e))?;
    let capacity = match &out {
        Out::Int(o) => o.len(),
        Out::Float(o) => o.len(),
    };
    let mut at = ColumnAt { path, column, row0 };
    let mut filled = 0usize;
    let mut batches = 0usize;
    for batch in reader {
        let fail = |e| (batches, e);
        let batch = batch.map_err(|e| fail(IoError::parquet(path, e)))?;
        let array = at.of(&batch).map_err(fail)?;
        let range = filled..filled + array.len();
        if range.end > capacity {
            return Err(fail(IoError::parquet(
                path,
                format!("row group {rg} holds more rows than its metadata says"),
            )));
        }
        match &mut out {
            Out::Int(o) => copy_i64_into(at, array, &mut o[range.clone()])
                .and_then(|()| refuse_negative(at, &o[range])),
            Out::Float(o) => copy_measures_into(at, array, &mut o[range]),
        }
        .map_err(fail)?;
        filled += array.len();
        at.row0 += array.len() as u64;
        batches += 1;
    }
    if filled != capacity {
        return Err((
            batches,
            IoError::parquet(
                path,
                format!("row group {rg} holds fewer rows than its metadata says"),
            ),
        ));
    }
    Ok(())
}

/// Refuses the first negative person id of a batch. Ids are non-negative 64-bit integers
/// (the contract's ids are random 63-bit ones); a negative one is most often an unsigned id
/// wrapped by a cast, which would silently name another person than the user's system does.
pub(super) fn refuse_negative(at: ColumnAt<'_>, ids: &[i64]) -> Result<(), IoError> {
    match ids.iter().position(|&id| id < 0) {
        Some(i) => Err(at.bad(i, crate::targets::negative(ids[i]))),
        None => Ok(()),
    }
}

/// Reads the `person_id` column of `persons.parquet`: one row per person, so a negative id
/// and a repeated row are refused with their row.
pub(super) fn read_persons(path: &Path) -> Result<Vec<i64>, IoError> {
    let source = ParquetSource::open(path)?;
    let mut at = ColumnAt {
        path,
        column: col::PERSON_ID,
        row0: 0,
    };
    check_int(at, source.require(col::PERSON_ID)?)?;
    let mut ids = Vec::with_capacity(usize::try_from(source.num_rows()).unwrap_or(0));
    source.for_each_batch(&[col::PERSON_ID], |batch, row0| {
        at.row0 = row0;
        let values = i64_values(at, at.of(batch)?)?;
        refuse_negative(at, &values)?;
        ids.extend_from_slice(&values);
        Ok(())
    })?;
    if let Some((row, earlier)) = first_repeat(&ids) {
        let at = ColumnAt {
            path,
            column: col::PERSON_ID,
            row0: 0,
        };
        return Err(at.bad(
            row,
            format!(
                "person id {} repeats row {earlier}: persons.parquet has one row per person",
                ids[row]
            ),
        ));
    }
    Ok(ids)
}

/// The first row (in file order) whose id appeared on an earlier row, with that earlier row.
///
/// Ids in ascending order (as `tierank generate` writes them) are checked in one pass;
/// otherwise row indices are sorted by (id, row), which costs 8 bytes per row for the sort.
fn first_repeat(ids: &[i64]) -> Option<(usize, usize)> {
    if ids.windows(2).all(|w| w[0] <= w[1]) {
        // Sorted: the first equal pair starts its run, so the earlier row is the first one.
        return ids
            .windows(2)
            .position(|w| w[0] == w[1])
            .map(|i| (i + 1, i));
    }
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.par_sort_unstable_by_key(|&i| (ids[i], i));
    let mut best: Option<(usize, usize)> = None;
    for (k, w) in order.windows(2).enumerate() {
        // Only the second row of a run: later ones repeat too, but at a larger row.
        let starts_run = k == 0 || ids[order[k - 1]] != ids[w[0]];
        if ids[w[0]] == ids[w[1]] && starts_run && best.is_none_or(|(row, _)| w[1] < row) {
            best = Some((w[1], w[0]));
        }
    }
    best
}

/// Maps every tie row to dense ids (every endpoint is in `ids` by construction).
///
/// Uses the bucketed [`IdMap::dense_lookup`] (a plain binary search per endpoint over all
/// person ids costs about twenty cache-missing steps), and reuses the previous row's answer
/// for a repeated id, which is every row but one per person in a file sorted by `src`.
pub(super) fn dense_edges(ids: &IdMap, rows: &TieRows) -> Vec<(NodeId, NodeId)> {
    const CHUNK: usize = 1 << 16;
    let dense = ids.dense_lookup();
    let mut edges = vec![(NodeId(0), NodeId(0)); rows.src.len()];
    edges
        .par_chunks_mut(CHUNK)
        .zip(rows.src.par_chunks(CHUNK))
        .zip(rows.dst.par_chunks(CHUNK))
        .for_each(|((out, src), dst)| {
            let mut last_src = None;
            let mut last_dst = None;
            let map = |last: &mut Option<(i64, NodeId)>, p: i64| match *last {
                Some((q, u)) if q == p => u,
                _ => {
                    let u = dense(p).expect("every tie endpoint is mapped");
                    *last = Some((p, u));
                    u
                }
            };
            for ((e, &a), &b) in out.iter_mut().zip(src).zip(dst) {
                *e = (map(&mut last_src, a), map(&mut last_dst, b));
            }
        });
    edges
}

/// In strict mode, refuses self-loops and repeated friendships, naming the first such row.
pub(super) fn refuse_dropped_ties(path: &Path, edges: &[(NodeId, NodeId)]) -> Result<(), IoError> {
    let loops: Vec<usize> = edges
        .iter()
        .enumerate()
        .filter(|(_, (u, v))| u == v)
        .map(|(i, _)| i)
        .collect();
    if let Some(&first) = loops.first() {
        return Err(IoError::Strict {
            path: path.to_owned(),
            what: "self-loop tie(s) (src == dst)".into(),
            count: loops.len() as u64,
            first_row: first as u64,
        });
    }
    let mut keyed: Vec<(NodeId, NodeId, usize)> = edges
        .iter()
        .enumerate()
        .map(|(i, &(u, v))| (u.min(v), u.max(v), i))
        .collect();
    keyed.par_sort_unstable();
    let mut count = 0u64;
    let mut first_row = usize::MAX;
    for w in keyed.windows(2) {
        if (w[0].0, w[0].1) == (w[1].0, w[1].1) {
            // Rows are sorted within a pair, so w[1] repeats an earlier row.
            count += 1;
            first_row = first_row.min(w[1].2);
        }
    }
    if count > 0 {
        return Err(IoError::Strict {
            path: path.to_owned(),
            what: "duplicate tie(s) (the same friendship in either orientation)".into(),
            count,
            first_row: first_row as u64,
        });
    }
    Ok(())
}

/// The friendship CSR of `num_nodes` people from their tie rows (dense ids, in file-row
/// order), with one weight per slot when the rows have weights: a repeated friendship keeps
/// its first row's weight, self-loops are dropped. The single-process load and the
/// partitioned load's graphs ([`super::share`]) build it here, so they agree slot for slot.
///
/// # Errors
/// [`IoError::Graph`] for an endpoint out of range.
pub(super) fn friendship_csr(
    num_nodes: usize,
    edges: &[(NodeId, NodeId)],
    weights: Option<&[f64]>,
) -> Result<(Csr, BuildStats, Option<Vec<f64>>), IoError> {
    Ok(match weights {
        Some(w) => {
            let (csr, stats, w) = Csr::from_edges_with_values(num_nodes, edges, w)?;
            (csr, stats, Some(w))
        }
        None => {
            let (csr, stats) = Csr::from_edges(num_nodes, edges)?;
            (csr, stats, None)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Float64Array, Int64Array};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    /// Writes ties in row groups of `group` rows.
    fn write(path: &Path, src: Vec<Option<i64>>, dst: Vec<Option<i64>>, w: Vec<Option<f64>>) {
        let batch = RecordBatch::try_from_iter([
            ("src", Arc::new(Int64Array::from(src)) as ArrayRef),
            ("dst", Arc::new(Int64Array::from(dst)) as ArrayRef),
            ("weight", Arc::new(Float64Array::from(w)) as ArrayRef),
        ])
        .unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    fn bad_at(path: &Path) -> (String, u64) {
        match read_ties(path).unwrap_err() {
            IoError::BadValue { column, row, .. } => (column, row),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_row_groups_in_order_and_reports_the_first_bad_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ties.parquet");
        let ids = |v: &[i64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        let w = |v: &[f64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        write(
            &path,
            ids(&[1, 2, 3, 4, 5, 6, 7]),
            ids(&[9, 8, 7, 6, 5, 4, 3]),
            w(&[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]),
        );
        assert_eq!(ParquetSource::open(&path).unwrap().num_row_groups(), 3);
        let rows = read_ties(&path).unwrap();
        assert_eq!(rows.src, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(rows.dst, [9, 8, 7, 6, 5, 4, 3]);
        assert_eq!(rows.weight.unwrap(), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]);

        // The earlier row group wins over a later one, whatever the columns.
        let mut src = ids(&[1, 2, 3, 4, 5, 6, 7]);
        src[6] = None;
        let mut weight = w(&[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]);
        weight[4] = Some(-1.0);
        write(&path, src.clone(), ids(&[9, 8, 7, 6, 5, 4, 3]), weight);
        assert_eq!(bad_at(&path), ("weight".into(), 4));

        let mut weight = w(&[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]);
        weight[3] = None;
        write(&path, src, ids(&[9, 8, 7, 6, 5, 4, 3]), weight);
        assert_eq!(bad_at(&path), ("weight".into(), 3));

        // Within one batch, the whole src column is checked before dst, then weight.
        let mut dst = ids(&[9, 8, 7, 6, 5, 4, 3]);
        dst[5] = None;
        let mut src = ids(&[1, 2, 3, 4, 5, 6, 7]);
        src[4] = None;
        write(
            &path,
            src,
            dst,
            w(&[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, f64::NAN]),
        );
        assert_eq!(bad_at(&path), ("src".into(), 4));
    }
}

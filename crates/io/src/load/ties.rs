//! `ties.parquet` and `persons.parquet`.

use std::path::Path;

use rayon::prelude::*;
use tierank_format::schema::col;
use tierank_graph::{Csr, IdMap, NodeId};

use crate::IoError;
use crate::columns::{
    ColumnAt, ParquetSource, check_float, check_int, check_measure, f64_values, i64_values,
};

/// The rows of `ties.parquet`, in file order.
#[derive(Debug, Default)]
pub(super) struct TieRows {
    pub src: Vec<i64>,
    pub dst: Vec<i64>,
    /// Present when the file has a `weight` column.
    pub weight: Option<Vec<f64>>,
}

/// Reads `ties.parquet`, decoding row groups in parallel and concatenating them in order.
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
    let mut columns = vec![col::SRC, col::DST];
    if has_weight {
        columns.push(col::WEIGHT);
    }
    let starts = source.row_group_starts();
    let chunks: Vec<Result<TieRows, IoError>> = (0..source.num_row_groups())
        .into_par_iter()
        .map(|rg| {
            let mut rows = TieRows {
                weight: has_weight.then(Vec::new),
                ..TieRows::default()
            };
            let mut row0 = starts[rg];
            for batch in source.reader(&columns, Some(vec![rg]))? {
                let batch = batch.map_err(|e| IoError::parquet(path, e))?;
                let at = |column| ColumnAt { path, column, row0 };
                rows.src
                    .extend_from_slice(&i64_values(at(col::SRC), at(col::SRC).of(&batch)?)?);
                rows.dst
                    .extend_from_slice(&i64_values(at(col::DST), at(col::DST).of(&batch)?)?);
                if let Some(out) = rows.weight.as_mut() {
                    let w_at = at(col::WEIGHT);
                    for (i, w) in f64_values(w_at, w_at.of(&batch)?)?.into_iter().enumerate() {
                        let w = w.ok_or_else(|| w_at.bad(i, "null value"))?;
                        check_measure(w_at, i, w)?;
                        out.push(w);
                    }
                }
                row0 += batch.num_rows() as u64;
            }
            Ok(rows)
        })
        .collect();
    let mut all = TieRows {
        weight: has_weight.then(Vec::new),
        ..TieRows::default()
    };
    for chunk in chunks {
        let chunk = chunk?;
        all.src.extend_from_slice(&chunk.src);
        all.dst.extend_from_slice(&chunk.dst);
        if let (Some(out), Some(w)) = (all.weight.as_mut(), chunk.weight) {
            out.extend_from_slice(&w);
        }
    }
    Ok(all)
}

/// Reads the `person_id` column of `persons.parquet`.
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
        ids.extend_from_slice(&i64_values(at, at.of(batch)?)?);
        Ok(())
    })?;
    Ok(ids)
}

/// Maps every tie row to dense ids (every endpoint is in `ids` by construction).
pub(super) fn dense_edges(ids: &IdMap, rows: &TieRows) -> Vec<(NodeId, NodeId)> {
    rows.src
        .par_iter()
        .zip(rows.dst.par_iter())
        .map(|(&a, &b)| {
            (
                ids.dense(a).expect("every tie endpoint is mapped"),
                ids.dense(b).expect("every tie endpoint is mapped"),
            )
        })
        .collect()
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

/// One weight per CSR slot, equal in both directions; a repeated friendship keeps the weight
/// of its first row.
pub(super) fn slot_weights(csr: &Csr, edges: &[(NodeId, NodeId)], weights: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; csr.num_directed_edges()];
    for (&(u, v), &w) in edges.iter().zip(weights) {
        if u == v {
            continue;
        }
        let (a, b) = (
            csr.slot(u, v).expect("tie is in the CSR"),
            csr.slot(v, u).expect("tie is in the CSR"),
        );
        if out[a].is_nan() {
            out[a] = w;
            out[b] = w;
        }
    }
    out
}

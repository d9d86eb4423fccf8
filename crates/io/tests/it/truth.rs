//! The ground-truth reader.

use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray, Float64Array, Int8Array, Int64Array};
use arrow::datatypes::Int8Type;
use tierank_format::Relation;
use tierank_io::{IoError, read_truth};

use crate::common::write_columns;

fn write_truth(dir: &std::path::Path, relations: [&str; 2], closeness: [f64; 2]) {
    let relation: DictionaryArray<Int8Type> = relations.into_iter().collect();
    write_columns(
        &dir.join("truth/closeness.parquet"),
        vec![
            ("ego", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            ("alter", Arc::new(Int64Array::from(vec![2, 1]))),
            ("layer", Arc::new(Int8Array::from(vec![1, 6]))),
            ("relation", Arc::new(relation)),
            (
                "closeness",
                Arc::new(Float64Array::from(closeness.to_vec())),
            ),
        ],
    );
}

#[test]
fn absent_truth_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read_truth(dir.path()).unwrap().is_none());
}

#[test]
fn reads_every_column() {
    let dir = tempfile::tempdir().unwrap();
    write_truth(dir.path(), ["partner", "acquaintance"], [0.9, 0.1]);
    let t = read_truth(dir.path()).unwrap().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t.ego, vec![1, 2]);
    assert_eq!(t.alter, vec![2, 1]);
    assert_eq!(t.layer, vec![1, 6]);
    assert_eq!(t.relation, vec![Relation::Partner, Relation::Acquaintance]);
    assert_eq!(t.closeness, vec![0.9, 0.1]);
}

#[test]
fn bad_relation_and_closeness_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    write_truth(dir.path(), ["partner", "lover"], [0.9, 0.1]);
    let err = read_truth(dir.path()).unwrap_err();
    assert!(
        matches!(&err, IoError::BadValue { column, row: 1, .. } if column == "relation"),
        "{err:?}"
    );
    write_truth(dir.path(), ["partner", "family"], [f64::NAN, 0.1]);
    let err = read_truth(dir.path()).unwrap_err();
    assert!(
        matches!(&err, IoError::BadValue { column, row: 0, .. } if column == "closeness"),
        "{err:?}"
    );
}

//! The ground-truth reader.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int8Array, Int32Array, Int64Array,
};
use arrow::datatypes::Int8Type;
use tierank_format::Relation;
use tierank_io::{IoError, read_truth, read_truth_evaders, read_truth_where};

use crate::common::write_columns;

fn write_truth(dir: &std::path::Path, relations: [&str; 2], closeness: [f64; 2]) {
    write_truth_named(dir, "target", relations, closeness);
}

fn write_truth_named(
    dir: &std::path::Path,
    target_column: &str,
    relations: [&str; 2],
    closeness: [f64; 2],
) {
    let relation: DictionaryArray<Int8Type> = relations.into_iter().collect();
    write_columns(
        &dir.join("truth_closeness.parquet"),
        vec![
            (
                target_column,
                Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
            ),
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

/// `compare` holds only its sampled targets' rows: the kept rows are those of the kept
/// targets, in file order, and a bad row of a target nobody asked for is still refused.
#[test]
fn a_filtered_read_keeps_the_asked_targets_and_checks_every_row() {
    let dir = tempfile::tempdir().unwrap();
    write_truth(dir.path(), ["partner", "acquaintance"], [0.9, 0.1]);
    let t = read_truth_where(dir.path(), |target| target == 2)
        .unwrap()
        .unwrap();
    assert_eq!(t.target, vec![2]);
    assert_eq!(t.alter, vec![1]);
    assert_eq!(t.layer, vec![6]);
    assert_eq!(t.relation, vec![Relation::Acquaintance]);
    assert_eq!(t.closeness, vec![0.1]);
    let all = read_truth(dir.path()).unwrap().unwrap();
    assert_eq!(all.len(), 2);

    write_truth(dir.path(), ["partner", "acquaintance"], [0.9, 1.5]);
    let err = read_truth_where(dir.path(), |target| target == 1).unwrap_err();
    assert!(err.to_string().contains("closeness"), "{err}");
}

#[test]
fn absent_truth_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read_truth(dir.path()).unwrap().is_none());
}

/// A truth written before output format 2 calls the target `ego`: the error names the file,
/// the old column and the new name (not just "missing column 'target'").
#[test]
fn the_old_ego_column_is_refused_with_its_new_name() {
    let dir = tempfile::tempdir().unwrap();
    write_truth_named(dir.path(), "ego", ["partner", "acquaintance"], [0.9, 0.1]);
    let err = read_truth(dir.path()).unwrap_err();
    assert!(
        matches!(&err, IoError::RenamedColumn { old, new, .. } if old == "ego" && new == "target"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("closeness.parquet"), "{message}");
    assert!(
        message.contains("'ego'") && message.contains("'target'"),
        "{message}"
    );
    assert!(err.is_bad_input());
}

/// A dataset in the layout of output format 1 (a `truth/` directory with both truth
/// tables) is refused by both truth readers, naming the directory, the new file names and
/// what to do; nothing of it is read.
#[test]
fn the_old_truth_directory_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    write_truth(dir.path(), ["partner", "acquaintance"], [0.9, 0.1]);
    std::fs::create_dir(dir.path().join("truth")).unwrap();
    std::fs::rename(
        dir.path().join("truth_closeness.parquet"),
        dir.path().join("truth/closeness.parquet"),
    )
    .unwrap();
    for err in [
        read_truth(dir.path()).map(drop).unwrap_err(),
        read_truth_evaders(dir.path()).map(drop).unwrap_err(),
    ] {
        assert!(matches!(&err, IoError::OldLayout { .. }), "{err:?}");
        assert!(err.is_bad_input());
        let message = err.to_string();
        for part in [
            "truth",
            "truth_closeness.parquet",
            "truth_persons.parquet",
            "tierank generate",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
    }
}

#[test]
fn reads_every_column() {
    let dir = tempfile::tempdir().unwrap();
    write_truth(dir.path(), ["partner", "acquaintance"], [0.9, 0.1]);
    let t = read_truth(dir.path()).unwrap().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t.target, vec![1, 2]);
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

/// The evader column of the evasion scenario: optional (files without it, and datasets
/// without the file, mark nobody), Boolean, never null.
#[test]
fn evaders_are_read_when_the_column_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth_persons.parquet");
    assert!(
        read_truth_evaders(dir.path()).unwrap().is_empty(),
        "no file"
    );
    let ids = || Arc::new(Int64Array::from(vec![7, 3, 5, 9])) as ArrayRef;
    write_columns(&path, vec![("person_id", ids())]);
    assert!(
        read_truth_evaders(dir.path()).unwrap().is_empty(),
        "no column"
    );
    let flags = BooleanArray::from(vec![true, false, true, false]);
    write_columns(
        &path,
        vec![
            ("person_id", ids()),
            ("evader", Arc::new(flags) as ArrayRef),
        ],
    );
    assert_eq!(read_truth_evaders(dir.path()).unwrap(), vec![5, 7]);

    let with_null = BooleanArray::from(vec![Some(true), None, Some(false), Some(false)]);
    write_columns(
        &path,
        vec![
            ("person_id", ids()),
            ("evader", Arc::new(with_null) as ArrayRef),
        ],
    );
    let err = read_truth_evaders(dir.path()).unwrap_err();
    assert!(
        matches!(&err, IoError::BadValue { column, row: 1, .. } if column == "evader"),
        "{err:?}"
    );
    let numbers = Int32Array::from(vec![1, 0, 0, 0]);
    write_columns(
        &path,
        vec![
            ("person_id", ids()),
            ("evader", Arc::new(numbers) as ArrayRef),
        ],
    );
    let err = read_truth_evaders(dir.path()).unwrap_err();
    assert!(
        matches!(&err, IoError::WrongType { column, .. } if column == "evader"),
        "{err:?}"
    );
}

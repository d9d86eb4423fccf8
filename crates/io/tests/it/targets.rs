//! Target lists from CSV and Parquet, and their resolution against a graph.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray};
use tierank_graph::Graph;
use tierank_io::{IoError, read_person_ids, resolve_targets};

use crate::common::write_columns;

#[test]
fn csv_with_person_id_column_or_single_column() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    std::fs::write(&a, "name,person_id\nx,5\ny,\"-7\"\n\nz,5\r\n").unwrap();
    assert_eq!(read_person_ids(&a).unwrap(), vec![5, -7, 5]);
    let b = dir.path().join("b.CSV");
    std::fs::write(&b, "id\n9223372036854775807\n1\n").unwrap();
    assert_eq!(read_person_ids(&b).unwrap(), vec![i64::MAX, 1]);
}

#[test]
fn csv_bad_values_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    std::fs::write(&p, "person_id\n1\n2.5\n").unwrap();
    let err = read_person_ids(&p).unwrap_err();
    let IoError::BadValue {
        column,
        row,
        reason,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((column.as_str(), *row), ("person_id", 1));
    assert!(
        reason.contains("'2.5'") && reason.contains("line 3"),
        "{reason}"
    );

    std::fs::write(&p, "a,b\n1,2\n").unwrap();
    assert!(matches!(
        read_person_ids(&p).unwrap_err(),
        IoError::MissingColumn { found, .. } if found == ["a", "b"]
    ));
}

#[test]
fn parquet_int64_and_widened_int32() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.parquet");
    write_columns(
        &p,
        vec![
            (
                "other",
                Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
            ),
            ("person_id", Arc::new(Int64Array::from(vec![30, 10]))),
        ],
    );
    assert_eq!(read_person_ids(&p).unwrap(), vec![30, 10]);
    write_columns(
        &p,
        vec![("uid", Arc::new(Int32Array::from(vec![-1, 2])) as ArrayRef)],
    );
    assert_eq!(read_person_ids(&p).unwrap(), vec![-1, 2]);
}

#[test]
fn parquet_nulls_and_strings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.parquet");
    write_columns(
        &p,
        vec![(
            "person_id",
            Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
        )],
    );
    let err = read_person_ids(&p).unwrap_err();
    assert!(matches!(&err, IoError::BadValue { row: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("t.parquet"));
    write_columns(
        &p,
        vec![(
            "person_id",
            Arc::new(StringArray::from(vec!["1"])) as ArrayRef,
        )],
    );
    assert!(matches!(
        read_person_ids(&p).unwrap_err(),
        IoError::WrongType { .. }
    ));
}

#[test]
fn missing_and_unsupported_files() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        read_person_ids(&dir.path().join("none.csv")).unwrap_err(),
        IoError::Missing { .. }
    ));
    let p = dir.path().join("t.json");
    std::fs::write(&p, "[1]").unwrap();
    assert!(matches!(
        read_person_ids(&p).unwrap_err(),
        IoError::UnsupportedFormat { .. }
    ));
}

#[test]
fn resolve_keeps_order_and_drops_repeats() {
    let (g, _) = Graph::from_person_edges(&[(100, 200), (200, 300)], None).unwrap();
    let nodes = resolve_targets(&g, &[300, 100, 300, 200]).unwrap();
    let persons: Vec<i64> = nodes.iter().map(|&n| g.person(n)).collect();
    assert_eq!(persons, vec![300, 100, 200]);
}

#[test]
fn resolve_lists_unknown_and_refuses_empty() {
    let (g, _) = Graph::from_person_edges(&[(1, 2)], None).unwrap();
    let ids = [1, 9, 8, 9, 7, 6, 5, 4, 2];
    let err = resolve_targets(&g, &ids).unwrap_err();
    let IoError::UnknownTargets { count, first } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*count, 6);
    assert_eq!(first, &[9, 8, 7, 6, 5]);
    assert!(err.to_string().contains("9, 8, 7, 6, 5"), "{err}");
    assert!(matches!(
        resolve_targets(&g, &[]),
        Err(IoError::EmptyTargets)
    ));
}

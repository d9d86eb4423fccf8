//! Bad input: each error names the file, the column and the row.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray, Int64Array, StringArray, TimestampMillisecondArray};
use arrow::datatypes::Int8Type;
use tierank_io::{IoError, LoadOptions, load_graph};

use crate::common::*;

fn load_err(dir: &Path) -> IoError {
    load_graph(dir, &LoadOptions::default()).unwrap_err()
}

fn strict() -> LoadOptions {
    LoadOptions {
        strict: true,
        ..LoadOptions::default()
    }
}

/// Writes events with one column replaced.
fn write_events_with(dir: &Path, events: &[Event], column: &str, array: ArrayRef) {
    let batch = events_batch(events);
    let names = ["src", "dst", "channel", "ts", "value"];
    let cols: Vec<(&str, ArrayRef)> = names
        .iter()
        .map(|&n| {
            let c = if n == column {
                array.clone()
            } else {
                batch.column_by_name(n).unwrap().clone()
            };
            (n, c)
        })
        .collect();
    write_columns(&dir.join("events/part-00000.parquet"), cols);
}

#[test]
fn missing_directory_and_ties_say_what_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("nope");
    let err = load_err(&gone);
    assert!(matches!(err, IoError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("ties.parquet"), "{err}");

    let err = load_err(dir.path());
    let IoError::Missing { path, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("ties.parquet"));
    assert!(err.to_string().contains("src, dst"), "{err}");
}

#[test]
fn missing_column_lists_the_columns_found() {
    let dir = tempfile::tempdir().unwrap();
    write_columns(
        &dir.path().join("ties.parquet"),
        vec![
            ("source", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("dst", Arc::new(Int64Array::from(vec![2]))),
        ],
    );
    let err = load_err(dir.path());
    let IoError::MissingColumn { column, found, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(column, "src");
    assert_eq!(found, &["source".to_owned(), "dst".to_owned()]);
    let text = err.to_string();
    assert!(
        text.contains("ties.parquet") && text.contains("source, dst"),
        "{text}"
    );
}

#[test]
fn wrongly_typed_ids_and_timestamps_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_columns(
        &dir.path().join("ties.parquet"),
        vec![
            ("src", Arc::new(StringArray::from(vec!["1"])) as ArrayRef),
            ("dst", Arc::new(Int64Array::from(vec![2]))),
        ],
    );
    let err = load_err(dir.path());
    let IoError::WrongType {
        column,
        expected,
        found,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(column, "src");
    assert!(
        expected.contains("Int64") && found.contains("Utf8"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    let events = [(1, 2, "message", T0, None)];
    write_events_with(
        dir.path(),
        &events,
        "ts",
        Arc::new(StringArray::from(vec!["2024-01-01T00:00:00Z"])),
    );
    let err = load_err(dir.path());
    let IoError::WrongType {
        path,
        column,
        expected,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("events/part-00000.parquet"));
    assert_eq!(column, "ts");
    assert!(expected.contains("Timestamp"));

    // Plain integers are not accepted as times either: their unit would be a guess.
    write_events_with(
        dir.path(),
        &events,
        "ts",
        Arc::new(Int64Array::from(vec![T0])),
    );
    assert!(matches!(load_err(dir.path()), IoError::WrongType { .. }));
}

#[test]
fn null_ids_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    write_columns(
        &dir.path().join("ties.parquet"),
        vec![
            (
                "src",
                Arc::new(Int64Array::from(vec![Some(1), Some(2), None])) as ArrayRef,
            ),
            ("dst", Arc::new(Int64Array::from(vec![2, 3, 4]))),
        ],
    );
    let err = load_err(dir.path());
    let IoError::BadValue {
        column,
        row,
        reason,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((column.as_str(), *row), ("src", 2));
    assert!(reason.contains("null"));
    assert!(
        err.to_string()
            .contains("ties.parquet: column 'src', row 2"),
        "{err}"
    );
}

#[test]
fn bad_weights_name_the_row() {
    for (bad, word) in [
        (f64::NAN, "NaN"),
        (-1.0, "negative"),
        (f64::INFINITY, "inf"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_ties(dir.path(), &[(1, 2), (2, 3)], Some(&[1.0, bad]));
        let err = load_err(dir.path());
        let IoError::BadValue {
            column,
            row,
            reason,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((column.as_str(), *row), ("weight", 1));
        assert!(reason.contains(word), "{reason}");
    }
}

#[test]
fn bad_event_values_name_file_column_and_row() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    // Four rows per row group: the bad value is in the second row group, file row 5.
    let mut events: Vec<Event> = (0..8).map(|i| (1, 2, "call", T0 + i, Some(1.0))).collect();
    events[5].4 = Some(-3.0);
    write_events(dir.path(), &events, 100, 4);
    let err = load_err(dir.path());
    let IoError::BadValue {
        path, column, row, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("part-00000.parquet"));
    assert_eq!((column.as_str(), *row), ("value", 5));

    events[5].4 = Some(f64::NAN);
    write_events(dir.path(), &events, 100, 4);
    assert!(load_err(dir.path()).to_string().contains("NaN"));
}

#[test]
fn unknown_channel_names_the_row_and_the_valid_channels() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    let events = [(1, 2, "message", T0, None), (1, 2, "message", T0 + 1, None)];
    let channel: DictionaryArray<Int8Type> = ["message", "sms"].into_iter().collect();
    write_events_with(dir.path(), &events, "channel", Arc::new(channel));
    let err = load_err(dir.path());
    let IoError::BadValue {
        column,
        row,
        reason,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((column.as_str(), *row), ("channel", 1));
    assert!(
        reason.contains("'sms'") && reason.contains("group_message"),
        "{reason}"
    );

    // Plain (not dictionary-encoded) strings are read too.
    write_events_with(
        dir.path(),
        &events,
        "channel",
        Arc::new(StringArray::from(vec!["message", "call"])),
    );
    let (g, _) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(g.interactions().unwrap().num_channel_records(), 2);
}

#[test]
fn null_timestamp_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    let events = [(1, 2, "message", T0, None), (1, 2, "message", T0, None)];
    write_events_with(
        dir.path(),
        &events,
        "ts",
        Arc::new(TimestampMillisecondArray::from(vec![Some(T0), None]).with_timezone("UTC")),
    );
    let err = load_err(dir.path());
    assert!(
        matches!(&err, IoError::BadValue { column, row: 1, .. } if column == "ts"),
        "{err:?}"
    );
}

#[test]
fn not_parquet_is_a_parquet_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ties.parquet"), b"src,dst\n1,2\n").unwrap();
    let err = load_err(dir.path());
    assert!(matches!(err, IoError::Parquet { .. }), "{err:?}");
    assert!(err.to_string().contains("ties.parquet"));
}

#[test]
fn strict_refuses_self_loops_and_duplicates_with_the_first_row() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2), (3, 3), (2, 3), (4, 4)], None);
    let err = load_graph(dir.path(), &strict()).unwrap_err();
    let IoError::Strict {
        count, first_row, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*count, *first_row), (2, 1));

    write_ties(dir.path(), &[(1, 2), (2, 3), (3, 2), (2, 1), (1, 2)], None);
    let err = load_graph(dir.path(), &strict()).unwrap_err();
    let IoError::Strict {
        count,
        first_row,
        what,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*count, *first_row), (3, 2));
    assert!(what.contains("duplicate"));
    assert!(err.to_string().contains("strict"));
}

#[test]
fn strict_refuses_events_between_non_friends() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2), (2, 3)], None);
    let events: Vec<Event> = vec![
        (1, 2, "message", T0, None),
        (1, 2, "message", T0 + 1, None),
        (1, 3, "message", T0 + 2, None),
        (3, 1, "message", T0 + 3, None),
        (1, 77, "message", T0 + 4, None),
    ];
    write_events(dir.path(), &events, 2, 100);
    let (_, report) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(report.events_between_non_friends, 2);
    assert_eq!(report.events_unknown_person, 1);
    let err = load_graph(dir.path(), &strict()).unwrap_err();
    let IoError::Strict {
        path,
        count,
        first_row,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("part-00001.parquet"), "{}", path.display());
    assert_eq!((*count, *first_row), (2, 0));
}

/// The strict error names the first refused event in file and row order, whether it is a
/// self event (found while decoding) or an event between non-friends (found by the fold,
/// which sees events sorted by tie, not by row).
#[test]
fn strict_names_the_first_refused_event_of_either_kind() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2), (2, 3)], None);
    let first_refused = |events: &[Event]| {
        std::fs::remove_dir_all(dir.path().join("events")).ok();
        write_events(dir.path(), events, 3, 2);
        let err = load_graph(dir.path(), &strict()).unwrap_err();
        let IoError::Strict {
            path,
            count,
            first_row,
            ..
        } = err
        else {
            panic!("{err:?}")
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        (name, count, first_row)
    };
    // A non-friend event (3 -> 1) in part 0, row 2 (second row group); a self event later.
    let events: Vec<Event> = vec![
        (1, 2, "message", T0, None),
        (2, 3, "message", T0 + 1, None),
        (3, 1, "message", T0 + 2, None),
        (2, 2, "message", T0 + 3, None),
    ];
    assert_eq!(first_refused(&events), ("part-00000.parquet".into(), 2, 2));
    // A self event first (part 0, row 1), non-friend events after it, in the same part and
    // in the next one.
    let events: Vec<Event> = vec![
        (1, 2, "message", T0, None),
        (3, 3, "message", T0 + 1, None),
        (1, 3, "message", T0 + 2, None),
        (3, 1, "message", T0 + 3, None),
    ];
    assert_eq!(first_refused(&events), ("part-00000.parquet".into(), 3, 1));
    // Only non-friend events, the first in the second part.
    let events: Vec<Event> = vec![
        (1, 2, "message", T0, None),
        (2, 1, "message", T0 + 1, None),
        (2, 3, "message", T0 + 2, None),
        (1, 2, "call", T0 + 3, None),
        (1, 3, "message", T0 + 4, None),
    ];
    assert_eq!(first_refused(&events), ("part-00001.parquet".into(), 1, 1));
}

#[test]
fn rejects_non_positive_half_life() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    let opts = LoadOptions {
        half_life_ms: 0,
        ..LoadOptions::default()
    };
    assert!(matches!(
        load_graph(dir.path(), &opts),
        Err(IoError::InvalidOptions { .. })
    ));
}

#[test]
fn float_value_column_of_other_types_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    let events = [(1, 2, "call", T0, None)];
    write_events_with(
        dir.path(),
        &events,
        "value",
        Arc::new(Int64Array::from(vec![42])),
    );
    let (g, _) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    let inter = g.interactions().unwrap();
    let tie = inter.tie(g.dense(1).unwrap(), g.dense(2).unwrap()).unwrap();
    assert_eq!({ tie.channels[0].value_sum }, 42.0);
}

/// The file, column, row and reason of a [`IoError::BadValue`].
fn bad_value(err: &IoError) -> (String, String, u64, String) {
    let IoError::BadValue {
        path,
        column,
        row,
        reason,
    } = err
    else {
        panic!("{err:?}")
    };
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    (file, column.clone(), *row, reason.clone())
}

/// Issue 9, item 10: person ids are non-negative 64-bit integers; a negative one (often an
/// unsigned id wrapped by a cast) was loaded silently.
#[test]
fn negative_person_ids_name_file_column_and_row() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2), (2, 3), (3, -4)], None);
    let (file, column, row, reason) = bad_value(&load_err(dir.path()));
    assert_eq!(
        (file.as_str(), column.as_str(), row),
        ("ties.parquet", "dst", 2)
    );
    assert!(
        reason.contains("-4") && reason.contains("negative"),
        "{reason}"
    );

    write_ties(dir.path(), &[(-1, 2), (2, 3)], None);
    let (_, column, row, _) = bad_value(&load_err(dir.path()));
    assert_eq!((column.as_str(), row), ("src", 0));

    write_ties(dir.path(), &[(1, 2), (2, 3)], None);
    write_persons(dir.path(), &[1, 2, 3, 0, i64::MIN]);
    let (file, column, row, reason) = bad_value(&load_err(dir.path()));
    assert_eq!(
        (file.as_str(), column.as_str(), row),
        ("persons.parquet", "person_id", 4)
    );
    assert!(reason.contains("negative"), "{reason}");
    // Zero is a valid id.
    write_persons(dir.path(), &[1, 2, 3, 0]);
    let (graph, _) = load_graph(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(graph.num_nodes(), 4);
}

/// Issue 9, item 10: `persons.parquet` has one row per person; a repeated row (a join that
/// fanned out, two exports appended) was merged silently.
#[test]
fn a_repeated_person_row_names_both_rows() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    // Unsorted, so the check cannot rely on sorted input; the later row is the repeat.
    write_persons(dir.path(), &[7, 2, 9, 1, 9, 2]);
    let (file, column, row, reason) = bad_value(&load_err(dir.path()));
    assert_eq!(
        (file.as_str(), column.as_str(), row),
        ("persons.parquet", "person_id", 4)
    );
    assert!(reason.contains("repeats row 2"), "{reason}");
    // Sorted input takes the fast path and names the same kind of row.
    write_persons(dir.path(), &[1, 2, 3, 3]);
    let (_, _, row, reason) = bad_value(&load_err(dir.path()));
    assert_eq!(row, 3);
    assert!(reason.contains("repeats row 2"), "{reason}");
}

/// Found by the fuzz harness (`tierank-fuzz --reader events`): a pandas NaT stored as
/// `i64::MIN` beside a real time overflowed `end_ms - start_ms` (a panic with overflow
/// checks, a 13 GB allocation attempt without). It must be a bad value naming the column.
#[test]
fn nat_timestamp_beside_a_real_one_is_a_bad_value_not_an_overflow() {
    let dir = tempfile::tempdir().unwrap();
    write_ties(dir.path(), &[(1, 2)], None);
    let events = [(1, 2, "message", T0, None), (1, 2, "message", T0, None)];
    write_events_with(
        dir.path(),
        &events,
        "ts",
        Arc::new(
            TimestampMillisecondArray::from(vec![Some(i64::MIN), Some(T0)]).with_timezone("UTC"),
        ),
    );
    let err = load_err(dir.path());
    assert!(
        matches!(&err, IoError::BadValue { column, .. } if column == "ts"),
        "{err:?}"
    );
}

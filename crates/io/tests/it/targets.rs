//! Target and opt-out lists from CSV and Parquet, and their resolution against a graph.
//!
//! Opt-out lists must never fail open: every supported shape yields exactly its ids, and
//! every ambiguous one is an error naming the file and the line, never a silent drop.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int8Array, Int32Array, Int64Array, StringArray, UInt64Array,
};
use proptest::prelude::*;
use tierank_graph::Graph;
use tierank_io::{IdList, IoError, read_person_ids, resolve_targets};

use crate::common::write_columns;

/// Reads `text` written to a CSV file as an opt-out list.
fn csv(text: impl AsRef<[u8]>) -> Result<Vec<i64>, IoError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ids.csv");
    std::fs::write(&p, text).unwrap();
    read_person_ids(&p, IdList::OptOuts)
}

/// The message of an error reading `text`, which must be bad input naming the file.
fn csv_err(text: impl AsRef<[u8]>) -> String {
    let err = csv(text).unwrap_err();
    assert!(err.is_bad_input(), "{err:?}");
    assert!(
        matches!(
            err,
            IoError::IdList {
                list: IdList::OptOuts,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.starts_with("opt-out (exclude) list: "), "{message}");
    assert!(message.contains("ids.csv"), "{message}");
    message
}

#[test]
fn csv_with_person_id_column_or_single_column() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    std::fs::write(&a, "name,person_id\nx,5\ny,\"7\"\n\nz,5\r\n").unwrap();
    assert_eq!(read_person_ids(&a, IdList::OptOuts).unwrap(), vec![5, 7, 5]);
    let b = dir.path().join("b.CSV");
    std::fs::write(&b, "id\n9223372036854775807\n1\n").unwrap();
    assert_eq!(
        read_person_ids(&b, IdList::Targets).unwrap(),
        vec![i64::MAX, 1]
    );
}

/// Issue 9, item 1: a CSV of bare ids lost its first id to the header.
#[test]
fn header_less_csv_keeps_its_first_id() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ex.csv");
    std::fs::write(&p, "1800913953566622847\n").unwrap();
    for list in [IdList::Targets, IdList::OptOuts] {
        assert_eq!(
            read_person_ids(&p, list).unwrap(),
            vec![1800913953566622847]
        );
    }
    std::fs::write(&p, "3\n1\n2\n").unwrap();
    assert_eq!(read_person_ids(&p, IdList::Targets).unwrap(), vec![3, 1, 2]);
}

/// The header rule: a first line that starts like a name is a header and must name the
/// column; anything else is data. Every supported shape of the same ids reads the same.
#[test]
fn csv_shapes_that_are_read() {
    let cases: &[(&str, &[i64])] = &[
        ("5\n6\n", &[5, 6]),
        ("person_id\n5\n6\n", &[5, 6]),
        ("id\n5\n6", &[5, 6]),
        ("\u{feff}person_id\r\n5\r\n6\r\n", &[5, 6]),
        ("\u{feff}5\r\n6\r\n", &[5, 6]),
        ("\"5\"\n \"6\" \n", &[5, 6]),
        ("\"person_id\"\n\"5\"\n", &[5]),
        ("  5  \n\t6\n\n   \n7\n", &[5, 6, 7]),
        ("name,person_id\n\"a, b\",5\n\"c \"\"d\"\"\",6\n", &[5, 6]),
        ("person_id,name\n0,x\n", &[0]),
        ("_id\n5\n", &[5]),
        // Empty lists: zero ids, which the CLI reports.
        ("", &[]),
        ("\n  \n\r\n", &[]),
        ("\u{feff}", &[]),
        ("person_id\n", &[]),
        ("person_id,name\n", &[]),
    ];
    for (text, ids) in cases {
        assert_eq!(csv(text).unwrap(), *ids, "{text:?}");
    }
}

/// Every ambiguous shape is an error naming the file and the line, never a guess.
#[test]
fn csv_shapes_that_are_refused() {
    let cases: &[(&str, &str)] = &[
        (
            "a,b\n1,2\n",
            "missing column 'person_id' (columns found: a, b)",
        ),
        (
            "person_id,person_id\n1,1\n",
            "2 columns are named person_id",
        ),
        ("5,\n", "2 fields in a file without a header line"),
        ("5,6\n", "2 fields in a file without a header line"),
        (
            "person_id\n5\n6,\n",
            "2 fields where the header (line 1) has 1 (line 3)",
        ),
        (
            "person_id,name\n5\n",
            "1 fields where the header (line 1) has 2 (line 2)",
        ),
        ("person_id,\n5,\n", "column name '' that is empty"),
        (
            "+5\n",
            "'+5' is not a person id: write ids without a sign (line 1)",
        ),
        (
            "5\n-6\n",
            "'-6' is negative: person ids are non-negative 64-bit integers (line 2)",
        ),
        ("1.800913953566622847e18\n", "plain digits"),
        ("1.80091E+18\n", "plain digits"),
        ("5.0\n", "plain digits"),
        ("05\n", "leading zero"),
        ("9223372036854775808\n", "out of range"),
        ("0x1F\n", "'0x1F' is not a person id"),
        ("5;6\n", "'5;6' is not a person id"),
        ("5 6\n", "'5 6' is not a person id"),
        ("5\t6\n", "'5\\t6' is not a person id"),
        ("5\r6\r7\r", "'5\\r6\\r7\\r' is not a person id"),
        ("person_id\r5\r6\r", "holds a control character"),
        ("ID:123\n", "neither a person id nor a header"),
        ("id\n", "neither a person id nor a header"),
        ("5\n\"6\n", "a quote is not closed (line 2)"),
        (
            "5\n6\"\n",
            "holds a quote that does not surround the field (line 2)",
        ),
        ("\"5\"x\n", "'x' follows a closing quote"),
        ("person_id\n\"\"\n", "empty id"),
        (
            "person_id\n5\nperson_id\n6\n",
            "'person_id' is not a person id (line 3)",
        ),
        ("5\n\u{feff}6\n", "is not a person id (line 2)"),
        ("5\n\u{a0}6\n", "is not a person id (line 2)"),
    ];
    for (text, expected) in cases {
        let message = csv_err(text);
        assert!(message.contains(expected), "{text:?}: {message}");
    }
    let message = csv_err([b'5', b'\n', 0xff, b'\n']);
    assert!(
        message.contains("not UTF-8 text") && message.ends_with("(line 2)"),
        "{message}"
    );
    // Excel's "Unicode text" is UTF-16.
    let utf16: Vec<u8> = [0xfeffu16, u16::from(b'5'), u16::from(b'\n')]
        .iter()
        .flat_map(|c| c.to_le_bytes())
        .collect();
    assert!(csv_err(utf16).contains("not UTF-8"));
}

#[test]
fn csv_bad_values_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    std::fs::write(&p, "person_id\n1\n2.5\n").unwrap();
    let err = read_person_ids(&p, IdList::Targets).unwrap_err();
    let IoError::BadValue {
        column,
        row,
        reason,
        ..
    } = err.cause()
    else {
        panic!("{err:?}")
    };
    assert_eq!((column.as_str(), *row), ("person_id", 1));
    assert!(
        reason.contains("'2.5'") && reason.contains("line 3"),
        "{reason}"
    );
    assert!(err.to_string().starts_with("target list: "), "{err}");

    std::fs::write(&p, "a,b\n1,2\n").unwrap();
    assert!(matches!(
        read_person_ids(&p, IdList::Targets).unwrap_err().cause(),
        IoError::MissingColumn { found, .. } if *found == ["a", "b"]
    ));
}

/// Issue 9, item 10: a target listed twice is an error naming both rows (its audience
/// would be notified twice); in an opt-out list a repeat is harmless and kept.
#[test]
fn a_repeated_target_names_both_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    std::fs::write(&p, "person_id\n5\n6\n\n5\n").unwrap();
    let err = read_person_ids(&p, IdList::Targets).unwrap_err();
    let IoError::BadValue { row, reason, .. } = err.cause() else {
        panic!("{err:?}")
    };
    assert_eq!(*row, 2);
    assert!(
        reason.contains("repeats row 0, line 2") && reason.contains("(line 5)"),
        "{reason}"
    );
    assert_eq!(read_person_ids(&p, IdList::OptOuts).unwrap(), vec![5, 6, 5]);

    let q = dir.path().join("t.parquet");
    write_columns(
        &q,
        vec![(
            "person_id",
            Arc::new(Int64Array::from(vec![1, 2, 1])) as ArrayRef,
        )],
    );
    let err = read_person_ids(&q, IdList::Targets).unwrap_err();
    assert!(
        matches!(err.cause(), IoError::BadValue { row: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("repeats row 0:"), "{err}");
}

/// Reads a one-column Parquet file as an opt-out list.
fn parquet(dir: &Path, columns: Vec<(&str, ArrayRef)>) -> Result<Vec<i64>, IoError> {
    let p = dir.join("t.parquet");
    write_columns(&p, columns);
    read_person_ids(&p, IdList::OptOuts)
}

#[test]
fn parquet_integer_columns_are_widened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let other = || Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef;
    let ids = vec![
        ("other", other()),
        (
            "person_id",
            Arc::new(Int64Array::from(vec![30, 10])) as ArrayRef,
        ),
    ];
    assert_eq!(parquet(d, ids).unwrap(), vec![30, 10]);
    let ids = vec![("uid", Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef)];
    assert_eq!(parquet(d, ids).unwrap(), vec![1, 2]);
    let ids = vec![("uid", Arc::new(Int8Array::from(vec![0, 127])) as ArrayRef)];
    assert_eq!(parquet(d, ids).unwrap(), vec![0, 127]);
    let max = i64::MAX as u64;
    let ids = vec![("uid", Arc::new(UInt64Array::from(vec![max, 3])) as ArrayRef)];
    assert_eq!(parquet(d, ids).unwrap(), vec![i64::MAX, 3]);
    let ids = vec![(
        "person_id",
        Arc::new(Int64Array::from(Vec::<i64>::new())) as ArrayRef,
    )];
    assert_eq!(parquet(d, ids).unwrap(), Vec::<i64>::new());
}

#[test]
fn parquet_ambiguous_columns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = |columns: Vec<(&str, ArrayRef)>, row: u64, expected: &str| {
        let err = parquet(d, columns).unwrap_err();
        assert!(err.is_bad_input(), "{err:?}");
        assert!(
            matches!(err.cause(), IoError::BadValue { row: r, .. } if *r == row),
            "{err:?}"
        );
        assert!(err.to_string().contains(expected), "{err}");
    };
    bad(
        vec![(
            "person_id",
            Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
        )],
        1,
        "null value",
    );
    bad(
        vec![(
            "person_id",
            Arc::new(Int64Array::from(vec![1, 2, -3])) as ArrayRef,
        )],
        2,
        "person id -3 is negative",
    );
    bad(
        vec![(
            "uid",
            Arc::new(UInt64Array::from(vec![1, i64::MAX as u64 + 1])) as ArrayRef,
        )],
        1,
        "9223372036854775808 is out of range",
    );
    let err = parquet(
        d,
        vec![
            ("a", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("b", Arc::new(Int64Array::from(vec![2]))),
        ],
    )
    .unwrap_err();
    assert!(
        matches!(err.cause(), IoError::MissingColumn { .. }),
        "{err:?}"
    );
    for array in [
        Arc::new(StringArray::from(vec!["1"])) as ArrayRef,
        Arc::new(Float64Array::from(vec![1.0])),
    ] {
        let err = parquet(d, vec![("person_id", array)]).unwrap_err();
        assert!(matches!(err.cause(), IoError::WrongType { .. }), "{err:?}");
    }
}

/// Issue 9, item 9: the message names the kind of list the file was given as.
#[test]
fn missing_and_unsupported_files_name_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let none = dir.path().join("none.csv");
    let err = read_person_ids(&none, IdList::OptOuts).unwrap_err();
    assert!(matches!(err.cause(), IoError::Missing { .. }));
    assert!(
        err.to_string().starts_with("opt-out (exclude) list: "),
        "{err}"
    );
    assert!(!err.to_string().contains("target"), "{err}");
    let err = read_person_ids(&none, IdList::Targets).unwrap_err();
    assert!(err.to_string().starts_with("target list: "), "{err}");
    let p = dir.path().join("t.json");
    std::fs::write(&p, "[1]").unwrap();
    assert!(matches!(
        read_person_ids(&p, IdList::Targets).unwrap_err().cause(),
        IoError::UnsupportedFormat { .. }
    ));
}

#[test]
fn resolve_keeps_order_and_refuses_repeats() {
    let (g, _) = Graph::from_person_edges(&[(100, 200), (200, 300)], None).unwrap();
    let nodes = resolve_targets(&g, &[300, 100, 200]).unwrap();
    let persons: Vec<i64> = nodes.iter().map(|&n| g.person(n)).collect();
    assert_eq!(persons, vec![300, 100, 200]);
    let err = resolve_targets(&g, &[300, 100, 300, 200]).unwrap_err();
    assert!(
        matches!(
            err,
            IoError::RepeatedTarget {
                id: 300,
                index: 2,
                first: 0
            }
        ),
        "{err:?}"
    );
}

#[test]
fn resolve_lists_unknown_and_refuses_empty() {
    let (g, _) = Graph::from_person_edges(&[(1, 2)], None).unwrap();
    let ids = [1, 9, 8, 7, 6, 5, 4, 2];
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

/// One way of writing a list of ids to a CSV file.
#[derive(Debug, Clone)]
struct Shape {
    /// None: no header; Some(0): `person_id` alone; Some(1): `id` alone; Some(2): `name,person_id`.
    header: Option<u8>,
    crlf: bool,
    bom: bool,
    quoted: bool,
    padded: bool,
    /// A blank line after the id at each of these indices.
    blank_after: Vec<usize>,
    final_newline: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop::option::of(0u8..3),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(0usize..20, 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(header, crlf, bom, quoted, padded, blank_after, final_newline)| Shape {
                header,
                crlf,
                bom,
                quoted,
                padded,
                blank_after,
                final_newline,
            },
        )
}

fn render(ids: &[i64], s: &Shape) -> String {
    let end = if s.crlf { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = Vec::new();
    match s.header {
        None => {}
        Some(0) => lines.push("person_id".into()),
        Some(1) => lines.push("id".into()),
        Some(_) => lines.push("name,person_id".into()),
    }
    for (i, id) in ids.iter().enumerate() {
        let mut field = if s.quoted {
            format!("\"{id}\"")
        } else {
            id.to_string()
        };
        if s.padded {
            field = format!(" {field}\t");
        }
        if s.header == Some(2) {
            field = format!("\"p, {i}\",{field}");
        }
        lines.push(field);
        if s.blank_after.contains(&i) {
            lines.push(String::new());
        }
    }
    let mut text = String::from(if s.bom { "\u{feff}" } else { "" });
    text.push_str(&lines.join(end));
    if s.final_newline && !lines.is_empty() {
        text.push_str(end);
    }
    text
}

/// Characters that change how a line reads.
const EDITS: &[char] = &[
    '\n', '\r', ',', '"', ' ', '\t', '+', '-', '.', 'e', '0', '7', 'a', '_', ';', '\u{feff}',
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any list of ids written in any supported shape reads back exactly: never fewer ids.
    /// The one shape refused is a lone header that does not name person_id (`id` and no
    /// ids), which cannot be told from a single line that is not an id.
    #[test]
    fn every_supported_shape_reads_back_exactly(
        ids in prop::collection::vec(0..=i64::MAX, 0..20),
        s in shape(),
    ) {
        let text = render(&ids, &s);
        let got = csv(&text);
        if s.header == Some(1) && ids.is_empty() {
            prop_assert!(got.is_err(), "{text:?}: {got:?}");
        } else {
            prop_assert_eq!(got.unwrap(), ids, "{:?}", text);
        }
    }

    /// Parquet lists read back exactly in every integer type that holds the ids.
    #[test]
    fn parquet_lists_read_back_exactly(ids in prop::collection::vec(0..=i64::MAX, 0..20)) {
        let dir = tempfile::tempdir().unwrap();
        let unsigned: Vec<u64> = ids.iter().map(|&i| i as u64).collect();
        let small: Vec<i32> = ids.iter().map(|&i| (i % 1_000_000) as i32).collect();
        let got = parquet(dir.path(), vec![("person_id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef)]);
        prop_assert_eq!(got.unwrap(), ids.clone());
        let got = parquet(dir.path(), vec![("uid", Arc::new(UInt64Array::from(unsigned)) as ArrayRef)]);
        prop_assert_eq!(got.unwrap(), ids);
        let got = parquet(dir.path(), vec![("uid", Arc::new(Int32Array::from(small.clone())) as ArrayRef)]);
        prop_assert_eq!(got.unwrap(), small.iter().map(|&v| i64::from(v)).collect::<Vec<_>>());
    }

    /// Damage to a valid file (one character inserted, replaced or deleted) is read exactly
    /// or refused, or changes the ids in a way the text shows; it never drops a data line:
    /// every non-blank line but a header yields one id.
    #[test]
    fn damaged_files_never_lose_a_line_silently(
        ids in prop::collection::vec(0..=i64::MAX, 1..8),
        s in shape(),
        at in any::<prop::sample::Index>(),
        edit in 0u8..3,
        c in prop::sample::select(EDITS),
    ) {
        let mut chars: Vec<char> = render(&ids, &s).chars().collect();
        let i = at.index(chars.len() + 1);
        match edit {
            0 => chars.insert(i, c),
            1 if i < chars.len() => chars[i] = c,
            _ if i < chars.len() => { chars.remove(i); }
            _ => chars.push(c),
        }
        let text: String = chars.into_iter().collect();
        if let Ok(got) = csv(&text) {
            let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let data_lines = body.lines().filter(|l| !l.trim().is_empty()).count();
            // At most one line, the header, yields no id.
            prop_assert!(
                got.len() == data_lines || got.len() + 1 == data_lines,
                "{:?} gave {} ids from {} lines", text, got.len(), data_lines
            );
            // Without a letter or `_` there can be no header: one id per line.
            if !body.contains(|c: char| c.is_alphabetic() || c == '_') {
                prop_assert_eq!(got.len(), data_lines, "{:?}", text);
            }
        }
    }
}

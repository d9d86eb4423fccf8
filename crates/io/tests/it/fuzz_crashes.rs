//! Corrupt Parquet files on which the parquet 60.1 decoder panics, found by `tierank-fuzz`
//! (one per panic site: footer, page and level decoders, byte-stream-split, bitmaps, integer
//! overflow). Each must be refused as a Parquet error naming the file, never a panic.

use std::path::{Path, PathBuf};

use tierank_io::{IdList, IoError, LoadOptions, load_graph, read_person_ids, read_truth};

use crate::common::*;

fn crashes() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fuzz-crashes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn assert_parquet_error(file: &Path, result: Result<(), IoError>, name: &str) {
    // An id list's errors come wrapped in the kind of list: look at the cause.
    match result.as_ref().map_err(IoError::cause) {
        Err(IoError::Parquet { path, message }) => {
            assert!(
                path.ends_with(name),
                "{}: {}",
                file.display(),
                path.display()
            );
            assert!(!message.is_empty());
        }
        other => panic!("{}: {other:?}", file.display()),
    }
}

#[test]
fn decoder_panics_on_corrupt_files_are_parquet_errors() {
    // Nine decoder panics, and one page header that kept the file-backed reader busy for
    // minutes (`ParquetSource::open_in_memory`): on the old code this test ran for minutes.
    let files = crashes();
    assert_eq!(files.len(), 10);
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        if name.starts_with("persons-") {
            write_ties(dir.path(), &[(1, 2), (2, 3)], None);
            std::fs::copy(&file, dir.path().join("persons.parquet")).unwrap();
            let result = load_graph(dir.path(), &LoadOptions::default()).map(drop);
            assert_parquet_error(&file, result, "persons.parquet");
        } else if name.starts_with("truth-") {
            let path = dir.path().join("truth_closeness.parquet");
            std::fs::copy(&file, &path).unwrap();
            assert_parquet_error(
                &file,
                read_truth(dir.path()).map(drop),
                "truth_closeness.parquet",
            );
        } else {
            let path = dir.path().join("ids.parquet");
            std::fs::copy(&file, &path).unwrap();
            assert_parquet_error(
                &file,
                read_person_ids(&path, IdList::OptOuts).map(drop),
                "ids.parquet",
            );
        }
    }
}

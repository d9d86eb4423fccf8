//! The rankings writer: schema, values, atomicity.

use std::fs::File;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int8Type, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tierank_io::{IoError, RankingRows, RankingsWriter};

fn names() -> Vec<String> {
    vec!["common_neighbors".to_owned(), "recency".to_owned()]
}

#[test]
fn round_trip_keeps_types_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/rankings.parquet");
    let mut w = RankingsWriter::create(&path, &names()).unwrap();
    let mut rows = RankingRows::default();
    rows.push(7, 0, 1, 30, 2.5);
    rows.push(7, 0, 2, 10, 2.5);
    w.write(&rows).unwrap();
    rows.clear();
    rows.push(7, 1, 1, 10, 0.125);
    w.write(&rows).unwrap();
    w.write(&RankingRows::default()).unwrap();
    assert!(!path.exists(), "nothing at the target before finish");
    assert_eq!(w.finish().unwrap(), 3);

    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(batch.num_rows(), 3);
    let schema = batch.schema();
    assert_eq!(
        schema.field_with_name("target").unwrap().data_type(),
        &DataType::Int64
    );
    assert_eq!(
        schema.field_with_name("heuristic").unwrap().data_type(),
        &DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8))
    );
    assert_eq!(
        schema.field_with_name("rank").unwrap().data_type(),
        &DataType::Int32
    );
    assert_eq!(
        schema.field_with_name("score").unwrap().data_type(),
        &DataType::Float64
    );

    let col = |n: &str| batch.column_by_name(n).unwrap().clone();
    assert_eq!(
        col("target").as_primitive::<Int64Type>().values(),
        &[7, 7, 7]
    );
    assert_eq!(col("rank").as_primitive::<Int32Type>().values(), &[1, 2, 1]);
    assert_eq!(
        col("alter").as_primitive::<Int64Type>().values(),
        &[30, 10, 10]
    );
    assert_eq!(
        col("score").as_primitive::<Float64Type>().values(),
        &[2.5, 2.5, 0.125]
    );
    let heuristic = col("heuristic");
    let dict = heuristic.as_dictionary::<Int8Type>();
    let values = dict.values().as_string::<i32>();
    let names: Vec<&str> = dict
        .keys()
        .iter()
        .map(|k| values.value(k.unwrap() as usize))
        .collect();
    assert_eq!(names, ["common_neighbors", "common_neighbors", "recency"]);
    assert_eq!(dict.null_count(), 0);
    // No temporary is left beside the output.
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
}

#[test]
fn unfinished_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rankings.parquet");
    {
        let mut w = RankingsWriter::create(&path, &names()).unwrap();
        let mut rows = RankingRows::default();
        rows.push(1, 0, 1, 2, 1.0);
        w.write(&rows).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the temporary"
        );
    }
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn inconsistent_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rankings.parquet");
    let mut w = RankingsWriter::create(&path, &names()).unwrap();
    let mut rows = RankingRows::default();
    rows.push(1, 2, 1, 2, 1.0);
    assert!(matches!(w.write(&rows), Err(IoError::InvalidRows { .. })));
    rows.clear();
    rows.push(1, 0, 1, 2, 1.0);
    rows.score.push(3.0);
    assert!(matches!(w.write(&rows), Err(IoError::InvalidRows { .. })));
    let many: Vec<String> = (0..200).map(|i| format!("h{i}")).collect();
    assert!(RankingsWriter::create(&path, &many).is_err());
}

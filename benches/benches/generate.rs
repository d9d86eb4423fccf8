//! Generation throughput, and the same rows written by the `parquet` crate alone.
//!
//! `generate/<preset>/generator` times `tierank_datagen::generate` end to end (network,
//! every table, events, manifest with checksums) into a fresh directory. Throughput is
//! events/s and bytes/s of the dataset written; persons and ties per iteration are printed
//! once so persons/s and ties/s follow from the same time.
//!
//! `generate/<preset>/parquet_alone` writes exactly the rows of the cached dataset, read back
//! into record batches before timing, with the shared writer properties, one file per table
//! and the files in parallel as the generator writes its event parts. The ratio of the two
//! times is the generator's overhead over the bare cost of the output format.
//!
//! `TIERANK_BENCH_PRESET` picks the preset (default `small`).

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;
use tierank_benches::{
    TableBatches, bench_config, ensure_dataset, manifest, preset_from_env, read_tables, target_dir,
};
use tierank_datagen::ExistingDir;

/// Rows per batch read back: the generator hands its writer batches of this size.
const BATCH_ROWS: usize = 1 << 20;

fn write_tables(root: &Path, tables: &[TableBatches]) -> u64 {
    tables
        .par_iter()
        .map(|table| {
            let path = root.join(&table.relative);
            let file = File::create(&path).expect("create output file");
            let schema = table.batches[0].schema();
            let mut writer =
                ArrowWriter::try_new(file, schema, Some(tierank_format::writer::properties()))
                    .expect("open writer");
            for batch in &table.batches {
                writer.write(batch).expect("write batch");
            }
            writer.close().expect("close writer");
            table.rows
        })
        .sum()
}

fn generate(c: &mut Criterion) {
    let preset = preset_from_env().expect("TIERANK_BENCH_PRESET");
    let dir = ensure_dataset(preset).expect("cached dataset");
    let manifest = manifest(&dir).expect("manifest");
    let count = |table: &str| manifest.row_counts.get(table).copied().unwrap_or(0);
    let events = count("events");
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    let rows: u64 = manifest.files.iter().map(|f| f.rows).sum();
    eprintln!(
        "generate/{preset}: per iteration {} persons, {} ties, {events} events, {rows} rows in \
         {} files, {bytes} bytes, rayon threads {}",
        count("persons"),
        count("ties"),
        manifest.files.len(),
        rayon::current_num_threads()
    );

    let config = bench_config(preset);
    let scratch_parent = target_dir().join("bench-data");
    let scratch = tempfile::Builder::new()
        .prefix("generate-scratch-")
        .tempdir_in(&scratch_parent)
        .expect("scratch directory");
    let out = scratch.path().join("generated");

    // Read back outside the timed loop; empty tables (no batches) have nothing to write.
    let tables: Vec<TableBatches> = read_tables(&dir, BATCH_ROWS)
        .expect("read dataset back")
        .into_iter()
        .filter(|t| !t.batches.is_empty())
        .collect();
    let copy = scratch.path().join("parquet-alone");
    for table in &tables {
        let parent = copy.join(&table.relative);
        if let Some(parent) = parent.parent() {
            std::fs::create_dir_all(parent).expect("parquet-alone directories");
        }
    }

    let mut group = c.benchmark_group(format!("generate/{preset}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::ElementsAndBytes {
            elements: events,
            bytes,
        });
    group.bench_function("generator", |b| {
        b.iter_batched(
            || {
                if out.exists() {
                    std::fs::remove_dir_all(&out).expect("clear previous output");
                }
            },
            |()| tierank_datagen::generate(&config, &out, ExistingDir::Refuse).expect("generate"),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("parquet_alone", |b| {
        b.iter(|| {
            let written = write_tables(&copy, &tables);
            assert_eq!(written, rows, "every row written");
        });
    });
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);

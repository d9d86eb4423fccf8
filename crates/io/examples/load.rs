//! Loads a dataset and prints the load report: the throughput and memory measurement.
//!
//! ```text
//! cargo run --release -p tierank-io --example load -- DATASET_DIR [THREADS]
//! ```

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: load DATASET_DIR [THREADS]")?);
    let threads: usize = args.next().map(|t| t.parse()).transpose()?.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let (graph, report) =
        pool.install(|| tierank_io::load_graph(&dir, &tierank_io::LoadOptions::default()))?;
    println!("{report:#?}");
    let rows = report.tie_rows + report.event_rows;
    println!(
        "threads {}: {} rows in {:.3} s = {:.0} rows/s; events {:.0} rows/s; {:.1} bytes per directed tie; {} people",
        pool.current_num_threads(),
        rows,
        report.seconds.total,
        rows as f64 / report.seconds.total,
        report.event_rows as f64 / (report.seconds.window + report.seconds.events).max(1e-9),
        report.bytes_per_directed_tie,
        graph.num_nodes()
    );
    match tierank_io::read_truth(&dir)? {
        Some(truth) => println!("truth: {} rows", truth.len()),
        None => println!("truth: absent"),
    }
    Ok(())
}

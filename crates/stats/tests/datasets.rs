//! `compute` on whole datasets: a generated `tiny` one, a weights-only one, a missing one.

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use tierank_datagen::{ExistingDir, GeneratorConfig, Preset, generate};
use tierank_format::layout::DatasetPaths;
use tierank_format::manifest::Manifest;
use tierank_format::schema;
use tierank_stats::{RealismTargets, StatsError, StatsOptions, compute};

#[test]
fn tiny_report_is_complete_deterministic_and_serialisable() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny");
    generate(
        &GeneratorConfig::preset(Preset::Tiny),
        &out,
        ExistingDir::Refuse,
    )
    .unwrap();
    let manifest = Manifest::read(&DatasetPaths::new(&out).manifest()).unwrap();

    // Sample fewer egos than people, to exercise the sampled path.
    let opts = StatsOptions {
        sample_nodes: 300,
        ..StatsOptions::default()
    };
    let report = compute(&out, &opts).unwrap();
    assert_eq!(report.counts.people, 1000);
    assert_eq!(
        Some(report.counts.ties),
        manifest.row_counts.get("ties").copied()
    );
    assert_eq!(
        report.counts.events,
        manifest.row_counts.get("events").copied()
    );
    assert_eq!(
        report.counts.groups,
        manifest.row_counts.get("groups").copied()
    );
    assert!(report.clustering.sampled);
    assert_eq!(report.clustering.nodes_measured, 300);
    assert!(report.overlap.as_ref().unwrap().sampled);
    let layers = report.layers.as_ref().unwrap();
    assert_eq!(layers.num_targets, 1000);
    // Cumulative sizes never shrink outwards.
    assert!(layers.mean_cumulative.windows(2).all(|w| w[0] <= w[1]));
    // Percolation is measured where the ties left have a mean degree of 4, 2 and 1, the
    // range where a giant component can break (not at fixed fractions, which on a network
    // of a hundred friends per person measured only who drops out first).
    let perc = report.percolation.as_ref().unwrap();
    assert_eq!(perc.kept_mean_degree, vec![4.0, 2.0, 1.0]);
    for (k, f) in perc.kept_mean_degree.iter().zip(&perc.fractions) {
        let kept = (k * 1000.0 / 2.0).round();
        assert!(
            (f - (1.0 - kept / perc.ties as f64)).abs() < 1e-12,
            "{k}: {f}"
        );
        assert!(*f > 0.5 && *f < 1.0, "{k}: {f}");
    }
    assert_eq!(perc.weak_first.len(), 3);
    assert!(perc.mean_gap().unwrap() > 0.0, "{perc:?}");
    let burst = report.burstiness.as_ref().unwrap();
    assert!(burst.ties_measured > 0 && burst.ties_measured <= burst.ties_sampled);
    let mix = report.channels.as_ref().unwrap();
    assert!((mix.channels.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-9);

    // The same report on one thread: samples and sums do not depend on the thread count.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let single = pool.install(|| compute(&out, &opts).unwrap());
    assert_eq!(single, report);

    // Every check is present (tiny has people in the 10-49 and 50-199 buckets) and the
    // JSON has every section.
    let checks = report.check_realism(&RealismTargets::default());
    assert_eq!(checks.len(), 35);
    let json = serde_json::to_value(&report).unwrap();
    for key in [
        "counts",
        "degree",
        "clustering",
        "assortativity",
        "layers",
        "reciprocity",
        "channels",
        "overlap",
        "percolation",
        "partners",
        "burstiness",
        "dynamics",
    ] {
        assert!(!json[key].is_null(), "{key} missing from {json}");
    }
}

fn write_weighted_ties(dir: &std::path::Path) {
    // A 4-clique 1-2-3-4 with heavy ties, plus a pendant path 4-5-6 with light ones.
    let edges = [
        (1, 2, 9.0),
        (1, 3, 8.0),
        (1, 4, 7.0),
        (2, 3, 9.0),
        (2, 4, 8.0),
        (3, 4, 7.0),
        (4, 5, 1.0),
        (5, 6, 0.0),
    ];
    let batch = RecordBatch::try_new(
        schema::weighted_ties(),
        vec![
            Arc::new(Int64Array::from_iter_values(edges.iter().map(|e| e.0))),
            Arc::new(Int64Array::from_iter_values(edges.iter().map(|e| e.1))),
            Arc::new(Float64Array::from_iter_values(edges.iter().map(|e| e.2))),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(DatasetPaths::new(dir).ties()).unwrap();
    let mut writer = ArrowWriter::try_new(file, schema::weighted_ties(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn weights_only_dataset_gets_structure_and_overlap_but_no_event_sections() {
    let dir = tempfile::tempdir().unwrap();
    write_weighted_ties(dir.path());
    let report = compute(dir.path(), &StatsOptions::default()).unwrap();
    assert_eq!(report.counts.people, 6);
    assert_eq!(report.counts.ties, 8);
    assert_eq!(report.counts.events, None);
    assert_eq!(report.counts.groups, None);
    assert!(report.layers.is_none() && report.reciprocity.is_none());
    assert!(report.channels.is_none() && report.burstiness.is_none());
    assert!(report.dynamics.is_none());
    let overlap = report.overlap.as_ref().unwrap();
    assert_eq!(overlap.ties_measured, 8);
    assert_eq!(overlap.zero_weight_ties, 1);
    // The heavy clique ties overlap far more than the light pendant ones.
    assert!(overlap.top_minus_bottom().unwrap() > 0.5, "{overlap:?}");
    let names: Vec<String> = report
        .check_realism(&RealismTargets::default())
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with("layers")
            && !n.starts_with("burstiness")
            && !n.starts_with("dynamics")
            && !n.starts_with("channels")
            && !n.starts_with("reciprocity")),
        "{names:?}"
    );
}

#[test]
fn missing_dataset_is_a_load_error_blamed_on_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let err = compute(&dir.path().join("nope"), &StatsOptions::default()).unwrap_err();
    assert!(matches!(err, StatsError::Load(_)), "{err:?}");
    assert!(err.is_bad_input());
    assert!(err.to_string().contains("nope"), "{err}");
}

//! The audit record: JSON round trip, file digests, and what `verify` reports.

use std::path::Path;

use tierank_heuristics::HeuristicConfig;
use tierank_select::{
    AuditParameters, AuditRecord, Difference, ExclusionSet, FileDigest, Policy, SelectOptions,
    select, verify, verify_files,
};

use crate::common::{Volume, nodes, options};
use crate::policies::fixture;

fn write(dir: &Path, name: &str, text: &str) -> FileDigest {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    FileDigest::of("data", name, &path).unwrap()
}

fn record(dir: &Path, policy: &str, ties: &str, audience: &str) -> AuditRecord {
    let g = fixture();
    let config = HeuristicConfig::default();
    let opts = SelectOptions {
        excluded: ExclusionSet::new(&g, &[3, 404]),
        ..options(&config)
    };
    let p: Policy = policy.parse().unwrap();
    let s = select(&g, &nodes(&g, &[1, 10]), &Volume::default(), &p, &opts).unwrap();
    let parameters = AuditParameters {
        heuristic: "volume".into(),
        heuristic_config: config.clone(),
        policy: p.to_string(),
        min_evidence: 0,
        strict_minimization: false,
        calibrated: false,
        event_window: None,
    };
    let inputs = vec![
        write(dir, "ties.parquet", ties),
        write(dir, "targets.csv", "1\n10\n"),
    ];
    let mut out = write(dir, "audience.parquet", audience);
    out.role = "audience".into();
    AuditRecord::new(
        vec![
            "tierank".into(),
            "select".into(),
            format!("--policy={policy}"),
        ],
        parameters,
        inputs,
        &s,
        vec![out],
    )
}

#[test]
fn file_digest_hashes_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = write(dir.path(), "x.txt", "abc");
    assert_eq!(d.bytes, 3);
    assert_eq!(
        d.sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert!(FileDigest::of("data", "missing", &dir.path().join("missing")).is_err());
}

#[test]
fn record_round_trips_and_holds_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let r = record(dir.path(), "top-k:2", "ties v1", "rows v1");
    assert_eq!(r.audit_version, tierank_select::AUDIT_VERSION);
    assert_eq!(r.tierank_version, tierank_format::TIERANK_VERSION);
    assert_eq!(r.counts.targets, 2);
    assert_eq!(r.counts.notices, 4);
    assert_eq!(r.exclusion.listed, 2);
    assert_eq!(r.exclusion.unknown, 1);
    // Person 3 was second for target 1 under top-k:2.
    assert_eq!(r.exclusion.excluded_would_have_been_selected, 1);
    let names: Vec<&str> = r.inputs.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["targets.csv", "ties.parquet"], "sorted");
    let json = r.to_json().unwrap();
    assert!(json.ends_with("}\n"));
    for key in [
        "\"command_line\"",
        "\"sha256\"",
        "\"channel_weights\"",
        "\"canonical_sha256\"",
    ] {
        assert!(json.contains(key), "{key} missing");
    }
    assert_eq!(AuditRecord::from_json(&json).unwrap(), r);
    assert!(verify(&r, &r).is_empty());
}

#[test]
fn floats_reload_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = record(dir.path(), "threshold:0.30000000000000004", "t", "o");
    r.counts.expected_collateral = Some(0.1 + 0.2 + 1.0 / 3.0);
    r.parameters.heuristic_config.channel_weights[2] = 2.0_f64.sqrt();
    let back = AuditRecord::from_json(&r.to_json().unwrap()).unwrap();
    assert!(verify(&r, &back).is_empty(), "{:?}", verify(&r, &back));
    assert_eq!(
        back.counts.expected_collateral,
        r.counts.expected_collateral
    );
}

#[test]
fn verify_names_each_difference() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let recorded = record(a.path(), "top-k:2", "ties v1", "rows v1");

    // Same inputs and outputs in another directory, another command line: no difference.
    let rerun = record(b.path(), "top-k:2", "ties v1", "rows v1");
    assert!(verify(&recorded, &rerun).is_empty());

    let rerun = record(b.path(), "top-k:2", "ties v2", "rows v2");
    let d = verify(&recorded, &rerun);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(matches!(&d[0], Difference::InputChanged { name, .. } if name == "ties.parquet"));
    assert!(matches!(&d[1], Difference::OutputChanged { role, .. } if role == "audience"));
    assert!(
        d[0].to_string().contains("ties.parquet changed"),
        "{}",
        d[0]
    );

    let rerun = record(b.path(), "top-k:1", "ties v1", "rows v1");
    let d = verify(&recorded, &rerun);
    assert!(
        d.contains(&Difference::Parameter {
            name: "policy".into(),
            recorded: "\"top-k:2\"".into(),
            rerun: "\"top-k:1\"".into(),
        }),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|x| matches!(x, Difference::Count { field, .. } if field == "notices"))
    );

    let mut rerun = recorded.clone();
    rerun.parameters.heuristic_config.channel_weights[1] = 2.5;
    rerun.parameters.min_evidence = 2;
    rerun.outputs.clear();
    rerun.inputs.pop();
    let d = verify(&recorded, &rerun);
    let text: Vec<String> = d.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "parameter heuristic_config.channel_weights[1] changed: 3.0 -> 2.5",
            "parameter min_evidence changed: 0 -> 2",
            "input data ties.parquet was not read by the rerun",
            "output audience audience.parquet was not written by the rerun",
        ]
    );

    let mut rerun = recorded.clone();
    rerun.exclusion.canonical_sha256 = "0".repeat(64);
    rerun.tierank_version = "9.9.9".into();
    let d = verify(&recorded, &rerun);
    assert!(matches!(&d[0], Difference::Version { field, .. } if field == "tierank_version"));
    assert!(matches!(&d[1], Difference::Exclusion { field, .. } if field == "canonical_sha256"));
}

#[test]
fn verify_files_names_the_directory_not_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let digest = |role: &str, name: &str, text: &str| {
        let mut d = write(dir.path(), name, text);
        d.role = role.into();
        d
    };
    let recorded = vec![
        digest("audience", "audiences.parquet", "a"),
        digest("exposure", "exposure.parquet", "e"),
    ];
    assert!(verify_files(&recorded, &recorded).is_empty());
    let on_disk = vec![
        digest("audience", "audiences.parquet", "a, edited"),
        digest("unrecorded", "notes.txt", "mine"),
    ];
    let text: Vec<String> = verify_files(&recorded, &on_disk)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(text.len(), 3, "{text:?}");
    assert!(text[0].starts_with("output audience audiences.parquet changed: sha256 "));
    assert_eq!(
        text[1..],
        [
            "output exposure exposure.parquet is missing from the audited directory",
            "file notes.txt is in the audited directory but not in the audit record",
        ]
    );
}

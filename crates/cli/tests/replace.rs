//! Crash safety of `--force` replacement: the real binary is aborted between every step of
//! writing and replacing an output (the debug-build hook `TIERANK_TEST_ABORT_AT`, see
//! `tierank_format::atomic`), and after each abort the final path must hold the complete
//! old output or the complete new one, never a mixture or nothing; the next run on the same
//! path must clean the hidden leftovers and nothing else. About 40 runs of a
//! 300-person `generate` (0.5 s each) and a few `stats`: 5-20 s in CI, in parallel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_owned(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out
}

fn generate(out: &Path, seed: &str, abort_at: Option<&str>) -> Output {
    generate_with(out, seed, abort_at, false)
}

fn generate_with(out: &Path, seed: &str, abort_at: Option<&str>, fallback: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tierank"));
    cmd.args([
        "generate",
        "--preset",
        "tiny",
        "--persons",
        "300",
        "--seed",
        seed,
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    cmd.env("RUST_LOG", "warn");
    match abort_at {
        Some(step) => cmd.env("TIERANK_TEST_ABORT_AT", step),
        None => cmd.env_remove("TIERANK_TEST_ABORT_AT"),
    };
    if fallback {
        cmd.env("TIERANK_TEST_NO_EXCHANGE", "1");
    } else {
        cmd.env_remove("TIERANK_TEST_NO_EXCHANGE");
    }
    cmd.output().expect("run tierank")
}

fn ok(run: &Output) -> String {
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stderr}");
    stderr
}

/// Names in `dir` other than `keep`.
fn siblings(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

/// Every hook step a `generate --force` over an existing output passes, in order (the
/// generator writes its files straight into the staging directory).
const STEPS: [&str; 6] = [
    "dir-staged",
    "dir-commit",
    "dir-swapped",
    "dir-new-in",
    "dir-old-partly-deleted",
    "dir-committed",
];

#[test]
fn replacement_killed_at_any_step_leaves_old_or_new_and_next_run_cleans_up() {
    killed_at_every_step(false);
}

/// The same without `renameat2(RENAME_EXCHANGE)` (file systems or systems without it): the
/// old output is renamed aside, so right after that step the final path is briefly absent,
/// and the next run puts the complete old output back before doing anything else.
#[test]
fn fallback_replacement_killed_at_any_step_is_recovered_by_the_next_run() {
    killed_at_every_step(true);
}

fn killed_at_every_step(fallback: bool) {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: the abort hook exists only in debug builds");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let reference = root.path().join("reference");
    std::fs::create_dir(&reference).unwrap();
    ok(&generate(&reference.join("old"), "1", None));
    ok(&generate(&reference.join("new"), "2", None));
    let old = snapshot(&reference.join("old"));
    let new = snapshot(&reference.join("new"));
    assert!(old.contains_key(Path::new("manifest.json")));
    assert_ne!(old, new);

    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    // Names close to our leftover pattern that are not ours: never touched.
    let decoys = [
        ".out.tmp-keep",
        ".out.tmp-ABCDEFG",
        ".out.old-abc",
        ".other.tmp-abcdef",
        "out.tmp-abcdef",
    ];
    for d in decoys {
        std::fs::write(work.join(d), "user data").unwrap();
    }
    let out = work.join("out");
    for step in STEPS {
        // Start from the complete old output.
        if snapshot(&out) != old {
            ok(&generate(&out, "1", None));
        }
        let run = generate_with(&out, "2", Some(step), fallback);
        let stderr = String::from_utf8_lossy(&run.stderr);
        if step == "dir-new-in" && !fallback {
            // This step exists only in the fallback without an atomic exchange.
            ok(&run);
            continue;
        }
        assert!(
            fallback || step != "dir-new-in",
            "exchange path ran the fallback step"
        );
        assert!(
            !run.status.success() && stderr.contains(&format!("aborting at {step}")),
            "step {step}: expected an abort, got {:?}: {stderr}",
            run.status
        );
        let leftovers = siblings(&work, &[&["out"], &decoys[..]].concat());
        let now = snapshot(&out);
        if fallback && step == "dir-swapped" {
            // The one instant without a final path: the complete old output is aside.
            assert!(!out.exists(), "step {step}: final path still there");
            assert_eq!(leftovers.len(), 2, "{leftovers:?}");
            let aside = leftovers
                .iter()
                .find(|n| n.starts_with(".out.old-"))
                .expect("old output aside");
            assert!(
                snapshot(&work.join(aside)) == old,
                "aside is not the old output"
            );
            // The next run restores it before anything else: a run without --force is
            // refused because the old output is back.
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_tierank"));
            let refused = cmd
                .args([
                    "generate",
                    "--preset",
                    "tiny",
                    "--out",
                    out.to_str().unwrap(),
                ])
                .output()
                .unwrap();
            assert_eq!(refused.status.code(), Some(2));
            assert!(snapshot(&out) == old, "old output not restored");
        }
        let now = if fallback && step == "dir-swapped" {
            old.clone()
        } else {
            now
        };
        assert!(
            now == old || now == new,
            "step {step}: the final path holds neither the old nor the new output \
             ({} files; old {}, new {})",
            now.len(),
            old.len(),
            new.len()
        );
        // The next run on the same path removes every leftover, says so, and ends with the
        // new output.
        let stderr = ok(&generate(&out, "2", None));
        let restored_earlier = fallback && step == "dir-swapped";
        if !leftovers.is_empty() && !restored_earlier {
            assert!(
                stderr.contains("removed") && stderr.contains("bytes"),
                "step {step}: leftovers {leftovers:?} not reported: {stderr}"
            );
        }
        assert_eq!(
            siblings(&work, &decoys),
            vec!["out".to_owned()],
            "step {step}: leftovers not cleaned (or decoys removed)"
        );
        assert!(
            snapshot(&out) == new,
            "step {step}: rerun did not write new"
        );
        for d in decoys {
            assert_eq!(std::fs::read_to_string(work.join(d)).unwrap(), "user data");
        }
    }
}

/// A single-file output (`stats --json FILE --force`) killed at each step of its
/// replacement holds the old or the new file, and the next run removes the temporary.
#[test]
fn file_replacement_killed_at_any_step_leaves_old_or_new() {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: the abort hook exists only in debug builds");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("D");
    ok(&generate(&data, "1", None));
    let json = root.path().join("stats.json");
    let stats = |abort_at: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tierank"));
        cmd.args([
            "stats",
            data.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .args(["--force", "--sample-nodes", "50"]);
        match abort_at {
            Some(step) => cmd.env("TIERANK_TEST_ABORT_AT", step),
            None => cmd.env_remove("TIERANK_TEST_ABORT_AT"),
        };
        cmd.output().unwrap()
    };
    ok(&stats(None));
    let new = std::fs::read(&json).unwrap();
    for step in ["file-written", "file-renamed", "file-committed"] {
        std::fs::write(&json, "old").unwrap();
        let run = stats(Some(step));
        assert!(
            !run.status.success(),
            "step {step}: expected an abort: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let now = std::fs::read(&json).unwrap();
        assert!(
            now == b"old" || now == new,
            "step {step}: neither old nor new"
        );
        let stderr = ok(&stats(None));
        if step == "file-written" {
            assert!(stderr.contains("removed 1 leftover"), "{stderr}");
        }
        assert_eq!(std::fs::read(&json).unwrap(), new);
        assert_eq!(
            siblings(root.path(), &[]),
            vec!["D", "stats.json"],
            "step {step}"
        );
    }
}

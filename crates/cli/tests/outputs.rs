//! Output paths that would destroy data are refused before anything is deleted or written:
//! the working directory or an ancestor of it (`--out .`, `--out dir/..`), and any path
//! that is, contains or lies inside an input. `stats --json` needs `--force` to overwrite,
//! and `demo` validates its arguments before creating its directory. About 2 s in CI (one
//! tiny generation; every refusal happens before loading).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn tierank_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tierank"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run tierank")
}

/// A tiny dataset with one target list and a compare report (calibration), made once.
fn fixture() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let run = tierank_in(
            &root,
            &[
                "generate",
                "--preset",
                "tiny",
                "--persons",
                "300",
                "--seed",
                "3",
                "--out",
                "D",
            ],
        );
        assert!(run.status.success(), "{}", stderr(&run));
        (dir, root)
    })
    .1
}

fn stderr(run: &Output) -> String {
    String::from_utf8_lossy(&run.stderr).into_owned()
}

/// Copies directory `from` to `to` (a fresh dataset for a test that may destroy it).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

fn assert_refused(run: &Output, what: &str, expect: &str) {
    let err = stderr(run);
    assert_eq!(run.status.code(), Some(2), "{what}: {err}");
    assert!(
        err.contains(expect),
        "{what}: expected '{expect}' in: {err}"
    );
}

#[test]
fn out_naming_the_working_directory_or_an_ancestor_is_refused_and_nothing_is_deleted() {
    let data = fixture().join("D");
    let data = data.to_str().unwrap();
    let sandbox = tempfile::tempdir().unwrap();
    let cwd = sandbox.path().join("a/b");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::write(cwd.join("precious.txt"), "keep").unwrap();
    std::fs::write(sandbox.path().join("a/precious.txt"), "keep").unwrap();
    let targets = sandbox.path().join("targets.csv");
    std::fs::write(&targets, "person_id\n1\n").unwrap();
    let targets = targets.to_str().unwrap();
    let abs_cwd = cwd.to_str().unwrap().to_owned();
    let before = contents(sandbox.path());
    for out in [".", "..", "sub/..", "./", "../b", abs_cwd.as_str()] {
        let cases: Vec<(&str, Vec<&str>)> = vec![
            (
                "generate",
                vec![
                    "generate",
                    "--preset",
                    "tiny",
                    "--persons",
                    "300",
                    "--force",
                ],
            ),
            ("compare", vec!["compare", "--data", data, "--force"]),
            (
                "select",
                vec![
                    "select",
                    "--data",
                    data,
                    "--targets",
                    targets,
                    "--heuristic",
                    "volume",
                    "--policy",
                    "top-k:3",
                    "--force",
                ],
            ),
            (
                "rank",
                vec![
                    "rank",
                    "--data",
                    data,
                    "--sample",
                    "3",
                    "--heuristics",
                    "volume",
                    "--k",
                    "3",
                    "--force",
                ],
            ),
        ];
        for (name, mut args) in cases {
            args.extend(["--out", out]);
            let run = tierank_in(&cwd, &args);
            assert_eq!(
                run.status.code(),
                Some(2),
                "{name} --out {out}: {}",
                stderr(&run)
            );
            assert_eq!(
                contents(sandbox.path()),
                before,
                "{name} --out {out} changed files"
            );
        }
        let run = tierank_in(&cwd, &["stats", data, "--json", out, "--force"]);
        assert_eq!(
            run.status.code(),
            Some(2),
            "stats --json {out}: {}",
            stderr(&run)
        );
        let run = tierank_in(&cwd, &["demo", "--preset", "tiny", "--out", out, "--force"]);
        assert_eq!(
            run.status.code(),
            Some(2),
            "demo --out {out}: {}",
            stderr(&run)
        );
        assert_eq!(
            contents(sandbox.path()),
            before,
            "--out {out} changed files"
        );
    }
    let run = tierank_in(
        &cwd,
        &["generate", "--preset", "tiny", "--out", ".", "--force"],
    );
    assert_refused(&run, "generate --out .", "--out");
}

#[test]
fn outputs_overlapping_an_input_are_refused_and_the_input_is_unchanged() {
    let root = fixture();
    let sandbox = tempfile::tempdir().unwrap();
    let d = sandbox.path().join("D");
    copy_dir(&root.join("D"), &d);
    std::os::unix::fs::symlink(&d, sandbox.path().join("link")).unwrap();
    std::fs::write(sandbox.path().join("targets.csv"), "person_id\n1\n").unwrap();
    std::fs::write(sandbox.path().join("cfg.toml"), "seed = 4\n").unwrap();
    let before = contents(sandbox.path());
    let select = |out: &str, extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "select",
            "--data",
            "D",
            "--targets",
            "targets.csv",
            "--heuristic",
            "volume",
            "--policy",
            "top-k:3",
            "--force",
            "--out",
            out,
        ]
        .map(str::to_owned)
        .to_vec();
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            ["compare", "--data", "D", "--out", "D", "--force"]
                .map(str::to_owned)
                .to_vec(),
            "is the input",
        ),
        (
            ["compare", "--data", "D", "--out", "link/../D", "--force"]
                .map(str::to_owned)
                .to_vec(),
            "is the input",
        ),
        (
            ["compare", "--data", "link", "--out", "D/report", "--force"]
                .map(str::to_owned)
                .to_vec(),
            "lies inside the input",
        ),
        (
            [
                "rank",
                "--data",
                "D",
                "--sample",
                "3",
                "--heuristics",
                "volume",
                "--k",
                "3",
                "--out",
                "D/ties.parquet",
                "--force",
            ]
            .map(str::to_owned)
            .to_vec(),
            "lies inside the input",
        ),
        (
            ["stats", "D", "--json", "D/ties.parquet", "--force"]
                .map(str::to_owned)
                .to_vec(),
            "lies inside the input",
        ),
        (
            ["stats", "D", "--json", "link/ties.parquet"]
                .map(str::to_owned)
                .to_vec(),
            "lies inside the input",
        ),
        (select("targets.csv", &[]), "is the input"),
        (select("D/sel", &[]), "lies inside the input"),
        (select(".", &[]), "name of its own"),
        (
            [
                "generate", "--config", "cfg.toml", "--preset", "tiny", "--out", ".", "--force",
            ]
            .map(str::to_owned)
            .to_vec(),
            "name of its own",
        ),
    ];
    for (args, expect) in cases {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = tierank_in(sandbox.path(), &argv);
        assert_refused(&run, &args.join(" "), expect);
        assert_eq!(
            contents(sandbox.path()),
            before,
            "{} changed files",
            args.join(" ")
        );
    }
    // A generator config inside the directory it would replace.
    let gen_dir = sandbox.path().join("G");
    std::fs::create_dir(&gen_dir).unwrap();
    std::fs::write(gen_dir.join("cfg.toml"), "seed = 4\n").unwrap();
    let run = tierank_in(
        sandbox.path(),
        &[
            "generate",
            "--config",
            "G/cfg.toml",
            "--preset",
            "tiny",
            "--out",
            "G",
            "--force",
        ],
    );
    assert_refused(
        &run,
        "generate --config G/cfg.toml --out G",
        "contains the input",
    );
    assert!(gen_dir.join("cfg.toml").is_file());
}

#[test]
fn stats_json_needs_force_to_overwrite() {
    let root = fixture();
    let sandbox = tempfile::tempdir().unwrap();
    let json = sandbox.path().join("stats.json");
    std::fs::write(&json, "mine").unwrap();
    let data = root.join("D");
    let args = [data.to_str().unwrap(), "--json", json.to_str().unwrap()];
    let run = tierank_in(sandbox.path(), &[&["stats"], &args[..]].concat());
    assert_refused(&run, "stats --json existing", "--force");
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "mine");
    let run = tierank_in(
        sandbox.path(),
        &[&["stats"], &args[..], &["--force"]].concat(),
    );
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(std::fs::read_to_string(&json).unwrap().starts_with('{'));
}

#[test]
fn demo_with_a_bad_preset_creates_nothing() {
    let sandbox = tempfile::tempdir().unwrap();
    let run = tierank_in(
        sandbox.path(),
        &["demo", "--preset", "nope", "--out", "demo-bad"],
    );
    assert_refused(&run, "demo --preset nope", "nope");
    assert!(
        !sandbox.path().join("demo-bad").exists(),
        "demo-bad/ was created"
    );
}

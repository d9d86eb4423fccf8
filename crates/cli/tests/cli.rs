//! End-to-end tests of what every command shares: the exit codes (1 for a failure of the
//! machine such as a full disk, 2 for the user's mistakes), the global `--threads`, `-q`
//! and `-v` flags, `--help`, and arguments checked before the dataset is loaded.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tierank")
}

/// Runs tierank without `RUST_LOG` or `RAYON_NUM_THREADS` from the caller's environment.
fn tierank(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("run tierank")
}

/// Runs tierank unable to write a single byte to any file, as on a full disk: the file size
/// limit (`ulimit -f 0`) makes every write fail with EFBIG, "File too large", once SIGXFSZ
/// is ignored (an ignored signal stays ignored across `exec`). Needs no root and no mount.
/// Pipes are not files, so stdout and stderr still work.
fn tierank_disk_full(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0 && exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("run tierank under sh")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The tiny preset (seed 7) and a targets file of four of its people, made once.
struct Tiny {
    _root: tempfile::TempDir,
    data: PathBuf,
    targets: PathBuf,
}

fn tiny() -> &'static Tiny {
    static DATA: OnceLock<Tiny> = OnceLock::new();
    DATA.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("tiny");
        let out = tierank(&[
            "generate",
            "--preset",
            "tiny",
            "--seed",
            "7",
            "--out",
            s(&data),
        ]);
        assert!(out.status.success(), "generate: {}", stderr(&out));
        // Four people with friends, picked the way `rank --sample` picks them.
        let sample = root.path().join("sample.parquet");
        let out = tierank(&[
            "rank",
            "--data",
            s(&data),
            "--sample",
            "4",
            "--heuristics",
            "degree",
            "--k",
            "1",
            "--out",
            s(&sample),
        ]);
        assert!(out.status.success(), "rank --sample: {}", stderr(&out));
        let ids = read_column(&sample, "target");
        let targets = root.path().join("targets.csv");
        let mut text = String::from("person_id\n");
        for id in ids {
            text.push_str(&format!("{id}\n"));
        }
        std::fs::write(&targets, text).unwrap();
        Tiny {
            _root: root,
            data,
            targets,
        }
    })
}

/// The distinct values of an Int64 column of a Parquet file, sorted.
fn read_column(path: &Path, column: &str) -> Vec<i64> {
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(path).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut out: Vec<i64> = reader
        .flat_map(|b| {
            b.unwrap()
                .column_by_name(column)
                .unwrap()
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// No entry of `dir` other than `keep` (no output, no temporary file left behind).
fn only(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

/// Every command that writes, run unable to write a byte: exit 1 (not 2, "bad input"), the
/// OS error in the message, and nothing left behind.
#[test]
fn a_full_disk_exits_1_for_every_command() {
    let tiny = tiny();
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name);
    let data = s(&tiny.data);
    let targets = s(&tiny.targets);
    let rank_out = out("r.parquet");
    let compare_out = out("report");
    let select_out = out("sel");
    let generate_out = out("gen");
    let stats_out = out("stats.json");
    let runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "generate",
            vec!["generate", "--preset", "tiny", "--out", s(&generate_out)],
        ),
        (
            "rank",
            vec![
                "rank",
                "--data",
                data,
                "--targets",
                targets,
                "--heuristics",
                "volume",
                "--k",
                "3",
                "--out",
                s(&rank_out),
            ],
        ),
        (
            "compare",
            vec![
                "compare",
                "--data",
                data,
                "--sample",
                "40",
                "--heuristics",
                "volume",
                "--no-learned",
                "--resamples",
                "0",
                "--k",
                "1",
                "--out",
                s(&compare_out),
            ],
        ),
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
                "top-k:2",
                "--out",
                s(&select_out),
            ],
        ),
        (
            "stats",
            vec![
                "stats",
                data,
                "--sample-nodes",
                "20",
                "--json",
                s(&stats_out),
            ],
        ),
    ];
    for (name, args) in runs {
        let run = tierank_disk_full(&args);
        assert_eq!(
            run.status.code(),
            Some(1),
            "{name} on a full disk: want exit 1 (an I/O failure), got {:?}: {}",
            run.status.code(),
            stderr(&run)
        );
        assert!(
            stderr(&run).contains("too large"),
            "{name}: the OS error should be in the message: {}",
            stderr(&run)
        );
    }
    assert_eq!(only(dir.path(), &[]), Vec::<String>::new(), "left behind");
}

/// Unmounts the tmpfs when the test ends, however it ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A genuinely full disk (ENOSPC): a 64 KiB tmpfs filled to the brim. Needs the right to
/// mount (root in CI); skipped with the reason printed where that is not given.
#[test]
fn a_full_tmpfs_exits_1() {
    let tiny = tiny();
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tierank-test", s(&mnt)])
        .output();
    match mounted {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!("skipped: cannot mount a tmpfs: {}", stderr(&o).trim());
            return;
        }
        Err(e) => {
            eprintln!("skipped: cannot run mount: {e}");
            return;
        }
    }
    let _mount = Mount(mnt.clone());
    // Fill it: write until the file system refuses.
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(mnt.join("filler")).unwrap();
        let block = [0u8; 4096];
        let mut full = false;
        for _ in 0..64 {
            if filler
                .write_all(&block)
                .and_then(|()| filler.flush())
                .is_err()
            {
                full = true;
                break;
            }
        }
        assert!(full, "a 64 KiB tmpfs took 256 KiB");
    }
    let out = mnt.join("r.parquet");
    let run = tierank(&[
        "rank",
        "--data",
        s(&tiny.data),
        "--targets",
        s(&tiny.targets),
        "--heuristics",
        "volume",
        "--k",
        "3",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(stderr(&run).contains("No space left"), "{}", stderr(&run));
    assert_eq!(only(&mnt, &["filler"]), Vec::<String>::new(), "left behind");
}

/// A typo in a heuristic name is reported before the dataset is read (here there is no
/// dataset at all), with the nearest valid name.
#[test]
fn rank_checks_heuristic_names_before_loading() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.parquet");
    let run = tierank(&[
        "rank",
        "--data",
        "/nonexistent/dataset",
        "--sample",
        "3",
        "--heuristics",
        "volume,adamic_adr",
        "--k",
        "3",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("unknown heuristic 'adamic_adr'"), "{err}");
    assert!(err.contains("did you mean 'adamic_adar'"), "{err}");
    assert!(
        !err.contains("nonexistent"),
        "checked the dataset first: {err}"
    );
    // `learned` needs --model, also before loading.
    let run = tierank(&[
        "rank",
        "--data",
        "/nonexistent/dataset",
        "--sample",
        "3",
        "--heuristics",
        "learned",
        "--k",
        "3",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("--model"), "{}", stderr(&run));
    assert!(!out.exists());
}

/// `--threads` is a global flag (before or after the subcommand), and the output does not
/// depend on it.
#[test]
fn threads_flag_gives_byte_identical_rankings() {
    let tiny = tiny();
    let dir = tempfile::tempdir().unwrap();
    let rank = |threads: &str, before: bool, name: &str| {
        let out = dir.path().join(name);
        let mut args = vec![];
        if before {
            args.extend(["--threads", threads]);
        }
        args.extend([
            "rank",
            "--data",
            s(&tiny.data),
            "--sample",
            "300",
            "--heuristics",
            "all",
            "--k",
            "10",
            "--out",
            s(&out),
        ]);
        if !before {
            args.extend(["--threads", threads]);
        }
        let run = tierank(&args);
        assert!(
            run.status.success(),
            "--threads {threads}: {}",
            stderr(&run)
        );
        std::fs::read(out).unwrap()
    };
    let one = rank("1", true, "t1.parquet");
    let two = rank("2", false, "t2.parquet");
    assert!(!one.is_empty());
    assert!(
        one == two,
        "rankings differ between --threads 1 and --threads 2"
    );

    let zero = tierank(&["--threads", "0", "stats", s(&tiny.data)]);
    assert_eq!(zero.status.code(), Some(2), "{}", stderr(&zero));
}

/// `-q` leaves stderr empty on success; `-v` shows the info log; `RUST_LOG` wins over both.
#[test]
fn quiet_and_verbose_set_what_stderr_shows() {
    let tiny = tiny();
    let dir = tempfile::tempdir().unwrap();
    let generate = |extra: &[&str], name: &str| {
        let mut args = vec!["generate", "--preset", "tiny", "--persons", "200"];
        args.extend_from_slice(extra);
        let out = dir.path().join(name);
        args.extend(["--out", s(&out)]);
        let run = tierank(&args);
        assert!(run.status.success(), "{}", stderr(&run));
        run
    };
    let loud = generate(&[], "g0");
    assert!(!stderr(&loud).is_empty(), "generate says what it generates");
    let quiet = generate(&["-q"], "g1");
    assert_eq!(stderr(&quiet), "", "-q");
    assert!(
        stdout(&quiet).contains("wrote"),
        "-q keeps the results on stdout"
    );

    let rank = |flags: &[&str], name: &str, rust_log: Option<&str>| {
        let out = dir.path().join(name);
        let mut args: Vec<&str> = flags.to_vec();
        args.extend([
            "rank",
            "--data",
            s(&tiny.data),
            "--sample",
            "5",
            "--heuristics",
            "volume",
            "--k",
            "2",
            "--out",
            s(&out),
        ]);
        let mut cmd = Command::new(bin());
        cmd.args(&args).env_remove("RUST_LOG");
        if let Some(level) = rust_log {
            cmd.env("RUST_LOG", level);
        }
        let run = cmd.output().unwrap();
        assert!(run.status.success(), "{}", stderr(&run));
        stderr(&run)
    };
    // tiny has events between non-friends, which the loader drops with a warning.
    assert!(
        rank(&[], "r1.parquet", None).contains("WARN"),
        "a warning by default"
    );
    assert_eq!(rank(&["-q"], "r0.parquet", None), "", "-q hides it");
    assert!(
        rank(&["-v"], "r2.parquet", None).contains("loaded"),
        "-v shows info"
    );
    assert!(
        rank(&["-vv"], "r3.parquet", None).contains("DEBUG"),
        "-vv shows debug"
    );
    assert_eq!(
        rank(&["-v"], "r4.parquet", Some("off")),
        "",
        "RUST_LOG wins"
    );
    assert!(
        rank(&["-q"], "r5.parquet", Some("info")).contains("loaded"),
        "RUST_LOG wins"
    );

    let both = tierank(&["-q", "-v", "stats", s(&tiny.data)]);
    assert_eq!(both.status.code(), Some(2), "-q with -v: {}", stderr(&both));
}

/// The heuristic names are in the help of every option that takes them; `generate --out`
/// shows `<DIR>`; the top-level help lists the exit codes.
#[test]
fn help_lists_heuristics_exit_codes_and_value_names() {
    let help = |args: &[&str]| {
        let run = tierank(args);
        assert!(run.status.success(), "{args:?}: {}", stderr(&run));
        stdout(&run)
    };
    for command in ["rank", "compare", "select"] {
        for short in ["--help", "-h"] {
            let text = help(&[command, short]);
            for name in tierank_heuristics::NAMES {
                assert!(
                    text.contains(name),
                    "{command} {short} lacks {name}:\n{text}"
                );
            }
        }
    }
    assert!(help(&["generate", "--help"]).contains("--out <DIR>"));
    let top = help(&["--help"]);
    assert!(top.contains("Exit codes"), "{top}");
    assert!(
        top.contains("--threads <N>") && top.contains("--quiet"),
        "{top}"
    );
    assert!(
        help(&["rank", "--help"]).contains("--threads <N>"),
        "global flags"
    );
}

/// A bad calibration file is called a calibration file, not a learned model.
#[test]
fn a_bad_calibration_file_is_named_as_such() {
    let tiny = tiny();
    let dir = tempfile::tempdir().unwrap();
    let calibration = dir.path().join("calibration.json");
    std::fs::write(&calibration, "{\"format\": 1}").unwrap();
    let run = tierank(&[
        "select",
        "--data",
        s(&tiny.data),
        "--targets",
        s(&tiny.targets),
        "--heuristic",
        "volume",
        "--policy",
        "probability:0.5",
        "--calibration",
        s(&calibration),
        "--out",
        s(&dir.path().join("sel")),
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("invalid calibration file"), "{err}");
    assert!(!err.contains("learned model"), "{err}");
}

/// A file deleted from an audited directory is reported as missing from it, not as an
/// output the rerun did not write (the rerun did write it).
#[test]
fn audit_verify_names_a_file_missing_from_the_directory() {
    let tiny = tiny();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sel");
    let run = tierank(&[
        "select",
        "--data",
        s(&tiny.data),
        "--targets",
        s(&tiny.targets),
        "--heuristic",
        "volume",
        "--policy",
        "top-k:2",
        "--out",
        s(&out),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    std::fs::remove_file(out.join("exposure.parquet")).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let run = tierank(&["audit", "verify", s(&out)]);
    assert_eq!(run.status.code(), Some(1), "{}", stdout(&run));
    let text = stdout(&run);
    assert!(
        text.contains("exposure.parquet is missing from the audited directory"),
        "{text}"
    );
    assert!(
        text.contains("notes.txt is in the audited directory but not in the audit record"),
        "{text}"
    );
    assert!(!text.contains("not written by the rerun"), "{text}");
    assert!(!text.contains("written only by the rerun"), "{text}");
}

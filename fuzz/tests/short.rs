//! The short fuzz run of the README's test command: every reader, a few thousand inputs,
//! through the real driver (child processes under a 4 GiB `ulimit -v`). About a minute on
//! two cores in the test profile; the long campaigns are in `docs/reliability.md`.

use std::process::Command;

#[test]
fn every_reader_survives_a_short_campaign() {
    let crash_dir = tempfile_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_tierank-fuzz"))
        .args(["--reader", "all", "--inputs", "2000", "--seed", "9"])
        .args(["--chunk", "2000", "--memory-mib", "4096"])
        .arg("--crash-dir")
        .arg(&crash_dir)
        .output()
        .expect("the driver runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "panics, aborts or hangs (inputs saved in {}):\n{stdout}\n{stderr}",
        crash_dir.display()
    );
    let _ = std::fs::remove_dir_all(&crash_dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tierank-fuzz-crashes-{}", std::process::id()))
}

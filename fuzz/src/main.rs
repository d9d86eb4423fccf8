//! The fuzz driver.
//!
//! ```text
//! tierank-fuzz --reader NAME|all --inputs N [--seed S] [--chunk C] [--memory-mib M]
//! tierank-fuzz --replay FILE --reader NAME
//! tierank-fuzz --write-corpus
//! ```
//!
//! The supervisor runs each reader's inputs in chunks, each in a child process started under
//! `ulimit -v` (`--memory-mib`, default 4096), so that an allocation blow-up aborts the child
//! instead of the machine. Inside a child every input runs under `catch_unwind`; a panic hook
//! saves the input to `--crash-dir` and the panic is counted. A child that dies (abort,
//! signal, out of memory) or overruns `--chunk-timeout-s` counts as an abort: the chunk is
//! rerun with a trace to find the input, which is saved, and the campaign continues after it.
//! Exit status: 0 when no panic, abort or hang was seen, 1 otherwise, 2 for bad arguments.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tierank_fuzz::{Ctx, Reader};

#[derive(Debug, Clone)]
struct Args {
    readers: Vec<Reader>,
    inputs: u64,
    seed: u64,
    start: u64,
    chunk: u64,
    memory_mib: u64,
    chunk_timeout_s: u64,
    crash_dir: PathBuf,
    scratch: Option<PathBuf>,
    child: bool,
    trace: bool,
    replay: Option<PathBuf>,
    write_corpus: bool,
}

fn usage() -> &'static str {
    "usage: tierank-fuzz --reader NAME|all --inputs N [--seed S] [--chunk C] [--memory-mib M] \
     [--chunk-timeout-s T] [--crash-dir DIR] [--scratch DIR]\n       tierank-fuzz --reader NAME \
     --replay FILE\n       tierank-fuzz --write-corpus\nreaders: persons ties events truth \
     ids-csv ids-parquet model calibration audit policy manifest gen-config"
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        readers: Vec::new(),
        inputs: 1000,
        seed: 0,
        start: 0,
        chunk: 25_000,
        memory_mib: 4096,
        chunk_timeout_s: 600,
        crash_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crashes"),
        scratch: None,
        child: false,
        trace: false,
        replay: None,
        write_corpus: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: '{v}' is not a count"))
        };
        match flag.as_str() {
            "--reader" => {
                let v = value()?;
                if v == "all" {
                    a.readers = Reader::ALL.to_vec();
                } else {
                    for name in v.split(',') {
                        a.readers.push(
                            Reader::from_name(name).ok_or(format!("unknown reader '{name}'"))?,
                        );
                    }
                }
            }
            "--inputs" => a.inputs = num(value()?)?,
            "--seed" => a.seed = num(value()?)?,
            "--start" => a.start = num(value()?)?,
            "--chunk" => a.chunk = num(value()?)?.max(1),
            "--memory-mib" => a.memory_mib = num(value()?)?,
            "--chunk-timeout-s" => a.chunk_timeout_s = num(value()?)?.max(1),
            "--crash-dir" => a.crash_dir = PathBuf::from(value()?),
            "--scratch" => a.scratch = Some(PathBuf::from(value()?)),
            "--replay" => a.replay = Some(PathBuf::from(value()?)),
            "--child" => a.child = true,
            "--trace" => a.trace = true,
            "--write-corpus" => a.write_corpus = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if a.readers.is_empty() && !a.write_corpus {
        return Err("--reader is required".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!("{}", usage());
            return ExitCode::from(2);
        }
    };
    if args.write_corpus {
        return match tierank_fuzz::write_corpus() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // One thread: the machine is shared, and inputs are tiny.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
    if args.child || args.replay.is_some() {
        return child(&args);
    }
    supervise(&args)
}

/// A scratch directory on the RAM disk when there is one.
fn scratch_root(args: &Args) -> PathBuf {
    let base = args.scratch.clone().unwrap_or_else(|| {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            shm.to_owned()
        } else {
            std::env::temp_dir()
        }
    });
    base.join(format!("tierank-fuzz-{}", std::process::id()))
}

/// The last panic's message and location, recorded by the hook. Whether it is a finding is
/// decided after `catch_unwind`: a reader may catch a panic itself (the Parquet decoder guard
/// of tierank-io does), and that one is not a finding.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
/// Crash files written by this process (the first [`MAX_SAVED`] findings are saved).
static SAVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const MAX_SAVED: usize = 20;

fn install_hook() {
    let backtrace = std::env::var_os("RUST_BACKTRACE").is_some();
    std::panic::set_hook(Box::new(move |info| {
        let mut text = info.to_string();
        if backtrace {
            text = format!("{text}\n{}", std::backtrace::Backtrace::force_capture());
        }
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
    }));
}

/// Saves an input whose panic escaped the reader, and reports it.
fn record_finding(crash_dir: &Path, seed: u64, reader: Reader, index: u64, bytes: &[u8]) {
    let message = LAST_PANIC
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    if SAVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= MAX_SAVED {
        return;
    }
    let _ = std::fs::create_dir_all(crash_dir);
    let path = crash_dir.join(format!("{}-s{seed}-i{index}.panic", reader.name()));
    let _ = std::fs::write(&path, bytes);
    eprintln!(
        "PANIC {} input {index} ({} bytes, saved to {}): {message}",
        reader.name(),
        bytes.len(),
        path.display()
    );
}

/// Runs inputs `start..start + inputs` of one reader in this process and prints a summary
/// line (`RESULT ...`) for the supervisor.
fn child(args: &Args) -> ExitCode {
    let reader = args.readers[0];
    let root = scratch_root(args);
    let ctx = match Ctx::new(&root) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    install_hook();
    let code = if let Some(path) = &args.replay {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        match catch_unwind(AssertUnwindSafe(|| reader.run(&ctx, &bytes))) {
            Ok(Ok(())) => {
                println!("accepted");
                ExitCode::SUCCESS
            }
            Ok(Err(kind)) => {
                println!("refused: {kind}");
                ExitCode::SUCCESS
            }
            Err(_) => {
                record_finding(&args.crash_dir, args.seed, reader, 0, &bytes);
                ExitCode::FAILURE
            }
        }
    } else {
        let seeds = match reader.seeds() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(3);
            }
        };
        let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
        let mut panics = 0u64;
        let mut slowest = (Duration::ZERO, 0u64);
        let stderr = std::io::stderr();
        for index in args.start..args.start + args.inputs {
            let bytes = reader.input(&seeds, args.seed, index);
            if args.trace {
                let _ = writeln!(stderr.lock(), "TRACE {index}");
            }
            let t = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| reader.run(&ctx, &bytes)));
            let took = t.elapsed();
            if took > slowest.0 {
                slowest = (took, index);
            }
            let key = match outcome {
                Ok(Ok(())) => "ok".to_owned(),
                Ok(Err(kind)) => kind,
                Err(_) => {
                    record_finding(&args.crash_dir, args.seed, reader, index, &bytes);
                    panics += 1;
                    "PANIC".to_owned()
                }
            };
            *kinds.entry(key).or_default() += 1;
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}={n}")).collect();
        println!(
            "RESULT panics={panics} slowest_us={} slowest_index={} kinds={}",
            slowest.0.as_micros(),
            slowest.1,
            kinds.join(",")
        );
        if panics > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    };
    let _ = std::fs::remove_dir_all(ctx.root());
    code
}

/// What one reader's campaign saw.
#[derive(Debug, Default)]
struct Tally {
    inputs: u64,
    panics: u64,
    aborts: u64,
    hangs: u64,
    kinds: BTreeMap<String, u64>,
    slowest_us: u64,
    slowest_index: u64,
    crash_files: Vec<PathBuf>,
}

/// How a child run ended.
enum ChildEnd {
    /// Exited by itself (0, or 1 after counted panics): stdout, stderr.
    Exited(String, String),
    /// Killed by a signal or an abnormal status (abort, out of memory).
    Died(String, String),
    /// Overran the chunk timeout and was killed.
    Hung(String),
}

fn spawn_child(args: &Args, reader: Reader, start: u64, count: u64, trace: bool) -> ChildEnd {
    let exe = std::env::current_exe().expect("own path");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -v "$1" && shift && exec "$@""#)
        .arg("sh")
        .arg((args.memory_mib * 1024).to_string())
        .arg(exe)
        .args(["--child", "--reader", reader.name()])
        .args(["--seed", &args.seed.to_string()])
        .args(["--start", &start.to_string()])
        .args(["--inputs", &count.to_string()])
        .arg("--crash-dir")
        .arg(&args.crash_dir);
    if let Some(s) = &args.scratch {
        cmd.arg("--scratch").arg(s);
    }
    if trace {
        cmd.arg("--trace");
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut proc = match cmd.spawn() {
        Ok(p) => p,
        Err(e) => return ChildEnd::Died(format!("spawn failed: {e}"), String::new()),
    };
    // Drain stderr on a thread (a tracing child writes a line per input).
    let stderr = proc.stderr.take().expect("piped");
    let reader_thread = std::thread::spawn(move || {
        let mut text = String::new();
        let mut last_trace = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("TRACE ") {
                last_trace = line;
            } else if text.len() < 64 * 1024 {
                text.push_str(&line);
                text.push('\n');
            }
        }
        if !last_trace.is_empty() {
            text.push_str(&last_trace);
            text.push('\n');
        }
        text
    });
    let stdout = proc.stdout.take().expect("piped");
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(stdout), &mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(args.chunk_timeout_s);
    let status = loop {
        match proc.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() > deadline => {
                let _ = proc.kill();
                let _ = proc.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let err = reader_thread.join().unwrap_or_default();
    let out = out_thread.join().unwrap_or_default();
    match status {
        None => ChildEnd::Hung(err),
        // 0: clean; 1: panics were caught and counted (RESULT line present).
        Some(s) if s.code() == Some(0) || (s.code() == Some(1) && out.contains("RESULT")) => {
            ChildEnd::Exited(out, err)
        }
        Some(s) => ChildEnd::Died(format!("{s}"), err),
    }
}

fn absorb(t: &mut Tally, out: &str, err: &str, start: u64) {
    for line in out.lines().filter(|l| l.starts_with("RESULT ")) {
        for field in line.split_whitespace().skip(1) {
            let (k, v) = field.split_once('=').unwrap_or((field, ""));
            match k {
                "panics" => t.panics += v.parse::<u64>().unwrap_or(0),
                "slowest_us" => {
                    let us = v.parse().unwrap_or(0);
                    if us > t.slowest_us {
                        t.slowest_us = us;
                        t.slowest_index = line
                            .split("slowest_index=")
                            .nth(1)
                            .and_then(|s| s.split_whitespace().next())
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(start);
                    }
                }
                "kinds" => {
                    for kv in v.split(',').filter(|s| !s.is_empty()) {
                        if let Some((name, n)) = kv.rsplit_once('=') {
                            *t.kinds.entry(name.to_owned()).or_default() +=
                                n.parse::<u64>().unwrap_or(0);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for line in err.lines().filter(|l| l.starts_with("PANIC")).take(3) {
        eprintln!("  {line}");
    }
}

/// Runs inputs `start..end` of `reader`, recovering from dead children; returns when done.
fn run_range(args: &Args, reader: Reader, mut start: u64, end: u64, t: &mut Tally) {
    while start < end {
        match spawn_child(args, reader, start, end - start, false) {
            ChildEnd::Exited(out, err) => {
                absorb(t, &out, &err, start);
                t.inputs += end - start;
                return;
            }
            first @ (ChildEnd::Died(..) | ChildEnd::Hung(_)) => {
                let how = match first {
                    ChildEnd::Died(status, _) => status,
                    _ => "overran the chunk timeout".to_owned(),
                };
                // Find the input: rerun the chunk with a line per input on stderr.
                let (last, kind) = match spawn_child(args, reader, start, end - start, true) {
                    ChildEnd::Died(_, err) => (last_trace(&err), "abort"),
                    ChildEnd::Hung(err) => (last_trace(&err), "hang"),
                    ChildEnd::Exited(out, err) => {
                        // Not reproducible in the trace run: count the chunk as one abort.
                        eprintln!("  a child died ({how}) but the traced rerun passed");
                        absorb(t, &out, &err, start);
                        t.inputs += end - start;
                        t.aborts += 1;
                        return;
                    }
                };
                let index = last.unwrap_or(start);
                let seeds = reader.seeds().unwrap_or_default();
                let bytes = reader.input(&seeds, args.seed, index);
                let _ = std::fs::create_dir_all(&args.crash_dir);
                let path = args.crash_dir.join(format!(
                    "{}-s{}-i{index}.{kind}",
                    reader.name(),
                    args.seed
                ));
                let _ = std::fs::write(&path, &bytes);
                eprintln!(
                    "  {} {kind}: input {index} ({} bytes) saved to {}",
                    reader.name(),
                    bytes.len(),
                    path.display()
                );
                if kind == "hang" {
                    t.hangs += 1;
                } else {
                    t.aborts += 1;
                }
                t.crash_files.push(path);
                // The inputs before it ran in the traced child; count them and move on.
                t.inputs += index + 1 - start;
                start = index + 1;
            }
        }
    }
}

fn last_trace(err: &str) -> Option<u64> {
    err.lines()
        .rev()
        .find_map(|l| l.strip_prefix("TRACE "))
        .and_then(|s| s.trim().parse().ok())
}

fn supervise(args: &Args) -> ExitCode {
    let mut failed = false;
    println!(
        "seed {} | memory limit {} MiB (ulimit -v) | chunk {} inputs | 1 thread per child",
        args.seed, args.memory_mib, args.chunk
    );
    for &reader in &args.readers {
        let t0 = Instant::now();
        let mut tally = Tally::default();
        let mut start = args.start;
        let end = args.start + args.inputs;
        while start < end {
            let stop = (start + args.chunk).min(end);
            run_range(args, reader, start, stop, &mut tally);
            start = stop;
        }
        let secs = t0.elapsed().as_secs_f64();
        let kinds: Vec<String> = tally
            .kinds
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!(
            "{:<12} inputs {:>9}  panics {}  aborts {}  hangs {}  {:>8.1} s  {:>9.0} inputs/s  \
             slowest {:.1} ms (input {})",
            reader.name(),
            tally.inputs,
            tally.panics,
            tally.aborts,
            tally.hangs,
            secs,
            tally.inputs as f64 / secs.max(1e-9),
            tally.slowest_us as f64 / 1000.0,
            tally.slowest_index
        );
        println!("             outcomes: {}", kinds.join(", "));
        let _ = std::io::stdout().flush();
        if tally.panics + tally.aborts + tally.hangs > 0 {
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

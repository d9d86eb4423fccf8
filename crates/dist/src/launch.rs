//! A cluster of local processes on loopback: for trying a partitioned run on one machine
//! and for tests.
//!
//! [`run_local`] picks free loopback ports, writes a host file, starts one process per
//! index with the same command plus the process flags, sends each process's output to its
//! own log file, and stops every process soon after one fails.
//!
//! "Soon after", not "at once": a failure every process agreed on (a refused input, a bad
//! row) makes each of them print the reason and exit by itself within milliseconds of the
//! first. Killing the others the instant the first one exits cut those messages from their
//! logs, so the launcher gives them [`STOP_GRACE`] to finish on their own and kills whatever
//! is still running after it. A process that is stuck (or waiting on a dead peer) is
//! therefore killed at most [`STOP_GRACE`] after the first failure.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster::DistError;

/// How long the other processes get to exit by themselves after one fails, before they are
/// killed (see the module's documentation).
pub const STOP_GRACE: Duration = Duration::from_secs(3);

/// What to run on a local cluster.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    /// The program (normally the running `tierank` binary).
    pub program: PathBuf,
    /// Its arguments, the same for every process (the process flags are appended).
    pub args: Vec<String>,
    /// Number of processes.
    pub processes: usize,
    /// Worker threads per process.
    pub workers: usize,
    /// Directory of the host file and of one log per process (`process-I.log`).
    pub log_dir: PathBuf,
}

/// Log file of process `index` in `log_dir`.
pub fn log_path(log_dir: &Path, index: usize) -> PathBuf {
    log_dir.join(format!("process-{index}.log"))
}

/// Asks the system for `n` free loopback ports (bound together, then released).
fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// The events budget of each of `processes` local processes: they share one machine, so
/// they share the one budget a single process would take
/// ([`tierank_io::memory::DECODED_EVENTS_BUDGET`]; `large` at two processes was killed by
/// the OOM killer at 12.2 GB in one process when each held 4 GiB of events on a 24 GiB
/// machine). `None` when the caller set [`crate::rank::EVENTS_BUDGET_ENV`] itself, which
/// every process then inherits.
fn child_events_budget(processes: usize, set_by_caller: bool) -> Option<u64> {
    (!set_by_caller)
        .then(|| (tierank_io::memory::decoded_events_budget() / processes.max(1) as u64).max(1))
}

/// Starts the cluster and waits for it.
///
/// # Errors
/// [`DistError::Spawn`] when a process cannot be started or waited for;
/// [`DistError::ProcessFailed`] naming the first process seen to exit unsuccessfully, after
/// every other process exited or, [`STOP_GRACE`] later, was killed.
pub fn run_local(cluster: &LocalCluster) -> Result<(), DistError> {
    let spawn_err = |index| move |source| DistError::Spawn { index, source };
    std::fs::create_dir_all(&cluster.log_dir).map_err(spawn_err(0))?;
    let ports = free_ports(cluster.processes).map_err(spawn_err(0))?;
    let hostfile = cluster.log_dir.join("hosts.txt");
    let hosts: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    std::fs::write(&hostfile, hosts).map_err(spawn_err(0))?;
    let mut children: Vec<Option<Child>> = Vec::with_capacity(cluster.processes);
    for index in 0..cluster.processes {
        let log = File::create(log_path(&cluster.log_dir, index)).map_err(spawn_err(index))?;
        let log2 = log.try_clone().map_err(spawn_err(index))?;
        let mut command = Command::new(&cluster.program);
        if let Some(budget) = child_events_budget(
            cluster.processes,
            std::env::var_os(crate::rank::EVENTS_BUDGET_ENV).is_some(),
        ) {
            command.env(crate::rank::EVENTS_BUDGET_ENV, budget.to_string());
        }
        let child = command
            .args(&cluster.args)
            .arg("--processes")
            .arg(cluster.processes.to_string())
            .arg("--process")
            .arg(index.to_string())
            .arg("--workers")
            .arg(cluster.workers.to_string())
            .arg("--hostfile")
            .arg(&hostfile)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn();
        match child {
            Ok(c) => children.push(Some(c)),
            Err(source) => {
                kill_all(&mut children);
                return Err(DistError::Spawn { index, source });
            }
        }
    }
    loop {
        let mut running = 0;
        let mut failed = None;
        for (index, slot) in children.iter_mut().enumerate() {
            let Some(child) = slot.as_mut() else {
                continue;
            };
            match child.try_wait() {
                Ok(None) => running += 1,
                Ok(Some(status)) if status.success() => *slot = None,
                Ok(Some(status)) => {
                    *slot = None;
                    failed = Some(DistError::ProcessFailed {
                        index,
                        status: status.to_string(),
                        code: status.code(),
                        log: log_path(&cluster.log_dir, index),
                    });
                    break;
                }
                Err(source) => {
                    failed = Some(DistError::Spawn { index, source });
                    break;
                }
            }
        }
        if let Some(err) = failed {
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline && reap_exited(&mut children) > 0 {
                std::thread::sleep(Duration::from_millis(20));
            }
            kill_all(&mut children);
            return Err(err);
        }
        if running == 0 {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reaps the children that have exited; returns how many are still running.
fn reap_exited(children: &mut [Option<Child>]) -> usize {
    let mut running = 0;
    for slot in children.iter_mut() {
        if let Some(child) = slot.as_mut() {
            match child.try_wait() {
                Ok(Some(_)) => *slot = None,
                // Still running, or its state unknown: counted as running, killed later.
                Ok(None) | Err(_) => running += 1,
            }
        }
    }
    running
}

/// Kills (SIGKILL) and reaps every child still running.
fn kill_all(children: &mut [Option<Child>]) {
    for child in children.iter_mut().filter_map(Option::take) {
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_processes_share_one_events_budget_unless_the_caller_sets_it() {
        let whole = tierank_io::memory::decoded_events_budget();
        assert_eq!(child_events_budget(1, false), Some(whole));
        assert_eq!(child_events_budget(2, false), Some(whole / 2));
        assert_eq!(child_events_budget(3, false), Some(whole / 3));
        assert_eq!(child_events_budget(2, true), None);
    }

    /// A cluster of `sh -c SCRIPT`: the process flags land in `$1`..`$8`, so `$4` is the
    /// process index.
    fn shell_cluster(name: &str, script: &str) -> LocalCluster {
        let log_dir =
            std::env::temp_dir().join(format!("tierank-launch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&log_dir);
        LocalCluster {
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), script.into(), "sh".into()],
            processes: 3,
            workers: 1,
            log_dir,
        }
    }

    #[test]
    fn the_others_print_their_own_refusal_before_they_are_stopped() {
        // Process 1 fails at once; the others fail by themselves 0.3 s later, as processes
        // that agreed on a refused input do. Killing them at the first exit (as the launcher
        // did) cut their message from their logs.
        let cluster = shell_cluster(
            "grace",
            r#"if [ "$4" = 1 ]; then echo refused; exit 2; fi; sleep 0.3; echo refused too; exit 2"#,
        );
        let err = run_local(&cluster).unwrap_err();
        assert!(
            matches!(
                err,
                DistError::ProcessFailed {
                    index: 1,
                    code: Some(2),
                    ..
                }
            ),
            "{err:?}"
        );
        for p in [0, 2] {
            let log = std::fs::read_to_string(log_path(&cluster.log_dir, p)).unwrap();
            assert!(log.contains("refused too"), "process {p}: {log:?}");
        }
        std::fs::remove_dir_all(&cluster.log_dir).unwrap();
    }

    #[test]
    fn a_process_that_does_not_stop_is_killed_after_the_grace() {
        let cluster = shell_cluster(
            "stuck",
            r#"if [ "$4" = 2 ]; then exit 1; fi; exec sleep 600"#,
        );
        let t = Instant::now();
        let err = run_local(&cluster).unwrap_err();
        assert!(
            matches!(err, DistError::ProcessFailed { index: 2, .. }),
            "{err:?}"
        );
        let took = t.elapsed();
        assert!(took >= STOP_GRACE, "killed before the grace: {took:?}");
        assert!(
            took < STOP_GRACE + Duration::from_secs(30),
            "not killed: {took:?}"
        );
        std::fs::remove_dir_all(&cluster.log_dir).unwrap();
    }
}

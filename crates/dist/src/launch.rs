//! A cluster of local processes on loopback: for trying a partitioned run on one machine
//! and for tests.
//!
//! [`run_local`] picks free loopback ports, writes a host file, starts one process per
//! index with the same command plus the process flags, sends each process's output to its
//! own log file, and stops every process as soon as one fails.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::cluster::DistError;

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

/// Starts the cluster and waits for it.
///
/// # Errors
/// [`DistError::Spawn`] when a process cannot be started or waited for;
/// [`DistError::ProcessFailed`] naming the first process seen to exit unsuccessfully, after
/// every other process was killed.
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
        let child = Command::new(&cluster.program)
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
            kill_all(&mut children);
            return Err(err);
        }
        if running == 0 {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills (SIGKILL) and reaps every child still running.
fn kill_all(children: &mut [Option<Child>]) {
    for child in children.iter_mut().filter_map(Option::take) {
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
    }
}

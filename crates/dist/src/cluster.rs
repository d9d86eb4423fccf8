//! Who is in the cluster, who owns whom, and how that becomes a timely configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tierank_format::PersonId;

/// Errors of a partitioned run.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// The process flags contradict each other or the host file (a usage error).
    #[error("{0}")]
    Usage(String),
    /// The host file could not be read.
    #[error("cannot read host file {path}: {source}")]
    Hostfile {
        /// The host file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// timely could not start (for instance a port already in use).
    #[error("cannot start the timely workers: {0}")]
    Start(String),
    /// A worker failed; the message names the worker and the error.
    #[error("{0}")]
    Worker(String),
    /// The input is bad (a bad row in some worker's share, an unknown target): every
    /// process of the run reports the same error, naming file, column and row where there
    /// is one.
    #[error("{0}")]
    Input(String),
    /// A process of a local cluster could not be started or waited for.
    #[error("process {index}: {source}")]
    Spawn {
        /// Index of the process.
        index: usize,
        /// Why.
        source: std::io::Error,
    },
    /// A process of a local cluster exited unsuccessfully; the others were stopped.
    #[error("process {index} failed ({status}); its log: {log}")]
    ProcessFailed {
        /// Index of the process.
        index: usize,
        /// Its exit status, in words.
        status: String,
        /// Its exit code, when it exited (not killed by a signal).
        code: Option<i32>,
        /// Its log file.
        log: PathBuf,
    },
}

/// Default time allowed for every peer to connect before a process gives up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where this process stands in a cluster of `processes` × `workers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// Number of processes (`-n/--processes`).
    pub processes: usize,
    /// Index of this process, `0..processes` (`-p/--process`).
    pub process: usize,
    /// Worker threads per process (`-w/--workers`).
    pub workers: usize,
    /// `host:port` of every process, in process order (from `--hostfile`); empty for one
    /// process.
    pub addresses: Vec<String>,
    /// How long to wait for every peer to connect before exiting with an error naming the
    /// peers that cannot be reached.
    pub connect_timeout: Duration,
}

impl ClusterSpec {
    /// One process with `workers` threads: no network.
    pub fn single(workers: usize) -> Self {
        Self {
            processes: 1,
            process: 0,
            workers,
            addresses: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Checks the flags of a process and reads the host file.
    ///
    /// # Errors
    /// [`DistError::Usage`] when `processes` or `workers` is 0, `process >= processes`, more
    /// than one process is asked for without a host file, or the host file lists fewer
    /// addresses than processes; [`DistError::Hostfile`] when it cannot be read.
    pub fn new(
        processes: usize,
        process: usize,
        workers: usize,
        hostfile: Option<&Path>,
        connect_timeout: Duration,
    ) -> Result<Self, DistError> {
        let usage = |m: String| Err(DistError::Usage(m));
        if processes == 0 {
            return usage("--processes must be at least 1".into());
        }
        if workers == 0 {
            return usage("--workers must be at least 1".into());
        }
        if process >= processes {
            return usage(format!(
                "--process {process} is not below --processes {processes}"
            ));
        }
        let addresses = match hostfile {
            None if processes > 1 => {
                return usage(format!(
                    "--processes {processes} needs --hostfile FILE (one host:port per process)"
                ));
            }
            None => Vec::new(),
            Some(path) => {
                let all = read_hostfile(path)?;
                if all.len() < processes {
                    return usage(format!(
                        "--hostfile {} lists {} addresses for {processes} processes",
                        path.display(),
                        all.len()
                    ));
                }
                all.into_iter().take(processes).collect()
            }
        };
        Ok(Self {
            processes,
            process,
            workers,
            addresses,
            connect_timeout,
        })
    }

    /// Total number of workers in the cluster.
    pub fn total_workers(&self) -> usize {
        self.processes * self.workers
    }

    /// The timely configuration of this process.
    pub fn timely_config(&self) -> timely::Config {
        let communication = if self.processes == 1 {
            timely::CommunicationConfig::Process(self.workers)
        } else {
            timely::CommunicationConfig::Cluster {
                threads: self.workers,
                process: self.process,
                addresses: self.addresses.clone(),
                report: false,
                zerocopy: false,
            }
        };
        timely::Config {
            communication,
            worker: timely::WorkerConfig::default(),
        }
    }
}

/// Reads a host file: one `host:port` per line, process 0 first; blank lines and lines
/// starting with `#` are skipped (timely's format, plus comments).
///
/// # Errors
/// [`DistError::Hostfile`] when the file cannot be read.
pub fn read_hostfile(path: &Path) -> Result<Vec<String>, DistError> {
    let text = std::fs::read_to_string(path).map_err(|source| DistError::Hostfile {
        path: path.to_owned(),
        source,
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// The worker that owns `person` among `workers` workers: `splitmix64(person as u64) %
/// workers`.
///
/// SplitMix64's finaliser (Steele, Lea & Flood 2014) spreads consecutive ids evenly, is
/// fixed (no per-run random state, unlike `std`'s `RandomState`), and is cheap to reproduce
/// in any language, so another tool can tell which worker held a person.
pub fn owner_of(person: PersonId, workers: usize) -> usize {
    // Ids are non-negative (the loader refuses negative ones); the cast keeps the bits.
    let mut z = (person as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % workers.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_cover_every_worker_evenly() {
        let workers = 6;
        let mut counts = vec![0usize; workers];
        for p in 0..60_000 {
            counts[owner_of(p, workers)] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{c}");
        }
        // The documented value, so a change of hash is a visible, deliberate break.
        assert_eq!(owner_of(0, 1_000_003), 0xE220_A839_7B1D_CDAF % 1_000_003);
    }

    #[test]
    fn flags_are_checked() {
        let t = DEFAULT_CONNECT_TIMEOUT;
        assert!(ClusterSpec::new(0, 0, 1, None, t).is_err());
        assert!(ClusterSpec::new(2, 2, 1, None, t).is_err());
        assert!(ClusterSpec::new(2, 0, 1, None, t).is_err());
        assert!(ClusterSpec::new(1, 0, 0, None, t).is_err());
        let dir = tempfile::tempdir().unwrap();
        let hosts = dir.path().join("hosts");
        std::fs::write(&hosts, "# two\n127.0.0.1:1\n\n127.0.0.1:2\n").unwrap();
        let spec = ClusterSpec::new(2, 1, 3, Some(&hosts), t).unwrap();
        assert_eq!(spec.addresses, ["127.0.0.1:1", "127.0.0.1:2"]);
        assert_eq!(spec.total_workers(), 6);
        assert!(ClusterSpec::new(3, 1, 3, Some(&hosts), t).is_err());
    }
}

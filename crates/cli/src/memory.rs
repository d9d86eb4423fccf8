//! The `--memory-limit` flag of the memory guard (`tierank_api::memory`): a command
//! estimates the memory it needs before it starts and refuses, with exit code 2 and the
//! estimate, when it exceeds the limit (default: the memory available now).

use tierank_api::MemoryLimit;

use crate::util::api_error;

/// The `--memory-limit` flag, shared by every command that generates or loads a dataset.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MemoryArgs {
    /// Refuse to start when the estimated peak memory exceeds SIZE (bytes, or with a suffix
    /// K, M, G, T: powers of 1024, e.g. 8G, 512M). Default: MemAvailable from /proc/meminfo;
    /// where that cannot be read, no limit.
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

impl MemoryArgs {
    /// The request's memory limit.
    ///
    /// # Errors
    /// A bad-input error for a malformed size.
    pub fn limit(&self) -> anyhow::Result<MemoryLimit> {
        match &self.memory_limit {
            Some(text) => MemoryLimit::parse(text).map_err(api_error),
            None => Ok(MemoryLimit::Available),
        }
    }
}

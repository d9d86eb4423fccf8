//! The settings of loading a dataset, shared by every request that loads one (`rank`,
//! `compare`, `select`, `stats`): one field block, parsed in one place, so the same flags
//! load the same graph from any command or front end.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tierank_io::{LoadOptions, OpenedGraph};

use crate::error::ApiError;
use crate::memory::MemoryLimit;
use crate::params::HeuristicParams;
use crate::{Progress, check_cancelled};

/// How a request loads its dataset and configures its heuristics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSettings {
    /// Heuristic parameters, the half-life, the seed and the event window.
    pub params: HeuristicParams,
    /// Refuse self-loops, duplicate ties and events between non-friends.
    pub strict: bool,
    /// The memory guard (not recorded: it does not change the output).
    #[serde(skip)]
    pub memory: MemoryLimit,
    /// Load the dataset's Parquet files even when it holds an up-to-date graph snapshot
    /// (`tierank index`); `false` opens the snapshot.
    #[serde(default)]
    pub no_snapshot: bool,
}

impl LoadSettings {
    /// The loader's options: half-life, strictness, event window.
    ///
    /// # Errors
    /// A bad-input error naming the flag.
    pub fn load_options(&self) -> Result<LoadOptions, ApiError> {
        Ok(LoadOptions {
            half_life_ms: self.params.half_life_ms()?,
            strict: self.strict,
            window: self.params.window.spec()?,
        })
    }

    /// Checks the memory guard, then loads `data` (a dataset directory or a snapshot file)
    /// with `opts` (from [`Self::load_options`]) through [`crate::load_graph`], the one
    /// place requests get a graph.
    ///
    /// # Errors
    /// Bad input for a dataset that is wrong or too large for the memory guard; a failure
    /// for an I/O error; [`ApiError::Cancelled`] when `progress` asks to stop first.
    pub fn open(
        &self,
        data: &Path,
        opts: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<OpenedGraph, ApiError> {
        crate::memory::check_load(&self.memory, data)?;
        check_cancelled(progress)?;
        crate::load_graph(data, opts, !self.no_snapshot)
    }
}

/// Moves the load settings of a request recorded before [`LoadSettings`] existed (top-level
/// `params`, `strict` and `no_snapshot`) under `load`, so that older records (`audit.json`
/// of `select`) still read; a request in the current shape is left as it is.
pub fn nest_load_settings(value: &mut Value) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if map.contains_key("load") || !map.contains_key("params") {
        return;
    }
    let mut load = Map::new();
    for key in ["params", "strict", "no_snapshot"] {
        if let Some(v) = map.remove(key) {
            load.insert(key.to_owned(), v);
        }
    }
    map.insert("load".to_owned(), Value::Object(load));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_record_is_nested_and_a_nested_one_left_alone() {
        let mut flat = serde_json::json!({"data": "d", "params": {"seed": 1}, "strict": true});
        nest_load_settings(&mut flat);
        assert_eq!(
            flat,
            serde_json::json!({"data": "d", "load": {"params": {"seed": 1}, "strict": true}})
        );
        let nested = flat.clone();
        nest_load_settings(&mut flat);
        assert_eq!(flat, nested);
    }
}

//! Heuristics that read only the target's own ties.

use crate::Entry;

/// Registry entries of this module.
pub(crate) const ENTRIES: &[Entry] = &[];

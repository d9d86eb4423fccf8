//! Heuristics that read the friends' friends, and personalized PageRank.

use crate::Entry;

/// Registry entries of this module.
pub(crate) const ENTRIES: &[Entry] = &[];

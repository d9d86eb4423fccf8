//! The ranked row as it travels to worker 0, and the fault-drill switch shared by the
//! partitioned runs ([`crate::partition`]).

use tierank_format::PersonId;

/// One ranked row on the wire: position of the target in the target list, target person,
/// heuristic index, rank (from 1), alter person, score.
pub type WireRow = (u32, PersonId, u8, u32, PersonId, f64);

/// Bytes one [`WireRow`] takes on the wire (bincode: 4 + 8 + 1 + 4 + 8 + 8).
pub const WIRE_ROW_BYTES: u64 = 33;

/// Environment variable: milliseconds every worker waits after all processes connected,
/// before ranking. For fault drills and the failure tests (kill a process while its peers
/// are connected); unset in normal runs.
pub const HOLD_ENV: &str = "TIERANK_DIST_HOLD_MS";

/// Environment variable: bytes of held events a process keeps in memory during the
/// partitioned load (split between its workers) before it spills later sender ranges to
/// temporary files; unset, [`tierank_io::memory::DECODED_EVENTS_BUDGET`]. For tests, which
/// force a spill on small datasets; the graph does not depend on it.
pub const EVENTS_BUDGET_ENV: &str = "TIERANK_DIST_EVENTS_BUDGET";

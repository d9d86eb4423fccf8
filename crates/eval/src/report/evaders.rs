//! The report's "Evaders" section: every row's precision and exposure on evaders and on
//! everyone else, shown only when the truth marks evaders (the `evasion` scenario).

use std::fmt::Write;

use super::{Index, SummaryRow, cell, esc};
use crate::evaluate::{Evaluation, Metric, Stratum};

/// The section's HTML, or an empty string when no metric has an evader stratum.
pub(super) fn section(e: &Evaluation, rows: &[SummaryRow], index: &Index<'_>, fk: usize) -> String {
    let (yes, no) = (Stratum::Evader(true), Stratum::Evader(false));
    if !e.metrics.iter().any(|r| r.stratum == yes) {
        return String::new();
    }
    let count = |s: Stratum| {
        e.metrics
            .iter()
            .filter(|r| r.stratum == s && r.metric == Metric::Precision && r.k == Some(fk as u32))
            .map(|r| r.targets)
            .max()
            .unwrap_or(0)
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<h2>Evaders</h2><p class=\"caption\">Targets who hide their closest ties (planted evaders, {} evaluated) against everyone else ({}): precision@{fk} and strangers exposed in the top {fk}, with 95% intervals. A heuristic that survives evasion keeps its precision on evaders.</p><table><tr><th class=\"name\">heuristic</th><th>precision@{fk}, evaders</th><th>precision@{fk}, others</th><th>exposure@{fk}, evaders</th><th>exposure@{fk}, others</th></tr>",
        count(yes),
        count(no)
    );
    for r in rows {
        let name = r.heuristic.as_str();
        let _ = write!(
            h,
            "<tr><td class=\"name\">{}</td>{}{}{}{}</tr>",
            esc(name),
            cell(index.get(name, Some(fk), Metric::Precision, yes), 3),
            cell(index.get(name, Some(fk), Metric::Precision, no), 3),
            cell(index.get(name, Some(fk), Metric::Exposure, yes), 2),
            cell(index.get(name, Some(fk), Metric::Exposure, no), 2),
        );
    }
    h.push_str("</table>");
    h
}

//! The verdict at the top of the report: at each evaluated `k`, which heuristic exposes the
//! fewest strangers, with its interval, which heuristics are statistically tied with it, and
//! what the best cheap (ego-only) heuristic costs in strangers against it.
//!
//! Ties are decided by a paired bootstrap on the same targets: the per-target difference in
//! exposure@k between a heuristic and the best is resampled with the evaluation's own
//! resamples (same seed, so the same draws as every interval of the report), and the two are
//! tied when the interval of the mean difference reaches 0. Pairing matters: two heuristics
//! whose intervals overlap can still differ reliably on the same targets.

use std::collections::HashMap;

use crate::bootstrap::Resamples;
use crate::evaluate::{Evaluation, Metric, Stratum};
use crate::report::{Estimate, RowKind};

/// The cost class of heuristics that read only the target's own ties (see
/// `tierank_heuristics::CostClass::Ego`): the cheap ones.
pub const CHEAP_COST_CLASS: &str = "ego";

/// Another heuristic compared with the best on the same targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Heuristic name.
    pub heuristic: String,
    /// Its mean exposure@k, with interval.
    pub exposure: Estimate,
    /// Mean over targets of (its exposure@k − the best's), with the paired bootstrap
    /// interval: the extra strangers per target it shows.
    pub extra: Estimate,
}

impl Comparison {
    /// Tied with the best: the paired interval reaches 0 (without intervals: no difference
    /// at all).
    pub fn tied(&self) -> bool {
        match self.extra.ci {
            Some((lo, _)) => lo <= 0.0,
            None => self.extra.value <= 0.0,
        }
    }
}

/// The verdict at one `k`.
#[derive(Debug, Clone, PartialEq)]
pub struct KVerdict {
    /// The cut-off: a notice about a target goes to its top `k` friends.
    pub k: usize,
    /// The heuristic with the lowest mean exposure@k (ties by precision@k, then name).
    pub best: String,
    /// Its mean exposure@k: strangers shown per target.
    pub exposure: Estimate,
    /// Its mean precision@k.
    pub precision: Option<Estimate>,
    /// Every other candidate, best first, with its paired difference.
    pub others: Vec<Comparison>,
    /// The best cheap heuristic when the best is not cheap.
    pub cheap: Option<Comparison>,
    /// Whether the best is itself cheap.
    pub best_is_cheap: bool,
}

impl KVerdict {
    /// The heuristics statistically tied with the best.
    pub fn tied(&self) -> impl Iterator<Item = &Comparison> {
        self.others.iter().filter(|c| c.tied())
    }
}

/// Whether a row may be recommended: not the oracle, not the random floor, not a row
/// measured on minimised data (`NAME+minimized` answers another question).
fn candidate(name: &str) -> bool {
    RowKind::of(name) == RowKind::Heuristic && !name.ends_with("+minimized")
}

/// The verdict at every evaluated `k`, ascending. Empty when no heuristic besides the
/// oracle and random was evaluated.
pub fn verdict(e: &Evaluation) -> Vec<KVerdict> {
    let mut ks = e.options.ks.clone();
    ks.sort_unstable();
    ks.dedup();
    let n = e.targets.len();
    let resamples = Resamples::draw(n, e.options.resamples, e.options.seed);
    let cost: HashMap<&str, &str> = e
        .timings
        .iter()
        .map(|t| (t.heuristic.as_str(), t.cost_class.as_str()))
        .collect();
    let names: Vec<(usize, &str)> = e
        .heuristics
        .iter()
        .enumerate()
        .filter(|(_, h)| candidate(h))
        .map(|(i, h)| (i, h.as_str()))
        .collect();
    let mut out = Vec::new();
    for &k in &ks {
        // Per-target exposure@k of each candidate, by target index.
        let mut values: HashMap<usize, Vec<Option<f64>>> = HashMap::new();
        for r in &e.per_target {
            if r.metric == Metric::Exposure
                && r.stratum == Stratum::All
                && r.k == Some(k as u32)
                && names.iter().any(|(i, _)| *i == r.heuristic)
            {
                values.entry(r.heuristic).or_insert_with(|| vec![None; n])[r.target] =
                    Some(r.value);
            }
        }
        let get = |h: &str, m: Metric| -> Option<Estimate> {
            e.metric(h, Some(k), m, Stratum::All).map(Estimate::from)
        };
        let mut ranked: Vec<(&str, usize, Estimate, Option<Estimate>)> = names
            .iter()
            .filter_map(|&(i, h)| {
                Some((h, i, get(h, Metric::Exposure)?, get(h, Metric::Precision)))
            })
            .collect();
        ranked.sort_by(|a, b| {
            a.2.value
                .total_cmp(&b.2.value)
                .then_with(|| {
                    let p = |x: &Option<Estimate>| x.map_or(f64::NEG_INFINITY, |p| p.value);
                    p(&b.3).total_cmp(&p(&a.3))
                })
                .then(a.0.cmp(b.0))
        });
        let Some(&(best, best_index, exposure, precision)) = ranked.first() else {
            continue;
        };
        let best_values = values.get(&best_index).cloned().unwrap_or_default();
        let compare = |h: &str, i: usize, ex: Estimate| -> Comparison {
            let mine = values.get(&i).cloned().unwrap_or_default();
            let diffs: Vec<(u32, f64)> = (0..n)
                .filter_map(|t| {
                    let a = (*mine.get(t)?)?;
                    let b = (*best_values.get(t)?)?;
                    Some((t as u32, a - b))
                })
                .collect();
            let s = resamples.summarise(&diffs, e.options.confidence);
            Comparison {
                heuristic: h.to_owned(),
                exposure: ex,
                extra: Estimate {
                    value: s.mean,
                    ci: s.ci,
                },
            }
        };
        let others: Vec<Comparison> = ranked[1..]
            .iter()
            .map(|&(h, i, ex, _)| compare(h, i, ex))
            .collect();
        let is_cheap = |h: &str| cost.get(h).is_some_and(|c| *c == CHEAP_COST_CLASS);
        let best_is_cheap = is_cheap(best);
        let cheap = if best_is_cheap {
            None
        } else {
            others.iter().find(|c| is_cheap(&c.heuristic)).cloned()
        };
        out.push(KVerdict {
            k,
            best: best.to_owned(),
            exposure,
            precision,
            others,
            cheap,
            best_is_cheap,
        });
    }
    out
}

fn interval(e: &Estimate, digits: usize) -> String {
    match e.ci {
        Some((lo, hi)) => format!("{:.digits$} [{lo:.digits$}, {hi:.digits$}]", e.value),
        None => format!("{:.digits$}", e.value),
    }
}

fn signed_interval(e: &Estimate) -> String {
    match e.ci {
        Some((lo, hi)) => format!("{:+.2} [{lo:+.2}, {hi:+.2}]", e.value),
        None => format!("{:+.2}", e.value),
    }
}

/// The verdict section of `report.html`: a sentence at the focus `k`, then one row per
/// evaluated `k`. Empty when there is nothing to recommend.
pub fn verdict_html(e: &Evaluation, verdicts: &[KVerdict], focus: usize) -> String {
    use std::fmt::Write;

    use super::svg::esc;
    let Some(v) = verdicts.iter().find(|v| v.k == focus).or(verdicts.first()) else {
        return String::new();
    };
    let pct = (e.options.confidence * 100.0).round();
    let layer = e.options.relevant_layer;
    let mut h = String::new();
    let _ = write!(
        h,
        "<h2>Verdict</h2><p class=\"verdict\">For a notice to each target's top {k} friends, use <b>{best}</b>: it shows <b>{ex}</b> strangers per target (friends outside layers 1–{layer}; {pct}% interval in brackets), precision@{k} {p}.",
        k = v.k,
        best = esc(&v.best),
        ex = interval(&v.exposure, 2),
        p = v.precision.map_or("–".to_owned(), |p| interval(&p, 3)),
    );
    let tied: Vec<String> = v
        .tied()
        .map(|c| {
            format!(
                "{} ({} strangers per target)",
                esc(&c.heuristic),
                signed_interval(&c.extra)
            )
        })
        .collect();
    if tied.is_empty() {
        h.push_str(" No other heuristic is statistically tied with it on the same targets.");
    } else {
        let _ = write!(
            h,
            " Statistically tied with it (paired bootstrap on the same targets: the interval of the difference reaches 0): {}.",
            tied.join(", ")
        );
    }
    if v.best_is_cheap {
        h.push_str(" It is itself cheap (it reads only the target's own ties).");
    } else if let Some(c) = &v.cheap {
        let _ = write!(
            h,
            " The best cheap heuristic (reading only the target's own ties), <b>{}</b>, shows {} more strangers per target, about {:.0} more over {} targets{}.",
            esc(&c.heuristic),
            signed_interval(&c.extra),
            c.extra.value * e.targets.len() as f64,
            e.targets.len(),
            if c.tied() {
                "; the difference is within chance"
            } else {
                ""
            }
        );
    }
    h.push_str("</p>");
    let _ = write!(
        h,
        "<p class=\"caption\">At each cut-off k of this run (a <code>top-k:K</code> selection reads the row of its K): the heuristic with the fewest strangers in the top k, the heuristics tied with it, and the extra strangers per target of the best cheap heuristic. docs/comparing.md explains the verdict.</p><div class=\"scroll\"><table><tr><th>k</th><th class=\"name\">use</th><th>strangers per target</th><th>precision@k</th><th class=\"name\">tied with it</th><th class=\"name\">best cheap</th><th>its extra strangers per target</th></tr>"
    );
    for v in verdicts {
        let tied: Vec<String> = v.tied().map(|c| esc(&c.heuristic)).collect();
        let (cheap, extra) = if v.best_is_cheap {
            ("(the best is cheap)".to_owned(), "–".to_owned())
        } else {
            match &v.cheap {
                Some(c) => (esc(&c.heuristic), signed_interval(&c.extra)),
                None => ("–".to_owned(), "–".to_owned()),
            }
        };
        let _ = write!(
            h,
            "<tr{cls}><td>{k}</td><td class=\"name\">{best}</td><td>{ex}</td><td>{p}</td><td class=\"name wrap\">{tied}</td><td class=\"name\">{cheap}</td><td>{extra}</td></tr>",
            cls = if v.k == focus { " class=\"focus\"" } else { "" },
            k = v.k,
            best = esc(&v.best),
            ex = interval(&v.exposure, 2),
            p = v.precision.map_or("–".to_owned(), |p| interval(&p, 3)),
            tied = if tied.is_empty() {
                "none".to_owned()
            } else {
                tied.join(", ")
            },
        );
    }
    h.push_str("</table></div>");
    h
}

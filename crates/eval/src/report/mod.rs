//! The human-readable side of an evaluation: the summary table (printed by `tierank compare`
//! and repeated in the report) and `report.html`, one self-contained file with inline CSS
//! and inline SVG charts drawn here, readable offline, with no script, font or stylesheet
//! fetched from anywhere.
//!
//! Every chart and table is explained for readers in `docs/comparing.md` ("The report").

use std::collections::HashMap;
use std::fmt::Write;

use crate::evaluate::{AgreementMeasure, Evaluation, Metric, MetricRow, ORACLE, Stratum};
use crate::learned::LearnedModel;
use crate::sample::DegreeBucket;
use tierank_format::Relation;
use tierank_format::schema::OUTSIDE_LAYERS;

pub mod svg;
pub mod verdict;

use svg::{Chart, PALETTE, esc};

mod evaders;

/// The cut-off the report focuses on: 15 (the ~15 closest people) when evaluated, else the
/// largest evaluated cut-off below 15, else the smallest.
pub fn focus_k(ks: &[usize]) -> usize {
    let mut ks = ks.to_vec();
    ks.sort_unstable();
    if ks.contains(&15) {
        return 15;
    }
    ks.iter()
        .rev()
        .find(|&&k| k < 15)
        .or(ks.first())
        .copied()
        .unwrap_or(15)
}

/// A mean with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub value: f64,
    /// The bootstrap interval, when computed.
    pub ci: Option<(f64, f64)>,
}

impl From<&MetricRow> for Estimate {
    fn from(r: &MetricRow) -> Self {
        Self {
            value: r.value,
            ci: r.ci_low.zip(r.ci_high),
        }
    }
}

/// What a summary row is, for marking it in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// The planted-truth ceiling.
    Oracle,
    /// The chance floor (`random`, or `random+minimized`).
    Random,
    /// Any other heuristic.
    Heuristic,
}

impl RowKind {
    fn of(name: &str) -> Self {
        if name == ORACLE {
            RowKind::Oracle
        } else if name == "random" || name.starts_with("random+") {
            RowKind::Random
        } else {
            RowKind::Heuristic
        }
    }
}

/// One row of the summary table: a heuristic's headline numbers on all targets.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Heuristic name.
    pub heuristic: String,
    /// Oracle, random or other.
    pub kind: RowKind,
    /// `precision@k` at every evaluated `k`, ascending.
    pub precision: Vec<(usize, Option<Estimate>)>,
    /// `recall@k` at the focus `k`.
    pub recall: Option<Estimate>,
    /// `ndcg@k` at the focus `k`.
    pub ndcg: Option<Estimate>,
    /// `exposure@k` at the focus `k`.
    pub exposure: Option<Estimate>,
    /// `exposure@k` at every evaluated `k`, ascending.
    pub exposures: Vec<(usize, Option<Estimate>)>,
    /// Mean average precision.
    pub map: Option<Estimate>,
    /// AUC.
    pub auc: Option<Estimate>,
    /// Wall time of scoring all targets (none for the oracle).
    pub wall_seconds: Option<f64>,
    /// Targets scored per second of wall time.
    pub targets_per_second: Option<f64>,
}

/// Fast lookup of aggregated rows.
struct Index<'a> {
    rows: HashMap<(&'a str, Option<u32>, Metric, Stratum), &'a MetricRow>,
}

impl<'a> Index<'a> {
    fn new(e: &'a Evaluation) -> Self {
        Self {
            rows: e
                .metrics
                .iter()
                .map(|r| ((r.heuristic.as_str(), r.k, r.metric, r.stratum), r))
                .collect(),
        }
    }

    fn get(&self, h: &str, k: Option<usize>, m: Metric, s: Stratum) -> Option<Estimate> {
        self.rows
            .get(&(h, k.map(|k| k as u32), m, s))
            .map(|r| Estimate::from(*r))
    }

    /// One bar series per shown heuristic: metric `m` at `k` in each of `strata`.
    fn series(
        &self,
        shown: &[&SummaryRow],
        colours: &HashMap<&str, String>,
        k: usize,
        m: Metric,
        strata: impl Iterator<Item = Stratum> + Clone,
    ) -> Vec<Series> {
        shown
            .iter()
            .map(|r| {
                let values = strata
                    .clone()
                    .map(|st| self.get(&r.heuristic, Some(k), m, st))
                    .collect();
                (
                    r.heuristic.clone(),
                    colours[r.heuristic.as_str()].clone(),
                    values,
                )
            })
            .collect()
    }
}

/// The summary table, best first: by `precision@k` at the focus `k`, then `ndcg@k`, then
/// name.
pub fn summary(e: &Evaluation) -> Vec<SummaryRow> {
    let index = Index::new(e);
    let mut ks = e.options.ks.clone();
    ks.sort_unstable();
    ks.dedup();
    let fk = focus_k(&ks);
    let all = Stratum::All;
    let mut rows: Vec<SummaryRow> = e
        .heuristics
        .iter()
        .map(|h| {
            let timing = e.timings.iter().find(|t| &t.heuristic == h);
            SummaryRow {
                heuristic: h.clone(),
                kind: RowKind::of(h),
                precision: ks
                    .iter()
                    .map(|&k| (k, index.get(h, Some(k), Metric::Precision, all)))
                    .collect(),
                recall: index.get(h, Some(fk), Metric::Recall, all),
                ndcg: index.get(h, Some(fk), Metric::Ndcg, all),
                exposure: index.get(h, Some(fk), Metric::Exposure, all),
                exposures: ks
                    .iter()
                    .map(|&k| (k, index.get(h, Some(k), Metric::Exposure, all)))
                    .collect(),
                map: index.get(h, None, Metric::AveragePrecision, all),
                auc: index.get(h, None, Metric::Auc, all),
                wall_seconds: timing.map(|t| t.wall_seconds),
                targets_per_second: timing
                    .filter(|t| t.wall_seconds > 0.0)
                    .map(|t| t.targets as f64 / t.wall_seconds),
            }
        })
        .collect();
    let key = |r: &SummaryRow| {
        let p = r
            .precision
            .iter()
            .find(|(k, _)| *k == fk)
            .and_then(|(_, p)| p.map(|p| p.value))
            .unwrap_or(f64::NEG_INFINITY);
        (p, r.ndcg.map_or(f64::NEG_INFINITY, |n| n.value))
    };
    rows.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(a.heuristic.cmp(&b.heuristic))
    });
    rows
}

/// What the report shows besides the evaluation.
#[derive(Debug, Clone, Default)]
pub struct ReportInput<'a> {
    /// Page title.
    pub title: String,
    /// (label, value) facts shown at the top: dataset, sample, seeds, parameters.
    pub facts: Vec<(String, String)>,
    /// Notes shown under the facts (caveats, what was skipped and why).
    pub notes: Vec<String>,
    /// The learned model, whose coefficients are tabulated.
    pub model: Option<&'a LearnedModel>,
}

/// The colour of every row of the report's charts, by heuristic name, as `#rrggbb`: what
/// `tierank compare` records under `colours` in its manifest.json, so that a notebook draws
/// each heuristic in the report's colour (docs/notebooks/compare.ipynb does).
pub fn chart_colours(e: &Evaluation) -> std::collections::BTreeMap<String, String> {
    colours(e)
        .into_iter()
        .map(|(h, c)| (h.to_owned(), c))
        .collect()
}

/// The colour of each row, stable across charts: black for the oracle, grey for random,
/// the palette in evaluation order for the others.
fn colours(e: &Evaluation) -> HashMap<&str, String> {
    let mut next = 0;
    e.heuristics
        .iter()
        .map(|h| {
            let colour = match RowKind::of(h) {
                RowKind::Oracle => "#000000".to_owned(),
                RowKind::Random if h == "random" => "#7f7f7f".to_owned(),
                RowKind::Random => "#b0b0b0".to_owned(),
                RowKind::Heuristic => {
                    next += 1;
                    PALETTE[(next - 1) % PALETTE.len()].to_owned()
                }
            };
            (h.as_str(), colour)
        })
        .collect()
}

/// The rows shown in bar charts (all rows would make bars unreadably thin): the oracle,
/// random, learned rows, and the best others by the summary order, at most `max` in all.
fn featured(rows: &[SummaryRow], max: usize) -> Vec<&SummaryRow> {
    let mut out: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.kind != RowKind::Heuristic || r.heuristic.starts_with("learned"))
        .collect();
    for r in rows {
        if out.len() >= max {
            break;
        }
        if !out.iter().any(|o| o.heuristic == r.heuristic) {
            out.push(r);
        }
    }
    // Back to summary order.
    out.sort_by_key(|r| rows.iter().position(|x| x.heuristic == r.heuristic));
    out
}

fn fmt3(v: f64) -> String {
    format!("{v:.3}")
}

fn cell(e: Option<Estimate>, digits: usize) -> String {
    match e {
        None => "<td class=\"na\">–</td>".to_owned(),
        Some(e) => {
            let ci = e.ci.map_or(String::new(), |(lo, hi)| {
                format!("<span class=\"ci\">[{lo:.digits$}, {hi:.digits$}]</span>")
            });
            format!("<td>{:.digits$}{ci}</td>", e.value)
        }
    }
}

const CSS: &str = r#"
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;line-height:1.45}
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #d0d0d0;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f3f3f3}td.name,th.name{text-align:left;font-weight:600}
tr.oracle td{background:#f1f1f1;font-style:italic}tr.random td{color:#777}
.ci{display:block;font-size:10px;color:#777}.na{color:#aaa;text-align:center}
.facts td{text-align:left}.note{color:#555;font-size:14px}
.caption{color:#444;font-size:14px;max-width:1100px}
svg{display:block;margin:8px 0;background:#fff}
svg text{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:#222}
svg .tick{font-size:11px;fill:#555}svg .axis{font-size:13px;font-weight:600}
svg .legend{font-size:12px}svg .label{font-size:11px}svg .group{font-size:12px;font-weight:600}
.heat td{min-width:44px}
.verdict{font-size:16px;max-width:1100px;background:#f6f8fa;border-left:4px solid #1f77b4;padding:8px 12px}
tr.focus td{font-weight:600}td.wrap{white-space:normal;max-width:360px}
.scroll{overflow-x:auto;max-width:100%}
@media print{.scroll{overflow:visible}table{font-size:10px}th,td{padding:2px 4px}svg{max-width:100%;height:auto}}
"#;

/// Renders `report.html`: one self-contained page (inline CSS and SVG, no script, no
/// external resource).
pub fn render_html(e: &Evaluation, input: &ReportInput<'_>) -> String {
    let rows = summary(e);
    let colours = colours(e);
    let index = Index::new(e);
    let mut ks = e.options.ks.clone();
    ks.sort_unstable();
    ks.dedup();
    let fk = focus_k(&ks);
    let layer = e.options.relevant_layer;

    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{CSS}</style></head><body><h1>{t}</h1>",
        t = esc(&input.title)
    );
    h.push_str("<table class=\"facts\">");
    for (label, value) in &input.facts {
        let _ = write!(
            h,
            "<tr><th class=\"name\">{}</th><td>{}</td></tr>",
            esc(label),
            esc(value)
        );
    }
    let _ = write!(
        h,
        "<tr><th class=\"name\">relevant</th><td>planted layer ≤ {layer} (layers 1–{layer})</td></tr><tr><th class=\"name\">targets evaluated</th><td>{} ({} without friends dropped)</td></tr></table>",
        e.targets.len(),
        e.dropped_targets
    );
    for note in &input.notes {
        let _ = write!(h, "<p class=\"note\">{}</p>", esc(note));
    }

    h.push_str(&verdict::verdict_html(e, &verdict::verdict(e), fk));

    // Summary table.
    let _ = write!(
        h,
        "<h2>Summary</h2><p class=\"caption\">Means over the evaluated targets, with 95% bootstrap intervals in brackets. Best first by precision@{fk}. <i>oracle</i> (the planted truth) is the ceiling, <i>random</i> the floor. Exposure@k is the mean number of people outside layers 1–{layer} among the top k: strangers who would see the notice.</p><div class=\"scroll\"><table><tr><th class=\"name\">heuristic</th>"
    );
    for k in &ks {
        let _ = write!(h, "<th>P@{k}</th>");
    }
    let _ = write!(h, "<th>recall@{fk}</th><th>NDCG@{fk}</th>");
    for k in &ks {
        let _ = write!(h, "<th>exposure@{k}</th>");
    }
    h.push_str("<th>MAP</th><th>AUC</th><th>wall s</th><th>targets/s</th></tr>");
    for r in &rows {
        let class = match r.kind {
            RowKind::Oracle => " class=\"oracle\"",
            RowKind::Random => " class=\"random\"",
            RowKind::Heuristic => "",
        };
        let _ = write!(
            h,
            "<tr{class}><td class=\"name\"><span style=\"color:{}\">■</span> {}</td>",
            colours[r.heuristic.as_str()],
            esc(&r.heuristic)
        );
        for (_, p) in &r.precision {
            h.push_str(&cell(*p, 3));
        }
        for v in [r.recall, r.ndcg] {
            h.push_str(&cell(v, 3));
        }
        for (_, x) in &r.exposures {
            h.push_str(&cell(*x, 2));
        }
        for v in [r.map, r.auc] {
            h.push_str(&cell(v, 3));
        }
        match (r.wall_seconds, r.targets_per_second) {
            (Some(w), tps) => {
                let _ = write!(
                    h,
                    "<td>{w:.3}</td><td>{}</td>",
                    tps.map_or("–".to_owned(), |t| format!("{t:.0}"))
                );
            }
            _ => h.push_str("<td class=\"na\">–</td><td class=\"na\">–</td>"),
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div>");

    // Precision@k curves.
    let _ = write!(
        h,
        "<h2>Precision at k</h2><p class=\"caption\">Share of the top k that are truly close (layers 1–{layer}), with the 95% interval as a shaded band, for the oracle, random and the best {HIGHLIGHTED} heuristics at k = {fk}; the others are the thin grey lines (named in the legend and on hover). Higher is better; lines close to <i>random</i> are no better than chance. The oracle falls below 1 where targets have fewer than k close friends.</p>"
    );
    h.push_str(&precision_chart(e, &rows, &colours, &index, &ks));

    let _ = write!(
        h,
        "<h2>Exposure versus recall at k = {fk}</h2><p class=\"caption\">Each point is a heuristic. Right is better (more of the close friends found), down is better (fewer strangers shown the notice). Only the heuristics on the frontier (no other is both right of and below them), the oracle and random are labelled; points that nearly coincide share a label, and a label set apart from its point is joined to it by a line; hover a point for any heuristic's exact values. The axes span the heuristics: the oracle or random, when far from them, is a triangle on the edge pointing towards it, labelled \"off scale\" (its values on hover).</p>"
    );
    h.push_str(&exposure_recall_chart(&rows, &colours, fk));

    let _ = write!(
        h,
        "<h2>Quality versus runtime</h2><p class=\"caption\">NDCG@{fk} against throughput (targets scored per second of wall time in this run, log scale). Up is better, right is faster. Timings are measurements on this machine and vary between runs. Only the frontier (no other heuristic is both faster and better), the oracle and random are labelled. The axes span the heuristics: the oracle and random cost next to nothing, and when far from them they are triangles on the edge, labelled \"off scale\".</p>"
    );
    h.push_str(&runtime_chart(&rows, &colours, fk));

    let shown = featured(&rows, 8);
    let buckets: Vec<DegreeBucket> = DegreeBucket::ALL
        .iter()
        .copied()
        .filter(|b| e.targets.iter().any(|t| t.bucket == *b))
        .collect();
    let _ = write!(
        h,
        "<h2>By degree bucket</h2><p class=\"caption\">precision@{fk} of the targets in each degree bucket (number of friends; targets per bucket in parentheses), for the oracle, random, learned rows and the best heuristics. Whiskers are 95% intervals; a bucket with few targets has wide ones.</p>"
    );
    let groups: Vec<String> = buckets
        .iter()
        .map(|b| {
            let n = e.targets.iter().filter(|t| t.bucket == *b).count();
            format!("{b} ({n})")
        })
        .collect();
    let series = index.series(
        &shown,
        &colours,
        fk,
        Metric::Precision,
        buckets.iter().map(|b| Stratum::Degree(*b)),
    );
    h.push_str(&grouped_bars(
        &format!("precision@{fk} by degree bucket"),
        &format!("precision@{fk}"),
        "degree bucket (friends)",
        &groups,
        &series,
        Some(1.0),
    ));

    h.push_str(&evaders::section(e, &rows, &index, fk));

    let layers: Vec<i8> = (1..=OUTSIDE_LAYERS + 1)
        .filter(|l| {
            e.heuristics.first().is_some_and(|h0| {
                index
                    .get(h0, Some(fk), Metric::Recall, Stratum::Layer(*l))
                    .is_some()
            })
        })
        .collect();
    let _ = write!(
        h,
        "<h2>By planted layer</h2><p class=\"caption\">Share of each planted layer's friends that are in the top {fk}: for layers 1–{layer} this is how much of that layer a notice reaches (higher is better); for the outer layers it is how much of them is exposed (lower is better). Layer 7 groups friends without a truth row.</p>"
    );
    let groups: Vec<String> = layers
        .iter()
        .map(|l| {
            if *l <= layer {
                format!("layer {l} (close)")
            } else {
                format!("layer {l}")
            }
        })
        .collect();
    let series = index.series(
        &shown,
        &colours,
        fk,
        Metric::Recall,
        layers.iter().map(|l| Stratum::Layer(*l)),
    );
    h.push_str(&grouped_bars(
        &format!("share of each layer in the top {fk}"),
        &format!("share of layer in top {fk}"),
        "planted layer",
        &groups,
        &series,
        Some(1.0),
    ));

    let relations: Vec<Relation> = Relation::ALL
        .iter()
        .copied()
        .filter(|r| {
            e.heuristics.iter().any(|h0| {
                index
                    .get(h0, Some(fk), Metric::Recall, Stratum::Relation(*r))
                    .is_some()
            })
        })
        .collect();
    let _ = write!(
        h,
        "<h2>By relation</h2><p class=\"caption\">Upper chart: recall@{fk} of the close friends of each planted relation (how many partners, family members, close friends are found; higher is better). Lower chart: exposure@{fk} per relation, the mean number of selected friends of that relation who are not close (lower is better); it is scaled to the heuristics, and a baseline bar far above them is cut at the top (white zigzag) with its value written above it.</p>"
    );
    let groups: Vec<String> = relations.iter().map(|r| r.to_string()).collect();
    let series = index.series(
        &shown,
        &colours,
        fk,
        Metric::Recall,
        relations.iter().map(|rel| Stratum::Relation(*rel)),
    );
    h.push_str(&grouped_bars(
        &format!("recall@{fk} of close friends by relation"),
        &format!("recall@{fk}"),
        "relation",
        &groups,
        &series,
        Some(1.0),
    ));
    let all_relations: Vec<Relation> = Relation::ALL
        .iter()
        .copied()
        .filter(|r| {
            e.heuristics.iter().any(|h0| {
                index
                    .get(h0, Some(fk), Metric::Exposure, Stratum::Relation(*r))
                    .is_some_and(|v| v.value > 0.0)
            })
        })
        .collect();
    let groups: Vec<String> = all_relations.iter().map(|r| r.to_string()).collect();
    let series = index.series(
        &shown,
        &colours,
        fk,
        Metric::Exposure,
        all_relations.iter().map(|rel| Stratum::Relation(*rel)),
    );
    h.push_str(&grouped_bars(
        &format!("exposure@{fk} by relation"),
        &format!("strangers in top {fk}"),
        "relation of the exposed friend",
        &groups,
        &series,
        None,
    ));

    // Agreement heat tables.
    let _ = write!(
        h,
        "<h2>Agreement</h2><p class=\"caption\">Mean Jaccard similarity of the top-{fk} sets of two heuristics (1: they pick the same people; darker is more similar), then Kendall's tau-b of their full rankings (−1 to 1). Two heuristics with similar precision but low agreement make different mistakes and may combine well.</p>"
    );
    let order: Vec<&str> = rows.iter().map(|r| r.heuristic.as_str()).collect();
    h.push_str(&heat_table(
        e,
        &order,
        AgreementMeasure::Jaccard,
        Some(fk as u32),
    ));
    h.push_str(&heat_table(e, &order, AgreementMeasure::KendallTauB, None));

    if let Some(model) = input.model {
        let (what, meaning, column) = match model.kind {
            crate::learned::ModelKind::Logistic => (
                "Logistic regression",
                "Each coefficient is the change in log-odds of being close per standard deviation of the feature; larger magnitude means more influence.",
                "coefficient",
            ),
            crate::learned::ModelKind::Gbt => (
                "Gradient-boosted trees",
                "Each feature's share of the trees' total split gain: how much the model relies on it (not a direction).",
                "gain share",
            ),
        };
        let _ = write!(
            h,
            "<h2>Learned model</h2><p class=\"caption\">{what} trained on {} targets ({} friends, {} close), disjoint from the evaluated targets. {meaning}</p><table><tr><th class=\"name\">feature</th><th>{column}</th></tr>",
            model.training.targets, model.training.examples, model.training.positives
        );
        let mut coefs = model.feature_table();
        coefs.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        for (name, c) in coefs {
            let _ = write!(
                h,
                "<tr><td class=\"name\">{}</td><td>{}</td></tr>",
                esc(name),
                fmt3(c)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<p class=\"note\">Every number is defined in docs/comparing.md of tierank. This page needs no network access.</p></body></html>\n");
    h
}

fn precision_chart(
    e: &Evaluation,
    rows: &[SummaryRow],
    colours: &HashMap<&str, String>,
    index: &Index<'_>,
    ks: &[usize],
) -> String {
    let (kmin, kmax) = (
        *ks.first().unwrap_or(&1) as f64,
        *ks.last().unwrap_or(&1) as f64,
    );
    let log = kmax / kmin >= 10.0;
    let pad = if log { 1.15 } else { 0.0 };
    let (x0, x1) = if log {
        (kmin / pad, kmax * pad)
    } else if kmax > kmin {
        let m = (kmax - kmin) * 0.05;
        (kmin - m, kmax + m)
    } else {
        (kmin - 1.0, kmax + 1.0)
    };
    let legend_rows = rows.len() as f64;
    let height = (420.0f64).max(80.0 + 18.0 * legend_rows);
    let mut chart = Chart::new(
        1100.0,
        height,
        (64.0, 20.0, 230.0, 52.0),
        (x0, x1, log),
        (0.0, 1.0, false),
    );
    let ticks: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
    chart.axes(
        "k (size of the selection, log scale when wide)",
        "precision@k",
        Some(&ticks),
    );
    // The oracle, random and the best few heuristics keep their colours; the others are
    // drawn thin and grey behind them, so the lines that matter stand out.
    let highlighted: Vec<&str> = rows
        .iter()
        .filter(|r| r.kind != RowKind::Heuristic)
        .chain(
            rows.iter()
                .filter(|r| r.kind == RowKind::Heuristic)
                .take(HIGHLIGHTED),
        )
        .map(|r| r.heuristic.as_str())
        .collect();
    let grey = |r: &SummaryRow| !highlighted.contains(&r.heuristic.as_str());
    let colour_of = |r: &SummaryRow| -> String {
        if grey(r) {
            MUTED.to_owned()
        } else {
            colours[r.heuristic.as_str()].clone()
        }
    };
    for r in rows.iter().rev().filter(|r| !grey(r)) {
        let colour = &colour_of(r);
        let band: Vec<(f64, f64, f64)> = ks
            .iter()
            .filter_map(|&k| {
                let v = index.get(&r.heuristic, Some(k), Metric::Precision, Stratum::All)?;
                let (lo, hi) = v.ci?;
                Some((k as f64, lo, hi))
            })
            .collect();
        chart.band(&band, colour);
    }
    let mut legend = Vec::new();
    // Grey lines first, so the highlighted ones are drawn on top.
    let order: Vec<&SummaryRow> = rows
        .iter()
        .rev()
        .filter(|r| grey(r))
        .chain(rows.iter().rev().filter(|r| !grey(r)))
        .collect();
    for r in order {
        let colour = &colour_of(r);
        let points: Vec<(f64, f64)> = r
            .precision
            .iter()
            .filter_map(|(k, p)| Some((*k as f64, p.as_ref()?.value)))
            .collect();
        let dashed = r.kind != RowKind::Heuristic;
        chart.polyline(&points, colour, dashed);
        for (k, p) in &points {
            chart.marker(
                *k,
                *p,
                colour,
                &format!("{} precision@{k} = {p:.3}", r.heuristic),
                None,
            );
        }
    }
    for r in rows {
        legend.push((
            r.heuristic.clone(),
            colour_of(r),
            r.kind != RowKind::Heuristic,
        ));
    }
    let lx = chart.right() + 16.0;
    let ly = chart.top() + 8.0;
    chart.legend(lx, ly, &legend);
    let _ = e;
    chart.finish("precision at k per heuristic with 95% intervals")
}

fn exposure_recall_chart(
    rows: &[SummaryRow],
    colours: &HashMap<&str, String>,
    fk: usize,
) -> String {
    // The axes show the heuristics; the oracle and random are taken in only when near them
    // (random exposes several times more strangers and would set the scale otherwise).
    let (xy_focus, xy_others) = split_points(rows, |r| Some((r.recall?.value, r.exposure?.value)));
    let xs = |v: &[(f64, f64)]| v.iter().map(|p| p.0).collect::<Vec<f64>>();
    let ys = |v: &[(f64, f64)]| v.iter().map(|p| p.1).collect::<Vec<f64>>();
    let x = svg::focus_domain(&xs(&xy_focus), &xs(&xy_others), (0.0, 1.0));
    let y = svg::focus_domain(&ys(&xy_focus), &ys(&xy_others), (0.0, f64::INFINITY));
    let mut chart = Chart::new(
        1100.0,
        460.0,
        (64.0, 20.0, 230.0, 52.0),
        (x.0, x.1, false),
        (y.0, y.1, false),
    );
    chart.axes(
        &format!("recall@{fk} (share of close friends found)"),
        &format!("exposure@{fk} (strangers shown)"),
        None,
    );
    // The frontier among the heuristics (the oracle would dominate them all).
    let points: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Heuristic)
        .filter_map(|r| Some((r.recall?.value, -r.exposure?.value)))
        .collect();
    let mut legend = Vec::new();
    for r in rows {
        let colour = &colours[r.heuristic.as_str()];
        if let (Some(rec), Some(ex)) = (r.recall, r.exposure) {
            let label = (r.kind != RowKind::Heuristic
                || on_frontier(&points, (rec.value, -ex.value)))
            .then_some(r.heuristic.as_str());
            chart.marker_or_off_scale(
                rec.value,
                ex.value,
                colour,
                &format!(
                    "{}: recall@{fk} {:.3}, exposure@{fk} {:.2}",
                    r.heuristic, rec.value, ex.value
                ),
                label,
            );
            legend.push((r.heuristic.clone(), colour.clone(), false));
        }
    }
    let lx = chart.right() + 16.0;
    let ly = chart.top() + 8.0;
    chart.legend(lx, ly, &legend);
    chart.finish("exposure versus recall")
}

fn runtime_chart(rows: &[SummaryRow], colours: &HashMap<&str, String>, fk: usize) -> String {
    let points: Vec<(&SummaryRow, f64, f64)> = rows
        .iter()
        .filter_map(|r| Some((r, r.targets_per_second?, r.ndcg?.value)))
        .filter(|(_, t, n)| *t > 0.0 && t.is_finite() && n.is_finite())
        .collect();
    // Throughput in decades: random and the oracle cost next to nothing and would stretch
    // the axis over decades where no heuristic is; they are drawn off scale then.
    let (focus, others): (Vec<_>, Vec<_>) = points
        .iter()
        .map(|(r, t, n)| (r.kind == RowKind::Heuristic, (t.log10(), *n)))
        .partition(|(h, _)| *h);
    let col = |v: &[(bool, (f64, f64))], i: usize| -> Vec<f64> {
        v.iter()
            .map(|(_, p)| if i == 0 { p.0 } else { p.1 })
            .collect()
    };
    let (tlo, thi) = if points.is_empty() {
        (0.0, 1.0)
    } else {
        svg::focus_domain(&col(&focus, 0), &col(&others, 0), (f64::MIN, f64::MAX))
    };
    // At least one decade, so the log axis has a tick.
    let mid = (tlo + thi) / 2.0;
    let (tlo, thi) = (tlo.min(mid - 0.5), thi.max(mid + 0.5));
    let n = svg::focus_domain(&col(&focus, 1), &col(&others, 1), (0.0, 1.0));
    let mut chart = Chart::new(
        1100.0,
        460.0,
        (64.0, 20.0, 230.0, 52.0),
        (10f64.powf(tlo), 10f64.powf(thi), true),
        (n.0, n.1, false),
    );
    chart.axes(
        "targets scored per second (log scale)",
        &format!("NDCG@{fk}"),
        None,
    );
    let xy: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0.kind == RowKind::Heuristic)
        .map(|p| (p.1, p.2))
        .collect();
    let mut legend = Vec::new();
    for (r, t, n) in &points {
        let colour = &colours[r.heuristic.as_str()];
        let label = (r.kind != RowKind::Heuristic || on_frontier(&xy, (*t, *n)))
            .then_some(r.heuristic.as_str());
        chart.marker_or_off_scale(
            *t,
            *n,
            colour,
            &format!("{}: {t:.0} targets/s, NDCG@{fk} {n:.3}", r.heuristic),
            label,
        );
        legend.push((r.heuristic.clone(), colour.clone(), false));
    }
    let lx = chart.right() + 16.0;
    let ly = chart.top() + 8.0;
    chart.legend(lx, ly, &legend);
    chart.finish("quality versus runtime")
}

/// Points of a scatter chart, in data coordinates.
type Points = Vec<(f64, f64)>;

/// The points `at(row)` of the heuristics and of the other rows (oracle, random), apart.
fn split_points(
    rows: &[SummaryRow],
    at: impl Fn(&SummaryRow) -> Option<(f64, f64)>,
) -> (Points, Points) {
    let mut focus = Vec::new();
    let mut others = Vec::new();
    for r in rows {
        if let Some(p) = at(r) {
            if r.kind == RowKind::Heuristic {
                focus.push(p);
            } else {
                others.push(p);
            }
        }
    }
    (focus, others)
}

/// Heuristics drawn in colour in the precision@k chart (besides the oracle and random).
const HIGHLIGHTED: usize = 4;
/// The colour of the other lines.
const MUTED: &str = "#c8c8c8";

/// Whether `p` is on the Pareto frontier of `points` when both coordinates are better
/// larger: no other point is at least as good in both and better in one. Only frontier points
/// get a text label in the scatter charts (the others overprint each other and are named in
/// the legend and on hover).
fn on_frontier(points: &[(f64, f64)], p: (f64, f64)) -> bool {
    !points
        .iter()
        .any(|q| q.0 >= p.0 && q.1 >= p.1 && (q.0 > p.0 || q.1 > p.1))
}

type Series = (String, String, Vec<Option<Estimate>>);

/// Grouped bars: one group per label, one bar per series, with interval whiskers.
fn grouped_bars(
    title: &str,
    y_title: &str,
    x_title: &str,
    groups: &[String],
    series: &[Series],
    y_max: Option<f64>,
) -> String {
    let max_of = |baselines: bool| {
        series
            .iter()
            .filter(|s| (RowKind::of(&s.0) != RowKind::Heuristic) == baselines)
            .flat_map(|s| s.2.iter().flatten())
            .map(|e| e.ci.map_or(e.value, |c| c.1.max(e.value)))
            .fold(0.0f64, f64::max)
    };
    // Scaled to the heuristics: a baseline (random) far above them is cut at the top with a
    // break mark and its value written, so it does not flatten the bars that matter.
    let (heuristics_max, baselines_max) = (max_of(false), max_of(true));
    let data_max = if heuristics_max > 0.0 && baselines_max > 1.5 * heuristics_max {
        heuristics_max
    } else {
        heuristics_max.max(baselines_max)
    };
    let top = y_max.unwrap_or((data_max * 1.15).max(0.5));
    let mut chart = Chart::new(
        1100.0,
        400.0,
        (64.0, 20.0, 230.0, 52.0),
        (0.0, 1.0, false),
        (0.0, top, false),
    );
    chart.axes(x_title, y_title, Some(&[]));
    let (l, r) = (chart.left(), chart.right());
    let group_w = (r - l) / groups.len().max(1) as f64;
    let bar_w = (group_w * 0.8) / series.len().max(1) as f64;
    for (g, label) in groups.iter().enumerate() {
        let gx = l + g as f64 * group_w + group_w * 0.1;
        for (s, (name, colour, values)) in series.iter().enumerate() {
            let Some(v) = values.get(g).copied().flatten() else {
                continue;
            };
            let px = gx + s as f64 * bar_w;
            let ci =
                v.ci.map_or(String::new(), |(lo, hi)| format!(" [{lo:.3}, {hi:.3}]"));
            let title = format!("{name}, {label}: {:.3}{ci}", v.value);
            if v.value > top {
                chart.bar(px, bar_w * 0.9, top, colour, &title);
                // A white zigzag across the bar near the top: the bar is cut.
                let (x0, x1, y) = (px, px + bar_w * 0.9, chart.top() + 10.0);
                chart.raw(&format!(
                    r##"<polyline points="{x0:.2},{:.2} {:.2},{:.2} {:.2},{:.2} {x1:.2},{:.2}" fill="none" stroke="#fff" stroke-width="2.5"/>"##,
                    y + 3.0,
                    x0 + (x1 - x0) / 3.0,
                    y - 3.0,
                    x0 + 2.0 * (x1 - x0) / 3.0,
                    y + 3.0,
                    y - 3.0
                ));
                chart.text(
                    px + bar_w * 0.45,
                    chart.top() - 4.0,
                    "middle",
                    "tick",
                    &svg::tick_label(v.value),
                );
                continue;
            }
            chart.bar(px, bar_w * 0.9, v.value, colour, &title);
            if let Some((lo, hi)) = v.ci {
                let xm = px + bar_w * 0.45;
                if let (Some(ylo), Some(yhi)) = (chart.y.map(lo), chart.y.map(hi)) {
                    chart.raw(&format!(
                        r##"<line x1="{xm:.2}" y1="{ylo:.2}" x2="{xm:.2}" y2="{yhi:.2}" stroke="#333" stroke-width="1"/>"##
                    ));
                }
            }
        }
        let (cx, cy) = (l + (g as f64 + 0.5) * group_w, chart.bottom() + 18.0);
        chart.text(cx, cy, "middle", "group", label);
    }
    let legend: Vec<(String, String, bool)> = series
        .iter()
        .map(|(n, c, _)| (n.clone(), c.clone(), false))
        .collect();
    let lx = chart.right() + 16.0;
    let ly = chart.top() + 8.0;
    chart.legend(lx, ly, &legend);
    chart.finish(title)
}

/// A heat table of one agreement measure: rows and columns in `order`, cells shaded by value.
fn heat_table(e: &Evaluation, order: &[&str], measure: AgreementMeasure, k: Option<u32>) -> String {
    let mut values: HashMap<(&str, &str), f64> = HashMap::new();
    for a in &e.agreement {
        if a.measure == measure && a.k == k {
            values.insert((a.heuristic_a.as_str(), a.heuristic_b.as_str()), a.value);
            values.insert((a.heuristic_b.as_str(), a.heuristic_a.as_str()), a.value);
        }
    }
    let title = match (measure, k) {
        (AgreementMeasure::Jaccard, Some(k)) => format!("Jaccard@{k}"),
        _ => "Kendall's tau-b".to_owned(),
    };
    let mut h = format!(
        "<table class=\"heat\"><tr><th class=\"name\">{}</th>",
        esc(&title)
    );
    for c in order {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for r in order {
        let _ = write!(h, "<tr><td class=\"name\">{}</td>", esc(r));
        for c in order {
            if r == c {
                h.push_str("<td style=\"background:#ddd\">1</td>");
                continue;
            }
            match values.get(&(*r, *c)) {
                Some(&v) if v.is_finite() => {
                    // White at 0 to deep blue at 1; negative tau in red.
                    let t = v.abs().min(1.0);
                    let (rgb, fg) = if v >= 0.0 {
                        (
                            (255.0 - 200.0 * t, 255.0 - 150.0 * t, 255.0 - 40.0 * t),
                            if t > 0.6 { "#fff" } else { "#222" },
                        )
                    } else {
                        (
                            (255.0 - 30.0 * t, 255.0 - 170.0 * t, 255.0 - 170.0 * t),
                            "#222",
                        )
                    };
                    let _ = write!(
                        h,
                        "<td style=\"background:rgb({:.0},{:.0},{:.0});color:{fg}\">{v:.2}</td>",
                        rgb.0, rgb.1, rgb.2
                    );
                }
                _ => h.push_str("<td class=\"na\">–</td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focus_k_prefers_fifteen_then_the_largest_below() {
        assert_eq!(focus_k(&[1, 5, 15, 50]), 15);
        assert_eq!(focus_k(&[1, 3, 5]), 5);
        assert_eq!(focus_k(&[50, 20]), 20);
    }
}

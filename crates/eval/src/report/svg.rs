//! A small hand-written SVG toolkit for the report's charts: scales with sensible ticks,
//! axes with labels, polylines, bands, markers, bars and legends.
//!
//! Hand-written rather than a plotting crate: the charts are few and simple, the output must
//! be a self-contained inline `<svg>` (no fonts, scripts or external resources), and every
//! number written is checked to be finite so that a missing value never produces `NaN` in a
//! coordinate (browsers drop such elements silently).

use std::fmt::Write;

/// Escapes text for XML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with two decimals; non-finite values (never written by the callers, which
/// skip them) become 0 so the SVG stays valid whatever happens.
fn c(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "0".to_owned()
    }
}

/// Distinct colours (Tableau 10 then its lighter companions), cycled.
pub const PALETTE: [&str; 20] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#9edae5", "#dbdb8d", "#637939",
];

/// A map from data values to pixels, linear or base-10 logarithmic.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    lo: f64,
    hi: f64,
    px0: f64,
    px1: f64,
    log: bool,
}

impl Scale {
    /// Maps `[lo, hi]` onto `[px0, px1]`; a log scale needs `0 < lo`. A degenerate domain
    /// is widened so that every value maps to a finite pixel.
    pub fn new(lo: f64, hi: f64, px0: f64, px1: f64, log: bool) -> Self {
        let (mut lo, mut hi) = if log {
            (lo.max(1e-12).log10(), hi.max(1e-12).log10())
        } else {
            (lo, hi)
        };
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 1e-12 {
            lo -= 0.5;
            hi += 0.5;
        }
        Self {
            lo,
            hi,
            px0,
            px1,
            log,
        }
    }

    /// The pixel of `v`, or `None` when `v` cannot be placed (non-finite, or not positive on
    /// a log scale).
    pub fn map(&self, v: f64) -> Option<f64> {
        let v = if self.log {
            if v > 0.0 { v.log10() } else { return None }
        } else {
            v
        };
        v.is_finite()
            .then(|| self.px0 + (v - self.lo) / (self.hi - self.lo) * (self.px1 - self.px0))
    }

    /// About `n` round tick values within the domain: 1, 2 or 5 times a power of ten apart
    /// on a linear scale; powers of ten (with 2 and 5 in between when the range is short) on
    /// a log scale.
    pub fn ticks(&self, n: usize) -> Vec<f64> {
        if self.log {
            let (a, b) = (self.lo.floor() as i32, self.hi.ceil() as i32);
            let mults: &[f64] = if b - a <= 2 { &[1.0, 2.0, 5.0] } else { &[1.0] };
            let mut out = Vec::new();
            for e in a..=b {
                for m in mults {
                    let v = m * 10f64.powi(e);
                    let l = v.log10();
                    if l >= self.lo - 1e-9 && l <= self.hi + 1e-9 {
                        out.push(v);
                    }
                }
            }
            return out;
        }
        let span = self.hi - self.lo;
        let raw = span / n.max(1) as f64;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| span / s <= n as f64)
            .unwrap_or(10.0 * mag);
        let mut v = (self.lo / step).ceil() * step;
        let mut out = Vec::new();
        while v <= self.hi + step * 1e-9 {
            out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
            v += step;
        }
        out
    }
}

/// A short label for a tick value.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if a >= 1e6 {
        format!("{:.0}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1.0 && (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 0.1 {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{v:.0e}")
    }
}

/// One chart: a plot area with margins, two scales and the SVG body built so far.
#[derive(Debug)]
pub struct Chart {
    width: f64,
    height: f64,
    /// Left, top, right, bottom margins.
    margin: (f64, f64, f64, f64),
    /// Horizontal scale.
    pub x: Scale,
    /// Vertical scale.
    pub y: Scale,
    body: String,
    /// Every marker's pixel centre, which labels must not cover.
    points: Vec<(f64, f64)>,
    /// Labels asked for by [`Chart::marker`], placed by [`place_labels`] in [`Chart::finish`].
    labels: Vec<(f64, f64, String)>,
}

impl Chart {
    /// A `width × height` chart with the given margins (left, top, right, bottom) and data
    /// domains; the vertical axis grows upwards.
    pub fn new(
        width: f64,
        height: f64,
        margin: (f64, f64, f64, f64),
        x: (f64, f64, bool),
        y: (f64, f64, bool),
    ) -> Self {
        let (l, t, r, b) = margin;
        Self {
            width,
            height,
            margin,
            x: Scale::new(x.0, x.1, l, width - r, x.2),
            y: Scale::new(y.0, y.1, height - b, t, y.2),
            body: String::new(),
            points: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Left edge of the plot area.
    pub fn left(&self) -> f64 {
        self.margin.0
    }
    /// Top edge of the plot area.
    pub fn top(&self) -> f64 {
        self.margin.1
    }
    /// Right edge of the plot area.
    pub fn right(&self) -> f64 {
        self.width - self.margin.2
    }
    /// Bottom edge of the plot area.
    pub fn bottom(&self) -> f64 {
        self.height - self.margin.3
    }

    /// Appends raw SVG (already escaped).
    pub fn raw(&mut self, svg: &str) {
        self.body.push_str(svg);
    }

    /// Grid lines, tick labels and axis titles. `x_ticks` of `None` draws ticks from the
    /// scale; `Some` draws exactly the given values.
    pub fn axes(&mut self, x_title: &str, y_title: &str, x_ticks: Option<&[f64]>) {
        let (l, t, r, b) = (self.left(), self.top(), self.right(), self.bottom());
        let xt: Vec<f64> = x_ticks.map_or_else(|| self.x.ticks(8), <[f64]>::to_vec);
        let yt = self.y.ticks(6);
        let mut s = String::new();
        for v in &yt {
            if let Some(py) = self.y.map(*v) {
                let _ = write!(
                    s,
                    r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e3e3e3"/><text x="{}" y="{}" text-anchor="end" class="tick">{}</text>"##,
                    c(l),
                    c(py),
                    c(r),
                    c(py),
                    c(l - 6.0),
                    c(py + 4.0),
                    esc(&tick_label(*v))
                );
            }
        }
        for v in &xt {
            if let Some(px) = self.x.map(*v) {
                let _ = write!(
                    s,
                    r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e3e3e3"/><text x="{}" y="{}" text-anchor="middle" class="tick">{}</text>"##,
                    c(px),
                    c(t),
                    c(px),
                    c(b),
                    c(px),
                    c(b + 16.0),
                    esc(&tick_label(*v))
                );
            }
        }
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
            c(l),
            c(t),
            c(r - l),
            c(b - t)
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>"#,
            c((l + r) / 2.0),
            c(b + 36.0),
            esc(x_title)
        );
        let _ = write!(
            s,
            r#"<text transform="translate({},{}) rotate(-90)" text-anchor="middle" class="axis">{}</text>"#,
            c(l - 44.0),
            c((t + b) / 2.0),
            esc(y_title)
        );
        self.body.insert_str(0, &s);
    }

    /// A polyline through the points that can be placed (others are skipped).
    pub fn polyline(&mut self, points: &[(f64, f64)], color: &str, dashed: bool) {
        let pts: Vec<String> = points
            .iter()
            .filter_map(|&(x, y)| Some(format!("{},{}", c(self.x.map(x)?), c(self.y.map(y)?))))
            .collect();
        if pts.is_empty() {
            return;
        }
        let dash = if dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = write!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
            pts.join(" "),
            esc(color)
        );
    }

    /// A translucent band between `low` and `high` at each x (points that cannot be placed
    /// are skipped).
    pub fn band(&mut self, points: &[(f64, f64, f64)], color: &str) {
        let mut upper = Vec::new();
        let mut lower = Vec::new();
        for &(x, lo, hi) in points {
            if let (Some(px), Some(plo), Some(phi)) =
                (self.x.map(x), self.y.map(lo), self.y.map(hi))
            {
                upper.push(format!("{},{}", c(px), c(phi)));
                lower.push(format!("{},{}", c(px), c(plo)));
            }
        }
        if upper.len() < 2 {
            return;
        }
        lower.reverse();
        upper.extend(lower);
        let _ = write!(
            self.body,
            r#"<polygon points="{}" fill="{}" fill-opacity="0.12" stroke="none"/>"#,
            upper.join(" "),
            esc(color)
        );
    }

    /// A circle marker with a hover title and an optional text label beside it. Labels are
    /// placed when the chart is finished, clear of each other and of every marker (see
    /// [`place_labels`]); earlier labels get the better places.
    pub fn marker(&mut self, x: f64, y: f64, color: &str, title: &str, label: Option<&str>) {
        let (Some(px), Some(py)) = (self.x.map(x), self.y.map(y)) else {
            return;
        };
        let _ = write!(
            self.body,
            r##"<circle cx="{}" cy="{}" r="5" fill="{}" stroke="#333" stroke-width="0.6"><title>{}</title></circle>"##,
            c(px),
            c(py),
            esc(color),
            esc(title)
        );
        self.points.push((px, py));
        if let Some(label) = label {
            self.labels.push((px, py, label.to_owned()));
        }
    }

    /// A marker for a point outside the chart's domain (a baseline far from the heuristics):
    /// a triangle on the edge of the plot area, pointing towards where the point lies, with
    /// a hover title and a label saying it is off scale. Falls back to [`Chart::marker`] for
    /// a point inside the domain.
    pub fn marker_or_off_scale(
        &mut self,
        x: f64,
        y: f64,
        color: &str,
        title: &str,
        label: Option<&str>,
    ) {
        let (Some(px), Some(py)) = (self.x.map(x), self.y.map(y)) else {
            return;
        };
        let (l, t, r, b) = (self.left(), self.top(), self.right(), self.bottom());
        let inside = (l - 0.5..=r + 0.5).contains(&px) && (t - 0.5..=b + 0.5).contains(&py);
        if inside {
            self.marker(x, y, color, title, label);
            return;
        }
        // The point on the edge, 7 px in, and the direction of the true position.
        let (ex, ey) = (px.clamp(l + 7.0, r - 7.0), py.clamp(t + 7.0, b - 7.0));
        let (dx, dy) = (px - ex, py - ey);
        let norm = dx.hypot(dy).max(1e-9);
        let (ux, uy) = (dx / norm, dy / norm);
        // Tip 7 px towards the point, base 7 px back, half-width 6.
        let tip = (ex + 7.0 * ux, ey + 7.0 * uy);
        let back = (ex - 5.0 * ux, ey - 5.0 * uy);
        let (nx, ny) = (-uy * 6.0, ux * 6.0);
        let _ = write!(
            self.body,
            r##"<polygon points="{},{} {},{} {},{}" fill="{}" stroke="#333" stroke-width="0.6"><title>{}</title></polygon>"##,
            c(tip.0),
            c(tip.1),
            c(back.0 + nx),
            c(back.1 + ny),
            c(back.0 - nx),
            c(back.1 - ny),
            esc(color),
            esc(title)
        );
        self.points.push((ex, ey));
        if let Some(label) = label {
            self.labels.push((ex, ey, format!("{label} (off scale)")));
        }
    }

    /// A vertical bar from 0 (or the axis bottom) to `value`, at pixel column `px` of width
    /// `w`, with a hover title.
    pub fn bar(&mut self, px: f64, w: f64, value: f64, color: &str, title: &str) {
        let Some(top) = self.y.map(value) else {
            return;
        };
        let base = self.y.map(0.0).unwrap_or(self.bottom()).min(self.bottom());
        let (y0, h) = if top <= base {
            (top, base - top)
        } else {
            (base, top - base)
        };
        let _ = write!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
            c(px),
            c(y0),
            c(w.max(0.5)),
            c(h),
            esc(color),
            esc(title)
        );
    }

    /// A text label at pixel coordinates.
    pub fn text(&mut self, px: f64, py: f64, anchor: &str, class: &str, text: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{}" class="{}">{}</text>"#,
            c(px),
            c(py),
            esc(anchor),
            esc(class),
            esc(text)
        );
    }

    /// A legend of (label, colour, dashed) entries in a column starting at pixel `(px, py)`.
    pub fn legend(&mut self, px: f64, py: f64, entries: &[(String, String, bool)]) {
        for (i, (label, color, dashed)) in entries.iter().enumerate() {
            let y = py + 18.0 * i as f64;
            let dash = if *dashed {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let _ = write!(
                self.body,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="3"{dash}/><text x="{}" y="{}" class="legend">{}</text>"#,
                c(px),
                c(y),
                c(px + 22.0),
                c(y),
                esc(color),
                c(px + 28.0),
                c(y + 4.0),
                esc(label)
            );
        }
    }

    /// The finished `<svg>` element, with an accessible title.
    pub fn finish(mut self, title: &str) -> String {
        let area = Rect {
            x0: self.left(),
            y0: self.top(),
            x1: self.right(),
            y1: self.bottom(),
        };
        for label in place_labels(&self.labels, &self.points, area) {
            if label.leader {
                let (lx, ly) = label.bbox.nearest(label.point);
                let _ = write!(
                    self.body,
                    r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-width="0.8"/>"##,
                    c(label.point.0),
                    c(label.point.1),
                    c(lx),
                    c(ly)
                );
            }
            let _ = write!(
                self.body,
                r#"<text x="{}" y="{}" class="label">{}</text>"#,
                c(label.bbox.x0),
                c(label.bbox.y1 - 3.0),
                esc(&label.text)
            );
        }
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>{body}</svg>"#,
            w = c(self.width),
            h = c(self.height),
            t = esc(title),
            body = self.body
        )
    }
}

/// The domain of one axis that shows the differences between the values of `focus` (the
/// heuristics), padded by 8% of its span and kept within `bounds`.
///
/// The other values (`others`: the oracle and random) are taken in, nearest first, only while
/// the span stays within 1.5 times the focus's own: a baseline far from the heuristics would
/// otherwise set the scale and squeeze the heuristics into a corner, where the differences
/// that matter are a few pixels. The values left out are drawn off scale. With no focus
/// values the domain covers the others.
pub fn focus_domain(focus: &[f64], others: &[f64], bounds: (f64, f64)) -> (f64, f64) {
    let finite = |v: &[f64]| -> Vec<f64> { v.iter().copied().filter(|v| v.is_finite()).collect() };
    let (focus, mut others) = (finite(focus), finite(others));
    let (base, rest) = if focus.is_empty() {
        (std::mem::take(&mut others), Vec::new())
    } else {
        (focus, others)
    };
    if base.is_empty() {
        return bounds;
    }
    let mut lo = base.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = base.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // A focus of (nearly) one value still gets a span to compare the others with.
    let span = (hi - lo).max(0.1 * hi.abs().max(lo.abs())).max(1e-9);
    let mut rest = rest;
    rest.sort_by(|a, b| {
        let d = |v: f64| (lo - v).max(v - hi).max(0.0);
        d(*a).total_cmp(&d(*b))
    });
    for v in rest {
        let (nlo, nhi) = (lo.min(v), hi.max(v));
        if nhi - nlo <= 1.5 * span {
            (lo, hi) = (nlo, nhi);
        }
    }
    let pad = 0.08 * (hi - lo).max(span);
    ((lo - pad).max(bounds.0), (hi + pad).min(bounds.1))
}

/// An axis-aligned box in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x0: f64,
    /// Top edge.
    pub y0: f64,
    /// Right edge.
    pub x1: f64,
    /// Bottom edge.
    pub y1: f64,
}

impl Rect {
    /// Whether the two boxes share any area (touching edges do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    fn contains(&self, inner: &Rect) -> bool {
        inner.x0 >= self.x0 && inner.x1 <= self.x1 && inner.y0 >= self.y0 && inner.y1 <= self.y1
    }

    /// The point of the box nearest to `p` (for a leader line).
    fn nearest(&self, p: (f64, f64)) -> (f64, f64) {
        (p.0.clamp(self.x0, self.x1), p.1.clamp(self.y0, self.y1))
    }
}

/// Estimated advance of one character of a label (`svg .label{font-size:11px}`), generous so
/// that the estimated box holds the rendered text in the usual sans-serif fonts.
pub const LABEL_CHAR_WIDTH: f64 = 6.6;
/// Height of a label's box.
pub const LABEL_HEIGHT: f64 = 13.0;
/// Points closer than this (pixels) get one label naming them all ("a, b"): two labels
/// cannot both sit beside the same spot.
pub const MERGE_DISTANCE: f64 = 6.0;
/// Distances (pixels) from a point at which its label is tried, nearest first; beyond the
/// first, a leader line joins label and point.
const RINGS: [f64; 8] = [9.0, 18.0, 32.0, 48.0, 66.0, 88.0, 115.0, 150.0];

/// A label as placed by [`place_labels`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLabel {
    /// The text (several names joined by ", " for points that coincide).
    pub text: String,
    /// The labelled point.
    pub point: (f64, f64),
    /// The box the text occupies.
    pub bbox: Rect,
    /// Whether the label sits away from its point and needs a line to it.
    pub leader: bool,
}

/// Places the labels `(x, y, text)` of points (pixels) inside `area`, so that no two label
/// boxes overlap and no label covers a marker in `markers` (circles of radius 5).
///
/// Deterministic and greedy, in input order (earlier labels get the better places): labels
/// of points closer than [`MERGE_DISTANCE`] are first merged into one; each label then takes
/// the first free place among eight directions (upper right first) at growing distances
/// ([`RINGS`]), and failing that the free place nearest its point on a grid over the area.
/// Only when the area has no free place left at all does a label go where it overlaps least.
pub fn place_labels(
    labels: &[(f64, f64, String)],
    markers: &[(f64, f64)],
    area: Rect,
) -> Vec<PlacedLabel> {
    // Merge labels of (nearly) coinciding points, keeping the first point.
    let mut groups: Vec<((f64, f64), Vec<&str>)> = Vec::new();
    for (x, y, text) in labels {
        match groups
            .iter_mut()
            .find(|(p, _)| (p.0 - x).hypot(p.1 - y) < MERGE_DISTANCE)
        {
            Some((_, names)) => names.push(text.as_str()),
            None => groups.push(((*x, *y), vec![text.as_str()])),
        }
    }
    let obstacles: Vec<Rect> = markers
        .iter()
        .map(|&(x, y)| Rect {
            x0: x - 6.0,
            y0: y - 6.0,
            x1: x + 6.0,
            y1: y + 6.0,
        })
        .collect();
    let mut placed: Vec<PlacedLabel> = Vec::new();
    for (point, names) in groups {
        let text = names.join(", ");
        let w = text.chars().count() as f64 * LABEL_CHAR_WIDTH;
        let h = LABEL_HEIGHT;
        let free = |b: &Rect, placed: &[PlacedLabel]| {
            area.contains(b)
                && !placed.iter().any(|p| p.bbox.overlaps(b))
                && !obstacles.iter().any(|o| o.overlaps(b))
        };
        let at = |x0: f64, y0: f64| Rect {
            x0,
            y0,
            x1: x0 + w,
            y1: y0 + h,
        };
        let (px, py) = point;
        let mut choice: Option<(Rect, bool)> = None;
        'rings: for (i, &r) in RINGS.iter().enumerate() {
            let d = r * std::f64::consts::FRAC_1_SQRT_2;
            let candidates = [
                at(px + d, py - d - h),       // upper right
                at(px + r, py - h / 2.0),     // right
                at(px + d, py + d),           // lower right
                at(px - d - w, py - d - h),   // upper left
                at(px - r - w, py - h / 2.0), // left
                at(px - d - w, py + d),       // lower left
                at(px - w / 2.0, py - r - h), // above
                at(px - w / 2.0, py + r),     // below
            ];
            for b in candidates {
                if free(&b, &placed) {
                    choice = Some((b, i > 0));
                    break 'rings;
                }
            }
        }
        if choice.is_none() {
            // Nearest free place on a 4-pixel grid.
            let mut best: Option<(f64, Rect)> = None;
            let mut y0 = area.y0;
            while y0 + h <= area.y1 {
                let mut x0 = area.x0;
                while x0 + w <= area.x1 {
                    let b = at(x0, y0);
                    let (nx, ny) = b.nearest(point);
                    let dist = (nx - px).hypot(ny - py);
                    if best.is_none_or(|(d, _)| dist < d) && free(&b, &placed) {
                        best = Some((dist, b));
                    }
                    x0 += 4.0;
                }
                y0 += 4.0;
            }
            choice = best.map(|(_, b)| (b, true));
        }
        let (bbox, leader) = choice.unwrap_or_else(|| (at(px + 7.0, py - 7.0 - h), false));
        placed.push(PlacedLabel {
            text,
            point,
            bbox,
            leader,
        });
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area() -> Rect {
        Rect {
            x0: 64.0,
            y0: 20.0,
            x1: 870.0,
            y1: 408.0,
        }
    }

    fn assert_apart(placed: &[PlacedLabel]) {
        for (i, a) in placed.iter().enumerate() {
            assert!(area().contains(&a.bbox), "{a:?} outside the plot");
            for b in &placed[i + 1..] {
                assert!(!a.bbox.overlaps(&b.bbox), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn labels_of_coinciding_and_crowded_points_never_overlap() {
        // Two points 2 px apart (reciprocity and multiplexity on tiny), a crowd of ten within
        // 30 px, and points against the plot's edges.
        let mut labels = vec![
            (400.0, 200.0, "reciprocity".to_owned()),
            (401.0, 201.5, "multiplexity".to_owned()),
        ];
        for i in 0..10 {
            let f = f64::from(i);
            labels.push((420.0 + 3.0 * f, 210.0 - 2.5 * f, format!("heuristic-{i}")));
        }
        labels.push((866.0, 24.0, "corner".to_owned()));
        labels.push((66.0, 405.0, "other corner".to_owned()));
        let markers: Vec<(f64, f64)> = labels.iter().map(|l| (l.0, l.1)).collect();
        let placed = place_labels(&labels, &markers, area());
        assert_apart(&placed);
        // The coinciding pair shares one label; every name is shown once.
        assert_eq!(placed[0].text, "reciprocity, multiplexity");
        let shown: Vec<&str> = placed.iter().flat_map(|p| p.text.split(", ")).collect();
        assert_eq!(shown.len(), labels.len());
        // No label covers a marker.
        for p in &placed {
            for &(x, y) in &markers {
                let dot = Rect {
                    x0: x - 5.0,
                    y0: y - 5.0,
                    x1: x + 5.0,
                    y1: y + 5.0,
                };
                assert!(
                    !p.bbox.overlaps(&dot),
                    "{p:?} covers the marker at ({x}, {y})"
                );
            }
        }
        // A lone point keeps the usual place, upper right, without a leader line.
        let lone = place_labels(
            &[(300.0, 300.0, "volume".into())],
            &[(300.0, 300.0)],
            area(),
        );
        assert!(!lone[0].leader && lone[0].bbox.x0 > 300.0 && lone[0].bbox.y1 < 300.0);
    }

    #[test]
    fn the_axis_shows_the_heuristics_and_leaves_a_far_baseline_off_scale() {
        // Exposure@15 of the heuristics between 4 and 6; oracle 0.4, random 12.
        let (lo, hi) = focus_domain(&[4.1, 4.8, 5.9], &[0.4, 12.0], (0.0, f64::INFINITY));
        assert!(lo > 3.5 && lo < 4.1 && hi > 5.9 && hi < 6.5, "({lo}, {hi})");
        // A baseline close to the heuristics is taken in.
        let (lo, hi) = focus_domain(&[0.55, 0.7], &[0.5, 0.1], (0.0, 1.0));
        assert!(lo < 0.5 && lo > 0.4 && hi > 0.7, "({lo}, {hi})");
        // Bounds are respected; without heuristics the baselines set the domain.
        assert_eq!(focus_domain(&[], &[0.0, 1.0], (0.0, 1.0)), (0.0, 1.0));
        let (lo, hi) = focus_domain(&[0.97, 0.99], &[], (0.0, 1.0));
        assert!(lo < 0.97 && hi > 0.99 && hi <= 1.0, "({lo}, {hi})");

        // Drawn: the far baseline is a triangle on the edge, labelled as off scale.
        let mut chart = Chart::new(
            1100.0,
            460.0,
            (64.0, 20.0, 230.0, 52.0),
            (0.5, 0.8, false),
            (3.5, 6.5, false),
        );
        chart.marker_or_off_scale(0.6, 5.0, "#1f77b4", "volume", Some("volume"));
        chart.marker_or_off_scale(0.2, 12.0, "#7f7f7f", "random", Some("random"));
        let svg = chart.finish("t");
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
        assert_eq!(svg.matches("<polygon").count(), 1, "{svg}");
        assert!(svg.contains(">random (off scale)</text>"), "{svg}");
    }

    #[test]
    fn finished_charts_write_each_label_once() {
        let mut chart = Chart::new(
            1100.0,
            460.0,
            (64.0, 20.0, 230.0, 52.0),
            (0.0, 1.0, false),
            (0.0, 1.0, false),
        );
        chart.marker(0.5, 0.5, "#000", "a", Some("reciprocity"));
        chart.marker(0.5005, 0.5005, "#000", "b", Some("multiplexity"));
        chart.marker(0.9, 0.1, "#000", "c", Some("volume"));
        let svg = chart.finish("t");
        assert_eq!(svg.matches(r#"class="label""#).count(), 2, "{svg}");
        assert!(svg.contains(">reciprocity, multiplexity</text>"), "{svg}");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(esc(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&#39;");
    }

    #[test]
    fn linear_ticks_are_round_and_inside() {
        let s = Scale::new(0.0, 1.0, 0.0, 100.0, false);
        assert_eq!(
            s.ticks(5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let s = Scale::new(0.0, 37.0, 0.0, 100.0, false);
        assert_eq!(s.ticks(5), vec![0.0, 10.0, 20.0, 30.0]);
    }

    #[test]
    fn log_scale_places_decades_and_refuses_non_positive() {
        let s = Scale::new(1.0, 1000.0, 0.0, 300.0, true);
        assert_eq!(s.ticks(5), vec![1.0, 10.0, 100.0, 1000.0]);
        assert!((s.map(10.0).unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(s.map(0.0), None);
        assert_eq!(s.map(f64::NAN), None);
    }

    #[test]
    fn degenerate_domain_maps_to_finite_pixels() {
        let s = Scale::new(3.0, 3.0, 0.0, 100.0, false);
        assert_eq!(s.map(3.0), Some(50.0));
    }

    #[test]
    fn unplaceable_points_are_skipped() {
        let mut chart = Chart::new(
            200.0,
            100.0,
            (40.0, 10.0, 10.0, 40.0),
            (0.0, 1.0, false),
            (0.0, 1.0, false),
        );
        chart.polyline(
            &[(0.0, 0.5), (f64::NAN, 0.2), (1.0, f64::INFINITY)],
            "#000",
            false,
        );
        chart.marker(f64::NAN, 1.0, "#000", "x", None);
        let svg = chart.finish("t");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert!(!svg.contains("<circle"));
    }
}

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

    /// A circle marker with a hover title and an optional text label beside it.
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
        if let Some(label) = label {
            let _ = write!(
                self.body,
                r#"<text x="{}" y="{}" class="label">{}</text>"#,
                c(px + 7.0),
                c(py - 5.0),
                esc(label)
            );
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
    pub fn finish(self, title: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>{body}</svg>"#,
            w = c(self.width),
            h = c(self.height),
            t = esc(title),
            body = self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! PNG plots of a run (plotters): training curves, per-policy bars, the cost–latency–carbon
//! trade-off, forecast against actual, cold starts over time.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::evaluate::metrics::PolicyMetrics;

const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
    RGBColor(255, 215, 0),
];

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plot: {e:?}")
}

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in v.filter(|x| x.is_finite()) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// One line of a line chart.
pub struct Line<'a> {
    /// Legend label.
    pub label: &'a str,
    /// Points.
    pub points: Vec<(f64, f64)>,
}

/// A panel of a multi-panel line figure.
pub struct Panel<'a> {
    /// Title.
    pub title: &'a str,
    /// x-axis label.
    pub x: &'a str,
    /// y-axis label.
    pub y: &'a str,
    /// Lines.
    pub lines: Vec<Line<'a>>,
}

/// Draw panels side by side (rows × cols) into one PNG.
pub fn lines(path: &Path, title: &str, panels: &[Panel<'_>], cols: usize) -> Result<()> {
    let rows = panels.len().div_ceil(cols.max(1));
    let root = BitMapBackend::new(path, (560 * cols as u32, 420 * rows as u32 + 40)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, ("sans-serif", 26)).map_err(err)?;
    let areas = root.split_evenly((rows, cols));
    for (area, p) in areas.iter().zip(panels) {
        let (x0, x1) = range(p.lines.iter().flat_map(|l| l.points.iter().map(|q| q.0)));
        let (y0, y1) = range(p.lines.iter().flat_map(|l| l.points.iter().map(|q| q.1)));
        let mut c = ChartBuilder::on(area)
            .caption(p.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        c.configure_mesh().x_desc(p.x).y_desc(p.y).draw().map_err(err)?;
        for (i, l) in p.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            c.draw_series(LineSeries::new(l.points.iter().copied().filter(|q| q.1.is_finite()), color.stroke_width(2)))
                .map_err(err)?
                .label(l.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        if p.lines.len() > 1 {
            c.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Bar panels: one bar per policy for each metric.
pub fn policy_bars(path: &Path, names: &[&str], metrics: &[&PolicyMetrics]) -> Result<()> {
    type Get = fn(&PolicyMetrics) -> f64;
    let panels: [(&str, Get); 4] = [
        ("mean reward (higher is better)", |m| m.mean_reward),
        ("cost, USD per million invocations", |m| m.cost_usd_per_m),
        ("latency p95, ms", |m| m.latency_ms_p95),
        ("carbon, gCO2e per million invocations", |m| m.carbon_g_per_m),
    ];
    let root = BitMapBackend::new(path, (1400, 1000)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled("Policies on the test days (one simulator run)", ("sans-serif", 26)).map_err(err)?;
    let areas = root.split_evenly((2, 2));
    for (area, (title, get)) in areas.iter().zip(panels) {
        let vals: Vec<f64> = metrics.iter().map(|m| get(m)).collect();
        let (lo, hi) = range(vals.iter().copied().chain([0.0]));
        let n = names.len();
        let mut c = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(120)
            .build_cartesian_2d(lo..hi, 0f64..n as f64)
            .map_err(err)?;
        // Horizontal bars: the policy names read horizontally on the y axis, first on top.
        let labels: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let row = |i: usize| (n - 1 - i) as f64;
        c.configure_mesh()
            .disable_y_mesh()
            .y_labels(n * 2 + 1)
            .y_label_formatter(&|y| {
                let r = y.floor();
                let i = n as f64 - 1.0 - r;
                if (y - r - 0.5).abs() < 0.26 && i >= 0.0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        c.draw_series(vals.iter().enumerate().map(|(i, &v)| {
            Rectangle::new([(0.0, row(i) + 0.15), (v, row(i) + 0.85)], PALETTE[i % PALETTE.len()].filled())
        }))
        .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Trade-off plots with at most this many points label each with all three values.
const FULL_LABELS: usize = 6;

/// `v` with three significant digits (no exponent for the magnitudes the reports show).
fn sig3(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 || a == 0.0 { 0 } else { (2.0 - a.log10().floor()).clamp(0.0, 6.0) as usize };
    format!("{v:.decimals$}")
}

/// One axis of a trade-off plot: its label and how to read it from a policy's metrics.
pub struct Axis<'a> {
    /// Label (with unit).
    pub label: &'a str,
    /// The value of a policy.
    pub get: fn(&PolicyMetrics) -> f64,
    /// Unit written after a marker's value.
    pub unit: &'a str,
}

/// Every policy a point on log axes `x` and `y`, the third metric `size` as marker size and
/// label.
pub fn tradeoff(
    path: &Path,
    title: &str,
    names: &[&str],
    metrics: &[&PolicyMetrics],
    x: Axis<'_>,
    y: Axis<'_>,
    size: Axis<'_>,
) -> Result<()> {
    let root = BitMapBackend::new(path, (1100, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    // Log axes: the policies span orders of magnitude.
    let pos = |v: f64| v.max(1e-6);
    let lo_hi = |v: Vec<f64>| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi.is_finite() { (lo / 1.5, hi * 1.5) } else { (1.0, 10.0) }
    };
    let (x0, x1) = lo_hi(metrics.iter().map(|m| pos((x.get)(m))).collect());
    let (y0, y1) = lo_hi(metrics.iter().map(|m| pos((y.get)(m))).collect());
    let (_, c1) = range(metrics.iter().map(|m| (size.get)(m)));
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(err)?;
    c.configure_mesh().x_desc(x.label).y_desc(y.label).draw().map_err(err)?;
    for (i, (n, m)) in names.iter().zip(metrics).enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let v = (size.get)(m);
        // Area grows with the value relative to the largest, so close values look close.
        let r = 4.0 + 18.0 * (v.max(0.0) / c1.max(1e-9)).sqrt();
        let at = (pos((x.get)(m)), pos((y.get)(m)));
        // With few points, every value in the label (a log axis spanning less than a decade
        // has no tick labels); with many, the marker's value only, so labels stay apart.
        let label = if names.len() <= FULL_LABELS {
            format!("{n} ({} {}, {} {}, {} {})", sig3(at.0), x.unit, sig3(at.1), y.unit, sig3(v), size.unit)
        } else {
            format!("{n} ({} {})", sig3(v), size.unit)
        };
        c.draw_series(std::iter::once(Circle::new(at, r as i32, color.filled()))).map_err(err)?;
        // Labels alternate above and below their point so neighbours stay readable, and sit
        // left of points in the right part of the plot so they stay inside it.
        let dy = if i % 2 == 0 { -18 } else { 8 };
        let frac = (at.0.ln() - x0.ln()) / (x1.ln() - x0.ln()).max(1e-9);
        let dx = if frac > 0.55 { 6 - 7 * label.chars().count() as i32 } else { 6 };
        c.draw_series(std::iter::once(EmptyElement::at(at) + Text::new(label, (dx, dy), ("sans-serif", 14))))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Cost against p95 latency, carbon as the marker size.
pub fn pareto(path: &Path, names: &[&str], metrics: &[&PolicyMetrics]) -> Result<()> {
    tradeoff(
        path,
        "Cost–latency–carbon trade-off (log axes; marker size = carbon; lower-left is better)",
        names,
        metrics,
        Axis { label: "latency p95, ms", get: |m| m.latency_ms_p95, unit: "ms" },
        Axis { label: "cost, USD per million invocations", get: |m| m.cost_usd_per_m, unit: "USD/M" },
        Axis { label: "carbon", get: |m| m.carbon_g_per_m, unit: "g/M" },
    )
}

/// Cost against carbon, p95 latency as the marker size.
pub fn pareto_carbon(path: &Path, names: &[&str], metrics: &[&PolicyMetrics]) -> Result<()> {
    tradeoff(
        path,
        "Cost–carbon trade-off (log axes; marker size = p95 latency; lower-left is better)",
        names,
        metrics,
        Axis { label: "carbon, gCO2e per million invocations", get: |m| m.carbon_g_per_m, unit: "g/M" },
        Axis { label: "cost, USD per million invocations", get: |m| m.cost_usd_per_m, unit: "USD/M" },
        Axis { label: "p95", get: |m| m.latency_ms_p95, unit: "ms p95" },
    )
}

/// Keep-alive and pre-warming policies: cold-start rate against idle memory, cost as the
/// marker size.
pub fn prewarm(path: &Path, names: &[&str], metrics: &[&PolicyMetrics]) -> Result<()> {
    tradeoff(
        path,
        "Pre-warming and keep-alive (log axes; marker size = cost; lower-left is better)",
        names,
        metrics,
        Axis { label: "idle memory, GB-h", get: |m| m.idle_gb_h, unit: "GB-h" },
        Axis { label: "cold starts, % of invocations", get: |m| 100.0 * m.cold_start_rate, unit: "%" },
        Axis { label: "cost", get: |m| m.cost_usd_per_m, unit: "USD/M" },
    )
}

#[cfg(test)]
mod tests {
    use super::sig3;

    #[test]
    fn labels_keep_three_significant_digits() {
        assert_eq!(sig3(4.8812), "4.88");
        assert_eq!(sig3(20.54), "20.5");
        assert_eq!(sig3(16906.2), "16906");
        assert_eq!(sig3(0.01234), "0.0123");
        assert_eq!(sig3(0.0), "0");
    }
}

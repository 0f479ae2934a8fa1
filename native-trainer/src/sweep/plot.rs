//! sweep.svg, written by hand (no plotting dependency): two panels against α — mAP Mo / Cr / Mul on the left,
//! rank distance on the right — one colour per metric, one line style and marker per objective, error bars of
//! ±1 sd when there are several seeds, a title, axis labels and a legend. Every series is a
//! `<g class="series" data-metric=… data-objective=…>` whose markers carry `data-alpha` and `data-mean`.

use std::fmt::Write;
use std::path::Path;

use super::{Group, METRICS};

const W: f64 = 900.0;
const TOP: f64 = 100.0;
const BOTTOM: f64 = 440.0;
const LEGEND_TOP: f64 = 512.0;
const FONT: &str = "DejaVu Sans, Arial, Helvetica, sans-serif";
/// Per metric of [`METRICS`] (colour-blind-safe Dark2).
const COLOURS: [&str; 4] = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"];
/// Per objective, in the order they first appear: (stroke-dasharray, marker).
const STYLES: [(&str, Marker); 3] = [("", Marker::Circle), ("8 5", Marker::Square), ("2 4", Marker::Triangle)];

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Triangle,
}

/// One line: a metric of one objective, (α, mean, sd) per point.
struct Series<'a> {
    metric: usize,
    objective: &'a str,
    style: usize,
    points: Vec<(f64, f64, Option<f64>)>,
}

pub fn svg(groups: &[Group], eval: &Path) -> String {
    let mut objectives: Vec<&str> = Vec::new();
    for g in groups {
        if !objectives.contains(&g.objective.as_str()) {
            objectives.push(&g.objective);
        }
    }
    let series: Vec<Series> = objectives
        .iter()
        .enumerate()
        .flat_map(|(style, &objective)| {
            (0..METRICS.len()).map(move |metric| Series {
                metric,
                objective,
                style: style % STYLES.len(),
                points: groups
                    .iter()
                    .filter(|g| g.objective == objective && g.stats[metric].mean.is_finite())
                    .map(|g| (g.alpha, g.stats[metric].mean, g.stats[metric].sd))
                    .collect(),
            })
        })
        .collect();
    let seeds = groups.iter().map(|g| g.n).max().unwrap_or(0);
    let h = LEGEND_TOP + 26.0 * objectives.len() as f64 + 8.0;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="{FONT}" font-size="13" fill="#222">
<rect width="{W}" height="{h}" fill="white"/>
<text x="{}" y="32" text-anchor="middle" font-size="20" font-weight="bold">LAReQA retrieval against α (hybrid batches)</text>
<text x="{}" y="56" text-anchor="middle" font-size="13" fill="#555">{}</text>"##,
        W / 2.0,
        W / 2.0,
        escape(&format!(
            "α = share of X-X-mono batches (0 = pure X-Y, 1 = pure X-X-mono) · {} · eval: {}",
            if seeds > 1 { format!("mean ± 1 sd over {seeds} seeds") } else { "one seed".into() },
            eval.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
        ))
    );
    let (map, rd): (Vec<&Series>, Vec<&Series>) = series.iter().partition(|x| METRICS[x.metric].0 != "rank_distance");
    panel(&mut s, (75.0, 420.0), "mAP (Mo / Cr / Mul)", "mAP (higher is better)", Some((0.0, 1.0)), &map);
    panel(&mut s, (545.0, 885.0), "Rank distance", "rank distance (lower = less language bias)", None, &rd);
    legend(&mut s, &series, &objectives);
    s.push_str("</svg>\n");
    s
}

/// One panel: frame, grid, ticks, labels and its series. `clamp` bounds the y range (mAP lies in [0, 1]).
fn panel(s: &mut String, (left, right): (f64, f64), title: &str, y_label: &str, clamp: Option<(f64, f64)>, series: &[&Series]) {
    let values = series.iter().flat_map(|x| x.points.iter().flat_map(|&(_, m, sd)| [m - sd.unwrap_or(0.0), m + sd.unwrap_or(0.0)]));
    let (mut lo, mut hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        (lo, hi) = clamp.unwrap_or((0.0, 1.0));
    }
    if let Some((cl, ch)) = clamp {
        (lo, hi) = (lo.max(cl), hi.min(ch));
    }
    let (lo, hi, step) = nice_range(lo, hi);
    let (lo, hi) = clamp.map_or((lo, hi), |(cl, ch)| (lo.max(cl), hi.min(ch)));
    let x = |a: f64| left + 12.0 + a * (right - left - 24.0);
    let y = |v: f64| BOTTOM - (v - lo) / (hi - lo) * (BOTTOM - TOP);
    let mid = (left + right) / 2.0;
    let _ = writeln!(s, r#"<g class="panel"><text x="{mid}" y="{}" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#, TOP - 14.0, escape(title));
    let decimals = if step >= 1.0 { 0 } else { (-step.log10()).ceil() as usize };
    let mut v = lo;
    while v <= hi + step * 1e-6 {
        let yy = y(v);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" x2="{right}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" text-anchor="end">{v:.decimals$}</text>"##,
            left - 6.0,
            yy + 4.0
        );
        v += step;
    }
    for a in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let xx = x(a);
        let _ = writeln!(
            s,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{TOP}" y2="{BOTTOM}" stroke="#f0f0f0"/><line x1="{xx:.1}" x2="{xx:.1}" y1="{BOTTOM}" y2="{}" stroke="#444"/><text x="{xx:.1}" y="{}" text-anchor="middle">{a}</text>"##,
            BOTTOM + 5.0,
            BOTTOM + 20.0
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#444"/>
<text x="{mid}" y="{}" text-anchor="middle" font-size="14">α (share of X-X-mono batches)</text>
<text transform="translate({},{}) rotate(-90)" text-anchor="middle" font-size="14">{}</text>"##,
        right - left,
        BOTTOM - TOP,
        BOTTOM + 42.0,
        left - 50.0,
        (TOP + BOTTOM) / 2.0,
        escape(y_label)
    );
    for (i, ser) in series.iter().enumerate() {
        // Nudge the series sideways a little so error bars at the same α stay apart.
        let dx = (i as f64 - (series.len() as f64 - 1.0) / 2.0) * 3.0;
        let (dash, marker) = STYLES[ser.style];
        let colour = COLOURS[ser.metric];
        let _ = write!(s, r#"<g class="series" data-metric="{}" data-objective="{}" stroke="{colour}" fill="{colour}">"#, METRICS[ser.metric].0, escape(ser.objective));
        let _ = write!(s, "<title>{} · {}</title>", METRICS[ser.metric].1, escape(ser.objective));
        let points: Vec<String> = ser.points.iter().map(|&(a, m, _)| format!("{:.1},{:.1}", x(a) + dx, y(m))).collect();
        let _ = write!(s, r#"<polyline points="{}" fill="none" stroke-width="2.2" stroke-dasharray="{dash}"/>"#, points.join(" "));
        for &(a, m, sd) in &ser.points {
            let (px, py) = (x(a) + dx, y(m));
            if let Some(sd) = sd.filter(|sd| *sd > 0.0) {
                let (y0, y1) = (y((m - sd).max(lo)), y((m + sd).min(hi)));
                let _ = write!(
                    s,
                    r#"<path class="error-bar" d="M{px:.1},{y0:.1}V{y1:.1}M{:.1},{y0:.1}h8M{:.1},{y1:.1}h8" fill="none" stroke-width="1.3"/>"#,
                    px - 4.0,
                    px - 4.0
                );
            }
            let _ = write!(s, "{}", marker_svg(marker, px, py, &format!(r#" class="point" data-alpha="{a}" data-mean="{m}""#)));
        }
        s.push_str("</g>\n");
    }
    s.push_str("</g>\n");
}

fn legend(s: &mut String, series: &[Series], objectives: &[&str]) {
    let _ = writeln!(s, r#"<g class="legend" font-size="13">"#);
    for (row, objective) in objectives.iter().enumerate() {
        let y = LEGEND_TOP + row as f64 * 26.0;
        for (col, ser) in series.iter().filter(|x| x.objective == *objective).enumerate() {
            let x = 40.0 + col as f64 * 210.0;
            let (dash, marker) = STYLES[ser.style];
            let colour = COLOURS[ser.metric];
            let _ = writeln!(
                s,
                r#"<g stroke="{colour}" fill="{colour}"><line x1="{x}" x2="{}" y1="{y}" y2="{y}" stroke-width="2.2" stroke-dasharray="{dash}"/>{}</g><text x="{}" y="{}">{} · {}</text>"#,
                x + 36.0,
                marker_svg(marker, x + 18.0, y, ""),
                x + 44.0,
                y + 4.5,
                METRICS[ser.metric].1,
                escape(objective)
            );
        }
    }
    s.push_str("</g>\n");
}

fn marker_svg(marker: Marker, x: f64, y: f64, attrs: &str) -> String {
    match marker {
        Marker::Circle => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="4"{attrs}/>"#),
        Marker::Square => format!(r#"<rect x="{:.1}" y="{:.1}" width="8" height="8"{attrs}/>"#, x - 4.0, y - 4.0),
        Marker::Triangle => format!(r#"<path d="M{x:.1},{:.1}l5,9h-10z"{attrs}/>"#, y - 5.0),
    }
}

/// A range covering [lo, hi] in round steps (1, 2 or 5 × 10^k), about five of them.
fn nice_range(lo: f64, hi: f64) -> (f64, f64, f64) {
    let (lo, hi) = if hi - lo > 1e-12 { (lo, hi) } else { (lo - 0.5 * lo.abs().max(0.1), hi + 0.5 * hi.abs().max(0.1)) };
    let raw = (hi - lo) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = magnitude * [1.0, 2.0, 5.0, 10.0].into_iter().find(|m| raw / magnitude <= *m).unwrap_or(10.0);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

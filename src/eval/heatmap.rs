//! The language-pair heatmap as a standalone SVG file (`lingbridge eval` writes one per LAReQA system): rows
//! are query languages, columns candidate languages, each cell the mAP of that pair (the diagonal is the Mo
//! setting and is outlined). Same palette and reading as the page's chart (www/ui/charts.js), but with inline
//! styles so the file renders anywhere (a README, a browser, an image viewer). Written by hand: no plotting
//! dependency for one grid of rectangles.

use std::fmt::Write;

use crate::eval::protocol::LareqaScores;

const CELL: f64 = 44.0;
const LEFT: f64 = 64.0;
const TOP: f64 = 92.0;
const FONT: &str = "DejaVu Sans, Arial, Helvetica, sans-serif";
/// Light to dark blue, as on the page: low mAP is pale, high mAP dark.
const STOPS: [[f64; 3]; 3] = [[244.0, 247.0, 253.0], [143.0, 176.0, 234.0], [29.0, 63.0, 143.0]];

/// `rgb(r,g,b)` of a value in [0, 1] (clamped; NaN counts as 0).
pub fn colour(t: f64) -> String {
    let x = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let (a, b, f) = if x < 0.5 { (STOPS[0], STOPS[1], x / 0.5) } else { (STOPS[1], STOPS[2], (x - 0.5) / 0.5) };
    let c: Vec<String> = (0..3).map(|i| format!("{}", (a[i] + (b[i] - a[i]) * f).round() as u8)).collect();
    format!("rgb({})", c.join(","))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The SVG of `scores.pairs` (mAP, scale 0–1) under `title` (bold) and `subtitle` (e.g. model and dataset).
pub fn pairs_svg(title: &str, subtitle: &str, scores: &LareqaScores) -> String {
    let langs = &scores.languages;
    let n = langs.len() as f64;
    let grid = CELL * n;
    let legend_y = TOP + grid + 24.0;
    // Wide enough for the grid, the legend and the longer heading line (~7 px per character at 12–14 px).
    let text = title.chars().count().max(subtitle.chars().count()) as f64 * 7.2 + 20.0;
    let width = (LEFT + grid + 16.0).max(420.0).max(text).round();
    let height = legend_y + 44.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12" fill="#1d2330">"##
    );
    let _ = writeln!(s, r##"<title>{}</title><rect width="100%" height="100%" fill="#fff"/>"##, esc(title));
    let _ = writeln!(s, r##"<text x="10" y="20" font-size="14" font-weight="bold">{}</text>"##, esc(title));
    let _ = writeln!(s, r##"<text x="10" y="40" fill="#555">{}</text>"##, esc(subtitle));
    let _ = writeln!(s, r##"<text x="{}" y="64" text-anchor="middle">candidate language (columns)</text>"##, LEFT + grid / 2.0);
    let _ = writeln!(
        s,
        r##"<text transform="translate(14 {}) rotate(-90)" text-anchor="middle">query language (rows)</text>"##,
        TOP + grid / 2.0
    );
    for (j, c) in langs.iter().enumerate() {
        let _ = writeln!(s, r##"<text x="{}" y="{}" text-anchor="middle">{}</text>"##, LEFT + j as f64 * CELL + CELL / 2.0, TOP - 8.0, esc(c));
    }
    for (i, r) in langs.iter().enumerate() {
        let y = TOP + i as f64 * CELL;
        let _ = writeln!(s, r##"<text x="{}" y="{}" text-anchor="end">{}</text>"##, LEFT - 6.0, y + CELL / 2.0 + 4.0, esc(r));
        for (j, c) in langs.iter().enumerate() {
            let x = LEFT + j as f64 * CELL;
            let v = scores.pairs.get(i).and_then(|row| row.get(j)).map(|p| p.map);
            let (fill, label, ink) = match v {
                Some(v) if v.is_finite() => (colour(v), format!("{v:.2}").trim_start_matches('0').to_string(), if v > 0.55 { "#fff" } else { "#1d2330" }),
                _ => ("#f0f0f0".to_string(), "–".to_string(), "#1d2330"),
            };
            let value = v.filter(|v| v.is_finite()).map(|v| format!(r#" data-map="{v}""#)).unwrap_or_default();
            let _ = writeln!(
                s,
                r##"<g class="cell" data-query="{q}" data-candidate="{c}"{value}><rect x="{rx}" y="{ry}" width="{w}" height="{w}" fill="{fill}"/><text x="{tx}" y="{ty}" text-anchor="middle" font-size="11" fill="{ink}">{label}</text></g>"##,
                q = esc(r),
                c = esc(c),
                rx = x + 0.5,
                ry = y + 0.5,
                w = CELL - 1.0,
                tx = x + CELL / 2.0,
                ty = y + CELL / 2.0 + 4.0,
            );
        }
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="{}" width="{w}" height="{w}" fill="none" stroke="#d95f02" stroke-width="2"/>"##,
            LEFT + i as f64 * CELL + 1.5,
            y + 1.5,
            w = CELL - 3.0
        );
    }
    let lw = 170.0_f64.min(grid.max(120.0));
    s.push_str(r##"<defs><linearGradient id="scale">"##);
    for stop in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(s, r##"<stop offset="{stop}" stop-color="{}"/>"##, colour(stop));
    }
    s.push_str("</linearGradient></defs>\n");
    let _ = writeln!(s, r##"<text x="{LEFT}" y="{}">mAP</text>"##, legend_y - 4.0);
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{legend_y}" width="{lw}" height="10" fill="url(#scale)" stroke="#9aa3b5" stroke-width="0.5"/>"##
    );
    for (t, anchor) in [(0.0, "start"), (0.5, "middle"), (1.0, "end")] {
        let _ = writeln!(s, r##"<text x="{}" y="{}" text-anchor="{anchor}">{t:.1}</text>"##, LEFT + t * lw, legend_y + 24.0);
    }
    let _ = writeln!(s, r##"<text x="{}" y="{}" fill="#555">outlined: same language (Mo)</text>"##, LEFT + lw + 10.0, legend_y + 9.0);
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::bias::language_bias;
    use crate::eval::protocol::Scores;

    fn scores() -> LareqaScores {
        let s = |map: f64| Scores { map, recall_1: 0.0, recall_10: 0.0, queries: 3 };
        LareqaScores {
            languages: vec!["en".into(), "zh".into()],
            mo: s(0.9),
            cr: s(0.5),
            mul: s(0.4),
            mul_macro: s(0.4),
            pairs: vec![vec![s(0.91), s(0.25)], vec![s(0.126), s(0.875)]],
            mul_per_language: Default::default(),
            bias: language_bias(std::iter::empty()),
        }
    }

    #[test]
    fn every_pair_is_a_cell_with_its_map() {
        let svg = pairs_svg("dense: mAP per language pair", "base <on> \"held-out\"", &scores());
        assert_eq!(svg.matches(r#"class="cell""#).count(), 4);
        for (q, c, v) in [("en", "en", "0.91"), ("en", "zh", "0.25"), ("zh", "en", "0.126"), ("zh", "zh", "0.875")] {
            assert!(svg.contains(&format!(r#"data-query="{q}" data-candidate="{c}" data-map="{v}""#)), "{q}→{c} in {svg}");
        }
        // Labels drop the leading zero like the page's; the title is escaped.
        assert!(svg.contains(">.91</text>") && svg.contains(">.13</text>"));
        assert!(svg.contains("base &lt;on&gt; &quot;held-out&quot;") && !svg.contains("<on>"));
        assert_eq!(svg.matches("stroke=\"#d95f02\"").count(), 2, "one outline per diagonal cell");
    }

    #[test]
    fn the_palette_darkens_with_the_score_and_clamps() {
        assert_eq!(colour(0.0), "rgb(244,247,253)");
        assert_eq!(colour(0.5), "rgb(143,176,234)");
        assert_eq!(colour(1.0), "rgb(29,63,143)");
        assert_eq!(colour(-3.0), colour(0.0));
        assert_eq!(colour(f64::NAN), colour(0.0));
        assert_eq!(colour(7.0), colour(1.0));
        // The page's colour(0.25): halfway between the first two stops, rounded.
        assert_eq!(colour(0.25), "rgb(194,212,244)");
    }
}

// Hand-written SVG charts: bar charts (one or two series), the language-pair heatmap and the rank strip.
// Each returns markup as a string (pure, no DOM), drawn in a small viewBox so that it scales down to a phone
// without its labels becoming unreadable, and carries its own title and text description.
import { esc } from './format.js';

// Drawn at about a phone's width, so labels stay near their nominal size there; CSS caps the width on desktops.
const W = 360;
let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/** Round numbers for axis ends: 0.87 → 1, 13 → 15, 230 → 250. */
export function niceMax(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (x <= m * p + 1e-12) return m * p;
  return 10 * p;
}

/** About five round steps from 0 to max (which niceMax already rounded). */
function ticks(max) {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw - 1e-12);
  const out = [];
  for (let v = 0; v <= max + step * 1e-6; v += step) out.push(Math.round(v / step) * step);
  return { values: out, digits: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) + (String(step / p).includes('.') ? 1 : 0) };
}

/**
 * @param {{ title: string, categories: string[], series: {name: string, values: (number|null)[], cls?: string}[],
 *           yLabel: string, xLabel: string, max?: number, format?: (v: number) => string }} o
 */
export function barChart(o) {
  const { title, categories, series, yLabel, xLabel } = o;
  const format = o.format ?? ((v) => v.toFixed(2));
  const H = 230;
  const m = { l: 46, r: 6, t: 14, b: 46 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const max = o.max ?? niceMax(Math.max(0, ...all));
  const y = (v) => m.t + ph - (Math.max(0, Math.min(v, max)) / max) * ph;
  const band = pw / Math.max(1, categories.length);
  const inner = band * (series.length > 1 ? 0.78 : 0.6);
  const bw = inner / series.length;
  const showValues = bw >= 22;
  const tid = nextId('bar-title');
  const out = [];
  out.push(`<svg class="chart-svg bar-chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${tid}">`);
  out.push(`<title id="${tid}">${esc(title)}</title>`);
  out.push(`<desc>${esc(categories.map((c, i) => `${c}: ${series.map((s) => `${s.name} ${Number.isFinite(s.values[i]) ? format(s.values[i]) : 'no value'}`).join(', ')}`).join('; '))}</desc>`);
  const tk = ticks(max);
  for (const t of tk.values) {
    out.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${y(t)}" y2="${y(t)}"/>`);
    out.push(`<text class="tick" x="${m.l - 6}" y="${y(t) + 4}" text-anchor="end">${esc(o.tickFormat ? o.tickFormat(t) : t.toFixed(tk.digits))}</text>`);
  }
  categories.forEach((c, i) => {
    const x0 = m.l + i * band + (band - inner) / 2;
    series.forEach((s, j) => {
      const v = s.values[i];
      const x = x0 + j * bw;
      if (!Number.isFinite(v)) {
        out.push(`<text class="tick" x="${x + bw / 2}" y="${y(0) - 4}" text-anchor="middle">–</text>`);
        return;
      }
      const top = y(v);
      out.push(`<rect class="bar ${esc(s.cls ?? `series-${j}`)}" x="${x + 1}" y="${top}" width="${Math.max(1, bw - 2)}" height="${Math.max(0, y(0) - top)}"><title>${esc(`${c}, ${s.name}: ${format(v)}`)}</title></rect>`);
      if (showValues) out.push(`<text class="value" x="${x + bw / 2}" y="${top - 4}" text-anchor="middle">${esc(format(v))}</text>`);
    });
    out.push(`<text class="tick cat" x="${m.l + i * band + band / 2}" y="${H - m.b + 16}" text-anchor="middle">${esc(c)}</text>`);
  });
  out.push(`<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${y(0)}" y2="${y(0)}"/>`);
  out.push(`<text class="axis-label" x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text class="axis-label" transform="translate(13 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  out.push('</svg>');
  return figure(title, out.join(''), series.length > 1 ? legend(series) : '', dataTable(title, [xLabel, ...series.map((s) => s.name)],
    categories.map((c, i) => [c, ...series.map((s) => (Number.isFinite(s.values[i]) ? format(s.values[i]) : '–'))])));
}

function legend(series) {
  return `<ul class="legend">${series.map((s, j) => `<li><span class="swatch ${esc(s.cls ?? `series-${j}`)}"></span>${esc(s.name)}</li>`).join('')}</ul>`;
}

function dataTable(title, head, rows) {
  return `<details class="chart-data"><summary>Show the numbers</summary><table class="data"><caption class="visually-hidden">${esc(title)}</caption>` +
    `<thead><tr>${head.map((x) => `<th scope="col">${esc(x)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((x, i) => (i === 0 ? `<th scope="row">${esc(x)}</th>` : `<td>${esc(x)}</td>`)).join('')}</tr>`).join('')}</tbody></table></details>`;
}

function figure(title, svg, legendHtml, tableHtml) {
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption>${legendHtml}${svg}${tableHtml}</figure>`;
}

// Sequential blues: light for low scores, dark for high ones; readable in greyscale too.
const STOPS = [[244, 247, 253], [143, 176, 234], [29, 63, 143]];
export function colour(t) {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  const [a, b, f] = x < 0.5 ? [STOPS[0], STOPS[1], x / 0.5] : [STOPS[1], STOPS[2], (x - 0.5) / 0.5];
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * f));
  return `rgb(${c.join(',')})`;
}

/**
 * The language-pair matrix: rows are query languages, columns candidate languages, cells a score in [min, max].
 * @param {{ title: string, rows: string[], cols: string[], values: (number|null)[][], counts?: number[][],
 *           rowTitle: string, colTitle: string, metric: string, min?: number, max?: number }} o
 */
export function heatmap(o) {
  const { title, rows, cols, values, rowTitle, colTitle, metric } = o;
  const min = o.min ?? 0;
  const max = o.max ?? 1;
  const m = { l: 44, t: 44, r: 4 };
  const cell = Math.min(44, (W - m.l - m.r) / Math.max(1, cols.length));
  const gw = cell * cols.length;
  const legendY = m.t + cell * rows.length + 18;
  const H = legendY + 38;
  const width = Math.max(W, m.l + gw + m.r);
  const fs = cell >= 34 ? 11 : 9.5;
  const tid = nextId('heat-title');
  const gid = nextId('heat-grad');
  const out = [];
  out.push(`<svg class="chart-svg heatmap" viewBox="0 0 ${width} ${H}" role="img" aria-labelledby="${tid}">`);
  out.push(`<title id="${tid}">${esc(title)}</title><desc>Rows: ${esc(rowTitle)}; columns: ${esc(colTitle)}. The table under the chart lists every value.</desc>`);
  out.push(`<text class="axis-label" x="${m.l + gw / 2}" y="13" text-anchor="middle">${esc(colTitle)} (columns)</text>`);
  out.push(`<text class="axis-label" transform="translate(12 ${m.t + (cell * rows.length) / 2}) rotate(-90)" text-anchor="middle">${esc(rowTitle)} (rows)</text>`);
  cols.forEach((c, j) => out.push(`<text class="tick" x="${m.l + j * cell + cell / 2}" y="${m.t - 8}" text-anchor="middle">${esc(c)}</text>`));
  rows.forEach((r, i) => {
    out.push(`<text class="tick" x="${m.l - 6}" y="${m.t + i * cell + cell / 2 + 4}" text-anchor="end">${esc(r)}</text>`);
    cols.forEach((c, j) => {
      const v = values[i]?.[j];
      const x = m.l + j * cell;
      const yy = m.t + i * cell;
      const has = Number.isFinite(v);
      const t = has ? (v - min) / (max - min) : 0;
      const n = o.counts?.[i]?.[j];
      const tip = has ? `${r} questions → ${c} candidates: ${metric} ${v.toFixed(3)}${n !== undefined ? ` (${n} questions)` : ''}` : `${r} → ${c}: no questions`;
      out.push(`<g class="cell${i === j ? ' diagonal' : ''}" data-row="${esc(r)}" data-col="${esc(c)}"${has ? ` data-value="${v}"` : ''}>` +
        `<rect x="${x + 0.5}" y="${yy + 0.5}" width="${cell - 1}" height="${cell - 1}" fill="${has ? colour(t) : '#f0f0f0'}"><title>${esc(tip)}</title></rect>` +
        `<text x="${x + cell / 2}" y="${yy + cell / 2 + fs / 3}" text-anchor="middle" font-size="${fs}" fill="${t > 0.55 ? '#fff' : '#1d2330'}">${has ? esc(v.toFixed(2).replace(/^0\./, '.')) : '–'}</text></g>`);
    });
  });
  // The diagonal (same language: the Mo setting) is outlined so it can be compared with the rest.
  rows.forEach((r, i) => {
    const j = cols.indexOf(r);
    if (j >= 0) out.push(`<rect class="diag-outline" x="${m.l + j * cell + 1.5}" y="${m.t + i * cell + 1.5}" width="${cell - 3}" height="${cell - 3}"/>`);
  });
  const lw = Math.min(170, gw);
  out.push(`<defs><linearGradient id="${gid}">${[0, 0.25, 0.5, 0.75, 1].map((s) => `<stop offset="${s}" stop-color="${colour(s)}"/>`).join('')}</linearGradient></defs>`);
  out.push(`<text class="tick" x="${m.l}" y="${legendY - 4}">${esc(metric)}</text>`);
  out.push(`<rect x="${m.l}" y="${legendY}" width="${lw}" height="10" fill="url(#${gid})" stroke="#9aa3b5" stroke-width="0.5"/>`);
  for (const s of [0, 0.5, 1]) {
    out.push(`<text class="tick" x="${m.l + s * lw}" y="${legendY + 24}" text-anchor="${s === 0 ? 'start' : s === 1 ? 'end' : 'middle'}">${esc((min + s * (max - min)).toFixed(1))}</text>`);
  }
  out.push(`<text class="tick muted" x="${m.l + lw + 10}" y="${legendY + 9}">outlined: same language</text>`);
  out.push('</svg>');
  const table = `<details class="chart-data"><summary>Show as a table</summary><table class="data heat-table"><caption class="visually-hidden">${esc(title)}</caption>` +
    `<thead><tr><th scope="col">${esc(rowTitle)} ↓ / ${esc(colTitle)} →</th>${cols.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r, i) => `<tr><th scope="row">${esc(r)}</th>${cols.map((c, j) => {
      const v = values[i]?.[j];
      return `<td${Number.isFinite(v) ? ` data-value="${v}"` : ''}>${Number.isFinite(v) ? v.toFixed(3) : '–'}</td>`;
    }).join('')}</tr>`).join('') + '</tbody></table></details>';
  return figure(title, out.join(''), '', table);
}

const LOG_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];

/**
 * Where each language's correct answer lands in one ranking: a log-scale axis of ranks 1…n with one labelled
 * dot per language, and the span between the best and the worst (the rank distance) shaded.
 * @param {{ title: string, n: number, points: {label: string, rank: number, primary?: boolean, tip?: string}[] }} o
 */
export function rankStrip(o) {
  const n = Math.max(2, o.n);
  const pts = o.points.filter((p) => Number.isFinite(p.rank)).map((p) => ({ ...p })).sort((a, b) => a.rank - b.rank);
  const m = { l: 14, r: 16 };
  const pw = W - m.l - m.r;
  const x = (r) => m.l + (Math.log(Math.max(1, Math.min(r, n))) / Math.log(n)) * pw;
  // Labels that would overlap go up one lane.
  const lanes = [];
  for (const p of pts) {
    p.x = x(p.rank);
    const w = p.label.length * 7 + 8;
    let lane = lanes.findIndex((end) => end < p.x - w / 2);
    if (lane < 0) {
      lanes.push(0);
      lane = lanes.length - 1;
    }
    lanes[lane] = p.x + w / 2;
    p.lane = lane;
  }
  const laneH = 16;
  const top = 10;
  const axisY = top + Math.max(1, lanes.length) * laneH + 14;
  const H = axisY + 40;
  const tid = nextId('strip-title');
  const out = [];
  out.push(`<svg class="chart-svg rank-strip" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${tid}" data-points="${pts.length}">`);
  out.push(`<title id="${tid}">${esc(o.title)}</title>`);
  out.push(`<desc>${esc(pts.map((p) => `${p.label}: rank ${p.rank}`).join(', '))}</desc>`);
  if (pts.length > 1) {
    const x0 = pts[0].x;
    const x1 = pts[pts.length - 1].x;
    out.push(`<rect class="span" x="${x0}" y="${axisY - 7}" width="${Math.max(1, x1 - x0)}" height="14" rx="7"><title>Rank distance: ${pts[pts.length - 1].rank - pts[0].rank}</title></rect>`);
  }
  out.push(`<line class="axis" x1="${m.l}" x2="${m.l + pw}" y1="${axisY}" y2="${axisY}"/>`);
  const tks = LOG_TICKS.filter((t) => t <= n);
  if (n - tks[tks.length - 1] > 0 && x(n) - x(tks[tks.length - 1]) > 22) tks.push(n);
  for (const t of tks) {
    out.push(`<line class="tick-mark" x1="${x(t)}" x2="${x(t)}" y1="${axisY}" y2="${axisY + 5}"/>`);
    out.push(`<text class="tick" x="${x(t)}" y="${axisY + 17}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text class="axis-label" x="${m.l + pw / 2}" y="${H - 4}" text-anchor="middle">rank in the multilingual ranking (log scale, ${n} candidates)</text>`);
  // The question's own language is drawn last, so no other dot hides it.
  for (const p of [...pts.filter((q) => !q.primary), ...pts.filter((q) => q.primary)]) {
    const ly = top + (lanes.length - 1 - p.lane) * laneH + 10;
    out.push(`<g class="point${p.primary ? ' primary' : ''}" data-label="${esc(p.label)}" data-rank="${p.rank}">`);
    out.push(`<line class="leader" x1="${p.x}" x2="${p.x}" y1="${ly + 3}" y2="${axisY - 6}"/>`);
    out.push(p.primary
      ? `<rect class="dot" x="${p.x - 5.5}" y="${axisY - 5.5}" width="11" height="11" transform="rotate(45 ${p.x} ${axisY})"/>`
      : `<circle class="dot" cx="${p.x}" cy="${axisY}" r="5"/>`);
    out.push(`<text class="point-label" x="${p.x}" y="${ly}" text-anchor="middle">${esc(p.label)}</text>`);
    out.push(`<title>${esc(p.tip ?? `${p.label}: rank ${p.rank}`)}</title></g>`);
  }
  out.push('</svg>');
  return out.join('');
}

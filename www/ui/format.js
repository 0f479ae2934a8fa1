// Number and text formatting shared by the UI and the charts. Pure (no DOM).

/** Escapes text for HTML and SVG markup built as strings (the charts). */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

/** 3 decimals for scores in tables (what the CLI prints), "–" for missing values. */
export function fixed(x, digits = 3) {
  return isNum(x) ? x.toFixed(digits) : '–';
}

export function int(x) {
  return isNum(x) ? Math.round(x).toLocaleString('en-US') : '–';
}

export function pct(x, digits = 0) {
  return isNum(x) ? `${(x * 100).toFixed(digits)} %` : '–';
}

export function bytes(n) {
  if (!isNum(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function ms(x) {
  if (!isNum(x)) return '–';
  if (x >= 10000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 100) return `${x.toFixed(0)} ms`;
  return `${x.toFixed(1)} ms`;
}

export function secs(x) {
  if (!isNum(x)) return '–';
  if (x < 1) return ms(x * 1000);
  return x >= 10 ? `${x.toFixed(0)} s` : `${x.toFixed(1)} s`;
}

/** Model sizes in parameters: 1 234 567 → "1.2 M". */
export function count(n) {
  if (!isNum(n)) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

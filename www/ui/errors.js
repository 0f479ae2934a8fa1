// Errors in plain words, shown next to the action that failed; and a safety net so that nothing that goes
// wrong leaves a blank or silently broken page.
import { fill, h } from './dom.js';

/** The message of anything thrown, rewritten where the browser's own wording means nothing to a visitor. */
export function plain(err) {
  let m = String(err?.message ?? err ?? 'Something went wrong.').trim();
  if (/^(Failed to fetch|NetworkError|Load failed|network error)/i.test(m)) {
    m = 'the network request failed: the server could not be reached (check the address and your connection)';
  } else if (err?.name === 'SyntaxError' && /JSON/i.test(m)) {
    m = `the data is not valid JSON (${m})`;
  } else if (err?.name === 'RangeError' && /allocation failed|out of memory|invalid array length/i.test(m)) {
    m = `the browser ran out of memory (${m}); try a smaller model or close other tabs`;
  }
  return m;
}

/** Shows an error in an error area. `context` is what was being done ("Could not load the model"). */
export function showError(el, err, context = '') {
  if (!el) return;
  const msg = plain(err);
  // Capitalise a leading plain word, never a file name or code ("en.json: …" stays as it is).
  const text = context ? `${context}: ${msg}` : msg.replace(/^[a-z]+(?=[\s,])/, (w) => w[0].toUpperCase() + w.slice(1));
  fill(el, h('span', { class: 'error-text' }, /[.!?]$/.test(text) ? text : `${text}.`));
  el.hidden = false;
}

export function clearError(el) {
  if (!el) return;
  el.hidden = true;
  el.replaceChildren();
}

/** Anything uncaught ends up in the page-level error area, not only in the console. */
export function installSafetyNet(el) {
  window.addEventListener('error', (e) => {
    if (e.error || e.message) showError(el, e.error ?? e.message, 'Something went wrong on this page');
  });
  window.addEventListener('unhandledrejection', (e) => showError(el, e.reason, 'Something went wrong on this page'));
}

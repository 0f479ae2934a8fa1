// The Evaluate tab: runs the LAReQA protocol in the worker on the built-in set or on XQuAD-R / MLQA-R files,
// and shows Mo / Cr / Mul, the language-pair heatmap and the bias per language, with JSON and CSV export; or,
// on a BEIR folder (beir.js), ad hoc retrieval with trec_eval's measures (trec.js).
// runEvaluation() is shared with the Language bias tab, which needs the same run (for both slots).
import { engine } from '../engine.js';
import { $, h, fill, download } from './dom.js';
import { state, emit, on, isReady, modelName } from './state.js';
import { Progress } from './progress.js';
import { showError, clearError } from './errors.js';
import { barChart, heatmap } from './charts.js';
import { lareqaOf, trecOf, systemOf, reportToCsv, slug } from './report.js';
import { initBeir, beirLoadArgs } from './beir.js';
import { trecView } from './trec.js';
import { fixed, int, pct, secs } from './format.js';
import { languageName } from '../langid.js';

export const BUILT_IN_LANGS = ['en', 'de', 'es', 'ar', 'hi', 'zh', 'ru', 'vi'];
const FILE_NAME = /^([a-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\.json$/;

let progress;
let pickedFiles = [];
let running = false;
let viewSlot = 'A';

function source() {
  return document.querySelector('input[name="eval-source"]:checked')?.value ?? 'builtin';
}

/** The protocol of the chosen source: "beir" (ad hoc retrieval, one language) or "lareqa" (multilingual). */
export function sourceKind() {
  return source() === 'beir' ? 'beir' : 'lareqa';
}

/** What the chosen source is, as a key (to skip reloading the same set) and the evalLoad arguments. */
async function loadArgs(onProgress) {
  const kind = source();
  if (kind === 'builtin') {
    // Already in the worker: nothing to download again.
    if (state.evalSet?.key === 'builtin') return { key: 'builtin', label: state.evalSet.label, args: null };
    const files = {};
    let done = 0;
    for (const lang of BUILT_IN_LANGS) {
      const url = `demo/eval/${lang}.json`;
      let res;
      try {
        res = await fetch(url);
      } catch (err) {
        throw new Error(`${url} could not be downloaded (${err.message})`);
      }
      if (!res.ok) throw new Error(`${url}: download failed (HTTP ${res.status})`);
      files[`${lang}.json`] = new Uint8Array(await res.arrayBuffer());
      onProgress({ phase: 'files', done: ++done, total: BUILT_IN_LANGS.length, unit: 'files' });
    }
    return { key: 'builtin', label: 'the built-in set', args: { files, name: 'LingBridge demo set' } };
  }
  if (kind === 'beir') return beirLoadArgs(onProgress);
  if (kind === 'files') {
    if (!pickedFiles.length) throw new Error('no files are chosen yet: pick one LAReQA file per language (en.json, de.json, …)');
    const bad = pickedFiles.filter((f) => !FILE_NAME.test(f.name));
    if (bad.length) {
      throw new Error(`${bad.map((f) => f.name).join(', ')}: the files must be named after their language, like en.json or de.json (as in XQuAD-R and MLQA-R)`);
    }
    const key = `files:${pickedFiles.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|')}`;
    if (state.evalSet?.key === key) return { key, label: state.evalSet.label, args: null };
    const files = {};
    let done = 0;
    for (const f of pickedFiles) {
      files[f.name] = new Uint8Array(await f.arrayBuffer());
      onProgress({ phase: 'files', done: ++done, total: pickedFiles.length, unit: 'files' });
    }
    return {
      key,
      label: pickedFiles.map((f) => f.name).join(', '),
      args: { files, name: pickedFiles.length === 1 ? pickedFiles[0].name : 'your LAReQA files' },
    };
  }
  const url = $('eval-url').value.trim().replace(/\/+$/, '');
  const langs = $('eval-langs').value.split(/[\s,;]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!url) throw new Error('type the address of the folder that holds the {lang}.json files');
  if (!langs.length) throw new Error('list the languages to load, for example: ar de el en es hi ru th tr vi zh');
  const badLang = langs.find((l) => !/^[a-z]{2,3}([-_][a-z0-9]+)?$/.test(l));
  if (badLang) throw new Error(`"${badLang}" is not a language code like en or de`);
  return { key: `url:${url}:${langs.join(',')}`, label: url, args: { url, langs, name: url } };
}

function showSetInfo() {
  const s = state.evalSet;
  const el = $('eval-set-info');
  if (!s) return fill(el, '');
  const i = s.info;
  if (i.kind === 'beir') {
    fill(el, `Loaded ${s.label}: ${int(i.documents)} documents, ${int(i.judged ?? i.queries)} queries with judgements (the ones evaluated)`,
      i.unknownDocuments ? h('span', { class: 'warn-text', dataset: { unknown: String(i.unknownDocuments) } },
        ` · ${int(i.unknownDocuments)} judged ${i.unknownDocuments === 1 ? 'document is' : 'documents are'} missing from the corpus, so no model can find ${i.unknownDocuments === 1 ? 'it' : 'them'}`) : '',
      '.');
    return;
  }
  fill(el, `Loaded: ${int(i.questions)} questions in ${i.languages?.length ?? '?'} languages, ${int(i.candidates)} candidate sentences`,
    i.skipped ? ` (${int(i.skipped)} questions skipped: no answer sentence found)` : '', '.');
}

// Set when the visitor cancels: the worker stops the running model's evaluation and no further one starts.
let cancelling = false;

function setRunning(on_) {
  running = on_;
  cancelling = false;
  $('eval-cancel').hidden = !on_;
  $('eval-cancel').disabled = false;
  emit('eval-running', { running: on_ });
  updateButtons();
}

function updateButtons() {
  const ready = isReady('A');
  $('eval-run').disabled = running || !ready;
  $('eval-run-hint').textContent = ready ? (isReady('B') ? 'Runs model A and model B.' : '') : 'Waiting for model A to load…';
}

/**
 * Loads the chosen evaluation set (unless it is already loaded) and evaluates model A, and model B when one is
 * loaded. Progress and errors go to the caller's widgets (the Evaluate or the Language bias tab).
 * @returns {Promise<boolean>} whether every run finished
 */
export async function runEvaluation({ progress: prog = progress, errorEl = $('eval-error'), onlyMissing = false } = {}) {
  if (running) return false;
  clearError(errorEl);
  if (!isReady('A')) {
    showError(errorEl, 'Model A is not loaded yet; wait for it (or load one in the Models tab) and try again.');
    return false;
  }
  setRunning(true);
  $('eval-status').textContent = '';
  try {
    prog.start('Reading the evaluation files…');
    let set;
    try {
      set = await loadArgs((p) => prog.update(p));
    } catch (err) {
      showError(errorEl, err, 'Could not read the evaluation set');
      return false;
    }
    if (state.evalSet?.key !== set.key) {
      prog.start('Loading the evaluation set…');
      try {
        const info = await engine.call('evalLoad', set.args, (p) => prog.update(p));
        state.evalSet = { key: set.key, label: set.label, info };
      } catch (err) {
        state.evalSet = null;
        showError(errorEl, err, 'Could not load the evaluation set');
        return false;
      } finally {
        showSetInfo();
      }
      // A new set makes every earlier report stale.
      for (const slot of ['A', 'B']) {
        if (state.reports[slot]) {
          state.reports[slot] = null;
          emit('eval-cleared', { slot });
        }
      }
    }
    for (const slot of ['A', 'B']) {
      if (cancelling) break;
      if (!isReady(slot) || (onlyMissing && state.reports[slot])) continue;
      const name = modelName(slot);
      prog.start(`Evaluating model ${slot} (${name})…`);
      try {
        const r = await engine.call('evalRun', { slot, name }, (p) => prog.update(p));
        state.reports[slot] = { report: r.report, secs: r.secs, name };
        if (slot === 'A' && r.backend) emit('backend', r.backend);
        emit('eval-done', { slot });
      } catch (err) {
        if (cancelling) break;
        showError(errorEl, err, `Could not evaluate model ${slot} (${name})`);
        return false;
      }
    }
    if (cancelling) {
      $('eval-status').textContent = 'Evaluation cancelled; earlier results are kept.';
      return false;
    }
    return true;
  } finally {
    prog.finish();
    setRunning(false);
  }
}

function settingsTable(sc) {
  const rows = [
    ['mo', 'Mo', 'Question and answers in the same language'],
    ['cr', 'Cr', 'Answers in one other language'],
    ['mul', 'Mul', 'All languages pooled together'],
  ];
  return h('table', { class: 'data settings', id: 'eval-settings' },
    h('caption', {}, 'Retrieval quality by setting (higher is better)'),
    h('thead', {}, h('tr', {}, ['Setting', 'What is searched', 'mAP', 'R@1', 'R@10', 'Queries'].map((x, i) => h('th', { scope: 'col', class: i === 1 ? 'what' : i > 1 ? 'num' : null }, x)))),
    h('tbody', {}, rows.map(([key, name, what]) => {
      const s = sc[key] ?? {};
      return h('tr', { dataset: { setting: key } },
        h('th', { scope: 'row' }, name),
        h('td', { class: 'what' }, what),
        h('td', { class: 'num', dataset: { metric: 'map', setting: key, value: String(s.map) } }, fixed(s.map)),
        h('td', { class: 'num', dataset: { metric: 'recall_1', setting: key, value: String(s.recall_1) } }, fixed(s.recall_1)),
        h('td', { class: 'num', dataset: { metric: 'recall_10', setting: key, value: String(s.recall_10) } }, fixed(s.recall_10)),
        h('td', { class: 'num' }, int(s.queries)));
    })));
}

function stat(label, value, hint, data) {
  return h('div', { class: 'stat', dataset: data }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label), hint ? h('span', { class: 'stat-hint' }, hint) : null);
}

function renderResults() {
  const root = $('eval-results');
  const hasA = !!state.reports.A;
  const hasB = !!state.reports.B;
  if (!hasA && !hasB) {
    root.hidden = true;
    root.dataset.done = 'false';
    return;
  }
  if (!state.reports[viewSlot]) viewSlot = hasA ? 'A' : 'B';
  const { report, name } = state.reports[viewSlot];
  const sc = lareqaOf(report);
  const sys = systemOf(report);
  root.hidden = false;
  const chooser = hasA && hasB
    ? h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Show the results of' },
      ['A', 'B'].map((slot) => h('label', {},
        h('input', { type: 'radio', name: 'eval-view', value: slot, checked: slot === viewSlot, onchange: () => { viewSlot = slot; renderResults(); } }),
        ` Model ${slot}: ${state.reports[slot].name}`)))
    : null;
  if (trecOf(report)) {
    fill(root, trecView({ report, name, chooser, exports: exportButtons(report, name, 'CSV: one row per measure, under trec_eval’s names.') }));
    root.dataset.done = 'true';
    root.dataset.slot = viewSlot;
    root.dataset.protocol = 'trec';
    return;
  }
  root.dataset.protocol = 'lareqa';
  if (!sc) {
    fill(root, h('p', { class: 'error' }, 'This report has no LAReQA scores to show.'));
    return;
  }
  const langs = sc.languages;
  const pb = sc.bias?.per_language ?? {};
  fill(root,
    h('h2', { id: 'eval-results-title' }, `Results: ${name}`),
    chooser,
    h('p', { class: 'muted' }, `${report.dataset ? `${report.dataset} · ` : ''}${int(report.questions)} questions, ${int(report.candidate_count)} candidate sentences in ${langs.length} languages · `,
      `embedding ${secs(sys?.encode_seconds)}, ranking ${secs(sys?.rank_seconds)}`),
    settingsTable(sc),
    h('div', { class: 'stats' },
      stat('rank distance (macro average)', fixed(sc.bias?.rank_distance, 1), 'How many places apart the same answer lands in different languages; lower is fairer.', { metric: 'rank_distance', value: String(sc.bias?.rank_distance) }),
      stat('same-language share of the top 10 (macro average)', pct(sc.bias?.same_language_top10), `If languages were treated alike it would be about ${pct(1 / langs.length)} here.`, { metric: 'same_language_top10', value: String(sc.bias?.same_language_top10) })),
    h('div', { class: 'chart-wide', html: heatmap({
      title: 'mAP for each pair of languages',
      rows: langs, cols: langs, rowTitle: 'question language', colTitle: 'answer language', metric: 'mAP',
      values: langs.map((_, i) => langs.map((__, j) => sc.pairs?.[i]?.[j]?.queries > 0 ? sc.pairs[i][j].map : null)),
      counts: langs.map((_, i) => langs.map((__, j) => sc.pairs?.[i]?.[j]?.queries)),
    }) }),
    h('div', { class: 'chart-grid' },
      h('div', { html: barChart({
        title: 'Rank distance per question language (lower is fairer)',
        categories: langs, xLabel: 'question language', yLabel: 'rank distance',
        series: [{ name: name, values: langs.map((l) => pb[l]?.rank_distance ?? null), cls: `series-${viewSlot.toLowerCase()}` }],
        format: (v) => v.toFixed(1),
      }) }),
      h('div', { html: barChart({
        title: 'Same-language share of the top 10',
        categories: langs, xLabel: 'question language', yLabel: 'share of the top 10', max: 1,
        series: [{ name: name, values: langs.map((l) => pb[l]?.same_language_top10 ?? null), cls: `series-${viewSlot.toLowerCase()}` }],
        format: (v) => `${Math.round(v * 100)}%`, tickFormat: (v) => `${Math.round(v * 100)}%`,
      }) })),
    exportButtons(report, name, 'CSV: one row per setting, language pair and language.'));
  root.dataset.done = 'true';
  root.dataset.slot = viewSlot;
}

function exportButtons(report, name, csvNote) {
  return h('div', { class: 'row exports' },
    h('button', { type: 'button', id: 'export-json', class: 'secondary', onclick: () => download(`lingbridge-eval-${slug(name)}.json`, JSON.stringify(report, null, 2), 'application/json') }, 'Export JSON'),
    h('button', { type: 'button', id: 'export-csv', class: 'secondary', onclick: () => exportCsv(report, name) }, 'Export CSV'),
    h('span', { class: 'muted small' }, `JSON: the full report, as \`lingbridge eval\` writes it. ${csvNote}`));
}

function exportCsv(report, name) {
  try {
    download(`lingbridge-eval-${slug(name)}.csv`, reportToCsv(report), 'text/csv');
  } catch (err) {
    showError($('eval-error'), err, 'Could not export');
  }
}

export function initEvaluate() {
  progress = new Progress($('eval-progress'), 'Evaluation');
  const sync = () => {
    const kind = source();
    $('eval-files-box').hidden = kind !== 'files';
    $('eval-url-box').hidden = kind !== 'url';
    $('eval-beir-box').hidden = kind !== 'beir';
    // The Language bias tab explains that it needs a multilingual set while a BEIR folder is chosen.
    emit('eval-source', { kind: sourceKind() });
  };
  for (const r of document.querySelectorAll('input[name="eval-source"]')) r.addEventListener('change', sync);
  sync();
  initBeir();
  $('eval-files').addEventListener('change', (e) => {
    pickedFiles = [...e.target.files];
    const bad = pickedFiles.filter((f) => !FILE_NAME.test(f.name));
    clearError($('eval-error'));
    if (bad.length) showError($('eval-error'), `${bad.map((f) => f.name).join(', ')}: name each file after its language, like en.json or de.json`);
    fill($('eval-files-list'), pickedFiles.length ? `Chosen: ${pickedFiles.map((f) => {
      const m = f.name.match(FILE_NAME);
      return m ? `${f.name} (${languageName(m[1])})` : f.name;
    }).join(', ')}` : '');
  });
  $('eval-run').addEventListener('click', () => runEvaluation());
  $('eval-cancel').addEventListener('click', () => {
    cancelling = true;
    $('eval-cancel').disabled = true;
    engine.call('cancel').catch(() => {});
  });
  on('eval-done', ({ slot }) => {
    if (slot === 'A') viewSlot = 'A';
    renderResults();
  });
  on('eval-cleared', () => renderResults());
  for (const ev of ['model-loaded', 'model-loading', 'model-failed', 'model-unloaded']) on(ev, updateButtons);
  updateButtons();
}

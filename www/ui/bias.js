// The Language bias tab, for teachers: for one question, where the correct answer in each language lands in
// the multilingual ranking (a rank strip per model, A and B side by side), and the bias per language over
// the whole evaluation set. It needs a multilingual (LAReQA) set: while the Evaluate tab is set to a BEIR
// folder (one language) it says so instead of running.
import { engine } from '../engine.js';
import { $, h, fill } from './dom.js';
import { state, on, isReady } from './state.js';
import { Progress } from './progress.js';
import { showError, clearError } from './errors.js';
import { barChart, rankStrip } from './charts.js';
import { lareqaOf } from './report.js';
import { fixed, pct } from './format.js';
import { languageName } from '../langid.js';
import { runEvaluation, sourceKind } from './evaluate.js';
import { selectTab } from './tabs.js';

let progress;
let questions = new Map(); // lang → [{ index, id, lang, xling_id, text }] of the loaded set
let questionsOf = null; // the evaluation set those questions belong to
let request = 0; // drops answers to questions the visitor has already moved past
let chosen = null;
let running = false;

// Only LAReQA reports have languages to compare (a BEIR run's report has trec_eval measures instead).
const slotsWithReports = () => ['A', 'B'].filter((s) => lareqaOf(state.reports[s]?.report));
const needsLareqa = () => sourceKind() === 'beir';
const canRun = () => !running && isReady('A') && !needsLareqa();

function languages() {
  const r = state.reports.A ?? state.reports.B;
  return lareqaOf(r?.report)?.languages ?? state.evalSet?.info?.languages ?? [];
}

function renderAggregates() {
  const slots = slotsWithReports();
  const langs = languages();
  const series = (metric) => slots.map((s) => {
    const pl = lareqaOf(state.reports[s].report)?.bias?.per_language ?? {};
    return { name: `Model ${s}: ${state.reports[s].name}`, values: langs.map((l) => pl[l]?.[metric] ?? null), cls: `series-${s.toLowerCase()}` };
  });
  const summary = h('table', { class: 'data compact' },
    h('caption', {}, 'Macro averages over the question languages'),
    h('thead', {}, h('tr', {}, ['Model', 'Mul mAP', 'Rank distance', 'Same-language share (top 10)'].map((x, i) => h('th', { scope: 'col', class: i ? 'num' : null }, x)))),
    h('tbody', {}, slots.map((s) => {
      const sc = lareqaOf(state.reports[s].report);
      return h('tr', { dataset: { slot: s } }, h('th', { scope: 'row' }, h('span', { class: `swatch series-${s.toLowerCase()}` }), ` ${s}: ${state.reports[s].name}`),
        h('td', { class: 'num' }, fixed(sc?.mul?.map)), h('td', { class: 'num' }, fixed(sc?.bias?.rank_distance, 1)),
        h('td', { class: 'num' }, pct(sc?.bias?.same_language_top10)));
    })));
  fill($('bias-aggregates'), summary, h('div', { class: 'chart-grid' },
    h('div', { html: barChart({
      title: 'Rank distance per question language (lower is fairer)', categories: langs,
      xLabel: 'question language', yLabel: 'rank distance', series: series('rank_distance'), format: (v) => v.toFixed(1),
    }) }),
    h('div', { html: barChart({
      title: 'Same-language share of the top 10', categories: langs, max: 1,
      xLabel: 'question language', yLabel: 'share of the top 10', series: series('same_language_top10'), format: (v) => `${Math.round(v * 100)}%`, tickFormat: (v) => `${Math.round(v * 100)}%`,
    }) })));
}

async function loadQuestions(lang) {
  if (!questions.has(lang)) {
    const r = await engine.call('evalQuestions', { lang });
    questions.set(lang, r.questions ?? []);
  }
  return questions.get(lang);
}

async function fillQuestionList() {
  const lang = $('bias-lang').value;
  const list = $('bias-questions');
  clearError($('bias-error'));
  let qs;
  try {
    qs = await loadQuestions(lang);
  } catch (err) {
    showError($('bias-error'), err, 'Could not list the questions');
    return;
  }
  if ($('bias-lang').value !== lang) return;
  const needle = $('bias-filter').value.trim().toLocaleLowerCase();
  const shown = needle ? qs.filter((q) => q.text.toLocaleLowerCase().includes(needle)) : qs;
  fill(list, shown.map((q) => h('option', { value: q.index, lang: q.lang, dir: 'auto' }, q.text)));
  $('bias-count').textContent = `${shown.length} of ${qs.length} questions`;
  if (shown.length && !shown.some((q) => q.index === chosen)) {
    list.value = String(shown[0].index);
    showQuestion(shown[0].index);
  } else if (chosen !== null) {
    list.value = String(chosen);
  }
}

function column(slot, r) {
  const report = state.reports[slot];
  const n = report.report.candidate_count ?? state.evalSet?.info?.candidates ?? 1000;
  const q = r.question;
  const sorted = [...r.answers].sort((a, b) => a.rank - b.rank);
  const best = sorted[0];
  const worst = sorted[sorted.length - 1];
  return h('section', { class: `strip-col slot-${slot.toLowerCase()}`, dataset: { slot } },
    h('h3', {}, h('span', { class: `swatch series-${slot.toLowerCase()}` }), ` Model ${slot}: ${report.name}`),
    h('div', { class: 'strip', html: rankStrip({
      title: `Where each language's correct answer lands for model ${slot}`, n,
      points: r.answers.map((a) => ({ label: a.lang, rank: a.rank, primary: a.lang === q.lang, tip: `${languageName(a.lang)}: correct answer at rank ${a.rank}` })),
    }) }),
    h('p', { class: 'rd' }, 'Rank distance: ', h('strong', { dataset: { value: String(r.rankDistance) } }, String(r.rankDistance)),
      best && worst ? ` (best: ${languageName(best.lang)} at rank ${best.rank}; worst: ${languageName(worst.lang)} at rank ${worst.rank})` : ''),
    h('p', { class: 'muted small' }, '◆ marks the answer in the question’s own language.'),
    h('h4', {}, 'Top 10 of the multilingual ranking'),
    h('ol', { class: 'top10' }, r.top.map((t) => h('li', { class: t.relevant ? 'relevant' : '', dataset: { lang: t.lang } },
      h('span', { class: 'rank' }, String(t.rank)),
      h('span', { class: 'tag' }, t.lang),
      h('span', { class: 'top-text', lang: t.lang, dir: 'auto' }, t.text),
      t.relevant ? h('span', { class: 'ok-badge' }, '✓ correct answer') : null))));
}

async function showQuestion(index) {
  chosen = index;
  const mine = ++request;
  clearError($('bias-error'));
  const slots = slotsWithReports();
  const root = $('bias-strips');
  root.setAttribute('aria-busy', 'true');
  try {
    const answers = [];
    for (const slot of slots) answers.push([slot, await engine.call('evalQuestion', { slot, index })]);
    if (mine !== request) return;
    const q = answers[0]?.[1]?.question;
    fill($('bias-question'), q ? [h('span', { class: 'tag' }, q.lang), ' ', h('q', { lang: q.lang, dir: 'auto' }, q.text)] : '');
    fill(root, answers.map(([slot, r]) => column(slot, r)));
    root.classList.toggle('two', answers.length > 1);
    root.dataset.index = String(index);
  } catch (err) {
    if (mine === request) showError($('bias-error'), err, 'Could not show this question');
  } finally {
    if (mine === request) root.removeAttribute('aria-busy');
  }
}

function render() {
  const beir = needsLareqa();
  const has = !beir && slotsWithReports().length > 0;
  $('bias-needs-lareqa').hidden = !beir;
  $('bias-empty').hidden = has || beir;
  $('bias-view').hidden = !has;
  const bLoaded = isReady('B');
  $('bias-b-note').hidden = bLoaded || beir;
  $('bias-run').disabled = !canRun();
  $('bias-run').textContent = has ? (bLoaded && !state.reports.B ? 'Evaluate model B too' : 'Run the evaluation again') : 'Run the evaluation';
  if (!has) {
    fill($('bias-strips'));
    fill($('bias-aggregates'));
    return;
  }
  renderAggregates();
  const langs = languages();
  const select = $('bias-lang');
  const before = select.value;
  fill(select, langs.map((l) => h('option', { value: l }, `${languageName(l)} (${l})`)));
  select.value = langs.includes(before) ? before : langs.includes('en') ? 'en' : langs[0];
  fillQuestionList();
}

export function initBias() {
  progress = new Progress($('bias-progress'), 'Evaluation');
  // With A already evaluated on this set, "Evaluate model B too" runs only B.
  $('bias-run').addEventListener('click', () => {
    if (!canRun()) return;
    runEvaluation({ progress, errorEl: $('bias-error'), onlyMissing: slotsWithReports().includes('A') && isReady('B') && !slotsWithReports().includes('B') });
  });
  $('bias-go-models').addEventListener('click', () => selectTab('models', { focus: true }));
  $('bias-go-evaluate').addEventListener('click', () => {
    selectTab('evaluate', { focus: true });
    document.querySelector('input[name="eval-source"][value="builtin"]')?.focus();
  });
  $('bias-lang').addEventListener('change', () => { $('bias-filter').value = ''; fillQuestionList(); });
  $('bias-filter').addEventListener('input', fillQuestionList);
  let timer;
  $('bias-questions').addEventListener('change', (e) => {
    // Arrow keys walk the list; wait until the visitor pauses before asking the worker.
    clearTimeout(timer);
    const index = Number(e.target.value);
    timer = setTimeout(() => showQuestion(index), 120);
  });
  on('eval-done', () => {
    if (questionsOf !== state.evalSet?.key) {
      questions = new Map();
      questionsOf = state.evalSet?.key;
    }
    chosen = null;
    render();
  });
  on('eval-cleared', render);
  on('eval-source', render);
  on('eval-running', ({ running: r }) => {
    running = r;
    $('bias-run').disabled = !canRun();
  });
  for (const ev of ['model-loaded', 'model-unloaded', 'model-failed']) on(ev, render);
  on('model-loading', () => { $('bias-run').disabled = true; });
  render();
}

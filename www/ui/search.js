// The Search tab: one question in any language, ranked passages in every language. The query's language
// (detected, or chosen) marks results in that language and gives the same-language share of the top 10,
// the everyday face of language bias.
import { engine } from '../engine.js';
import { $, h, fill } from './dom.js';
import { state, emit, on } from './state.js';
import { showError, clearError } from './errors.js';
import { detectLanguage, languageName, DETECTABLE } from '../langid.js';
import { pct } from './format.js';

const K = 10;
const SAMPLES = [
  ['en', 'Where does the Nile flow into the sea?'],
  ['de', 'Wann beginnt das Oktoberfest?'],
  ['es', '¿De dónde viene la paella?'],
  ['ar', 'أين تقع مدينة البتراء؟'],
  ['hi', 'ताजमहल कहाँ स्थित है?'],
  ['zh', '大熊猫吃什么？'],
  ['ru', 'Какое озеро самое глубокое на планете?'],
  ['el', 'Ποιο είναι το ψηλότερο βουνό της Ελλάδας;'],
  ['tr', 'Türkiye\'de çay nasıl içilir?'],
  ['vi', 'Phở được làm từ những gì?'],
];

let selected = new Set(); // languages whose chips are on
let allLangs = [];
let lastQuery = '';
let searching = false;

/** The query language: the visitor's choice, else the detector's guess ("und" when unsure). */
function queryLanguage() {
  const chosen = $('query-lang-select').value;
  if (chosen) return { lang: chosen, how: 'chosen' };
  const d = detectLanguage($('query').value);
  return { lang: d.lang, how: 'detected', confidence: d.confidence };
}

function showQueryLanguage() {
  const q = $('query').value.trim();
  const el = $('query-lang');
  const { lang, how, confidence } = queryLanguage();
  el.dataset.lang = lang;
  if (how === 'chosen') fill(el, 'Query language: ', h('strong', {}, languageName(lang)), ' (your choice)');
  else if (!q) fill(el, 'Query language: detected as you type');
  else if (lang === 'und') fill(el, 'Query language: ', h('strong', {}, 'not sure'), ' — pick it if it matters');
  else fill(el, 'Query language: ', h('strong', {}, languageName(lang)), ` (detected, ${Math.round(confidence * 100)} % sure)`);
}

function renderChips() {
  const langs = Object.keys(state.corpus.languages).sort((a, b) => languageName(a).localeCompare(languageName(b)));
  const same = langs.length === allLangs.length && langs.every((l) => allLangs.includes(l));
  if (!same) {
    allLangs = langs;
    selected = new Set(langs);
  }
  fill($('lang-chips'),
    h('button', { type: 'button', class: 'chip chip-all', id: 'chips-all', 'aria-pressed': String(selected.size === allLangs.length), onclick: () => setAll() }, 'All'),
    allLangs.map((l) => h('button', {
      type: 'button', class: 'chip', 'aria-pressed': String(selected.has(l)), dataset: { lang: l },
      title: `${languageName(l)}: ${state.corpus.languages[l]} passages`, onclick: () => toggle(l),
    }, h('span', { class: 'chip-code' }, l), ' ', languageName(l))));
}

function setAll() {
  selected = new Set(allLangs);
  renderChips();
  rerun();
}

function toggle(lang) {
  if (selected.has(lang)) selected.delete(lang);
  else selected.add(lang);
  renderChips();
  rerun();
}

function rerun() {
  if (lastQuery) search(lastQuery);
}

function renderHits(hits, qlang) {
  const list = $('results');
  fill(list, hits.map((hit) => {
    const same = qlang !== 'und' && hit.lang === qlang;
    return h('li', { class: `hit${same ? ' same' : ''}`, dataset: { lang: hit.lang, id: hit.id, score: hit.score } },
      h('span', { class: 'rank', 'aria-label': `rank ${hit.rank}` }, String(hit.rank)),
      h('div', { class: 'hit-main' },
        h('p', { class: 'hit-text', lang: hit.lang, dir: 'auto' }, hit.text),
        h('div', { class: 'hit-meta' },
          h('span', { class: 'tag', title: languageName(hit.lang) }, `${hit.lang} · ${languageName(hit.lang)}`),
          same ? h('span', { class: 'same-badge' }, 'query language') : null,
          h('span', { class: 'score' }, `score ${Number(hit.score).toFixed(4)}`),
          h('span', { class: 'muted small hit-id' }, hit.id))));
  }));
  list.hidden = hits.length === 0;
  const top = hits.slice(0, 10);
  const share = $('same-share');
  if (!top.length) {
    fill(share, 'No passages in the chosen languages.');
  } else if (qlang === 'und') {
    fill(share, 'Same-language share of the top 10: unknown — the query language is not clear; pick it above.');
  } else {
    const n = top.filter((x) => x.lang === qlang).length;
    fill(share, 'Same-language share of the top 10: ', h('strong', {}, pct(n / top.length)),
      ` (${n} of ${top.length} results are in ${languageName(qlang)})`);
    share.dataset.share = String(n / top.length);
  }
  share.hidden = false;
}

async function search(query) {
  const err = $('search-error');
  clearError(err);
  const q = query.trim();
  if (!q) {
    showError(err, 'Type a question first, or pick one of the examples.');
    return;
  }
  if (!state.corpus.indexed) {
    showError(err, 'The passages are not indexed yet; the search starts working when the progress bar above is done.');
    return;
  }
  if (selected.size === 0) {
    showError(err, 'No language is selected: switch on at least one language below the search box.');
    return;
  }
  if (searching) return;
  searching = true;
  lastQuery = q;
  $('search-btn').disabled = true;
  $('results-area').setAttribute('aria-busy', 'true');
  const { lang } = queryLanguage();
  try {
    const langs = selected.size === allLangs.length ? null : [...selected];
    const r = await engine.call('search', { slot: 'A', query: q, k: K, langs });
    renderHits(r.hits ?? [], lang);
    $('results-area').dataset.query = q;
    emit('timing', { encodeMs: r.encodeMs, rankMs: r.rankMs, label: 'query' });
    if (r.backend) emit('backend', r.backend);
  } catch (e) {
    showError(err, e, 'The search failed');
  } finally {
    searching = false;
    $('search-btn').disabled = !state.corpus.indexed;
    $('results-area').removeAttribute('aria-busy');
  }
}

export function initSearch() {
  const select = $('query-lang-select');
  const langs = [...new Set([...DETECTABLE, 'el', 'th'])].sort((a, b) => languageName(a).localeCompare(languageName(b)));
  fill(select, h('option', { value: '' }, 'Detect automatically'), langs.map((l) => h('option', { value: l }, `${languageName(l)} (${l})`)));
  $('query').addEventListener('input', showQueryLanguage);
  select.addEventListener('change', () => {
    showQueryLanguage();
    rerun();
  });
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    search($('query').value);
  });
  fill($('sample-queries'), SAMPLES.map(([lang, text]) => h('button', {
    type: 'button', class: 'sample', lang,
    title: `Search for this ${languageName(lang)} question`,
    onclick: () => {
      $('query').value = text;
      select.value = '';
      showQueryLanguage();
      search(text);
    },
  }, h('span', { class: 'chip-code', 'aria-hidden': 'true' }, lang), ' ', h('bdi', {}, text))));
  showQueryLanguage();
  on('corpus-indexed', () => {
    $('search-btn').disabled = false;
    renderChips();
    rerun();
  });
  on('corpus-indexing', () => {
    $('search-btn').disabled = true;
  });
}

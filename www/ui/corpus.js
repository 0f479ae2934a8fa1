// The passages the Search tab searches: the built-in demo corpus, indexed as soon as model A is loaded, and
// passages the visitor adds (drag and drop or file picker), either added to it or replacing it. A model
// reload re-indexes the same passages, since embeddings depend on the model.
import { engine } from '../engine.js';
import { $, h, fill } from './dom.js';
import { state, emit, on, isReady } from './state.js';
import { Progress } from './progress.js';
import { showError, clearError } from './errors.js';
import { parseCorpus, mergeCorpora, countLanguages } from '../corpus-parse.js';
import { languageName } from '../langid.js';
import { int } from './format.js';

const BUILT_IN = 'demo/corpus.jsonl';
const MAX_PROBLEMS_SHOWN = 30;
let progress;
let builtInPassages = null;
let indexing = false;

const strip = (passages) => passages.map(({ id, lang, text }) => ({ id, lang, text }));

function languagesLine(langs) {
  const n = Object.keys(langs).length;
  return `${n} language${n === 1 ? '' : 's'}`;
}

function showStatus(extra) {
  const c = state.corpus;
  const el = $('corpus-status');
  const what = c.builtIn
    ? c.passages.length > (builtInPassages?.length ?? 0) ? 'The built-in corpus and your passages' : 'The built-in corpus'
    : 'Your passages';
  const count = `${int(c.passages.length)} passages in ${languagesLine(countLanguages(c.passages))}`;
  if (!c.passages.length) fill(el, 'No passages yet.');
  else if (!c.indexed) fill(el, `${what}: ${count}. ${isReady('A') ? 'Indexing…' : 'They are indexed once model A is loaded.'}`);
  else fill(el, `${what}: ${count}`, extra ? `, indexed at ${extra} passages/s` : '', '.');
  el.dataset.indexed = String(c.indexed);
  el.dataset.count = String(c.passages.length);
  $('corpus-restore').hidden = c.builtIn && c.passages.length === (builtInPassages?.length ?? 0);
}

/**
 * Sends passages to slot A's index. `append` adds them to what is indexed; otherwise they replace it.
 */
async function index(passages, append) {
  if (!isReady('A')) {
    state.corpus.indexed = false;
    showStatus();
    return false;
  }
  indexing = true;
  state.corpus.indexed = false;
  emit('corpus-indexing');
  showStatus();
  setBusy(true);
  progress.start(`Indexing ${int(passages.length)} passages…`);
  clearError($('corpus-error'));
  try {
    const r = await engine.call('index', { slot: 'A', passages: strip(passages), append }, (p) => progress.update(p));
    state.corpus.indexed = true;
    state.corpus.languages = countLanguages(state.corpus.passages);
    showStatus(r.passagesPerSecond >= 100 ? int(r.passagesPerSecond) : r.passagesPerSecond.toFixed(1));
    emit('corpus-indexed');
    return true;
  } catch (err) {
    showError($('corpus-error'), err, 'Could not index the passages');
    showStatus();
    return false;
  } finally {
    indexing = false;
    setBusy(false);
    progress.finish();
  }
}

function setBusy(busy) {
  $('corpus-file').disabled = busy;
  $('corpus-restore').disabled = busy;
  $('corpus-drop').classList.toggle('disabled', busy);
}

async function loadBuiltIn() {
  try {
    const res = await fetch(BUILT_IN);
    if (!res.ok) throw new Error(`${BUILT_IN}: download failed (HTTP ${res.status})`);
    const parsed = parseCorpus(await res.text(), 'corpus.jsonl');
    builtInPassages = parsed.passages;
    if (parsed.problems.length) console.warn('built-in corpus problems', parsed.problems);
  } catch (err) {
    builtInPassages = [];
    showError($('corpus-error'), err, 'Could not read the built-in corpus');
  }
  if (state.corpus.builtIn) {
    state.corpus.passages = mergeCorpora(builtInPassages, state.corpus.passages).passages;
  }
}

function report(lines) {
  fill($('corpus-report'), lines);
  $('corpus-report').hidden = lines.length === 0;
}

/** Reads dropped or picked files, reports every line that could not be used, then indexes. */
async function addFiles(files) {
  clearError($('corpus-error'));
  if (indexing) {
    showError($('corpus-error'), 'Passages are being indexed right now; add your file again when that is done.');
    return;
  }
  const replace = document.querySelector('input[name="corpus-mode"]:checked')?.value === 'replace';
  let added = [];
  const problems = [];
  const notes = [];
  for (const file of files) {
    let text;
    try {
      text = await file.text();
    } catch (err) {
      problems.push({ file: file.name, message: `the file could not be read (${err.message})` });
      continue;
    }
    if (/\.(gguf|safetensors|zip|gz|pdf|docx?)$/i.test(file.name) || text.includes('\u0000')) {
      problems.push({ file: file.name, message: 'this is not a text file; use JSONL, TSV or plain text with one passage per line' });
      continue;
    }
    const parsed = parseCorpus(text, file.name);
    // Files dropped together must not share ids either.
    const merged = mergeCorpora(added, parsed.passages);
    added = merged.passages;
    for (const p of [...parsed.problems, ...merged.problems]) problems.push({ file: file.name, ...p });
    if (parsed.detected) notes.push(`${file.name}: the language of ${parsed.detected} passage${parsed.detected === 1 ? ' was' : 's were'} detected automatically.`);
    if (parsed.undetermined) notes.push(`${file.name}: the language of ${parsed.undetermined} passage${parsed.undetermined === 1 ? '' : 's'} could not be told; marked "und" (undetermined).`);
  }
  const base = replace ? [] : state.corpus.passages;
  const merged = mergeCorpora(base, added);
  for (const p of merged.problems) problems.push({ file: files.length === 1 ? files[0].name : 'your files', ...p });
  const fresh = merged.passages.slice(base.length);

  const lines = [];
  if (fresh.length) {
    const langs = countLanguages(fresh);
    lines.push(h('p', { class: 'ok' }, `${replace ? 'Replacing the corpus with' : 'Adding'} ${int(fresh.length)} passage${fresh.length === 1 ? '' : 's'} (${Object.entries(langs).map(([l, n]) => `${languageName(l)} ${n}`).join(', ')}).`));
  } else {
    lines.push(h('p', {}, 'No passages could be read from the file, so the corpus is unchanged.'));
  }
  for (const n of notes) lines.push(h('p', { class: 'muted small' }, n));
  if (problems.length) {
    lines.push(h('p', { class: 'warn' }, `${problems.length} line${problems.length === 1 ? ' was' : 's were'} not used:`));
    lines.push(h('ul', { class: 'problems' }, problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => h('li', { dataset: { line: p.line ?? '' } }, files.length > 1 ? `${p.file}, ` : '', p.message))));
    if (problems.length > MAX_PROBLEMS_SHOWN) lines.push(h('p', { class: 'muted small' }, `…and ${problems.length - MAX_PROBLEMS_SHOWN} more.`));
  }
  report(lines);
  if (!fresh.length) return;

  state.corpus.passages = replace ? fresh : merged.passages;
  state.corpus.builtIn = !replace && state.corpus.builtIn;
  if (replace) await index(fresh, false);
  else if (state.corpus.indexed) await index(fresh, true);
  else await index(state.corpus.passages, false); // nothing usable indexed yet: index everything
}

async function restore() {
  report([]);
  state.corpus.builtIn = true;
  state.corpus.passages = builtInPassages ?? [];
  await index(state.corpus.passages, false);
}

export function initCorpus() {
  progress = new Progress($('corpus-progress'), 'Indexing');
  const drop = $('corpus-drop');
  const input = $('corpus-file');
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    if (files.length) addFiles(files);
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) addFiles(files);
  });
  // A file dropped anywhere else would make the browser navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  $('corpus-restore').addEventListener('click', restore);

  const ready = loadBuiltIn().then(showStatus);
  // The new model has an empty index: everything is indexed again — when the Search tab is open, so a visit
  // that goes straight to Evaluate or Models does not spend its first minute (on a slow GPU) on passages.
  let pending = false;
  on('model-loaded', async ({ slot }) => {
    if (slot !== 'A') return;
    await ready;
    pending = $('panel-search').hidden;
    if (!pending) await index(state.corpus.passages, false);
  });
  document.addEventListener('tabchange', (e) => {
    if (e.detail.tab !== 'search' || !pending) return;
    pending = false;
    index(state.corpus.passages, false);
  });
  on('model-loading', ({ slot }) => {
    if (slot !== 'A') return;
    state.corpus.indexed = false;
    showStatus();
  });
}

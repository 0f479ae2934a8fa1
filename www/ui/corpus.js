// The passages the Search tab searches: the built-in demo corpus, indexed as soon as model A is loaded, and
// passages the visitor adds (drag and drop or file picker), either added to it or replacing it. A model
// reload re-indexes the same passages, since embeddings depend on the model. The built-in corpus with a
// built-in model uses the embeddings `make www-models` computed for it (index.json's `corpus_embeddings`), so
// Search works as soon as the model is loaded; the worker falls back to encoding when they do not fit.
import { engine } from '../engine.js';
import { $, h, fill } from './dom.js';
import { state, emit, on, isReady } from './state.js';
import { Progress } from './progress.js';
import { showError, clearError } from './errors.js';
import { parseCorpus, mergeCorpora, countLanguages, CorpusParser, sniffFormat } from '../corpus-parse.js';
import { languageName } from '../langid.js';
import { int } from './format.js';

const BUILT_IN = 'demo/corpus.jsonl';
const MAX_PROBLEMS_SHOWN = 30;
// The page keeps every passage's text and vector in memory (384 floats each for e5-small): passages beyond this
// are not read, and the report says where the file was cut. (50,000 passages: ~77 MB of vectors.)
export const MAX_PASSAGES = 50000;
// Files above this are read as a stream, with progress and a Cancel button, never whole into one string.
const STREAM_ABOVE = 4 << 20;
// A JSON array cannot be parsed in pieces; larger ones must be JSONL.
const MAX_JSON_ARRAY = 16 << 20;
// Set while a file is read or passages are indexed: Cancel aborts it.
let reading = null;
let progress;
let builtInPassages = null;
let builtInSha256 = null; // of the corpus file's bytes: precomputed embeddings are only for that exact file
let indexing = false;
// ?embeddings=live always encodes in the page (benchmarks, and the test that both ways rank alike).
const FORCE_LIVE = new URLSearchParams(location.search).get('embeddings') === 'live';

const strip = (passages) => passages.map(({ id, lang, text }) => ({ id, lang, text }));

function languagesLine(langs) {
  const n = Object.keys(langs).length;
  return `${n} language${n === 1 ? '' : 's'}`;
}

/** The ready line's tail: how the passages got their vectors (`r`: the worker's `index` answer). */
function howIndexed(r) {
  if (!r) return '';
  if (r.embeddings === 'precomputed') return ', precomputed embeddings';
  const rate = r.passagesPerSecond >= 100 ? int(r.passagesPerSecond) : r.passagesPerSecond.toFixed(1);
  return `, indexed at ${rate} passages/s${r.note ? ` (${r.note})` : ''}`;
}

function showStatus(r) {
  const c = state.corpus;
  const el = $('corpus-status');
  const what = c.builtIn
    ? c.passages.length > (builtInPassages?.length ?? 0) ? 'The built-in corpus and your passages' : 'The built-in corpus'
    : 'Your passages';
  const count = `${int(c.passages.length)} passages in ${languagesLine(countLanguages(c.passages))}`;
  if (!c.passages.length) fill(el, 'No passages yet.');
  else if (!c.indexed) fill(el, `${what}: ${count}. ${isReady('A') ? 'Indexing…' : 'They are indexed once model A is loaded.'}`);
  else fill(el, `${what}: ${count}`, howIndexed(r), '.');
  el.dataset.indexed = String(c.indexed);
  if (r) el.dataset.embeddings = r.embeddings ?? 'live';
  if (r) el.dataset.note = r.note ?? '';
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
  const precomputed = precomputedFor(passages, append);
  progress.start(precomputed ? `Loading the precomputed embeddings of ${int(passages.length)} passages…` : `Indexing ${int(passages.length)} passages…`);
  clearError($('corpus-error'));
  try {
    const args = { slot: 'A', passages: strip(passages), append, ...(precomputed ? { precomputed, corpusSha256: builtInSha256 } : {}) };
    const r = await engine.call('index', args, (p) => progress.update(p));
    if (r.cancelled) {
      // What was indexed before Cancel stays searchable; the rest of the passages are dropped.
      const total = state.corpus.passages.length;
      state.corpus.passages = state.corpus.passages.slice(0, r.count);
      // Below the upload's report (what was read, what was not), which stays.
      $('corpus-report').append(h('p', { class: 'warn' }, `Indexing was cancelled: ${int(r.count)} of ${int(total)} passages are indexed and searched; the rest were dropped.`));
      $('corpus-report').hidden = false;
    }
    state.corpus.indexed = true;
    state.corpus.languages = countLanguages(state.corpus.passages);
    showStatus(r);
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

/** The shipped embeddings of model A when `passages` are exactly the built-in corpus (same ids, same order). */
function precomputedFor(passages, append) {
  const pre = state.models.A?.entry?.corpus_embeddings;
  if (append || FORCE_LIVE || !pre || !builtInSha256 || !builtInPassages?.length) return null;
  if (passages.length !== builtInPassages.length || passages.some((p, i) => p.id !== builtInPassages[i].id)) return null;
  return pre;
}

async function sha256Hex(bytes) {
  if (!crypto?.subtle) return null; // Insecure origins have no digest: the corpus is then always encoded.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function setBusy(busy) {
  $('corpus-cancel').hidden = !busy || (!reading && !indexing);
  $('corpus-cancel').disabled = false;
  $('corpus-file').disabled = busy;
  $('corpus-restore').disabled = busy;
  $('corpus-drop').classList.toggle('disabled', busy);
}

async function loadBuiltIn() {
  try {
    const res = await fetch(BUILT_IN);
    if (!res.ok) throw new Error(`${BUILT_IN}: download failed (HTTP ${res.status})`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    builtInSha256 = await sha256Hex(bytes).catch(() => null);
    const parsed = parseCorpus(new TextDecoder().decode(bytes), 'corpus.jsonl');
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

const NOT_TEXT = 'this is not a text file; use JSONL, TSV or plain text with one passage per line';

/**
 * One dropped or picked file, parsed. Small files are read whole; larger ones as a stream of lines (progress in
 * the corpus bar, `signal` cancels), stopping at {@link MAX_PASSAGES}. Throws plain-words errors.
 */
async function readCorpusFile(file, signal) {
  if (/\.(gguf|safetensors|zip|gz|pdf|docx?)$/i.test(file.name)) throw new Error(NOT_TEXT);
  if (file.size <= STREAM_ABOVE) {
    let text;
    try {
      text = await file.text();
    } catch (err) {
      throw new Error(`the file could not be read (${err.message})`);
    }
    if (text.includes('\u0000')) throw new Error(NOT_TEXT);
    return parseCorpus(text, file.name, { maxPassages: MAX_PASSAGES });
  }
  let bytesRead = 0;
  const counted = file.stream().pipeThrough(new TransformStream({ transform(chunk, out) { bytesRead += chunk.length; out.enqueue(chunk); } }));
  const reader = counted.pipeThrough(new TextDecoderStream()).getReader();
  const abort = () => reader.cancel().catch(() => {});
  signal.addEventListener('abort', abort, { once: true });
  let parser = null;
  let json = null;
  let rest = '';
  let lineNo = 0;
  let more = true;
  try {
    while (more) {
      const { value, done } = await reader.read();
      if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
      if (done) break;
      if (value.includes('\u0000')) throw new Error(NOT_TEXT);
      let text = rest + value;
      if (!parser) {
        text = text.replace(/^\uFEFF/, '');
        parser = new CorpusParser(file.name, sniffFormat(text, file.name), { maxPassages: MAX_PASSAGES });
        if (parser.format === 'json') {
          if (file.size > MAX_JSON_ARRAY) throw new Error(`a JSON array over ${MAX_JSON_ARRAY >> 20} MB cannot be read in the page; save it as JSONL (one passage per line)`);
          json = [];
        }
      }
      if (json) {
        json.push(text);
        rest = '';
      } else {
        // A "\r" at the end may be half of a "\r\n" that the next piece completes: keep it for then.
        const lines = text.split('\n');
        rest = lines.pop();
        for (const line of lines) {
          if (!(more = parser.line(line.replace(/\r$/, ''), ++lineNo))) break;
        }
      }
      progress.update({ phase: 'files', done: bytesRead, total: file.size, unit: 'bytes' });
    }
  } catch (err) {
    if (err.name === 'AbortError' || signal.aborted) throw new DOMException('cancelled', 'AbortError');
    throw err.message === NOT_TEXT || err.message.startsWith('a JSON array') ? err : new Error(`the file could not be read (${err.message})`);
  } finally {
    signal.removeEventListener('abort', abort);
    abort(); // stops reading when the passage limit cut the file short; harmless after its end
  }
  parser ??= new CorpusParser(file.name, 'text');
  if (json) parser.json(json.join('').replace(/\r\n?/g, '\n'));
  else if (more && rest) parser.line(rest.replace(/\r$/, ''), ++lineNo);
  return parser.finish();
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
  let unlisted = 0;
  const notes = [];
  reading = new AbortController();
  setBusy(true);
  progress.start(`Reading ${files.length === 1 ? files[0].name : `${files.length} files`}…`);
  try {
    for (const file of files) {
      let parsed;
      try {
        parsed = await readCorpusFile(file, reading.signal);
      } catch (err) {
        if (err.name === 'AbortError') {
          report([h('p', {}, 'Reading the file was cancelled; the corpus is unchanged.')]);
          return;
        }
        problems.push({ file: file.name, message: err.message });
        continue;
      }
      // Files dropped together must not share ids either.
      const merged = mergeCorpora(added, parsed.passages);
      added = merged.passages;
      for (const p of [...parsed.problems, ...merged.problems]) problems.push({ file: file.name, ...p });
      unlisted += parsed.problemCount - parsed.problems.length;
      if (parsed.stoppedAt !== null) notes.push(`${file.name}: only the first ${int(MAX_PASSAGES)} passages were read (up to line ${int(parsed.stoppedAt - 1)}): the page keeps every passage and its vector in memory. Split the file, or index it natively with \`lingbridge embed\`.`);
      if (parsed.detected) notes.push(`${file.name}: the language of ${parsed.detected} passage${parsed.detected === 1 ? ' was' : 's were'} detected automatically.`);
      if (parsed.undetermined) notes.push(`${file.name}: the language of ${parsed.undetermined} passage${parsed.undetermined === 1 ? '' : 's'} could not be told; marked "und" (undetermined).`);
    }
  } finally {
    reading = null;
    setBusy(false);
    progress.finish();
  }
  const base = replace ? [] : state.corpus.passages;
  const merged = mergeCorpora(base, added);
  for (const p of merged.problems) problems.push({ file: files.length === 1 ? files[0].name : 'your files', ...p });
  const fresh = merged.passages.slice(base.length);

  const lines = [];
  if (fresh.length) {
    const langs = countLanguages(fresh);
    lines.push(h('p', { class: 'ok' }, `${replace ? 'Replacing the corpus with' : 'Adding'} ${int(fresh.length)} passage${fresh.length === 1 ? '' : 's'} (${Object.entries(langs).map(([l, n]) => `${languageName(l)} ${int(n)}`).join(', ')}).`));
  } else {
    lines.push(h('p', {}, 'No passages could be read from the file, so the corpus is unchanged.'));
  }
  for (const n of notes) lines.push(h('p', { class: 'muted small' }, n));
  // Counted in full, listed in part (the parser keeps the first MAX_PROBLEMS_KEPT of each file).
  const total = problems.length + unlisted;
  if (total) {
    lines.push(h('p', { class: 'warn' }, `${int(total)} line${total === 1 ? ' was' : 's were'} not used:`));
    lines.push(h('ul', { class: 'problems' }, problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => h('li', { dataset: { line: p.line ?? '' } }, files.length > 1 ? `${p.file}, ` : '', p.message))));
    if (total > MAX_PROBLEMS_SHOWN) lines.push(h('p', { class: 'muted small' }, `…and ${int(total - MAX_PROBLEMS_SHOWN)} more.`));
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
  $('corpus-cancel').addEventListener('click', () => {
    $('corpus-cancel').disabled = true;
    if (reading) reading.abort();
    else if (indexing) engine.call('cancel').catch(() => {});
  });

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
  // A model that fails to load leaves the previous one (and its index) in place: back to how things were.
  let indexedBefore = false;
  on('model-loading', ({ slot }) => {
    if (slot !== 'A') return;
    indexedBefore = state.corpus.indexed;
    state.corpus.indexed = false;
    showStatus();
  });
  on('model-failed', ({ slot, kept }) => {
    if (slot !== 'A' || !kept || !indexedBefore) return;
    state.corpus.indexed = true;
    showStatus();
    emit('corpus-indexed');
  });
}

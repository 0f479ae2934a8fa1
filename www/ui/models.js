// The Models tab: the built-in models (models/index.json) for slot A (search and evaluation) and slot B
// (comparison in the bias view), each with its card's key numbers; loading your own model from files, a
// folder or a URL; download progress. Also loads model A when the page opens.
import { engine } from '../engine.js';
import { $, h, fill } from './dom.js';
import { state, emit, on } from './state.js';
import { Progress, progressPercent } from './progress.js';
import { showError, clearError } from './errors.js';
import { setStatus } from './header.js';
import { bytes, count, fixed, int, ms } from './format.js';

const FALLBACK = { default: 'tiny-xlmr', models: [{ id: 'tiny-xlmr', url: 'models/tiny-xlmr' }] };

// The files of a Hugging Face model directory the engine can use; anything else in a chosen folder
// (PyTorch or ONNX weights, READMEs, .git) is not read, so picking a big folder does not read gigabytes.
const MODEL_FILES = new Set(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json',
  'special_tokens_map.json', 'modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json',
  'sentencepiece.bpe.model', 'vocab.txt', '1_Pooling/config.json']);

const custom = []; // models the visitor brought, offered in both pickers once loaded
const ui = {}; // per slot: { select, card, status, progress, error, load, unload }
let ownProgress;

function normaliseEntry(m) {
  return { id: String(m.id), name: m.name ?? m.id, url: m.url, bytes: m.bytes, version: m.version, description: m.description, card: m.card ?? null,
    corpus_embeddings: m.corpus_embeddings ?? null };
}

/** Reads models/index.json; without one, the built-in test model is the only choice. */
export async function loadCatalogue() {
  let data = FALLBACK;
  let problem = null;
  try {
    const res = await fetch('models/index.json', { cache: 'no-cache' });
    if (res.ok) {
      const j = await res.json();
      if (!Array.isArray(j?.models) || j.models.length === 0 || j.models.some((m) => !m?.id || !m?.url)) {
        throw new Error('it has no "models" list with an id and a url for each model');
      }
      data = j;
    }
  } catch (err) {
    problem = `models/index.json could not be read (${err.message}); only the built-in test model is offered.`;
  }
  state.catalogue = data.models.map(normaliseEntry);
  const def = state.catalogue.find((m) => m.id === data.default) ?? state.catalogue[0];
  // `compare`: the model slot B's picker suggests for the bias view (chosen, not loaded: the visitor decides).
  const compare = state.catalogue.find((m) => m.id === data.compare && m !== def) ?? null;
  return { defaultEntry: def, compareEntry: compare, problem };
}

/** A built-in model named by its id or by its address ("models/x.gguf", "./models/x.gguf", an absolute URL of
 * this page's copy): its catalogue entry, so the download keeps its cache version and the built-in corpus its
 * precomputed embeddings. `null` for any other address. */
export function catalogueEntryFor(param) {
  const byId = state.catalogue.find((m) => m.id === param);
  if (byId) return byId;
  const canon = (u) => {
    try {
      return new URL(u.trim().replace(/\/+$/, ''), location.href).href;
    } catch {
      return null;
    }
  };
  const want = canon(param);
  return (want && state.catalogue.find((m) => canon(m.url) === want)) ?? null;
}

/** A Hugging Face page URL becomes the URL its files download from. */
export function normaliseModelUrl(u) {
  const t = u.trim().replace(/\/+$/, '');
  const repo = t.match(/^https?:\/\/huggingface\.co\/([\w.-]+\/[\w.-]+)$/);
  if (repo) return `https://huggingface.co/${repo[1]}/resolve/main`;
  return t.replace(/^(https?:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+)\/(tree|blob)\/([^/]+)/, '$1/resolve/$3');
}

function nameFromUrl(u) {
  const parts = u.replace(/\/resolve\/[^/]+$/, '').split('/').filter(Boolean);
  return parts.slice(-1)[0] || u;
}

export function entryFromUrl(url) {
  const u = normaliseModelUrl(url);
  return { id: `url:${u}`, name: nameFromUrl(u), url: u, card: null };
}

/**
 * Sorts picked files into what a model load needs: one .gguf, or HF files by their path in the model folder.
 * @param {File[]} list
 * @param {boolean} fromFolder paths come from webkitRelativePath ("my-model/1_Pooling/config.json")
 */
export function collectModelFiles(list, fromFolder) {
  const files = [];
  const ignored = [];
  let folder = '';
  const ggufs = [];
  for (const file of list) {
    const rel = fromFolder && file.webkitRelativePath ? file.webkitRelativePath.split('/').slice(1).join('/') : file.name;
    if (fromFolder && !folder) folder = file.webkitRelativePath.split('/')[0];
    if (/\.gguf$/i.test(rel)) ggufs.push({ rel, file });
    else if (MODEL_FILES.has(rel) || (!rel.includes('/') && /\.json$/i.test(rel))) files.push({ name: rel, file });
    else ignored.push(rel);
  }
  if (ggufs.length > 1) {
    return { problem: `Pick one .gguf file at a time (these ${ggufs.length} were chosen: ${ggufs.map((g) => g.rel).join(', ')}).` };
  }
  if (ggufs.length === 1) {
    return { name: ggufs[0].rel.replace(/^.*\//, ''), files: [{ name: 'model.gguf', file: ggufs[0].file }], ignored: [...ignored, ...files.map((f) => f.name)] };
  }
  if (!files.some((f) => f.name === 'config.json')) {
    return {
      problem: 'These files are not a model LingBridge can read: there is no config.json and no .gguf file. ' +
        'Pick the model folder (with config.json, model.safetensors and tokenizer.json) or one .gguf file.',
    };
  }
  return { name: folder || 'your model', files, ignored };
}

async function readFiles(files) {
  const out = {};
  for (const { name, file } of files) {
    try {
      out[name] = new Uint8Array(await file.arrayBuffer());
    } catch (err) {
      throw new Error(`${name} could not be read from your disk (${err.message})`);
    }
  }
  return out;
}

function cardView(entry, slot) {
  if (!entry) return h('p', { class: 'muted' }, 'No comparison model. Pick one to see two models side by side in the Language bias tab.');
  const c = entry.card ?? {};
  const facts = [
    ['Parameters', count(c.params)],
    ['Layers', c.layers ?? '–'],
    ['Hidden size', c.hidden ?? '–'],
    ['Vocabulary', int(c.vocab)],
    ['Download', entry.bytes ? bytes(entry.bytes) : '–'],
  ];
  const s = c.mlqa_r;
  return h('div', { class: 'card-body' },
    entry.description ? h('p', { class: 'card-desc' }, entry.description) : null,
    entry.card ? h('dl', { class: 'facts' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, String(v))))) : null,
    s ? h('p', { class: 'mini-title', id: `mlqa-${slot}` }, 'MLQA-R: mAP (higher is better) and rank distance (lower is fairer)') : null,
    s
      ? h('table', { class: 'mini', 'aria-labelledby': `mlqa-${slot}` },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Mo'), h('th', { scope: 'col' }, 'Cr'), h('th', { scope: 'col' }, 'Mul'), h('th', { scope: 'col' }, 'Rank distance'))),
        h('tbody', {}, h('tr', {}, h('td', {}, fixed(s.mo)), h('td', {}, fixed(s.cr)), h('td', {}, fixed(s.mul)), h('td', {}, fixed(s.rank_distance, 1)))))
      : h('p', { class: 'muted small' }, entry.card ? 'No MLQA-R scores for this model.' : 'A model you brought: its numbers appear once it is loaded.'));
}

function allEntries() {
  return [...state.catalogue, ...custom];
}

function fillSelect(slot) {
  const { select } = ui[slot];
  const current = select.value || state.models[slot]?.entry?.id;
  fill(select,
    slot === 'B' ? h('option', { value: '' }, '— none —') : null,
    state.catalogue.length ? h('optgroup', { label: 'Built-in models' }, state.catalogue.map((m) => h('option', { value: m.id }, m.name))) : null,
    custom.length ? h('optgroup', { label: 'Your models' }, custom.map((m) => h('option', { value: m.id }, m.name))) : null);
  if (current && allEntries().some((m) => m.id === current)) select.value = current;
  showCard(slot);
}

function selectedEntry(slot) {
  return allEntries().find((m) => m.id === ui[slot].select.value) ?? null;
}

function showCard(slot) {
  fill(ui[slot].card, cardView(selectedEntry(slot), slot));
}

function showSlotStatus(slot) {
  const m = state.models[slot];
  const el = ui[slot].status;
  ui[slot].unload && (ui[slot].unload.hidden = !m || m.status !== 'ready');
  if (!m) return fill(el, slot === 'B' ? 'Nothing loaded in slot B.' : 'Not loaded yet.');
  if (m.status === 'loading') return fill(el, `Loading ${m.entry.name}…`);
  if (m.status === 'error') return fill(el, `${m.entry.name} is not loaded (see the message below).`);
  const r = m.result;
  const i = r.info ?? {};
  const where = r.backend?.name === 'gpu' ? `WebGPU (${r.backend.device})` : r.backend?.device?.startsWith('CPU') ? r.backend.device : 'CPU (wasm)';
  fill(el,
    h('strong', {}, `Loaded: ${m.entry.name}`), ` on ${where} in ${ms(r.loadMs)}`,
    r.bytes ? ` · ${bytes(r.bytes)} ${r.cached ? 'from the browser cache' : m.entry.url ? 'downloaded' : 'read from your disk'}` : '',
    h('br'),
    h('span', { class: 'muted small' }, [
      i.layers !== undefined ? `${i.layers} layers` : null, i.hidden ? `hidden ${i.hidden}` : null,
      i.heads ? `${i.heads} heads` : null, i.vocab ? `vocabulary ${int(i.vocab)}` : null,
      i.pooling ? `${i.pooling} pooling` : null, i.max_tokens ? `up to ${i.max_tokens} tokens` : null,
    ].filter(Boolean).join(' · ')));
}

function setBusy(busy) {
  for (const slot of ['A', 'B']) {
    ui[slot].load.disabled = busy;
    if (ui[slot].unload) ui[slot].unload.disabled = busy;
  }
  for (const id of ['own-files', 'own-dir', 'own-url-load']) $(id).disabled = busy;
  $('force-cpu').disabled = busy;
}

let loading = 0;

/**
 * Loads a model into a slot. Errors go to `errorEl` (the area next to what the visitor did).
 * @returns {Promise<boolean>} whether it loaded
 */
export async function loadModel(slot, entry, { progress = ui[slot].progress, errorEl = ui[slot].error } = {}) {
  clearError(errorEl);
  clearError(ui[slot].error);
  // The worker keeps a slot's model until a new one has loaded: if this one fails, the previous one stays.
  const previous = state.models[slot]?.status === 'ready' ? state.models[slot] : null;
  state.models[slot] = { entry, status: 'loading' };
  loading++;
  setBusy(true);
  showSlotStatus(slot);
  emit('model-loading', { slot });
  if (slot === 'A') {
    document.body.dataset.ready = 'false';
    setStatus(`Loading ${entry.name}…`, 'busy');
  }
  progress.start(`Preparing ${entry.name}…`);
  try {
    // `version` lets the worker keep a cached copy until the model changes; `name` labels reports.
    const source = entry.url
      ? { url: entry.url, name: entry.name, ...(entry.version ? { version: entry.version } : {}) }
      : { files: await readFiles(entry.files), name: entry.name };
    const result = await engine.call('load', { slot, source, backend: state.backend, engines: state.engines }, (p) => {
      progress.update(p);
      if (slot === 'A' && p.phase === 'download') setStatus(`Downloading ${entry.name}… ${progressPercent(p)}`, 'busy');
    });
    state.models[slot] = { entry, status: 'ready', result };
    state.reports[slot] = null;
    emit('eval-cleared', { slot });
    emit('backend', result.backend);
    if (slot === 'A') {
      setStatus(`Model A ready: ${entry.name} · loaded in ${ms(result.loadMs)}${result.cached ? ' (from cache)' : ''}`, 'ready');
      document.body.dataset.ready = 'true';
    }
    emit('model-loaded', { slot });
    return true;
  } catch (err) {
    if (previous) {
      state.models[slot] = previous;
      ui[slot].select.value = previous.entry.id;
      showCard(slot);
      showError(errorEl, err, `Could not load ${entry.name}; ${previous.entry.name} is still loaded`);
      if (slot === 'A') {
        setStatus(`Model A ready: ${previous.entry.name} (${entry.name} could not be loaded)`, 'ready');
        document.body.dataset.ready = 'true';
      }
    } else {
      state.models[slot] = { entry, status: 'error', error: err };
      showError(errorEl, err, `Could not load ${entry.name}`);
      if (slot === 'A') setStatus('Model A not loaded', 'error');
    }
    emit('model-failed', { slot, error: err, kept: Boolean(previous) });
    return false;
  } finally {
    progress.finish();
    loading--;
    if (!loading) setBusy(false);
    showSlotStatus(slot);
  }
}

async function unloadB() {
  clearError(ui.B.error);
  try {
    await engine.call('unload', { slot: 'B' });
  } catch (err) {
    showError(ui.B.error, err, 'Could not unload model B');
    return;
  }
  state.models.B = null;
  state.reports.B = null;
  ui.B.select.value = '';
  showCard('B');
  showSlotStatus('B');
  emit('eval-cleared', { slot: 'B' });
  emit('model-unloaded', { slot: 'B' });
}

/** The Force CPU switch: every loaded model runs again on the backend now asked for. */
export async function reloadAll() {
  for (const slot of ['A', 'B']) {
    const m = state.models[slot];
    if (m && m.status !== 'loading') await loadModel(slot, m.entry);
  }
}

function addCustom(entry, slot) {
  const i = custom.findIndex((m) => m.id === entry.id);
  if (i >= 0) custom.splice(i, 1);
  custom.push(entry);
  fillSelect('A');
  fillSelect('B');
  ui[slot].select.value = entry.id;
  showCard(slot);
}

async function loadOwn(entry) {
  const slot = $('own-slot').value;
  addCustom(entry, slot);
  await loadModel(slot, entry, { progress: ownProgress, errorEl: $('own-error') });
}

function onPicked(input, fromFolder) {
  clearError($('own-error'));
  $('own-note').hidden = true;
  const picked = [...input.files];
  input.value = ''; // picking the same files again must fire "change" again
  if (!picked.length) return;
  const got = collectModelFiles(picked, fromFolder);
  if (got.problem) {
    showError($('own-error'), got.problem);
    return;
  }
  if (got.ignored.length) {
    const shown = got.ignored.slice(0, 6).join(', ') + (got.ignored.length > 6 ? `, and ${got.ignored.length - 6} more` : '');
    $('own-note').textContent = `Not needed, so not read: ${shown}.`;
    $('own-note').hidden = false;
  }
  const id = `files:${got.name}:${got.files.map((f) => `${f.name}=${f.file.size}`).join(',')}`;
  loadOwn({ id, name: got.name, files: got.files, card: null, bytes: got.files.reduce((s, f) => s + f.file.size, 0) });
}

export function initModels() {
  for (const slot of ['A', 'B']) {
    ui[slot] = {
      select: $(`model-${slot}-select`),
      card: $(`model-${slot}-card`),
      status: $(`model-${slot}-status`),
      progress: new Progress($(`model-${slot}-progress`), `Loading model ${slot}`),
      error: $(`model-${slot}-error`),
      load: $(`model-${slot}-load`),
      unload: $(`model-${slot}-unload`),
    };
    ui[slot].select.addEventListener('change', () => showCard(slot));
    ui[slot].load.addEventListener('click', () => {
      const entry = selectedEntry(slot);
      if (entry) loadModel(slot, entry);
      else if (slot === 'B' && state.models.B) unloadB();
      else showError(ui[slot].error, 'Pick a model in the list first.');
    });
    showSlotStatus(slot);
  }
  ui.B.unload.addEventListener('click', unloadB);
  ownProgress = new Progress($('own-progress'), 'Loading your model');
  $('own-files').addEventListener('change', (e) => onPicked(e.target, false));
  $('own-dir').addEventListener('change', (e) => onPicked(e.target, true));
  $('own-url-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearError($('own-error'));
    const raw = $('own-url').value.trim();
    if (!raw) {
      showError($('own-error'), 'Type the address of a model folder (Hugging Face layout) or of a .gguf file first.');
      return;
    }
    try {
      new URL(raw, location.href);
    } catch {
      showError($('own-error'), `"${raw}" is not a web address.`);
      return;
    }
    loadOwn(entryFromUrl(raw));
  });
  on('model-loaded', ({ slot }) => showSlotStatus(slot));
}

/** Fills the pickers and loads model A (?model= or the catalogue's default). */
export async function startModels(startupError) {
  const { defaultEntry, compareEntry, problem } = await loadCatalogue();
  if (problem) {
    $('catalogue-note').textContent = problem;
    $('catalogue-note').hidden = false;
  }
  const param = new URLSearchParams(location.search).get('model');
  let entry = defaultEntry;
  if (param) {
    entry = catalogueEntryFor(param) ?? entryFromUrl(param);
    if (!state.catalogue.includes(entry)) custom.push(entry);
  }
  fillSelect('A');
  fillSelect('B');
  ui.A.select.value = entry.id;
  // Slot B is only suggested (index.json's `compare`), never loaded here: a second model costs a download and an
  // evaluation the visitor may not want. The shipped suggestion is the untuned e5-small-base beside the default, the
  // same model tuned with hybrid batches: the two strips then show what the tuning changed (the Chinese Nile
  // question: the base ranks 8 Chinese passages, mostly unrelated, in its top 10 and the other languages' answers
  // down to rank 62; the tuned model puts all 8 languages' answers in its top 9). e5-small-mono (tuned on
  // one-language batches only) is one pick away for the lesson on batch sampling.
  ui.B.select.value = compareEntry && compareEntry !== entry ? compareEntry.id : '';
  showCard('A');
  showCard('B');
  await loadModel('A', entry, { errorEl: startupError });
}

// The engine's home: owns the wasm objects (Engine, SearchIndex, LareqaEvaluation), runs one request at a time
// (calls never overlap), and answers the page with messages — the protocol is www/PROTOCOL.md. The page never
// touches wasm directly, so the UI never blocks on inference. All ranking and scoring happen in wasm (the same
// Rust code as `lingbridge eval`); this file only moves bytes and texts and reports progress.
import init, { Engine, SearchIndex, LareqaEvaluation, BeirEvaluation } from './pkg/lingbridge.js';
import { EmbedPool, engineCount } from './embed-pool.js';
import { wasmUrl } from './wasm-build.js';

// Files of a model in Hugging Face layout; the first three are required.
const REQUIRED = ['config.json', 'model.safetensors', 'tokenizer.json'];
const OPTIONAL = ['modules.json', '1_Pooling/config.json', 'config_sentence_transformers.json', 'sentence_bert_config.json'];
// Model files are cached under a versioned name: a new format version starts a fresh cache.
const CACHE_NAME = 'lingbridge-models-v1';
// Texts per embed call: small enough for a progress bar that moves, large enough to batch well.
const CHUNK = 64;
// Chunks shared by several engines are smaller, so the engines finish a job together (a helper holds two at once).
const POOL_CHUNK = 32;

const slots = { A: emptySlot(), B: emptySlot() };
let evaluation = null; // { kind: 'lareqa' | 'beir', set: LareqaEvaluation | BeirEvaluation, name }
let wasmReady = null; // resolves to the wasm exports (their `memory` is reported with the backend)
let queue = Promise.resolve();
// Set by a `cancel` message (handled at once, outside the queue): the running evaluation or indexing stops at
// its next chunk.
let cancelRequested = false;
const CANCELLED = 'the evaluation was cancelled';
const cancelled = () => Object.assign(new Error(CANCELLED), { cancelled: true });

function emptySlot() {
  // `version`: the built-in model's content hash (index.json), so precomputed embeddings are used only with the
  // exact model they were computed with; null for a model the visitor brought.
  // `pool`: helper engines on the other cores (CPU backend only; www/embed-pool.js), `engines` how many run in all.
  return { engine: null, name: '', version: null, index: null, passages: [], run: null, pool: null, engines: 1 };
}

// Frees a slot's wasm objects and sets it to `fields` (the index and results belong to the old model's vectors).
function resetSlot(slot, fields = {}) {
  slot.engine?.free();
  slot.index?.free();
  slot.run?.free();
  slot.pool?.terminate();
  Object.assign(slot, emptySlot(), fields);
}

function slotOf(name) {
  const slot = slots[name ?? 'A'];
  if (!slot) throw new Error(`unknown model slot ${name}`);
  return slot;
}

function engineOf(name) {
  const slot = slotOf(name);
  if (!slot.engine) throw new Error(name === 'B' ? 'no comparison model is loaded' : 'no model is loaded yet');
  return slot;
}

// Progress of the current request, at most ~10 messages a second (the last one always goes out).
function progressReporter(id, phase, unit) {
  let last = 0;
  return (done, total, extra = {}) => {
    const now = performance.now();
    if (done < total && now - last < 100) return;
    last = now;
    self.postMessage({ id, progress: { phase, done, total, unit, ...extra } });
  };
}

async function openCache() {
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return null; // No Cache API (e.g. an insecure origin): download every time.
  }
}

// One file's bytes: from the cache when it holds this version, else downloaded with progress and cached.
async function fetchBytes(url, { required, version, onBytes, cache }) {
  const cached = cache && (await cache.match(url));
  if (cached && cached.headers.get('x-lingbridge-version') === String(version ?? '')) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    onBytes(bytes.length, bytes.length);
    return { bytes, cached: true };
  }
  let res;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`${url}: download failed (${err.message}); check the address and your connection`);
  }
  if (!res.ok) {
    if (!required) return null;
    throw new Error(`${url}: download failed (HTTP ${res.status})`);
  }
  const total = Number(res.headers.get('content-length')) || 0;
  const parts = [];
  let done = 0;
  const reader = res.body.getReader();
  // A connection that drops halfway must not leave a truncated file in the cache, where every later visit
  // would find it: nothing is cached unless every byte the server announced arrived.
  const brokeOff = (why) => new Error(`${url}: the download broke off after ${done} of ${total || 'an unknown number of'} bytes (${why}); reload the page to download it again`);
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (err) {
      throw brokeOff(err?.message ?? err);
    }
    if (chunk.done) break;
    parts.push(chunk.value);
    done += chunk.value.length;
    onBytes(chunk.value.length, total);
  }
  // Fewer bytes than announced: cut off. (More is fine: Content-Length counts a gzip-encoded body, `done` the decoded one.)
  if (done < total) throw brokeOff('the connection closed early');
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  if (cache) {
    const headers = { 'content-type': 'application/octet-stream', 'x-lingbridge-version': String(version ?? '') };
    await cache.put(url, new Response(bytes, { headers })).catch(() => {}); // A full quota only costs the cache.
  }
  return { bytes, cached: false };
}

// A model is a directory in Hugging Face layout, or one `lingbridge quantize` file (`….gguf`) holding everything.
async function downloadModel(url, version, report) {
  const base = new URL(url, self.location.href).href.replace(/\/$/, '');
  const cache = await openCache();
  let received = 0;
  let allCached = true;
  const onBytes = (n, total) => { received += n; report(received, Math.max(total, received)); };
  const get = async (fileUrl, required) => {
    const r = await fetchBytes(fileUrl, { required, version, onBytes, cache });
    if (r) allCached &&= r.cached;
    return r?.bytes ?? null;
  };
  let files;
  if (/\.gguf$/i.test(base)) {
    files = { 'model.gguf': await get(base, true) };
  } else {
    files = {};
    for (const name of REQUIRED) files[name] = await get(`${base}/${name}`, true);
    for (const name of OPTIONAL) {
      const bytes = await get(`${base}/${name}`, false);
      if (bytes) files[name] = bytes;
    }
  }
  return { files, bytes: received, cached: allCached };
}

async function sha256Hex(bytes) {
  if (!self.crypto?.subtle) return null; // Insecure origins have no digest; the size and vector checks remain.
  const digest = new Uint8Array(await self.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The bytes of a built-in model's precomputed corpus embeddings (`index.json`'s `corpus_embeddings`), after
// checking that they were made by this model (its version) for these passages (the corpus file's hash, the
// count) and arrived intact (size, content hash). Throws a plain-words reason otherwise; the wasm side then
// checks the values themselves.
async function precomputedBytes(slot, passages, pre, corpusSha256, report) {
  const dtype = pre.dtype;
  if (dtype !== 'f32' && dtype !== 'f16') throw new Error(`unknown value type ${JSON.stringify(dtype)}`);
  if (!slot.version || pre.model_version !== slot.version) throw new Error('they were computed with another version of the model');
  if (!corpusSha256 || pre.corpus_sha256 !== corpusSha256) throw new Error('they were computed for another version of the built-in corpus');
  if (pre.count !== passages.length) throw new Error(`they hold ${pre.count} passages, the corpus ${passages.length}`);
  if (pre.dim !== slot.engine.dim) throw new Error(`their width is ${pre.dim}, the model's ${slot.engine.dim}`);
  if (typeof pre.url !== 'string' || typeof pre.version !== 'string') throw new Error('their entry in models/index.json has no url or version');
  const cache = await openCache();
  let received = 0;
  const onBytes = (n, total) => { received += n; report(received, Math.max(total, received)); };
  const { bytes } = await fetchBytes(pre.url, { required: true, version: pre.version, onBytes, cache });
  const hash = await sha256Hex(bytes);
  if (bytes.length !== pre.bytes || (hash && !hash.startsWith(pre.version))) {
    // A bad copy must not stay in the cache under a good version.
    await cache?.delete(pre.url).catch(() => {});
    throw new Error(bytes.length !== pre.bytes
      ? `${pre.url} has ${bytes.length} bytes, models/index.json says ${pre.bytes}`
      : `${pre.url} does not match its hash in models/index.json`);
  }
  return bytes;
}

// The bias view's requests: per-question rankings exist for multilingual sets only.
function requireLareqa() {
  if (evaluation?.kind === 'beir') throw new Error('the bias view needs a multilingual (LAReQA) set; a BEIR set is monolingual');
}

// A new evaluation set: the old one and every model's results on it go.
function replaceEvaluation(next) {
  evaluation?.set.free();
  for (const slot of Object.values(slots)) { slot.run?.free(); slot.run = null; }
  evaluation = next;
}

// Embeds `texts` CHUNK at a time on the slot's engine (and its helpers), handing each chunk's vectors to
// `onChunk(start, vectors)` in order and reporting progress.
// With `cancellable`, a `cancel` message stops it between chunks (the error has `cancelled: true`).
async function embedChunks(slot, texts, kind, report, onChunk, cancellable = false) {
  const stop = () => cancellable && cancelRequested;
  if (slot.pool) return slot.pool.embedChunks(slot.engine, texts, kind, POOL_CHUNK, report, onChunk, stop, cancelled);
  for (let start = 0; start < texts.length; start += CHUNK) {
    if (stop()) throw cancelled();
    onChunk(start, await slot.engine.embed(texts.slice(start, start + CHUNK), kind));
    report(Math.min(start + CHUNK, texts.length), texts.length);
    // Let a `cancel` message in between chunks.
    if (cancellable) await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

async function embedAll(slot, texts, kind, report, cancellable = false) {
  const dim = slot.engine.dim;
  const out = new Float32Array(texts.length * dim);
  await embedChunks(slot, texts, kind, report, (start, vectors) => out.set(vectors, start * dim), cancellable);
  return out;
}

// Where the slot's encoder runs; on the CPU also how many engines share long jobs (`engines`, those ready now in
// `enginesReady`) and why fewer than asked run (`enginesNote`).
// `memoryBytes`: this worker's wasm memory plus the helpers' (every model and index loaded, all slots).
async function backendOf(slot) {
  const info = JSON.parse(slot.engine.backendInfo());
  const memoryBytes = (await wasmReady).memory.buffer.byteLength + (slot.pool?.memoryBytes ?? 0);
  if (info.name !== 'cpu') return { ...info, memoryBytes };
  const ready = 1 + (slot.pool?.readyCount ?? 0);
  return { ...info, memoryBytes, engines: slot.pool?.failure ? ready : slot.engines, enginesReady: ready, enginesNote: slot.pool?.failure ?? null };
}

const handlers = {
  async load({ slot: slotName = 'A', source, backend = 'auto', engines = null }, id) {
    const t0 = performance.now();
    wasmReady ??= init({ module_or_path: wasmUrl() });
    await wasmReady;
    const slot = slotOf(slotName);
    let files, bytes, cached, name;
    if (source?.url) {
      ({ files, bytes, cached } = await downloadModel(source.url, source.version, progressReporter(id, 'download', 'bytes')));
      name = source.name ?? source.url.replace(/\/$/, '').split('/').pop();
    } else if (source?.files && Object.keys(source.files).length) {
      files = source.files;
      bytes = Object.values(files).reduce((s, b) => s + b.length, 0);
      cached = false;
      name = source.name ?? 'your model';
    } else {
      throw new Error('no model given: choose a built-in model, pick its files, or give a URL');
    }
    const engine = await Engine.create(files, name, undefined, backend);
    resetSlot(slot, { engine, name, version: source?.url && source.version ? String(source.version) : null });
    // Warm-up pass: the first call pays for allocation and pipeline compilation; visitors should not.
    await engine.embed(['warm-up'], 'query');
    // On the CPU, helpers load the same files on the other cores in the background: the model is usable now, and
    // long jobs spread over the helpers that are ready when they start.
    if (JSON.parse(engine.backendInfo()).name === 'cpu') {
      slot.engines = engineCount(engines);
      if (slot.engines > 1) slot.pool = new EmbedPool(files, name, slot.engines - 1);
    }
    return { info: JSON.parse(engine.info()), backend: await backendOf(slot), loadMs: performance.now() - t0, bytes, cached };
  },

  async unload({ slot: slotName }) {
    resetSlot(slotOf(slotName));
    return {};
  },

  async index({ slot: slotName = 'A', passages, append = false, precomputed = null, corpusSha256 = null }, id) {
    const slot = engineOf(slotName);
    if (!Array.isArray(passages)) throw new Error('passages must be a list');
    if (!append || !slot.index) {
      slot.index?.free();
      slot.index = new SearchIndex(slot.engine.dim);
      slot.passages = [];
    }
    const t0 = performance.now();
    // The built-in corpus with a built-in model: its shipped embeddings, when they fit this model and corpus.
    // Any problem only costs time: the passages are then encoded here, as for any other corpus.
    let embeddings = 'live';
    let note = null;
    if (precomputed && slot.index.length === 0) {
      try {
        const bytes = await precomputedBytes(slot, passages, precomputed, corpusSha256, progressReporter(id, 'embeddings', 'bytes'));
        slot.index.addEncoded(passages.map((p) => String(p.id)), passages.map((p) => p.lang || 'und'), bytes, precomputed.dtype);
        slot.passages.push(...passages);
        embeddings = 'precomputed';
      } catch (err) {
        note = `the precomputed embeddings could not be used (${err?.message ?? err}), so the passages were encoded here`;
        console.warn(`precomputed embeddings: ${note}`);
        slot.index.clear();
      }
    }
    let cancelledAt = null;
    if (embeddings === 'live') {
      // Added chunk by chunk, so a repeated id stops the indexing where it occurs, and a `cancel` between two
      // chunks keeps what is indexed (the answer says how much: `cancelled`, `count`).
      cancelRequested = false;
      try {
        await embedChunks(slot, passages.map((p) => p.text), 'passage', progressReporter(id, 'index', 'passages'), (start, vectors) => {
          const part = passages.slice(start, start + vectors.length / slot.engine.dim);
          slot.index.add(part.map((p) => String(p.id)), part.map((p) => p.lang || 'und'), vectors);
          slot.passages.push(...part);
        }, true);
      } catch (err) {
        if (!err?.cancelled) throw err;
        cancelledAt = slot.index.length;
      }
    }
    const secs = (performance.now() - t0) / 1000;
    return {
      count: slot.index.length,
      added: passages.length,
      secs,
      passagesPerSecond: passages.length / Math.max(secs, 1e-9),
      languages: JSON.parse(slot.index.languages()),
      embeddings,
      note,
      cancelled: cancelledAt !== null,
    };
  },

  async search({ slot: slotName = 'A', query, k = 10, langs = null }) {
    const slot = engineOf(slotName);
    if (!slot.index || slot.index.length === 0) throw new Error('there is nothing to search yet: the corpus is still being indexed');
    if (typeof query !== 'string' || !query.trim()) throw new Error('type a question to search for');
    const t0 = performance.now();
    const vector = await slot.engine.embed([query], 'query');
    const t1 = performance.now();
    const hits = JSON.parse(slot.index.search(vector, k, Array.isArray(langs) ? langs : undefined));
    const rankMs = performance.now() - t1;
    return {
      hits: hits.map((h) => ({ rank: h.rank, id: h.id, lang: h.lang, text: slot.passages[h.doc]?.text ?? '', score: h.score })),
      encodeMs: t1 - t0,
      rankMs,
      backend: await backendOf(slot),
    };
  },

  async evalLoad({ files, url, langs, name, beir }) {
    wasmReady ??= init({ module_or_path: wasmUrl() });
    await wasmReady;
    if (beir) {
      for (const part of ['corpus', 'queries', 'qrels']) {
        if (!(beir[part]?.bytes instanceof Uint8Array)) throw new Error(`the BEIR folder has no ${part} file`);
      }
      const set = BeirEvaluation.fromFiles(beir.corpus.name, beir.corpus.bytes, beir.queries.name, beir.queries.bytes,
        beir.qrels.name, beir.qrels.bytes, name ?? 'BEIR folder');
      replaceEvaluation({ kind: 'beir', set, name: name ?? 'BEIR folder' });
      return { kind: 'beir', ...JSON.parse(set.summary()) };
    }
    if (url) {
      if (!Array.isArray(langs) || !langs.length) throw new Error('give the languages to load, like en,de,zh');
      files = {};
      for (const lang of langs) {
        const fileUrl = `${url.replace(/\/$/, '')}/${lang}.json`;
        files[`${lang}.json`] = (await fetchBytes(fileUrl, { required: true, onBytes: () => {}, cache: null })).bytes;
      }
    }
    if (!files || !Object.keys(files).length) throw new Error('no evaluation files given');
    const set = LareqaEvaluation.fromFiles(files, name ?? url ?? 'uploaded files');
    replaceEvaluation({ kind: 'lareqa', set, name: name ?? url ?? 'uploaded files' });
    return { kind: 'lareqa', ...JSON.parse(set.summary()) };
  },

  async evalRun({ slot: slotName = 'A', name }, id) {
    const slot = engineOf(slotName);
    if (!evaluation) throw new Error('load an evaluation set first');
    const t0 = performance.now();
    cancelRequested = false;
    const set = evaluation.set;
    const beir = evaluation.kind === 'beir';
    const candidates = await embedAll(slot, beir ? set.documentTexts() : set.candidateTexts(), 'passage',
      progressReporter(id, 'candidates', 'candidates'), true);
    const questions = await embedAll(slot, beir ? set.queryTexts() : set.questionTexts(), 'query',
      progressReporter(id, 'questions', 'questions'), true);
    const encodeSeconds = (performance.now() - t0) / 1000;
    const model = name ?? slot.name;
    let report;
    if (beir) {
      report = JSON.parse(set.score(questions, candidates, slot.engine.dim, model, encodeSeconds));
    } else {
      const rank = progressReporter(id, 'rank', 'questions');
      const run = set.score(questions, candidates, slot.engine.dim, model, encodeSeconds, (done, total) => rank(done, total));
      slot.run?.free();
      slot.run = run;
      report = JSON.parse(run.report());
    }
    return { report, secs: (performance.now() - t0) / 1000, backend: await backendOf(slot) };
  },

  async evalQuestions({ lang }) {
    if (!evaluation) throw new Error('load an evaluation set first');
    requireLareqa();
    return { questions: JSON.parse(evaluation.set.questions(lang || undefined)) };
  },

  async evalQuestion({ slot: slotName = 'A', index, k = 10 }) {
    const slot = slotOf(slotName);
    requireLareqa();
    if (!slot.run) throw new Error('run the evaluation with this model first');
    return JSON.parse(slot.run.question(index, k));
  },

  async embed({ texts, kind }) {
    const slot = engineOf('A');
    const { engine } = slot;
    const t0 = performance.now();
    const data = await engine.embed(texts, kind);
    const ms = performance.now() - t0;
    const ids = texts.map((t) => Array.from(engine.tokenIds(t)));
    // The backend can change between calls: a lost GPU device falls back to the CPU.
    return { data: Array.from(data), dim: engine.dim, ms, ids, backend: await backendOf(slot) };
  },

  async speed({ texts, rounds }) {
    const slot = engineOf('A');
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await embedChunks(slot, texts, 'passage', () => {}, () => {});
    const secs = (performance.now() - t0) / 1000;
    return { embeddingsPerSecond: (texts.length * rounds) / secs, count: texts.length * rounds, secs, backend: await backendOf(slot) };
  },
};

self.onmessage = (event) => {
  const { id, op, args } = event.data;
  if (op === 'cancel') {
    // Not queued: it must reach the running request.
    cancelRequested = true;
    self.postMessage({ id, ok: true, result: {} });
    return;
  }
  queue = queue.then(async () => {
    try {
      const handler = handlers[op];
      if (!handler) throw new Error(`unknown request ${op}`);
      self.postMessage({ id, ok: true, result: await handler(args ?? {}, id) });
    } catch (err) {
      self.postMessage({ id, ok: false, error: String(err?.message ?? err) });
    }
  });
};

// The engine's home: owns the wasm Engine, runs one request at a time (calls never overlap), and answers
// the page with messages. The page never touches wasm directly, so the UI never blocks on inference.
import init, { Engine } from './pkg/lingbridge.js';

// Files of a model in Hugging Face layout; the first three are required.
const REQUIRED = ['config.json', 'model.safetensors', 'tokenizer.json'];
const OPTIONAL = ['modules.json', '1_Pooling/config.json', 'config_sentence_transformers.json', 'sentence_bert_config.json'];

let engine = null;
let queue = Promise.resolve();

async function fetchFile(base, name, required) {
  const res = await fetch(`${base}/${name}`);
  if (!res.ok) {
    if (required) throw new Error(`${base}/${name}: download failed (HTTP ${res.status})`);
    return null;
  }
  return new Uint8Array(await res.arrayBuffer());
}

// A model is a directory in Hugging Face layout, or one `lingbridge quantize` file (`….gguf`) holding everything.
async function fetchModel(base) {
  if (base.endsWith('.gguf')) {
    const res = await fetch(base);
    if (!res.ok) throw new Error(`${base}: download failed (HTTP ${res.status})`);
    return { 'model.gguf': new Uint8Array(await res.arrayBuffer()) };
  }
  const files = {};
  for (const name of REQUIRED) files[name] = await fetchFile(base, name, true);
  for (const name of OPTIONAL) {
    const bytes = await fetchFile(base, name, false);
    if (bytes) files[name] = bytes;
  }
  return files;
}

const handlers = {
  async load({ base, backend }) {
    const t0 = performance.now();
    await init();
    const files = await fetchModel(base);
    engine?.free();
    engine = await Engine.create(files, base, undefined, backend ?? 'auto');
    // Warm-up pass: the first call pays for allocation and pipeline compilation; visitors should not.
    await engine.embed(['warm-up'], 'query');
    return { info: JSON.parse(engine.info()), backend: JSON.parse(engine.backendInfo()), loadMs: performance.now() - t0 };
  },
  async embed({ texts, kind }) {
    if (!engine) throw new Error('no model is loaded yet');
    const t0 = performance.now();
    const data = await engine.embed(texts, kind);
    const ms = performance.now() - t0;
    const ids = texts.map((t) => Array.from(engine.tokenIds(t)));
    // The backend can change between calls: a lost GPU device falls back to the CPU.
    return { data: Array.from(data), dim: engine.dim, ms, ids, backend: JSON.parse(engine.backendInfo()) };
  },
  async speed({ texts, rounds }) {
    if (!engine) throw new Error('no model is loaded yet');
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await engine.embed(texts, 'passage');
    const secs = (performance.now() - t0) / 1000;
    return {
      embeddingsPerSecond: (texts.length * rounds) / secs,
      count: texts.length * rounds,
      secs,
      backend: JSON.parse(engine.backendInfo()),
    };
  },
};

self.onmessage = (event) => {
  const { id, op, args } = event.data;
  queue = queue.then(async () => {
    try {
      const handler = handlers[op];
      if (!handler) throw new Error(`unknown request ${op}`);
      self.postMessage({ id, ok: true, result: await handler(args ?? {}) });
    } catch (err) {
      self.postMessage({ id, ok: false, error: String(err?.message ?? err) });
    }
  });
};

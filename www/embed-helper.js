// A helper engine of www/embed-pool.js: one more wasm instance with its own copy of the model, in its own thread,
// so long encoding jobs use another core. It only loads a model (CPU backend) and embeds texts; requests run one
// at a time, in order.
import init, { Engine } from './pkg/lingbridge.js';
import { wasmUrl } from './wasm-build.js';

let engine = null;
let wasm = null;
let queue = Promise.resolve();

const handlers = {
  async load({ files, name }) {
    wasm = await init({ module_or_path: wasmUrl() });
    engine?.free();
    engine = null;
    engine = await Engine.create(files, name, undefined, 'cpu');
    await engine.embed(['warm-up'], 'query');
    return { dim: engine.dim, memoryBytes: wasm.memory.buffer.byteLength };
  },
  async embed({ texts, kind }) {
    if (!engine) throw new Error('the helper engine has no model');
    const vectors = await engine.embed(texts, kind);
    return { vectors, memoryBytes: wasm.memory.buffer.byteLength };
  },
};

self.onmessage = (event) => {
  const { id, op, args } = event.data;
  queue = queue.then(async () => {
    try {
      const result = await handlers[op](args);
      self.postMessage({ id, ok: true, result }, result.vectors ? [result.vectors.buffer] : []);
    } catch (err) {
      self.postMessage({ id, ok: false, error: String(err?.message ?? err) });
    }
  });
};

// Every core for long encoding jobs (indexing a corpus, an evaluation's candidates and questions) on the CPU
// backend: helper workers (www/embed-helper.js), each with its own wasm engine and copy of the model, take chunks
// of texts beside the worker's own engine. Chosen over wasm threads: those need a nightly Rust toolchain
// (build-std with atomics) and a cross-origin-isolated page (COOP/COEP headers), which many static hosts cannot
// send; workers run everywhere. The cost is memory: one more model per helper (~110 MB for the default model,
// whose word table stays 4-bit), so the pool is capped at MAX_ENGINES.
//
// Results come back in chunk order whoever computed them, so callers see exactly what one engine would give
// (the helpers run the same wasm build on the same bytes). A helper that fails is dropped and its chunk is redone here.
import { workerUrl } from './wasm-build.js';

/** The most engines (this worker's + helpers) a slot uses. */
export const MAX_ENGINES = 4;

/** Engines to run for a request of `requested` (null: one per core), between 1 and MAX_ENGINES. */
export function engineCount(requested) {
  const cores = self.navigator?.hardwareConcurrency || 1;
  const n = Number.isInteger(requested) && requested > 0 ? requested : cores;
  return Math.max(1, Math.min(n, MAX_ENGINES));
}

export class EmbedPool {
  /** Starts `count` helpers loading the model `files` (CPU backend); returns at once. */
  constructor(files, name, count) {
    this.helpers = [];
    this.failure = null;
    for (let i = 0; i < count; i++) this.helpers.push(this.#spawn(files, name));
  }

  #spawn(files, name) {
    // `loaded` settles when the model is loaded or the helper failed: jobs started before then let it join late.
    let settle;
    const h = { worker: null, ready: false, dead: false, pending: new Map(), nextId: 0, memoryBytes: 0, loaded: new Promise((r) => { settle = r; }) };
    const fail = (why) => {
      settle();
      h.dead = true;
      this.failure ??= why;
      for (const p of h.pending.values()) p.reject(new Error(why));
      h.pending.clear();
      h.worker?.terminate();
    };
    try {
      h.worker = new Worker(workerUrl('./embed-helper.js'), { type: 'module' });
    } catch (err) {
      fail(`a helper engine could not start (${err?.message ?? err})`);
      return h;
    }
    h.worker.onmessage = ({ data }) => {
      const p = h.pending.get(data.id);
      h.pending.delete(data.id);
      if (data.ok) p?.resolve(data.result);
      else p?.reject(new Error(data.error));
    };
    h.worker.onerror = (e) => fail(`a helper engine stopped (${e.message || 'worker error'})`);
    h.call = (op, args) => new Promise((resolve, reject) => {
      if (h.dead) return reject(new Error('the helper engine stopped'));
      const id = h.nextId++;
      h.pending.set(id, { resolve, reject });
      h.worker.postMessage({ id, op, args });
    });
    h.call('load', { files, name }).then((r) => {
      h.ready = !h.dead;
      h.memoryBytes = r.memoryBytes;
      settle();
    }, (err) => fail(`a helper engine could not load the model (${err.message})`));
    return h;
  }

  /** Helpers ready to take work now. */
  get readyCount() {
    return this.helpers.filter((h) => h.ready && !h.dead).length;
  }

  /** wasm memory of the live helpers, bytes (each has its own instance). */
  get memoryBytes() {
    return this.helpers.filter((h) => !h.dead).reduce((sum, h) => sum + h.memoryBytes, 0);
  }

  terminate() {
    for (const h of this.helpers) {
      h.dead = true;
      h.worker?.terminate();
      for (const p of h.pending.values()) p.reject(new Error('the model was unloaded'));
      h.pending.clear();
    }
    this.helpers = [];
  }

  /**
   * Embeds `texts` `chunk` at a time on `main` (this worker's engine) and every ready helper; hands each chunk's
   * vectors to `onChunk(start, vectors)` in order and reports `report(done, total)`. An error from `onChunk` or
   * `main` stops the job and rejects; so does `stop()` turning true (checked before each chunk is handed out),
   * with the error `stopped()` makes.
   */
  async embedChunks(main, texts, kind, chunk, report, onChunk, stop = () => false, stopped = () => new Error('stopped')) {
    const starts = [];
    for (let s = 0; s < texts.length; s += chunk) starts.push(s);
    // Helpers still loading join when they are ready, unless this thread has run out of work by then.
    const helpers = this.helpers.filter((h) => !h.dead);
    let mainDone;
    const mainFinished = new Promise((r) => { mainDone = r; });
    const results = new Map();
    const retry = [];
    let taken = 0;
    let flushed = 0;
    let done = 0;
    let failed = null;
    const take = () => (failed || stop() ? undefined : retry.length ? retry.shift() : taken < starts.length ? starts[taken++] : undefined);
    const part = (s) => texts.slice(s, s + chunk);
    const finish = (start, vectors) => {
      if (failed) return;
      results.set(start, vectors);
      done += Math.min(chunk, texts.length - start);
      while (flushed < starts.length && results.has(starts[flushed])) {
        const s = starts[flushed++];
        const v = results.get(s);
        results.delete(s);
        try {
          onChunk(s, v);
        } catch (err) {
          failed = err;
          throw err;
        }
      }
      report(done, texts.length);
    };
    const helperLoop = async (h) => {
      if (!h.ready) await Promise.race([h.loaded, mainFinished]);
      if (!h.ready || h.dead) return;
      for (let s = take(); s !== undefined; s = take()) {
        let vectors;
        try {
          const r = await h.call('embed', { texts: part(s), kind });
          vectors = r.vectors;
          h.memoryBytes = r.memoryBytes;
        } catch (err) {
          h.dead = true;
          h.worker?.terminate();
          this.failure ??= `a helper engine failed (${err.message}); the others carry on`;
          retry.push(s);
          return;
        }
        finish(s, vectors);
      }
    };
    const mainLoop = async () => {
      try {
        for (let s = take(); s !== undefined; s = take()) {
          let vectors;
          try {
            vectors = await main.embed(part(s), kind);
          } catch (err) {
            failed ??= err;
            throw err;
          }
          finish(s, vectors);
          // Let the helpers' answers in (and hand them their next chunk) before encoding the next one here.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      } finally {
        mainDone();
      }
    };
    // Two requests in flight per helper, so a helper never idles while this thread encodes.
    await Promise.all([mainLoop(), ...helpers.flatMap((h) => [helperLoop(h), helperLoop(h)])]);
    if (stop()) throw stopped();
    // Chunks of helpers that failed after this thread ran out of work.
    for (let s = retry.shift(); s !== undefined; s = retry.shift()) finish(s, await main.embed(part(s), kind));
  }
}

// The page's only link to the worker (PROTOCOL.md): each request becomes a Promise, progress messages go to
// the request's callback, and a worker that cannot start turns into a plain-words failure instead of
// requests that hang forever.
import { workerUrl } from './wasm-build.js';

const START_FAILURE =
  'The search engine could not start in this browser (worker.js or the WebAssembly package did not load). ' +
  'Reload the page; if this keeps happening, try a recent Chrome, Edge or Firefox.';

// Uint8Arrays inside `files` maps (and a BEIR folder's files) are moved, not copied, to the worker: models are
// hundreds of MB.
function transferables(args) {
  const out = new Set();
  const visit = (files) => {
    if (!files || typeof files !== 'object') return;
    for (const v of Object.values(files)) if (v instanceof Uint8Array && v.buffer.byteLength) out.add(v.buffer);
  };
  visit(args?.files);
  visit(args?.source?.files);
  // A BEIR folder: { corpus: { name, bytes }, queries: …, qrels: … } (a corpus can be hundreds of MB too).
  if (args?.beir && typeof args.beir === 'object') visit(Object.values(args.beir).map((part) => part?.bytes));
  return [...out];
}

class Engine extends EventTarget {
  #worker = null;
  #nextId = 1;
  #pending = new Map();
  #heardFrom = false;
  #dead = null; // the failure message once the worker is known to be unusable

  #start() {
    if (this.#worker || this.#dead) return;
    try {
      this.#worker = new Worker(workerUrl('./worker.js'), { type: 'module' });
    } catch (err) {
      this.#fail(`${START_FAILURE} (${err?.message ?? err})`, true);
      return;
    }
    this.#worker.addEventListener('message', ({ data }) => this.#onMessage(data));
    this.#worker.addEventListener('error', (e) => {
      e.preventDefault?.();
      // A module that fails to load reports an error before it ever answered; such a worker is gone for good.
      // Later errors are uncaught exceptions inside a live worker: the requests in flight are lost, not the worker.
      const fatal = !this.#heardFrom;
      const detail = e.message ? ` (${e.message})` : '';
      this.#fail(fatal ? START_FAILURE + detail : `The search engine stopped unexpectedly${detail}. Try again or reload the page.`, fatal);
    });
    this.#worker.addEventListener('messageerror', () => this.#fail('A message from the search engine could not be read.', false));
  }

  #fail(message, fatal) {
    if (fatal) this.#dead = message;
    for (const p of this.#pending.values()) p.reject(new Error(message));
    this.#pending.clear();
    this.dispatchEvent(new CustomEvent('failure', { detail: { message, fatal } }));
  }

  #onMessage(data) {
    this.#heardFrom = true;
    const p = this.#pending.get(data?.id);
    if (!p) return;
    if (data.progress) {
      try { p.onProgress?.(data.progress); } catch (err) { console.error(err); }
      return;
    }
    this.#pending.delete(data.id);
    if (data.ok) p.resolve(data.result);
    else p.reject(new Error(typeof data.error === 'string' && data.error ? data.error : 'The search engine reported an unknown problem.'));
  }

  /**
   * Sends one request. Requests run one at a time in the worker, in the order sent.
   * @param {string} op
   * @param {object} args
   * @param {(p: {phase: string, done: number, total: number, unit: string}) => void} [onProgress]
   */
  call(op, args = {}, onProgress) {
    this.#start();
    if (this.#dead) return Promise.reject(new Error(this.#dead));
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject, onProgress });
      try {
        this.#worker.postMessage({ id, op, args }, transferables(args));
      } catch (err) {
        this.#pending.delete(id);
        reject(new Error(`The request could not be sent to the search engine: ${err?.message ?? err}`));
      }
    });
  }

  /** How many requests are waiting for an answer (the header shows "busy" while any are). */
  get busy() {
    return this.#pending.size;
  }
}

/** The one engine of the page. Listen for `failure` events ({ detail: { message, fatal } }). */
export const engine = new Engine();

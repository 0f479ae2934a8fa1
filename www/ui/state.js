// What the tabs share: loaded models, the corpus, evaluation results, and an event bus so one area can react
// to another (a reloaded model re-indexes the corpus and clears that slot's evaluation).

export const state = {
  /** Backend asked for: "auto", "gpu" or "cpu" (?backend= or the Force CPU switch). */
  backend: 'auto',
  /** CPU engines for long jobs (?engines=N; null: one per core, at most 4 — www/embed-pool.js). */
  engines: null,
  /** Built-in models from models/index.json. */
  catalogue: [],
  /** Per slot: { entry, status: "loading" | "ready" | "error", result } (result: the `load` answer). */
  models: { A: null, B: null },
  /** The passages searched (built-in and/or the visitor's), whether slot A has indexed them, and counts. */
  corpus: { passages: [], builtIn: true, indexed: false, languages: {} },
  /** The evaluation set loaded in the worker: { key, label, info } (info: the `evalLoad` answer; `info.kind` is
   *  "lareqa" or "beir"). */
  evalSet: null,
  /** Per slot: { report, secs, name } from `evalRun`. */
  reports: { A: null, B: null },
};

const bus = new EventTarget();

/** Events: model-loading, model-loaded, model-failed, model-unloaded ({ slot }); corpus-indexing,
 *  corpus-indexed; eval-running, eval-done, eval-cleared ({ slot }); eval-source ({ kind: "lareqa" | "beir" }, the
 *  Evaluate tab's chosen set); timing ({ text }); backend (backend info). */
export function emit(name, detail = {}) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, fn) {
  bus.addEventListener(name, (e) => fn(e.detail));
}

export function modelName(slot) {
  return state.models[slot]?.entry?.name ?? `model ${slot}`;
}

export function isReady(slot) {
  return state.models[slot]?.status === 'ready';
}

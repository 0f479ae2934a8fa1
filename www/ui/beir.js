// The Evaluate tab's fourth source: a BEIR folder (ad hoc retrieval, e.g. SciFact). Finds corpus.jsonl,
// queries.jsonl (either may be gzipped) and qrels/{split}.tsv among the files the visitor picked — a whole
// folder, or the files one by one for browsers without folder picking — lets them choose the split, and says
// in plain words what is missing. The worker parses the files (PROTOCOL.md, `evalLoad` (BEIR)).
import { $, h, fill } from './dom.js';
import { state } from './state.js';
import { showError, clearError } from './errors.js';
import { bytes } from './format.js';

const CORPUS = /^corpus\.jsonl(?:\.gz)?$/i;
const QUERIES = /^queries\.jsonl(?:\.gz)?$/i;
const QRELS = /\.tsv$/i;
// The split most papers report comes first, so it is the one chosen unless the visitor picks another.
const SPLIT_ORDER = ['test', 'dev', 'validation', 'train'];

let picked = [];

/** A picked file's path inside the chosen folder ("scifact/qrels/test.tsv"), or its name when picked alone. */
const pathOf = (f) => f.webkitRelativePath || f.name;
const dirOf = (f) => pathOf(f).split('/').slice(0, -1).join('/');
const depth = (f) => pathOf(f).split('/').length;

/** The shallowest file matching `re` (a folder holding a copy of the set in a subfolder uses the top one). */
function first(files, re) {
  return files.filter((f) => re.test(f.name)).sort((a, b) => depth(a) - depth(b) || pathOf(a).localeCompare(pathOf(b)))[0] ?? null;
}

function splitRank(split) {
  const i = SPLIT_ORDER.indexOf(split.toLowerCase());
  return i < 0 ? SPLIT_ORDER.length : i;
}

/**
 * The BEIR set among picked files (anything with `name`, `size` and, from a folder picker, `webkitRelativePath`).
 * The queries and the qrels are looked for next to the corpus, so a folder holding several sets is not mixed up.
 * Pure (no DOM).
 * @returns {{ corpus: File|null, queries: File|null, splits: [string, File][], folder: string, missing: string[] }}
 *   `splits`: qrels files by split name, the default first; `missing`: what is absent, in words.
 */
export function findBeir(files) {
  const corpus = first(files, CORPUS);
  const base = corpus ? dirOf(corpus) : null;
  const near = base === null ? files : files.filter((f) => dirOf(f) === base);
  const queries = first(near, QUERIES);
  const home = base ?? (queries ? dirOf(queries) : null);
  // In a folder the judgements sit in qrels/{split}.tsv; files picked one by one have no folders, so any .tsv is one.
  const tsv = files.filter((f) => QRELS.test(f.name));
  const inQrels = tsv.filter((f) => {
    const dir = dirOf(f);
    return home === null ? /(^|\/)qrels$/i.test(dir) : dir.toLowerCase() === (home ? `${home}/qrels` : 'qrels').toLowerCase();
  });
  const loose = tsv.filter((f) => (home === null ? !dirOf(f) : dirOf(f) === home));
  const splits = new Map();
  for (const f of (inQrels.length ? inQrels : loose).sort((a, b) => depth(a) - depth(b))) {
    const split = f.name.replace(QRELS, '');
    if (!splits.has(split)) splits.set(split, f);
  }
  const missing = [];
  if (!corpus) missing.push('corpus.jsonl (the documents to search)');
  if (!queries) missing.push('queries.jsonl (the questions)');
  if (!splits.size) missing.push('qrels folder with a .tsv file such as qrels/test.tsv (which documents answer which question)');
  const top = pathOf(corpus ?? queries ?? files[0] ?? { name: '' }).split('/');
  return {
    corpus,
    queries,
    splits: [...splits].sort(([a], [b]) => splitRank(a) - splitRank(b) || a.localeCompare(b)),
    folder: top.length > 1 ? top[0] : '',
    missing,
  };
}

/** What is missing, as one sentence (without the final full stop; showError adds it). */
export function missingText(found, fromFolder) {
  const what = fromFolder ? `the folder${found.folder ? ` ${found.folder}` : ''}` : 'the chosen files';
  const list = found.missing.map((m) => `no ${m}`);
  const joined = list.length > 1 ? `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}` : list[0];
  return `${what} ${fromFolder ? 'is' : 'are'} not a complete BEIR set: there is ${joined}. A BEIR folder such as SciFact's holds corpus.jsonl, `
    + 'queries.jsonl (either may end in .gz) and qrels/test.tsv';
}

let found = null;
let fromFolder = false;

function showFound() {
  const list = $('eval-beir-list');
  const select = $('eval-beir-split');
  const splitBox = $('eval-beir-split-box');
  clearError($('eval-error'));
  if (!picked.length) {
    fill(list);
    splitBox.hidden = true;
    return;
  }
  const before = select.value;
  fill(select, found.splits.map(([split, f]) => h('option', { value: split }, `${split} (${pathOf(f)})`)));
  if (found.splits.some(([s]) => s === before)) select.value = before;
  splitBox.hidden = !found.splits.length;
  const part = (label, f) => (f ? h('li', { dataset: { found: label } }, h('code', {}, pathOf(f)), ` ${bytes(f.size)}`) : null);
  fill(list,
    h('span', {}, `Found in ${fromFolder && found.folder ? found.folder : 'your files'}:`),
    h('ul', { class: 'found-files' }, part('corpus', found.corpus), part('queries', found.queries),
      found.splits.length ? h('li', { dataset: { found: 'qrels' } }, `judgements for ${found.splits.length === 1 ? 'the split' : 'the splits'} `,
        found.splits.map(([s], i) => [i ? ', ' : '', h('code', {}, s)])) : null));
  if (found.missing.length) showError($('eval-error'), missingText(found, fromFolder));
}

function choose(files, folder) {
  picked = [...files];
  fromFolder = folder;
  found = findBeir(picked);
  showFound();
}

/** The `evalLoad` arguments for the picked BEIR files (null args when that set is already loaded). */
export async function beirLoadArgs(onProgress) {
  if (!picked.length) {
    throw new Error('no BEIR folder is chosen yet: pick the folder of a BEIR set (for example scifact, with corpus.jsonl, '
      + 'queries.jsonl and qrels/test.tsv), or those files one by one');
  }
  if (found.missing.length) throw new Error(missingText(found, fromFolder));
  const split = $('eval-beir-split').value || found.splits[0][0];
  const qrels = (found.splits.find(([s]) => s === split) ?? found.splits[0])[1];
  const parts = { corpus: found.corpus, queries: found.queries, qrels };
  const key = `beir:${Object.values(parts).map((f) => `${pathOf(f)}:${f.size}:${f.lastModified}`).join('|')}`;
  const name = `${found.folder || 'BEIR set'} (${split})`;
  if (state.evalSet?.key === key) return { key, label: state.evalSet.label, args: null };
  const beir = {};
  let done = 0;
  for (const [part, f] of Object.entries(parts)) {
    let data;
    try {
      data = new Uint8Array(await f.arrayBuffer());
    } catch (err) {
      throw new Error(`${pathOf(f)} could not be read (${err.message}); pick the folder again`);
    }
    beir[part] = { name: pathOf(f), bytes: data };
    onProgress({ phase: 'files', done: ++done, total: 3, unit: 'files' });
  }
  return { key, label: name, args: { beir, name } };
}

export function initBeir() {
  $('eval-beir-dir').addEventListener('change', (e) => choose(e.target.files, true));
  $('eval-beir-files').addEventListener('change', (e) => choose(e.target.files, false));
}

// Reads passages a visitor brings (JSONL, JSON array, TSV or plain text) into `{ id, lang, text }` records
// for the worker's `index` request. Every line that cannot become a passage is reported with its line
// number in plain words; nothing is dropped silently. Pure module (no DOM), so node tests import it.

import { detectLanguage } from './langid.js';

const TEXT_KEYS = ['text', 'passage', 'contents', 'content'];
const LANG_KEYS = ['lang', 'language'];
const ID_KEYS = ['id', '_id', 'docid', 'doc_id'];
const LANG_CODE = /^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;

/** A short, printable excerpt of a line for messages. */
function excerpt(s, n = 40) {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

/** An id prefix from the file name ("My notes.txt" → "my-notes"), so generated ids say where they came from. */
export function idPrefix(fileName) {
  const base = String(fileName ?? '').replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const slug = base.toLowerCase().normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '');
  return slug || 'passage';
}

/** Which format a file is in: from its extension, else from its first non-empty line. */
export function sniffFormat(text, fileName = '') {
  const ext = String(fileName).toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  if (ext === 'json') return first.startsWith('[') ? 'json' : 'jsonl';
  if (first.startsWith('[')) return 'json';
  if (first.startsWith('{')) return 'jsonl';
  if (ext === 'txt') return 'text';
  return first.includes('\t') ? 'tsv' : 'text';
}

function pick(obj, keys) {
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null) return { key: k, value: obj[k] };
  return null;
}

/**
 * Parses a corpus file.
 * @param {string} text the file's contents
 * @param {string} fileName used for the format and for generated ids
 * @param {{ detect?: (text: string) => { lang: string } }} [options] language detector for passages without one
 * @returns {{ format: string, passages: {id: string, lang: string, text: string, line: number}[],
 *             problems: {line: number, message: string}[], detected: number, undetermined: number }}
 */
export function parseCorpus(text, fileName = '', options = {}) {
  const detect = options.detect ?? detectLanguage;
  const clean = String(text).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const format = sniffFormat(clean, fileName);
  const prefix = idPrefix(fileName);
  const passages = [];
  const problems = [];
  const seen = new Map(); // id → line it was first used on
  let detected = 0;
  let undetermined = 0;
  let generated = 0;

  const problem = (line, message) => problems.push({ line, message });

  // Shared by all formats: validates one candidate passage and fills in what is missing.
  function accept(line, { id, lang, text: body }) {
    if (typeof body !== 'string') {
      problem(line, `line ${line}: the text is not a string`);
      return;
    }
    const t = body.trim();
    if (!t) {
      problem(line, `line ${line}: the passage text is empty`);
      return;
    }
    let l = lang == null ? '' : String(lang).trim();
    if (l && !LANG_CODE.test(l)) {
      problem(line, `line ${line}: "${excerpt(l, 20)}" is not a language code like en, de or zh`);
      return;
    }
    if (!l) {
      l = detect(t).lang;
      if (l === 'und') undetermined++;
      else detected++;
    }
    const pid = id == null ? '' : String(id).trim();
    if (pid && seen.has(pid)) {
      problem(line, `line ${line}: the id "${excerpt(pid, 30)}" was already used on line ${seen.get(pid)}; this line was skipped`);
      return;
    }
    if (pid) seen.set(pid, line);
    passages.push({ id: pid || null, lang: l.toLowerCase().replace('_', '-'), text: t, line });
  }

  // Ids are made up once the whole file is read, so they cannot collide with ids given on later lines.
  function finish() {
    for (const p of passages) {
      if (p.id !== null) continue;
      let pid;
      do pid = `${prefix}-${++generated}`; while (seen.has(pid));
      seen.set(pid, p.line);
      p.id = pid;
    }
    return { format, passages, problems, detected, undetermined };
  }

  function fromObject(line, obj) {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      problem(line, `line ${line}: expected a JSON object like {"lang": "en", "text": "…"}`);
      return;
    }
    const body = pick(obj, TEXT_KEYS);
    if (!body) {
      problem(line, `line ${line}: the object has no "text" field (also accepted: "passage", "contents")`);
      return;
    }
    accept(line, { id: pick(obj, ID_KEYS)?.value, lang: pick(obj, LANG_KEYS)?.value, text: body.value });
  }

  const lines = clean.split('\n');
  if (format === 'json') {
    let data;
    try {
      data = JSON.parse(clean);
    } catch (err) {
      problem(1, `the file is not valid JSON (${err.message})`);
      return finish();
    }
    if (!Array.isArray(data)) {
      problem(1, 'the file holds one JSON value, not a list of passages');
    } else {
      // A JSON array has no useful line numbers; number the items instead (1-based), and say so.
      data.forEach((obj, i) => {
        const before = problems.length;
        fromObject(i + 1, obj);
        for (const p of problems.slice(before)) p.message = p.message.replace(/^line (\d+)/, 'item $1');
      });
    }
    return finish();
  }

  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return; // blank lines separate nothing and hold no passage
    if (format === 'jsonl') {
      let obj;
      try {
        obj = JSON.parse(raw);
      } catch (err) {
        problem(line, `line ${line} is not valid JSON (${err.message.replace(/ in JSON at position \d+.*$/, '')}): ${excerpt(raw)}`);
        return;
      }
      fromObject(line, obj);
    } else if (format === 'tsv') {
      const cols = raw.split('\t');
      if (line === 1 && /^(id|lang|language|text)$/i.test(cols[0].trim()) && cols.length > 1) return; // header
      if (cols.length === 1) accept(line, { text: cols[0] });
      else if (cols.length === 2) accept(line, { lang: cols[0], text: cols[1] });
      else if (cols.length === 3) accept(line, { id: cols[0], lang: cols[1], text: cols[2] });
      else problem(line, `line ${line} has ${cols.length} tab-separated columns; expected id, lang and text (3 at most)`);
    } else {
      accept(line, { text: raw });
    }
  });
  return finish();
}

/**
 * Adds passages to a corpus, renaming nothing: an id already in `base` is a problem reported by line.
 * @returns {{ passages: object[], problems: {line: number, message: string}[] }}
 */
export function mergeCorpora(base, added) {
  const ids = new Set(base.map((p) => p.id));
  const passages = [...base];
  const problems = [];
  for (const p of added) {
    if (ids.has(p.id)) {
      problems.push({ line: p.line, message: `line ${p.line}: the id "${p.id}" is already in the corpus; this line was skipped` });
      continue;
    }
    ids.add(p.id);
    passages.push(p);
  }
  return { passages, problems };
}

/** Passages per language, most first: { lang: count }. */
export function countLanguages(passages) {
  const counts = {};
  for (const p of passages) counts[p.lang] = (counts[p.lang] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

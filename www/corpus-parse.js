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

/** Problems kept for the report (all are counted): a junk file of a million lines must not hold a million messages. */
export const MAX_PROBLEMS_KEPT = 1000;

/**
 * Reads a corpus line by line (JSONL, TSV, plain text) or as one JSON array, so a large file can be fed as it
 * streams in (www/ui/corpus.js). `maxPassages` bounds what is kept: the parser stops at the line that would
 * add one more (`stoppedAt`), and the reader stops reading there.
 */
export class CorpusParser {
  /**
   * @param {string} fileName used for generated ids
   * @param {string} format from {@link sniffFormat}
   * @param {{ detect?: (text: string) => { lang: string }, maxPassages?: number }} [options]
   */
  constructor(fileName, format, options = {}) {
    this.detect = options.detect ?? detectLanguage;
    this.maxPassages = options.maxPassages ?? Infinity;
    this.format = format;
    this.prefix = idPrefix(fileName);
    this.passages = [];
    this.problems = [];
    this.problemCount = 0;
    this.seen = new Map(); // id → line it was first used on
    this.detected = 0;
    this.undetermined = 0;
    this.stoppedAt = null;
  }

  problem(line, message) {
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS_KEPT) this.problems.push({ line, message });
  }

  // Shared by all formats: validates one candidate passage and fills in what is missing.
  accept(line, { id, lang, text: body }) {
    if (typeof body !== 'string') {
      this.problem(line, `line ${line}: the text is not a string`);
      return;
    }
    const t = body.trim();
    if (!t) {
      this.problem(line, `line ${line}: the passage text is empty`);
      return;
    }
    let l = lang == null ? '' : String(lang).trim();
    if (l && !LANG_CODE.test(l)) {
      this.problem(line, `line ${line}: "${excerpt(l, 20)}" is not a language code like en, de or zh`);
      return;
    }
    const pid = id == null ? '' : String(id).trim();
    if (pid && this.seen.has(pid)) {
      this.problem(line, `line ${line}: the id "${excerpt(pid, 30)}" was already used on line ${this.seen.get(pid)}; this line was skipped`);
      return;
    }
    if (this.passages.length >= this.maxPassages) {
      this.stoppedAt ??= line;
      return;
    }
    if (!l) {
      l = this.detect(t).lang;
      if (l === 'und') this.undetermined++;
      else this.detected++;
    }
    if (pid) this.seen.set(pid, line);
    this.passages.push({ id: pid || null, lang: l.toLowerCase().replace('_', '-'), text: t, line });
  }

  fromObject(line, obj) {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      this.problem(line, `line ${line}: expected a JSON object like {"lang": "en", "text": "…"}`);
      return;
    }
    const body = pick(obj, TEXT_KEYS);
    if (!body) {
      this.problem(line, `line ${line}: the object has no "text" field (also accepted: "passage", "contents")`);
      return;
    }
    this.accept(line, { id: pick(obj, ID_KEYS)?.value, lang: pick(obj, LANG_KEYS)?.value, text: body.value });
  }

  /** One line (without its line break) of a JSONL, TSV or text file. False once the passage limit is reached. */
  line(raw, line) {
    if (this.stoppedAt !== null) return false;
    if (raw.trim() === '') return true; // blank lines separate nothing and hold no passage
    if (this.format === 'jsonl') {
      let obj;
      try {
        obj = JSON.parse(raw);
      } catch (err) {
        this.problem(line, `line ${line} is not valid JSON (${err.message.replace(/ in JSON at position \d+.*$/, '')}): ${excerpt(raw)}`);
        return true;
      }
      this.fromObject(line, obj);
    } else if (this.format === 'tsv') {
      const cols = raw.split('\t');
      if (line === 1 && /^(id|lang|language|text)$/i.test(cols[0].trim()) && cols.length > 1) return true; // header
      if (cols.length === 1) this.accept(line, { text: cols[0] });
      else if (cols.length === 2) this.accept(line, { lang: cols[0], text: cols[1] });
      else if (cols.length === 3) this.accept(line, { id: cols[0], lang: cols[1], text: cols[2] });
      else this.problem(line, `line ${line} has ${cols.length} tab-separated columns; expected id, lang and text (3 at most)`);
    } else {
      this.accept(line, { text: raw });
    }
    return this.stoppedAt === null;
  }

  /** A whole JSON file: a list of passage objects, numbered by item (a JSON array has no useful line numbers). */
  json(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (err) {
      this.problem(1, `the file is not valid JSON (${err.message})`);
      return;
    }
    if (!Array.isArray(data)) {
      this.problem(1, 'the file holds one JSON value, not a list of passages');
      return;
    }
    for (let i = 0; i < data.length && this.stoppedAt === null; i++) {
      const before = this.problems.length;
      this.fromObject(i + 1, data[i]);
      for (const p of this.problems.slice(before)) p.message = p.message.replace(/^line (\d+)/, 'item $1');
    }
  }

  /**
   * Ids are made up once the whole file is read, so they cannot collide with ids given on later lines.
   * @returns {{ format: string, passages: {id: string, lang: string, text: string, line: number}[],
   *             problems: {line: number, message: string}[], problemCount: number, detected: number,
   *             undetermined: number, stoppedAt: number | null }}
   */
  finish() {
    let generated = 0;
    for (const p of this.passages) {
      if (p.id !== null) continue;
      let pid;
      do pid = `${this.prefix}-${++generated}`; while (this.seen.has(pid));
      this.seen.set(pid, p.line);
      p.id = pid;
    }
    const { format, passages, problems, problemCount, detected, undetermined, stoppedAt } = this;
    return { format, passages, problems, problemCount, detected, undetermined, stoppedAt };
  }
}

/**
 * Parses a whole corpus file (see {@link CorpusParser} for what comes back).
 * @param {string} text the file's contents
 * @param {string} fileName used for the format and for generated ids
 * @param {{ detect?: (text: string) => { lang: string }, maxPassages?: number }} [options]
 */
export function parseCorpus(text, fileName = '', options = {}) {
  const clean = String(text).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const parser = new CorpusParser(fileName, sniffFormat(clean, fileName), options);
  if (parser.format === 'json') {
    parser.json(clean);
  } else {
    const lines = clean.split('\n');
    for (let i = 0; i < lines.length && parser.line(lines[i], i + 1); i++);
  }
  return parser.finish();
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

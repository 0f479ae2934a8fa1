// Property tests of www/corpus-parse.js on generated hostile files (seeded, so a failure replays): whatever a
// visitor drops, the parser returns — never throws — and accounts for every line: each non-blank line is one
// passage or is reported by its number; passages have unique ids, a language code and trimmed, non-empty text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCorpus } from '../../www/corpus-parse.js';

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

const PIECES = [
  'The Nile flows north.', 'Der Nil fließt nach Norden.', '尼罗河向北流。', 'النيل يتدفق شمالا', 'נהר הנילוס',
  'a\u0301'.repeat(500), '\u202e\u202dreversed', '😀🇩🇪👨‍👩‍👧', '\u0000', '\ud800', '\ufeff', '\t', '\t\t\t', '\r', ' ', '"', '{', '}',
  '\\', 'x'.repeat(10000), 'en', 'zh-Hant', 'xx_YY', 'English', 'und',
];

function piece(r) {
  return PIECES[Math.floor(r() * PIECES.length)];
}

function jsonLine(r) {
  const obj = {};
  const keys = ['id', '_id', 'docid', 'lang', 'language', 'text', 'passage', 'contents', 'content', 'other'];
  for (const k of keys) if (r() < 0.4) obj[k] = r() < 0.8 ? piece(r) : [null, 42, {}, [], true][Math.floor(r() * 5)];
  let s = JSON.stringify(obj);
  if (r() < 0.15) s = s.slice(0, Math.floor(r() * s.length)); // truncated
  if (r() < 0.05) s = `[${s}]`;
  return s;
}

function line(r, format) {
  if (format === 'jsonl') return r() < 0.9 ? jsonLine(r) : piece(r);
  const cols = 1 + Math.floor(r() * 4);
  return Array.from({ length: cols }, () => (r() < 0.1 ? '' : piece(r) + (r() < 0.5 ? ' ' + piece(r) : ''))).join(format === 'tsv' ? '\t' : ' ');
}

function file(r, format) {
  const n = Math.floor(r() * 40);
  const lines = Array.from({ length: n }, () => (r() < 0.1 ? '' : line(r, format)));
  return lines.join(r() < 0.3 ? '\r\n' : '\n');
}

const CODE = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

for (const [format, name] of [['jsonl', 'x.jsonl'], ['tsv', 'x.tsv'], ['text', 'x.txt'], ['sniffed', 'x']]) {
  test(`${format}: 400 generated files, every line a passage or a numbered problem`, () => {
    const r = rng(format.length * 7919);
    for (let k = 0; k < 400; k++) {
      const text = file(r, format === 'sniffed' ? ['jsonl', 'tsv', 'text'][k % 3] : format);
      let out;
      assert.doesNotThrow(() => { out = parseCorpus(text, name, { detect: () => ({ lang: 'und' }) }); }, `file ${k}`);
      const ids = new Set();
      for (const p of out.passages) {
        assert.ok(typeof p.id === 'string' && p.id.length > 0 && !ids.has(p.id), `file ${k}: id ${p.id}`);
        ids.add(p.id);
        assert.ok(p.lang === 'und' || CODE.test(p.lang), `file ${k}: lang ${p.lang}`);
        assert.ok(p.text.length > 0 && p.text === p.text.trim(), `file ${k}: text ${JSON.stringify(p.text.slice(0, 40))}`);
      }
      for (const p of out.problems) assert.match(p.message, new RegExp(`^(line|item) ${p.line}\\b|^the file`), `file ${k}`);
      if (out.format === 'json') continue; // items, not lines
      const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
      const counted = new Set([...out.passages.map((p) => p.line), ...out.problems.map((p) => p.line)]);
      const header = out.format === 'tsv' && /^(id|lang|language|text)$/i.test(lines[0].split('\t')[0].trim()) && lines[0].includes('\t');
      lines.forEach((l, i) => {
        if (l.trim() === '' || (header && i === 0)) return;
        assert.ok(counted.has(i + 1), `file ${k} (${out.format}): line ${i + 1} was dropped silently: ${JSON.stringify(l.slice(0, 60))}`);
      });
      assert.equal(new Set(out.passages.map((p) => p.line)).size, out.passages.length, `file ${k}: a line gave two passages`);
    }
  });
}

test('a 1,000,000-line file parses whole, every line a passage', () => {
  const text = Array.from({ length: 1_000_000 }, (_, i) => `p${i}\ten\tpassage number ${i}`).join('\n');
  const out = parseCorpus(text, 'big.tsv', { detect: () => ({ lang: 'und' }) });
  assert.equal(out.passages.length, 1_000_000);
  assert.equal(out.problems.length, 0);
  assert.equal(out.passages[999_999].id, 'p999999');
});

// www/corpus-parse.js: the visitor's passage files (JSONL, JSON, TSV, plain text) → { id, lang, text }, with
// every unusable line reported by number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCorpus, mergeCorpora, countLanguages, sniffFormat, idPrefix } from '../../www/corpus-parse.js';

const strip = (ps) => ps.map(({ id, lang, text }) => ({ id, lang, text }));

test('JSONL: text/passage/contents keys, missing ids made up, missing languages detected, bad lines reported', () => {
  const file = [
    '{"id": "a", "lang": "en", "text": "The Nile flows north."}',
    '{"passage": "Der Nil fließt nach Norden und ist einer der längsten Flüsse der Welt."}',
    '{"id": "c", "language": "es", "contents": "El Nilo fluye hacia el norte."}',
    '{"id": "d", "lang": "en", "text": "unterminated',
    '',
    '{"id": "e", "lang": "en"}',
    '["not", "an", "object"]',
    '{"id": "a", "lang": "en", "text": "Same id again."}',
    '{"id": "f", "lang": "English", "text": "A language name, not a code."}',
    '{"id": "g", "lang": "en", "text": "   "}',
    '{"id": "h", "lang": "en", "text": 42}',
  ].join('\r\n');
  const r = parseCorpus(file, 'My Notes.jsonl');
  assert.equal(r.format, 'jsonl');
  assert.deepEqual(strip(r.passages), [
    { id: 'a', lang: 'en', text: 'The Nile flows north.' },
    { id: 'my-notes-1', lang: 'de', text: 'Der Nil fließt nach Norden und ist einer der längsten Flüsse der Welt.' },
    { id: 'c', lang: 'es', text: 'El Nilo fluye hacia el norte.' },
  ]);
  assert.deepEqual(r.passages.map((p) => p.line), [1, 2, 3]);
  assert.equal(r.detected, 1);
  assert.deepEqual(r.problems.map((p) => p.line), [4, 6, 7, 8, 9, 10, 11]);
  const m = Object.fromEntries(r.problems.map((p) => [p.line, p.message]));
  assert.match(m[4], /^line 4 is not valid JSON \(/);
  assert.match(m[6], /^line 6: the object has no "text" field \(also accepted: "passage", "contents"\)$/);
  assert.match(m[7], /^line 7: expected a JSON object/);
  assert.match(m[8], /^line 8: the id "a" was already used on line 1; this line was skipped$/);
  assert.match(m[9], /^line 9: "English" is not a language code like en, de or zh$/);
  assert.match(m[10], /^line 10: the passage text is empty$/);
  assert.match(m[11], /^line 11: the text is not a string$/);
});

test('TSV: id/lang/text, lang/text or text columns, a header line, and too many columns', () => {
  const file = 'id\tlang\ttext\nx1\tde\tDer Rhein mündet in die Nordsee.\nfr\tLa Seine traverse Paris et se jette dans la Manche.\nThe Thames flows through London and it is the longest river in England.\nx4\ten\ttoo\tmany\nNile\tThe first column is not a language code.\n';
  const r = parseCorpus(file, 'rivers.tsv');
  assert.equal(r.format, 'tsv');
  assert.deepEqual(strip(r.passages), [
    { id: 'x1', lang: 'de', text: 'Der Rhein mündet in die Nordsee.' },
    { id: 'rivers-1', lang: 'fr', text: 'La Seine traverse Paris et se jette dans la Manche.' },
    { id: 'rivers-2', lang: 'en', text: 'The Thames flows through London and it is the longest river in England.' },
  ]);
  assert.deepEqual(r.problems, [
    { line: 5, message: 'line 5 has 4 tab-separated columns; expected id, lang and text (3 at most)' },
    { line: 6, message: 'line 6: "Nile" is not a language code like en, de or zh' },
  ]);
});

test('plain text: one passage per line, blank lines skipped, languages detected or "und"', () => {
  const r = parseCorpus('\uFEFFДобро пожаловать в библиотеку.\n\n图书馆早上九点开门。\n12345\n', 'notes.txt');
  assert.equal(r.format, 'text');
  assert.deepEqual(strip(r.passages), [
    { id: 'notes-1', lang: 'ru', text: 'Добро пожаловать в библиотеку.' },
    { id: 'notes-2', lang: 'zh', text: '图书馆早上九点开门。' },
    { id: 'notes-3', lang: 'und', text: '12345' },
  ]);
  assert.deepEqual(r.passages.map((p) => p.line), [1, 3, 4]);
  assert.equal(r.detected, 2);
  assert.equal(r.undetermined, 1);
  assert.deepEqual(r.problems, []);
});

test('a JSON array of passages, and a broken JSON file', () => {
  const r = parseCorpus('[{"id": "1", "lang": "en", "text": "One."}, {"lang": "en"}]', 'list.json');
  assert.equal(r.format, 'json');
  assert.deepEqual(strip(r.passages), [{ id: '1', lang: 'en', text: 'One.' }]);
  assert.deepEqual(r.problems.map((p) => p.message), ['item 2: the object has no "text" field (also accepted: "passage", "contents")']);
  const bad = parseCorpus('[{"id": 1,', 'list.json');
  assert.equal(bad.passages.length, 0);
  assert.match(bad.problems[0].message, /^the file is not valid JSON \(/);
  const obj = parseCorpus('{"id": 1, "text": "x"}', 'one.json');
  assert.equal(obj.format, 'jsonl', 'a .json file holding objects line by line is read as JSON Lines');
  assert.equal(obj.passages.length, 1);
});

test('generated ids do not collide with given ones', () => {
  const r = parseCorpus('{"lang": "en", "text": "Generated."}\n{"id": "f-1", "lang": "en", "text": "Given."}', 'f.jsonl');
  assert.deepEqual(r.passages.map((p) => p.id), ['f-2', 'f-1']);
  assert.deepEqual(r.problems, []);
});

test('format sniffing and id prefixes', () => {
  assert.equal(sniffFormat('{"text": "x"}', 'data'), 'jsonl');
  assert.equal(sniffFormat('en\thello', 'data'), 'tsv');
  assert.equal(sniffFormat('hello\tworld', 'a.txt'), 'text', 'the extension wins over the contents');
  assert.equal(sniffFormat('hello', ''), 'text');
  assert.equal(sniffFormat('[1]', 'x.json'), 'json');
  assert.equal(idPrefix('C:\\Users\\me\\Meine Passagen (2).tsv'), 'meine-passagen-2');
  assert.equal(idPrefix(''), 'passage');
});

test('merging into a corpus reports clashing ids by line, and counts languages', () => {
  const base = [{ id: 'a', lang: 'en', text: 'x' }, { id: 'b', lang: 'de', text: 'y' }];
  const added = [{ id: 'b', lang: 'en', text: 'z', line: 4 }, { id: 'c', lang: 'de', text: 'w', line: 5 }];
  const m = mergeCorpora(base, added);
  assert.deepEqual(m.passages.map((p) => p.id), ['a', 'b', 'c']);
  assert.deepEqual(m.problems, [{ line: 4, message: 'line 4: the id "b" is already in the corpus; this line was skipped' }]);
  assert.deepEqual(countLanguages(m.passages), { de: 2, en: 1 });
  assert.deepEqual(Object.keys(countLanguages(m.passages)), ['de', 'en'], 'most passages first');
});

test('the built-in corpus parses without a single problem', () => {
  const text = readFileSync(new URL('../../www/demo/corpus.jsonl', import.meta.url), 'utf8');
  const r = parseCorpus(text, 'corpus.jsonl');
  assert.deepEqual(r.problems, []);
  assert.equal(r.passages.length, 507);
  assert.equal(Object.keys(countLanguages(r.passages)).length, 11);
  assert.equal(r.detected, 0);
});

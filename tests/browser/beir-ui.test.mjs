// The page's BEIR path (ad hoc retrieval) against the mock engine: a visitor picks a BEIR folder, the page evaluates
// it with trec_eval's measures, exports them, and explains in plain words what it cannot do (a folder without
// qrels). Split from ui.test.mjs; the same harness (tests/browser/mock-page.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { SHOTS, startMockPages, stopMockPages, openPage, ready, noHorizontalScroll } from './mock-page.mjs';

before(startMockPages);
after(stopMockPages);

const BEIR_DOCS = [
  ['d1', 'Nile', 'The Nile flows north into the Mediterranean Sea.'],
  ['d2', 'Pandas', 'Giant pandas eat bamboo almost exclusively.'],
  ['d3', 'Libraries', 'The city library opens at nine in the morning.'],
  ['d4', 'Volcanoes', 'Mount Etna is an active volcano in Sicily.'],
  ['d5', 'Tea', 'Green tea is made from unoxidised leaves.'],
  ['d6', 'Rivers', 'The Amazon carries more water than any other river.'],
];
const BEIR_FILES = {
  corpus: BEIR_DOCS.map(([id, title, text]) => JSON.stringify({ _id: id, title, text })).join('\n') + '\n',
  queries: [['q1', 'Where does the Nile flow?'], ['q2', 'What do giant pandas eat?'], ['q3', 'When does the library open?'],
    ['q4', 'Which river carries the most water?']].map(([id, text]) => JSON.stringify({ _id: id, text })).join('\n') + '\n',
  // d99 is judged but not in the corpus; q4 is judged only in train.
  test: 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\nq3\td99\t1\n',
  train: 'query-id\tcorpus-id\tscore\nq4\td6\t1\n',
};

/** A BEIR folder on disk (scifact/ with a gzipped corpus), as a visitor would pick it; `qrels: false` leaves them out. */
function beirFolder({ qrels = true } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'lb-beir-'));
  const dir = join(root, 'scifact');
  mkdirSync(join(dir, 'qrels'), { recursive: true });
  writeFileSync(join(dir, 'corpus.jsonl.gz'), gzipSync(BEIR_FILES.corpus));
  writeFileSync(join(dir, 'queries.jsonl'), BEIR_FILES.queries);
  if (qrels) {
    writeFileSync(join(dir, 'qrels', 'test.tsv'), BEIR_FILES.test);
    writeFileSync(join(dir, 'qrels', 'train.tsv'), BEIR_FILES.train);
  }
  return { root, dir };
}

async function trecValues(page) {
  return page.$$eval('#eval-trec tbody tr', (rows) => rows.map((r) => {
    const td = r.querySelector('td[data-value]');
    return { measure: r.dataset.measure, name: r.querySelector('.measure-name').textContent, trec: r.querySelector('.trec-name').textContent, text: td.firstChild.textContent, value: Number(td.dataset.value) };
  }));
}

test('a BEIR folder is evaluated with trec_eval measures, exported, and explained in the bias tab', async () => {
  const { root, dir } = beirFolder();
  const page = await openPage();
  try {
    await ready(page);
    await page.click('#tab-evaluate');
    await page.check('input[name="eval-source"][value="beir"]');
    assert.equal(await page.isVisible('#eval-beir-box'), true);
    await page.setInputFiles('#eval-beir-dir', dir);
    assert.deepEqual(await page.$$eval('#eval-beir-split option', (os) => os.map((o) => o.value)), ['test', 'train']);
    assert.equal(await page.inputValue('#eval-beir-split'), 'test', 'the test split is the default');
    assert.match(await page.textContent('#eval-beir-list'), /scifact\/corpus\.jsonl\.gz.*scifact\/queries\.jsonl.*test, train/s);
    assert.equal(await page.isVisible('#eval-error'), false);

    await page.click('#eval-run');
    await page.waitForSelector('#eval-results[data-done="true"][data-protocol="trec"]', { timeout: 60000 });
    const info = await page.textContent('#eval-set-info');
    assert.match(info, /Loaded scifact \(test\): 6 documents, 3 queries with judgements/);
    assert.match(info, /1 judged document is missing from the corpus/);
    assert.match(await page.textContent('#eval-trec-summary'), /3 judged queries, 6 documents · embedding [\d.]+ ms, ranking/);
    const rows = await trecValues(page);
    assert.deepEqual(rows.map((r) => [r.name, r.trec]), [['nDCG@10', 'ndcg_cut_10'], ['MAP', 'map'], ['Recall@100', 'recall_100'], ['MRR', 'recip_rank'], ['P@10', 'P_10']]);
    for (const r of rows) {
      assert.ok(r.value > 0 && r.value <= 1, `${r.measure} ${r.value}`);
      assert.equal(r.text, r.value.toFixed(4), 'four decimals on screen, full precision in data-value');
    }
    // d99 cannot be found: q3 finds at most half of its relevant documents.
    assert.ok(rows.find((r) => r.measure === 'recall_100').value < 1);
    assert.match(await page.textContent('#eval-results'), /monolingual measures/);
    assert.equal(await page.$$eval('#eval-results .heatmap, #eval-results .bar-chart', (x) => x.length), 0, 'no language charts for one language');

    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    const report = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.equal(report.systems[0].scores.protocol, 'trec');
    assert.equal(report.systems[0].scores.measures[0][1], rows[0].value);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const lines = (await readFile(await csv.path(), 'utf8')).trim().split('\n');
    assert.deepEqual(lines, ['measure,value', ...rows.map((r) => `${r.measure},${r.value}`), 'num_q,3']);

    // Screenshots of the results, desktop and phone, without sideways scrolling.
    mkdirSync(SHOTS, { recursive: true });
    await noHorizontalScroll(page, 'BEIR results');
    await page.screenshot({ path: join(SHOTS, 'ui-beir-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await noHorizontalScroll(page, 'BEIR results on a phone');
    await page.screenshot({ path: join(SHOTS, 'ui-beir-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The bias tab explains that it needs a multilingual set, instead of failing.
    await page.click('#tab-bias');
    assert.equal(await page.isVisible('#bias-needs-lareqa'), true);
    assert.match(await page.textContent('#bias-needs-lareqa'), /needs a multilingual question set.*LAReQA/s);
    assert.equal(await page.isDisabled('#bias-run'), true);
    assert.equal(await page.isVisible('#bias-error'), false);
    assert.equal(await page.isVisible('#bias-view'), false);
    await page.screenshot({ path: join(SHOTS, 'ui-beir-bias-desktop.png'), fullPage: true });
    await page.click('#bias-go-evaluate');
    assert.equal(await page.isVisible('#panel-evaluate'), true);

    // The same set picked file by file (no folders: any .tsv is a split) gives the same numbers.
    await page.setInputFiles('#eval-beir-files', [
      { name: 'corpus.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(BEIR_FILES.corpus) },
      { name: 'queries.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(BEIR_FILES.queries) },
      { name: 'test.tsv', mimeType: 'text/tab-separated-values', buffer: Buffer.from(BEIR_FILES.test) },
    ]);
    assert.deepEqual(await page.$$eval('#eval-beir-split option', (os) => os.map((o) => o.value)), ['test']);
    await page.click('#eval-run');
    await page.waitForFunction(() => /BEIR set \(test\)/.test(document.getElementById('eval-set-info').textContent));
    await page.waitForSelector('#eval-results[data-done="true"][data-protocol="trec"]');
    assert.deepEqual((await trecValues(page)).map((r) => r.value), rows.map((r) => r.value));

    // Back to the built-in set: the LAReQA view and the bias view return.
    await page.check('input[name="eval-source"][value="builtin"]');
    await page.click('#tab-bias');
    assert.equal(await page.isVisible('#bias-needs-lareqa'), false);
    await page.click('#bias-run');
    await page.waitForFunction(() => document.querySelectorAll('#bias-strips .rank-strip').length === 1, null, { timeout: 60000 });
    await page.click('#tab-evaluate');
    await page.waitForSelector('#eval-results[data-done="true"][data-protocol="lareqa"]');
    assert.equal(await page.$$eval('#eval-results .heatmap .cell', (cs) => cs.length), 64);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.context().close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a BEIR folder without qrels is explained in plain words', async () => {
  const { root, dir } = beirFolder({ qrels: false });
  const page = await openPage();
  try {
    await ready(page);
    await page.click('#tab-evaluate');
    await page.check('input[name="eval-source"][value="beir"]');
    await page.setInputFiles('#eval-beir-dir', dir);
    await page.waitForSelector('#eval-error:not([hidden])');
    const want = /The folder scifact is not a complete BEIR set: there is no qrels folder with a \.tsv file such as qrels\/test\.tsv \(which documents answer which question\)\./;
    assert.match(await page.textContent('#eval-error'), want);
    assert.equal(await page.isVisible('#eval-beir-split-box'), false);
    await page.click('#eval-run');
    await page.waitForFunction(() => /^Could not read the evaluation set: the folder scifact is not a complete BEIR set/.test(document.getElementById('eval-error').textContent));
    assert.equal(await page.getAttribute('#eval-results', 'data-done'), 'false');
    // Files picked one by one, with only the qrels: both other files are named.
    await page.setInputFiles('#eval-beir-files', { name: 'test.tsv', mimeType: 'text/tab-separated-values', buffer: Buffer.from(BEIR_FILES.test) });
    assert.match(await page.textContent('#eval-error'), /The chosen files are not a complete BEIR set: there is no corpus\.jsonl \(the documents to search\) and no queries\.jsonl \(the questions\)/);
    // A broken corpus line: the worker's message names the file and the line.
    await page.setInputFiles('#eval-beir-files', [
      { name: 'corpus.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from('{"_id": "d1", "text": "ok"}\n{"_id": "d2", "text": broken\n') },
      { name: 'queries.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(BEIR_FILES.queries) },
      { name: 'test.tsv', mimeType: 'text/tab-separated-values', buffer: Buffer.from(BEIR_FILES.test) },
    ]);
    await page.click('#eval-run');
    await page.waitForFunction(() => /Could not load the evaluation set: corpus\.jsonl line 2 is not valid JSON/.test(document.getElementById('eval-error').textContent));
    assert.deepEqual(page.problems, []);
  } finally {
    await page.context().close();
    rmSync(root, { recursive: true, force: true });
  }
});

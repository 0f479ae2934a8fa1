// Large and hostile corpus files on the page (mock engine, tests/browser/mock-page.mjs): a 50 MB, 1,000,000-line
// upload is read as a stream with progress, stops at the page's passage limit with a note saying where, and
// leaves the tab's memory bounded; reading and indexing can each be cancelled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockPages, stopMockPages, openPage, ready } from './mock-page.mjs';

const MAX_PASSAGES = 50000; // www/ui/corpus.js
const BUILT_IN = 507;
let dir;

before(async () => {
  await startMockPages();
  dir = mkdtempSync(join(tmpdir(), 'lb-upload-'));
});
after(async () => {
  await stopMockPages();
  rmSync(dir, { recursive: true, force: true });
});

/** A file of `lines` lines made by `line(i)`, written in pieces (never one 50 MB string here either). */
function writeLines(name, lines, line) {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  for (let start = 0; start < lines; start += 10000) {
    let chunk = '';
    for (let i = start; i < Math.min(start + 10000, lines); i++) chunk += `${line(i)}\n`;
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return path;
}

async function openCorpus(page) {
  await ready(page);
  await page.click('#corpus-add summary');
}

test('a 50 MB, 1,000,000-line file: streamed with progress, cut at the passage limit with a note, memory bounded', async () => {
  const path = writeLines('big.tsv', 1_000_000, (i) => `p${i}\ten\tpassage ${i}, about the rivers and the seas`);
  assert.ok(statSync(path).size > 50e6);
  const page = await openPage();
  await openCorpus(page);
  const progressTexts = [];
  await page.exposeFunction('noteProgress', (t) => progressTexts.push(t));
  await page.evaluate(() => new MutationObserver(() => window.noteProgress(document.querySelector('#corpus-progress .progress-text')?.textContent ?? ''))
    .observe(document.getElementById('corpus-progress'), { subtree: true, characterData: true, childList: true }));
  await page.setInputFiles('#corpus-file', path);
  await page.waitForSelector(`#corpus-status[data-indexed="true"][data-count="${BUILT_IN + MAX_PASSAGES}"]`, { timeout: 120000 });
  const report = await page.textContent('#corpus-report');
  assert.match(report, /Adding 50,000 passages \(English 50,000\)/);
  assert.match(report, /big\.tsv: only the first 50,000 passages were read \(up to line 50,000\)/);
  assert.ok(progressTexts.some((t) => /^Reading the files: .* of \d+\.\d MB/.test(t)), `no reading progress among ${progressTexts.slice(0, 5)}`);
  assert.ok(progressTexts.some((t) => /^Indexing passages: [\d,]+ of 50,000 passages/.test(t)));
  // Reading stopped at the limit: the tab never held the file's 50 MB (100 MB as a JS string) nor 1 M passages.
  const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
  assert.ok(heap > 0 && heap < 150e6, `JS heap ${(heap / 1e6).toFixed(0)} MB`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('reading a large file can be cancelled, and leaves the corpus as it was', async () => {
  const page = await openPage();
  await openCorpus(page);
  // Reading a real 50 MB file takes well under a second here: the file dropped is one whose stream yields
  // 64 KB every 20 ms (60 MB, about 20 s), so Cancel lands while it is read.
  await page.evaluate(() => {
    const line = `{"id": "j", "text": "a line of junk that is not JSON\n`;
    const piece = new TextEncoder().encode(line.repeat(Math.ceil(65536 / line.length)));
    const file = {
      name: 'slow.jsonl',
      size: 60e6,
      stream: () => new ReadableStream({
        sent: 0,
        async pull(controller) {
          await new Promise((r) => setTimeout(r, 20));
          if ((this.sent += piece.length) > 60e6) controller.close();
          else controller.enqueue(piece.slice());
        },
      }),
    };
    const drop = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(drop, 'dataTransfer', { value: { files: [file] } });
    document.getElementById('corpus-drop').dispatchEvent(drop);
  });
  await page.waitForFunction(() => /^Reading the files: .* of 57\.2 MB/.test(document.querySelector('#corpus-progress .progress-text')?.textContent ?? ''));
  await page.click('#corpus-cancel');
  await page.waitForFunction(() => /Reading the file was cancelled; the corpus is unchanged\./.test(document.getElementById('corpus-report').textContent));
  assert.equal(await page.getAttribute('#corpus-status', 'data-count'), String(BUILT_IN));
  assert.ok(await page.isHidden('#corpus-cancel'));
  assert.ok(await page.isEnabled('#corpus-file'));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a million lines of junk: every one counted, the first listed by number', async () => {
  const path = writeLines('junk.jsonl', 1_000_000, (i) => `{"id": "j${i}", "text": "unterminated ${'x'.repeat(30)}`);
  const page = await openPage();
  await openCorpus(page);
  await page.setInputFiles('#corpus-file', path);
  await page.waitForSelector('#corpus-report:not([hidden])');
  const report = await page.textContent('#corpus-report');
  assert.match(report, /No passages could be read from the file, so the corpus is unchanged\./);
  assert.match(report, /1,000,000 lines were not used:/);
  assert.match(report, /…and 999,970 more\./);
  assert.equal(await page.$$eval('#corpus-report li', (lis) => lis.length), 30);
  assert.equal(await page.getAttribute('#corpus-status', 'data-count'), String(BUILT_IN));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('indexing can be cancelled: what is indexed stays searchable, the rest is dropped and said so', async () => {
  const path = writeLines('many.tsv', 20000, (i) => `m${i}\tde\tAbsatz Nummer ${i} über Flüsse und Meere`);
  const page = await openPage({ config: { delay: 40 } });
  await openCorpus(page);
  await page.check('input[name="corpus-mode"][value="replace"]');
  await page.setInputFiles('#corpus-file', path);
  await page.waitForFunction(() => /^Indexing passages: /.test(document.querySelector('#corpus-progress .progress-text')?.textContent ?? ''));
  await page.click('#corpus-cancel');
  await page.waitForSelector('#corpus-status[data-indexed="true"]');
  const count = Number(await page.getAttribute('#corpus-status', 'data-count'));
  assert.ok(count > 0 && count < 20000 && count % 128 === 0, `indexed ${count}`);
  const report = await page.textContent('#corpus-report');
  assert.match(report, /Replacing the corpus with 20,000 passages \(German 20,000\)/, 'the upload report stays');
  assert.match(report, new RegExp(`Indexing was cancelled: ${count.toLocaleString('en')} of 20,000 passages are indexed`));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

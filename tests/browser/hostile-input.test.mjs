// The real page (wasm engine, tiny-xlmr) against the worst a visitor or a network can do: empty, one-character,
// 10,000- and 100,000-character queries, binary junk, combining-mark and right-to-left floods; a model file of the
// wrong kind; the connection dropped halfway through a model download. Each gets an answer or a plain-words
// message, never an uncaught error, and the page keeps working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serverAndBrowser, newPage } from './harness.mjs';

const MODEL = 'models/tiny-xlmr.q8_0.gguf';
const session = serverAndBrowser();

async function openTiny(context) {
  const page = await newPage(context);
  await page.goto(`${session.baseUrl}?model=${MODEL}&backend=cpu`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120000, state: 'attached' });
  await page.waitForSelector('#corpus-status[data-indexed="true"]', { timeout: 120000, state: 'attached' });
  return page;
}

/** Searches `q`: resolves to the hit count, or to the error shown. */
async function search(page, q) {
  await page.click('#tab-search');
  await page.evaluate((q) => { document.getElementById('query').value = q; }, q);
  await page.evaluate(() => { document.getElementById('search-error').hidden = true; delete document.getElementById('results-area').dataset.query; });
  await page.click('#search-btn');
  await page.waitForFunction(() => !document.getElementById('search-error').hidden || document.getElementById('results-area').dataset.query !== undefined, null, { timeout: 120000 });
  if (!(await page.isHidden('#search-error'))) return { error: await page.textContent('#search-error') };
  return { hits: await page.$$eval('#results li', (lis) => lis.length) };
}

test('queries of 0, 1, 10,000 and 100,000 characters, binary junk and floods: answered, never an uncaught error', async () => {
  const context = await session.browser.newContext();
  const page = await openTiny(context);
  assert.match((await search(page, '')).error, /Type a question first/);
  assert.match((await search(page, '   \n\t ')).error, /Type a question first/);
  let junk = '';
  for (let i = 0; i < 4000; i++) junk += String.fromCharCode((i * 7919) % 0xd7ff); // every plane-0 block, controls too
  const queries = {
    'one character': 'a',
    '10,000 characters': 'river '.repeat(1667).slice(0, 10000),
    '100,000 characters': 'Nile '.repeat(20000),
    'binary junk': junk,
    'NUL and controls': '\u0000\u0001\u0002\u001b[31m\u007f\u0085',
    'combining-mark flood': `a${'\u0301\u0327\u0308'.repeat(5000)}`,
    'right-to-left flood': `${'\u202e'.repeat(1000)}${'نهر النيل '.repeat(2000)}${'\u202c'.repeat(1000)}`,
    'lone surrogates': '\ud800\udc00\udbff\ud800 x \udfff',
  };
  for (const [what, q] of Object.entries(queries)) {
    const r = await search(page, q);
    assert.ok(r.hits === 10, `${what}: ${JSON.stringify(r).slice(0, 200)}`);
  }
  // Still searching normally afterwards.
  assert.equal((await search(page, 'Where does the Nile flow?')).hits, 10);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a model file of the wrong kind is refused in plain words, and the page keeps working', async () => {
  const context = await session.browser.newContext();
  const page = await openTiny(context);
  await page.click('#tab-models');
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
  const fakes = [
    { name: 'model.gguf', mimeType: 'application/octet-stream', buffer: png },
    { name: 'model.gguf', mimeType: 'application/octet-stream', buffer: Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60, 0xff)]) },
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not safetensors at all') },
  ];
  for (const file of fakes) {
    await page.evaluate(() => { document.getElementById('own-error').hidden = true; });
    await page.setInputFiles('#own-files', file);
    await page.waitForSelector('#own-error:not([hidden])', { timeout: 60000 });
    const text = await page.textContent('#own-error');
    assert.match(text, /GGUF|safetensors|config\.json|not a model/i, text);
    assert.doesNotMatch(text, /RuntimeError|unreachable|undefined|\[object/, text);
  }
  // The model that was loaded still answers.
  assert.equal((await search(page, 'Where does the Nile flow?')).hits, 10);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a download dropped halfway is explained, not cached, and the next visit loads the model', async () => {
  const context = await session.browser.newContext();
  const full = readFileSync(`www/${MODEL}`);
  let cut = true;
  // The first download stops after half the announced bytes, as a dropped connection does.
  await context.route(`**/${MODEL}`, (route) => (cut
    ? route.fulfill({ status: 200, headers: { 'content-type': 'application/octet-stream', 'content-length': String(full.length) }, body: full.subarray(0, full.length >> 1) })
    : route.continue()));
  const page = await newPage(context);
  await page.goto(`${session.baseUrl}?model=${MODEL}&backend=cpu`);
  await page.waitForSelector('#error:not([hidden]), #model-A-error:not([hidden])', { timeout: 120000 });
  const text = await page.evaluate(() => [...document.querySelectorAll('#error, #model-A-error')].filter((e) => !e.hidden).map((e) => e.textContent).join(' '));
  assert.match(text, /tiny-xlmr\.q8_0\.gguf/, text);
  assert.match(text, /download broke off/i, text);
  await page.close();

  cut = false;
  const again = await newPage(context);
  await again.goto(`${session.baseUrl}?model=${MODEL}&backend=cpu`);
  await again.waitForSelector('#corpus-status[data-indexed="true"]', { timeout: 120000, state: 'attached' });
  assert.deepEqual(again.problems, []);
  await context.close();
});

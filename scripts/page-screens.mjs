// Screenshots of the Search tab answering a few queries with the page's DEFAULT model (no ?model=), and the time
// a visitor waits for the first answer — on a first visit (model downloaded) and a second one (from the cache).
// For people, not CI: the browser suites run small models (tests/browser/page.test.mjs).
//
//   node scripts/page-screens.mjs [--out artifacts/screens] [--backend cpu|gpu] [--model ID_OR_URL]
//
// Needs `make wasm www-models bin` first. Prints the top 3 hits per query (text, language, score) and the times.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, launchBrowser } from '../tests/browser/harness.mjs';

const { values: opt } = parseArgs({
  options: { out: { type: 'string', default: 'artifacts/screens' }, backend: { type: 'string', default: 'cpu' }, model: { type: 'string' } },
});
const QUERIES = [
  ['en', 'Into which sea does the Nile flow?'],
  ['de', 'In welches Meer mündet der Nil?'],
  ['zh', '尼罗河流入哪个海？'],
];
process.env.TMPDIR ??= mkdtempSync(join(tmpdir(), 'page-screens-'));
mkdirSync(opt.out, { recursive: true });
const { server, baseUrl } = await startServer();
const browser = await launchBrowser();
const address = `${baseUrl}?backend=${opt.backend}${opt.model ? `&model=${encodeURIComponent(opt.model)}` : ''}`;

async function search(page, q) {
  await page.fill('#query', q);
  await page.press('#query', 'Enter');
  await page.waitForSelector(`#results-area[data-query="${q}"]`, { timeout: 600000 });
  return page.$$eval('#results li.hit', (els) => els.map((e) => ({
    id: e.dataset.id, lang: e.dataset.lang, score: Number(e.dataset.score), text: e.querySelector('.hit-text').textContent,
  })));
}

/** Opens the page, waits for the first answer to QUERIES[0]; returns the page and the times (ms from navigation). */
async function visit(context) {
  const page = await context.newPage({ viewport: { width: 1200, height: 900 } });
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(m.text()); });
  // Model files fetched over the network (the worker's downloads show up as the page's requests).
  page.downloads = [];
  page.on('request', (r) => { if (/\/models\/(?!index\.json)/.test(r.url())) page.downloads.push(new URL(r.url()).pathname); });
  const t0 = Date.now();
  await page.goto(address);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 600000 });
  const modelMs = Date.now() - t0;
  await page.waitForSelector('#corpus-status[data-indexed="true"]', { timeout: 3600000 });
  const indexedMs = Date.now() - t0;
  const hits = await search(page, QUERIES[0][1]);
  return { page, hits, modelMs, indexedMs, answerMs: Date.now() - t0 };
}

try {
  const context = await browser.newContext();
  const first = await visit(context);
  const model = await first.page.inputValue('#model-A-select');
  console.log(`model A: ${model}; backend: ${await first.page.textContent('#backend')}`);
  console.log(`corpus: ${await first.page.textContent('#corpus-status')}`);
  console.log(`first visit downloads: ${first.page.downloads.join(', ') || 'none'}`);
  console.log(`first visit: model ready ${first.modelMs} ms, corpus indexed ${first.indexedMs} ms, first answer ${first.answerMs} ms`);
  for (const [lang, q] of QUERIES) {
    const t0 = Date.now();
    const hits = lang === QUERIES[0][0] ? first.hits : await search(first.page, q);
    const took = lang === QUERIES[0][0] ? '' : ` (${Date.now() - t0} ms)`;
    const path = join(opt.out, `search-${model}-${lang}.png`);
    await first.page.screenshot({ path, fullPage: true });
    console.log(`\n${lang}: ${q}${took} → ${path}`);
    for (const [i, h] of hits.slice(0, 3).entries()) console.log(`  ${i + 1}. [${h.lang}] ${h.score.toFixed(4)} ${h.id}: ${h.text}`);
  }
  if (first.page.problems.length) console.log(`\nproblems on the page: ${first.page.problems.join(' | ')}`);
  await first.page.close();
  const second = await visit(context);
  console.log(`\nsecond visit downloads: ${second.page.downloads.join(', ') || 'none'}`);
  console.log(`second visit (model from the cache): model ready ${second.modelMs} ms, corpus indexed ${second.indexedMs} ms, first answer ${second.answerMs} ms`);
  // The Models tab: model A's card (a model without scores yet must still read well) and slot B's suggestion.
  await second.page.click('#tab-models');
  const models = join(opt.out, `models-${model}.png`);
  await second.page.screenshot({ path: models, fullPage: true });
  console.log(`models tab → ${models} (slot B suggests ${await second.page.inputValue('#model-B-select') || 'nothing'})`);
  await second.page.close();
} finally {
  await browser.close();
  server.kill();
}

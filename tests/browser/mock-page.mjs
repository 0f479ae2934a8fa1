// The mock page: www/ served by a tiny static server, the worker replaced by tests/browser/mock-worker.js
// (page.route), Debian's Chromium. Shared by ui.test.mjs and corpus-upload.test.mjs; each calls
// startMockPages() in `before` and stopMockPages() in `after`.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../../www/', import.meta.url));
export const MOCK = readFileSync(new URL('./mock-worker.js', import.meta.url), 'utf8');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.jsonl': 'application/jsonl; charset=utf-8',
  '.wasm': 'application/wasm', '.md': 'text/markdown; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml',
};

export const INDEX = {
  default: 'lingbridge-small-hybrid',
  models: [
    { id: 'lingbridge-small-hybrid', name: 'LingBridge small (hybrid)', url: 'models/lingbridge-small-hybrid', bytes: 48_200_000,
      description: 'Trained on translated pairs and monolingual text; the fairest of the three.',
      card: { params: 21_300_000, layers: 4, hidden: 256, vocab: 50_000, mlqa_r: { mo: 0.612, cr: 0.431, mul: 0.455, rank_distance: 41.3 } } },
    { id: 'lingbridge-small-x-x-mono', name: 'LingBridge small (monolingual pairs)', url: 'models/lingbridge-small-x-x-mono', bytes: 48_200_000,
      description: 'Trained on question–answer pairs in one language at a time.',
      card: { params: 21_300_000, layers: 4, hidden: 256, vocab: 50_000, mlqa_r: { mo: 0.655, cr: 0.302, mul: 0.281, rank_distance: 120.4 } } },
    { id: 'tiny-xlmr', name: 'tiny-xlmr (test model)', url: 'models/tiny-xlmr', bytes: 637_120,
      description: 'A tiny random encoder for tests: its embeddings carry no meaning.',
      card: { params: 150_000, layers: 2, hidden: 32, vocab: 1000, mlqa_r: null } },
  ],
};

/** The running server and browser (set by startMockPages). */
export const session = { server: null, baseUrl: null, browser: null };

/** A static server for www/ on 127.0.0.1; `overrides` answers some paths ("/worker.js") with other bodies. */
export async function serveWww(overrides = {}) {
  const srv = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (overrides[path]) {
        res.writeHead(200, { 'content-type': overrides[path].type, 'cache-control': 'no-store' });
        res.end(overrides[path].body);
        return;
      }
      let file = normalize(join(ROOT, path));
      if (!file.startsWith(ROOT.replace(/[\\/]$/, '') + sep) && file !== ROOT.replace(/[\\/]$/, '')) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { server: srv, url: `http://127.0.0.1:${srv.address().port}/` };
}

export async function startMockPages() {
  ({ server: session.server, url: session.baseUrl } = await serveWww());
  session.browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export async function stopMockPages() {
  await session.browser?.close();
  session.server?.close();
}

/** Opens the page with the mock worker. `config` becomes self.MOCK_CONFIG; `index: null` answers models/index.json
 *  with 404 (whatever www/models holds locally). */
export async function openPage({ config = {}, viewport = { width: 1280, height: 900 }, path = '', index = INDEX, worker } = {}) {
  const context = await session.browser.newContext({ viewport, acceptDownloads: true, serviceWorkers: 'block' });
  const page = await watchedPage(context);
  await page.route('**/worker.js', (route) => route.fulfill({
    contentType: 'text/javascript', body: worker ?? `self.MOCK_CONFIG = ${JSON.stringify(config)};\n${MOCK}`,
  }));
  await page.route('**/models/index.json', (route) => (index
    ? route.fulfill({ contentType: 'application/json', body: JSON.stringify(index) })
    : route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' })));
  await page.goto(session.baseUrl + path);
  return page;
}

/** A page that collects uncaught errors and console errors in `page.problems`. */
export async function watchedPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.problems.push(m.text());
  });
  return page;
}

export async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000, state: 'attached' });
  await page.waitForSelector('#corpus-status[data-indexed="true"]', { timeout: 20000, state: 'attached' });
}

export async function searchFor(page, q) {
  await page.click('#tab-search');
  await page.fill('#query', q);
  await page.press('#query', 'Enter');
  await page.waitForFunction((q) => document.getElementById('results-area').dataset.query === q && document.querySelectorAll('#results li').length > 0, q);
}

/** Where the UI suites save their screenshots. */
export const SHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));

export async function runEvaluation(page) {
  await page.click('#tab-evaluate');
  await page.click('#eval-run');
  await page.waitForSelector('#eval-results[data-done="true"]', { timeout: 60000 });
}

export async function noHorizontalScroll(page, what) {
  const { sw, w } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth }));
  assert.ok(sw <= w, `${what}: the page is ${sw} px wide in a ${w} px window (horizontal scroll)`);
}

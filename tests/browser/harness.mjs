// Shared set-up of the end-to-end suites: `lingbridge serve` on a free port, Debian's Chromium driven by
// playwright-core with WebGPU on (SwiftShader when headless), and a page that records console errors.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const BIN = process.env.LINGBRIDGE_BIN ?? 'target/debug/lingbridge';

export async function startServer() {
  const server = spawn(BIN, ['serve', '--dir', 'www', '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not print its address within 30 s')), 30000);
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { server, baseUrl };
}

/** `lingbridge serve` and Chromium for one test file: started in `before`, stopped in `after`. */
export function serverAndBrowser() {
  const session = { server: null, baseUrl: null, browser: null };
  before(async () => {
    ({ server: session.server, baseUrl: session.baseUrl } = await startServer());
    session.browser = await launchBrowser();
  });
  after(async () => {
    await session.browser?.close();
    session.server?.kill();
  });
  return session;
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

// The page's 12-layer models (the default and the other e5-small files) are too slow for the suites in wasm /
// SwiftShader: tests name a small one with ?model=. A page that still fetches one of them records a problem, so the
// mistake fails fast instead of silently costing minutes.
const HEAVY = (() => {
  try {
    const index = JSON.parse(readFileSync('www/models/index.json', 'utf8'));
    return index.models.filter((m) => m.card?.layers >= 12).map((m) => m.url);
  } catch {
    return [];
  }
})();

/** A page that collects console errors, uncaught exceptions and downloads of a 12-layer model into `page.problems`. */
export async function newPage(context, viewport = { width: 1200, height: 900 }) {
  const page = await context.newPage({ viewport });
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(m.text()); });
  page.on('pageerror', (e) => page.problems.push(String(e)));
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (HEAVY.some((url) => path.endsWith(`/${url}`))) page.problems.push(`${r.url()}: a 12-layer model downloaded; name a small one with ?model=`);
  });
  return page;
}

/** The page's built-in models (written by `make www-models`). */
export function catalogue() {
  return JSON.parse(readFileSync('www/models/index.json', 'utf8'));
}

/** `lingbridge eval` on the same model and data: the numbers the page must reproduce. */
export function nativeEval(model, dataset, out) {
  execFileSync(BIN, ['eval', '--model', model, '--backend', 'cpu', '--dataset', dataset, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(`${out}/report.json`, 'utf8'));
}

/** `lingbridge embed`: one vector per text. */
export function nativeEmbed(model, texts, kind) {
  const out = execFileSync(BIN, ['embed', '--model', model, '--backend', 'cpu', '--kind', kind],
    { input: texts.map((t) => t.replace(/\n/g, ' ')).join('\n') + '\n', maxBuffer: 1 << 28 });
  return out.toString().trim().split('\n').map((l) => JSON.parse(l));
}

/** A public dataset's folder, found as the Rust side finds it ($LINGBRIDGE_DATA, ./data, ../shared/data); `null`
 * when absent, which fails under CI=true (data tests must run there). */
export function dataDir(name) {
  for (const root of [process.env.LINGBRIDGE_DATA, 'data', '../shared/data']) {
    if (root && existsSync(join(root, name))) return join(root, name);
  }
  if (process.env.CI === 'true') throw new Error(`dataset ${name} not found in $LINGBRIDGE_DATA, ./data or ../shared/data, and CI=true needs it`);
  return null;
}

/** Clicks "Run evaluation" on the Evaluate tab for the chosen source; returns the seconds until fresh results show. */
export async function runEvaluation(page) {
  await page.click('#tab-evaluate');
  await page.waitForSelector('#eval-run:not([disabled])', { timeout: 60000 });
  const before = await page.$eval('#eval-results', (el) => el.textContent);
  const t0 = Date.now();
  await page.click('#eval-run');
  // Done means results shown again, and not a previous run's.
  await page.waitForFunction((prev) => {
    const el = document.getElementById('eval-results');
    return el.dataset.done === 'true' && el.textContent !== prev;
  }, before, { timeout: 3600000, polling: 250 });
  return (Date.now() - t0) / 1000;
}

// The page offline: after one visit its service worker serves the shell (every module, the one wasm build this
// browser runs, the built-in passages and evaluation set) and the page searches and evaluates with the network
// gone. Playwright's page.route does not see requests a service worker answers, so this test serves the mock
// worker from its own server by path. Split from ui.test.mjs; the same harness (tests/browser/mock-page.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { INDEX, MOCK, ROOT, SHOTS, session, serveWww, startMockPages, stopMockPages, watchedPage, ready, searchFor, runEvaluation } from './mock-page.mjs';

before(startMockPages);
after(stopMockPages);

/** What sw.js must keep for the page to open offline: every module and style sheet of www/, the wasm package
 *  (when built here: the glue and the one build `wasm` this browser runs), the built-in passages and evaluation
 *  set, and the model list. */
function shellFiles(wasm) {
  const out = ['index.html', 'models/index.json'];
  const walk = (dir) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!['models', 'pkg', 'demo'].includes(path)) walk(path);
      } else if (/\.(js|css)$/.test(e.name) && path !== 'sw.js') {
        out.push(path);
      }
    }
  };
  walk('');
  for (const f of ['pkg/lingbridge.js', `pkg/${wasm}`, 'demo/corpus.jsonl']) if (existsSync(join(ROOT, f))) out.push(f);
  for (const f of readdirSync(join(ROOT, 'demo/eval'))) if (f.endsWith('.json')) out.push(`demo/eval/${f}`);
  return out.sort();
}

test('after one visit the page opens offline from its service worker, without touching model files', { timeout: 120000 }, async () => {
  // Its own server (and origin): the mock worker is served by path, so the service worker sees every request.
  const { server: own, url } = await serveWww({
    '/worker.js': { type: 'text/javascript; charset=utf-8', body: `self.MOCK_CONFIG = {};\n${MOCK}` },
    '/models/index.json': { type: 'application/json', body: JSON.stringify(INDEX) },
  });
  const context = await session.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    let page = await watchedPage(context);
    await page.goto(url);
    await ready(page);
    assert.equal(await page.isVisible('#offline'), false, 'no offline badge while online');
    // Installed (the shell cached before it activates) and in control of the page.
    await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 20000 });
    const cached = await page.evaluate(async () => (await (await caches.open('lingbridge-shell-v1')).keys()).map((r) => new URL(r.url).pathname.slice(1)));
    // The one wasm build this browser runs, as the page decides it; the other one is not downloaded again.
    const wasm = await page.evaluate(async () => (await import('./wasm-build.js')).wasmUrl().pathname.split('/').pop());
    for (const f of shellFiles(wasm)) assert.ok(cached.includes(f), `${f} is not in the service worker's cache: add it to SHELL in www/sw.js`);
    assert.deepEqual(cached.filter((f) => f.endsWith('.wasm')), existsSync(join(ROOT, 'pkg', wasm)) ? [`pkg/${wasm}`] : [], 'one wasm build, the page\'s');
    assert.deepEqual(cached.filter((f) => f.startsWith('models/')), ['models/index.json'], 'model files are the worker\'s to cache');
    assert.equal(cached.filter((f) => f.includes('?')).length, 0);

    // Offline for real: the browser says so, and the server is gone too.
    await context.setOffline(true);
    own.closeAllConnections();
    await new Promise((resolve) => own.close(resolve));
    await page.close();
    page = await watchedPage(context);
    const res = await page.goto(`${url}?backend=cpu`);
    assert.equal(res.fromServiceWorker(), true, 'the page came from the service worker');
    await ready(page);
    assert.equal(await page.isVisible('#tabs'), true);
    assert.deepEqual(await page.$$eval('[role="tab"]', (ts) => ts.map((t) => t.dataset.tab)), ['search', 'evaluate', 'bias', 'models']);
    assert.equal(await page.isVisible('#offline'), true);
    assert.match(await page.textContent('#offline'), /offline — running from this device.s cache/);
    await searchFor(page, 'Wo fließt der Nil?');
    await runEvaluation(page); // the built-in evaluation set is in the cache too
    await page.screenshot({ path: join(SHOTS, 'ui-offline-desktop.png'), fullPage: true });
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
    own.close();
  }
});

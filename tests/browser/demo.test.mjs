// The page's Inspect panel end to end: `lingbridge serve` serves www/, Debian's Chromium (driven by
// playwright-core) loads it, types a text, and the embedding shown must equal Hugging Face's reference.
// Also measures embeddings/s in the browser (printed, not asserted) and saves a screenshot to artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { startServer, launchBrowser } from './harness.mjs';

const reference = JSON.parse(readFileSync('tests/fixtures/tiny-xlmr-reference.json', 'utf8'));
let server, baseUrl, browser;

before(async () => {
  ({ server, baseUrl } = await startServer());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

// Types a reference sentence as a query, waits for its token ids and embedding on the page, returns the embedding.
async function embedOnPage(page, s) {
  await page.fill('#text', s.text);
  await page.selectOption('#kind', 'query');
  await page.click('#embed');
  await page.waitForFunction((want) => {
    const el = document.getElementById('result');
    return el && !el.hidden && el.dataset.embedding && document.getElementById('ids').textContent === want;
  }, s.ids.join(' '), { timeout: 300000 });
  return JSON.parse(await page.getAttribute('#result', 'data-embedding'));
}

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

test('the page embeds typed text like Hugging Face, without console errors', async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const t0 = Date.now();
  await page.goto(baseUrl + '?model=models/tiny-xlmr#inspect');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  const loadMs = Date.now() - t0;
  assert.match(await page.textContent('#backend'), /CPU/);

  for (const i of [0, 5, 10, 17]) {
    const s = reference.sentences[i];
    const got = await embedOnPage(page, s);
    const diff = maxAbsDiff(got, s.query_mean);
    assert.ok(diff <= 1e-5, `${s.text}: max abs diff ${diff}`);
  }

  await page.click('#speed');
  await page.waitForSelector('#speed-result[data-rate]', { timeout: 120000 });
  const rate = Number(await page.getAttribute('#speed-result', 'data-rate'));
  assert.ok(rate > 0);
  console.log(`# page load + model load + warm-up: ${loadMs} ms; browser CPU throughput: ${rate.toFixed(1)} embeddings/s (tiny-xlmr, 64 short texts x 4)`);

  mkdirSync('artifacts/screenshots', { recursive: true });
  await page.screenshot({ path: 'artifacts/screenshots/demo.png', fullPage: true });
  assert.deepEqual(problems, []);
});

test('a missing model is explained on the page, not a blank screen', async () => {
  const page = await browser.newPage();
  await page.route('**/models/tiny-xlmr/tokenizer.json', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(baseUrl + '?model=models/tiny-xlmr#inspect');
  await page.waitForSelector('#error:not([hidden])', { timeout: 60000 });
  const text = await page.textContent('#error');
  assert.match(text, /tokenizer\.json/);
  assert.match(text, /HTTP 404/);
});

for (const [model, minCosine] of [['models/tiny-xlmr', 0.9999], ['models/tiny-xlmr.q8_0.gguf', 0.995]]) {
  test(`?backend=gpu runs ${model} on WebGPU, shows the adapter, and matches the reference`, async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${baseUrl}?backend=gpu&model=${encodeURIComponent(model)}#inspect`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    const badge = await page.getAttribute('#backend', 'data-backend');
    const title = await page.getAttribute('#backend', 'title');
    // Headless Chromium's WebGPU is SwiftShader; without it the page must say why it runs on the CPU.
    if (badge !== 'gpu') {
      assert.notEqual(process.env.CI, 'true', `CI's Chromium has WebGPU, but the page fell back: ${title}`);
      assert.match(title, /Running on the CPU: /);
      return;
    }
    assert.match(await page.textContent('#backend'), /WebGPU/);
    for (const i of [2, 10, 21]) {
      const s = reference.sentences[i];
      const got = await embedOnPage(page, s);
      const cos = got.reduce((acc, x, j) => acc + x * s.query_mean[j], 0);
      assert.ok(cos >= minCosine, `${model}, "${s.text.slice(0, 30)}…": cosine ${cos} with Hugging Face's embedding`);
    }
    // Still on the GPU: a failing kernel would have fallen back to the CPU and made the check vacuous.
    assert.equal(await page.getAttribute('#backend', 'data-backend'), 'gpu');
    await page.click('#speed');
    await page.waitForSelector('#speed-result[data-rate]', { timeout: 120000 });
    const rate = Number(await page.getAttribute('#speed-result', 'data-rate'));
    console.log(`# ${model} on browser WebGPU (${await page.textContent('#backend')}): ${rate.toFixed(1)} embeddings/s`);
    await page.screenshot({ path: `artifacts/screenshots/demo-webgpu-${model.split('/').pop()}.png`, fullPage: true });
    assert.deepEqual(problems, []);
  });
}

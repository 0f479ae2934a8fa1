// Screenshots of the Language bias view as a visitor reaches it: the page's default model in slot A, slot B's
// suggestion (index.json's `compare`) loaded from the Models tab, the built-in evaluation run for both, then one
// question per language chosen by a word of it. Prints where each language's answer lands for A and B and the
// rank distances. For people, not CI (two 12-layer models evaluated in wasm: a few minutes on 2 cores).
//
//   node scripts/bias-screens.mjs [--out artifacts/screens] [--backend cpu|gpu]
//
// Needs `make wasm www-models bin` first.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, launchBrowser } from '../tests/browser/harness.mjs';

const { values: opt } = parseArgs({ options: { out: { type: 'string', default: 'artifacts/screens' }, backend: { type: 'string', default: 'cpu' } } });
// [question language, a word that picks the question in the list]: the Nile question of the built-in set.
const QUESTIONS = [['en', 'Into which sea'], ['de', 'In welches Meer'], ['zh', '尼罗河']];
process.env.TMPDIR ??= mkdtempSync(join(tmpdir(), 'bias-screens-'));
mkdirSync(opt.out, { recursive: true });
const { server, baseUrl } = await startServer();
const browser = await launchBrowser();

async function strip(page, slot) {
  const sel = `#bias-strips section[data-slot="${slot}"]`;
  const points = await page.$$eval(`${sel} g.point`, (els) => els.map((e) => `${e.dataset.label}@${e.dataset.rank}`));
  const rd = await page.getAttribute(`${sel} .rd strong`, 'data-value');
  const top = await page.$$eval(`${sel} ol.top10 li`, (els) => els.map((e) => `${e.dataset.lang}${e.classList.contains('relevant') ? '*' : ''}`));
  return `RD ${rd}; answers ${points.join(' ')}; top 10 ${top.join(' ')}`;
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(`${baseUrl}?backend=${opt.backend}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 600000 });
  const a = await page.inputValue('#model-A-select');
  await page.click('#tab-models');
  const b = await page.inputValue('#model-B-select');
  if (!b) throw new Error('index.json suggests no model for slot B');
  await page.click('#model-B-load');
  await page.waitForSelector('#model-B-unload:not([hidden])', { timeout: 600000 });
  await page.click('#tab-bias');
  const t0 = Date.now();
  await page.click('#bias-run');
  await page.waitForSelector('#bias-strips section[data-slot="B"] g.point', { timeout: 3600000 });
  console.log(`A = ${a}, B = ${b}; built-in evaluation of both in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const [lang, word] of QUESTIONS) {
    await page.selectOption('#bias-lang', lang);
    await page.fill('#bias-filter', word);
    await page.waitForFunction((w) => document.getElementById('bias-question').textContent.includes(w) ||
      document.getElementById('bias-question').textContent.toLowerCase().includes(w.toLowerCase()), word, { timeout: 60000 });
    await page.waitForTimeout(500);
    const question = await page.textContent('#bias-question');
    const path = join(opt.out, `bias-${a}-vs-${b}-${lang}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`\n${lang}: ${question.trim()} → ${path}\n  A ${a}: ${await strip(page, 'A')}\n  B ${b}: ${await strip(page, 'B')}`);
  }
  if (problems.length) console.log(`\nproblems on the page: ${problems.join(' | ')}`);
} finally {
  await browser.close();
  server.kill();
}

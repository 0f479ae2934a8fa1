// Measures the page in headless Chromium, as a visitor would experience it: first load and cached load (model
// downloaded, warm-up, built-in corpus indexed), index passages/s, the built-in evaluation, and optionally a
// full XQuAD-R (or MLQA-R) Mul evaluation loaded through the file picker.
//
//   node scripts/page-bench.mjs [--backend cpu|gpu] [--model URL] [--engines N] [--wasm simd128] [--embeddings live] [--no-eval] [--lareqa DIR] [--langs en,de,…]
//
// `--engines N`: CPU engines for long jobs (the page's ?engines=; default one per core, www/embed-pool.js).
// `--wasm simd128`: the plain wasm build even where the browser has relaxed SIMD (www/wasm-build.js).
//
// `--embeddings live` encodes the built-in corpus in the page even when the model ships its embeddings (the
// time before precomputed embeddings existed); `--no-eval` skips the built-in evaluation (not `--lareqa`).
//
// Needs `make wasm www-models bin` first. Prints one line per figure; nothing is asserted (tests do that).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, launchBrowser, newPage, runEvaluation } from '../tests/browser/harness.mjs';

const { values: opt } = parseArgs({
  options: { backend: { type: 'string', default: 'cpu' }, model: { type: 'string' }, lareqa: { type: 'string' }, langs: { type: 'string' },
    embeddings: { type: 'string' }, engines: { type: 'string' }, wasm: { type: 'string' }, 'no-eval': { type: 'boolean', default: false } },
});
process.env.TMPDIR ??= mkdtempSync(join(tmpdir(), 'page-bench-'));
const { server, baseUrl } = await startServer();
const browser = await launchBrowser();
const query = `?backend=${opt.backend}${opt.model ? `&model=${encodeURIComponent(opt.model)}` : ''}${opt.embeddings ? `&embeddings=${opt.embeddings}` : ''}${opt.engines ? `&engines=${opt.engines}` : ''}${opt.wasm ? `&wasm=${opt.wasm}` : ''}`;
const memory = async (page) => `${(Number(await page.getAttribute('#backend', 'data-memory-bytes')) / 1e6).toFixed(0)} MB of wasm memory`;
const FIRST_QUERY = 'Where does the Nile flow into the sea?';

async function ready(context) {
  const page = await newPage(context);
  const t0 = Date.now();
  await page.goto(baseUrl + query);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 600000 });
  const modelMs = Date.now() - t0;
  await page.waitForSelector('#corpus-status[data-indexed="true"]', { timeout: 3600000 });
  const readyMs = Date.now() - t0;
  // The first search answer: what a visitor waits for.
  await page.fill('#query', FIRST_QUERY);
  await page.press('#query', 'Enter');
  await page.waitForSelector(`#results-area[data-query="${FIRST_QUERY}"]`, { timeout: 600000 });
  return { page, modelMs, readyMs, answerMs: Date.now() - t0 };
}

try {
  const context = await browser.newContext();
  const first = await ready(context);
  const backend = await first.page.textContent('#backend');
  console.log(`backend: ${backend}`);
  console.log(`first visit: model ready in ${first.modelMs} ms, corpus indexed at ${first.readyMs} ms, first search answer at ${first.answerMs} ms — ${await first.page.textContent('#corpus-status')}`);
  await first.page.close();
  const second = await ready(context);
  console.log(`second visit (model from the Cache API): model ready in ${second.modelMs} ms, corpus indexed at ${second.readyMs} ms, first search answer at ${second.answerMs} ms`);
  // A visitor's next questions: Enter to results shown, and the page's own encode / rank split.
  const answers = [];
  for (const q of ['Wo fließt der Nil ins Meer?', '大熊猫吃什么？', 'متى تفتح المكتبة؟', '¿Cuántas patas tiene una araña?', 'How old is the universe?']) {
    await second.page.fill('#query', q);
    const t0 = Date.now();
    await second.page.press('#query', 'Enter');
    await second.page.waitForSelector(`#results-area[data-query="${q}"]`, { timeout: 600000 });
    answers.push(Date.now() - t0);
    console.log(`query ${JSON.stringify(q)}: answered in ${answers.at(-1)} ms — ${await second.page.textContent('#timing')}`);
  }
  console.log(`queries: median ${answers.sort((a, b) => a - b)[answers.length >> 1]} ms from Enter to results`);
  if (!opt['no-eval']) {
    const builtin = { secs: await runEvaluation(second.page) };
    console.log(`built-in evaluation (512 questions, 640 sentences): ${builtin.secs.toFixed(1)} s`);
    console.log(`after it: ${await second.page.textContent('#backend')}, ${await memory(second.page)} (engines ready: ${await second.page.getAttribute('#backend', 'data-engines-ready')})`);
  }
  // Independent of --no-eval, so the full set can be measured without the built-in one before it.
  if (opt.lareqa) {
    const langs = opt.langs ? opt.langs.split(',') : readdirSync(opt.lareqa).filter((f) => /^[a-z]{2}\.json$/.test(f)).map((f) => f.slice(0, 2));
    await second.page.click('#tab-evaluate');
    await second.page.check('input[name="eval-source"][value="files"]');
    await second.page.setInputFiles('#eval-files', langs.map((l) => join(opt.lareqa, `${l}.json`)));
    const full = { secs: await runEvaluation(second.page) };
    console.log(`${opt.lareqa} (${langs.length} languages, loaded from files): ${full.secs.toFixed(1)} s — ${await second.page.textContent('#eval-results p.muted')}`);
    console.log(`after it: ${await memory(second.page)}`);
  }
  if (second.page.problems.length) console.log(`console errors: ${second.page.problems.join(' | ')}`);
} finally {
  await browser.close();
  server.kill();
  if (process.env.TMPDIR.includes('page-bench-')) rmSync(process.env.TMPDIR, { recursive: true, force: true });
}

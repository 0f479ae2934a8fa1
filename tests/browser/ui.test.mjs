// The page's UI end to end against a mock engine: www/ is served by a tiny static server written here, the
// worker is replaced by tests/browser/mock-worker.js (page.route), and Debian's Chromium drives the page as a
// visitor would — keyboard tabs, search, language detection, corpus upload, evaluation with exports, the
// bias view with two models, errors in plain words, a 390 px wide layout. Saves screenshots of every tab
// (desktop and phone) to artifacts/screenshots/. BEIR folders: beir-ui.test.mjs; offline: offline.test.mjs.
//
// Playwright's page.route does not see requests a service worker answers, so the tests that route the mock
// worker in block service workers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INDEX, SHOTS, session, startMockPages, stopMockPages, openPage, ready, searchFor, runEvaluation, noHorizontalScroll } from './mock-page.mjs';

before(startMockPages);
after(stopMockPages);

async function loadModelB(page, id = 'lingbridge-small-x-x-mono') {
  await page.click('#tab-models');
  await page.selectOption('#model-B-select', id);
  await page.click('#model-B-load');
  await page.waitForFunction(() => /Loaded/.test(document.getElementById('model-B-status').textContent), null, { timeout: 20000 });
}

test('tabs are a real tablist: arrow keys, Home and End move and select', async () => {
  const page = await openPage();
  await ready(page);
  const selected = () => page.evaluate(() => ({
    tab: document.querySelector('[role="tab"][aria-selected="true"]').dataset.tab,
    focus: document.activeElement?.dataset?.tab,
    visible: [...document.querySelectorAll('[role="tabpanel"]')].filter((p) => !p.hidden).map((p) => p.id),
  }));
  await page.focus('#tab-search');
  await page.keyboard.press('ArrowRight');
  assert.deepEqual(await selected(), { tab: 'evaluate', focus: 'evaluate', visible: ['panel-evaluate'] });
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal((await selected()).tab, 'models');
  await page.keyboard.press('ArrowRight');
  assert.equal((await selected()).tab, 'search', 'ArrowRight wraps around');
  await page.keyboard.press('End');
  assert.deepEqual(await selected(), { tab: 'models', focus: 'models', visible: ['panel-models'] });
  await page.keyboard.press('Home');
  assert.equal((await selected()).tab, 'search');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await selected()).tab, 'models', 'ArrowLeft wraps around');
  assert.match(page.url(), /#models$/);
  // Only the selected tab is in the tab order; Tab moves on into its panel.
  assert.deepEqual(await page.$$eval('[role="tab"]', (ts) => ts.map((t) => t.tabIndex)), [-1, -1, -1, 0]);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('search ranks passages in every language, marks the query language and filters by language', async () => {
  const page = await openPage();
  await ready(page);
  assert.match(await page.textContent('#corpus-status'), /507 passages in 11 languages, indexed at [\d.,]+ passages\/s/);
  assert.match(await page.textContent('#status'), /Model A ready: LingBridge small \(hybrid\) · loaded in/);
  assert.equal(await page.$$eval('#lang-chips .chip[data-lang]', (cs) => cs.length), 11);
  assert.ok((await page.$$eval('#sample-queries button', (bs) => new Set(bs.map((b) => b.lang)).size)) >= 6);

  await page.fill('#query', 'Wo fließt der Nil?');
  assert.match(await page.textContent('#query-lang'), /German \(detected/);
  await page.press('#query', 'Enter');
  await page.waitForSelector('#results li');
  const hits = await page.$$eval('#results li', (lis) => lis.map((li) => ({
    rank: li.querySelector('.rank').textContent,
    lang: li.dataset.lang,
    textLang: li.querySelector('.hit-text').getAttribute('lang'),
    dir: li.querySelector('.hit-text').getAttribute('dir'),
    score: li.querySelector('.score').textContent,
    same: li.classList.contains('same'),
  })));
  assert.equal(hits.length, 10);
  assert.deepEqual(hits.map((x) => x.rank), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  for (const x of hits) {
    assert.equal(x.textLang, x.lang);
    assert.equal(x.dir, 'auto');
    assert.match(x.score, /^score \d\.\d{4}$/);
    assert.equal(x.same, x.lang === 'de');
  }
  assert.ok(hits.some((x) => x.same), 'a German passage about the Nile is among the results');
  const share = hits.filter((x) => x.lang === 'de').length / 10;
  assert.match(await page.textContent('#same-share'), new RegExp(`Same-language share of the top 10: ${Math.round(share * 100)} %`));
  assert.match(await page.textContent('#timing'), /Last query: encoded in [\d.]+ ms, ranked in/);

  // Switch German off: the same query no longer returns German passages.
  await page.click('#lang-chips .chip[data-lang="de"]');
  await page.waitForFunction(() => ![...document.querySelectorAll('#results li')].some((li) => li.dataset.lang === 'de') && document.querySelectorAll('#results li').length === 10);
  assert.equal(await page.getAttribute('#lang-chips .chip[data-lang="de"]', 'aria-pressed'), 'false');
  assert.equal(await page.getAttribute('#chips-all', 'aria-pressed'), 'false');
  // Only Chinese and Thai: every result is in one of them.
  await page.click('#chips-all');
  for (const l of ['ar', 'de', 'el', 'en', 'es', 'hi', 'ru', 'tr', 'vi']) await page.click(`#lang-chips .chip[data-lang="${l}"]`);
  await page.waitForFunction(() => [...document.querySelectorAll('#results li')].every((li) => ['zh', 'th'].includes(li.dataset.lang)));
  // A sample question searches right away.
  await page.click('#chips-all');
  await page.click('#sample-queries button[lang="ru"]');
  await page.waitForFunction(() => /озеро/.test(document.getElementById('results-area').dataset.query ?? ''));
  assert.match(await page.textContent('#query-lang'), /Russian/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the query language is detected as you type, and can be set by hand', async () => {
  const page = await openPage();
  await ready(page);
  const cases = [
    ['Where does the Nile flow?', /English/],
    ['¿Dónde está la biblioteca?', /Spanish/],
    ['图书馆几点开门？', /Chinese/],
    ['Когда открывается библиотека?', /Russian/],
    ['متى تفتح المكتبة؟', /Arabic/],
    ['पुस्तकालय कब खुलता है?', /Hindi/],
    ['Thư viện mở cửa lúc mấy giờ?', /Vietnamese/],
    ['Kütüphane ne zaman açılıyor?', /Turkish/],
    ['12345', /not sure/],
  ];
  for (const [text, want] of cases) {
    await page.fill('#query', text);
    assert.match(await page.textContent('#query-lang'), want, text);
  }
  await page.fill('#query', 'Paris');
  await page.selectOption('#query-lang-select', 'fr');
  assert.match(await page.textContent('#query-lang'), /French \(your choice\)/);
  assert.equal(await page.getAttribute('#query-lang', 'data-lang'), 'fr');
  await page.context().close();
});

test('adding passages reports every bad line by number, and indexes the good ones', async () => {
  const page = await openPage();
  await ready(page);
  await page.click('#corpus-add summary');
  const jsonl = [
    '{"id": "mine-1", "lang": "en", "text": "Zanzibar spice farms grow cloves, nutmeg and cinnamon."}',
    '{"text": "Die Gewürzfarmen auf Sansibar bauen Nelken und Zimt an, und das ist nicht neu."}',
    '{"id": "mine-3", "lang": "en", "text": "broken',
    '{"id": "mine-4", "lang": "en", "body": "no text field"}',
    '',
    '{"id": "rivers-01-en", "lang": "en", "text": "An id that the built-in corpus already uses."}',
  ].join('\n');
  await page.setInputFiles('#corpus-file', { name: 'mine.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(jsonl) });
  await page.waitForSelector('#corpus-report:not([hidden])');
  await page.waitForSelector('#corpus-status[data-indexed="true"][data-count="509"]');
  const report = await page.textContent('#corpus-report');
  assert.match(report, /Adding 2 passages \(German 1, English 1\)/);
  assert.match(report, /3 lines were not used/);
  assert.match(report, /line 3 is not valid JSON/);
  assert.match(report, /line 4: the object has no "text" field/);
  assert.match(report, /line 6: the id "rivers-01-en" is already in the corpus/);
  assert.match(report, /language of 1 passage was detected automatically/);
  assert.deepEqual(await page.$$eval('#corpus-report li', (lis) => lis.map((li) => li.dataset.line)), ['3', '4', '6']);
  await searchFor(page, 'Zanzibar spice farms cloves nutmeg cinnamon');
  assert.equal(await page.getAttribute('#results li:first-child', 'data-id'), 'mine-1');

  // Replace the corpus with a TSV file: only its languages remain to filter by.
  await page.check('input[name="corpus-mode"][value="replace"]');
  const tsv = 'id\tlang\ttext\nn1\tfr\tLa tour Eiffel se trouve à Paris.\nn2\tit\tIl Colosseo si trova a Roma.\nn3\tit\textra\tcolumn\n';
  await page.setInputFiles('#corpus-file', { name: 'notes.tsv', mimeType: 'text/tab-separated-values', buffer: Buffer.from(tsv) });
  await page.waitForSelector('#corpus-status[data-indexed="true"][data-count="2"]');
  assert.match(await page.textContent('#corpus-report'), /line 4 has 4 tab-separated columns/);
  assert.deepEqual(await page.$$eval('#lang-chips .chip[data-lang]', (cs) => cs.map((c) => c.dataset.lang).sort()), ['fr', 'it']);
  await page.click('#corpus-restore');
  await page.waitForSelector('#corpus-status[data-indexed="true"][data-count="507"]');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('evaluation renders the settings table, heatmap and charts, and exports JSON and CSV', async () => {
  const page = await openPage();
  await ready(page);
  await runEvaluation(page);
  assert.match(await page.textContent('#eval-set-info'), /512 questions in 8 languages, 640 candidate sentences/);
  const values = {};
  for (const s of ['mo', 'cr', 'mul']) {
    const v = Number(await page.getAttribute(`td[data-metric="map"][data-setting="${s}"]`, 'data-value'));
    assert.ok(v > 0 && v <= 1, `${s} mAP ${v}`);
    values[s] = v;
    assert.match(await page.textContent(`td[data-metric="map"][data-setting="${s}"]`), /^\d\.\d{3}$/);
  }
  assert.ok(values.mo > values.cr, 'the mock favours the question language, so Mo beats Cr');
  assert.equal(await page.$$eval('#eval-results .heatmap .cell', (cs) => cs.length), 64);
  assert.equal(await page.$$eval('#eval-results .heat-table tbody tr', (rs) => rs.length), 8);
  assert.equal(await page.$$eval('#eval-results .bar-chart', (cs) => cs.length), 2);
  assert.equal(await page.$$eval('#eval-results .bar-chart', (cs) => cs.map((c) => c.querySelectorAll('rect.bar').length).join()), '8,8');
  assert.match(await page.textContent('#eval-results'), /rank distance \(macro average\)/);

  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  assert.match(json.suggestedFilename(), /^lingbridge-eval-.*\.json$/);
  const report = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(report.questions, 512);
  assert.equal(report.candidate_count, 640);
  assert.equal(report.systems[0].scores.Lareqa.mul.map, values.mul, 'the JSON is the report itself, at full precision');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const lines = (await readFile(await csv.path(), 'utf8')).trim().split('\n');
  assert.equal(lines[0], 'model,dataset,row,setting,query_lang,candidate_lang,map,recall_1,recall_10,queries,rank_distance,same_language_top10');
  assert.equal(lines.length, 1 + 3 + 64 + 8 + 1);
  assert.equal(lines.filter((l) => l.split(',')[2] === 'pair').length, 64);
  assert.equal(Number(lines.find((l) => l.split(',')[3] === 'mul' && l.split(',')[2] === 'setting').split(',')[6]), values.mul);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('reports in serde\'s tagged form ({"protocol": "lareqa"}) render the same way', async () => {
  const page = await openPage({ config: { tagged: true } });
  await ready(page);
  await runEvaluation(page);
  assert.equal(await page.$$eval('#eval-results .heatmap .cell', (cs) => cs.length), 64);
  await page.context().close();
});

test('the bias view shows a rank strip per model, side by side, for the chosen question', async () => {
  const page = await openPage();
  await ready(page);
  await page.click('#tab-bias');
  assert.equal(await page.isVisible('#bias-empty'), true);
  await page.click('#bias-run');
  await page.waitForFunction(() => document.querySelectorAll('#bias-strips .rank-strip').length === 1, null, { timeout: 60000 });
  assert.equal(await page.isVisible('#bias-b-note'), true, 'suggests loading a second model');
  // A second model joins: only it needs evaluating.
  await loadModelB(page);
  await page.click('#tab-bias');
  assert.equal(await page.textContent('#bias-run'), 'Evaluate model B too');
  await page.click('#bias-run');
  await page.waitForFunction(() => document.querySelectorAll('#bias-strips .rank-strip').length === 2, null, { timeout: 60000 });
  const strips = await page.$$eval('#bias-strips .strip-col', (cols) => cols.map((c) => ({
    slot: c.dataset.slot,
    points: c.querySelectorAll('.rank-strip .point').length,
    primary: c.querySelectorAll('.rank-strip .point.primary').length,
    top: c.querySelectorAll('.top10 li').length,
    relevantMarked: [...c.querySelectorAll('.top10 li.relevant')].every((li) => /correct answer/.test(li.textContent)),
    rd: c.querySelector('.rd strong').dataset.value,
  })));
  assert.deepEqual(strips.map((s) => s.slot), ['A', 'B']);
  for (const s of strips) {
    assert.equal(s.points, 8, 'one dot per language');
    assert.equal(s.primary, 1, 'the question language is marked');
    assert.equal(s.top, 10);
    assert.ok(s.relevantMarked);
    assert.match(s.rd, /^\d+$/);
  }
  assert.equal(await page.$$eval('#bias-aggregates .bar-chart', (cs) => cs.length), 2);
  assert.equal(await page.$$eval('#bias-aggregates .legend', (ls) => ls.map((l) => l.querySelectorAll('li').length).join()), '2,2');
  // The question list works with the keyboard, and searching it narrows it down.
  const first = await page.getAttribute('#bias-strips', 'data-index');
  await page.focus('#bias-questions');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction((f) => document.getElementById('bias-strips').dataset.index !== f, first);
  await page.selectOption('#bias-lang', 'de');
  await page.fill('#bias-filter', 'Nil');
  await page.waitForFunction(() => document.querySelectorAll('#bias-questions option').length > 0
    && [...document.querySelectorAll('#bias-questions option')].every((o) => /nil/i.test(o.textContent)));
  await page.waitForFunction(() => document.getElementById('bias-question').textContent.includes('Nil'));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('errors are shown in plain words next to the action, never a blank page', async () => {
  // The worker fails a search.
  let page = await openPage({ config: { fail: { search: 'the query could not be encoded (the GPU ran out of memory)' } } });
  await ready(page);
  await page.fill('#query', 'Where does the Nile flow?');
  await page.press('#query', 'Enter');
  await page.waitForSelector('#search-error:not([hidden])');
  assert.equal(await page.textContent('#search-error'), 'The search failed: the query could not be encoded (the GPU ran out of memory).');
  assert.equal(await page.isEnabled('#search-btn'), true, 'the button comes back');
  // Malformed evaluation files.
  await page.click('#tab-evaluate');
  await page.check('input[name="eval-source"][value="files"]');
  await page.setInputFiles('#eval-files', { name: 'xx.json', mimeType: 'application/json', buffer: Buffer.from('{"data": [oops') });
  await page.click('#eval-run');
  await page.waitForSelector('#eval-error:not([hidden])');
  assert.match(await page.textContent('#eval-error'), /^Could not load the evaluation set: xx\.json is not valid JSON/);
  await page.setInputFiles('#eval-files', { name: 'english.json', mimeType: 'application/json', buffer: Buffer.from('{}') });
  assert.match(await page.textContent('#eval-error'), /english\.json: name each file after its language/);
  // A bad model folder, picked as files.
  await page.click('#tab-models');
  await page.setInputFiles('#own-files', { name: 'README.md', mimeType: 'text/markdown', buffer: Buffer.from('# hi') });
  assert.match(await page.textContent('#own-error'), /not a model LingBridge can read: there is no config\.json and no \.gguf file/);
  await page.setInputFiles('#own-files', [
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"model_type": "gpt2"}') },
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.alloc(16) },
    { name: 'tokenizer.json', mimeType: 'application/json', buffer: Buffer.from('{}') },
  ]);
  await page.waitForSelector('#own-error:not([hidden])');
  // The model already loaded stays loaded, and says so.
  assert.match(await page.textContent('#own-error'), /Could not load your model; LingBridge small \(hybrid\) is still loaded: config\.json: the model type "gpt2" is not supported/);
  assert.match(await page.textContent('#status'), /Model A ready: LingBridge small \(hybrid\) \(your model could not be loaded\)/);
  assert.equal(await page.getAttribute('#corpus-status', 'data-indexed'), 'true');
  assert.deepEqual(page.problems, []);
  await page.context().close();

  // A model that is not there: the start-up error names the file and the HTTP status.
  page = await openPage({ path: '?model=models/missing-model' });
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /Could not load missing-model: models\/missing-model\/tokenizer\.json: download failed \(HTTP 404\)/);
  assert.match(await page.textContent('#status'), /not loaded/);
  await page.context().close();

  // A worker that cannot even start: the page still shows itself and says what happened.
  page = await openPage({ worker: 'this is not JavaScript (' });
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /The search engine could not start in this browser/);
  assert.equal(await page.isVisible('#tabs'), true);
  assert.equal(await page.isVisible('#query'), true);
  await page.context().close();

  // The page's own scripts missing: the static page explains it.
  const context = await session.browser.newContext({ serviceWorkers: 'block' });
  page = await context.newPage();
  await page.route('**/ui/search.js', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(session.baseUrl);
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /scripts could not be downloaded/);
  assert.equal(await page.textContent('#status'), 'Not started');
  await context.close();
});

test('the backend badge says why the CPU runs, and Force CPU reloads the model on the CPU', async () => {
  let page = await openPage({ config: { gpu: false } });
  await ready(page);
  assert.match(await page.textContent('#backend'), /^CPU \(wasm\) · \d+ cores?$/);
  assert.equal(await page.getAttribute('#backend', 'data-backend'), 'cpu');
  assert.match(await page.getAttribute('#backend', 'title'), /^Running on the CPU: this browser offers no WebGPU adapter/);
  assert.match(await page.textContent('#backend-note'), /Running on the CPU: this browser offers no WebGPU adapter \(navigator\.gpu is missing\)\. Search still works/);
  await page.context().close();

  page = await openPage();
  await ready(page);
  assert.equal(await page.textContent('#backend'), 'WebGPU · Mock GPU (SwiftShader)');
  assert.equal(await page.isVisible('#backend-note'), false);
  await page.focus('#force-cpu');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.getElementById('backend').dataset.backend === 'cpu');
  assert.match(await page.textContent('#backend'), /^CPU \(wasm\) · \d+ cores?$/);
  assert.equal(await page.isVisible('#backend-note'), false, 'no fallback note when the CPU was asked for');
  assert.match(page.url(), /backend=cpu/);
  await ready(page); // the new model indexes the corpus again
  await searchFor(page, 'Nile');
  await page.context().close();

  page = await openPage({ path: '?backend=cpu' });
  await ready(page);
  assert.equal(await page.isChecked('#force-cpu'), true);
  assert.match(await page.textContent('#backend'), /^CPU \(wasm\) · \d+ cores?$/);
  await page.context().close();
});

test('the model picker shows the cards of models/index.json, and falls back to tiny-xlmr without one', async () => {
  let page = await openPage({ path: '#models' });
  // Opened on the Models tab, the passages wait for the Search tab before they are indexed.
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000, state: 'attached' });
  assert.equal(await page.getAttribute('#corpus-status', 'data-indexed'), 'false');
  assert.deepEqual(await page.$$eval('#model-A-select option', (os) => os.map((o) => o.value)), INDEX.models.map((m) => m.id));
  const card = await page.textContent('#model-A-card');
  assert.match(card, /21\.3 M/);
  assert.match(card, /0\.612/);
  assert.match(card, /41\.3/);
  await page.selectOption('#model-A-select', 'tiny-xlmr');
  assert.match(await page.textContent('#model-A-card'), /No MLQA-R scores/);
  await page.click('#tab-search');
  await ready(page);
  await page.context().close();

  page = await openPage({ index: null, path: '#models' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000, state: 'attached' });
  assert.deepEqual(await page.$$eval('#model-A-select option', (os) => os.map((o) => o.value)), ['tiny-xlmr']);
  assert.match(await page.textContent('#status'), /Model A ready: tiny-xlmr/);
  await page.context().close();
});

test('Inspect keeps the old embed and speed controls (ids the end-to-end test uses)', async () => {
  const page = await openPage({ path: '#inspect' });
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.isVisible('#text'), true, '#inspect opens the Models tab and the Inspect section');
  await page.fill('#text', 'Hello world');
  await page.selectOption('#kind', 'query');
  await page.click('#embed');
  await page.waitForSelector('#result[data-embedding]');
  assert.equal(JSON.parse(await page.getAttribute('#result', 'data-embedding')).length, 32);
  assert.match(await page.textContent('#ids'), /^0 \d+ \d+ 2$/);
  await page.click('#speed');
  await page.waitForSelector('#speed-result[data-rate]');
  assert.ok(Number(await page.getAttribute('#speed-result', 'data-rate')) > 0);
  await page.context().close();
});

for (const [device, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
  test(`every tab on a ${device} (${viewport.width} px): no horizontal scroll; screenshots`, async () => {
    mkdirSync(SHOTS, { recursive: true });
    const page = await openPage({ viewport });
    await ready(page);
    await loadModelB(page);
    await noHorizontalScroll(page, 'models');
    await page.screenshot({ path: join(SHOTS, `ui-models-${device}.png`), fullPage: true });
    await searchFor(page, 'Wo fließt der Nil?');
    await page.click('#corpus-add summary');
    await noHorizontalScroll(page, 'search');
    await page.screenshot({ path: join(SHOTS, `ui-search-${device}.png`), fullPage: true });
    await runEvaluation(page);
    await noHorizontalScroll(page, 'evaluate');
    await page.screenshot({ path: join(SHOTS, `ui-evaluate-${device}.png`), fullPage: true });
    await page.click('#tab-bias');
    await page.waitForFunction(() => document.querySelectorAll('#bias-strips .rank-strip').length === 2);
    await noHorizontalScroll(page, 'bias');
    await page.screenshot({ path: join(SHOTS, `ui-bias-${device}.png`), fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

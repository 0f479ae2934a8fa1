// www/langid.js: the query-language guess shown under the search box and used for passages without a `lang`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { detectLanguage, languageName } from '../../www/langid.js';

const read = (p) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

test('scripts that belong to one language decide it', () => {
  const cases = {
    ar: 'متى تفتح المكتبة؟',
    hi: 'पुस्तकालय कब खुलता है?',
    zh: '图书馆几点开门？',
    ru: 'Когда открывается библиотека?',
    el: 'Πού πηγαίνουν τα ποτάμια;',
    th: 'ห้องสมุดเปิดกี่โมง',
    ko: '서울은 어디에 있나요?',
    ja: '東京はどこですか',
    uk: 'Коли відкривається бібліотека?',
    fa: 'کتابخانه کی باز می‌شود؟',
    he: 'מתי נפתחת הספרייה?',
  };
  for (const [lang, text] of Object.entries(cases)) {
    const d = detectLanguage(text);
    assert.equal(d.lang, lang, text);
    assert.ok(d.confidence >= 0.5 && d.confidence <= 1, `${text}: confidence ${d.confidence}`);
  }
  assert.equal(detectLanguage('iPhone 在中国很流行').lang, 'zh', 'a Latin brand name inside Chinese');
});

test('Latin-script languages by their letters and little words', () => {
  const cases = {
    en: 'Where does the Nile flow into the sea?',
    de: 'Wo fließt der Nil ins Meer?',
    es: '¿Dónde está la biblioteca?',
    fr: 'Où se trouve la tour Eiffel ?',
    it: 'Dove si trova il Colosseo?',
    pt: 'Onde fica o Cristo Redentor?',
    tr: 'Kütüphane ne zaman açılıyor?',
    vi: 'Thư viện mở cửa lúc mấy giờ?',
    pl: 'Gdzie jest Kraków?',
  };
  for (const [lang, text] of Object.entries(cases)) assert.equal(detectLanguage(text).lang, lang, text);
});

test('"und" with a low confidence when there is nothing to go on', () => {
  for (const text of ['', '   ', '12345', '?!', 'Nil', 'Paris', 'OK']) {
    const d = detectLanguage(text);
    assert.equal(d.lang, 'und', JSON.stringify(text));
    assert.ok(d.confidence < 0.5);
  }
  assert.equal(detectLanguage(null).lang, 'und');
});

test('the built-in corpus: at most 1 % wrong, the rest right or undetermined', () => {
  const rows = read('www/demo/corpus.jsonl').trim().split('\n').map((l) => JSON.parse(l));
  let wrong = 0;
  let und = 0;
  for (const r of rows) {
    const d = detectLanguage(r.text);
    if (d.lang === 'und') und++;
    else if (d.lang !== r.lang) wrong++;
  }
  assert.equal(rows.length, 507);
  assert.ok(wrong <= rows.length * 0.01, `${wrong} passages detected as another language`);
  assert.ok(und <= rows.length * 0.02, `${und} passages undetermined`);
});

test('the built-in evaluation questions (short) are never given a wrong language', () => {
  let n = 0;
  let und = 0;
  for (const lang of ['en', 'de', 'es', 'ar', 'hi', 'zh', 'ru', 'vi']) {
    const set = JSON.parse(read(`www/demo/eval/${lang}.json`));
    for (const art of set.data) for (const p of art.paragraphs) for (const qa of p.qas) {
      n++;
      const d = detectLanguage(qa.question);
      if (d.lang === 'und') und++;
      else assert.equal(d.lang, lang, qa.question);
    }
  }
  assert.equal(n, 512);
  assert.ok(und <= n * 0.02, `${und} of ${n} questions undetermined`);
});

test('language names for the UI', () => {
  assert.equal(languageName('de'), 'German');
  assert.equal(languageName('zh'), 'Chinese');
  assert.equal(languageName('und'), 'Undetermined');
  assert.equal(languageName('sv'), 'Swedish', 'falls back to Intl.DisplayNames');
  assert.equal(languageName('not a code!'), 'not a code!');
  assert.equal(languageName(''), 'Undetermined');
});

// A stand-in for www/worker.js that speaks PROTOCOL.md with made-up but well-formed, deterministic answers, so
// the page can be tested without the wasm engine. The UI test serves it in place of worker.js (page.route)
// and may put `self.MOCK_CONFIG = { … }` in front of it:
//   gpu: false          — `auto`/`gpu` loads fall back to the CPU, with a reason
//   fail: { op: msg }   — that request fails with this message
//   delay: ms           — pause between progress messages (default 20)
//   tagged: true        — evalRun's report uses serde's internally tagged form {"protocol": "lareqa", …}; a BEIR
//                         report always does ({"protocol": "trec", …}, as the real worker) unless tagged is false
// A BEIR folder (evalLoad with `beir`) is parsed for real (gzip included); evalRun ranks its documents by
// trigram cosine plus seeded noise and computes trec_eval's measures from that ranking.
// Search scores are character-trigram cosines (so "Nil" finds "Nile", "Nilo", "Nil"); evaluation scores are
// seeded noise plus a boost for correct answers and a model-dependent boost for the question's own language,
// and every metric is then computed from those rankings the way src/eval/protocol.rs defines it.

const cfg = self.MOCK_CONFIG ?? {};
const pause = (ms = cfg.delay ?? 20) => new Promise((r) => setTimeout(r, ms));

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
// Uniform in [0, 1) from a few integers, without state.
function noise(a, b, c) {
  let x = (Math.imul(a + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^ Math.imul(c + 0x27d4eb2f, 0x165667b1)) >>> 0;
  x ^= x >>> 15; x = Math.imul(x, 0x2c1b3c6d) >>> 0; x ^= x >>> 12; x = Math.imul(x, 0x297a2d39) >>> 0; x ^= x >>> 15;
  return (x >>> 0) / 4294967296;
}

function trigrams(text) {
  const t = ` ${String(text).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
  const m = new Map();
  const cs = Array.from(t);
  for (let i = 0; i + 3 <= cs.length; i++) {
    const g = cs[i] + cs[i + 1] + cs[i + 2];
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  let n = 0;
  for (const v of m.values()) n += v * v;
  return { m, norm: Math.sqrt(n) || 1 };
}
function cosine(a, b) {
  let d = 0;
  const [small, big] = a.m.size < b.m.size ? [a, b] : [b, a];
  for (const [g, v] of small.m) d += v * (big.m.get(g) ?? 0);
  return d / (a.norm * b.norm);
}

const slots = { A: null, B: null };
let evalSet = null;

function need(slot) {
  if (slot !== 'A' && slot !== 'B') throw new Error(`"${slot}" is not a model slot (A or B)`);
  if (!slots[slot]) throw new Error(`no model is loaded in slot ${slot} yet`);
  return slots[slot];
}

function backendFor(asked) {
  if (asked === 'cpu') return { name: 'cpu', device: 'wasm', fallback: null };
  if (cfg.gpu === false) return { name: 'cpu', device: 'wasm', fallback: 'this browser offers no WebGPU adapter (navigator.gpu is missing)' };
  return { name: 'gpu', device: cfg.adapter ?? 'Mock GPU (SwiftShader)', fallback: null };
}

const decode = (u8) => new TextDecoder().decode(u8);

// ---- evaluation set: LAReQA (SQuAD-style with sentence spans) ----------------------------------------
function parseLareqa(name, bytes) {
  const m = name.match(/^([a-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\.json$/);
  if (!m) throw new Error(`${name}: LAReQA files must be named after their language, like en.json`);
  const lang = m[1];
  let j;
  try {
    j = JSON.parse(decode(bytes));
  } catch (err) {
    throw new Error(`${name} is not valid JSON (${err.message})`);
  }
  if (!Array.isArray(j?.data)) throw new Error(`${name} is not a LAReQA file: it has no "data" list of articles`);
  const sentences = [];
  const questions = [];
  let skipped = 0;
  j.data.forEach((art, a) => (art.paragraphs ?? []).forEach((par, p) => {
    const ctx = Array.from(par.context ?? '');
    const sents = par.sentences ?? String(par.context ?? '').split(/(?<=[.。।!?])\s*/u).filter(Boolean);
    const breaks = par.sentence_breaks ?? [];
    const first = sentences.length;
    sents.forEach((s, k) => sentences.push({ lang, text: s, key: `${a}-${p}-${k}` }));
    for (const qa of par.qas ?? []) {
      const start = qa.answers?.[0]?.answer_start;
      let k = breaks.findIndex(([s, e]) => start >= s && start < e);
      if (k < 0 && !breaks.length && Number.isFinite(start)) k = 0;
      if (k < 0 || start > ctx.length) {
        skipped++;
        continue;
      }
      questions.push({ lang, id: String(qa.id), xling_id: String(qa.id), text: qa.question, answer: first + k });
    }
  }));
  return { lang, sentences, questions, skipped };
}

function buildSet(parts) {
  parts.sort((a, b) => a.lang.localeCompare(b.lang));
  const candidates = [];
  const questions = [];
  let skipped = 0;
  for (const part of parts) {
    const offset = candidates.length;
    part.sentences.forEach((s, k) => candidates.push({ index: offset + k, id: `${part.lang}-${s.key}`, lang: s.lang, text: s.text }));
    for (const q of part.questions) questions.push({ ...q, answer: offset + q.answer });
    skipped += part.skipped;
  }
  // The relevant candidates of a question: the answer sentence of every question with the same xling id.
  const byX = new Map();
  for (const q of questions) {
    if (!byX.has(q.xling_id)) byX.set(q.xling_id, []);
    byX.get(q.xling_id).push(q.answer);
  }
  questions.forEach((q, i) => {
    q.index = i;
    q.relevant = [...new Set(byX.get(q.xling_id))];
  });
  return { kind: 'lareqa', languages: parts.map((p) => p.lang), candidates, questions, skipped, groups: byX.size };
}

// ---- evaluation set: BEIR (corpus.jsonl, queries.jsonl, qrels/{split}.tsv) -----------------------------
async function text(part) {
  const { name, bytes } = part;
  if (!/\.gz$/i.test(name)) return decode(bytes);
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return decode(new Uint8Array(await new Response(stream).arrayBuffer()));
  } catch (err) {
    throw new Error(`${name} is not a valid gzip file (${err.message})`);
  }
}

function jsonLines(name, body, what) {
  const out = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let j;
    try {
      j = JSON.parse(line);
    } catch {
      throw new Error(`${name} line ${i + 1} is not valid JSON`);
    }
    if (typeof j?._id !== 'string' && typeof j?._id !== 'number') throw new Error(`${name} line ${i + 1}: the ${what} has no "_id"`);
    out.push({ id: String(j._id), title: String(j.title ?? ''), text: String(j.text ?? '') });
  });
  return out;
}

async function parseBeir(beir) {
  for (const part of ['corpus', 'queries', 'qrels']) {
    if (!(beir[part]?.bytes instanceof Uint8Array)) throw new Error(`the BEIR folder has no ${part} file`);
  }
  const documents = jsonLines(beir.corpus.name, await text(beir.corpus), 'document');
  if (!documents.length) throw new Error(`${beir.corpus.name}: the corpus is empty`);
  const allQueries = jsonLines(beir.queries.name, await text(beir.queries), 'query');
  const qrels = new Map(); // query id → Map(document id → grade)
  (await text(beir.qrels)).split(/\r?\n/).forEach((line, i) => {
    const cols = line.trim().split(/\t/);
    if (!line.trim() || (i === 0 && /^query[-_]?id$/i.test(cols[0]))) return;
    if (cols.length !== 3 && cols.length !== 4) throw new Error(`${beir.qrels.name} line ${i + 1} has ${cols.length} columns (query id, document id and score expected)`);
    const [q, d, grade] = cols.length === 3 ? cols : [cols[0], cols[2], cols[3]];
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q).set(d, Number(grade));
  });
  const queries = allQueries.filter((q) => qrels.has(q.id));
  if (!queries.length) throw new Error(`${beir.qrels.name}: no query of ${beir.queries.name} has a judgement`);
  const known = new Set(documents.map((d) => d.id));
  const unknown = new Set([...qrels.values()].flatMap((m) => [...m.keys()]).filter((d) => !known.has(d)));
  return { kind: 'beir', documents, queries, qrels, unknownDocuments: unknown.size };
}

// trec_eval's ndcg_cut_10, map, recall_100, recip_rank and P_10 of one query's ranking (document ids).
function trecOfQuery(order, judged) {
  const rel = [...judged].filter(([, g]) => g > 0);
  const relevant = new Map(rel);
  const nrel = rel.length;
  let ap = 0;
  let hits = 0;
  let rr = 0;
  let dcg = 0;
  let r100 = 0;
  let p10 = 0;
  order.forEach((id, i) => {
    const g = relevant.get(id);
    if (!g) return;
    hits++;
    ap += hits / (i + 1);
    if (!rr) rr = 1 / (i + 1);
    if (i < 10) {
      dcg += g / Math.log2(i + 2);
      p10++;
    }
    if (i < 100) r100++;
  });
  const ideal = rel.map(([, g]) => g).sort((a, b) => b - a).slice(0, 10);
  const idcg = ideal.reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  return { ndcg_cut_10: idcg ? dcg / idcg : 0, map: nrel ? ap / nrel : 0, recall_100: nrel ? r100 / nrel : 0, recip_rank: rr, P_10: p10 / 10 };
}

async function evalRunBeir(s, name, progress) {
  const { documents, queries, qrels } = evalSet;
  const seed = hash(s.name);
  const docTri = [];
  for (let i = 0; i < documents.length; i++) {
    docTri.push(trigrams(`${documents[i].title} ${documents[i].text}`));
    if (i % 160 === 159 || i === documents.length - 1) {
      progress({ phase: 'candidates', done: i + 1, total: documents.length, unit: 'candidates' });
      await pause();
    }
  }
  progress({ phase: 'questions', done: queries.length, total: queries.length, unit: 'questions' });
  await pause();
  const names = ['ndcg_cut_10', 'map', 'recall_100', 'recip_rank', 'P_10'];
  const sums = Object.fromEntries(names.map((n) => [n, 0]));
  queries.forEach((q, qi) => {
    const qt = trigrams(q.text);
    const scored = documents.map((d, di) => ({ id: d.id, score: cosine(qt, docTri[di]) + 0.15 * noise(seed, qi, di) }));
    // trec_eval's order: score descending, then document id descending.
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const m = trecOfQuery(scored.slice(0, 1000).map((x) => x.id), qrels.get(q.id));
    for (const n of names) sums[n] += m[n];
  });
  const scores = { queries: queries.length, measures: names.map((n) => [n, sums[n] / queries.length]) };
  const report = {
    model: name ?? s.name, dataset: evalSet.name, candidates: 'title+text', perturbation: null, seed: 13,
    questions: queries.length, candidate_count: documents.length,
    systems: [{ name: 'dense', encode_seconds: 0.42, rank_seconds: 0.03, scores: cfg.tagged === false ? { Trec: scores } : { protocol: 'trec', ...scores } }],
  };
  return { report, secs: 0.5 };
}

const needLareqa = () => {
  if (!evalSet) throw new Error('no evaluation set is loaded');
  if (evalSet.kind === 'beir') throw new Error('the bias view needs a multilingual (LAReQA) set; a BEIR set is monolingual');
};

// ---- metrics, as src/eval/protocol.rs and bias.rs define them ----------------------------------------
function apFromRanks(ranks) {
  const r = [...ranks].sort((a, b) => a - b);
  return r.length ? r.reduce((s, rank, i) => s + (i + 1) / rank, 0) / r.length : 0;
}
const recallAt = (ranks, k) => (ranks.length ? ranks.filter((r) => r <= k).length / ranks.length : 0);
function mean(parts) {
  const n = Math.max(1, parts.length);
  return {
    map: parts.reduce((s, p) => s + p.ap, 0) / n,
    recall_1: parts.reduce((s, p) => s + p.r1, 0) / n,
    recall_10: parts.reduce((s, p) => s + p.r10, 0) / n,
    queries: parts.length,
  };
}
function macro(list) {
  const xs = list.filter((s) => s.queries > 0);
  const n = Math.max(1, xs.length);
  return {
    map: xs.reduce((s, x) => s + x.map, 0) / n,
    recall_1: xs.reduce((s, x) => s + x.recall_1, 0) / n,
    recall_10: xs.reduce((s, x) => s + x.recall_10, 0) / n,
    queries: xs.reduce((s, x) => s + x.queries, 0),
  };
}

// ---- requests -------------------------------------------------------------------------------------------
const handlers = {
  async load({ slot, source, backend }, progress) {
    if (slot !== 'A' && slot !== 'B') throw new Error(`"${slot}" is not a model slot (A or B)`);
    const url = source?.url;
    const files = source?.files;
    if (!url && !files) throw new Error('no model was given (neither an address nor files)');
    let name;
    let total;
    if (url) {
      name = url.replace(/\/resolve\/[^/]+$/, '').split('/').filter(Boolean).pop();
      if (/missing|404/.test(url)) throw new Error(`${url}/tokenizer.json: download failed (HTTP 404)`);
      total = 500000 + (hash(url) % 500000);
    } else {
      if (files['config.json']) {
        let conf;
        try {
          conf = JSON.parse(decode(files['config.json']));
        } catch (err) {
          throw new Error(`config.json is not valid JSON (${err.message})`);
        }
        if (conf.model_type && !['xlm-roberta', 'bert', 'roberta'].includes(conf.model_type)) {
          throw new Error(`config.json: the model type "${conf.model_type}" is not supported (LingBridge runs BERT-style encoders such as XLM-R)`);
        }
        for (const f of ['model.safetensors', 'tokenizer.json']) if (!files[f]) throw new Error(`the model has no ${f}`);
      } else if (!files['model.gguf']) {
        throw new Error('these files are not a model: there is no config.json and no model.gguf');
      }
      name = files['model.gguf'] ? 'model.gguf' : 'your model';
      total = Object.values(files).reduce((s, u8) => s + u8.byteLength, 0);
    }
    for (let i = 1; i <= 4; i++) {
      progress({ phase: 'download', done: Math.round((total * i) / 4), total, unit: 'bytes' });
      await pause();
    }
    const b = backendFor(backend);
    // How strongly this model favours the question's language: differs per model, stable per name.
    const langBoost = 0.05 + (hash(name) % 25) / 100;
    slots[slot] = { name, backend: b, index: [], runs: null, langBoost };
    return {
      info: { layers: 2, hidden: 32, heads: 4, vocab: 1000, max_tokens: 512, pooling: 'mean', dim: 32 },
      backend: b, loadMs: 300 + (hash(name) % 500), bytes: total, cached: false,
    };
  },

  async unload({ slot }) {
    slots[slot] = null;
    return {};
  },

  async index({ slot, passages, append }, progress) {
    const s = need(slot);
    if (!Array.isArray(passages)) throw new Error('no passages were given');
    passages.forEach((p, i) => {
      if (typeof p?.text !== 'string' || !p.text.trim()) throw new Error(`passage ${i + 1} (${p?.id ?? 'no id'}) has no text`);
    });
    if (!append) s.index = [];
    // As the real worker: a `cancel` between two chunks keeps what is indexed and says so.
    cancelRequested = false;
    let cancelled = false;
    for (let i = 0; i < passages.length; i += 128) {
      if (cancelRequested) {
        cancelled = true;
        break;
      }
      for (const p of passages.slice(i, i + 128)) s.index.push({ ...p, tri: trigrams(p.text) });
      progress({ phase: 'index', done: Math.min(i + 128, passages.length), total: passages.length, unit: 'passages' });
      await pause();
    }
    const languages = {};
    for (const p of s.index) languages[p.lang] = (languages[p.lang] ?? 0) + 1;
    const secs = passages.length / 400 + 0.05;
    return { count: s.index.length, secs, passagesPerSecond: passages.length / secs, languages, cancelled };
  },

  async search({ slot, query, k = 10, langs }) {
    const s = need(slot);
    if (!s.index.length) throw new Error('nothing is indexed yet');
    const q = trigrams(query);
    const keep = Array.isArray(langs) ? new Set(langs) : null;
    const hits = s.index
      .filter((p) => !keep || keep.has(p.lang))
      .map((p) => ({ id: p.id, lang: p.lang, text: p.text, score: 0.2 + 0.75 * cosine(q, p.tri) + 0.02 * noise(hash(query), hash(p.id), 1) }))
      .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
      .slice(0, k)
      .map((h, i) => ({ rank: i + 1, ...h }));
    return { hits, encodeMs: 4.2 + (hash(query) % 40) / 10, rankMs: 0.3, backend: s.backend };
  },

  async evalLoad(args, progress) {
    if (args.beir) {
      progress({ phase: 'load', done: 0, total: 3, unit: 'files' });
      const set = await parseBeir(args.beir);
      evalSet = { ...set, name: args.name ?? 'BEIR folder' };
      for (const s of Object.values(slots)) if (s) s.runs = null;
      return { kind: 'beir', documents: set.documents.length, queries: set.queries.length, judged: set.queries.length, unknownDocuments: set.unknownDocuments };
    }
    const parts = [];
    if (args.files) {
      const names = Object.keys(args.files);
      if (!names.length) throw new Error('no evaluation files were given');
      names.forEach((n, i) => {
        parts.push(parseLareqa(n, args.files[n]));
        progress({ phase: 'load', done: i + 1, total: names.length, unit: 'files' });
      });
    } else if (args.url) {
      for (const lang of args.langs ?? []) {
        const u = `${args.url}/${lang}.json`;
        let res;
        try {
          res = await fetch(u);
        } catch (err) {
          throw new Error(`${u}: download failed (${err.message})`);
        }
        if (!res.ok) throw new Error(`${u}: download failed (HTTP ${res.status})`);
        parts.push(parseLareqa(`${lang}.json`, new Uint8Array(await res.arrayBuffer())));
      }
    } else {
      throw new Error('no evaluation set was given (neither files nor an address)');
    }
    evalSet = buildSet(parts);
    for (const s of Object.values(slots)) if (s) s.runs = null;
    return { kind: 'lareqa', languages: evalSet.languages, questions: evalSet.questions.length, candidates: evalSet.candidates.length, groups: evalSet.groups, skipped: evalSet.skipped };
  },

  async evalRun({ slot, name }, progress) {
    const s = need(slot);
    if (!evalSet) throw new Error('no evaluation set is loaded');
    if (evalSet.kind === 'beir') return evalRunBeir(s, name, progress);
    const { candidates, questions, languages } = evalSet;
    const seed = hash(s.name);
    for (let i = 0; i < candidates.length; i += 160) {
      progress({ phase: 'candidates', done: Math.min(i + 160, candidates.length), total: candidates.length, unit: 'candidates' });
      await pause();
    }
    for (let i = 0; i < questions.length; i += 128) {
      progress({ phase: 'questions', done: Math.min(i + 128, questions.length), total: questions.length, unit: 'questions' });
      await pause();
    }
    const runs = [];
    const langIndex = new Map(languages.map((l, i) => [l, i]));
    const pairParts = languages.map(() => languages.map(() => []));
    const mulParts = [];
    const perLang = {};
    const biasAcc = {};
    questions.forEach((q, qi) => {
      const rel = new Set(q.relevant);
      const scores = new Float64Array(candidates.length);
      for (const c of candidates) {
        // Correct answers in other languages get less of a boost: what makes Cr harder than Mo in real models.
        const same = c.lang === q.lang;
        scores[c.index] = noise(seed, qi, c.index) + (rel.has(c.index) ? (same ? 0.75 : 0.75 - s.langBoost) : 0) + (same ? s.langBoost : 0);
      }
      const order = Array.from(candidates.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
      const rankOf = new Int32Array(candidates.length);
      order.forEach((c, r) => { rankOf[c] = r + 1; });
      runs.push({ order, scores, rankOf });
      const ranks = q.relevant.map((c) => rankOf[c]);
      const part = { ap: apFromRanks(ranks), r1: recallAt(ranks, 1), r10: recallAt(ranks, 10) };
      mulParts.push(part);
      (perLang[q.lang] ??= []).push(part);
      // Per language pair: the ranking restricted to one language's candidates.
      const qi2 = langIndex.get(q.lang);
      languages.forEach((p, pi) => {
        const relP = q.relevant.filter((c) => candidates[c].lang === p);
        if (!relP.length) return;
        const poolRanks = [];
        let r = 0;
        for (const c of order) {
          if (candidates[c].lang !== p) continue;
          r++;
          if (rel.has(c)) poolRanks.push(r);
        }
        pairParts[qi2][pi].push({ ap: apFromRanks(poolRanks), r1: recallAt(poolRanks, 1), r10: recallAt(poolRanks, 10) });
      });
      const top = order.slice(0, 10);
      const share = top.filter((c) => candidates[c].lang === q.lang).length / top.length;
      const b = (biasAcc[q.lang] ??= { n: 0, rd: 0, share: 0 });
      b.n++;
      b.rd += Math.max(...ranks) - Math.min(...ranks);
      b.share += share;
      if (qi % 128 === 127) progress({ phase: 'rank', done: qi + 1, total: questions.length, unit: 'questions' });
    });
    progress({ phase: 'rank', done: questions.length, total: questions.length, unit: 'questions' });
    await pause();
    s.runs = runs;
    const pairs = pairParts.map((row) => row.map(mean));
    const perLanguageBias = {};
    for (const l of languages) {
      const b = biasAcc[l];
      if (b) perLanguageBias[l] = { queries: b.n, rank_distance: b.rd / b.n, same_language_top10: b.share / b.n };
    }
    const pl = Object.values(perLanguageBias);
    const scores = {
      languages,
      mo: macro(languages.map((_, i) => pairs[i][i])),
      cr: macro(languages.flatMap((_, i) => languages.map((__, j) => (i === j ? { queries: 0 } : pairs[i][j])))),
      mul: mean(mulParts),
      pairs,
      mul_per_language: Object.fromEntries(languages.map((l) => [l, mean(perLang[l] ?? [])])),
      bias: {
        rank_distance: pl.reduce((x, b) => x + b.rank_distance, 0) / Math.max(1, pl.length),
        same_language_top10: pl.reduce((x, b) => x + b.same_language_top10, 0) / Math.max(1, pl.length),
        per_language: perLanguageBias,
      },
    };
    const report = {
      model: name ?? s.name, dataset: 'lareqa', candidates: 'sentence', perturbation: null, seed: 13,
      questions: questions.length, candidate_count: candidates.length,
      systems: [{ name: 'dense', encode_seconds: 1.25, rank_seconds: 0.08, scores: cfg.tagged ? { protocol: 'lareqa', ...scores } : { Lareqa: scores } }],
    };
    return { report, secs: 1.4 };
  },

  async evalQuestions({ lang } = {}) {
    needLareqa();
    return {
      questions: evalSet.questions.filter((q) => !lang || q.lang === lang)
        .map(({ index, id, lang: l, xling_id, text }) => ({ index, id, lang: l, xling_id, text })),
    };
  },

  async evalQuestion({ slot, index }) {
    needLareqa();
    const s = need(slot);
    if (!s.runs) throw new Error(`model ${slot} has not been evaluated on this set yet`);
    const q = evalSet.questions[index];
    if (!q) throw new Error(`there is no question number ${index}`);
    const run = s.runs[index];
    const rel = new Set(q.relevant);
    const answers = q.relevant.map((c) => ({ lang: evalSet.candidates[c].lang, rank: run.rankOf[c], id: evalSet.candidates[c].id, text: evalSet.candidates[c].text }));
    const ranks = answers.map((a) => a.rank);
    return {
      question: { index: q.index, id: q.id, lang: q.lang, xling_id: q.xling_id, text: q.text },
      answers,
      rankDistance: Math.max(...ranks) - Math.min(...ranks),
      top: run.order.slice(0, 10).map((c, i) => ({ rank: i + 1, id: evalSet.candidates[c].id, lang: evalSet.candidates[c].lang, text: evalSet.candidates[c].text, score: run.scores[c], relevant: rel.has(c) })),
    };
  },

  async embed({ texts, kind }) {
    const s = need('A');
    const data = [];
    const ids = texts.map((t) => [0, ...(t.match(/\S+/gu) ?? []).map((w) => 5 + (hash(w) % 995)), 2]);
    for (const t of texts) {
      const v = Array.from({ length: 32 }, (_, i) => noise(hash(`${kind}:${t}`), i, 7) * 2 - 1);
      const n = Math.hypot(...v);
      data.push(...v.map((x) => x / n));
    }
    return { data, dim: 32, ms: 3.1, ids, backend: s.backend };
  },

  async speed({ texts, rounds }) {
    const s = need('A');
    await pause(50);
    return { embeddingsPerSecond: 256.5, count: texts.length * rounds, secs: (texts.length * rounds) / 256.5, backend: s.backend };
  },
};

let queue = Promise.resolve();
let cancelRequested = false;
self.onmessage = ({ data }) => {
  const { id, op, args } = data;
  if (op === 'cancel') {
    // Not queued, as in www/worker.js: it must reach the running request.
    cancelRequested = true;
    self.postMessage({ id, ok: true, result: {} });
    return;
  }
  queue = queue.then(async () => {
    try {
      if (cfg.fail?.[op]) throw new Error(cfg.fail[op]);
      const handler = handlers[op];
      if (!handler) throw new Error(`unknown request ${op}`);
      const result = await handler(args ?? {}, (progress) => self.postMessage({ id, progress }));
      self.postMessage({ id, ok: true, result });
    } catch (err) {
      self.postMessage({ id, ok: false, error: String(err?.message ?? err) });
    }
  });
};

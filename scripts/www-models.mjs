// Puts the built-in models of models/catalog.json under www/models/ and writes www/models/index.json, the
// picker's list (PROTOCOL.md): each model's size and a version (a hash of its bytes) that the page's cache
// keys on, so a changed model is downloaded again. Run by `make www-models`, after it has built the files
// the catalog lists without a `source`.
//
// Each built-in model also gets the built-in corpus's passage embeddings (`www/models/<id>.corpus.<dtype>`,
// computed by `lingbridge embed` on the CPU), so the page's Search tab need not encode 500 passages before it
// answers. The corpus is parsed with the page's own parser (www/corpus-parse.js), so texts and order are exactly
// what the page would encode. Embeddings whose model version and corpus hash are unchanged are kept (the
// 12-layer default, e5-small-base, takes about a minute for the 507 passages on two cores; the small ones seconds).
//
//   node scripts/www-models.mjs [--dtype f32|f16]      (LINGBRIDGE_BIN: the CLI, default target/debug/lingbridge)
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCorpus } from '../www/corpus-parse.js';

const { values: opt } = parseArgs({ options: { dtype: { type: 'string', default: 'f32' } } });
if (!['f32', 'f16'].includes(opt.dtype)) throw new Error(`--dtype ${opt.dtype}: expected f32 or f16`);
const BIN = process.env.LINGBRIDGE_BIN ?? 'target/debug/lingbridge';
const CORPUS = 'www/demo/corpus.jsonl';

const catalog = JSON.parse(readFileSync('models/catalog.json', 'utf8'));
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function files(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true }).map((f) => join(path, f)).filter((f) => statSync(f).isFile()).sort();
}

// The previous index.json: its embeddings are reused when nothing they depend on changed.
let previous = {};
try {
  for (const m of JSON.parse(readFileSync('www/models/index.json', 'utf8')).models) previous[m.id] = m.corpus_embeddings;
} catch {
  previous = {};
}

const corpusBytes = readFileSync(CORPUS);
const corpusSha256 = sha256(corpusBytes);
const corpus = parseCorpus(corpusBytes.toString('utf8'), 'corpus.jsonl');
if (corpus.problems.length) throw new Error(`${CORPUS}: ${corpus.problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`);

/** The corpus's passage embeddings for one model: the index.json entry, the file written (or kept) beside it. */
function corpusEmbeddings(id, model, modelVersion) {
  if (!/^[\w.-]+$/.test(id)) throw new Error(`models/catalog.json: model id ${JSON.stringify(id)} cannot name a file`);
  const url = `models/${id}.corpus.${opt.dtype}`;
  const path = join('www', url);
  // A file of the other type would only be stale weight in the page's directory.
  rmSync(join('www', `models/${id}.corpus.${opt.dtype === 'f32' ? 'f16' : 'f32'}`), { force: true });
  const old = previous[id];
  if (old && old.url === url && old.model_version === modelVersion && old.corpus_sha256 === corpusSha256 && existsSync(path)) {
    const data = readFileSync(path);
    if (data.length === old.bytes && sha256(data).startsWith(old.version)) return { entry: old, secs: 0 };
  }
  const t0 = Date.now();
  // One JSON string per line: texts with line breaks stay whole.
  const input = corpus.passages.map((p) => JSON.stringify(p.text)).join('\n') + '\n';
  execFileSync(BIN, ['embed', '--model', model, '--backend', 'cpu', '--kind', 'passage', '--input', 'json', '--format', opt.dtype, '--out', path],
    { input, stdio: ['pipe', 'ignore', 'inherit'] });
  const data = readFileSync(path);
  const count = corpus.passages.length;
  const dim = data.length / (count * (opt.dtype === 'f32' ? 4 : 2));
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${path}: ${data.length} bytes is not ${count} vectors`);
  const entry = { url, bytes: data.length, dtype: opt.dtype, dim, count, version: sha256(data).slice(0, 16), corpus_sha256: corpusSha256, model_version: modelVersion };
  return { entry, secs: (Date.now() - t0) / 1000 };
}

const lines = [];
const models = catalog.models.map((m) => {
  const target = join('www', m.url);
  if (m.source) {
    if (!existsSync(m.source)) throw new Error(`models/catalog.json: ${m.id}: ${m.source} does not exist`);
    rmSync(target, { recursive: true, force: true });
    cpSync(m.source, target, { recursive: true });
  }
  if (!existsSync(target)) throw new Error(`models/catalog.json: ${m.id}: ${target} does not exist (not built?)`);
  const hash = createHash('sha256');
  let bytes = 0;
  for (const f of files(target)) {
    const data = readFileSync(f);
    hash.update(f.slice(target.length)).update(data);
    bytes += data.length;
  }
  const { source, ...entry } = m;
  const version = hash.digest('hex').slice(0, 16);
  const emb = corpusEmbeddings(m.id, target, version);
  lines.push(`${m.id} (${(bytes / 1e6).toFixed(2)} MB; corpus embeddings ${emb.entry.count} × ${emb.entry.dim} ${emb.entry.dtype}, ` +
    `${(emb.entry.bytes / 1e3).toFixed(0)} kB, ${emb.secs ? `computed in ${emb.secs.toFixed(1)} s` : 'unchanged'})`);
  return { ...entry, bytes, version, corpus_embeddings: emb.entry };
});
for (const key of ['default', 'compare']) {
  if (catalog[key] !== undefined && !models.some((m) => m.id === catalog[key])) throw new Error(`models/catalog.json: ${key} ${catalog[key]} is not listed`);
}
const index = { default: catalog.default, ...(catalog.compare ? { compare: catalog.compare } : {}), models };
writeFileSync('www/models/index.json', JSON.stringify(index, null, 2) + '\n');
console.log(`www/models/index.json:\n  ${lines.join('\n  ')}`);

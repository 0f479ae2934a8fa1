// The page's 12-layer models as shipped, without running them: the browser suites use small models (page.test.mjs
// names one in every address), so this is the one check that their entries, files and headers are sound: the
// default (hybrid-tuned), the X-X-mono-tuned model and the base model the bias view opens with beside it.
// No inference: the 12-layer model would take minutes in wasm; its numerics are tests/base_model.rs's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { catalogue } from './harness.mjs';

const DEFAULT = 'e5-small-hybrid';
const COMPARE = 'e5-small-base';
const E5 = ['e5-small-hybrid', 'e5-small-mono', 'e5-small-base'];

/** GGUF v2/v3 header: metadata (strings, numbers, arrays summarised) and tensor shapes. Offsets are not read. */
function readGgufHeader(buf) {
  let o = 0;
  const need = (n) => { if (o + n > buf.length) throw new Error(`GGUF header runs past the file's end at byte ${o}`); };
  const u32 = () => { need(4); const v = buf.readUInt32LE(o); o += 4; return v; };
  const u64 = () => { need(8); const v = Number(buf.readBigUInt64LE(o)); o += 8; return v; };
  const str = () => { const n = u64(); need(n); const s = buf.toString('utf8', o, o + n); o += n; return s; };
  // GGUF value types: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool, 8 string, 9 array, 10 u64, 11 i64, 12 f64.
  const size = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (t) => {
    if (t === 8) return str();
    if (t === 9) { const et = u32(); const n = u64(); return Array.from({ length: n }, () => value(et)); }
    if (!(t in size)) throw new Error(`unknown GGUF value type ${t} at byte ${o}`);
    need(size[t]);
    const v = t === 4 ? buf.readUInt32LE(o) : t === 5 ? buf.readInt32LE(o) : t === 6 ? buf.readFloatLE(o) : buf[o];
    o += size[t];
    return v;
  };
  need(4);
  const magic = buf.toString('latin1', 0, 4);
  o = 4;
  const version = u32();
  const tensorCount = u64();
  const kvCount = u64();
  const meta = {};
  for (let i = 0; i < kvCount; i++) { const k = str(); meta[k] = value(u32()); }
  const tensors = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const dims = Array.from({ length: u32() }, () => u64());
    tensors.push({ name, dims, type: u32() });
    u64(); // offset into the data section
  }
  return { magic, version, meta, tensors };
}

/** An embedded model file as text: `lingbridge.file.<path>`, or (format 2) base64 gzip in `lingbridge.file_gzip.<path>`. */
function embedded(meta, path) {
  if (`lingbridge.file.${path}` in meta) return meta[`lingbridge.file.${path}`];
  const packed = meta[`lingbridge.file_gzip.${path}`];
  assert.ok(packed !== undefined, `${path} is not embedded`);
  return gunzipSync(Buffer.from(packed, 'base64')).toString('utf8');
}

test(`the shipped default is ${DEFAULT}, the bias view's suggested comparison ${COMPARE}`, () => {
  const index = catalogue();
  const catalog = JSON.parse(readFileSync('models/catalog.json', 'utf8'));
  assert.equal(index.default, DEFAULT, 'www/models/index.json');
  assert.equal(catalog.default, DEFAULT, 'models/catalog.json');
  assert.equal(index.compare, COMPARE, 'www/models/index.json');
  assert.equal(catalog.compare, COMPARE, 'models/catalog.json');
});

/** The embedded files of a shipped 12-layer model, after checking its entry, file and header against its card. */
function checkShipped(id) {
  const index = catalogue();
  const catalog = JSON.parse(readFileSync('models/catalog.json', 'utf8'));
  const entry = index.models.find((m) => m.id === id);
  assert.ok(entry, `${id} is not in www/models/index.json`);
  const source = catalog.models.find((m) => m.id === id).source;

  const path = join('www', entry.url);
  assert.ok(existsSync(path), `${path} is missing (make www-models)`);
  const data = readFileSync(path);
  assert.equal(data.length, entry.bytes, 'size in index.json');
  // scripts/www-models.mjs hashes a one-file model as its bytes (the relative path is empty).
  assert.equal(createHash('sha256').update('').update(data).digest('hex').slice(0, 16), entry.version, 'version in index.json');
  assert.ok(data.equals(readFileSync(source)), `${path} differs from ${source}`);

  const { magic, version, meta, tensors } = readGgufHeader(data);
  assert.equal(magic, 'GGUF');
  assert.ok(version === 2 || version === 3, `GGUF version ${version}`);
  assert.equal(meta['general.architecture'], 'bert');
  assert.equal(meta['lingbridge.scheme'], 'q4_0');
  assert.equal(meta['lingbridge.format_version'], 2);
  assert.ok(!('lingbridge.file.tokenizer.json' in meta), 'the tokenizer travels gzipped');
  const config = JSON.parse(embedded(meta, 'config.json'));
  const tokenizer = JSON.parse(embedded(meta, 'tokenizer.json'));
  const card = entry.card;
  assert.equal(config.num_hidden_layers, card.layers);
  assert.equal(config.hidden_size, card.hidden);
  assert.equal(config.num_attention_heads, card.heads);
  assert.equal(config.vocab_size, card.vocab);
  assert.equal(tokenizer.model.vocab.length, card.vocab, 'the embedded tokenizer has the trimmed vocabulary');
  const words = tensors.find((t) => t.name === 'embeddings.word_embeddings.weight');
  assert.deepEqual(words.dims, [card.hidden, card.vocab]);
  const layers = new Set(tensors.map((t) => t.name.match(/^encoder\.layer\.(\d+)\./)?.[1]).filter(Boolean));
  assert.equal(layers.size, card.layers);
  assert.equal(tensors.reduce((s, t) => s + t.dims.reduce((a, b) => a * b, 1), 0), card.params, 'parameters on the card');
  // E5's prompts travel in the file, so the page and `lingbridge embed` prefix queries and passages alike.
  const prompts = JSON.parse(embedded(meta, 'config_sentence_transformers.json')).prompts;
  assert.deepEqual(prompts, { query: 'query: ', passage: 'passage: ' });
  return { meta, tokenizer: embedded(meta, 'tokenizer.json') };
}

for (const id of E5) {
  test(`${id}: its file is the catalogue's, and its GGUF header matches its card`, () => {
    checkShipped(id);
  });
}

test('the tuned models carry the base model\'s trimmed tokenizer (same pieces, so one trim serves all three)', () => {
  const base = checkShipped('e5-small-base').tokenizer;
  for (const id of ['e5-small-hybrid', 'e5-small-mono']) assert.ok(checkShipped(id).tokenizer === base, `${id}'s tokenizer.json differs from the base's`);
});

// The built-in corpus's precomputed embeddings that `make www-models` ships with every built-in model
// (www/models/<id>.corpus.f32|f16): each file is what its index.json entry says (size, hash, corpus, model
// version), and its vectors equal live `lingbridge embed` on a sample of passages. No browser: the page's use
// of the files is page.test.mjs's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue, nativeEmbed } from './harness.mjs';
import { parseCorpus } from '../../www/corpus-parse.js';

const SAMPLE = 16; // passages per model, spread over the corpus (every language)

const corpusBytes = readFileSync('www/demo/corpus.jsonl');
const passages = parseCorpus(corpusBytes.toString('utf8'), 'corpus.jsonl').passages;

function decode(data, dtype) {
  if (dtype === 'f32') return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  // f16 → f32 by hand (Node has no Float16Array here).
  const out = new Float32Array(data.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = data.readUInt16LE(2 * i);
    const e = (h >> 10) & 31;
    const f = h & 1023;
    const v = e === 0 ? f * 2 ** -24 : e === 31 ? (f ? NaN : Infinity) : (1 + f / 1024) * 2 ** (e - 15);
    out[i] = h & 0x8000 ? -v : v;
  }
  return out;
}

for (const model of catalogue().models) {
  test(`${model.id}: the shipped corpus embeddings are this model's, for this corpus, and equal lingbridge embed`, () => {
    const e = model.corpus_embeddings;
    assert.ok(e, `${model.id} has no corpus_embeddings in www/models/index.json (run make www-models)`);
    assert.equal(e.model_version, model.version, 'computed with another version of the model');
    assert.equal(e.corpus_sha256, createHash('sha256').update(corpusBytes).digest('hex'), 'computed for another corpus');
    assert.equal(e.count, passages.length);
    const data = readFileSync(join('www', e.url));
    assert.equal(data.length, e.bytes);
    assert.equal(data.length, e.count * e.dim * (e.dtype === 'f32' ? 4 : 2));
    assert.ok(createHash('sha256').update(data).digest('hex').startsWith(e.version), 'content hash');
    const vectors = decode(data, e.dtype);

    const picks = Array.from({ length: SAMPLE }, (_, i) => Math.floor((i * passages.length) / SAMPLE));
    const live = nativeEmbed(join('www', model.url), picks.map((i) => passages[i].text), 'passage');
    let worstCos = 1;
    let worstDiff = 0;
    for (const [k, i] of picks.entries()) {
      const shipped = vectors.subarray(i * e.dim, (i + 1) * e.dim);
      assert.equal(live[k].length, e.dim);
      let dot = 0;
      for (let j = 0; j < e.dim; j++) {
        dot += shipped[j] * live[k][j];
        worstDiff = Math.max(worstDiff, Math.abs(shipped[j] - live[k][j]));
      }
      worstCos = Math.min(worstCos, dot);
    }
    // The same CPU path wrote both; only batch composition (padding, matmul shapes) may move the last bits.
    // f16 files round each value (~5e-4).
    assert.ok(worstDiff <= (e.dtype === 'f32' ? 1e-5 : 1e-3), `${model.id}: largest difference ${worstDiff}`);
    assert.ok(worstCos >= 0.9999, `${model.id}: lowest cosine ${worstCos}`);
  });
}

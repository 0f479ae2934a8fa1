// Models tab, "Inspect": embed one text with model A and look at the vector and token ids, or measure how
// many embeddings per second this browser computes. (The end-to-end test checks embeddings against
// Hugging Face's through these elements, so their ids stay as they are.)
import { engine } from '../engine.js';
import { $, h, fill } from './dom.js';
import { emit, on } from './state.js';
import { showError, clearError } from './errors.js';

const SAMPLES = [
  'Where does the train to the capital leave from?',
  'Когда открывается библиотека?',
  '图书馆几点开门？',
  'متى تفتح المكتبة؟',
  'पुस्तकालय कब खुलता है?',
  'Πού πηγαίνουν τα ποτάμια;',
];

function renderVector(vec) {
  // One cell per dimension: blue negative, red positive, scaled to the largest magnitude.
  const max = Math.max(...vec.map(Math.abs)) || 1;
  fill($('vector'), vec.map((v) => {
    const a = (Math.abs(v) / max).toFixed(3);
    return h('span', { class: 'cell', style: `background:${v >= 0 ? `rgba(200,60,40,${a})` : `rgba(40,90,200,${a})`}`, title: v.toFixed(6) });
  }));
}

async function embed() {
  clearError($('inspect-error'));
  const text = $('text').value;
  const kind = $('kind').value;
  $('embed').disabled = true;
  try {
    const { data, dim, ms, ids, backend } = await engine.call('embed', { texts: [text], kind });
    emit('backend', backend);
    emit('timing', { encodeMs: ms, label: 'embedding' });
    const values = Array.from(data);
    const norm = Math.sqrt(values.reduce((s, x) => s + x * x, 0));
    $('result').hidden = false;
    $('result').dataset.embedding = JSON.stringify(values);
    $('summary').textContent = `${dim} dimensions · ${ids[0].length} tokens · ‖v‖ = ${norm.toFixed(6)} · ${ms.toFixed(1)} ms`;
    $('ids').textContent = ids[0].join(' ');
    $('values').textContent = values.slice(0, 8).map((x) => x.toFixed(5)).join(', ') + ', …';
    renderVector(values);
  } catch (err) {
    showError($('inspect-error'), err, 'Could not embed the text');
  } finally {
    $('embed').disabled = false;
  }
}

async function speed() {
  clearError($('inspect-error'));
  $('speed').disabled = true;
  $('speed-result').textContent = 'Measuring…';
  delete $('speed-result').dataset.rate;
  try {
    const texts = Array.from({ length: 64 }, (_, i) => SAMPLES[i % SAMPLES.length]);
    const r = await engine.call('speed', { texts, rounds: 4 });
    emit('backend', r.backend);
    $('speed-result').textContent =
      `${r.embeddingsPerSecond.toFixed(1)} embeddings/s on ${r.backend.name.toUpperCase()} (${r.count} texts in ${r.secs.toFixed(2)} s)`;
    $('speed-result').dataset.rate = String(r.embeddingsPerSecond);
  } catch (err) {
    $('speed-result').textContent = '';
    showError($('inspect-error'), err, 'Could not measure the speed');
  } finally {
    $('speed').disabled = false;
  }
}

export function initInspect() {
  $('embed').addEventListener('click', embed);
  $('speed').addEventListener('click', speed);
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) embed();
  });
  fill($('samples'), SAMPLES.map((s) => h('button', {
    type: 'button', class: 'sample', onclick: () => { $('text').value = s; embed(); },
  }, h('bdi', {}, s))));
  const enable = (on_) => { $('embed').disabled = !on_; $('speed').disabled = !on_; };
  on('model-loading', ({ slot }) => slot === 'A' && enable(false));
  on('model-loaded', ({ slot }) => slot === 'A' && enable(true));
  on('model-failed', ({ slot, kept }) => slot === 'A' && kept && enable(true));
}

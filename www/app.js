// The page's UI: talks to worker.js by messages and renders what comes back. No arithmetic on embeddings
// happens here beyond display (norm and cosine are one-liners for showing, not ranking).
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 0;
const pending = new Map();
worker.onmessage = ({ data }) => {
  const p = pending.get(data.id);
  pending.delete(data.id);
  data.ok ? p.resolve(data.result) : p.reject(new Error(data.error));
};
worker.onerror = (e) => showError(`The engine failed to start: ${e.message || 'unknown error'}`);
function call(op, args) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}

const $ = (id) => document.getElementById(id);
// `?model=` loads another model: a directory in Hugging Face layout or a `lingbridge quantize` .gguf file.
const MODEL_BASE = new URLSearchParams(location.search).get('model') ?? 'models/tiny-xlmr';
const SAMPLES = [
  'Where does the train to the capital leave from?',
  'Когда открывается библиотека?',
  '图书馆几点开门？',
  'متى تفتح المكتبة؟',
  'पुस्तकालय कब खुलता है?',
  'Πού πηγαίνουν τα ποτάμια;',
];

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

function setStatus(text, state) {
  $('status').textContent = text;
  $('status').dataset.state = state;
}

// `?backend=cpu` forces the CPU; `gpu` takes any WebGPU adapter; `auto` (default) a hardware one.
const BACKEND = new URLSearchParams(location.search).get('backend') ?? 'auto';

// The badge says where the encoder runs, and why the CPU runs when a GPU was asked for.
function showBackend(b) {
  const badge = $('backend');
  badge.textContent = b.name === 'gpu' ? `WebGPU · ${b.device}` : 'CPU (wasm)';
  badge.dataset.backend = b.name;
  badge.title = b.fallback ? `Running on the CPU: ${b.fallback}` : `Where the encoder runs: ${b.device}`;
}

async function load() {
  setStatus('Loading model…', 'busy');
  try {
    const { info, backend, loadMs } = await call('load', { base: MODEL_BASE, backend: BACKEND });
    showBackend(backend);
    $('model-info').textContent =
      `${MODEL_BASE.split('/').pop()} · ${info.layers} layers · hidden ${info.hidden} · vocab ${info.vocab} · ` +
      `${info.pooling} pooling · up to ${info.max_tokens} tokens`;
    setStatus(`Ready (loaded in ${loadMs.toFixed(0)} ms)`, 'ready');
    $('embed').disabled = false;
    $('speed').disabled = false;
    document.body.dataset.ready = 'true';
  } catch (err) {
    setStatus('Not loaded', 'error');
    showError(`Could not load the model: ${err.message}`);
  }
}

function renderVector(vec) {
  // One coloured cell per dimension: blue negative, red positive, scaled to the largest magnitude.
  const max = Math.max(...vec.map(Math.abs)) || 1;
  const cells = vec.map((v) => {
    const a = Math.abs(v) / max;
    const color = v >= 0 ? `rgba(200,60,40,${a})` : `rgba(40,90,200,${a})`;
    return `<span class="cell" style="background:${color}" title="${v.toFixed(6)}"></span>`;
  });
  $('vector').innerHTML = cells.join('');
}

async function embed() {
  showError('');
  const text = $('text').value;
  const kind = $('kind').value;
  $('embed').disabled = true;
  try {
    const { data, dim, ms, ids, backend } = await call('embed', { texts: [text], kind });
    showBackend(backend);
    const norm = Math.sqrt(data.reduce((s, x) => s + x * x, 0));
    $('result').hidden = false;
    $('result').dataset.embedding = JSON.stringify(data);
    $('summary').textContent = `${dim} dimensions · ${ids[0].length} tokens · ‖v‖ = ${norm.toFixed(6)} · ${ms.toFixed(1)} ms`;
    $('ids').textContent = ids[0].join(' ');
    $('values').textContent = data.slice(0, 8).map((x) => x.toFixed(5)).join(', ') + ', …';
    renderVector(data);
  } catch (err) {
    showError(err.message);
  } finally {
    $('embed').disabled = false;
  }
}

async function speed() {
  showError('');
  $('speed').disabled = true;
  $('speed-result').textContent = 'Measuring…';
  try {
    const texts = Array.from({ length: 64 }, (_, i) => SAMPLES[i % SAMPLES.length]);
    const r = await call('speed', { texts, rounds: 4 });
    showBackend(r.backend);
    $('speed-result').textContent =
      `${r.embeddingsPerSecond.toFixed(1)} embeddings/s on ${r.backend.name.toUpperCase()} (${r.count} texts in ${r.secs.toFixed(2)} s)`;
    $('speed-result').dataset.rate = String(r.embeddingsPerSecond);
  } catch (err) {
    showError(err.message);
  } finally {
    $('speed').disabled = false;
  }
}

$('embed').addEventListener('click', embed);
$('speed').addEventListener('click', speed);
$('text').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) embed();
});
for (const s of SAMPLES) {
  const b = document.createElement('button');
  b.className = 'sample';
  b.textContent = s;
  b.addEventListener('click', () => { $('text').value = s; embed(); });
  $('samples').append(b);
}
load();

// The header: where the encoder runs (and why the CPU runs when a GPU was asked for), the Force CPU switch,
// model A's load status and the timing of the last request.
import { $ } from './dom.js';
import { state, on } from './state.js';
import { ms } from './format.js';

export function setStatus(text, kind) {
  const el = $('status');
  el.textContent = text;
  el.dataset.state = kind;
}

/** The badge says where the encoder runs; the note and the badge's tooltip say why the CPU runs. */
export function showBackend(b) {
  if (!b) return;
  const badge = $('backend');
  const note = $('backend-note');
  const cores = b.engines > 1 ? ` · ${b.engines} cores` : ' · 1 core';
  // The CPU's device names the wasm build: "CPU (wasm, relaxed SIMD)" or "CPU (wasm, SIMD128)".
  const cpu = b.device?.startsWith('CPU') ? b.device : 'CPU (wasm)';
  badge.textContent = b.name === 'gpu' ? `WebGPU · ${b.device || 'GPU'}` : `${cpu}${cores}`;
  badge.dataset.engines = String(b.engines ?? 1);
  badge.dataset.enginesReady = String(b.enginesReady ?? 1);
  if (b.memoryBytes) badge.dataset.memoryBytes = String(b.memoryBytes);
  const build = /relaxed SIMD/.test(cpu) ? ' Matrix products fuse each multiply-add (relaxed SIMD).'
    : /SIMD128/.test(cpu) ? ' Matrix products use plain SIMD128 (this browser has no relaxed SIMD, or ?wasm=simd128 asked for it).' : '';
  const memory = b.memoryBytes ? ` WebAssembly memory: ${Math.round(b.memoryBytes / 1e6)} MB.` : '';
  // Why fewer engines run than cores (a helper that failed to start or stopped): said in the tooltip.
  const fewer = b.enginesNote ? ` Long jobs run on ${b.engines} core${b.engines > 1 ? 's' : ''}: ${b.enginesNote}.` : '';
  const onCores = b.engines > 1
    ? ` Indexing and evaluations use ${b.engines} engines, one per core (${b.enginesReady} ready).`
    : ' Indexing and evaluations use one core.';
  badge.dataset.backend = b.name;
  if (b.fallback) {
    badge.title = `Running on the CPU: ${b.fallback.replace(/\.$/, '')}.${onCores}${fewer}${build}${memory}`;
    badge.dataset.tip = badge.title;
    // The note keeps to the gist; long technical asides (adapter probing details) stay in the tooltip.
    const gist = b.fallback.replace(/\s*\([^()]{40,}\)/g, '').trim().replace(/\.?$/, '.');
    note.textContent = `Running on the CPU: ${gist} Search still works, only more slowly.`;
    note.hidden = false;
  } else {
    badge.title = b.name === 'cpu' ? `Running on the CPU (WebAssembly), as asked.${onCores}${fewer}${build}${memory}` : `Running on the GPU through WebGPU: ${b.device}`;
    badge.dataset.tip = badge.title;
    note.hidden = true;
  }
}

export function setTiming(text) {
  $('timing').textContent = text;
}

/**
 * @param {(backend: string) => void} onSwitch called when the visitor flips Force CPU: reload the models
 */
export function initHeader(onSwitch) {
  const sw = $('force-cpu');
  sw.checked = state.backend === 'cpu';
  sw.setAttribute('aria-checked', String(sw.checked));
  sw.addEventListener('change', () => {
    sw.setAttribute('aria-checked', String(sw.checked));
    state.backend = sw.checked ? 'cpu' : 'auto';
    // Keep the choice in the address so a reload or a shared link runs the same way.
    const url = new URL(location.href);
    if (state.backend === 'cpu') url.searchParams.set('backend', 'cpu');
    else url.searchParams.delete('backend');
    history.replaceState(null, '', url);
    onSwitch(state.backend);
  });
  on('timing', ({ encodeMs, rankMs, label }) => {
    const parts = [`encoded in ${ms(encodeMs)}`];
    if (rankMs !== undefined) parts.push(`ranked in ${ms(rankMs)}`);
    setTiming(`Last ${label ?? 'query'}: ${parts.join(', ')}`);
  });
  on('backend', showBackend);
}

// Working offline: registers the service worker (sw.js), which keeps the page's own files so that the page
// opens without a network once it has been visited, and shows a quiet badge while the browser is offline
// (new models cannot download then; the ones already used come from the worker's cache).
import { $ } from './dom.js';
import { wasmUrl } from '../wasm-build.js';

// Service workers need a secure context: https, or plain http on this machine (a developer's own server).
// Anywhere else (a LAN address over http, file://) the page simply runs without one.
function allowed() {
  if (!('serviceWorker' in navigator)) return false;
  const { protocol, hostname } = location;
  return protocol === 'https:' || (protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(hostname));
}

async function register() {
  try {
    // The worker keeps the one wasm build this browser runs (www/wasm-build.js decides), not both: it is told
    // which through its address, since a service worker cannot import the page's modules everywhere.
    const sw = new URL('../sw.js', import.meta.url);
    sw.searchParams.set('wasm', wasmUrl().pathname.split('/').pop());
    await navigator.serviceWorker.register(sw);
  } catch {
    // Without it the page works as before, only not offline (private windows, storage turned off, a test
    // browser that blocks service workers): nothing to tell the visitor.
  }
}

export function initOffline() {
  const badge = $('offline');
  const show = () => { badge.hidden = navigator.onLine !== false; };
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
  if (!allowed()) return;
  // After the page has loaded, so that installing (which downloads the app's files once more) never delays it.
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}

// The service worker: the page works offline once it has been opened. Network first for the app's own files
// (the page, its modules and styles, the wasm package, the built-in passages and evaluation set, the model
// list): while online every request goes to the server as before, so a developer always gets the files just
// built, and each answer is also kept in a versioned cache, which answers only when the network fails.
// Installing fills that cache once, because the first visit's files load before this worker runs.
//
// Left alone (never answered here, so the browser fetches them as if there were no service worker): model
// files under models/ other than models/index.json — the worker keeps those in its own cache
// (lingbridge-models-v1) and checks their version itself — other origins (Hugging Face), and anything that
// is not a GET.

const CACHE = 'lingbridge-shell-v1';

// The wasm build the page runs (ui/offline.js passes www/wasm-build.js's choice in this file's address): only
// that one is kept, not both. A missing or odd value (a hand-typed address) means the plain SIMD128 build.
const WASM = ((name) => (/^[\w-]+_bg\.wasm$/.test(name ?? '') ? name : 'lingbridge_bg.wasm'))(new URL(self.location.href).searchParams.get('wasm'));
const PREFIX = 'lingbridge-shell-';

// The app shell, relative to this file. The UI test checks that every module and style sheet of www/ is here.
const SHELL = [
  'index.html',
  'style.css',
  'app.js', 'engine.js', 'corpus-parse.js', 'langid.js', 'worker.js', 'embed-pool.js', 'embed-helper.js', 'wasm-build.js',
  'ui/beir.js', 'ui/bias.js', 'ui/charts.js', 'ui/corpus.js', 'ui/dom.js', 'ui/errors.js', 'ui/evaluate.js', 'ui/format.js',
  'ui/header.js', 'ui/inspect.js', 'ui/models.js', 'ui/offline.js', 'ui/progress.js', 'ui/report.js', 'ui/search.js',
  'ui/state.js', 'ui/tabs.js', 'ui/trec.js',
  'pkg/lingbridge.js', `pkg/${WASM}`,
  'demo/corpus.jsonl',
  ...['ar', 'de', 'en', 'es', 'hi', 'ru', 'vi', 'zh'].map((lang) => `demo/eval/${lang}.json`),
  'models/index.json',
];

const base = () => self.registration.scope;

/**
 * The cache key of a request this worker answers, or null for the ones it leaves alone. Keys ignore the query
 * (`?backend=cpu` opens the same page); any page address inside the scope is index.html.
 */
function keyOf(request) {
  if (request.method !== 'GET') return null;
  const url = new URL(request.url);
  const scope = new URL(base());
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  const path = url.pathname.slice(scope.pathname.length);
  if (request.mode === 'navigate') return path === '' || path === 'index.html' ? new URL('index.html', scope).href : null;
  const shell = path === 'index.html'
    || path === 'models/index.json'
    || (/^[\w./-]+\.(?:js|css)$/.test(path) && !path.startsWith('models/'))
    || path === `pkg/${WASM}`
    || path === 'demo/corpus.jsonl'
    || /^demo\/eval\/[\w-]+\.json$/.test(path);
  return shell ? new URL(path, scope).href : null;
}

// A response worth keeping: complete, from this origin, not an error page.
const keepable = (res) => res.ok && res.status === 200 && res.type === 'basic';

async function store(cache, key, res) {
  // A redirected response cannot answer a navigation later; keep its body and headers without the redirect.
  const copy = res.redirected ? new Response(await res.clone().blob(), { status: res.status, statusText: res.statusText, headers: res.headers }) : res.clone();
  await cache.put(key, copy);
}

async function networkFirst(event, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(event.request);
    // Stored alongside, not before answering: the wasm package still streams into compilation. A full disk
    // must not fail the request.
    if (keepable(res)) event.waitUntil(store(cache, key, res).catch(() => {}));
    return res;
  } catch (err) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // One by one, and tolerating failures: a file missing from a deploy (no demo set) must not stop the rest.
    await Promise.allSettled(SHELL.map(async (path) => {
      const url = new URL(path, base()).href;
      const res = await fetch(url);
      if (keepable(res)) await store(cache, url, res);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Older versions of the shell go; the worker's model cache (lingbridge-models-v1) is not ours to touch.
    for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const key = keyOf(event.request);
  if (key) event.respondWith(networkFirst(event, key));
});

// The page: wires the areas (ui/*.js) together and starts model A. Everything that talks to the model goes
// through engine.js to the worker, so the page stays responsive while the encoder works.
import { engine } from './engine.js';
import { $ } from './ui/dom.js';
import { state } from './ui/state.js';
import { installSafetyNet, showError } from './ui/errors.js';
import { initTabs } from './ui/tabs.js';
import { initHeader, setStatus } from './ui/header.js';
import { initModels, startModels, reloadAll } from './ui/models.js';
import { initInspect } from './ui/inspect.js';
import { initCorpus } from './ui/corpus.js';
import { initSearch } from './ui/search.js';
import { initEvaluate } from './ui/evaluate.js';
import { initBias } from './ui/bias.js';
import { initOffline } from './ui/offline.js';

// `?backend=cpu` forces the CPU, `gpu` takes any WebGPU adapter, `auto` (default) prefers a hardware one.
const param = new URLSearchParams(location.search).get('backend');
state.backend = ['cpu', 'gpu', 'auto'].includes(param) ? param : 'auto';
// `?engines=1` keeps the CPU backend to one engine (one core); by default there is one per core.
const engines = Number.parseInt(new URLSearchParams(location.search).get('engines') ?? '', 10);
state.engines = Number.isInteger(engines) && engines > 0 ? engines : null;

window.lbStarted = true; // index.html's start-up fallback stands down
installSafetyNet($('error'));
engine.addEventListener('failure', (e) => {
  showError($('error'), e.detail.message);
  if (e.detail.fatal) setStatus('The search engine did not start', 'error');
});

initOffline();
initTabs($('tabs'));
initHeader(() => reloadAll());
initModels();
initInspect();
initCorpus();
initSearch();
initEvaluate();
initBias();
startModels($('error'));

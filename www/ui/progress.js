// A progress bar with a line of text, for long requests (model download, indexing, evaluation). It follows
// the worker's progress messages ({ phase, done, total, unit }).
import { h, fill } from './dom.js';
import { bytes, int } from './format.js';

const PHASES = {
  download: 'Downloading the model',
  load: 'Reading the model',
  warmup: 'Warming up',
  index: 'Indexing passages',
  embeddings: 'Downloading the precomputed embeddings',
  candidates: 'Embedding the candidate sentences',
  questions: 'Embedding the questions',
  rank: 'Ranking',
  files: 'Reading the files',
};

export class Progress {
  /** @param {HTMLElement} root an empty element; it is hidden while nothing runs */
  constructor(root, label = 'Progress') {
    this.root = root;
    this.bar = h('progress', { max: 1, 'aria-label': label });
    this.text = h('span', { class: 'progress-text' });
    root.classList.add('progress');
    fill(root, this.bar, this.text);
    root.hidden = true;
  }

  /** Shows the bar as "working" (no known amount yet). */
  start(text) {
    this.root.hidden = false;
    this.bar.removeAttribute('value');
    this.text.textContent = text;
    this.root.dataset.state = 'running';
  }

  update({ phase, done, total, unit } = {}) {
    this.root.hidden = false;
    const name = PHASES[phase] ?? (phase ? phase[0].toUpperCase() + phase.slice(1) : 'Working');
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = Math.min(done, total);
      const amount = unit === 'bytes' ? `${bytes(done)} of ${bytes(total)}` : `${int(done)} of ${int(total)} ${unit ?? ''}`.trim();
      this.text.textContent = `${name}: ${amount} (${Math.floor((100 * Math.min(done, total)) / total)} %)`;
    } else {
      this.bar.removeAttribute('value');
      this.text.textContent = unit === 'bytes' && done ? `${name}: ${bytes(done)}` : `${name}…`;
    }
  }

  /** Hides the bar (the result or the error says what happened). */
  finish() {
    this.root.hidden = true;
    this.root.dataset.state = 'done';
  }
}

/** Plain text for the header status while a model downloads. */
export function progressPercent({ done, total } = {}) {
  return total > 0 ? `${Math.floor((100 * Math.min(done, total)) / total)} %` : '';
}

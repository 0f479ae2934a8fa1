// The Evaluate tab's results for ad hoc retrieval (a BEIR set): trec_eval's measures in words, with their
// trec_eval names kept visible so the numbers can be matched with papers and with `lingbridge eval`. A BEIR
// set is in one language, so there is no language-pair table and no bias here.
import { h } from './dom.js';
import { state } from './state.js';
import { trecOf, trecMeasures, systemOf, TREC_MEASURES } from './report.js';
import { int, secs } from './format.js';

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const four = (x) => (isNum(x) ? x.toFixed(4) : '–');

function measuresTable(measures) {
  return h('table', { class: 'data settings trec', id: 'eval-trec' },
    h('caption', {}, 'Retrieval quality (0 to 1, higher is better)'),
    h('thead', {}, h('tr', {}, ['Measure', 'What it measures', 'Score'].map((x, i) => h('th', { scope: 'col', class: i === 1 ? 'what' : i === 2 ? 'num' : null }, x)))),
    h('tbody', {}, measures.map(([name, value]) => {
      const known = TREC_MEASURES[name];
      // A bar under the number makes the scale visible at a glance; the number carries the information.
      const width = isNum(value) ? Math.max(0, Math.min(1, value)) * 100 : 0;
      return h('tr', { dataset: { measure: name } },
        h('th', { scope: 'row' }, h('span', { class: 'measure-name' }, known?.label ?? name), ' ', h('code', { class: 'trec-name', title: 'trec_eval’s name' }, name)),
        h('td', { class: 'what' }, known?.what ?? ''),
        h('td', { class: 'num score-cell', dataset: { metric: name, value: String(value) } },
          four(value), h('span', { class: 'meter', 'aria-hidden': 'true' }, h('span', { style: `width: ${width.toFixed(1)}%` }))));
    })));
}

/**
 * The results of one model on a BEIR set. `chooser` (A/B) and `exports` (the export buttons) come from the
 * Evaluate tab, shared with the LAReQA view.
 */
export function trecView({ report, name, chooser, exports }) {
  const sc = trecOf(report);
  const sys = systemOf(report);
  const measures = trecMeasures(sc);
  const info = state.evalSet?.info?.kind === 'beir' ? state.evalSet.info : null;
  const headline = measures.find(([m]) => m === 'ndcg_cut_10') ?? measures[0];
  return [
    h('h2', { id: 'eval-results-title' }, `Results: ${name}`),
    chooser,
    h('p', { class: 'muted', id: 'eval-trec-summary' },
      `${report.dataset ? `${report.dataset} · ` : ''}`,
      h('span', { dataset: { queries: String(sc?.queries) } }, `${int(sc?.queries)} judged queries`),
      `, ${int(report.candidate_count ?? info?.documents)} documents · embedding ${secs(sys?.encode_seconds)}, ranking ${secs(sys?.rank_seconds)}`),
    headline ? h('div', { class: 'stats trec-stats' },
      h('div', { class: 'stat', dataset: { metric: headline[0], value: String(headline[1]) } },
        h('span', { class: 'stat-value' }, four(headline[1])),
        h('span', { class: 'stat-label' }, `${TREC_MEASURES[headline[0]]?.label ?? headline[0]} `, h('code', { class: 'trec-name' }, headline[0])),
        h('span', { class: 'stat-hint' }, 'The measure BEIR results are usually compared by.'))) : null,
    measuresTable(measures),
    h('p', { class: 'note trec-note' },
      'These are monolingual measures: a BEIR set’s queries and documents are in one language, so there is no ',
      'language bias to measure here. The Language bias tab needs a multilingual (LAReQA) set, such as the built-in one. ',
      `Scores are averaged over the ${int(sc?.queries)} queries that have judgements, as trec_eval does.`),
    exports,
  ];
}

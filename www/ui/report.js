// Reading an evaluation report (the shape of `lingbridge eval`'s report.json) and turning it into CSV.
// Pure (no DOM).

/** The LAReQA scores of a report, whichever way the enum is serialised ({"Lareqa": …} or {"protocol": "lareqa", …}). */
export function lareqaOf(report) {
  const systems = report?.systems ?? [];
  const sys = systems.find((s) => s.name === 'dense') ?? systems[0];
  const sc = sys?.scores;
  if (!sc) return null;
  return sc.Lareqa ?? sc.lareqa ?? (sc.protocol === 'lareqa' ? sc : null);
}

/** The trec_eval scores of a report (a BEIR set: ad hoc retrieval), in either serde form, or null. */
export function trecOf(report) {
  const sc = systemOf(report)?.scores;
  if (!sc) return null;
  return sc.Trec ?? sc.trec ?? (sc.protocol === 'trec' ? sc : null);
}

/** trec_eval's measure names in words, with what each one measures (the report keeps trec_eval's names). */
export const TREC_MEASURES = {
  ndcg_cut_10: { label: 'nDCG@10', what: 'How good the first 10 results are, with more credit the higher a relevant document sits (BEIR’s headline measure)' },
  map: { label: 'MAP', what: 'Mean average precision over the whole ranking' },
  recall_100: { label: 'Recall@100', what: 'Share of the relevant documents found in the first 100 results' },
  recip_rank: { label: 'MRR', what: 'How high the first relevant document lands (1 / its rank, averaged)' },
  P_10: { label: 'P@10', what: 'Share of the first 10 results that are relevant' },
};

/** The measures of trec scores as [name, value] pairs, whether serialised as pairs or as an object. */
export function trecMeasures(sc) {
  const m = sc?.measures;
  if (Array.isArray(m)) return m.map((x) => (Array.isArray(x) ? [String(x[0]), x[1]] : [String(x?.name ?? x?.measure), x?.value]));
  return m && typeof m === 'object' ? Object.entries(m) : [];
}

export function systemOf(report) {
  const systems = report?.systems ?? [];
  return systems.find((s) => s.name === 'dense') ?? systems[0] ?? null;
}

function cell(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['model', 'dataset', 'row', 'setting', 'query_lang', 'candidate_lang', 'map', 'recall_1', 'recall_10',
  'queries', 'rank_distance', 'same_language_top10'];

/**
 * One row per setting (mo, cr, mul), one per language pair (query → candidates), one per query language
 * (its Mul scores and bias), and the macro bias row. Numbers at full precision.
 */
export function reportToCsv(report) {
  if (trecOf(report)) return trecToCsv(report);
  const sc = lareqaOf(report);
  if (!sc) throw new Error('the report has no LAReQA scores to export');
  const rows = [CSV_COLUMNS];
  const base = [report.model, report.dataset];
  const s = (x) => [x?.map, x?.recall_1, x?.recall_10, x?.queries];
  for (const setting of ['mo', 'cr', 'mul']) rows.push([...base, 'setting', setting, '', '', ...s(sc[setting]), '', '']);
  sc.languages.forEach((q, i) => sc.languages.forEach((p, j) => {
    rows.push([...base, 'pair', i === j ? 'mo' : 'cr', q, p, ...s(sc.pairs?.[i]?.[j]), '', '']);
  }));
  for (const lang of sc.languages) {
    const b = sc.bias?.per_language?.[lang];
    rows.push([...base, 'language', 'mul', lang, '', ...s(sc.mul_per_language?.[lang]), b?.rank_distance, b?.same_language_top10]);
  }
  rows.push([...base, 'bias', 'mul', '', '', '', '', '', '', sc.bias?.rank_distance, sc.bias?.same_language_top10]);
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** Ad hoc retrieval: one `measure,value` row per trec_eval measure, then `num_q` (the judged queries, under
 *  trec_eval's own name for it). Values at full precision. */
export function trecToCsv(report) {
  const sc = trecOf(report);
  if (!sc) throw new Error('the report has no trec_eval scores to export');
  const rows = [['measure', 'value'], ...trecMeasures(sc), ['num_q', sc.queries]];
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** A file-name-safe form of a model name. */
export function slug(s) {
  return String(s ?? 'model').toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

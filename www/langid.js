// Guesses the language of a short text (a search query, a passage without a `lang` field) without a model:
// the writing system settles most languages outright; Latin-script languages are told apart by letters only
// one of them uses and by their most frequent little words. Pure module (no DOM), so node tests import it.
//
// detectLanguage(text) → { lang, confidence, script }, lang "und" (undetermined) when the evidence is weak.

const NAMES = {
  en: 'English', de: 'German', es: 'Spanish', fr: 'French', it: 'Italian', pt: 'Portuguese', nl: 'Dutch',
  pl: 'Polish', tr: 'Turkish', vi: 'Vietnamese', id: 'Indonesian', ar: 'Arabic', fa: 'Persian', ur: 'Urdu',
  hi: 'Hindi', bn: 'Bengali', ta: 'Tamil', te: 'Telugu', zh: 'Chinese', ja: 'Japanese', ko: 'Korean',
  ru: 'Russian', uk: 'Ukrainian', el: 'Greek', th: 'Thai', he: 'Hebrew', ka: 'Georgian', hy: 'Armenian',
  sw: 'Swahili', fi: 'Finnish', und: 'Undetermined',
};

let displayNames = null;
/** English name of a language code; falls back to the browser's own list, then to the code itself. */
export function languageName(code) {
  if (!code) return 'Undetermined';
  if (NAMES[code]) return NAMES[code];
  try {
    displayNames ??= new Intl.DisplayNames(['en'], { type: 'language' });
    const name = displayNames.of(code);
    if (name && name !== code) return name;
  } catch { /* not a valid BCP 47 tag: show the code */ }
  return code;
}

/** The languages the detector can name (for the override select). */
export const DETECTABLE = ['en', 'de', 'es', 'fr', 'it', 'pt', 'nl', 'pl', 'tr', 'vi', 'id', 'ar', 'fa', 'ur', 'hi',
  'bn', 'ta', 'zh', 'ja', 'ko', 'ru', 'uk', 'el', 'th', 'he'];

// Scripts that (nearly) pin down one language. Order matters only for ties.
const SCRIPTS = [
  ['Arabic', /\p{Script=Arabic}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Han', /\p{Script=Han}/u],
  ['Kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Bengali', /\p{Script=Bengali}/u],
  ['Tamil', /\p{Script=Tamil}/u],
  ['Telugu', /\p{Script=Telugu}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Latin', /\p{Script=Latin}/u],
];
const SCRIPT_LANG = {
  Devanagari: 'hi', Hangul: 'ko', Greek: 'el', Thai: 'th', Hebrew: 'he', Bengali: 'bn', Tamil: 'ta',
  Telugu: 'te', Georgian: 'ka', Armenian: 'hy',
};

// Frequent short words. A word listed for several languages counts 1/n for each of them, so "de" or "la"
// barely moves the needle while "the", "und" or "của" decide.
const WORDS = {
  en: 'the of and is in to a what where when who why how which does do did are was were it that this with for from on by an be has have had can into its there their they not or as at most many',
  de: 'der die das und ist nicht ein eine einer eines einem einen wo wie was wann warum welche welcher welches im zu mit den dem des von auf für sich auch es sie er wird werden wurde sind aus bei nach über oder man durch vom zum zur am hat gibt wer ins dort noch sehr welchem welchen woher wohin wovon wurden zwei',
  es: 'el la los las de del que y en un una es por para con cómo dónde qué cuál cuándo quién se su sus al lo más muy son está este esta hay entre desde también fue como donde cual cada dos pero sobre hasta ser era otros todos',
  fr: 'le la les des du de et est un une que qui dans pour pas sur au aux où quel quelle quels comment pourquoi ce il elle sont avec en se son sa ses ne plus mais ou c d l j qu n s y été cette',
  it: 'il lo gli la le di del della dei delle degli che e è un una per con non sono dove come quando perché chi quale nel nella alla al si da anche più questo questa ha ci dal sul tra fra è',
  pt: 'o a os as de do da dos das que e é um uma em no na nos nas não para com por onde como quando qual se ao mais foi são está pelo pela também isso ele ela seu sua',
  nl: 'de het een van en is niet waar wat hoe in op te dat die met voor zijn er ook aan om bij naar wordt worden hij zij welke wanneer',
  pl: 'i w z na nie się to jest do że co jak gdzie kiedy o dla od po czy przez są oraz ten ta jaki jaka który która',
  tr: 've bir bu da de ne mi mı mu mü nerede nasıl neden için ile çok olan olarak en daha gibi kadar her hangi kim var yok şu o ise hem ya',
  vi: 'của và là có không những được trong các một người ở đâu gì nào bao nhiêu cho với này đã khi từ đến nhất như thì mà ra về làm năm sông nước',
  id: 'yang dan di ini itu dengan untuk tidak dari dalam ada apa mana ke pada adalah akan oleh juga atau bisa',
};
const WORD_WEIGHTS = new Map();
for (const [lang, list] of Object.entries(WORDS)) {
  for (const w of new Set(list.split(' '))) {
    const langs = WORD_WEIGHTS.get(w) ?? [];
    langs.push(lang);
    WORD_WEIGHTS.set(w, langs);
  }
}

// Letters that few Latin-script languages use, with how strongly each points at each language.
const LETTERS = [
  [/[ơưđ\u1EA0-\u1EF9]/gu, { vi: 1.5 }], // ơ ư đ and the stacked tone marks (ạ ả ấ … ỹ) are Vietnamese only
  [/ă/gu, { vi: 1 }],
  [/ß/gu, { de: 2 }],
  [/ä/gu, { de: 1.2 }],
  [/[öü]/gu, { de: 0.6, tr: 0.6 }],
  [/ñ/gu, { es: 2 }],
  [/[¿¡]/gu, { es: 3 }],
  [/[áíóú]/gu, { es: 0.4, pt: 0.3, vi: 0.2 }],
  [/œ/gu, { fr: 3 }],
  [/[ëï]/gu, { fr: 1, nl: 0.5 }],
  [/[èù]/gu, { fr: 0.8, it: 0.6 }],
  [/[âîû]/gu, { fr: 0.8, vi: 0.2 }],
  [/ê/gu, { fr: 0.6, pt: 0.5, vi: 0.4 }],
  [/ô/gu, { fr: 0.5, pt: 0.5, vi: 0.5 }],
  [/ç/gu, { fr: 0.7, pt: 0.7, tr: 0.7 }],
  [/[ãõ]/gu, { pt: 1.2, vi: 0.6 }],
  [/[ğış]/gu, { tr: 2.5 }],
  [/İ/gu, { tr: 3 }],
  [/[łąęśźżćń]/gu, { pl: 2 }],
];

// Spelling habits: clusters and endings that are common in one language and rare in the others.
const CLUSTERS = [
  [/th/gu, { en: 0.3 }],
  [/\p{L}{2}ing\b/gu, { en: 0.6 }],
  [/\bwh/gu, { en: 0.6 }],
  [/sch/gu, { de: 0.6 }],
  [/\p{L}(ung|keit|heit|lich|chen)\b/gu, { de: 0.8 }],
  [/ción\b|ciones\b/gu, { es: 1.2 }],
  [/ções\b|ção\b/gu, { pt: 1.5 }],
  [/\p{L}(nh|lh)\p{L}/gu, { pt: 0.4, vi: 0.2 }],
  [/zion[ei]\b|gli|zz|cch/gu, { it: 0.7 }],
  [/eau|aux\b|oi/gu, { fr: 0.3 }],
  [/ij/gu, { nl: 0.6 }],
  [/sz|cz|rz/gu, { pl: 0.6 }],
];

function countScripts(text) {
  const counts = {};
  let total = 0;
  for (const ch of text) {
    if (!/[\p{L}\p{M}]/u.test(ch)) continue;
    for (const [name, re] of SCRIPTS) {
      if (re.test(ch)) {
        // One Han character carries about a word; weigh it like two letters so a Chinese query with a
        // Latin brand name in it is still Chinese.
        const w = name === 'Han' ? 2 : 1;
        counts[name] = (counts[name] ?? 0) + w;
        total += w;
        break;
      }
    }
  }
  return { counts, total };
}

function latinScores(text) {
  const scores = {};
  const add = (lang, v) => { scores[lang] = (scores[lang] ?? 0) + v; };
  for (const [re, weights] of LETTERS) {
    const n = (text.match(re) ?? []).length;
    if (n) for (const [lang, w] of Object.entries(weights)) add(lang, w * Math.min(n, 4));
  }
  const lower = text.toLocaleLowerCase('und');
  for (const [re, weights] of CLUSTERS) {
    const n = (lower.match(re) ?? []).length;
    if (n) for (const [lang, w] of Object.entries(weights)) add(lang, w * Math.min(n, 3));
  }
  const words = lower.match(/\p{L}+/gu) ?? [];
  for (const w of words) {
    const langs = WORD_WEIGHTS.get(w);
    if (langs) for (const lang of langs) add(lang, 1 / langs.length);
  }
  return { scores, words: words.length };
}

/**
 * @param {string} text
 * @returns {{ lang: string, confidence: number, script: string|null }}
 */
export function detectLanguage(text) {
  const t = String(text ?? '').normalize('NFC');
  const { counts, total } = countScripts(t);
  if (total === 0) return { lang: 'und', confidence: 0, script: null };
  let script = null;
  let best = 0;
  for (const [name, n] of Object.entries(counts)) if (n > best) { best = n; script = name; }
  const share = best / total;
  // Short texts are weaker evidence even in a distinctive script.
  const sure = (c) => Math.round(Math.min(1, c) * 100) / 100;
  const scriptConfidence = sure(share * Math.min(1, 0.6 + best / 12));
  let lang;
  if (script === 'Han' || script === 'Kana') {
    const kana = counts.Kana ?? 0;
    const han = counts.Han ?? 0;
    lang = kana > 0 && kana / (kana + han / 2) > 0.1 ? 'ja' : 'zh';
    script = lang === 'ja' ? 'Japanese' : 'Han';
  } else if (script === 'Cyrillic') {
    lang = /[іїєґІЇЄҐ]/u.test(t) ? 'uk' : 'ru';
  } else if (script === 'Arabic') {
    // Persian and Urdu add letters Arabic does not have.
    if (/[ٹڈڑںےھ]/u.test(t)) lang = 'ur';
    else if (/[پچژگک]/u.test(t)) lang = 'fa';
    else lang = 'ar';
  } else if (script === 'Latin') {
    const { scores } = latinScores(t);
    const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1]);
    if (ranked.length === 0) return { lang: 'und', confidence: 0, script };
    const [top, topScore] = ranked[0];
    const second = ranked[1]?.[1] ?? 0;
    // Confident when one language clearly leads and there is more than one clue behind it.
    const margin = (topScore - second) / topScore;
    const amount = Math.min(1, topScore / 3);
    const confidence = sure(margin * amount * share);
    return confidence < 0.3 ? { lang: 'und', confidence, script } : { lang: top, confidence, script };
  } else {
    lang = SCRIPT_LANG[script] ?? 'und';
  }
  if (lang === 'und' || scriptConfidence < 0.5) return { lang: 'und', confidence: scriptConfidence, script };
  return { lang, confidence: scriptConfidence, script };
}

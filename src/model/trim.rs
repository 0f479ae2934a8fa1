//! Vocabulary trimming: a Unigram (SentencePiece) model cut down to the pieces a corpus uses, for download size.
//! XLM-R's vocabulary has 250k pieces and its word table is most of a small encoder's parameters; a page that only
//! ever sees a dozen languages needs a fraction of them.
//!
//! What is kept (ids stay in their original relative order, so the leading specials keep ids 0..n):
//! - **specials**: every added token, the unknown token, and every id the post-processor or padding names;
//! - **corpus**: every piece the tokenizer emits on the corpus, tokenized exactly as the model does (normalizer,
//!   post-processor, and each sentence-transformers prompt in front: "query: " / "passage: " for E5);
//! - **single characters**: every one-character piece, bare and with the Metaspace "▁", of each script the corpus
//!   uses (detected on the normalized text; Common and Inherited always) and of every character the normalized
//!   corpus contains — so unseen words of a covered language still segment into kept pieces, never `<unk>`;
//! - **min score**: the lowest-scored piece. The Unigram model scores an unknown character `min score − 10`;
//!   keeping that piece keeps the penalty, so the trimmed lattice is a sub-lattice of the original with equal
//!   scores that still holds the original best path: texts of the corpus segment identically.
//!
//! Rewritten: `tokenizer.json` (model.vocab, unk_id, added-token ids, post-processor and padding ids; the rest is
//! the same JSON), `config.json` (`vocab_size` = pieces kept, exactly: the word table is only gathered, never
//! multiplied, so rows padded to a multiple of 8 would buy no kernel speed and cost bytes), `tokenizer_config.json`
//! (`added_tokens_decoder` keys) and the word table (rows of the kept ids; [`tables`]). Everything here works on
//! bytes, so it could run in the page as well as in `lingbridge vocab trim`.

pub mod limit;
pub mod scripts;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;
use tokenizers::{NormalizedString, Normalizer, Tokenizer};

use crate::error::{Error, Result};
use crate::model::files::{self, ModelFiles};
use crate::model::tokenizer::Prefixes;

pub use limit::{Comparison, compare};
pub use tables::{TableInfo, TrimmedModel, tensor_bytes, trim_model};

/// Which scripts' single-character pieces to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scripts {
    /// The scripts of the corpus characters.
    Auto,
    /// These ISO 15924 codes (`Latn`, `Cyrl`, …); Common and Inherited are added, as every language uses them.
    Only(BTreeSet<String>),
}

impl std::str::FromStr for Scripts {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s.trim() == "auto" {
            return Ok(Scripts::Auto);
        }
        let mut codes = BTreeSet::new();
        for code in s.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !scripts::known(code) {
                return Err(Error::input(format!("unknown script code \"{code}\" (ISO 15924, e.g. Latn, Cyrl, Arab, Hani)")));
            }
            codes.insert(code.to_string());
        }
        if codes.is_empty() {
            return Err(Error::input("--keep-scripts: expected auto or a comma-separated list such as Latn,Cyrl"));
        }
        Ok(Scripts::Only(codes))
    }
}

/// How many ids each rule kept (an id counts under the first rule that keeps it, in this order).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeptBy {
    pub special: usize,
    pub corpus: usize,
    pub single_char: usize,
    pub min_score: usize,
}

/// Which ids survive, and what the corpus looked like.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// New id → original id, ascending.
    pub kept: Vec<u32>,
    /// Ids of the original tokenizer (model vocabulary + added tokens past it).
    pub original: usize,
    pub kept_by: KeptBy,
    /// Distinct texts tokenized (each once per prompt), tokens they gave, and how many were the unknown token.
    pub texts: usize,
    pub tokens: usize,
    pub unk_tokens: usize,
    /// Characters of the normalized corpus per script.
    pub script_chars: BTreeMap<String, usize>,
    /// The scripts whose single-character pieces were kept.
    pub scripts: Vec<String>,
    /// Single-character pieces kept per script.
    pub single_chars_by_script: BTreeMap<String, usize>,
    /// Corpus pieces left out by [`Plan::limit`] (0: every piece the corpus uses is kept).
    pub dropped: usize,
    /// Most uses of a dropped piece in the corpus, where each text counts once bare and once per prompt (E5: 3 uses
    /// = one text); 0 when none was dropped.
    pub dropped_max_uses: u32,
    /// The corpus pieces [`Plan::limit`] may leave out, as (original id, uses in the corpus): those no other rule
    /// keeps (a used single character stays, or unseen text could become `<unk>`).
    #[serde(skip)]
    droppable: Vec<(u32, u32)>,
}

impl Plan {
    /// The new id of an original id, if it was kept.
    pub fn new_id(&self, old: u32) -> Option<u32> {
        self.kept.binary_search(&old).ok().map(|i| i as u32)
    }
}

/// The parts of a Unigram tokenizer.json the trimmer reads.
struct Unigram {
    pieces: Vec<(String, f64)>,
    unk_id: Option<u32>,
    byte_fallback: bool,
    /// Ids that must survive: added tokens, unk, post-processor and padding ids.
    specials: BTreeSet<u32>,
    /// The Metaspace replacement character ("▁").
    space: char,
}

fn parse(json: &Value, file: &str) -> Result<Unigram> {
    let model = json.get("model").ok_or_else(|| Error::invalid(file, "no \"model\" object"))?;
    let kind = model.get("type").and_then(Value::as_str).unwrap_or(if model.get("vocab").is_some_and(Value::is_array) { "Unigram" } else { "unknown" });
    if kind != "Unigram" {
        return Err(Error::unsupported(
            file,
            format!("only Unigram (SentencePiece) vocabularies can be trimmed; this tokenizer.json has a {kind} model"),
        ));
    }
    let vocab = model.get("vocab").and_then(Value::as_array).ok_or_else(|| Error::invalid(file, "model.vocab is not a list"))?;
    let mut pieces = Vec::with_capacity(vocab.len());
    for (i, entry) in vocab.iter().enumerate() {
        match entry.as_array().map(Vec::as_slice) {
            Some([Value::String(p), score]) if score.is_number() => pieces.push((p.clone(), score.as_f64().unwrap_or(0.0))),
            _ => return Err(Error::invalid(file, format!("model.vocab[{i}] is not a [piece, score] pair"))),
        }
    }
    if pieces.is_empty() {
        return Err(Error::invalid(file, "model.vocab is empty"));
    }
    let unk_id = model.get("unk_id").and_then(Value::as_u64).map(|u| u as u32);
    let mut specials: BTreeSet<u32> = unk_id.into_iter().collect();
    for t in json.get("added_tokens").and_then(Value::as_array).into_iter().flatten() {
        let id = t.get("id").and_then(Value::as_u64).ok_or_else(|| Error::invalid(file, "an added token without a numeric id"))?;
        specials.insert(id as u32);
    }
    if let Some(p) = json.get("post_processor") {
        processor_ids_of(p, &mut |id| {
            specials.insert(*id as u32);
        });
    }
    if let Some(id) = json.get("padding").and_then(|p| p.get("pad_id")).and_then(Value::as_u64) {
        specials.insert(id as u32);
    }
    let space = json
        .get("pre_tokenizer")
        .and_then(|p| find_replacement(p))
        .unwrap_or('▁');
    Ok(Unigram { pieces, unk_id, byte_fallback: model.get("byte_fallback").and_then(Value::as_bool).unwrap_or(false), specials, space })
}

/// The Metaspace replacement of a pre-tokenizer (possibly inside a Sequence).
fn find_replacement(p: &Value) -> Option<char> {
    if p.get("type").and_then(Value::as_str) == Some("Metaspace") {
        return p.get("replacement").and_then(Value::as_str).and_then(|s| s.chars().next());
    }
    p.get("pretokenizers").and_then(Value::as_array)?.iter().find_map(find_replacement)
}

/// Visits every token id a post-processor names (Roberta/Bert `cls`/`sep`, Template `special_tokens.*.ids`,
/// Sequence `processors`), mutably so the same walk reads and remaps them.
fn processor_ids(p: &mut Value, f: &mut dyn FnMut(&mut u64)) {
    fn visit(v: &mut Value, f: &mut dyn FnMut(&mut u64)) {
        if let Some(n) = v.as_u64() {
            let mut id = n;
            f(&mut id);
            *v = Value::from(id);
        }
    }
    let p = if let Value::Object(map) = p { map } else { return };
    for key in ["cls", "sep"] {
        if let Some(Value::Array(pair)) = p.get_mut(key) {
            if let Some(id) = pair.get_mut(1) {
                visit(id, f);
            }
        }
    }
    if let Some(Value::Object(tokens)) = p.get_mut("special_tokens") {
        for token in tokens.values_mut() {
            if let Some(Value::Array(ids)) = token.get_mut("ids") {
                ids.iter_mut().for_each(|id| visit(id, f));
            }
        }
    }
    if let Some(Value::Array(list)) = p.get_mut("processors") {
        list.iter_mut().for_each(|q| processor_ids(q, f));
    }
}

// `processor_ids` takes `&mut`; reading through it from a shared JSON value clones first.
fn processor_ids_of(p: &Value, f: &mut dyn FnMut(&u64)) {
    let mut copy = p.clone();
    processor_ids(&mut copy, &mut |id| f(id));
}

/// Decides which ids survive: `texts` tokenized as the model would (once bare and once per prompt of `prefixes`).
pub fn plan<S: AsRef<str>>(tokenizer_json: &[u8], file: &str, prefixes: &Prefixes, texts: &[S], scripts: &Scripts) -> Result<Plan> {
    let json: Value = serde_json::from_slice(tokenizer_json).map_err(|e| Error::json(file, e))?;
    let model = parse(&json, file)?;
    let mut tokenizer = Tokenizer::from_bytes(tokenizer_json).map_err(|e| Error::json(file, e))?;
    // Untruncated: the model sees a prefix of these tokens, so their set covers what it sees.
    tokenizer.with_truncation(None).map_err(|e| Error::invalid(file, e.to_string()))?;
    tokenizer.with_padding(None);
    let original = tokenizer.get_vocab_size(true).max(model.pieces.len());

    let mut variants: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut distinct = 0;
    for text in texts {
        let text = text.as_ref();
        if text.trim().is_empty() || !seen.insert(text) {
            continue;
        }
        distinct += 1;
        let mut prompts = vec![""];
        for p in [prefixes.query.as_str(), prefixes.passage.as_str()] {
            if !p.is_empty() && !prompts.contains(&p) {
                prompts.push(p);
            }
        }
        variants.extend(prompts.iter().map(|p| format!("{p}{text}")));
    }
    if distinct == 0 {
        return Err(Error::input("the corpus holds no non-empty text: nothing to decide which pieces to keep"));
    }

    let mut uses = vec![0u32; original];
    let (mut tokens, mut unk_tokens) = (0, 0);
    let mut chars: HashSet<char> = HashSet::new();
    for chunk in variants.chunks(4096) {
        let encodings = encode_many(&tokenizer, chunk)?;
        for enc in &encodings {
            for &id in enc.get_ids() {
                tokens += 1;
                unk_tokens += usize::from(Some(id) == model.unk_id);
                if let Some(u) = uses.get_mut(id as usize) {
                    *u = u.saturating_add(1);
                }
            }
        }
        for text in chunk {
            let mut normalized = NormalizedString::from(text.as_str());
            if let Some(n) = tokenizer.get_normalizer() {
                n.normalize(&mut normalized).map_err(|e| Error::Tokenizer(e.to_string()))?;
            }
            chars.extend(normalized.get().chars());
        }
    }

    let mut script_chars: BTreeMap<String, usize> = BTreeMap::new();
    for &c in &chars {
        *script_chars.entry(scripts::script_of(c).to_string()).or_default() += 1;
    }
    let mut covered: BTreeSet<String> = match scripts {
        Scripts::Auto => script_chars.keys().cloned().collect(),
        Scripts::Only(codes) => codes.clone(),
    };
    covered.insert(scripts::COMMON.into());
    covered.insert(scripts::INHERITED.into());

    let min_id = model
        .pieces
        .iter()
        .enumerate()
        .fold(None::<(usize, f64)>, |best, (i, (_, s))| match best {
            Some((_, b)) if b <= *s => best,
            _ => Some((i, *s)),
        })
        .map(|(i, _)| i as u32);

    let mut kept = Vec::new();
    let mut kept_by = KeptBy::default();
    let mut single_chars_by_script: BTreeMap<String, usize> = BTreeMap::new();
    let mut droppable = Vec::new();
    for id in 0..original as u32 {
        let piece = model.pieces.get(id as usize).map(|(p, _)| p.as_str());
        let single = piece.and_then(|p| single_char(p, model.space));
        let keep_single = single.is_some_and(|c| c == model.space || chars.contains(&c) || covered.contains(scripts::script_of(c)))
            || (model.byte_fallback && piece.is_some_and(is_byte_piece));
        if model.specials.contains(&id) || id as usize >= model.pieces.len() {
            kept_by.special += 1;
        } else if uses[id as usize] > 0 {
            kept_by.corpus += 1;
            if !keep_single && Some(id) != min_id {
                droppable.push((id, uses[id as usize]));
            }
        } else if keep_single {
            kept_by.single_char += 1;
            if let Some(c) = single {
                *single_chars_by_script.entry(scripts::script_of(c).to_string()).or_default() += 1;
            }
        } else if Some(id) == min_id {
            kept_by.min_score += 1;
        } else {
            continue;
        }
        kept.push(id);
    }
    Ok(Plan {
        kept,
        original,
        kept_by,
        texts: distinct,
        tokens,
        unk_tokens,
        script_chars,
        scripts: covered.into_iter().collect(),
        single_chars_by_script,
        dropped: 0,
        dropped_max_uses: 0,
        droppable,
    })
}

/// [`plan`] for a model: its tokenizer.json and its sentence-transformers prompts.
pub fn plan_model<S: AsRef<str>>(model: &ModelFiles, texts: &[S], scripts: &Scripts) -> Result<Plan> {
    let bytes = model.require(files::TOKENIZER, "the tokenizer decides which pieces the corpus uses")?;
    plan(bytes, &model.display(files::TOKENIZER), &Prefixes::from_files(model)?, texts, scripts)
}

/// Encodings with special tokens: on all cores natively; one by one in the page, where rayon has no threads.
fn encode_many<S: AsRef<str>>(tokenizer: &Tokenizer, texts: &[S]) -> Result<Vec<tokenizers::Encoding>> {
    let err = |e: tokenizers::Error| Error::Tokenizer(e.to_string());
    if cfg!(target_arch = "wasm32") {
        texts.iter().map(|t| tokenizer.encode(t.as_ref(), true).map_err(err)).collect()
    } else {
        tokenizer.encode_batch(texts.iter().map(AsRef::as_ref).collect::<Vec<&str>>(), true).map_err(err)
    }
}

/// The character of a one-character piece, bare or after the Metaspace replacement (`"▁"` itself counts).
fn single_char(piece: &str, space: char) -> Option<char> {
    let rest = piece.strip_prefix(space).filter(|r| !r.is_empty()).unwrap_or(piece);
    let mut it = rest.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

fn is_byte_piece(p: &str) -> bool {
    p.len() == 6 && p.starts_with("<0x") && p.ends_with('>')
}

/// `tokenizer.json` with only the kept pieces (and their scores), every id it names remapped.
pub fn rewrite_tokenizer(tokenizer_json: &[u8], file: &str, plan: &Plan) -> Result<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(tokenizer_json).map_err(|e| Error::json(file, e))?;
    let n_pieces = parse(&json, file)?.pieces.len();
    let remap = |old: u64, what: &str| -> Result<u64> {
        plan.new_id(old as u32).map(u64::from).ok_or_else(|| Error::invalid(file, format!("{what} {old} is not among the kept ids")))
    };
    let model = json.get_mut("model").and_then(Value::as_object_mut).ok_or_else(|| Error::invalid(file, "no model object"))?;
    if let Some(Value::Array(vocab)) = model.get_mut("vocab") {
        let old = std::mem::take(vocab);
        *vocab = plan.kept.iter().filter(|&&id| (id as usize) < n_pieces).map(|&id| old[id as usize].clone()).collect();
    }
    if let Some(unk) = model.get("unk_id").and_then(Value::as_u64) {
        model.insert("unk_id".into(), remap(unk, "unk_id")?.into());
    }
    if let Some(Value::Array(added)) = json.get_mut("added_tokens") {
        for t in added {
            if let Some(id) = t.get("id").and_then(Value::as_u64) {
                t["id"] = remap(id, "added token id")?.into();
            }
        }
    }
    if let Some(pad) = json.get_mut("padding").and_then(|p| p.get_mut("pad_id")) {
        if let Some(id) = pad.as_u64() {
            *pad = remap(id, "padding pad_id")?.into();
        }
    }
    let mut missing = None;
    if let Some(p) = json.get_mut("post_processor") {
        processor_ids(p, &mut |id| match plan.new_id(*id as u32) {
            Some(new) => *id = new.into(),
            None => missing = Some(*id),
        });
    }
    if let Some(id) = missing {
        return Err(Error::invalid(file, format!("post-processor id {id} is not among the kept ids")));
    }
    // Compact: the page downloads this file (inside the GGUF); indentation alone was ~45 % of its bytes.
    let bytes = serde_json::to_vec(&json).map_err(|e| Error::json(file, e))?;
    Tokenizer::from_bytes(&bytes).map_err(|e| Error::invalid(file, format!("the trimmed tokenizer does not load: {e}")))?;
    Ok(bytes)
}

/// `config.json` with `vocab_size` = `size`; only that number's text changes when the key appears once.
pub fn rewrite_config(config_json: &[u8], file: &str, size: usize) -> Result<Vec<u8>> {
    let mut expected: Value = serde_json::from_slice(config_json).map_err(|e| Error::json(file, e))?;
    let obj = expected.as_object_mut().ok_or_else(|| Error::invalid(file, "not a JSON object"))?;
    obj.insert("vocab_size".into(), size.into());
    let text = std::str::from_utf8(config_json).map_err(|_| Error::invalid(file, "not UTF-8"))?;
    let key = "\"vocab_size\"";
    if text.matches(key).count() == 1 {
        let at = text.find(key).unwrap_or(0) + key.len();
        let rest = &text[at..];
        let colon = rest.find(':').map(|c| c + 1).unwrap_or(0);
        let start = colon + rest[colon..].len() - rest[colon..].trim_start().len();
        let len = rest[start..].find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len() - start);
        let edited = format!("{}{}{}", &text[..at + start], size, &rest[start + len..]);
        if serde_json::from_str::<Value>(&edited).ok().as_ref() == Some(&expected) {
            return Ok(edited.into_bytes());
        }
    }
    serde_json::to_vec_pretty(&expected).map_err(|e| Error::json(file, e))
}

/// transformers' `tokenizer_config.json`: the ids of `added_tokens_decoder` remapped (unknown ids dropped).
pub fn rewrite_tokenizer_config(bytes: &[u8], file: &str, plan: &Plan) -> Result<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(bytes).map_err(|e| Error::json(file, e))?;
    let Some(Value::Object(decoder)) = json.get_mut("added_tokens_decoder") else { return Ok(bytes.to_vec()) };
    let old = std::mem::take(decoder);
    for (k, v) in old {
        if let Some(new) = k.parse::<u32>().ok().and_then(|id| plan.new_id(id)) {
            decoder.insert(new.to_string(), v);
        }
    }
    serde_json::to_vec_pretty(&json).map_err(|e| Error::json(file, e))
}

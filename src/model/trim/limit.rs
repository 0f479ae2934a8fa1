//! A size limit for a trimmed vocabulary (`lingbridge vocab trim --max-pieces N`).
//!
//! A larger, closer-to-the-task corpus keeps more of the pieces real queries use, but also more rare ones; the
//! page's download has a budget. [`Plan::limit`] leaves out the corpus pieces the corpus uses least until the plan
//! fits. It never leaves out a special, a single character of a covered script or the min-score piece, so every
//! text still segments into kept pieces with no more `<unk>` than before; texts that used a dropped piece segment
//! into shorter pieces instead (the Unigram lattice without that edge), which [`compare`] measures.

use tokenizers::Tokenizer;

use super::{Plan, encode_many, parse};
use crate::error::{Error, Result};

impl Plan {
    /// This plan with at most `max` ids: the droppable corpus pieces with the fewest uses go first (ties: the
    /// higher id, which in SentencePiece order is the lower-scored piece). A plan already within `max` is
    /// returned as it is.
    pub fn limit(mut self, max: usize) -> Result<Plan> {
        if self.kept.len() <= max {
            return Ok(self);
        }
        let must = self.kept.len() - self.droppable.len();
        if max < must {
            return Err(Error::input(format!(
                "--max-pieces {max} is below the {must} ids that must stay (specials, single characters of the covered scripts, \
                 the min-score piece); cover fewer scripts (--keep-scripts) or allow more pieces"
            )));
        }
        let mut order = std::mem::take(&mut self.droppable);
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let cut = order.split_off(max - must);
        let mut gone: Vec<u32> = cut.iter().map(|&(id, _)| id).collect();
        gone.sort_unstable();
        self.kept.retain(|id| gone.binary_search(id).is_err());
        self.kept_by.corpus -= cut.len();
        self.dropped += cut.len();
        self.dropped_max_uses = self.dropped_max_uses.max(cut.iter().map(|&(_, n)| n).max().unwrap_or(0));
        self.droppable = order;
        Ok(self)
    }
}

/// How a trimmed tokenizer segments texts compared with the original.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Comparison {
    pub texts: usize,
    /// Texts whose ids do not map back to the original's through the kept-id table.
    pub changed: usize,
    pub tokens_before: usize,
    pub tokens_after: usize,
    /// Texts with more `<unk>` tokens after trimming than before (must be 0).
    pub more_unk: usize,
    /// The first changed text, with its original and trimmed pieces.
    pub example: Option<(String, Vec<String>, Vec<String>)>,
}

impl Comparison {
    /// Extra tokens after trimming, as a fraction of the original count.
    pub fn token_growth(&self) -> f64 {
        (self.tokens_after as f64 - self.tokens_before as f64) / self.tokens_before.max(1) as f64
    }
}

/// Tokenizes `texts` with both tokenizers (original and trimmed tokenizer.json) and counts what changed.
pub fn compare<S: AsRef<str>>(original: &[u8], trimmed: &[u8], plan: &Plan, texts: &[S]) -> Result<Comparison> {
    let json: serde_json::Value = serde_json::from_slice(original).map_err(|e| Error::json("tokenizer.json", e))?;
    let unk_id = parse(&json, "tokenizer.json")?.unk_id;
    let load = |b: &[u8]| Tokenizer::from_bytes(b).map_err(|e| Error::Tokenizer(e.to_string()));
    let (a, b) = (load(original)?, load(trimmed)?);
    let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).filter(|t| !t.trim().is_empty()).collect();
    let mut c = Comparison { texts: texts.len(), ..Default::default() };
    for chunk in texts.chunks(4096) {
        let (ea, eb) = (encode_many(&a, chunk)?, encode_many(&b, chunk)?);
        for ((text, x), y) in chunk.iter().zip(&ea).zip(&eb) {
            let back: Vec<u32> = y.get_ids().iter().map(|&i| plan.kept.get(i as usize).copied().unwrap_or(u32::MAX)).collect();
            c.tokens_before += x.len();
            c.tokens_after += y.len();
            let unk = |ids: &[u32]| ids.iter().filter(|&&i| Some(i) == unk_id).count();
            c.more_unk += usize::from(unk(&back) > unk(x.get_ids()));
            if back != x.get_ids() {
                c.changed += 1;
                if c.example.is_none() {
                    c.example = Some((text.to_string(), x.get_tokens().to_vec(), y.get_tokens().to_vec()));
                }
            }
        }
    }
    Ok(c)
}

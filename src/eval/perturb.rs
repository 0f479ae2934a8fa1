//! Seeded, deterministic query perturbations for robustness tables (`--perturb KIND:RATE`):
//! - `typo:R` — each character, with probability R, is swapped with the next, dropped, or followed by an
//!   inserted character drawn from the same text (so the script stays the same);
//! - `codeswitch:R` — a share R of the words is replaced by the word at the same relative position of the
//!   parallel question in another language (the dataset's own translations, so the words are real);
//! - `script:R` — each character, with probability R, gets one of: a zero-width character after it, its case
//!   flipped, its diacritics removed, or its canonical decomposition (NFD).
//!
//! Every query gets its own random stream from (seed, query id), so a query's perturbation does not depend on
//! which other queries are evaluated or in what order.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Perturbation {
    Typo(f64),
    CodeSwitch(f64),
    Script(f64),
}

impl std::str::FromStr for Perturbation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (kind, rate) = s
            .split_once(':')
            .ok_or_else(|| Error::input(format!("perturbation {s:?}: expected KIND:RATE, e.g. typo:0.1")))?;
        let rate: f64 = rate
            .parse()
            .ok()
            .filter(|r: &f64| (0.0..=1.0).contains(r))
            .ok_or_else(|| Error::input(format!("perturbation {s:?}: the rate must be a number from 0 to 1")))?;
        match kind {
            "typo" => Ok(Perturbation::Typo(rate)),
            "codeswitch" => Ok(Perturbation::CodeSwitch(rate)),
            "script" => Ok(Perturbation::Script(rate)),
            other => Err(Error::input(format!(
                "unknown perturbation {other:?} (expected typo, codeswitch or script)"
            ))),
        }
    }
}

impl std::fmt::Display for Perturbation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Perturbation::Typo(r) => write!(f, "typo:{r}"),
            Perturbation::CodeSwitch(r) => write!(f, "codeswitch:{r}"),
            Perturbation::Script(r) => write!(f, "script:{r}"),
        }
    }
}

const ZERO_WIDTH: [char; 4] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}'];

/// A random stream for one item: FNV-1a of the key, mixed with the seed (stable across Rust versions,
/// unlike std's hasher).
fn rng_for(seed: u64, key: &str) -> ChaCha8Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(h ^ seed.rotate_left(32))
}

/// Words for code-switching: whitespace-separated, or characters for texts written without spaces (zh, ja, th).
fn words(text: &str) -> Vec<String> {
    let ws: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    if ws.len() > 1 { ws } else { text.chars().filter(|c| !c.is_whitespace()).map(String::from).collect() }
}

fn joiner(text: &str) -> &'static str {
    if text.split_whitespace().nth(1).is_some() { " " } else { "" }
}

impl Perturbation {
    pub fn rate(&self) -> f64 {
        match *self {
            Perturbation::Typo(r) | Perturbation::CodeSwitch(r) | Perturbation::Script(r) => r,
        }
    }

    /// Perturbs `text` (the query `key`). `parallel` holds the same question in other languages, used by
    /// code-switching; with none, code-switching leaves the text as it is.
    pub fn apply(&self, text: &str, seed: u64, key: &str, parallel: &[&str]) -> String {
        let mut rng = rng_for(seed, key);
        match *self {
            Perturbation::Typo(rate) => typo(text, rate, &mut rng),
            Perturbation::CodeSwitch(rate) => code_switch(text, rate, parallel, &mut rng),
            Perturbation::Script(rate) => script_noise(text, rate, &mut rng),
        }
    }
}

fn typo(text: &str, rate: f64, rng: &mut ChaCha8Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let letters: Vec<char> = chars.iter().copied().filter(|c| c.is_alphanumeric()).collect();
    let mut out = Vec::with_capacity(chars.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || !rng.random_bool(rate) {
            out.push(c);
            i += 1;
            continue;
        }
        match rng.random_range(0..3) {
            0 if i + 1 < chars.len() && !chars[i + 1].is_whitespace() => {
                out.push(chars[i + 1]);
                out.push(c);
                i += 2;
            }
            1 => i += 1, // drop
            _ => {
                out.push(c);
                if !letters.is_empty() {
                    out.push(letters[rng.random_range(0..letters.len())]);
                }
                i += 1;
            }
        }
    }
    let result: String = out.into_iter().collect();
    // Never return an empty query: the encoder refuses empty texts.
    if result.trim().is_empty() { text.to_string() } else { result }
}

fn code_switch(text: &str, rate: f64, parallel: &[&str], rng: &mut ChaCha8Rng) -> String {
    let others: Vec<&str> = parallel.iter().copied().filter(|p| !p.trim().is_empty() && *p != text).collect();
    if others.is_empty() || rate == 0.0 {
        return text.to_string();
    }
    let partner = words(others[rng.random_range(0..others.len())]);
    let mut mine = words(text);
    for i in 0..mine.len() {
        if rng.random_bool(rate) {
            // The word at the same relative position: parallel questions keep roughly the same order.
            let j = (i * partner.len()) / mine.len();
            mine[i] = partner[j.min(partner.len() - 1)].clone();
        }
    }
    mine.join(joiner(text))
}

fn script_noise(text: &str, rate: f64, rng: &mut ChaCha8Rng) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_whitespace() || !rng.random_bool(rate) {
            out.push(c);
            continue;
        }
        match rng.random_range(0..4) {
            0 => {
                out.push(c);
                out.push(ZERO_WIDTH[rng.random_range(0..ZERO_WIDTH.len())]);
            }
            1 => {
                if c.is_lowercase() {
                    out.extend(c.to_uppercase());
                } else {
                    out.extend(c.to_lowercase());
                }
            }
            2 => out.extend(c.to_string().nfd().filter(|d| !is_combining_mark(*d))),
            _ => out.extend(c.to_string().nfd()),
        }
    }
    out
}

/// Every question of a LAReQA set, perturbed; code-switching draws on the question's parallel versions.
/// The random stream of each question is keyed by its id, so results do not depend on the language subset.
pub fn perturb_lareqa_questions(set: &crate::eval::lareqa::LareqaSet, p: Perturbation, seed: u64) -> Vec<String> {
    let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); set.xling_ids.len()];
    for (q, question) in set.questions.iter().enumerate() {
        by_group[question.group].push(q);
    }
    set.questions
        .iter()
        .map(|question| {
            let parallel: Vec<&str> = by_group[question.group]
                .iter()
                .map(|&o| &set.questions[o])
                .filter(|o| o.lang != question.lang)
                .map(|o| o.text.as_str())
                .collect();
            p.apply(&question.text, seed, &question.id, &parallel)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: &str = "Where does the train to the capital leave from every morning?";

    #[test]
    fn parses_kind_and_rate() {
        assert_eq!("typo:0.1".parse::<Perturbation>().unwrap(), Perturbation::Typo(0.1));
        assert_eq!("codeswitch:0.5".parse::<Perturbation>().unwrap(), Perturbation::CodeSwitch(0.5));
        assert!("typo".parse::<Perturbation>().unwrap_err().to_string().contains("KIND:RATE"));
        assert!("typo:2".parse::<Perturbation>().unwrap_err().to_string().contains("from 0 to 1"));
        assert!("emoji:0.1".parse::<Perturbation>().unwrap_err().to_string().contains("unknown perturbation"));
        assert_eq!(Perturbation::Script(0.25).to_string(), "script:0.25");
    }

    #[test]
    fn deterministic_per_seed_and_key() {
        let p = Perturbation::Typo(0.2);
        assert_eq!(p.apply(EN, 7, "q1", &[]), p.apply(EN, 7, "q1", &[]));
        assert_ne!(p.apply(EN, 7, "q1", &[]), p.apply(EN, 8, "q1", &[]));
        assert_ne!(p.apply(EN, 7, "q1", &[]), p.apply(EN, 7, "q2", &[]));
    }

    #[test]
    fn rate_zero_is_identity() {
        for p in [Perturbation::Typo(0.0), Perturbation::CodeSwitch(0.0), Perturbation::Script(0.0)] {
            assert_eq!(p.apply(EN, 1, "q", &["Wo fährt der Zug ab?"]), EN);
        }
    }

    fn edit_distance(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut cur = vec![i; b.len() + 1];
            for j in 1..=b.len() {
                cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + (a[i - 1] != b[j - 1]) as usize);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn typo_rate_sets_the_amount_of_change() {
        // Each event is one or two edits (a swap is two), at `rate` per non-space character.
        let letters = EN.chars().filter(|c| !c.is_whitespace()).count() as f64;
        for rate in [0.05, 0.3] {
            let edits: usize =
                (0..200).map(|k| edit_distance(EN, &Perturbation::Typo(rate).apply(EN, 3, &k.to_string(), &[]))).sum();
            let per_query = edits as f64 / 200.0;
            let expected = rate * letters;
            assert!(per_query > 0.8 * expected && per_query < 2.0 * expected, "rate {rate}: {per_query} edits, expected ≈ {expected}");
        }
    }

    #[test]
    fn codeswitch_uses_the_parallel_words() {
        let de = "Wo fährt der Zug in die Hauptstadt jeden Morgen ab?";
        let out = Perturbation::CodeSwitch(1.0).apply(EN, 1, "q", &[de]);
        let de_words: Vec<&str> = de.split_whitespace().collect();
        assert!(out.split(' ').all(|w| de_words.contains(&w)), "{out}");
        let half = Perturbation::CodeSwitch(0.5).apply(EN, 1, "q", &[de]);
        assert!(half.split(' ').any(|w| de_words.contains(&w)) && half.split(' ').any(|w| EN.contains(w)), "{half}");
        // Chinese has no spaces: characters are the words.
        let zh = Perturbation::CodeSwitch(1.0).apply("图书馆几点开门", 1, "q", &["Когда открывается"]);
        assert!(!zh.contains(' ') && zh.chars().all(|c| "Когдаоткрывается".contains(c)), "{zh}");
    }

    #[test]
    fn script_noise_keeps_the_letters_recognisable() {
        let vi = "Thư viện mở cửa lúc mấy giờ?";
        let out = Perturbation::Script(1.0).apply(vi, 5, "q", &[]);
        assert_ne!(out, vi);
        // Removing marks, zero-width characters and case from both sides gives the same base letters.
        let base = |s: &str| -> String {
            s.nfd().filter(|c| !is_combining_mark(*c) && !ZERO_WIDTH.contains(c)).flat_map(char::to_lowercase).collect()
        };
        assert_eq!(base(&out), base(vi));
    }
}

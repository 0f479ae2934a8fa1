//! The built-in demo content. The LAReQA set (www/demo/eval/{lang}.json): loads all 8 languages through
//! `lareqa::load_dir` and checks the set against counts taken independently from the raw JSON.
//! Native only: it reads the files from disk.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use lingbridge::eval::lareqa::{self, LareqaSet};
use serde_json::Value;

const LANGS: [&str; 8] = ["en", "de", "es", "ar", "hi", "zh", "ru", "vi"];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/demo/eval")
}

/// What the raw file says, counted without the library: question ids in order, sentence count,
/// and per question the (paragraph number, sentence index) its answer falls in.
struct RawCounts {
    question_ids: Vec<String>,
    sentences: usize,
    answers: BTreeMap<String, (usize, usize)>,
}

fn raw_counts(lang: &str) -> RawCounts {
    let path = dir().join(format!("{lang}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], "lingbridge-demo-1", "{lang}");
    let mut counts = RawCounts { question_ids: Vec::new(), sentences: 0, answers: BTreeMap::new() };
    let mut paragraph = 0;
    for article in doc["data"].as_array().unwrap() {
        assert!(article["title"].as_str().is_some_and(|t| !t.is_empty()), "{lang}: title");
        for p in article["paragraphs"].as_array().unwrap() {
            let context: Vec<char> = p["context"].as_str().unwrap().chars().collect();
            let sentences = p["sentences"].as_array().unwrap();
            let breaks = p["sentence_breaks"].as_array().unwrap();
            assert_eq!(sentences.len(), breaks.len(), "{lang}: paragraph {paragraph}");
            let spans: Vec<(usize, usize)> = breaks
                .iter()
                .map(|b| (b[0].as_u64().unwrap() as usize, b[1].as_u64().unwrap() as usize))
                .collect();
            for (i, (&(s, e), sentence)) in spans.iter().zip(sentences).enumerate() {
                let slice: String = context[s..e].iter().collect();
                assert_eq!(slice, sentence.as_str().unwrap(), "{lang}: paragraph {paragraph} sentence {i}");
                if i > 0 {
                    assert!(spans[i - 1].1 <= s, "{lang}: spans overlap in paragraph {paragraph}");
                }
            }
            counts.sentences += sentences.len();
            for qa in p["qas"].as_array().unwrap() {
                let id = qa["id"].as_str().unwrap().to_string();
                let answer = &qa["answers"][0];
                let start = answer["answer_start"].as_u64().unwrap() as usize;
                let text = answer["text"].as_str().unwrap();
                let len = text.chars().count();
                assert_eq!(context[start..start + len].iter().collect::<String>(), text, "{lang}: {id}");
                let sentence = spans.iter().position(|&(s, e)| s <= start && start < e).unwrap();
                assert!(start + len <= spans[sentence].1, "{lang}: {id} answer runs past its sentence");
                assert!(counts.answers.insert(id.clone(), (paragraph, sentence)).is_none(), "{lang}: duplicate {id}");
                counts.question_ids.push(id);
            }
            paragraph += 1;
        }
    }
    counts
}

fn load() -> LareqaSet {
    lareqa::load_dir(&dir(), &LANGS).unwrap()
}

#[test]
fn demo_eval_matches_raw_counts() {
    let set = load();
    assert_eq!(set.languages, LANGS);
    assert!(set.skipped.is_empty(), "skipped: {:?}", set.skipped);
    assert!(set.text_mismatches.is_empty(), "text mismatches: {:?}", set.text_mismatches);

    let raw: Vec<RawCounts> = LANGS.iter().map(|l| raw_counts(l)).collect();
    let ids: BTreeSet<&String> = raw[0].question_ids.iter().collect();
    assert!(raw[0].question_ids.len() >= 64, "only {} questions", raw[0].question_ids.len());
    for (lang, counts) in LANGS.iter().zip(&raw) {
        let l = set.language_index(lang).unwrap();
        assert_eq!(set.questions_of(l).len(), counts.question_ids.len(), "{lang}: questions");
        assert_eq!(set.candidates_of(l).len(), counts.sentences, "{lang}: candidates");
        assert_eq!(counts.question_ids.iter().collect::<BTreeSet<_>>(), ids, "{lang}: question ids differ from en");
        // Same order, same answer positions: the files are parallel paragraph by paragraph.
        assert_eq!(counts.question_ids, raw[0].question_ids, "{lang}: question order");
        assert_eq!(counts.answers, raw[0].answers, "{lang}: answer sentences differ from en");
        let q_ids: Vec<&str> = set.questions[set.questions_of(l)].iter().map(|q| q.xling_id.as_str()).collect();
        assert_eq!(q_ids, counts.question_ids.iter().map(String::as_str).collect::<Vec<_>>(), "{lang}");
    }
    assert_eq!(set.questions.len(), raw.iter().map(|c| c.question_ids.len()).sum::<usize>());
    assert_eq!(set.candidates.len(), raw.iter().map(|c| c.sentences).sum::<usize>());
    assert_eq!(set.xling_ids.len(), ids.len());
}

#[test]
fn demo_eval_every_question_has_one_relevant_sentence_per_language() {
    let set = load();
    let raw: BTreeMap<&str, RawCounts> = LANGS.iter().map(|&l| (l, raw_counts(l))).collect();
    assert_eq!(set.relevant.len(), set.questions.len());
    for (q, question) in set.questions.iter().enumerate() {
        let relevant = &set.relevant[q];
        assert_eq!(relevant.len(), LANGS.len(), "{}", question.id);
        let langs: BTreeSet<usize> = relevant.iter().map(|&c| set.candidates[c].lang).collect();
        assert_eq!(langs.len(), LANGS.len(), "{}: relevant candidates not one per language", question.id);
        assert!(relevant.contains(&question.answer), "{}: own answer not relevant", question.id);
        for &c in relevant {
            let cand = &set.candidates[c];
            let lang = set.languages[cand.lang].as_str();
            let (paragraph, sentence) = raw[lang].answers[&question.xling_id];
            assert_eq!(cand.id, format!("{lang}_{paragraph}_{sentence}"), "{}", question.id);
        }
    }
}

/// The search corpus (www/demo/corpus.jsonl, format in www/demo/README.md): what the page and issue promise.
#[test]
fn demo_corpus_has_its_languages_parallel_groups_and_unique_ids() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/demo/corpus.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut ids = BTreeSet::new();
    let mut per_lang: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        let (id, lang, body) = (v["id"].as_str().unwrap(), v["lang"].as_str().unwrap(), v["text"].as_str().unwrap());
        assert!(ids.insert(id.to_string()), "line {}: id {id} repeats", i + 1);
        assert!(v["topic"].is_string(), "line {}: no topic", i + 1);
        assert!((20..=600).contains(&body.chars().count()), "line {}: {} characters", i + 1, body.chars().count());
        *per_lang.entry(lang.to_string()).or_default() += 1;
        if let Some(g) = v["parallel"].as_str() {
            assert!(groups.entry(g.to_string()).or_default().insert(lang.to_string()), "group {g} has {lang} twice");
        }
    }
    assert!(ids.len() >= 300, "{} passages", ids.len());
    let langs: Vec<&str> = per_lang.keys().map(String::as_str).collect();
    assert_eq!(langs, ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]);
    assert!(per_lang.values().all(|&n| n >= 20), "{per_lang:?}");
    assert!(groups.len() >= 40, "{} parallel groups", groups.len());
    assert!(groups.values().all(|g| g.len() >= 6), "a parallel group in fewer than 6 languages");
    // Every language the page's tokenizer-trained models know is searchable in the demo: the native scripts
    // are really there (not transliterations).
    let has = |lang: &str, range: std::ops::RangeInclusive<char>| {
        text.lines().filter(|l| l.contains(&format!("\"lang\": \"{lang}\""))).any(|l| l.chars().any(|c| range.contains(&c)))
    };
    assert!(has("ar", '\u{0600}'..='\u{06FF}') && has("hi", '\u{0900}'..='\u{097F}') && has("ru", '\u{0400}'..='\u{04FF}'));
    assert!(has("el", '\u{0370}'..='\u{03FF}') && has("th", '\u{0E00}'..='\u{0E7F}') && has("zh", '\u{4E00}'..='\u{9FFF}'));
}

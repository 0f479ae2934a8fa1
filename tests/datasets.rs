//! Dataset readers (LAReQA, BEIR, MIRACL / Mr.TyDi).
//!
//! 1. Fixture tests, natively and in the browser: invented LAReQA files in three scripts (Latin with an
//!    astral emoji, Chinese, Cyrillic) and a tiny BEIR folder; exact candidates, ids, relevance; every kind of
//!    malformed input gives an error that names the file and the item.
//! 2. Real-data tests (native only): the published XQuAD-R, MLQA-R, SciFact, MIRACL and Mr.TyDi files give
//!    the counts their sources state. They skip when the data is absent, and fail if CI=true
//!    (see `lingbridge::data_paths::require_or_skip`).

mod common;

use lingbridge::Error;
use lingbridge::eval::beir::{self, Corpus, Qrels};
use lingbridge::eval::lareqa::{CandidateText, LareqaSet, SkipReason};
use lingbridge::eval::miracl;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/", $path))
    };
}

const EN: &str = fixture!("lareqa/en.json");
const ZH: &str = fixture!("lareqa/zh.json");
const RU: &str = fixture!("lareqa/ru.json");

fn fixture_set() -> LareqaSet {
    LareqaSet::from_files([
        ("en", "lareqa/en.json", EN.as_bytes()),
        ("zh", "lareqa/zh.json", ZH.as_bytes()),
        ("ru", "lareqa/ru.json", RU.as_bytes()),
    ])
    .expect("fixture loads")
}

fn candidate_index(set: &LareqaSet, id: &str) -> usize {
    set.candidates.iter().position(|c| c.id == id).unwrap_or_else(|| panic!("no candidate {id}"))
}

fn question_index(set: &LareqaSet, id: &str) -> usize {
    set.questions.iter().position(|q| q.id == id).unwrap_or_else(|| panic!("no question {id}"))
}

/// The relevant candidates of a question, as ids.
fn relevant_ids(set: &LareqaSet, question: &str) -> Vec<String> {
    let q = question_index(set, question);
    set.relevant[q].iter().map(|&c| set.candidates[c].id.clone()).collect()
}

/// English fixture with one edit to its parsed JSON, re-serialised.
fn edited_en(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value = serde_json::from_str(EN).unwrap();
    edit(&mut value);
    serde_json::to_string(&value).unwrap()
}

/// Loads one (possibly broken) English file and returns the error message.
fn en_error(json: &str) -> String {
    match LareqaSet::from_files([("en", "broken/en.json", json.as_bytes())]) {
        Ok(_) => panic!("broken input was accepted"),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "error {message:?} should mention {part:?}");
    }
}

const BEIR_CORPUS: &str = fixture!("beir-tiny/corpus.jsonl");
const BEIR_QUERIES: &str = fixture!("beir-tiny/queries.jsonl");
const BEIR_QRELS: &str = fixture!("beir-tiny/qrels/test.tsv");

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn judgements(qrels: &Qrels) -> Vec<(&str, &str, i32)> {
    qrels.iter().flat_map(|(q, docs)| docs.iter().map(move |(d, g)| (q.as_str(), d.as_str(), *g))).collect()
}

everywhere! {
    fn lareqa_fixture_candidates_are_every_sentence_with_file_wide_paragraph_numbers() {
        let set = fixture_set();
        assert_eq!(set.languages, ["en", "zh", "ru"]);
        let ids: Vec<&str> = set.candidates.iter().map(|c| c.id.as_str()).collect();
        let mut expected = Vec::new();
        for lang in ["en", "zh", "ru"] {
            // Paragraph 2 is the first paragraph of the second article: numbering runs across articles.
            for (p, s) in [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0), (2, 1)] {
                expected.push(format!("{lang}_{p}_{s}"));
            }
        }
        assert_eq!(ids, expected);
        for (lang, range) in [(0, 0..7), (1, 7..14), (2, 14..21)] {
            assert_eq!(set.candidates_of(lang), range);
            assert!(set.candidates[set.candidates_of(lang)].iter().all(|c| c.lang == lang));
        }
        assert_eq!(set.contexts.len(), 9);
        assert_eq!(set.contexts[5].title, "灯");
        assert_eq!(set.contexts[5].paragraph, 2);
        assert_eq!(set.contexts[5].candidates, 12..14);
    }

    fn lareqa_spans_count_code_points_not_bytes() {
        let set = fixture_set();
        let text = |id: &str| set.candidates[candidate_index(&set, id)].sentence.clone();
        // Chinese: 3 bytes per character; the emoji: 4 bytes, 2 UTF-16 units, 1 code point.
        assert_eq!(text("zh_0_1"), "它向东流三百公里。");
        assert_eq!(text("zh_2_0"), "玻璃灯\u{1F30D}在夜里照亮港口。");
        assert_eq!(text("en_2_0"), "Glass lamps \u{1F30D} light the harbour at night.");
        // Russian has no `sentences` field: these come from slicing the context by code-point spans.
        assert_eq!(text("ru_0_0"), "Синяя река начинается в холмах.");
        assert_eq!(text("ru_0_2"), "Лодки возят по ней соль.");
        assert_eq!(text("ru_2_1"), "Масло для них берут из рыбы.");
        let c = &set.candidates[candidate_index(&set, "ru_0_1")];
        assert_eq!((c.span, c.sentence_index), ((32, 59), 1));
        assert!(set.text_mismatches.is_empty());
    }

    fn lareqa_questions_answers_and_relevant_sets() {
        let set = fixture_set();
        let ids: Vec<&str> = set.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "en_q-river", "en_q-length", "en_q-bridge", "en_q-lamp",
                "zh_q-river", "zh_q-length", "zh_q-salt", "zh_q-bridge", "zh_q-lamp",
                "ru_q-river", "ru_q-salt", "ru_q-bridge", "ru_q-lamp",
            ]
        );
        assert_eq!(set.questions_of(1), 4..9);
        let q = &set.questions[question_index(&set, "zh_q-lamp")];
        assert_eq!((q.xling_id.as_str(), q.lang, q.text.as_str()), ("q-lamp", 1, "港口的灯用什么燃料？"));
        assert_eq!(set.candidates[q.answer].id, "zh_2_1");
        assert_eq!(set.xling_ids[q.group], "q-lamp");
        // The answer after the emoji lands in sentence 1 only if the emoji counts as one position.
        assert_eq!(set.candidates[set.questions[question_index(&set, "en_q-lamp")].answer].id, "en_2_1");

        assert_eq!(relevant_ids(&set, "en_q-river"), ["en_0_0", "zh_0_0", "ru_0_0"]);
        assert_eq!(relevant_ids(&set, "ru_q-river"), ["en_0_0", "zh_0_0", "ru_0_0"]);
        // Present in two languages only: two relevant candidates, as in MLQA-R.
        assert_eq!(relevant_ids(&set, "en_q-length"), ["en_0_1", "zh_0_1"]);
        assert_eq!(relevant_ids(&set, "ru_q-salt"), ["zh_0_2", "ru_0_2"]);
        assert_eq!(relevant_ids(&set, "zh_q-bridge"), ["en_1_1", "zh_1_1", "ru_1_1"]);
        assert_eq!(relevant_ids(&set, "en_q-lamp"), ["en_2_1", "zh_2_1", "ru_2_1"]);
        let q = question_index(&set, "en_q-lamp");
        assert!(set.is_relevant(q, candidate_index(&set, "ru_2_1")));
        assert!(!set.is_relevant(q, candidate_index(&set, "ru_2_0")));
    }

    fn lareqa_questions_without_an_answer_sentence_are_skipped_and_listed() {
        let set = fixture_set();
        assert_eq!(set.skipped.len(), 2);
        let gap = &set.skipped[0];
        // answer_start 35 is the blank between "…hills." and "It flows…".
        assert_eq!((gap.lang, gap.xling_id.as_str()), (0, "q-gap"));
        assert_eq!(gap.reason, SkipReason::AnswerOutsideSentences { answer_start: 35 });
        let empty = &set.skipped[1];
        assert_eq!((empty.lang, empty.xling_id.as_str(), &empty.reason), (2, "q-empty", &SkipReason::NoAnswer));
        assert!(!set.xling_ids.iter().any(|x| x == "q-gap" || x == "q-empty"));
    }

    fn lareqa_candidate_text_modes() {
        let set = fixture_set();
        let c = candidate_index(&set, "en_1_1");
        assert_eq!(set.candidate_text(c, CandidateText::Sentence), "It was built in 1642.");
        assert_eq!(
            set.candidate_text(c, CandidateText::SentenceAndContext),
            "It was built in 1642. An old stone bridge crosses the river at Millford. It was built in 1642."
        );
        assert_eq!(
            set.candidate_parts(c),
            ("It was built in 1642.", "An old stone bridge crosses the river at Millford. It was built in 1642.")
        );
        assert_eq!("sentence+context".parse::<CandidateText>().unwrap(), CandidateText::SentenceAndContext);
        assert!("paragraph".parse::<CandidateText>().is_err());
        let texts = set.candidate_texts(set.candidates_of(1), CandidateText::Sentence);
        assert_eq!(texts.len(), 7);
        assert_eq!(texts[6], "灯油来自鱼。");
    }

    fn lareqa_sentence_text_that_disagrees_with_its_span_is_kept_and_reported() {
        // Like two Turkish XQuAD-R sentences: the `sentences` string is right, the span slice is off.
        let json = edited_en(|v| {
            v["data"][0]["paragraphs"][1]["sentences"][1] = "It was built in 1642, they say.".into();
        });
        let set = LareqaSet::from_files([("en", "edited/en.json", json.as_bytes())]).unwrap();
        let c = candidate_index(&set, "en_1_1");
        assert_eq!(set.text_mismatches, [c]);
        assert_eq!(set.candidates[c].sentence, "It was built in 1642, they say.");
    }

    fn lareqa_malformed_input_names_file_and_item() {
        // Not JSON at all.
        let message = en_error(&EN[..EN.len() / 2]);
        assert_mentions(&message, &["broken/en.json", "invalid JSON"]);

        // A missing field: the path says which question.
        let message = en_error(&edited_en(|v| {
            v["data"][0]["paragraphs"][1]["qas"][0].as_object_mut().unwrap().remove("question");
        }));
        assert_mentions(&message, &["broken/en.json", "data[0].paragraphs[1].qas[0]", "question"]);

        // A span past the end of its paragraph (72 code points).
        let message = en_error(&edited_en(|v| v["data"][0]["paragraphs"][1]["sentence_breaks"][1][1] = 80.into()));
        assert_mentions(&message, &["broken/en.json", "paragraph 1", "sentence 1", "[51, 80)", "72 characters"]);

        // A span end that is a valid byte offset (the emoji is 4 bytes) but past the code points.
        let message = en_error(&edited_en(|v| v["data"][1]["paragraphs"][0]["sentence_breaks"][1][1] = 71.into()));
        assert_mentions(&message, &["broken/en.json", "article 1 (\"Lamps\"), paragraph 2", "sentence 1"]);

        // Empty, overlapping and reversed spans.
        let message = en_error(&edited_en(|v| v["data"][0]["paragraphs"][0]["sentence_breaks"][1] = serde_json::json!([30, 61])));
        assert_mentions(&message, &["paragraph 0", "sentence 1", "overlaps"]);
        let message = en_error(&edited_en(|v| v["data"][0]["paragraphs"][0]["sentence_breaks"][2] = serde_json::json!([70, 62])));
        assert_mentions(&message, &["paragraph 0", "sentence 2", "[70, 62)"]);

        // sentences and sentence_breaks disagree in length.
        let message = en_error(&edited_en(|v| {
            v["data"][0]["paragraphs"][0]["sentences"].as_array_mut().unwrap().pop();
        }));
        assert_mentions(&message, &["paragraph 0", "2 sentences but 3 sentence_breaks"]);

        // answer_start outside the context.
        let message = en_error(&edited_en(|v| v["data"][0]["paragraphs"][1]["qas"][0]["answers"][0]["answer_start"] = 500.into()));
        assert_mentions(&message, &["paragraph 1", "question \"q-bridge\"", "answer_start 500"]);

        // A negative offset is a type error with its path.
        let message = en_error(&edited_en(|v| v["data"][0]["paragraphs"][1]["qas"][0]["answers"][0]["answer_start"] = (-1).into()));
        assert_mentions(&message, &["broken/en.json", "data[0].paragraphs[1].qas[0].answers[0].answer_start"]);

        // The same question id twice in one file.
        let message = en_error(&edited_en(|v| v["data"][1]["paragraphs"][0]["qas"][0]["id"] = "q-river".into()));
        assert_mentions(&message, &["broken/en.json", "paragraph 2", "\"q-river\" repeats", "paragraph 0"]);

        // The same language twice.
        let err = LareqaSet::from_files([("en", "a/en.json", EN.as_bytes()), ("en", "b/en.json", EN.as_bytes())]).unwrap_err();
        assert!(matches!(err, Error::Invalid { ref file, .. } if file == "b/en.json"), "{err}");
        assert_mentions(&err.to_string(), &["language \"en\" was already added"]);
    }

    fn lareqa_a_failed_language_leaves_the_builder_usable() {
        let mut builder = lingbridge::eval::lareqa::LareqaBuilder::new();
        builder.add_language("en", "en.json", EN.as_bytes()).unwrap();
        assert!(builder.add_language("zh", "zh.json", b"{\"data\": [").is_err());
        builder.add_language("zh", "zh.json", ZH.as_bytes()).unwrap();
        let set = builder.finish();
        assert_eq!(set.languages, ["en", "zh"]);
        assert_eq!(set.candidates.len(), 14);
        assert_eq!(relevant_ids(&set, "zh_q-river"), ["en_0_0", "zh_0_0"]);
    }

    fn beir_fixture_reads_corpus_queries_and_qrels() {
        let corpus = Corpus::parse("beir-tiny/corpus.jsonl", BEIR_CORPUS.as_bytes()).unwrap();
        let ids: Vec<&str> = corpus.documents.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["d1", "d2", "3", "d4"], "blank line skipped, numeric _id kept as a string");
        assert_eq!(corpus.position("3"), Some(2));
        assert_eq!(corpus.get("d4").unwrap().text, "潮汐每天涨落两次。");
        assert_eq!(corpus.get("d1").unwrap().full_text(), "Tide pools Tide pools hold small crabs and anemones at low water.");
        assert_eq!(corpus.get("d2").unwrap().full_text(), "Lighthouses once burned whale oil; most now run on electricity.");

        let queries = beir::parse_queries("beir-tiny/queries.jsonl", BEIR_QUERIES.as_bytes()).unwrap();
        assert_eq!(queries.len(), 4);
        assert_eq!(queries[2].text, "когда рыбаки чинят сети");

        let qrels = beir::parse_qrels("beir-tiny/qrels/test.tsv", BEIR_QRELS.as_bytes()).unwrap();
        assert_eq!(judgements(&qrels), [("q1", "d1", 1), ("q2", "d1", 0), ("q2", "d2", 2), ("q3", "3", 1)]);

        let dataset = beir::BeirDataset { corpus, queries, qrels };
        let judged: Vec<&str> = dataset.judged_queries().iter().map(|q| q.id.as_str()).collect();
        assert_eq!(judged, ["q1", "q2", "q3"]);
        assert!(dataset.unknown_queries().is_empty());
        assert!(dataset.unknown_documents().is_empty());
    }

    fn beir_reads_gzip_by_content() {
        let corpus = Corpus::parse("corpus.jsonl.gz", &gzip(BEIR_CORPUS.as_bytes())).unwrap();
        assert_eq!(corpus.len(), 4);
        let qrels = beir::parse_qrels("test.tsv.gz", &gzip(BEIR_QRELS.as_bytes())).unwrap();
        assert_eq!(judgements(&qrels).len(), 4);
        // Gzip magic followed by garbage.
        let err = Corpus::parse("bad.jsonl.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap_err();
        assert_mentions(&err.to_string(), &["bad.jsonl.gz", "gzip"]);
    }

    fn beir_malformed_input_names_file_and_line() {
        let broken = BEIR_CORPUS.replace("\"text\": \"Рыбаки", "\"txt\": \"Рыбаки");
        let message = Corpus::parse("c.jsonl", broken.as_bytes()).unwrap_err().to_string();
        assert_mentions(&message, &["c.jsonl", "line 4", "missing field `text`"]);

        let broken = BEIR_CORPUS.replace("{\"_id\": \"d4\"", "{\"_id\": \"d4\",,");
        let message = Corpus::parse("c.jsonl", broken.as_bytes()).unwrap_err().to_string();
        assert_mentions(&message, &["c.jsonl", "invalid JSON", "line 5"]);
        assert!(!message.contains("line 1 column"), "serde's own line number would mislead: {message}");

        let broken = BEIR_CORPUS.replace("\"_id\": \"d4\"", "\"_id\": \"d1\"");
        let message = Corpus::parse("c.jsonl", broken.as_bytes()).unwrap_err().to_string();
        assert_mentions(&message, &["c.jsonl", "line 5", "document id \"d1\" repeats (first on line 1)"]);

        let broken = BEIR_QUERIES.replace("\"q9\"", "\"q1\"");
        let message = beir::parse_queries("q.jsonl", broken.as_bytes()).unwrap_err().to_string();
        assert_mentions(&message, &["q.jsonl", "query id \"q1\" repeats"]);

        let message = beir::parse_qrels("t.tsv", b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\n").unwrap_err().to_string();
        assert_mentions(&message, &["t.tsv", "line 3", "expected 3 columns"]);
        let message = beir::parse_qrels("t.tsv", b"query-id\tcorpus-id\tscore\nq1\td1\thigh\n").unwrap_err().to_string();
        assert_mentions(&message, &["t.tsv", "line 2", "\"high\" is not an integer"]);
        let message = beir::parse_qrels("t.tsv", b"q1\td1\t1\nq1\td1\t0\n").unwrap_err().to_string();
        assert_mentions(&message, &["t.tsv", "line 2", "judges document \"d1\" twice"]);
        let message = beir::parse_qrels("t.tsv", b"q1\td1\t1\n\xff\n").unwrap_err().to_string();
        assert_mentions(&message, &["t.tsv", "line 2", "UTF-8"]);
    }

    fn miracl_topics_and_trec_qrels() {
        let topics = "7\tКто построил маяк?\n12\t灯塔是谁建的？\n\n";
        let qrels = "7 Q0 501#0 1\n7 Q0 501#3 0\n12 0 88#1 1\n";
        let pair = miracl::TopicsAndQrels::parse("topics.tsv", topics.as_bytes(), "qrels.txt", qrels.as_bytes()).unwrap();
        assert_eq!(pair.topics.len(), 2);
        assert_eq!((pair.topics[1].id.as_str(), pair.topics[1].text.as_str()), ("12", "灯塔是谁建的？"));
        assert_eq!(judgements(&pair.qrels), [("12", "88#1", 1), ("7", "501#0", 1), ("7", "501#3", 0)]);
        assert!(pair.unknown_queries().is_empty());

        // Gzipped topics, as Mr.TyDi ships them.
        assert_eq!(miracl::parse_topics("t.txt.gz", &gzip(topics.as_bytes())).unwrap(), pair.topics);

        let message = miracl::parse_topics("t.tsv", b"7\tone\n8 two\n").unwrap_err().to_string();
        assert_mentions(&message, &["t.tsv", "line 2", "qid<TAB>query"]);
        let message = miracl::parse_topics("t.tsv", b"7\tone\n7\tagain\n").unwrap_err().to_string();
        assert_mentions(&message, &["t.tsv", "line 2", "\"7\" repeats (first on line 1)"]);
        let message = miracl::parse_trec_qrels("q.txt", b"7 Q0 501#0 1\n7 501#3 0\n").unwrap_err().to_string();
        assert_mentions(&message, &["q.txt", "line 2", "expected 4 fields"]);
        let message = miracl::parse_trec_qrels("q.txt", b"7 Q0 501#0 yes\n").unwrap_err().to_string();
        assert_mentions(&message, &["q.txt", "line 1", "'yes' is not an integer"]);
        assert_eq!(miracl::Collection::Miracl.topics_file("sw", "dev"), "topics.miracl-v1.0-sw-dev.tsv");
        assert_eq!(miracl::Collection::MrTydi.qrels_file("th", "test"), "qrels.mrtydi-v1.1-th.test.txt");
    }
}

/// Real data, read from where it lives (`lingbridge::data_paths`); never copied into the project.
#[cfg(not(target_arch = "wasm32"))]
#[path = "datasets/real_data.rs"]
mod real_data;

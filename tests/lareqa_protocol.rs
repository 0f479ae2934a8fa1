//! The LAReQA protocol runner (Mo / Cr / Mul, R@k, language bias) against an independent route: the same
//! score rows written as TREC runs and evaluated by the run-based trec_eval implementation, one pool at a
//! time. Scores are synthetic and full of ties, so trec_eval's tie rule is exercised. Native and in Chrome.

mod common;

use std::collections::BTreeMap;

use lingbridge::Embeddings;
use lingbridge::eval::dense::{candidate_index, evaluate_dense, question_ranking};
use lingbridge::eval::lareqa::LareqaSet;
use lingbridge::eval::metrics::{Qrels, Run, evaluate};
use lingbridge::eval::protocol::{LareqaScores, evaluate_lareqa};
use lingbridge::search::Ranker;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

macro_rules! lareqa_fixture {
    ($lang:literal) => {
        (
            $lang,
            concat!("tests/fixtures/lareqa/", $lang, ".json"),
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lareqa/", $lang, ".json")).as_slice(),
        )
    };
}

fn set() -> LareqaSet {
    LareqaSet::from_files([lareqa_fixture!("en"), lareqa_fixture!("ru"), lareqa_fixture!("zh")]).unwrap()
}

/// Deterministic scores in five levels, so many candidates tie.
fn score(q: usize, c: usize) -> f32 {
    let h = (q as u64 * 2_654_435_761 + c as u64 * 40_503 + 17) % 97;
    (h % 5) as f32 * 0.25 - 0.5
}

fn run_protocol(set: &LareqaSet, block: usize) -> (LareqaScores, Vec<Vec<f32>>) {
    let ranker = Ranker::new(set.candidates.iter().map(|c| c.id.clone()).collect()).unwrap();
    let n = set.candidates.len();
    let mut rows = Vec::new();
    let scores = evaluate_lareqa(
        set,
        &ranker,
        block,
        &mut |range| Ok(range.flat_map(|q| (0..n).map(move |c| score(q, c))).collect()),
        &mut |row| {
            rows.push(row.scores.to_vec());
            Ok(())
        },
        &mut |_, _| {},
    )
    .unwrap();
    (scores, rows)
}

/// trec_eval's map / recall_1 / recall_10 for questions `qs` against candidates `pool`.
fn trec(set: &LareqaSet, qs: impl Iterator<Item = usize>, pool: std::ops::Range<usize>) -> Option<[f64; 3]> {
    let mut qrels = Qrels::new();
    let mut run = Run::new();
    for q in qs {
        let rel: BTreeMap<String, i32> =
            set.relevant[q].iter().filter(|c| pool.contains(c)).map(|&c| (set.candidates[c].id.clone(), 1)).collect();
        if rel.is_empty() {
            continue;
        }
        let id = set.questions[q].id.clone();
        qrels.insert(id.clone(), rel);
        run.insert(id, pool.clone().map(|c| (set.candidates[c].id.clone(), score(q, c) as f64)).collect());
    }
    if qrels.is_empty() {
        return None;
    }
    let e = evaluate(&qrels, &run, &["map", "recall_1", "recall_10"]).unwrap();
    Some([e.all[0], e.all[1], e.all[2]])
}

fn assert_eq_f(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-12, "{what}: {a} vs {b}");
}

everywhere! {
    fn mo_cr_mul_equal_trec_eval_on_the_same_scores() {
        let set = set();
        let (got, rows) = run_protocol(&set, 3);
        assert_eq!(rows.len(), set.questions.len());
        let langs = set.languages.len();
        let (mut mo, mut cr) = (vec![], vec![]);
        for q in 0..langs {
            for p in 0..langs {
                let Some(want) = trec(&set, set.questions_of(q), set.candidates_of(p)) else { continue };
                let cell = got.pairs[q][p];
                assert_eq_f(cell.map, want[0], "pair map");
                assert_eq_f(cell.recall_1, want[1], "pair R@1");
                assert_eq_f(cell.recall_10, want[2], "pair R@10");
                if q == p { mo.push(want[0]) } else { cr.push(want[0]) }
            }
        }
        assert_eq!(mo.len(), langs);
        assert_eq_f(got.mo.map, mo.iter().sum::<f64>() / mo.len() as f64, "Mo");
        assert_eq_f(got.cr.map, cr.iter().sum::<f64>() / cr.len() as f64, "Cr");
        let mul = trec(&set, 0..set.questions.len(), 0..set.candidates.len()).unwrap();
        assert_eq_f(got.mul.map, mul[0], "Mul map");
        assert_eq_f(got.mul.recall_10, mul[2], "Mul R@10");
        // Macro Mul: trec_eval per query language over the full pool, then the plain mean of the languages.
        let per_lang: Vec<[f64; 3]> =
            (0..langs).filter_map(|q| trec(&set, set.questions_of(q), 0..set.candidates.len())).collect();
        for (k, what) in ["Mul map (macro)", "Mul R@1 (macro)", "Mul R@10 (macro)"].iter().enumerate() {
            let want = per_lang.iter().map(|m| m[k]).sum::<f64>() / per_lang.len() as f64;
            let got_k = [got.mul_macro.map, got.mul_macro.recall_1, got.mul_macro.recall_10][k];
            assert_eq_f(got_k, want, what);
        }
    }

    fn rank_distance_matches_a_full_sort() {
        let set = set();
        let (got, rows) = run_protocol(&set, 64);
        let ids: Vec<&str> = set.candidates.iter().map(|c| c.id.as_str()).collect();
        let mut per_lang: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for (q, row) in rows.iter().enumerate() {
            let mut order: Vec<usize> = (0..row.len()).collect();
            // trec_eval's order: score descending, then id descending.
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(ids[b].cmp(ids[a])));
            let ranks: Vec<usize> =
                set.relevant[q].iter().map(|c| order.iter().position(|d| d == c).unwrap() + 1).collect();
            if let (Some(max), Some(min)) = (ranks.iter().max(), ranks.iter().min()) {
                per_lang.entry(set.questions[q].lang).or_default().push((max - min) as f64);
            }
        }
        let macro_rd = per_lang.values().map(|v| v.iter().sum::<f64>() / v.len() as f64).sum::<f64>() / per_lang.len() as f64;
        assert_eq_f(got.bias.rank_distance, macro_rd, "rank distance");
        // The block size changes nothing.
        assert_eq!(run_protocol(&set, 1).0, got);
    }

    // The path `lingbridge eval` and the page share: vectors → index → protocol, and the bias view's per-question
    // ranking, against a full sort of the dot products. Integer components keep every dot product exact in f32,
    // so ties are real ties.
    fn dense_path_and_question_rankings_agree_with_a_full_sort() {
        let set = set();
        let dim = 3;
        let vectors = |n: usize, salt: u64| Embeddings {
            dim,
            data: (0..n * dim).map(|i| ((i as u64 * 2_654_435_761 + salt) % 4) as f32).collect(),
        };
        let (q_emb, c_emb) = (vectors(set.questions.len(), 5), vectors(set.candidates.len(), 11));
        let index = candidate_index(&set, &c_emb).unwrap();
        let got = evaluate_dense(&set, &index, &q_emb, 7, &mut |_| Ok(()), &mut |_, _| {}).unwrap();
        let ids: Vec<&str> = set.candidates.iter().map(|c| c.id.as_str()).collect();
        let mut per_lang: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for q in 0..set.questions.len() {
            let row: Vec<f32> =
                c_emb.rows().map(|c| c.iter().zip(q_emb.row(q)).map(|(a, b)| a * b).sum()).collect();
            let mut order: Vec<usize> = (0..row.len()).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(ids[b].cmp(ids[a])));
            let view = question_ranking(&set, &index, &q_emb, q, 10).unwrap();
            let mut want: Vec<(usize, usize)> =
                set.relevant[q].iter().map(|&c| (order.iter().position(|&d| d == c).unwrap() + 1, c)).collect();
            want.sort();
            assert_eq!(view.answers.iter().map(|a| (a.rank, a.candidate)).collect::<Vec<_>>(), want, "question {q}");
            for a in &view.answers {
                assert_eq!(a.lang, set.languages[set.candidates[a.candidate].lang]);
            }
            let top: Vec<usize> = view.top.iter().map(|t| t.candidate).collect();
            assert_eq!(top, order[..10.min(order.len())].to_vec(), "question {q}: top 10");
            assert!(view.top.iter().all(|t| t.relevant == set.relevant[q].contains(&t.candidate)));
            if let Some(rd) = view.rank_distance {
                assert_eq!(rd, want.last().unwrap().0 - want[0].0);
                per_lang.entry(set.questions[q].lang).or_default().push(rd as f64);
            }
        }
        let macro_rd = per_lang.values().map(|v| v.iter().sum::<f64>() / v.len() as f64).sum::<f64>() / per_lang.len() as f64;
        assert_eq_f(got.bias.rank_distance, macro_rd, "rank distance");
        assert!(question_ranking(&set, &index, &q_emb, set.questions.len(), 10).unwrap_err().to_string().contains("does not exist"));
        let short = Embeddings { dim, data: c_emb.data[dim..].to_vec() };
        assert!(candidate_index(&set, &short).err().unwrap().to_string().contains("candidate vectors"));
    }
}

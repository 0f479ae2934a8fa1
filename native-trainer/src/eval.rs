//! `lingbridge eval`: a model (and optionally the BM25 baseline) on
//! - XQuAD-R / MLQA-R with the LAReQA protocol (Mo / Cr / Mul mAP, R@k, language bias), or
//! - a BEIR folder, or MIRACL / Mr.TyDi topics + qrels with a user-supplied corpus, with trec_eval measures.
//! Prints a Markdown table and writes report.json, report.md, a language-pair heatmap per LAReQA system
//! (heatmap.SYSTEM.svg) and TREC files (a run per system + the qrels) so
//! users can re-check every number with their own tools.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use lingbridge::eval::beir::{self, Corpus, Query};
use lingbridge::eval::lareqa::{self, CandidateText, LareqaSet};
use lingbridge::eval::metrics::{Qrels, Run};
use lingbridge::eval::trec::write_qrels;
use lingbridge::eval::miracl::{self, Collection};
use lingbridge::eval::perturb::{Perturbation, perturb_lareqa_questions};
use lingbridge::eval::dense::{candidate_index, dense_run, evaluate_dense};
use lingbridge::eval::heatmap::pairs_svg;
use lingbridge::eval::protocol::{LareqaScores, MulRow, evaluate_lareqa};
use lingbridge::eval::report::{EvalReport, SystemReport, SystemScores, TrecScores};
use lingbridge::search::{Bm25Index, Bm25Params, DenseIndex, Ranker};
use lingbridge::{Embeddings, Encoder, TextKind};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: crate::ModelArgs,
    /// xquad-r, mlqa-r or a folder of LAReQA {lang}.json files; beir:NAME|DIR (e.g. beir:beir-scifact);
    /// miracl:NAME|DIR or mrtydi:NAME|DIR (topics + qrels; give the corpus with --corpus and one language with
    /// --langs). Names are looked up in $LINGBRIDGE_DATA, ./data, ../shared/data.
    #[arg(long)]
    dataset: String,
    /// Languages, comma-separated (LAReQA default: every {lang}.json in the folder; MIRACL: exactly one).
    #[arg(long, value_delimiter = ',')]
    langs: Vec<String>,
    /// Split of BEIR qrels / MIRACL topics (BEIR default test, MIRACL default dev).
    #[arg(long)]
    split: Option<String>,
    /// MIRACL / Mr.TyDi: the passages, as a BEIR corpus.jsonl[.gz] ({"_id","title","text"} per line).
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// What a candidate is: its sentence, or its sentence followed by its paragraph (LAReQA's encoding).
    #[arg(long, default_value = "sentence", value_parser = ["sentence", "sentence+context"])]
    candidates: String,
    /// Add a lexical baseline row (BM25 over the model's tokenizer pieces).
    #[arg(long, value_parser = ["bm25"])]
    baseline: Option<String>,
    /// Also score perturbed queries: typo:RATE, codeswitch:RATE or script:RATE (RATE from 0 to 1), comma-separated
    /// for several. Each adds a system row `dense+KIND:RATE` next to the clean `dense` row; the candidates are
    /// encoded once for all of them.
    #[arg(long, value_name = "KIND:RATE,…", value_delimiter = ',')]
    perturb: Vec<String>,
    /// Seed for --perturb.
    #[arg(long, default_value_t = 13)]
    seed: u64,
    /// Output folder for report.json, report.md and the TREC files.
    #[arg(long)]
    out: PathBuf,
    /// Documents per query in the run files (LAReQA default 100; BEIR/MIRACL default 1000, which the trec_eval
    /// measures are computed from).
    #[arg(long)]
    run_depth: Option<usize>,
    /// Questions scored per matrix product.
    #[arg(long, default_value_t = 256)]
    block: usize,
}

fn bar(len: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg:>22} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

pub(crate) fn dataset_dir(name: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(name);
    if path.is_dir() {
        return Ok(path.to_path_buf());
    }
    lingbridge::data_paths::dataset_dir(name).with_context(|| {
        let roots: Vec<String> =
            lingbridge::data_paths::data_roots().iter().map(|r| r.display().to_string()).collect();
        format!("dataset {name:?} not found (looked in {}; scripts/fetch-data.sh downloads it)", roots.join(", "))
    })
}

fn embed_all(encoder: &Encoder, texts: &[String], kind: TextKind, what: &str) -> anyhow::Result<Embeddings> {
    let pb = bar(texts.len(), what);
    let mut data = Vec::with_capacity(texts.len() * encoder.dim());
    for chunk in texts.chunks(256) {
        data.extend(encoder.embed(chunk, kind)?.data);
        pb.inc(chunk.len() as u64);
    }
    pb.finish();
    Ok(Embeddings { dim: encoder.dim(), data })
}

/// What runs the protocol for one system: given the Mul-row and progress callbacks, `evaluate_dense` or
/// `evaluate_lareqa` with the system's scores.
type Protocol<'a> = dyn FnMut(&mut dyn FnMut(MulRow<'_>) -> lingbridge::Result<()>, &mut dyn FnMut(usize, usize)) -> lingbridge::Result<LareqaScores>
    + 'a;

/// Runs the protocol, writing the Mul run file on the way.
fn run_protocol(
    set: &LareqaSet,
    ranker: &Ranker,
    run_path: &Path,
    tag: &str,
    depth: usize,
    protocol: &mut Protocol<'_>,
) -> anyhow::Result<LareqaScores> {
    let file = std::fs::File::create(run_path).with_context(|| format!("creating {}", run_path.display()))?;
    let mut run = BufWriter::new(file);
    let pb = bar(set.questions.len(), &format!("ranking ({tag})"));
    let mut io_error = None;
    let scores = protocol(
        &mut |row| {
            let qid = &set.questions[row.question].id;
            for (rank, hit) in ranker.top_k(row.scores, depth).iter().enumerate() {
                // f32's shortest round-trip form keeps ties and order exactly as ranked.
                if let Err(e) = writeln!(run, "{qid} Q0 {} {} {} {tag}", ranker.doc_id(hit.doc), rank + 1, hit.score) {
                    io_error.get_or_insert(e);
                }
            }
            Ok(())
        },
        &mut |done, _| pb.set_position(done as u64),
    )?;
    pb.finish();
    if let Some(e) = io_error {
        return Err(e).with_context(|| format!("writing {}", run_path.display()));
    }
    run.flush()?;
    Ok(scores)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let ad_hoc = ["beir:", "miracl:", "mrtydi:"].iter().any(|p| args.dataset.starts_with(p));
    if ad_hoc && !args.perturb.is_empty() {
        bail!("--perturb needs parallel questions: it applies to LAReQA datasets (xquad-r, mlqa-r)");
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let report = if let Some(name) = args.dataset.strip_prefix("beir:") {
        let dir = dataset_dir(name)?;
        let ds = beir::load_dir(&dir, args.split.as_deref().unwrap_or("test"))?;
        let queries: Vec<Query> = ds.judged_queries().into_iter().cloned().collect();
        run_trec(&args, ds.corpus, queries, ds.qrels)?
    } else if let Some((collection, name)) = args
        .dataset
        .strip_prefix("miracl:")
        .map(|n| (Collection::Miracl, n))
        .or_else(|| args.dataset.strip_prefix("mrtydi:").map(|n| (Collection::MrTydi, n)))
    {
        let dir = dataset_dir(name)?;
        let [lang] = args.langs.as_slice() else { bail!("--langs: give exactly one language for {}", args.dataset) };
        let corpus_path = args.corpus.as_ref().with_context(|| {
            format!("{} has topics and qrels only: give the passages with --corpus FILE (BEIR corpus.jsonl)", args.dataset)
        })?;
        let split = args.split.as_deref().unwrap_or("dev");
        let tq = miracl::load_dir(&dir, collection, lang, split)?;
        let (name, bytes) = beir::read_bytes(corpus_path)?;
        let corpus = Corpus::parse(&name, &bytes)?;
        let queries: Vec<Query> = tq.topics.into_iter().filter(|q| tq.qrels.contains_key(&q.id)).collect();
        run_trec(&args, corpus, queries, tq.qrels)?
    } else {
        run_lareqa(&args)?
    };
    let markdown = report.to_markdown();
    println!("{markdown}");
    std::fs::write(args.out.join("report.md"), &markdown)?;
    std::fs::write(args.out.join("report.json"), serde_json::to_string_pretty(&report)?)?;
    let heatmaps = if write_heatmaps(&report, &args.out)? > 0 { " and the language-pair heatmaps" } else { "" };
    eprintln!("wrote {}/report.json, report.md, the qrels, the run files{heatmaps}", args.out.display());
    Ok(())
}

/// A system's name in its files: `dense+typo:0.1` → `dense-typo-0.1` (run.….mul.trec, heatmap.….svg).
fn file_stem(system: &str) -> String {
    system.replace(['+', ':'], "-")
}

/// `heatmap.SYSTEM.svg`: the language-pair mAP matrix of each LAReQA system; returns how many were written.
fn write_heatmaps(report: &EvalReport, out: &Path) -> anyhow::Result<usize> {
    let mut written = 0;
    for system in &report.systems {
        let SystemScores::Lareqa(scores) = &system.scores else { continue };
        let title = format!("{}: mAP per language pair", system.name);
        let subtitle = format!("{} on {} ({} questions)", report.model, report.dataset, report.questions);
        std::fs::write(out.join(format!("heatmap.{}.svg", file_stem(&system.name))), pairs_svg(&title, &subtitle, scores))?;
        written += 1;
    }
    Ok(written)
}

/// Ad hoc retrieval (BEIR, MIRACL): a run per system from the top `run_depth` documents, scored by trec_eval's
/// measures over the judged queries.
fn run_trec(args: &Args, corpus: Corpus, queries: Vec<Query>, qrels: Qrels) -> anyhow::Result<EvalReport> {
    if queries.is_empty() {
        bail!("{}: no judged query has a topic", args.dataset);
    }
    let missing = qrels.values().flat_map(|docs| docs.keys()).filter(|d| corpus.position(d).is_none()).count();
    if missing > 0 {
        eprintln!("note: {missing} judged documents are not in the corpus (they count as not retrieved)");
    }
    let depth = args.run_depth.unwrap_or(1000);
    let doc_ids: Vec<String> = corpus.documents.iter().map(|d| d.id.clone()).collect();
    let docs: Vec<String> = corpus.documents.iter().map(|d| d.full_text().into_owned()).collect();
    let query_texts: Vec<String> = queries.iter().map(|q| q.text.clone()).collect();
    eprintln!("{}: {} judged queries, {} documents", args.dataset, queries.len(), docs.len());
    let encoder = args.model.load()?;
    std::fs::write(args.out.join("qrels.trec"), write_qrels(&qrels)?)?;

    let mut systems = Vec::new();
    let t0 = Instant::now();
    let q_emb = embed_all(&encoder, &query_texts, TextKind::Query, "embedding queries")?;
    let d_emb = embed_all(&encoder, &docs, TextKind::Passage, "embedding documents")?;
    let encode_seconds = t0.elapsed().as_secs_f64();
    let index = DenseIndex::new(&d_emb, doc_ids.clone())?;
    let t1 = Instant::now();
    let query_ids: Vec<String> = queries.iter().map(|q| q.id.clone()).collect();
    let dense_run = dense_run(&index, &q_emb, &query_ids, depth, args.block)?;
    let rank_seconds = t1.elapsed().as_secs_f64();
    systems.push(trec_system(args, "dense", &qrels, dense_run, encode_seconds, rank_seconds)?);

    if args.baseline.is_some() {
        let t = Instant::now();
        let bm25 = Bm25Index::new(&pieces(&encoder, &docs)?, doc_ids.clone(), Bm25Params::default())?;
        let mut run = Run::new();
        for (q, pieces) in queries.iter().zip(pieces(&encoder, &query_texts)?) {
            let scores = bm25.scores(&pieces);
            let hits = bm25.ranker().top_k(&scores, depth);
            run.insert(q.id.clone(), hits.iter().map(|h| (doc_ids[h.doc].clone(), h.score as f64)).collect());
        }
        let rank_seconds = t.elapsed().as_secs_f64();
        systems.push(trec_system(args, "bm25", &qrels, run, 0.0, rank_seconds)?);
    }
    Ok(EvalReport {
        model: args.model.model.display().to_string(),
        dataset: args.dataset.clone(),
        candidates: "title+text".into(),
        perturbation: None,
        seed: args.seed,
        questions: queries.len(),
        candidate_count: docs.len(),
        systems,
    })
}

fn trec_system(args: &Args, name: &str, qrels: &Qrels, run: Run, encode_seconds: f64, rank_seconds: f64) -> anyhow::Result<SystemReport> {
    let path = args.out.join(format!("run.{name}.trec"));
    std::fs::write(&path, lingbridge::eval::trec::write_run(&run, &format!("lingbridge-{name}"))?)
        .with_context(|| format!("writing {}", path.display()))?;
    let scores = SystemScores::Trec(TrecScores::evaluate(qrels, &run)?);
    Ok(SystemReport { name: name.into(), scores, encode_seconds, rank_seconds })
}

/// Token pieces of each text, as BM25 indexes them (one definition for both protocols).
fn pieces(encoder: &Encoder, texts: &[String]) -> anyhow::Result<Vec<Vec<u32>>> {
    texts.iter().map(|t| Ok(encoder.tokenizer().pieces(t)?)).collect()
}

fn run_lareqa(args: &Args) -> anyhow::Result<EvalReport> {
    let dir = dataset_dir(&args.dataset)?;
    let langs = if args.langs.is_empty() { lareqa::languages_in_dir(&dir)? } else { args.langs.clone() };
    if langs.is_empty() {
        bail!("{}: no {{lang}}.json files", dir.display());
    }
    let lang_refs: Vec<&str> = langs.iter().map(String::as_str).collect();
    let set = lareqa::load_dir(&dir, &lang_refs)?;
    if set.questions.is_empty() {
        bail!("{}: no answerable questions in {}", dir.display(), langs.join(", "));
    }
    let perturbations: Vec<Perturbation> = args.perturb.iter().map(|p| p.parse()).collect::<Result<_, _>>()?;
    let questions: Vec<String> = set.questions.iter().map(|q| q.text.clone()).collect();
    let mode = if args.candidates == "sentence" { CandidateText::Sentence } else { CandidateText::SentenceAndContext };
    let candidates: Vec<String> = (0..set.candidates.len()).map(|c| set.candidate_text(c, mode).into_owned()).collect();
    let depth = args.run_depth.unwrap_or(100);
    eprintln!(
        "{}: {} languages ({}), {} questions, {} candidates",
        dir.display(),
        langs.len(),
        langs.join(" "),
        set.questions.len(),
        set.candidates.len()
    );

    let encoder = args.model.load()?;
    std::fs::write(args.out.join("qrels.mul.trec"), write_qrels(&lareqa_qrels(&set))?)?;
    let mut systems = Vec::new();

    // Dense retrieval with the model: the candidates are encoded once, the questions once per system (clean,
    // then each perturbation).
    let t0 = Instant::now();
    let c_emb = embed_all(&encoder, &candidates, TextKind::Passage, "embedding candidates")?;
    let candidate_seconds = t0.elapsed().as_secs_f64();
    let index = candidate_index(&set, &c_emb)?;
    let dense = |name: String, questions: &[String], run_file: String, extra_seconds: f64| -> anyhow::Result<SystemReport> {
        let t = Instant::now();
        let q_emb = embed_all(&encoder, questions, TextKind::Query, &format!("embedding questions ({name})"))?;
        let encode_seconds = extra_seconds + t.elapsed().as_secs_f64();
        let t = Instant::now();
        let scores = run_protocol(&set, index.ranker(), &args.out.join(run_file), &name, depth, &mut |on_row, progress| {
            evaluate_dense(&set, &index, &q_emb, args.block, on_row, progress)
        })?;
        let rank_seconds = t.elapsed().as_secs_f64();
        eprintln!("{name}: encoded in {encode_seconds:.1} s; scored and ranked {} × {} in {rank_seconds:.2} s", set.questions.len(), set.candidates.len());
        Ok(SystemReport { name, scores: SystemScores::Lareqa(scores), encode_seconds, rank_seconds })
    };
    systems.push(dense("dense".into(), &questions, "run.dense.mul.trec".into(), candidate_seconds)?);
    for p in &perturbations {
        let name = format!("dense+{p}");
        let file = format!("run.{}.mul.trec", file_stem(&name));
        systems.push(dense(name, &perturb_lareqa_questions(&set, *p, args.seed), file, 0.0)?);
    }

    if args.baseline.is_some() {
        let t = Instant::now();
        let docs = pieces(&encoder, &candidates)?;
        let queries = pieces(&encoder, &questions)?;
        let bm25 = Bm25Index::new(&docs, set.candidates.iter().map(|c| c.id.clone()).collect(), Bm25Params::default())?;
        let scores = run_protocol(&set, bm25.ranker(), &args.out.join("run.bm25.mul.trec"), "bm25", depth, &mut |on_row, progress| {
            evaluate_lareqa(&set, bm25.ranker(), args.block, &mut |r| Ok(r.flat_map(|q| bm25.scores(&queries[q])).collect()), on_row, progress)
        })?;
        let rank_seconds = t.elapsed().as_secs_f64();
        systems.push(SystemReport { name: "bm25".into(), scores: SystemScores::Lareqa(scores), encode_seconds: 0.0, rank_seconds });
    }

    Ok(EvalReport {
        model: args.model.model.display().to_string(),
        dataset: args.dataset.clone(),
        candidates: args.candidates.clone(),
        perturbation: (!perturbations.is_empty()).then(|| perturbations.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")),
        seed: args.seed,
        questions: set.questions.len(),
        candidate_count: set.candidates.len(),
        systems,
    })
}

/// The Mul relevance judgments of a LAReQA set: every question's relevant candidates, in every language.
fn lareqa_qrels(set: &LareqaSet) -> Qrels {
    set.questions
        .iter()
        .zip(&set.relevant)
        .map(|(question, rel)| (question.id.clone(), rel.iter().map(|&c| (set.candidates[c].id.clone(), 1)).collect()))
        .collect()
}

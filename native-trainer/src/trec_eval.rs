//! `lingbridge trec-eval QRELS RUN`: trec_eval's numbers and output format from the shared core
//! (lingbridge::eval), so a run scored here scores the same in the page and in pytrec_eval.

use std::path::Path;

use anyhow::Context;
use lingbridge::eval::metrics::{self, Evaluation, Measure, ScorePrecision};
use lingbridge::eval::trec;

#[derive(clap::Args)]
pub struct Args {
    /// Relevance judgments, TREC qrels format: `query iter doc relevance` per line (relevance ≥ 1 is relevant).
    #[arg(value_name = "QRELS")]
    qrels: std::path::PathBuf,
    /// Run to evaluate, TREC format: `query Q0 doc rank score tag` per line (ranked by score; rank is ignored).
    #[arg(value_name = "RUN")]
    run: std::path::PathBuf,
    /// Measure to report; repeat for several. trec_eval's names: map, recip_rank, P_10, recall_100, ndcg_cut_10,
    /// num_q, num_ret, num_rel, num_rel_ret; `-m P.5,10` gives several cutoffs, a bare `P` trec_eval's defaults.
    /// Default: num_q num_ret num_rel num_rel_ret map recip_rank P_10 recall_100 ndcg_cut_10.
    #[arg(short = 'm', long = "measure", value_name = "MEASURE")]
    measures: Vec<String>,
    /// Also print every query's values (before the `all` lines, as trec_eval -q does).
    #[arg(short = 'q', long = "per-query")]
    per_query: bool,
    /// Print one JSON object with full-precision values instead of trec_eval's text lines.
    #[arg(long)]
    json: bool,
    /// How scores are compared when ranking: f32 as trec_eval ≤ 9.0.8 and pytrec_eval do (scores that differ only
    /// beyond single precision tie and are ordered by document id), or f64 as trec_eval 10 does.
    #[arg(long, default_value = "f32", value_parser = ["f32", "f64"])]
    score_precision: String,
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let names: Vec<String> = if args.measures.is_empty() {
        metrics::DEFAULT_MEASURES.iter().map(|s| s.to_string()).collect()
    } else {
        args.measures.clone()
    };
    let measures = metrics::parse_measures(&names)?;
    let precision = match args.score_precision.as_str() {
        "f64" => ScorePrecision::F64,
        _ => ScorePrecision::F32,
    };
    let qrels_name = args.qrels.display().to_string();
    let run_name = args.run.display().to_string();
    let qrels = trec::read_qrels_bytes(&qrels_name, &read(&args.qrels)?)?;
    let run = trec::read_run_bytes(&run_name, &read(&args.run)?)?;
    let evaluation = metrics::evaluate_with(&qrels, &run, &measures, precision)
        .with_context(|| format!("evaluating {run_name} against {qrels_name}"))?;
    let out = if args.json { json(&evaluation, args.per_query) } else { text(&evaluation, args.per_query) };
    print!("{out}");
    Ok(())
}

/// trec_eval's layout: `%-22s\t%s\t%6.4f`, counts as integers; per-query lines (no num_q, as trec_eval) come
/// first, query by query in id order, then the `all` lines.
fn text(evaluation: &Evaluation, per_query: bool) -> String {
    let line = |m: Measure, query: &str, value: f64| {
        if m.is_count() {
            format!("{:<22}\t{query}\t{}\n", m.to_string(), value as u64)
        } else {
            format!("{:<22}\t{query}\t{value:6.4}\n", m.to_string())
        }
    };
    let mut out = String::new();
    if per_query {
        for (query, values) in &evaluation.per_query {
            for (&m, &value) in evaluation.measures.iter().zip(values) {
                if m != Measure::NumQ {
                    out.push_str(&line(m, query, value));
                }
            }
        }
    }
    for (&m, &value) in evaluation.measures.iter().zip(&evaluation.all) {
        out.push_str(&line(m, "all", value));
    }
    out
}

fn json_value(m: Measure, value: f64) -> serde_json::Value {
    if m.is_count() { serde_json::Value::from(value as u64) } else { serde_json::Value::from(value) }
}

/// `{"measures": [...], "all": {measure: value}, "per_query": {query: {measure: value}}}`; per_query only with -q.
fn json(evaluation: &Evaluation, per_query: bool) -> String {
    let object = |values: &[f64]| -> serde_json::Map<String, serde_json::Value> {
        evaluation.measures.iter().zip(values).map(|(&m, &v)| (m.to_string(), json_value(m, v))).collect()
    };
    let mut root = serde_json::Map::new();
    let names: Vec<String> = evaluation.measures.iter().map(|m| m.to_string()).collect();
    root.insert("measures".into(), names.into());
    root.insert("all".into(), object(&evaluation.all).into());
    if per_query {
        let queries: serde_json::Map<String, serde_json::Value> =
            evaluation.per_query.iter().map(|(q, values)| (q.clone(), object(values).into())).collect();
        root.insert("per_query".into(), queries.into());
    }
    let mut text = serde_json::Value::Object(root).to_string();
    text.push('\n');
    text
}

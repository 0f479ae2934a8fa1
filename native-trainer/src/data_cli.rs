//! `lingbridge data …`: convert sources to training records, count them, and inspect a sampling.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use lingbridge::eval::lareqa::CandidateText;

use crate::data::{self, lareqa::Split, parallel::LineRange, squad::Passage};
use crate::sampler::{Sampler, Sampling};

#[derive(clap::Subcommand)]
pub enum Data {
    /// Convert a source to training records (JSONL: xling_id, lang, query, passage).
    #[command(subcommand)]
    Convert(Convert),
    /// Records per language and per language pair of one or more JSONL files.
    Stats {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Draw batches as training would and print what they hold (mono share, languages, directions).
    Sample {
        /// Training files, one source each (drawn in proportion to their size).
        #[arg(long = "train", required = true)]
        train: Vec<PathBuf>,
        #[arg(long, default_value = "hybrid", value_parser = ["x-x-mono", "x-y", "hybrid"])]
        sampling: String,
        #[arg(long, default_value_t = 0.5)]
        alpha: f64,
        #[arg(long, default_value_t = 32)]
        batch_size: usize,
        #[arg(long, default_value_t = 1000)]
        batches: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(clap::Subcommand)]
pub enum Convert {
    /// SQuAD-format files, one per language (LANG=PATH), joined by question id.
    Squad {
        #[arg(long = "file", value_name = "LANG=PATH", required = true)]
        files: Vec<String>,
        /// The passage: the answer's paragraph or the sentence around the answer.
        #[arg(long, default_value = "sentence", value_parser = ["sentence", "paragraph"])]
        passage: String,
        /// Leave out every article whose title an evaluation set holds (a dataset name or folder; repeatable).
        #[arg(long, value_name = "DATASET")]
        exclude_articles_of: Vec<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// LAReQA files (XQuAD-R / MLQA-R folder) with an article-disjoint train/dev split.
    Lareqa {
        #[arg(long)]
        dataset: PathBuf,
        #[arg(long, value_delimiter = ',', required = true)]
        langs: Vec<String>,
        #[arg(long, value_parser = ["train", "dev"])]
        split: String,
        #[arg(long, default_value_t = 0.1)]
        dev_fraction: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "sentence", value_parser = ["sentence", "sentence+context"])]
        candidates: String,
        /// Leave out every article whose title an evaluation set holds (a dataset name or folder; repeatable).
        #[arg(long, value_name = "DATASET")]
        exclude_articles_of: Vec<String>,
        /// Give each record hard negatives mined by this model (a directory or GGUF file, on the CPU): the
        /// sentences of the question's own article and language it ranks highest, never the answer.
        #[arg(long, value_name = "MODEL")]
        mine_negatives: Option<PathBuf>,
        /// Negatives per record with --mine-negatives.
        #[arg(long, default_value_t = 1, value_name = "N")]
        negatives: usize,
        /// records: a JSONL of training records; lareqa: a folder of {lang}.json holding only this split's
        /// articles (to evaluate on the articles training never saw).
        #[arg(long, default_value = "records", value_parser = ["records", "lareqa"])]
        format: String,
        /// A JSONL file (records) or a folder (lareqa).
        #[arg(long)]
        out: PathBuf,
    },
    /// n-way parallel line-aligned files (NTREX), one per language (LANG=PATH, .gz allowed).
    Parallel {
        #[arg(long = "file", value_name = "LANG=PATH", required = true)]
        files: Vec<String>,
        #[arg(long, default_value = "par-")]
        id_prefix: String,
        /// Only lines START..END (0-based, END exclusive; `1800..` to the end): a held-out dev part.
        #[arg(long, value_name = "START..END")]
        lines: Option<LineRange>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Bilingual line-aligned pair files (Tatoeba): exactly two LANG=PATH.
    Pairs {
        #[arg(long = "file", value_name = "LANG=PATH", required = true, num_args = 1)]
        files: Vec<String>,
        #[arg(long, default_value = "pair-")]
        id_prefix: String,
        /// Only lines START..END (0-based, END exclusive; `1800..` to the end): a held-out dev part.
        #[arg(long, value_name = "START..END")]
        lines: Option<LineRange>,
        #[arg(long)]
        out: PathBuf,
    },
}

fn lang_paths(specs: &[String]) -> anyhow::Result<Vec<(String, PathBuf)>> {
    specs
        .iter()
        .map(|s| {
            let (l, p) = s.split_once('=').with_context(|| format!("{s:?}: expected LANG=PATH"))?;
            Ok((l.to_string(), PathBuf::from(p)))
        })
        .collect()
}

fn borrowed(v: &[(String, PathBuf)]) -> Vec<(String, &Path)> {
    v.iter().map(|(l, p)| (l.clone(), p.as_path())).collect()
}

fn excluded(datasets: &[String]) -> anyhow::Result<data::exclude::ExcludedArticles> {
    let dirs = datasets.iter().map(|d| crate::eval::dataset_dir(d)).collect::<anyhow::Result<Vec<_>>>()?;
    data::exclude::ExcludedArticles::from_datasets(&dirs)
}

fn save(out: &Path, records: &[data::Record]) -> anyhow::Result<()> {
    if records.is_empty() {
        bail!("no records to write");
    }
    data::write_jsonl(out, records)?;
    eprintln!("wrote {} records to {}", records.len(), out.display());
    println!("{}", data::stats(records).to_markdown());
    Ok(())
}

pub fn run(cmd: Data) -> anyhow::Result<()> {
    match cmd {
        Data::Convert(Convert::Squad { files, passage, exclude_articles_of, out }) => {
            let files = lang_paths(&files)?;
            let mode = if passage == "sentence" { Passage::Sentence } else { Passage::Paragraph };
            save(&out, &data::squad::convert(&borrowed(&files), mode, &excluded(&exclude_articles_of)?)?)
        }
        Data::Convert(Convert::Lareqa { dataset, langs, split, dev_fraction, seed, candidates, exclude_articles_of, mine_negatives, negatives, format, out }) => {
            let dataset = crate::eval::dataset_dir(&dataset.to_string_lossy())?;
            let langs: Vec<&str> = langs.iter().map(String::as_str).collect();
            let split = if split == "dev" { Split::Dev } else { Split::Train };
            if format == "lareqa" {
                if !exclude_articles_of.is_empty() || mine_negatives.is_some() {
                    bail!("--exclude-articles-of and --mine-negatives make training records; they do not apply to --format lareqa");
                }
                let titles = data::lareqa::write_split_files(&dataset, &langs, split, dev_fraction, seed, &out)?;
                eprintln!("wrote {} languages with {} articles to {}: {}", langs.len(), titles.len(), out.display(), titles.join(", "));
                return Ok(());
            }
            let mode = if candidates == "sentence" { CandidateText::Sentence } else { CandidateText::SentenceAndContext };
            let (set, questions) = data::lareqa::load(&dataset, &langs, split, dev_fraction, seed, &excluded(&exclude_articles_of)?)?;
            let mut records = data::lareqa::records(&set, &questions, mode);
            if let Some(model) = mine_negatives {
                let options = lingbridge::EncoderOptions { backend: lingbridge::encode::BackendChoice::Cpu, ..Default::default() };
                let encoder = lingbridge::Encoder::load(&lingbridge::ModelFiles::from_path(&model)?, &options)?;
                let mut embed = |texts: &[String], kind| Ok(encoder.embed(texts, kind)?);
                let mined = data::mining::mine(&set, &questions, mode, negatives, &mut embed)?;
                let without = mined.iter().filter(|n| n.is_empty()).count();
                eprintln!("mined {negatives} negative(s) per record with {}; {without} record(s) have none (a one-sentence article)", model.display());
                for (record, mined) in records.iter_mut().zip(mined) {
                    record.negatives = mined;
                }
            }
            save(&out, &records)
        }
        Data::Convert(Convert::Parallel { files, id_prefix, lines, out }) => {
            let files = lang_paths(&files)?;
            save(&out, &data::parallel::convert(&borrowed(&files), &id_prefix, lines.unwrap_or(LineRange::ALL))?)
        }
        Data::Convert(Convert::Pairs { files, id_prefix, lines, out }) => {
            let files = lang_paths(&files)?;
            let [a, b] = files.as_slice() else { bail!("pairs needs exactly two --file LANG=PATH") };
            let records = data::pairs::convert((a.0.clone(), &a.1), (b.0.clone(), &b.1), &id_prefix, lines.unwrap_or(LineRange::ALL))?;
            save(&out, &records)
        }
        Data::Stats { files } => {
            let mut all = Vec::new();
            for f in &files {
                all.extend(data::read_jsonl(f)?);
            }
            println!("{}", data::stats(&all).to_markdown());
            Ok(())
        }
        Data::Sample { train, sampling, alpha, batch_size, batches, seed } => {
            let sources = train.iter().map(|f| data::read_jsonl(f)).collect::<anyhow::Result<Vec<_>>>()?;
            let mut sampler = Sampler::new(sources, batch_size, Sampling::parse(&sampling, alpha)?, seed)?;
            let mut mono = 0;
            let mut langs: BTreeMap<String, usize> = BTreeMap::new();
            let mut directions: BTreeMap<String, usize> = BTreeMap::new();
            for _ in 0..batches {
                let b = sampler.next_batch();
                let recs = sampler.records(b.source);
                mono += b.mono as usize;
                for p in &b.pairs {
                    let (q, d) = (&recs[p.query].lang, &recs[p.passage].lang);
                    *langs.entry(q.clone()).or_default() += 1;
                    *directions.entry(format!("{q}→{d}")).or_default() += 1;
                }
            }
            println!("{batches} batches of {batch_size}: {mono} X-X-mono ({:.3}), {} X-Y", mono as f64 / batches as f64, batches - mono);
            println!("query languages: {langs:?}");
            println!("query→passage: {directions:?}");
            Ok(())
        }
    }
}

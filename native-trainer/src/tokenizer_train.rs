//! `lingbridge tokenizer train`: a SentencePiece-style Unigram tokenizer on the training text, built like
//! XLM-R's so that every tool that loads XLM-R's tokenizer.json loads ours: NFKC + collapsed spaces, Metaspace
//! ("▁", prepended), `<s> <pad> </s> <unk>` as ids 0–3 (XLM-R's), `<mask>` last (as in XLM-R), and RoBERTa's
//! post-processor (`<s> A </s>`, `<s> A </s></s> B </s>`).

use std::path::PathBuf;

use anyhow::{Context, bail};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::unigram::{Unigram, UnigramTrainer};
use tokenizers::models::{ModelWrapper, TrainerWrapper};
use tokenizers::normalizers::replace::ReplacePattern;
use tokenizers::normalizers::{NFKC, NormalizerWrapper, Replace, Sequence};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::processors::roberta::RobertaProcessing;
use tokenizers::{AddedToken, Tokenizer};

use crate::data;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Train a Unigram tokenizer (XLM-R layout) on the queries, passages and negatives of training records.
    Train(Args),
}

#[derive(clap::Args)]
pub struct Args {
    /// Training records (JSONL).
    #[arg(long, num_args = 1.., required = true, value_name = "FILE")]
    input: Vec<PathBuf>,
    /// Vocabulary size, special tokens included (the trainer may stop short on a small corpus).
    #[arg(long, default_value_t = 8000)]
    vocab_size: u32,
    /// Where to write tokenizer.json.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// XLM-R's first four ids; `<mask>` comes after the learned pieces.
const SPECIALS: [&str; 4] = ["<s>", "<pad>", "</s>", "<unk>"];
const MASK: &str = "<mask>";

pub fn run(Command::Train(args): Command) -> anyhow::Result<()> {
    if (args.vocab_size as usize) < SPECIALS.len() + 2 {
        bail!("--vocab-size must leave room for the special tokens and some pieces");
    }
    let mut texts = Vec::new();
    for path in &args.input {
        for r in data::read_jsonl(path)? {
            texts.push(r.query);
            texts.push(r.passage);
            texts.extend(r.negatives);
        }
    }
    let tokenizer = train(&texts, args.vocab_size)?;
    tokenizer.save(&args.out, true).map_err(|e| anyhow::anyhow!("writing {}: {e}", args.out.display()))?;
    eprintln!("{} texts → {} tokens, written to {}", texts.len(), tokenizer.get_vocab_size(true), args.out.display());
    Ok(())
}

pub fn train(texts: &[String], vocab_size: u32) -> anyhow::Result<Tokenizer> {
    let tk = |e: tokenizers::Error| anyhow::anyhow!("tokenizer training: {e}");
    let mut tokenizer = Tokenizer::new(ModelWrapper::Unigram(Unigram::default()));
    let spaces = Replace::new(ReplacePattern::Regex(" {2,}".into()), " ").map_err(tk)?;
    tokenizer.with_normalizer(Some(NormalizerWrapper::Sequence(Sequence::new(vec![NFKC.into(), spaces.into()])))).map_err(tk)?;
    let metaspace = Metaspace::new('▁', PrependScheme::Always, true);
    tokenizer.with_pre_tokenizer(Some(PreTokenizerWrapper::Metaspace(metaspace.clone())));
    tokenizer.with_decoder(Some(DecoderWrapper::Metaspace(metaspace)));
    let unigram = UnigramTrainer::builder()
        .vocab_size(vocab_size - 1)
        .special_tokens(SPECIALS.iter().map(|s| AddedToken::from(*s, true)).collect())
        .unk_token(Some("<unk>".into()))
        .show_progress(false)
        .build()
        .context("Unigram trainer settings")?;
    let mut trainer = TrainerWrapper::UnigramTrainer(unigram);
    tokenizer.train(&mut trainer, texts.iter()).map_err(tk)?;
    tokenizer.with_post_processor(Some(PostProcessorWrapper::Roberta(RobertaProcessing::new(
        ("</s>".into(), 2),
        ("<s>".into(), 0),
    ))));
    tokenizer.add_special_tokens([AddedToken::from(MASK, true)]).map_err(tk)?;
    for (id, s) in SPECIALS.iter().enumerate() {
        if tokenizer.token_to_id(s) != Some(id as u32) {
            bail!("tokenizer training put {s} at {:?}, not {id}", tokenizer.token_to_id(s));
        }
    }
    Ok(tokenizer)
}

//! `lingbridge export --checkpoint C --out DIR`: a training checkpoint as a Hugging Face / sentence-transformers
//! model directory that `lingbridge::Encoder`, the page, `transformers.AutoModel` and `SentenceTransformer` load
//! as they are: config.json (XLMRobertaModel or BertModel, the trained family), model.safetensors (HF names without the `roberta.` prefix, pooler
//! included so AutoModel initialises nothing), tokenizer.json, modules.json, 1_Pooling/config.json,
//! config_sentence_transformers.json (the query/passage prompts trained with) and sentence_bert_config.json
//! (the max length trained with).

use std::path::{Path, PathBuf};

use anyhow::Context;
use lingbridge::model::{EncoderConfig, Family, Pooling, Prefixes};
use serde_json::json;

use super::checkpoint::{self, MODEL, TOKENIZER};

#[derive(clap::Args)]
pub struct Args {
    /// A checkpoint folder, e.g. OUT/best or OUT/last of `lingbridge train`.
    #[arg(long, value_name = "DIR")]
    checkpoint: PathBuf,
    /// Output model directory (created; files in it are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let state = checkpoint::read_state(&args.checkpoint)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    for f in [MODEL, TOKENIZER] {
        let (from, to) = (args.checkpoint.join(f), args.out.join(f));
        // Read and write rather than copy: the copy would keep the checkpoint's owner-only permissions.
        let bytes = std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
        std::fs::write(&to, bytes).with_context(|| format!("writing {}", to.display()))?;
    }
    write_json(&args.out.join(checkpoint::CONFIG), &hf_config(&state.config))?;
    write_sentence_transformers(&args.out, state.pooling, &state.prefixes(), state.settings.max_len, state.config.hidden_size)?;
    eprintln!("exported step {} to {}", state.step, args.out.display());
    Ok(())
}

/// config.json in transformers' terms: our config plus what AutoModel/AutoTokenizer look for. The family is the
/// trained model's: a BERT checkpoint (multilingual-e5) written as XLM-R would number its positions from
/// pad + 1 instead of 0 in every loader.
pub fn hf_config(config: &EncoderConfig) -> serde_json::Value {
    let mut v = serde_json::to_value(config).expect("a config serialises");
    let obj = v.as_object_mut().expect("a struct");
    let (model_type, architecture) = match config.family() {
        Family::Bert => ("bert", "BertModel"),
        Family::XlmRoberta => ("xlm-roberta", "XLMRobertaModel"),
    };
    obj.insert("model_type".into(), json!(model_type));
    obj.insert("architectures".into(), json!([architecture]));
    obj.insert("bos_token_id".into(), json!(0));
    obj.insert("eos_token_id".into(), json!(2));
    obj.insert("torch_dtype".into(), json!("float32"));
    v
}

fn write_sentence_transformers(dir: &Path, pooling: Pooling, prefixes: &Prefixes, max_len: usize, dim: usize) -> anyhow::Result<()> {
    let modules = json!([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
    ]);
    write_json(&dir.join("modules.json"), &modules)?;
    std::fs::create_dir_all(dir.join("1_Pooling"))?;
    write_json(
        &dir.join("1_Pooling/config.json"),
        &json!({
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": pooling == Pooling::Cls,
            "pooling_mode_mean_tokens": pooling == Pooling::Mean,
            "pooling_mode_max_tokens": false,
            "pooling_mode_mean_sqrt_len_tokens": false
        }),
    )?;
    write_json(
        &dir.join("config_sentence_transformers.json"),
        &json!({
            "prompts": {"query": prefixes.query, "passage": prefixes.passage},
            "default_prompt_name": null,
            "similarity_fn_name": "cosine"
        }),
    )?;
    write_json(&dir.join("sentence_bert_config.json"), &json!({"max_seq_length": max_len, "do_lower_case": false}))
}

fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(value)?).with_context(|| format!("writing {}", path.display()))
}

//! `lingbridge train`, `export` and `tokenizer train` as users run them, on the shipped tiny XLM-R
//! (tests/fixtures/tiny-xlmr) and a training set this file generates (a learnable cross-lingual task: a query
//! and its passages share a made-up name across English, German and Russian text, while every language has
//! its own filler words, so an untrained model ranks by language and a trained one by the name).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lingbridge::model::{EncoderConfig, ModelFiles, TextKind, TextTokenizer};

/// The trainer's own model, compiled into this test so its embeddings can be compared with the export's.
#[allow(dead_code)]
#[path = "../src/train/model.rs"]
mod model;

#[path = "common/train_fixture.rs"]
mod train_fixture;
use train_fixture::*;

#[test]
fn a_tiny_model_learns_the_task_loss_falls_and_dev_map_rises() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    let out = f.dir.join("run");
    let o = lingbridge(&train_args(
        &f,
        &init,
        out.to_str().unwrap(),
        &[
            "--dev", &f.dev, "--steps", "100", "--lr", "3e-3", "--warmup", "10", "--temperature", "0.1", "--eval-every", "50",
            "--sampling", "hybrid", "--alpha", "0.5",
        ],
    ));
    let stderr = ok(&o);
    let m = metrics(&out);
    let loss = losses(&m);
    assert_eq!(loss.len(), 100);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (first, last) = (mean(&loss[..10]), mean(&loss[90..]));
    assert!(last < 0.5 * first, "loss did not fall enough: first 10 {first:.3}, last 10 {last:.3}");
    let dev: Vec<f64> = m.iter().filter_map(|l| l["dev"]["mul_map"].as_f64()).collect();
    assert_eq!(dev.len(), 3, "dev scored before training, at 50 and at 100");
    assert!(dev[2] > dev[0] + 0.3, "dev Mul mAP before {:.3}, after {:.3}", dev[0], dev[2]);
    assert!(m.iter().all(|l| l.get("loss").is_none() || l["samples_per_s"].as_f64().unwrap() > 0.0));
    eprintln!("loss first 10 {first:.3} last 10 {last:.3}; dev Mul mAP {:.3} → {:.3}\n{stderr}", dev[0], dev[2]);
    let best = state(&out.join("best"));
    assert_eq!(best["best_dev_map"].as_f64().unwrap(), dev.iter().skip(1).cloned().fold(f64::MIN, f64::max));
}

#[test]
fn resume_after_a_kill_gives_the_same_model_bit_for_bit() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    // Hard negatives and the symmetric term on, so every part of the loss is resumed too.
    let negatives = f.dir.join("train-negatives.jsonl");
    let flags = ["--steps", "24", "--save-every", "6", "--lr", "1e-3", "--warmup", "3", "--symmetric", "--train", negatives.to_str().unwrap()];
    let whole = f.dir.join("whole");
    ok(&lingbridge(&train_args(&f, &init, whole.to_str().unwrap(), &flags)));

    // A real SIGKILL as soon as the first checkpoint exists.
    let killed = f.dir.join("killed");
    let args = train_args(&f, &init, killed.to_str().unwrap(), &flags);
    let mut child = Command::new(BIN).args(&args).stderr(std::process::Stdio::null()).spawn().unwrap();
    let t0 = Instant::now();
    while !killed.join("last").exists() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
    let interrupted = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = state(&killed.join("last"))["step"].as_u64().unwrap();
    assert!(interrupted && at_kill < 24, "the run finished before the kill (checkpoint at {at_kill})");
    let mut resume = args.clone();
    resume.push("--resume");
    ok(&lingbridge(&resume));

    // And an abrupt exit between two checkpoints (update 9; the last checkpoint is 6).
    let stopped = f.dir.join("stopped");
    let mut args = train_args(&f, &init, stopped.to_str().unwrap(), &flags);
    args.extend(["--stop-after", "9"]);
    assert!(!lingbridge(&args).status.success());
    assert_eq!(state(&stopped.join("last"))["step"], 6);
    args.truncate(args.len() - 2);
    args.push("--resume");
    ok(&lingbridge(&args));

    let bytes = |d: &Path, f: &str| std::fs::read(d.join("last").join(f)).unwrap();
    for run in [&killed, &stopped] {
        assert_eq!(state(&run.join("last"))["step"], 24);
        assert!(bytes(&whole, "model.safetensors") == bytes(run, "model.safetensors"), "{} weights differ", run.display());
        assert!(bytes(&whole, "optimizer.safetensors") == bytes(run, "optimizer.safetensors"), "{} moments differ", run.display());
        assert_eq!(losses(&metrics(&whole)), losses(&metrics(run)), "{}: loss curves differ", run.display());
    }
}

#[test]
fn export_round_trip_gives_the_trainers_embeddings() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    let out = f.dir.join("run");
    ok(&lingbridge(&train_args(&f, &init, out.to_str().unwrap(), &["--steps", "8", "--lr", "1e-3", "--warmup", "2", "--pooling", "cls"])));
    let export = f.dir.join("export");
    ok(&lingbridge(&["export", "--checkpoint", out.join("last").to_str().unwrap(), "--out", export.to_str().unwrap()]));
    for file in ["config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json", "config_sentence_transformers.json", "sentence_bert_config.json"] {
        assert!(export.join(file).is_file(), "{file} missing from the export");
    }

    let encoder = lingbridge::Encoder::from_dir(&export, &Default::default()).unwrap();
    assert_eq!(encoder.pooling(), lingbridge::Pooling::Cls);
    assert_eq!(encoder.tokenizer().prefixes, lingbridge::Prefixes::e5());
    let files = ModelFiles::from_dir(&export).unwrap();
    let config = EncoderConfig::from_files(&files).unwrap();
    let weights = lingbridge::model::Weights::from_files(&files).unwrap().var_builder(&candle_core::Device::Cpu).unwrap();
    let trained = model::TrainModel::new(&config, lingbridge::Pooling::Cls, model::Source::Weights(weights), &candle_core::Device::Cpu).unwrap();
    let texts = ["who is Zorvak", "Der Fluss Haus Kelumi grün", "кто такой Dasuko дом", "a much longer text with many words to pad the batch"];
    for kind in [TextKind::Query, TextKind::Passage] {
        let ours = encoder.embed(&texts, kind).unwrap();
        let theirs = trained.embed_values(&encoder.tokenizer().batch(&texts, kind).unwrap()).unwrap();
        let diff = ours.data.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(diff <= 1e-5, "{kind:?}: max |Δ| {diff}");
    }
    // The trained weights, not the initial ones, were exported.
    let tiny = lingbridge::Encoder::from_dir(root("tests/fixtures/tiny-xlmr"), &Default::default()).unwrap();
    assert_ne!(tiny.embed(&texts, TextKind::Query).unwrap().data, encoder.embed(&texts, TextKind::Query).unwrap().data);
}

#[test]
fn a_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    let out = f.dir.join("run");
    let o = lingbridge(&train_args(&f, &init, out.to_str().unwrap(), &["--steps", "20", "--lr", "1e30", "--warmup", "1", "--save-every", "1", "--clip", "0"]));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stderr}");
    assert!(stderr.contains("training stopped") && stderr.contains("last good checkpoint"), "{stderr}");
    let m = metrics(&out);
    let done = losses(&m);
    assert!(!done.is_empty() && done.len() < 20 && done.iter().all(|l| l.is_finite()), "{done:?}");
    let last = state(&out.join("last"));
    assert_eq!(last["step"].as_u64().unwrap() as usize, done.len());
    assert!(stderr.contains(&format!("at update {}", done.len() + 1)), "{stderr}");
    let encoder = lingbridge::Encoder::from_dir(out.join("last"), &Default::default()).unwrap();
    assert_eq!(encoder.dim(), 64);
}

#[test]
fn a_trained_tokenizer_loads_round_trips_and_trains_a_model_from_scratch() {
    let f = fixture();
    let tok = f.dir.join("tokenizer.json");
    ok(&lingbridge(&["tokenizer", "train", "--input", &f.train, "--vocab-size", "300", "--out", tok.to_str().unwrap()]));
    let json = std::fs::read(&tok).unwrap();
    let vocab = tokenizers::Tokenizer::from_bytes(&json).unwrap().get_vocab_size(true);
    assert!((200..=300).contains(&vocab), "{vocab} tokens");
    let config = format!(
        r#"{{"model_type":"xlm-roberta","vocab_size":{vocab},"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":2,
            "intermediate_size":64,"max_position_embeddings":66,"layer_norm_eps":1e-5,"type_vocab_size":1}}"#
    );
    let config_path = f.dir.join("config.json");
    std::fs::write(&config_path, &config).unwrap();
    let cfg = EncoderConfig::from_json(config.as_bytes(), "config.json").unwrap();
    let files = ModelFiles::new("test").with("tokenizer.json", json);
    let t = TextTokenizer::from_files(&files, &cfg).unwrap();
    let inner = t.inner();
    for (id, s) in ["<s>", "<pad>", "</s>", "<unk>"].iter().enumerate() {
        assert_eq!(inner.token_to_id(s), Some(id as u32), "{s}");
    }
    assert_eq!(inner.token_to_id("<mask>"), Some(vocab as u32 - 1), "<mask> last");
    let text = "кто такой Zorvak der Fluss";
    let ids = t.ids(text).unwrap();
    assert_eq!((ids[0], *ids.last().unwrap()), (0, 2), "<s> … </s>");
    assert!(!ids.contains(&3), "no <unk> for training text: {ids:?}");
    assert_eq!(inner.decode(&ids, true).unwrap(), text);
    let pair = inner.encode((text, "der Fluss"), true).unwrap();
    let pair_ids = pair.get_ids();
    assert_eq!(pair_ids.iter().filter(|&&i| i == 2).count(), 3, "<s> A </s></s> B </s>: {pair_ids:?}");

    let out = f.dir.join("scratch");
    let o = lingbridge(&[
        "train", "--config-json", config_path.to_str().unwrap(), "--tokenizer", tok.to_str().unwrap(), "--train", &f.train,
        "--out", out.to_str().unwrap(), "--steps", "30", "--batch-size", "12", "--lr", "2e-3", "--warmup", "3",
    ]);
    ok(&o);
    let loss = losses(&metrics(&out));
    assert!(loss[25..].iter().sum::<f64>() < loss[..5].iter().sum::<f64>(), "from scratch, the loss falls: {loss:?}");
    let exported = f.dir.join("scratch-export");
    ok(&lingbridge(&["export", "--checkpoint", out.join("last").to_str().unwrap(), "--out", exported.to_str().unwrap()]));
    let e = lingbridge::Encoder::from_dir(&exported, &Default::default()).unwrap();
    assert_eq!(e.dim(), 32);
}

#[test]
fn the_command_line_overrides_the_toml_file_which_overrides_defaults() {
    let f = fixture();
    let toml = f.dir.join("run.toml");
    let init = root("tests/fixtures/tiny-xlmr");
    std::fs::write(
        &toml,
        format!("init = {init:?}\ntrain = ['train.jsonl']\nout = 'from-toml'\nsteps = 4\nwarmup = 2\nlr = 0.5\nbatch-size = 8\ntemperature = 0.1\n"),
    )
    .unwrap();
    ok(&lingbridge(&["train", "--config", toml.to_str().unwrap(), "--lr", "0.004"]));
    let out = f.dir.join("from-toml");
    let s = &state(&out.join("last"))["settings"];
    assert_eq!(s["lr"], 0.004, "command line wins");
    assert_eq!((s["batch_size"].as_u64(), s["steps"].as_u64(), s["temperature"].as_f64()), (Some(8), Some(4), Some(0.1)), "file wins over defaults");
    assert_eq!(s["weight_decay"], 0.01, "default");
    assert_eq!(s["train"][0].as_str().unwrap(), f.dir.join("train.jsonl").to_str().unwrap(), "paths relative to the TOML file");
    let lr: Vec<f64> = metrics(&out).iter().map(|l| l["lr"].as_f64().unwrap()).collect();
    assert_eq!(lr, vec![0.002, 0.004, 0.004, 0.002], "warm-up to the command line's lr, then decay");

    std::fs::write(&toml, "stepz = 3\n").unwrap();
    let o = lingbridge(&["train", "--config", toml.to_str().unwrap()]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("stepz"), "unknown keys are named");
}

#[test]
fn last_always_names_a_complete_checkpoint() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    let out = f.dir.join("run");
    let args = train_args(&f, &init, out.to_str().unwrap(), &["--steps", "40", "--save-every", "1", "--lr", "1e-3", "--warmup", "2"]);
    let mut child = Command::new(BIN).args(&args).stderr(std::process::Stdio::null()).spawn().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(t0.elapsed() < Duration::from_secs(120));
        let Ok(target) = std::fs::read_link(out.join("last")) else { continue };
        let name = target.file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with("step-"), "last names {name}");
        let dir = out.join(&target);
        // A checkpoint may be pruned once `last` moves on; anything that is read must be whole.
        let (Ok(state_bytes), Ok(weights)) = (std::fs::read(dir.join("state.json")), std::fs::read(dir.join("model.safetensors"))) else { continue };
        let st: serde_json::Value = serde_json::from_slice(&state_bytes).expect("a whole state.json");
        assert_eq!(format!("step-{:07}", st["step"].as_u64().unwrap()), name);
        let tensors = candle_core::safetensors::load_buffer(&weights, &candle_core::Device::Cpu).expect("a whole model.safetensors");
        assert!(tensors.len() > 40);
        seen.insert(name);
    }
    assert!(child.wait().unwrap().success());
    assert!(seen.len() >= 3, "saw only {seen:?}");
    let left: Vec<_> = std::fs::read_dir(out.join("checkpoints")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "older checkpoints and temporary folders are removed: {left:?}");
}

#[test]
fn patience_stops_a_run_that_no_longer_improves() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    let out = f.dir.join("run");
    // lr 0: the weights never change, so the second evaluation cannot beat the first.
    let o = lingbridge(&train_args(&f, &init, out.to_str().unwrap(), &["--dev", &f.dev, "--steps", "50", "--lr", "0", "--warmup", "1", "--eval-every", "2", "--patience", "1"]));
    let stderr = ok(&o);
    assert!(stderr.contains("early stop at update 4"), "{stderr}");
    let m = metrics(&out);
    assert_eq!(losses(&m).len(), 4);
    let dev: Vec<f64> = m.iter().filter_map(|l| l["dev"]["mul_map"].as_f64()).collect();
    assert!(dev.len() == 3 && dev.windows(2).all(|w| w[0] == w[1]), "{dev:?}");
    assert_eq!(state(&out.join("best"))["step"], 2);
    assert_eq!(state(&out.join("last"))["step"], 4);
}

/// A BERT-family start (the WordPiece fixture: positions from 0, its own tokenizer) trains, and
/// `--freeze-word-table` keeps the word table bit for bit while every other encoder weight moves; AdamW keeps no
/// moments for it, and a resumed frozen run is the same run.
#[test]
fn a_bert_model_trains_with_its_word_table_frozen() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-bert-wordpiece");
    let out = f.dir.join("frozen");
    let flags = ["--steps", "6", "--lr", "1e-3", "--warmup", "1", "--freeze-word-table"];
    ok(&lingbridge(&train_args(&f, &init, out.to_str().unwrap(), &flags)));
    let load = |p: PathBuf| candle_core::safetensors::load(p, &candle_core::Device::Cpu).unwrap();
    let before = load(Path::new(&init).join("model.safetensors"));
    let after = load(out.join("last/model.safetensors"));
    let values = |t: &candle_core::Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    const WORD: &str = "embeddings.word_embeddings.weight";
    assert_eq!(values(&before[WORD]), values(&after[WORD]), "the frozen word table changed");
    for (name, tensor) in &before {
        if name != WORD && !name.starts_with("pooler.") {
            assert_ne!(values(tensor), values(&after[name]), "{name} was not trained");
        }
    }
    let moments = load(out.join("last/optimizer.safetensors"));
    assert!(!moments.contains_key(&format!("m.{WORD}")) && moments.contains_key("m.embeddings.position_embeddings.weight"));
    assert_eq!(state(&out.join("last"))["settings"]["freeze_word_table"], true);

    // Resuming with the table unfrozen would be another run: refused by name.
    let mut args = train_args(&f, &init, out.to_str().unwrap(), &["--steps", "8", "--lr", "1e-3", "--warmup", "1", "--resume"]);
    let o = lingbridge(&args);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("freeze_word_table"));
    args.push("--freeze-word-table");
    ok(&lingbridge(&args));
    assert_eq!(values(&before[WORD]), values(&load(out.join("last/model.safetensors"))[WORD]));

    // The export (and the checkpoint's own config.json) stay BERT: written as XLM-R, every loader would number
    // positions from pad + 1 (once shipped that way, silently).
    let export = f.dir.join("frozen-export");
    ok(&lingbridge(&["export", "--checkpoint", out.join("last").to_str().unwrap(), "--out", export.to_str().unwrap()]));
    for dir in [export.clone(), out.join("last")] {
        let config: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
        assert_eq!((config["model_type"].as_str(), config["architectures"][0].as_str()), (Some("bert"), Some("BertModel")), "{}", dir.display());
    }
}

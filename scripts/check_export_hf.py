#!/usr/bin/env python3
"""Check that Hugging Face loads a `lingbridge export` directory and embeds exactly as `lingbridge embed` does.

Usage (the venv of scripts/make_fixture.py; sentence-transformers is used when installed):
    /tmp/hfref/bin/python scripts/check_export_hf.py EXPORT_DIR [TEXTS_FILE] [--bin target/debug/lingbridge]

TEXTS_FILE has one text per line (default: a few sentences in several scripts). For queries and passages it
prints the max |difference| between `lingbridge embed` and
  - transformers: AutoTokenizer + AutoModel, the export's prompts, pooling (1_Pooling) and L2 normalisation;
  - sentence-transformers' SentenceTransformer(EXPORT_DIR).encode(prompt_name=…), if installed;
and fails (exit 1) when AutoModel reports missing (other than the unused `pooler.dense.*` of a BERT sentence
encoder) or unexpected weights or a difference exceeds 1e-5.
"""

import argparse
import json
import os
import subprocess
import sys

import torch
from transformers import AutoModel, AutoTokenizer

DEFAULT_TEXTS = [
    "Where does the Blue River start?",
    "Die Bibliothek öffnet um neun Uhr morgens.",
    "Библиотека открывается в девять утра.",
    "تفتح المكتبة في الساعة التاسعة صباحا",
    "a much longer text, with punctuation; numbers 1642 and an emoji 🙂, to pad the batch",
]


def ours(binary, model_dir, kind, texts):
    out = subprocess.run(
        [binary, "embed", "--model", model_dir, "--kind", kind],
        input="\n".join(texts) + "\n", capture_output=True, text=True, check=True,
    ).stdout
    return torch.tensor([json.loads(line) for line in out.splitlines() if line.strip()])


def transformers_embed(model_dir, kind, texts):
    with open(os.path.join(model_dir, "config_sentence_transformers.json")) as f:
        prefix = json.load(f).get("prompts", {}).get(kind, "")
    with open(os.path.join(model_dir, "1_Pooling", "config.json")) as f:
        cls = json.load(f).get("pooling_mode_cls_token", False)
    with open(os.path.join(model_dir, "sentence_bert_config.json")) as f:
        max_len = json.load(f)["max_seq_length"]
    tok = AutoTokenizer.from_pretrained(model_dir)
    model, info = AutoModel.from_pretrained(model_dir, output_loading_info=True)
    # BERT-family sentence encoders (multilingual-e5, and `lingbridge import e5s1` from it) ship no pooler: their
    # sentence embedding pools last_hidden_state and never reads BertModel's pooler, which transformers then
    # reports as missing and initialises at random. That, and only that, is allowed; any other missing weight fails.
    info["missing_keys"] = [k for k in info.get("missing_keys", []) if not k.startswith("pooler.dense.")]
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        sys.exit(f"AutoModel did not load the export cleanly: {bad}")
    model.eval()
    batch = tok([prefix + t for t in texts], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    if cls:
        pooled = hidden[:, 0]
    else:
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("texts", nargs="?")
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "debug", "lingbridge"))
    args = ap.parse_args()
    texts = DEFAULT_TEXTS
    if args.texts:
        with open(args.texts) as f:
            texts = [line.rstrip("\n") for line in f if line.strip()]
    try:
        from sentence_transformers import SentenceTransformer
        st = SentenceTransformer(args.model_dir, device="cpu")
    except ImportError:
        st = None
    worst = 0.0
    for kind in ("query", "passage"):
        mine = ours(args.bin, args.model_dir, kind, texts)
        diff = (mine - transformers_embed(args.model_dir, kind, texts)).abs().max().item()
        print(f"{kind}: max |lingbridge - transformers| = {diff:.3e} over {len(texts)} texts")
        worst = max(worst, diff)
        if st is not None:
            ref = torch.tensor(st.encode(texts, prompt_name=kind, normalize_embeddings=True))
            diff = (mine - ref).abs().max().item()
            print(f"{kind}: max |lingbridge - sentence-transformers| = {diff:.3e}")
            worst = max(worst, diff)
    if st is None:
        print("(sentence-transformers not installed: skipped)")
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    main()

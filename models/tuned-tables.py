#!/usr/bin/env python3
"""Issue 14's tables from the reports models/make-tuned.sh writes (artifacts/tuned/eval/<model>/<set>/report.json):
per set, one row per model (base, the three tuned ones, the seeds' variants, BM25 over the base pieces) with Mo / Cr / Mul mAP, Mul
macro, Mul R@1 / R@10, rank distance and same-language share of the top 10, the paper's rows beside them
(REFERENCE.md: XLM-R and LaBSE, Table 1 and Tables 7-8), then Mul mAP and rank distance per query language; then
Mul mAP under seeded query perturbations (the held-out XQuAD-R articles, or MLQA-R) and BEIR SciFact's trec_eval
measures, one row per model.

    python3 models/tuned-tables.py [artifacts/tuned/eval] > artifacts/tuned/tables.md

Reads only; a model or set without a report is left out and named on stderr.
"""
import json
import os
import sys

EVAL = sys.argv[1] if len(sys.argv) > 1 else "artifacts/tuned/eval"
MODELS = [("e5-small-base", "base (no tuning)"), ("e5-small-x-x-mono", "X-X-mono"), ("e5-small-x-y", "X-Y"),
          ("e5-small-hybrid", "hybrid α 0.5"), ("e5-small-hybrid-a0.25", "hybrid α 0.25"),
          ("e5-small-hybrid-a0.75", "hybrid α 0.75"), ("e5-small-hybrid-b16", "hybrid α 0.5, batch 16"),
          ("e5-small-hybrid-b64", "hybrid α 0.5, batch 64"), ("e5-small-hybrid-symmetric", "hybrid α 0.5 + symmetric"),
          ("e5-small-hybrid-mined", "hybrid α 0.5 + mined negative")]
SETS = [("mlqa-r", "MLQA-R (7 languages, zero-shot)"), ("xquad-r-heldout", "XQuAD-R, the 14 held-out articles (11 languages)")]
# The paper's rows (mAP; rank distance), REFERENCE.md — XLM-R base and LaBSE, trained on XQuAD-R's other articles.
PAPER = {
    "mlqa-r": [("paper XLM-R X-X-mono", .648, .584, .473, 287.5), ("paper XLM-R X-Y", .626, .620, .508, 226.7),
               ("paper XLM-R hybrid", .648, .623, .512, 227.1), ("paper LaBSE hybrid", .686, .681, .579, 195.0)],
}


def load(model, dataset):
    path = os.path.join(EVAL, model, dataset, "report.json")
    if not os.path.exists(path):
        print(f"missing: {path}", file=sys.stderr)
        return None
    with open(path) as f:
        return json.load(f)


def system(report, name):
    for s in report["systems"]:
        if s["name"] == name:
            return s["scores"]
    return None


def row(label, s):
    b = s["bias"]
    return (f"| {label} | {s['mo']['map']:.3f} | {s['cr']['map']:.3f} | {s['mul']['map']:.3f} | "
            f"{s['mul_macro']['map']:.3f} | {s['mul']['recall_1']:.3f} | {s['mul']['recall_10']:.3f} | "
            f"{b['rank_distance']:.1f} | {b['same_language_top10']:.3f} |")


PERTURBED = [("xquad-r-heldout-perturbed", "the 14 held-out XQuAD-R articles"), ("mlqa-r-perturbed", "MLQA-R")]


def perturbed(dataset, title):
    """Mul mAP (micro) and rank distance per system of one perturbed set's reports: clean, then each perturbation."""
    rows, header = [], None
    for model, label in MODELS:
        r = load(model, dataset)
        if r is None:
            continue
        systems = [s for s in r["systems"] if s["name"].startswith("dense")]
        names = [s["name"].removeprefix("dense").lstrip("+") or "clean" for s in systems]
        header = header or names
        if names != header:
            print(f"{model}: perturbations {names} differ from {header}", file=sys.stderr)
            continue
        rows.append(f"| {label} | " + " | ".join(f"{s['scores']['mul']['map']:.3f} / {s['scores']['bias']['rank_distance']:.0f}" for s in systems) + " |")
    if rows:
        print(f"#### {title} with perturbed queries (Mul mAP / rank distance; seed 13)\n")
        print("| model | " + " | ".join(header) + " |")
        print("|---|" + "---|" * len(header))
        print("\n".join(rows) + "\n")


def beir():
    """BEIR SciFact (test, English): the trec_eval measures of each model, and BM25 over the base pieces."""
    rows, measures, bm25 = [], None, None
    for model, label in MODELS:
        r = load(model, "scifact")
        if r is None:
            continue
        for s in r["systems"]:
            m = s["scores"]["measures"]
            measures = measures or [name for name, _ in m]
            if s["name"] == "dense":
                rows.append(f"| {label} | " + " | ".join(f"{v:.4f}" for _, v in m) + " |")
            elif s["name"] == "bm25":
                bm25 = f"| BM25 over the base pieces | " + " | ".join(f"{v:.4f}" for _, v in m) + " |"
    if rows:
        print("#### BEIR SciFact (test, 300 English claims, 5,183 abstracts)\n")
        print("| model | " + " | ".join(measures) + " |")
        print("|---|" + "---|" * len(measures))
        print("\n".join(rows + ([bm25] if bm25 else [])) + "\n")


def main():
    lareqa()
    for dataset, title in PERTURBED:
        perturbed(dataset, title)
    beir()


def lareqa():
    for dataset, title in SETS:
        rows, per_lang = [], []
        bm25 = None
        for model, label in MODELS:
            r = load(model, dataset)
            if r is None:
                continue
            s = system(r, "dense")
            rows.append(row(label, s))
            per_lang.append((label, s))
            bm25 = bm25 or system(r, "bm25")
        if not rows:
            continue
        print(f"#### {title}\n")
        print("| model | Mo mAP | Cr mAP | Mul mAP | Mul mAP macro | Mul R@1 | Mul R@10 | rank distance | same-lang@10 |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(rows))
        if bm25:
            print(row("BM25 over the base pieces", bm25))
        for label, mo, cr, mul, rd in PAPER.get(dataset, []):
            print(f"| {label} | {mo:.3f} | {cr:.3f} | {mul:.3f} | – | – | – | {rd:.1f} | – |")
        langs = per_lang[0][1]["languages"]
        print(f"\nMul mAP / rank distance per query language:\n")
        print("| model | " + " | ".join(langs) + " |")
        print("|---|" + "---|" * len(langs))
        for label, s in per_lang:
            cells = [f"{s['mul_per_language'][l]['map']:.3f} / {s['bias']['per_language'][l]['rank_distance']:.0f}" for l in langs]
            print(f"| {label} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()

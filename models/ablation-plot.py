#!/usr/bin/env python3
"""Issue 14's seeds' questions (a) and (c) as plots: multilingual-e5-small tuned with one setting changed, all else
the same; Mo / Cr / Mul mAP (left axis) and rank distance (right axis) against that setting, on MLQA-R and on the
held-out XQuAD-R articles. Reads the reports models/make-tuned.sh writes; writes one SVG.

    python3 models/ablation-plot.py alpha [artifacts/tuned/eval] > models/e5-alpha.svg
    python3 models/ablation-plot.py batch > models/e5-batch.svg
    python3 models/ablation-plot.py objective > models/e5-objective.svg

A run without a report is left out and named on stderr (two runs at least are needed).
"""
import json
import os
import sys

# ablation: (x-axis title, [(tick label, model)]); the runs sit evenly spaced along x.
ABLATIONS = {
    "alpha": ("α (share of X-X-mono batches)",
              [("0", "e5-small-x-y"), ("0.25", "e5-small-hybrid-a0.25"), ("0.5", "e5-small-hybrid"),
               ("0.75", "e5-small-hybrid-a0.75"), ("1", "e5-small-x-x-mono")]),
    "batch": ("pairs per batch (hybrid α 0.5, 120 updates)",
              [("16", "e5-small-hybrid-b16"), ("32", "e5-small-hybrid"), ("64", "e5-small-hybrid-b64")]),
    "objective": ("objective (hybrid α 0.5, batch 32)",
                  [("InfoNCE", "e5-small-hybrid"), ("+ symmetric", "e5-small-hybrid-symmetric"),
                   ("+ mined negative", "e5-small-hybrid-mined")]),
}
if len(sys.argv) < 2 or sys.argv[1] not in ABLATIONS:
    sys.exit(f"usage: ablation-plot.py {{{'|'.join(ABLATIONS)}}} [EVAL_DIR] > out.svg")
AXIS, RUNS = ABLATIONS[sys.argv[1]]
EVAL = sys.argv[2] if len(sys.argv) > 2 else "artifacts/tuned/eval"
SETS = [("mlqa-r", "MLQA-R (zero-shot)"), ("xquad-r-heldout", "XQuAD-R, 14 held-out articles")]
SERIES = [("mo", "Mo", "#1b9e77"), ("cr", "Cr", "#d95f02"), ("mul", "Mul", "#7570b3")]
W, H, PAD = 360, 240, 46


def points(dataset):
    """(position 0..1 along x, tick label, mAP by series, rank distance) per run that has a report."""
    found = []
    for label, model in RUNS:
        path = os.path.join(EVAL, model, dataset, "report.json")
        if not os.path.exists(path):
            print(f"missing, left out: {path} (MODELS=... bash models/make-tuned.sh makes it)", file=sys.stderr)
            continue
        scores = next(s["scores"] for s in json.load(open(path))["systems"] if s["name"] == "dense")
        found.append((label, {k: scores[k]["map"] for k, _, _ in SERIES}, scores["bias"]["rank_distance"]))
    if len(found) < 2:
        sys.exit(f"{dataset}: fewer than two runs have reports")
    return [(i / (len(found) - 1), label, v, rd) for i, (label, v, rd) in enumerate(found)]


def panel(x0, title, pts):
    lo = min(min(v.values()) for _, _, v, _ in pts) - 0.02
    hi = max(max(v.values()) for _, _, v, _ in pts) + 0.02
    rd_hi = max(rd for _, _, _, rd in pts) * 1.15
    sx = lambda a: x0 + PAD + a * (W - 2 * PAD)
    sy = lambda m: H - PAD - (m - lo) / (hi - lo) * (H - 2 * PAD)
    sr = lambda r: H - PAD - r / rd_hi * (H - 2 * PAD)
    svg = [f'<text x="{x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<rect x="{x0 + PAD}" y="{PAD}" width="{W - 2 * PAD}" height="{H - 2 * PAD}" fill="none" stroke="#999"/>']
    for a, tick, _, _ in pts:
        svg.append(f'<text x="{sx(a):.1f}" y="{H - PAD + 16}" text-anchor="middle">{tick}</text>')
    svg.append(f'<text x="{x0 + W / 2}" y="{H - 8}" text-anchor="middle">{AXIS}</text>')
    for m in (lo, (lo + hi) / 2, hi):
        svg.append(f'<text x="{x0 + PAD - 4}" y="{sy(m) + 4:.1f}" text-anchor="end">{m:.2f}</text>')
    svg.append(f'<text x="{x0 + W - PAD + 4}" y="{sr(rd_hi) + 4:.1f}">RD {rd_hi:.0f}</text>')
    svg.append(f'<text x="{x0 + W - PAD + 4}" y="{sr(0) + 4:.1f}">0</text>')
    for key, label, colour in SERIES:
        line = " ".join(f"{sx(a):.1f},{sy(v[key]):.1f}" for a, _, v, _ in pts)
        svg.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        a, _, v, _ = pts[-1]
        svg.append(f'<text x="{sx(a) - 4:.1f}" y="{sy(v[key]) - 5:.1f}" text-anchor="end" fill="{colour}">{label}</text>')
    line = " ".join(f"{sx(a):.1f},{sr(rd):.1f}" for a, _, _, rd in pts)
    svg.append(f'<polyline points="{line}" fill="none" stroke="#444" stroke-width="1.5" stroke-dasharray="5,3"/>')
    # Under the dashed line at the middle of the x axis (between the two middle runs when there are even many).
    n = len(pts)
    rd_mid = pts[n // 2][3] if n % 2 else (pts[n // 2 - 1][3] + pts[n // 2][3]) / 2
    svg.append(f'<text x="{sx(0.5):.1f}" y="{sr(rd_mid) + 14:.1f}" text-anchor="middle" fill="#444">rank distance (dashed, right axis)</text>')
    return svg


def main():
    body = []
    for i, (dataset, title) in enumerate(SETS):
        body += panel(i * W, title, points(dataset))
    print(f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H}" font-family="sans-serif" '
          f'font-size="11"><rect width="100%" height="100%" fill="white"/>')
    print("\n".join(body))
    print("</svg>")


if __name__ == "__main__":
    main()

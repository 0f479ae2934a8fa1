#!/usr/bin/env python3
"""Golden fixtures for LingBridge's trec_eval-compatible metrics (tests/metrics.rs, trec_eval_cli.rs).

How it was run (from the repository root; the venv holds pytrec-eval-terrier 0.5.11, which embeds trec_eval 9.0.8):
    /tmp/hfref/bin/python scripts/make_trec_golden.py
which writes tests/fixtures/trec/:
    qrels.txt           graded judgments 0..3 plus -1 ("in pool, unjudged" to trec_eval), a query with no relevant
                        document, one with only negative judgments, one absent from every run
    run_ties.txt        coarse scores (one decimal), so most documents tie and trec_eval's tie-break (document id
                        descending, byte order: "d9" before "d10", "a" before "B", "é" before "z") decides
    run_f32.txt         scores that differ only beyond single precision: trec_eval <= 9.0.8 and pytrec_eval keep
                        scores in a C float, so these tie too; also -0.0 against 0.0, negative and huge scores
    run_sparse.txt      a handful of documents per query (cutoffs beyond the ranking, nothing relevant retrieved)
    expected.json       pytrec_eval's per-query values and its aggregates (compute_aggregated_measure: mean, or
                        sum for num_*), for every measure in "measures", per run file
Every run also holds a query missing from the qrels and retrieves documents the qrels never judged.
Duplicate documents are not here: trec_eval refuses them and pytrec_eval's parse_run asserts against them; the
Rust tests check that both are errors.
Deterministic: a fixed seed and Python's own random module; rerunning rewrites identical files.
"""

import json
import os
import random

import pytrec_eval

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "trec")
SEED = 20240820
CUTOFFS = {"P": [1, 5, 10, 20], "recall": [1, 5, 10, 100], "ndcg_cut": [1, 3, 5, 10, 20, 100]}
MEASURES = ["num_q", "num_ret", "num_rel", "num_rel_ret", "map", "recip_rank"] + [
    f"{family}_{k}" for family, ks in CUTOFFS.items() for k in ks
]
# pytrec_eval takes trec_eval's `-m` syntax ("P.1,5,10,20") and reports "P_1", "P_5", ...
PYTREC_MEASURES = {"num_q", "num_ret", "num_rel", "num_rel_ret", "map", "recip_rank"} | {
    f"{family}.{','.join(map(str, ks))}" for family, ks in CUTOFFS.items()
}

rng = random.Random(SEED)

# Document ids whose byte order differs from numeric or case-insensitive order, so tie-breaking shows.
POOL = [f"d{i}" for i in range(1, 241)] + ["D5", "Doc-a", "doc-B", "x\u00e9", "xz", "Z9", "z10"]
QUERIES = [f"q{i}" for i in range(1, 31)]  # byte order: q1, q10, q11, ..., q2, q20, ...
GRADES = [0] * 10 + [1] * 5 + [2] * 3 + [3] * 2 + [-1] * 1


def make_qrels():
    qrels = {}
    for q in QUERIES:
        judged = rng.sample(POOL, rng.randint(4, 40))
        qrels[q] = {d: rng.choice(GRADES) for d in judged}
    # Special queries: every judgment 0 (no relevant document), only negative ones, exactly one relevant.
    qrels["q3"] = {d: 0 for d in rng.sample(POOL, 8)}
    qrels["q4"] = {d: -1 for d in rng.sample(POOL, 3)}
    qrels["q5"] = {d: 0 for d in rng.sample(POOL, 6)}
    qrels["q5"][rng.choice(POOL)] = 2
    # Deep judgments for the @100 cutoffs: q6 has 120 judged documents.
    qrels["q6"] = {d: rng.choice([0, 0, 1, 1, 2, 3]) for d in rng.sample(POOL, 120)}
    # Only in the qrels: never evaluated (trec_eval evaluates queries present in both).
    qrels["q_only_in_qrels"] = {"d1": 1, "d2": 2}
    return qrels


def ranking(q, qrels, size):
    """Judged and unjudged documents for one query, in random order."""
    judged = list(qrels.get(q, {}))
    docs = set(rng.sample(judged, min(len(judged), rng.randint(0, len(judged)))))
    docs |= set(rng.sample(POOL, min(size, len(POOL))))
    docs = sorted(docs)
    rng.shuffle(docs)
    return docs[: max(size, 1)]


def run_ties(qrels):
    run = {}
    for q in QUERIES + ["q_only_in_run"]:
        size = 150 if q in ("q6", "q7") else rng.randint(5, 60)
        run[q] = {d: rng.randint(0, 8) / 10 for d in ranking(q, qrels, size)}
    return run


def run_f32(qrels):
    run = {}
    for q in QUERIES + ["q_only_in_run"]:
        size = 130 if q == "q6" else rng.randint(5, 40)
        scores = {}
        for d in ranking(q, qrels, size):
            base = rng.choice([1.0, 0.5, 3.25, -2.0, 12.345678, 0.0])
            kind = rng.random()
            if kind < 0.4:
                # Below half a float ulp at these magnitudes: a tie in f32, not in f64.
                scores[d] = base + rng.choice([1e-9, -1e-9, 2e-10, 3e-12]) * max(1.0, abs(base))
            elif kind < 0.5 and base == 0.0:
                scores[d] = -0.0
            elif kind < 0.55:
                scores[d] = rng.choice([1e39, -1e39, 1e-50])  # inf / -inf / 0 once in a float
            else:
                scores[d] = base + rng.randint(-3, 3) * 0.25
        run[q] = scores
    return run


def run_sparse(qrels):
    run = {}
    for q in QUERIES + ["q_only_in_run"]:
        run[q] = {d: round(rng.uniform(-5, 5), 3) for d in ranking(q, qrels, rng.randint(1, 5))}
    return run


def write_qrels(path, qrels):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for q in sorted(qrels):
            for d in sorted(qrels[q]):
                f.write(f"{q} 0 {d} {qrels[q][d]}\n")


def write_run(path, run, tag):
    """Lines in shuffled order with meaningless rank numbers: trec_eval ranks by score alone."""
    lines = []
    for q, docs in run.items():
        for d, s in docs.items():
            lines.append((q, d, s))
    rng.shuffle(lines)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i, (q, d, s) in enumerate(lines):
            f.write(f"{q} Q0 {d} {i % 7} {s!r} {tag}\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    qrels = make_qrels()
    write_qrels(os.path.join(OUT, "qrels.txt"), qrels)
    runs = {"run_ties.txt": run_ties(qrels), "run_f32.txt": run_f32(qrels), "run_sparse.txt": run_sparse(qrels)}
    for name, run in runs.items():
        write_run(os.path.join(OUT, name), run, name.removesuffix(".txt"))

    # Evaluate what the files say, read back with pytrec_eval's own parsers.
    with open(os.path.join(OUT, "qrels.txt"), encoding="utf-8") as f:
        parsed_qrels = pytrec_eval.parse_qrel(f)
    evaluator = pytrec_eval.RelevanceEvaluator(parsed_qrels, PYTREC_MEASURES)
    expected = {
        "generator": "scripts/make_trec_golden.py",
        "reference": f"pytrec_eval {pytrec_eval.__version__} (trec_eval 9.0.8), relevance_level 1",
        "qrels": "qrels.txt",
        "measures": MEASURES,
        "runs": {},
    }
    for name in runs:
        with open(os.path.join(OUT, name), encoding="utf-8") as f:
            parsed_run = pytrec_eval.parse_run(f)
        per_query = evaluator.evaluate(parsed_run)
        assert set(per_query) == set(parsed_run) & set(parsed_qrels), "pytrec_eval evaluates queries in both"
        assert all(set(v) == set(MEASURES) for v in per_query.values()), "measure names as expected"
        aggregate = {
            m: pytrec_eval.compute_aggregated_measure(m, [v[m] for _, v in sorted(per_query.items())])
            for m in MEASURES
        }
        expected["runs"][name] = {
            "per_query": {q: {m: per_query[q][m] for m in MEASURES} for q in sorted(per_query)},
            "all": {m: float(aggregate[m]) for m in MEASURES},
        }
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {OUT}: {total} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# `make page-model`: the page's default model, models/e5-small-base.q4_0.gguf (committed), from models/base.q4_0.gguf
# (`make base-model`) by `lingbridge vocab trim` on a corpus of the page's 11 languages (ar de el en es hi ru th tr
# vi zh): the built-in search corpus, Tatoeba, NTREX, and the training records of the QA sources (XQuAD-R's training
# articles — never the 14 held-out ones, never an article MLQA-R holds — and ARCD's train split; the same files
# models/make-models.sh trains on). Public sets from $LINGBRIDGE_DATA, ./data or ../shared/data.
#
# No set we report on is in it: vocab trim refuses XQuAD/MLQA/LAReQA/BEIR/MIRACL paths, and --allow-eval-data is
# given only because the training records' file name says "xquad-r" (they are its training articles).
# The single characters of the 11 languages' scripts are kept (no <unk> for unseen words of those languages), and
# --max-pieces keeps the file within 30 MB (30,000,000 B) by leaving out the corpus pieces used least (here: at most
# 3 uses, each text counted bare and behind each of the two prompts). The kept rows' Q4_0 blocks are copied as they are.
#
# Measured 2026-12-05 (2 cores, debug build): 72,000 of 250,002 pieces kept (1,519 pieces with ≤ 3 uses left out;
# 5,076 of 183,408 corpus texts-with-prompt then segment into other kept pieces, +0.14 % tokens, no <unk>),
# 29,986,336 B, 41 s. (2026-12-03's file, on demo + Tatoeba + NTREX only and no limit: 66,972 pieces.)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LINGBRIDGE_BIN:-target/debug/lingbridge}
OUT=${1:-models/e5-small-base.q4_0.gguf}
# Any model file of multilingual-e5-small's vocabulary: the base by default; a copy with the base's word table
# (e.g. tuned with it frozen, written by `lingbridge quantize --scheme q4_0 --pure`) gets the same pieces and rows.
MODEL=${2:-models/base.q4_0.gguf}
# 72,000 for the shipped files; another value only for experiments (models/experiments/word-table-pq.py).
MAX_PIECES=${MAX_PIECES:-72000}
# XQuAD-R's languages and held-out articles: the split models/make-models.sh uses.
source models/recipe/xquad-r-split.sh
source models/recipe/data-root.sh

data=$(data_root tatoeba ntrex xquad-r mlqa-r arcd)

records=artifacts/models/data
mkdir -p "$records" artifacts/page
if [[ ! -s $records/xquad-r.train.jsonl ]]; then
  "$BIN" data convert lareqa --dataset "$data/xquad-r" --langs "$XQUAD_R_LANGS" --split train --exclude-articles-of "$data/mlqa-r" \
    --dev-fraction $HOLDOUT_FRACTION --seed $HOLDOUT_SEED --out "$records/xquad-r.train.jsonl" >/dev/null
fi
if [[ ! -s $records/arcd.train.jsonl ]]; then
  "$BIN" data convert squad --file "ar=$data/arcd/arcd-train.json" --exclude-articles-of "$data/mlqa-r" \
    --out "$records/arcd.train.jsonl" >/dev/null
fi

corpus=(www/demo/corpus.jsonl)
for l in ara cmn deu ell hin rus spa tha tur vie; do
  corpus+=("$data/tatoeba/tatoeba.$l-eng.$l" "$data/tatoeba/tatoeba.$l-eng.eng")
done
for l in arb deu ell hin rus spa tha tur vie zho-CN; do
  corpus+=("$data/ntrex/newstest2019-ref.$l.txt.gz")
done
corpus+=("$data/ntrex/newstest2019-src.eng.txt.gz" "$records/xquad-r.train.jsonl" "$records/arcd.train.jsonl")

"$BIN" vocab trim --model "$MODEL" --corpus "${corpus[@]}" --allow-eval-data \
  --keep-scripts Arab,Cyrl,Deva,Grek,Hani,Latn,Thai --max-pieces $MAX_PIECES --out "$OUT" \
  --report "artifacts/page/$(basename "$OUT" .gguf).trim-report.json"
size=$(stat -c %s "$OUT")
if (( size > 30000000 )); then
  echo "page-model: $OUT is $size B, over the page's 30 MB budget; lower MAX_PIECES" >&2
  exit 1
fi

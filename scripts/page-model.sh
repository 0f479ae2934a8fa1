#!/usr/bin/env bash
# `make page-model`: the page's default model, models/e5-small-base.q4_0.gguf (committed), from models/base.q4_0.gguf
# (`make base-model`) by `lingbridge vocab trim` on a corpus of the page's 11 languages (ar de el en es hi ru th tr
# vi zh): the built-in search corpus, Tatoeba and NTREX (public sets in $LINGBRIDGE_DATA, ./data or ../shared/data).
# No evaluation set is in it (vocab trim refuses XQuAD/MLQA/LAReQA/BEIR/MIRACL paths). The Q4_0 blocks of the kept
# rows are copied bit for bit; the corpus re-tokenizes to the same pieces (checked by the command).
# Measured 2026-12-03 (2 cores, debug build): 66,972 of 250,002 pieces kept, 30,015,136 B, 29–77 s.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LINGBRIDGE_BIN:-target/debug/lingbridge}
OUT=${1:-models/e5-small-base.q4_0.gguf}

data=""
for root in "${LINGBRIDGE_DATA:-}" data ../shared/data; do
  if [[ -n $root && -d $root/tatoeba && -d $root/ntrex ]]; then data=$root; break; fi
done
if [[ -z $data ]]; then
  echo "page-model: Tatoeba and NTREX not found (set LINGBRIDGE_DATA, or run scripts/fetch-data.sh)" >&2
  exit 1
fi

corpus=(www/demo/corpus.jsonl)
for l in ara cmn deu ell hin rus spa tha tur vie; do
  corpus+=("$data/tatoeba/tatoeba.$l-eng.$l" "$data/tatoeba/tatoeba.$l-eng.eng")
done
for l in arb deu ell hin rus spa tha tur vie zho-CN; do
  corpus+=("$data/ntrex/newstest2019-ref.$l.txt.gz")
done
corpus+=("$data/ntrex/newstest2019-src.eng.txt.gz")

mkdir -p artifacts/page
"$BIN" vocab trim --model models/base.q4_0.gguf --corpus "${corpus[@]}" --out "$OUT" --report artifacts/page/trim-report.json

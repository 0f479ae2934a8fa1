#!/usr/bin/env bash
# Reproduces the three default models from the public data (models/README.md): training records → tokenizer →
# three runs that differ only in --sampling → export → q8_0 → zero-shot evaluation. Every step is skipped when
# its output exists, so a killed run continues where it stopped (training itself resumes from its checkpoint).
#
#   bash models/make-models.sh              # everything (CPU)
#   DEVICE=cuda:0 bash models/make-models.sh # training on a GPU (binary built with --features cuda)
#   STEPS=… / MODELS="hybrid" / SKIP_EVAL=1 / SKIP_SWEEP=1 / DATA_ONLY=1 # overrides for experiments
#   SHIP=1 bash models/make-models.sh         # also copy the hybrid q8_0 file (the one the page ships) into models/
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${LINGBRIDGE_BIN:-target/release/lingbridge}
DEVICE=${DEVICE:-cpu}
MODELS=${MODELS-"x-x-mono x-y hybrid"}
WORK=artifacts/models
DATA_OUT=$WORK/data
RECIPE=models/recipe
# XQuAD-R's languages and the articles held out of training: the only XQuAD-R articles we report on.
source models/recipe/xquad-r-split.sh
source models/recipe/data-root.sh
# The last 200 NTREX lines are the dev set that picks each run's best checkpoint.
NTREX_DEV_FROM=1797

say() { printf '[models] %s\n' "$*" >&2; }
timed() { local t0=$SECONDS; "$@"; say "  … $(( SECONDS - t0 )) s"; }

root=$(data_root xquad-r)
say "data from $root, binary $BIN, device $DEVICE"
[ -x "$BIN" ] || { say "building $BIN"; cargo build --release -p lingbridge-trainer; }
mkdir -p "$DATA_OUT" "$WORK/q8_0"

# --- training records -------------------------------------------------------------------------------------
# QA sources leave out every article MLQA-R (reported) also holds: XQuAD and MLQA share "Harvard University" and
# "Prime number", ARCD and MLQA-R two Arabic articles.
if [ ! -s "$DATA_OUT/xquad-r.train.jsonl" ]; then
  say "XQuAD-R: training articles (all 11 languages)"
  "$BIN" data convert lareqa --dataset "$root/xquad-r" --langs "$XQUAD_R_LANGS" --split train --exclude-articles-of "$root/mlqa-r" \
    --dev-fraction $HOLDOUT_FRACTION --seed $HOLDOUT_SEED --out "$DATA_OUT/xquad-r.train.jsonl" >/dev/null
fi
if [ ! -s "$WORK/xquad-r-heldout/en.json" ]; then
  say "XQuAD-R: held-out articles as LAReQA files (evaluation only)"
  "$BIN" data convert lareqa --dataset "$root/xquad-r" --langs "$XQUAD_R_LANGS" --split dev --format lareqa \
    --dev-fraction $HOLDOUT_FRACTION --seed $HOLDOUT_SEED --out "$WORK/xquad-r-heldout"
fi
ntrex_files=()
for pair in ar:arb de:deu el:ell en:eng es:spa hi:hin ru:rus th:tha tr:tur vi:vie zh:zho-CN; do
  l=${pair%%:*}; code=${pair#*:}
  f="$root/ntrex/newstest2019-ref.$code.txt.gz"; [ "$l" = en ] && f="$root/ntrex/newstest2019-src.eng.txt.gz"
  ntrex_files+=(--file "$l=$f")
done
if [ ! -s "$DATA_OUT/ntrex.train.jsonl" ]; then
  say "NTREX: lines 0..$NTREX_DEV_FROM for training, the rest for dev"
  "$BIN" data convert parallel "${ntrex_files[@]}" --id-prefix ntrex- --lines "0..$NTREX_DEV_FROM" --out "$DATA_OUT/ntrex.train.jsonl" >/dev/null
  "$BIN" data convert parallel "${ntrex_files[@]}" --id-prefix ntrex- --lines "$NTREX_DEV_FROM.." --out "$DATA_OUT/ntrex.dev.jsonl" >/dev/null
fi
if [ ! -s "$DATA_OUT/tatoeba.jsonl" ]; then
  say "Tatoeba: x–English pairs"
  : > "$DATA_OUT/tatoeba.part"
  for code in ara deu ell hin rus spa tha tur vie cmn; do
    "$BIN" data convert pairs --file "$code=$root/tatoeba/tatoeba.$code-eng.$code" --file "eng=$root/tatoeba/tatoeba.$code-eng.eng" \
      --id-prefix "tatoeba-$code-" --out "$DATA_OUT/tatoeba.$code.jsonl" >/dev/null
    cat "$DATA_OUT/tatoeba.$code.jsonl" >> "$DATA_OUT/tatoeba.part"
    rm "$DATA_OUT/tatoeba.$code.jsonl"
  done
  mv "$DATA_OUT/tatoeba.part" "$DATA_OUT/tatoeba.jsonl"
fi
if [ ! -s "$DATA_OUT/arcd.train.jsonl" ]; then
  say "ARCD: Arabic questions (train split)"
  "$BIN" data convert squad --file "ar=$root/arcd/arcd-train.json" --exclude-articles-of "$root/mlqa-r" \
    --out "$DATA_OUT/arcd.train.jsonl" >/dev/null
fi
train_files=("$DATA_OUT/xquad-r.train.jsonl" "$DATA_OUT/ntrex.train.jsonl" "$DATA_OUT/tatoeba.jsonl" "$DATA_OUT/arcd.train.jsonl")
[ -s "$WORK/data-stats.md" ] || "$BIN" data stats "${train_files[@]}" > "$WORK/data-stats.md"
[ -n "${DATA_ONLY:-}" ] && exit 0 # the records only (models/make-tuned.sh)

# --- tokenizer and model config -----------------------------------------------------------------------------
if [ ! -s "$WORK/tokenizer.json" ]; then
  say "tokenizer: Unigram, 16k pieces, on the training text of all languages"
  timed "$BIN" tokenizer train --input "${train_files[@]}" --vocab-size 16000 --out "$WORK/tokenizer.json"
fi
# The config's vocab_size is the tokenizer's (the Unigram trainer may stop short of 16k).
python3 - "$RECIPE/config.json" "$WORK/tokenizer.json" "$WORK/config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
tok = json.load(open(sys.argv[2]))
config["vocab_size"] = len(tok["model"]["vocab"]) + sum(1 for t in tok["added_tokens"] if t["id"] >= len(tok["model"]["vocab"]))
json.dump(config, open(sys.argv[3], "w"), indent=2)
PY

# --- training, export, quantization -------------------------------------------------------------------------
for sampling in $MODELS; do
  run=$WORK/runs/$sampling
  extra=()
  [ -n "${STEPS:-}" ] && extra+=(--steps "$STEPS")
  if [ -f "$run/last/state.json" ]; then extra+=(--resume); fi
  if [ ! -f "$run/done" ]; then
    say "training $sampling ($DEVICE)"
    t0=$SECONDS
    "$BIN" train --config "$RECIPE/train.toml" --sampling "$sampling" --device "$DEVICE" --out "$run" "${extra[@]}"
    echo "$(( SECONDS - t0 ))" > "$run/train-seconds"
    touch "$run/done"
  fi
  name=lingbridge-small-$sampling
  if [ ! -f "$WORK/export/$name/model.safetensors" ]; then
    "$BIN" export --checkpoint "$run/best" --out "$WORK/export/$name"
  fi
  [ -s "$WORK/q8_0/$name.q8_0.gguf" ] || "$BIN" quantize --model "$WORK/export/$name" --scheme q8_0 --out "$WORK/q8_0/$name.q8_0.gguf"
done

[ -n "${SKIP_EVAL:-}" ] && exit 0

# --- zero-shot evaluation -----------------------------------------------------------------------------------
for sampling in $MODELS; do
  name=lingbridge-small-$sampling
  for variant in f32 q8_0; do
    model=$WORK/export/$name; [ $variant = q8_0 ] && model=$WORK/q8_0/$name.q8_0.gguf
    for set in mlqa-r xquad-r-heldout demo; do
      out=$WORK/eval/$name/$variant/$set
      [ -s "$out/report.json" ] && continue
      dataset=$set; [ $set = xquad-r-heldout ] && dataset=$WORK/xquad-r-heldout; [ $set = demo ] && dataset=www/demo/eval
      # BM25 once (it only depends on the tokenizer, which the three share); adversarial queries (typos,
      # code-switching, script noise at two rates) on MLQA-R with the f32 weights.
      extra=()
      [ $sampling = hybrid ] && [ $variant = f32 ] && extra+=(--baseline bm25)
      [ $variant = f32 ] && [ $set = mlqa-r ] && extra+=(--perturb "typo:0.1,typo:0.3,codeswitch:0.1,codeswitch:0.3,script:0.1,script:0.3")
      say "eval $name ($variant) on $set"
      timed "$BIN" eval --model "$model" --backend cpu --dataset "$dataset" "${extra[@]}" --out "$out" >/dev/null
    done
  done
done


# --- the α sweep (0 = pure X-Y … 1 = pure X-X-mono), same recipe, scored on MLQA-R ----------------------------
if [ -z "${SKIP_SWEEP:-}" ] && [ ! -s "$WORK/sweep/sweep.md" ]; then
  say "α sweep"
  timed "$BIN" sweep --config "$RECIPE/train.toml" --device "$DEVICE" --alphas 0,0.25,0.5,0.75,1 --eval "$root/mlqa-r" --out "$WORK/sweep"
fi
if [ -n "${SHIP:-}" ]; then
  # Only hybrid stays on the page (a tiny model for slow devices and the browser suites' quick test model); the
  # e5-small files took the rest of the 100 MB that committed models may weigh.
  cp "$WORK/q8_0/lingbridge-small-hybrid.q8_0.gguf" models/
fi
say "done: q8_0 files in $WORK/q8_0/, reports under $WORK/eval/, sweep under $WORK/sweep/"

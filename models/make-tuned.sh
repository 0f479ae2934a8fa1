#!/usr/bin/env bash
# Issue 14's experiment: multilingual-e5-small (models/base) fine-tuned three times from the same start, on the
# same data for the same steps, differing only in batch sampling (x-x-mono, x-y, hybrid α 0.5), then each model
# scored zero-shot on MLQA-R and on the 14 held-out XQuAD-R articles; the held-out articles again with seeded query
# perturbations (typos, code-switching, script noise: the seeds' question b; `mlqa-r-perturbed` is the same on MLQA-R,
# ≈ 35 CPU-minutes a model here) and BEIR SciFact (English scientific claims: does the
# multilingual QA tuning cost English retrieval? question d). Settings: models/recipe/e5-tune.toml.
# Every step is skipped when its output exists; a killed training run resumes from its last checkpoint.
# Then the page files of the two shipped tuned models (models/e5-small-{hybrid,mono}.q4_0.gguf): 4-bit like the
# base page file, but stochastically rounded — the tuned weights differ from the 4-bit base by less than a 4-bit
# step, so rounding to nearest gives the base back (src/model/rounding.rs, models/README.md) — and trimmed to the
# base page file's pieces (scripts/page-model.sh; the word table was frozen, so its rows are the base's).
#
#   bash models/make-tuned.sh                  # all three (CPU: ~12–15 min of training each on 2 cores)
#   MODELS="hybrid" bash models/make-tuned.sh  # one of them ("base": only the untuned model's evaluation)
#   MODELS="hybrid-a0.25 hybrid-a0.75"         # the seeds' question (a): hybrid at another α, all else the same
#   MODELS="hybrid-b16 hybrid-b64"             # question (a): hybrid α 0.5 at another batch size, same 120 updates
#   MODELS="hybrid-symmetric hybrid-mined"     # question (c): + the passage→query term; + one hard negative per
#                                              # pair, mined by the base model (same article and language, not the answer)
#   SETS="mlqa-r" / DEVICE=cuda:0              # fewer sets / a CUDA build's GPU
#   PAGE=""                                    # no page files
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${LINGBRIDGE_BIN:-target/release/lingbridge}
DEVICE=${DEVICE:-cpu}
MODELS=${MODELS-"hybrid x-x-mono x-y base"}
SETS=${SETS-"mlqa-r xquad-r-heldout xquad-r-heldout-perturbed scifact"}
# The perturbations of the from-scratch models' table (models/make-models.sh), seed 13.
PERTURB="typo:0.1,typo:0.3,codeswitch:0.1,codeswitch:0.3,script:0.1,script:0.3"
WORK=artifacts/tuned
RECIPE=models/recipe/e5-tune.toml
# XQuAD-R's languages and held-out split, as make-models.sh uses them (the mined records below), and where the data is.
source models/recipe/xquad-r-split.sh
source models/recipe/data-root.sh

say() { printf '[tuned] %s\n' "$*" >&2; }
timed() { local t0=$SECONDS; "$@"; say "  … $(( SECONDS - t0 )) s"; }

[ -x "$BIN" ] || { say "building $BIN"; cargo build --release -p lingbridge-trainer; }
[ -f models/base/model.safetensors ] || make base-model
# The training records and the held-out articles come from the from-scratch recipe's data step.
if [ ! -s artifacts/models/data/xquad-r.train.jsonl ] || [ ! -s artifacts/models/xquad-r-heldout/en.json ]; then
  DATA_ONLY=1 bash models/make-models.sh
fi

# The training records again, each with the one sentence of its own article and language that the base model
# ranks highest for the question, the answer left out (the same split and flags as make-models.sh's data step).
mined_records() {
  local out=$WORK/data/xquad-r.train.mined.jsonl root
  if [ ! -s "$out" ]; then
    root=$(data_root xquad-r mlqa-r) || return 1
    mkdir -p "$WORK/data"
    say "mining one hard negative per training record with models/base"
    timed "$BIN" data convert lareqa --dataset "$root/xquad-r" --langs "$XQUAD_R_LANGS" --split train \
      --exclude-articles-of "$root/mlqa-r" --dev-fraction $HOLDOUT_FRACTION --seed $HOLDOUT_SEED --mine-negatives models/base --negatives 1 \
      --out "$out" >/dev/null
  fi
  echo "$out"
}

for variant in $MODELS; do
  run=$WORK/runs/$variant
  name=e5-small-$variant
  sampling=$variant
  train_extra=()
  case $variant in
    hybrid-a*) sampling=hybrid; train_extra+=(--alpha "${variant#hybrid-a}") ;;
    hybrid-b*) sampling=hybrid; train_extra+=(--batch-size "${variant#hybrid-b}") ;;
    hybrid-symmetric) sampling=hybrid; train_extra+=(--symmetric) ;;
    hybrid-mined) sampling=hybrid; records=$(mined_records); train_extra+=(--train "$records" --hard-negatives 1) ;;
  esac
  model=$WORK/export/$name
  extra_eval=()
  if [ "$sampling" = base ]; then
    # The starting point, and BM25 over its pieces (the same for every model here: they share the tokenizer).
    model=models/base
    extra_eval+=(--baseline bm25)
  elif [ ! -f "$run/done" ]; then
    extra=()
    [ -f "$run/last/state.json" ] && extra+=(--resume)
    say "training $variant ($DEVICE)"
    t0=$SECONDS
    "$BIN" train --config "$RECIPE" --sampling "$sampling" "${train_extra[@]}" --device "$DEVICE" --out "$run" "${extra[@]}"
    echo "$(( SECONDS - t0 ))" >> "$run/train-seconds"
    touch "$run/done"
  fi
  [ "$sampling" = base ] || [ -f "$model/model.safetensors" ] || "$BIN" export --checkpoint "$run/last" --out "$model"
  for set in $SETS; do
    out=$WORK/eval/$name/$set
    [ -s "$out/report.json" ] && continue
    flags=("${extra_eval[@]}")
    case $set in
      xquad-r-heldout) dataset=artifacts/models/xquad-r-heldout ;;
      # No BM25 row here: perturbations apply to the dense model's queries only.
      mlqa-r-perturbed) dataset=mlqa-r; flags=(--perturb "$PERTURB" --seed 13) ;;
      xquad-r-heldout-perturbed) dataset=artifacts/models/xquad-r-heldout; flags=(--perturb "$PERTURB" --seed 13) ;;
      scifact) dataset=beir:beir-scifact ;;
      *) dataset=$set ;;
    esac
    say "eval $name on $set"
    timed "$BIN" eval --model "$model" --backend cpu --dataset "$dataset" "${flags[@]}" --out "$out" >/dev/null
  done
done
python3 models/tuned-tables.py "$WORK/eval" > "$WORK/tables.md"

# sampling:page id. Seed 1 for the rounding, fixed before any page file was scored. A committed page file is kept
# unless its export is newer (a rerun of the training).
PAGE=${PAGE-"hybrid:e5-small-hybrid x-x-mono:e5-small-mono"}
for pair in $PAGE; do
  sampling=${pair%%:*}
  id=${pair#*:}
  export_dir=$WORK/export/e5-small-$sampling
  out=models/$id.q4_0.gguf
  [ -s "$out" ] && [ "$out" -nt "$export_dir/model.safetensors" ] && continue
  mkdir -p "$WORK/page"
  untrimmed=$WORK/page/$id.untrimmed.q4_0.gguf
  say "page file $out"
  "$BIN" quantize --model "$export_dir" --scheme q4_0 --pure --stochastic-rounding 1 --out "$untrimmed" >/dev/null
  LINGBRIDGE_BIN=$BIN bash scripts/page-model.sh "$out" "$untrimmed" >/dev/null
done
say "done: models under $WORK/export/, reports and heatmaps under $WORK/eval/, tables in $WORK/tables.md"

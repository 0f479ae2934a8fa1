#!/usr/bin/env bash
# Builds the page's wasm package into www/pkg: wasm-pack (release), then binaryen 132's wasm-opt from npm
# (Debian's binaryen 108 miscompiles wasm-bindgen output, and wasm-pack's own would be downloaded).
#
# Two builds of the same engine, one JavaScript glue: lingbridge_bg.wasm (SIMD128, every browser with wasm SIMD)
# and lingbridge_relaxed_bg.wasm (+ relaxed SIMD: the matrix kernel's multiply-adds fused, src/encode/cpu/dense.rs).
# A module that uses relaxed SIMD does not even validate where it is missing, so the page picks one at run time
# (www/wasm-build.js). The relaxed build has its own target folder: different flags would rebuild every crate.
# Prints each .wasm size raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."
FEATURES=(--enable-simd --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals)

optimise() { # wasm-opt FILE [extra features…]
  local wasm=$1; shift
  local before after gz
  before=$(stat -c %s "$wasm")
  node_modules/.bin/wasm-opt -O3 "${FEATURES[@]}" "$@" "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  after=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  printf '[wasm] %s: %s bytes before wasm-opt, %s after, %s gzipped\n' "$wasm" "$before" "$after" "$gz"
}

wasm-pack --log-level warn build --release --target web --out-dir www/pkg --no-typescript --no-pack
optimise www/pkg/lingbridge_bg.wasm

relaxed=target/wasm-relaxed/pkg
CARGO_TARGET_DIR=target/wasm-relaxed \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" \
  wasm-pack --log-level warn build --release --target web --out-dir "$PWD/$relaxed" --no-typescript --no-pack
# One glue for both: it must not differ (it names the module's imports and exports, which the flags leave alone).
if ! cmp -s "$relaxed/lingbridge.js" www/pkg/lingbridge.js; then
  echo "build-wasm: the relaxed-SIMD build's JavaScript glue differs from the SIMD128 build's" >&2
  exit 1
fi
cp "$relaxed/lingbridge_bg.wasm" www/pkg/lingbridge_relaxed_bg.wasm
optimise www/pkg/lingbridge_relaxed_bg.wasm --enable-relaxed-simd

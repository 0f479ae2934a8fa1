#!/usr/bin/env bash
# Builds the page's wasm package into www/pkg: wasm-pack (release), then binaryen 132's wasm-opt from npm
# (Debian's binaryen 108 miscompiles wasm-bindgen output, and wasm-pack's own would be downloaded).
# Prints the .wasm size raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm-pack --log-level warn build --release --target web --out-dir www/pkg --no-typescript --no-pack
wasm=www/pkg/lingbridge_bg.wasm
before=$(stat -c %s "$wasm")
node_modules/.bin/wasm-opt -O3 \
  --enable-simd --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
  "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
after=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
printf '[wasm] %s: %s bytes before wasm-opt, %s after, %s gzipped\n' "$wasm" "$before" "$after" "$gz"

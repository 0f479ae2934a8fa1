#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and is missing; a no-op (about a second) when all is there.
# Only the package registries are used: Debian's apt, crates.io (cargo install), the npm registry, and
# rustup's own channel for the wasm32 standard library.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
WASM_PACK_VERSION=0.15.1
# Noto fonts so screenshots of the page show every script the tests type (Devanagari, Thai, CJK …).
APT_PACKAGES=(chromium chromium-driver mesa-vulkan-drivers libvulkan1 fonts-noto-core fonts-noto-cjk)

say() { printf '[setup] %s\n' "$*"; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt: installing ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "cargo: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes)"
  # Not --locked: one locked dependency version is missing from the registry mirror here.
  cargo install -q wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
  say "cargo: installing wasm-pack $WASM_PACK_VERSION (about 2 minutes)"
  cargo install -q wasm-pack --version "=$WASM_PACK_VERSION" --locked --force
fi

# npm ci when node_modules is absent or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm: installing binaryen and playwright-core from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi

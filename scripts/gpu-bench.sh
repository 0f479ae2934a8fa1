#!/usr/bin/env bash
# The GPU figures of issue 15 in one go, on a machine with a GPU (NVIDIA: Vulkan through its driver), building
# nothing: our WGSL matmul in GFLOP/s and as a share of the card's fp32 peak (f32, q8_0, q4_0; square sizes and
# multilingual-e5-small's layer shapes: hidden 384, FFN 1536), and the whole encoder on multilingual-e5-small, GPU
# vs CPU in one process. Writes one JSON.
#
#   bash scripts/gpu-bench.sh [OUT.json]      # default artifacts/gpu-bench.json
#
# Needs a release binary (LINGBRIDGE_BIN, default target/release/lingbridge: `cargo build --release -p
# lingbridge-trainer` beforehand, or carried to the machine) and the committed page model. PEAK_GFLOPS is the
# card's fp32 peak (default 66,900: H200 / H100 SXM FP32 non-tensor). Goals: ≥ 50 % of peak on large matmuls,
# ≥ 1,000 passages/s. On a machine without a GPU the `gpu` rows fall back to what wgpu finds (lavapipe, slow)
# and say so; nothing fails for it. SIZES, TOKENS, BATCH, SEQ shrink the run (a smoke test on lavapipe:
# SIZES=128 TOKENS=64 BATCH=4 SEQ=16).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-artifacts/gpu-bench.json}
BIN=${LINGBRIDGE_BIN:-target/release/lingbridge}
MODEL=${MODEL:-models/e5-small-hybrid.q4_0.gguf}
PEAK=${PEAK_GFLOPS:-66900}
[[ -x $BIN ]] || { echo "gpu-bench: $BIN not found; build it first (cargo build --release -p lingbridge-trainer)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$OUT")"

device=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi")
echo "[gpu-bench] device: $device"
echo "[gpu-bench] matmul (peak $PEAK GFLOP/s)"
"$BIN" bench matmul --peak-gflops "$PEAK" --sizes "${SIZES:-256,512,1024,2048,4096}" --tokens "${TOKENS:-2048}" \
  --hidden 384 --intermediate 1536 --seconds "${SECONDS_EACH:-1}" --json "$TMP/matmul.json"
# Passages of ~64 tokens in batches of 256: the page's indexing shape, large enough to fill a big GPU.
echo "[gpu-bench] encode $MODEL"
"$BIN" bench encode --model "$MODEL" --backends cpu,gpu --batch "${BATCH:-256}" --seq "${SEQ:-64}" --seconds 5 --json "$TMP/encode.json"

python3 - "$TMP" "$OUT" "$device" <<'EOF'
import json, sys, datetime
tmp, out, device = sys.argv[1:4]
result = {
    "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "device": device,
    "matmul": json.load(open(f"{tmp}/matmul.json")),
    "encode": json.load(open(f"{tmp}/encode.json")),
}
json.dump(result, open(out, "w"), indent=2)
print(f"[gpu-bench] wrote {out}")
EOF

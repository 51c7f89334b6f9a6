# Two commands do everything on a fresh machine (only Python and git needed):
#   make run   - serve the demo data from a persistent embedded store on http://127.0.0.1:8080
#   make test  - run the whole test suite
# Each creates .venv and installs the pinned dependencies (requirements.lock) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
STORE ?= oxigraph:./var/store

.PHONY: run test lint bench bench-quick bench-large wheel clean venv browser

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/alm-ld serve --demo --host $(HOST) --port $(PORT) --store $(STORE)

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Headless Chromium for tests/browser (Debian packages). Installed only when missing and running
# as root; never fails the build - without Chromium the browser tests skip and say why.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium + chromium-driver for the browser tests"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1)) || \
	  echo "could not install chromium; browser tests will be skipped"; \
	else echo "chromium not installed (apt-get install chromium chromium-driver as root); browser tests will be skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check alm_ld tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --quick

# 100k -> 300k -> 1M works in one growing on-disk store (not part of `make bench`; 100k -> 1M
# with --steps '' took 57-70 min on this 2-core machine, ~31 GB of disk: docs/performance.md).
# BENCH_LARGE_ARGS="--works 200000 --small 100000 --steps ''" for that smaller run.
bench-large: $(STAMP)
	$(BIN)/python -m benchmarks.large $(BENCH_LARGE_ARGS)

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) var dist build .pytest_cache

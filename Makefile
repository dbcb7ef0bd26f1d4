# Two commands do all the set-up on a fresh machine:
#   make run   – install, build the index if missing or stale, start the web chat
#   make test  – install, build the index, run the whole test suite (incl. the eval gate)
#   make cluster – team deployment on this machine: Chroma server + 2 web workers (docs/deployment.md)
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test test-fast install index chat cluster eval eval-full bench bench-startup lint browser clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first: the CPU build on this machine's disk; anything later that needs torch finds it.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/assistant index build

run: index
	$(BIN)/assistant serve

chat: index
	$(BIN)/assistant chat

# The local index seeds the server's on first start (no re-embedding); Ctrl-C stops everything.
WORKERS ?= 2
cluster: index
	$(BIN)/assistant cluster --workers $(WORKERS)

# Debian's Chromium for the browser test (never `playwright install`, which downloads).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: the browser test will be skipped"; fi

test: index browser
	$(BIN)/ruff check assistant tests benchmarks
	$(BIN)/ruff format --check assistant tests benchmarks
	$(BIN)/pytest -q
	$(BIN)/assistant eval evals/smoke.jsonl --out evals/runs/smoke --check

# The plumbing tests on fakes only (no model, no index needed): seconds, for every edit.
test-fast: install
	$(BIN)/pytest -q -m "not model"

eval-full: index
	$(BIN)/assistant eval evals/full.jsonl --out evals/runs/full-default --rails evals/rails/test.jsonl
	$(BIN)/assistant eval evals/full.jsonl --out evals/runs/full-naive --profile naive \
	  --compare evals/runs/full-default

bench-startup: index
	$(BIN)/python benchmarks/bench_startup.py

bench: index
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/load_web.py

lint: install
	$(BIN)/ruff check assistant tests benchmarks
	$(BIN)/ruff format --check assistant tests benchmarks

clean:
	rm -rf index/chroma.sqlite3 index/*-*-*-*-* index/rails-*.npy index/rail-model.* index/views-* evals/runs test-artifacts

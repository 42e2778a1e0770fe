# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_DATA := data/demo
DEMO_RUN := runs/dedupe-2021

.PHONY: demo test test-quick lint typecheck bench bench-spark bench-jobs bench-public clean

# The stamps make the install step re-run only when pyproject.toml changes.
$(VENV)/.installed-base: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,spark]"
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/nser-link generate --households 20000 --seed 1 --out $(DEMO_DATA)
	$(BIN)/nser-link dedupe $(DEMO_DATA)/wave_2021.csv --out $(DEMO_RUN) --truth $(DEMO_DATA)/truth.csv
	$(BIN)/nser-link report $(DEMO_RUN) --out $(DEMO_RUN)/report.html --truth $(DEMO_DATA)/truth.csv

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n 2

# The suite without Spark (no Java needed): DuckDB, the CLI and the pure functions.
test-quick: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n 2 -m "not spark"

# Benchmarks against the strong generic Splink peer, plain Splink and recordlinkage, then the
# public FEBRL ones (BENCHMARKS.md); ARGS=--quick for a smoke run, ARGS=--skip-public without FEBRL.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py $(ARGS)

# FEBRL3 (dedupe) and FEBRL4 (link) without soc_sec_id: nser-link through its CLI against
# Splink's own FEBRL settings and recordlinkage's ECM (BENCHMARKS.md, "Public benchmarks").
bench-public: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/public.py $(ARGS)

# DuckDB against Spark local[2] at 20k and 200k rows (BENCHMARKS.md, Spark section).
bench-spark: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py --spark $(ARGS)

# Link-waves and match-partner at 20,000 households, with their accuracy (BENCHMARKS.md).
bench-jobs: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/jobs.py $(ARGS)

# ruff on everything; mypy on the engine seam and the job bodies ([tool.mypy] files).
lint: $(VENV)/.installed-dev typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data runs .pytest_cache

# Renkei — the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080

.PHONY: run test bench bench-scale lint format system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## make run: demo console on http://127.0.0.1:$(PORT) (SQLite, jobs in-process, sandboxes)
run: $(VENV)/.runtime
	PORT=$(PORT) RENKEI_ENV=demo $(BIN)/python run.py

## make test: the whole suite against the local PostgreSQL and Redis, Chromium included
test: $(VENV)/.dev system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: the benchmarks, then the scale benchmark (SCALE_ARGS, e.g. "--deals 10000")
bench: $(VENV)/.dev
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench scale $(SCALE_ARGS)

## make bench-scale: only the scale benchmark (pages at 100,000 deals next to stock FAB)
bench-scale: $(VENV)/.dev
	$(BIN)/python -m tests.bench scale $(SCALE_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

## Debian packages the browser and PDF tests need (installs them when run as root)
system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) instance

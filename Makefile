# Two entry points: `make demo` (the main job) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint types pytest venv clean docs bench bench-load oracle azurite

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

oracle: tools/kusto-oracle/node_modules/.installed

tools/kusto-oracle/node_modules/.installed: tools/kusto-oracle/package.json
	cd tools/kusto-oracle && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Azurite, the Azure Storage emulator, for the storage connector's tests (tests/connectors).
azurite: tools/azurite/node_modules/.installed

tools/azurite/node_modules/.installed: tools/azurite/package.json tools/azurite/package-lock.json
	cd tools/azurite && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: venv
	$(BIN)/mypy

pytest: venv oracle azurite
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

test: lint types pytest

docs: venv
	$(BIN)/python -m kustodian.kql.functions.support_doc > docs/kql-support.md

demo: venv
	$(BIN)/python -m kustodian.cli.demo

bench: venv
	$(BIN)/python benchmarks/run.py

bench-load: venv
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) tools/kusto-oracle/node_modules tools/azurite/node_modules

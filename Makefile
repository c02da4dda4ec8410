# Two entry points: `make demo` (the main job) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint types pytest venv clean docs bench bench-load oracle azurite openapi ui chromium

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

# The web UI (ui/): npm ci, then a Vite build into the Python package (src/kustodian/server/static),
# only when its sources changed. The wheel carries the build: installing it needs no Node.
UI_SOURCES := ui/index.html ui/vite.config.mjs $(shell find ui/src -type f 2>/dev/null)

UI_STAMP := src/kustodian/server/static/.build-stamp

ui: $(UI_STAMP)

ui/node_modules/.installed: ui/package.json ui/package-lock.json
	cd ui && npm ci --prefer-offline --no-audit --no-fund --loglevel=error
	touch $@

$(UI_STAMP): ui/node_modules/.installed $(UI_SOURCES)
	cd ui && node node_modules/vite/bin/vite.js build --logLevel warn
	touch $@

# The UI tests drive Debian's chromium (never a browser downloaded by `playwright install`).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	command -v chromium >/dev/null 2>&1 || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: venv
	$(BIN)/mypy

pytest: venv oracle azurite ui chromium
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

test: lint types pytest

docs: venv
	$(BIN)/python -m kustodian.kql.functions.support_doc > docs/kql-support.md

# The OpenAPI snapshot tests/server/test_openapi.py compares with: regenerate after an API change.
openapi: venv
	$(BIN)/python -c "from kustodian.server.openapi import snapshot_text; print(snapshot_text(), end='')" > tests/server/snapshots/openapi.json.new
	mv tests/server/snapshots/openapi.json.new tests/server/snapshots/openapi.json

demo: venv ui
	$(BIN)/python -m kustodian.cli.demo

bench: venv
	$(BIN)/python benchmarks/run.py

bench-load: venv
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) tools/kusto-oracle/node_modules tools/azurite/node_modules ui/node_modules \
		$(UI_STAMP) src/kustodian/server/static

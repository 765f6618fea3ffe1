# Jisr — `make run` to try it, `make test` to check it.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium

.PHONY: install run test test-pg e2e lint format openapi frontend chromium bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend: frontend/node_modules/.installed
	cd frontend && npm run build

run: install frontend  ## install, migrate, load demo data once, serve at http://127.0.0.1:8000
	$(BIN)/jisr migrate
	$(BIN)/jisr seed --demo
	$(BIN)/jisr serve

test: install  ## the whole suite on SQLite
	$(BIN)/pytest

test-pg: install  ## the same suite on PostgreSQL (creates and drops a database of its own)
	JISR_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)

e2e: install frontend chromium  ## browser tests of the built SPA in Debian's Chromium
	JISR_E2E=1 $(BIN)/pytest -m e2e tests/e2e

lint: install
	$(BIN)/ruff check backend tests benchmarks
	$(BIN)/ruff format --check backend tests benchmarks
	$(BIN)/mypy backend

format: install
	$(BIN)/ruff check --fix backend tests benchmarks
	$(BIN)/ruff format backend tests benchmarks

openapi: install  ## write openapi/openapi.json from the app
	$(BIN)/jisr openapi

bench: install
	$(BIN)/python benchmarks/api_read.py

clean:
	rm -rf $(VENV) var frontend/node_modules frontend/dist

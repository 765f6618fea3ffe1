# Jisr — `make run` to try it, `make test` to check it.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium

.PHONY: install run test test-pg e2e lint format openapi frontend chromium bench dist check-dist clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend: frontend/node_modules/.installed  ## build the web app into frontend/dist (served by `jisr serve`)
	cd frontend && npm run build && npm run --silent size

run: install frontend  ## install, migrate, load demo data once, serve at http://127.0.0.1:8000
	$(BIN)/jisr migrate
	$(BIN)/jisr seed --demo
	$(BIN)/jisr serve

test: install frontend chromium  ## the whole suite on SQLite: Vitest, then pytest (API and browser tests)
	cd frontend && npm test
	$(BIN)/pytest

test-pg: install  ## the same suite on PostgreSQL (creates and drops a database of its own); browser tests run in `make test`
	JISR_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m "not e2e"

chromium:  ## Debian's Chromium for the browser tests (Playwright cannot download its own here)
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)

e2e: install frontend chromium  ## only the browser tests of the built SPA in Debian's Chromium
	$(BIN)/pytest -m e2e tests/e2e

lint: install frontend/node_modules/.installed  ## ruff and mypy (Python), Biome (TypeScript: lint and format)
	$(BIN)/ruff check backend tests benchmarks
	$(BIN)/ruff format --check backend tests benchmarks
	$(BIN)/mypy backend
	cd frontend && npm run --silent lint

format: install frontend/node_modules/.installed
	$(BIN)/ruff check --fix backend tests benchmarks
	$(BIN)/ruff format backend tests benchmarks
	cd frontend && npm run --silent format

openapi: install  ## write openapi/openapi.json from the app
	$(BIN)/jisr openapi

dist: install frontend  ## dist/jisr-<version>-py3-none-any.whl: the package with its migrations and the built web app
	rm -rf build backend/jisr/static dist/jisr-*.whl
	cp -r frontend/dist backend/jisr/static
	$(BIN)/pip wheel -q --no-deps -w dist . ; status=$$?; rm -rf build backend/jisr/static; exit $$status

check-dist: dist  ## install the wheel in a fresh virtual environment outside the repository and start it
	$(BIN)/python .ci/check_wheel.py dist/jisr-*.whl

# By hand, not in CI: tests/test_schemathesis.py with more cases, drawn at random, for each seed, on SQLite then
# PostgreSQL. Sizes are modest by default (a shared machine); e.g. `make fuzz FUZZ_SEEDS="1 2 3 4" FUZZ_EXAMPLES=100`.
FUZZ_SEEDS ?= 1 2 3
FUZZ_EXAMPLES ?= 30
FUZZ_SCENARIOS ?= 60
FUZZ_STEPS ?= 10
fuzz: install  ## schemathesis, several seeds, more cases, SQLite and PostgreSQL (minutes; see docs/adr/0041-tests-against-real-things.md)
	@set -e; for db in sqlite postgresql; do for seed in $(FUZZ_SEEDS); do \
	  echo "== fuzz: $$db, seed $$seed, $(FUZZ_EXAMPLES) random cases per operation, $(FUZZ_SCENARIOS) scenarios of $(FUZZ_STEPS) steps"; \
	  start=$$(date +%s); \
	  if [ $$db = postgresql ]; then url=$(PG_TEST_URL); else url=; fi; \
	  JISR_TEST_DATABASE_URL=$$url JISR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) JISR_FUZZ_SCENARIOS=$(FUZZ_SCENARIOS) \
	    JISR_FUZZ_STEPS=$(FUZZ_STEPS) $(BIN)/pytest tests/test_schemathesis.py -q -p no:cacheprovider \
	    --hypothesis-seed=$$seed $(FUZZ_ARGS) || status=1; \
	  echo "== fuzz: $$db, seed $$seed: $$(( $$(date +%s) - start )) s"; \
	done; done; exit $${status:-0}

bench: install
	$(BIN)/python benchmarks/api_read.py

clean:
	rm -rf $(VENV) var frontend/node_modules frontend/dist build dist

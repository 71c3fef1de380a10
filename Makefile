# factcheck: `make run` runs the product, `make test` runs the tests. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup run test lint format bench browser clean

help: ## this list
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --requirement requirements.lock --requirement requirements-dev.lock
	touch $(STAMP)

setup: $(STAMP) ## create the virtualenv and install the pinned dependencies

run: setup ## migrate, load the demo, start web + worker, print the URL and logins
	$(BIN)/python bin/run.py

browser: ## install Debian's Chromium for the browser tests (if missing)
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

test: setup browser ## the whole test suite (PostgreSQL, Celery worker, Chromium)
	$(BIN)/python bin/checkmigrations.py
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

BENCHMARKS := bench/ingest.py bench/public.py bench/export.py

bench: setup ## run the benchmarks in bench/ (see bench/README.md; give them their own DATABASE_URL)
	@for script in $(BENCHMARKS); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## remove the virtualenv and local data (the embedded database!)
	rm -rf $(VENV) .data

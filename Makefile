# optrading: `make` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP_RUN := $(VENV)/.installed-runtime
STAMP_DEV := $(VENV)/.installed-dev
# pytest-xdist workers for make test: each has a database (optrading_test_gwN) and a Redis db (15 - N) of its own.
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help run test chaos live lint format migrate bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_RUN): requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(STAMP_DEV): requirements-dev.txt requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN) ## Install, set up and start the whole platform on http://127.0.0.1:8000 (Ctrl-C stops it)
	$(PY) manage.py runplatform --setup

test: $(STAMP_DEV) ## Run the test suite against real PostgreSQL and Redis on TEST_WORKERS processes (the fault tests are `make chaos`)
	$(PY) -m pytest -m "not chaos and not live" -n $(TEST_WORKERS) $(PYTEST_ARGS)

chaos: $(STAMP_DEV) ## Fault tests: kill and restart workers, Redis and PostgreSQL of their own (figures: var/chaos/)
	$(PY) -m pytest -m chaos tests/chaos $(PYTEST_ARGS)

live: $(STAMP_DEV) ## Read-only checks against the real Kite API (needs KITE_API_KEY, KITE_API_SECRET, KITE_ACCESS_TOKEN)
	$(PY) -m pytest -m live tests/brokers/kite/test_live.py $(PYTEST_ARGS)

lint: $(STAMP_DEV) ## ruff (lint + format check), mypy and the import contract (the layers)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP_DEV) ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(STAMP_RUN) ## Apply database migrations
	$(PY) manage.py migrate

bench: $(STAMP_DEV) ## Run every benchmark (needs PostgreSQL, Redis and wrk; JSON + table under benchmarks/results/)
	$(PIP) install --quiet -r benchmarks/requirements.txt
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && { apt-get update -qq && apt-get install -y -qq wrk; }; } || \
		{ echo "make bench needs wrk: sudo apt-get install wrk"; exit 2; }
	$(PY) benchmarks/run.py $(if $(ONLY),--only $(ONLY))

clean: ## Remove the virtualenv and local state (var/)
	rm -rf $(VENV) var

# podcastcme: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres test-cluster test-browser lint bench setup clean

# The virtual environment, rebuilt when the dependencies change. It holds the dependencies only:
# the apps run from this checkout (pyproject.toml installs no package of its own).
$(VENV)/.installed: pyproject.toml
	@scripts/ensure-system-packages.sh base
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet '.[test,prod]'
	@touch $@

setup: $(VENV)/.installed

run: setup
	@scripts/ensure-system-packages.sh run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/python manage.py seed_demo
	@SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/python manage.py demo_info
	SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: setup
	@scripts/ensure-system-packages.sh test
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-cluster
	$(MAKE) --no-print-directory test-browser

test-sqlite: setup
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

test-postgres: setup
	@echo "== tests on a throwaway PostgreSQL cluster =="
	scripts/with-postgres.sh $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

# PostgreSQL, Redis, an S3 server, two gunicorn nodes behind nginx, the worker and the ingester
# (docs/cluster-test.md). Only here: the runs above deselect tests marked "cluster".
test-cluster: setup
	@echo "== the cluster test (PostgreSQL, Redis, S3, two nodes behind nginx) =="
	PODCASTCME_CLUSTER_TEST=1 scripts/with-postgres.sh $(BIN)/python -m pytest -m cluster tests/cluster $(PYTEST_ARGS)

test-browser: setup
	@echo "== browser tests (Playwright + Debian chromium) =="
	env -u DATABASE_URL $(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

bench: setup
	@scripts/ensure-system-packages.sh test
	scripts/with-postgres.sh $(BIN)/python -m bench

clean:
	rm -rf $(VENV) staticfiles test-artifacts

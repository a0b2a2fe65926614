# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# The test suite runs against real services; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/counterclaim
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test install install-dev lint check clean bench chaos

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: migrate, load the seed story with demo users, start the web app and the worker.
run: install
	$(PY) scripts/run.py

## make test: lint, checks, then the whole suite against PostgreSQL, Redis and Chromium.
test: install-dev
	scripts/ensure-test-services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py check --fail-level WARNING
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest --create-db $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## make bench: the guard, re-check and public-page benchmarks, every ratio in one table (BENCH_ARGS=--quick: a smoke run).
bench: install-dev
	$(PY) bench/run.py $(BENCH_ARGS)

## make chaos: kill, restart and roll the real processes while 500 sources are checked; exits 1 on a missed target.
## It restarts the machine's PostgreSQL and Redis: run it alone. Not part of `make test`.
chaos: install-dev
	$(PY) tools/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache

# make run   - serve the app on SQLite at http://$(HOST):$(PORT), first admin printed once
# make test  - run the whole test suite in parallel (PostgreSQL and Redis used when they answer)
# make lint  - ruff (lint and format) and mypy (types of app/)
# make lock  - refresh requirements/*.lock from pyproject.toml (exact versions and hashes)
# make bench - measure authenticated vs unauthenticated requests on gunicorn (needs wrk)
# make bench-scale - cost at 10k/100k/1M keys on PostgreSQL + Redis (SCALE_MAX=10000 for a quick look)

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# One worker per core (pytest-xdist), each taking whole modules, so a module's tests share
# its module-scoped servers (the browser tests' gunicorn) as in a serial run.
PYTEST_WORKERS ?= -n auto --dist loadscope
FLASK = $(VENV)/bin/flask --app wsgi
PIP = $(VENV)/bin/python -m pip

# What is installed: the exact versions and hashes in the lock files, then the project
# itself without its dependencies (they are all in the lock).
APP_LOCK = requirements/app.lock
TEST_LOCK = requirements/test.lock
UV_VERSION ?= 0.13.9
UV = $(VENV)/bin/uv
LOCK_ARGS = --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock'

.PHONY: run test lint format bench bench-scale lock screenshots clean translations-extract translations-update translations-compile

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(APP_LOCK) pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r $(APP_LOCK)
	$(PIP) install --quiet --no-deps -e .
	touch $@

# The test lock holds the app lock's versions and the test tools: it installs both.
$(VENV)/.installed-test: $(TEST_LOCK) $(APP_LOCK) pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r $(TEST_LOCK)
	$(PIP) install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

# The test lock first (everything), then the app lock held to the same versions, so the
# tests run what production installs. Pins already in a lock are kept where pyproject.toml
# still allows them; `make lock LOCK_UPGRADE=--upgrade` moves every pin to the newest.
lock: | $(VENV)/bin/python
	$(PIP) install --quiet "uv==$(UV_VERSION)"
	mkdir -p requirements
	$(UV) pip compile pyproject.toml --extra postgres --extra redis --extra test \
		$(LOCK_ARGS) $(LOCK_UPGRADE) -o $(TEST_LOCK)
	$(UV) pip compile pyproject.toml --extra postgres --extra redis --constraint $(TEST_LOCK) \
		$(LOCK_ARGS) $(LOCK_UPGRADE) -o $(APP_LOCK)

# Served as in production (gunicorn.conf.py: paths without query strings in the access log,
# keys redacted from every log), not by `flask run`, whose request log shows query strings.
# Threads, so a browser's idle preconnected sockets cannot hold the only worker; one worker,
# as in-memory rate limits need.
run: $(VENV)/.installed
	@echo 'Warning: make run must not face the internet without the proxy in deploy/ (README, Deployment): it does not bound slow clients.'
	$(FLASK) db upgrade
	$(FLASK) users bootstrap
	env GUNICORN_THREADS=8 $(VENV)/bin/gunicorn wsgi:app --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers 1

test: $(VENV)/.installed-test
	$(VENV)/bin/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The console's screenshots in docs/screenshots, taken by the browser tests that check them.
screenshots: $(VENV)/.installed-test
	env SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(VENV)/bin/python -m pytest -q tests/browser

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)

SCALE_MAX ?= 1000000
bench-scale: $(VENV)/.installed-test
	$(VENV)/bin/python bench/scale/run.py --max $(SCALE_MAX) $(BENCH_ARGS)

# Translations (app/translations): extract the marked strings, merge them into each
# language's catalog, compile the catalogs the app reads (committed, so a fresh clone runs).
BABEL = $(VENV)/bin/pybabel
translations-extract: $(VENV)/.installed
	$(BABEL) extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project "Chameleon API keys" -o app/translations/messages.pot .

translations-update: translations-extract
	$(BABEL) update -i app/translations/messages.pot -d app/translations --ignore-obsolete

translations-compile: $(VENV)/.installed
	$(BABEL) compile -d app/translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

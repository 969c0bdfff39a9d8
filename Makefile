# make run   - serve the app on SQLite at http://$(HOST):$(PORT), first admin printed once
# make test  - run the whole test suite (set TEST_DATABASE_URL / TEST_REDIS_URL for more)
# make lint  - ruff (lint and format) and mypy (types of app/)
# make bench - measure authenticated vs unauthenticated requests on gunicorn (needs wrk)

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
FLASK = $(VENV)/bin/flask --app wsgi

.PHONY: run test lint format bench screenshots clean translations-extract translations-update translations-compile

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e '.[postgres,redis]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e '.[postgres,redis,test]'
	touch $(VENV)/.installed $@

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
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

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

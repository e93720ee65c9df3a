# The two commands a new machine needs (only Python 3.11+ and pip):
#   make run    set up .venv, migrate the SQLite database, load the demo course, serve :5000
#   make test   set up .venv with dev tools, lint, run the suite on SQLite, then on PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres lint typecheck install install-dev i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/quizsvc serve --host $(HOST) --port $(PORT) --access-log -

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

# SQLite runs everything; PostgreSQL re-runs every test that touches the database.
test-sqlite: install-dev
	$(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

test-postgres: install-dev
	QUIZSVC_TEST_DB=postgresql $(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

test: lint typecheck test-sqlite test-postgres

i18n: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output -o /tmp/quizsvc-messages.pot .
	$(BIN)/pybabel update -i /tmp/quizsvc-messages.pot -d quizsvc/translations -l ko --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache

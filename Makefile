# The two commands a new developer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AXE_VERSION := 4.11.0
AXE_DIR := var/axe

.PHONY: run test lint install install-dev catalogs extract-messages axe bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-install-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(VENV)/.stamp-install $@

install: $(VENV)/.stamp-install
install-dev: $(VENV)/.stamp-install-dev

# Compiled .mo files are build output (git-ignored); the .po catalogues are the source.
catalogs: | $(BIN)/python
	$(BIN)/pybabel compile --statistics -d app/locale -D messages

# Refresh the catalogues after adding or changing user-visible strings.
extract-messages: install-dev
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs='.* node_modules var' --no-location --sort-output -o app/locale/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i app/locale/messages.pot -d app/locale -D messages

# axe-core for the browser accessibility crawl, pinned, installed into a git-ignored folder.
axe:
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -f $(AXE_DIR)/node_modules/axe-core/axe.min.js ]; then \
	    mkdir -p $(AXE_DIR) && npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@$(AXE_VERSION); \
	  fi; \
	else echo "npm not found: the accessibility crawl will be skipped"; fi

run: install catalogs
	$(BIN)/klasteris migrate
	$(BIN)/klasteris seed-organisations
	$(BIN)/klasteris content sync
	@echo ""
	@echo "Klasteris is starting on http://127.0.0.1:8000"
	@echo "Create an administrator in another terminal with:  $(BIN)/klasteris create-admin --email you@example.org"
	@echo ""
	$(BIN)/uvicorn app.main:app_factory --factory --host 127.0.0.1 --port 8000

# Tests run in one worker process per CPU core (pytest-xdist); each worker has its own database.
test: install-dev catalogs axe lint
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/ruff format --check app tests bench migrations

bench: install-dev catalogs
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var/axe .pytest_cache

# The two commands of the README. Both build .venv on first use, so a fresh machine
# with Python 3.11+ and make is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/linksplus demo $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/client_list.py
	$(BIN)/python bench/webhook_ingest.py
	$(BIN)/python bench/app_links_page.py
	$(BIN)/python bench/payments_report.py
	$(BIN)/python bench/bulk_create.py
	$(BIN)/python bench/reconcile.py
	$(BIN)/python bench/upload_bombs.py
	$(BIN)/python bench/browser_pages.py
	$(BIN)/python bench/instance_capacity.py --period 5

# Extract every translatable string into the template (.pot) and merge it into each
# language's catalog; then translate the new (empty or fuzzy) entries of the .po files.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location \
		--sort-output --project=linksplus -o linksplus/locale/messages.pot .
	$(BIN)/pybabel update -i linksplus/locale/messages.pot -d linksplus/locale -D messages \
		--ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

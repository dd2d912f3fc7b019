# Two entry points for a fresh machine: `make demo` answers the sample question on the seeds,
# `make test` runs the linters and the whole test suite. Both create .venv and install qa first.
VENV := .venv
BIN := $(VENV)/bin
# No network at run time: models load from disk only.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test install

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $@

demo: install
	$(BIN)/qa ask "When did Lavrov plan to visit Japan?"

test: install
	$(BIN)/ruff check qa embeddings tui tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest
	$(BIN)/pytest -m ray

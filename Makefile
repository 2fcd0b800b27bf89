# ticketflow: every target sets itself up (a virtual environment in .venv) on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-claude test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## run every ticket of the sample workspace through the pipeline
	$(BIN)/ticketflow demo

demo-claude: $(STAMP)  ## the demo through the real Anthropic SDK against a local fake Anthropic API
	$(BIN)/python -m ticketflow.testing.claude_demo

test: $(STAMP)  ## the whole suite (also on PostgreSQL when TICKETFLOW_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff, formatting, mypy strict, import contracts
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)  ## print speed figures (no assertions)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) examples/store/var .mypy_cache .ruff_cache .pytest_cache

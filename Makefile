# Each target sets itself up: a .venv with sparsekit and what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-quick test-gpu test-mpi clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# compat: a path entry, so PYTHONPATH (asv's ASV_PYTHONPATH, scripts/ab_commits.py) can put
	# another checkout of sparsekit first; the default finder would always win
	$(BIN)/python -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

## the main job on the embedded default: plan, sparse solve, dense solve beside it
run: $(STAMP)
	$(BIN)/sparsekit demo

## the test suite (ruff, the size limits, then pytest with doctests)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python scripts/check_sizes.py
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache asv_benchmarks/html asv_benchmarks/env

# fragments owned by the backend and benchmark work (make bench, test-gpu, ...)
-include mk/*.mk

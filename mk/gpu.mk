# GPU backend (issue 9) and its figures (issue 10).
# On a machine with the project's .venv:   make test-gpu / make bench-gpu
# On a GPU machine without it (no network): make test-gpu GPU_PYTHON=python3
#   with PYTHONPATH holding the repository root and the carried wheels (docs/gpu.md).
GPU_PYTHON ?=
GPU_OUT    ?= results/gpu_figures
_GPU_PY    := $(if $(GPU_PYTHON),$(GPU_PYTHON),$(BIN)/python)
_GPU_DEP   := $(if $(GPU_PYTHON),,$(STAMP))

.PHONY: test-gpu bench-gpu bench-gpu-smoke

## GPU backend tests: numpy-substituted bodies everywhere, cupy bodies (marker gpu) where a GPU is
test-gpu: $(_GPU_DEP)
	$(_GPU_PY) -m pytest -ra -p no:cacheprovider tests/test_gpu_backend.py

## issue 10's figures on the GPU, one run: $(GPU_OUT).json and $(GPU_OUT).md
bench-gpu: $(_GPU_DEP)
	$(_GPU_PY) scripts/gpu_bench.py --out $(GPU_OUT)

## the same script, tiny, with numpy substituted for cupy (no GPU needed)
bench-gpu-smoke: $(_GPU_DEP)
	$(_GPU_PY) scripts/gpu_bench.py --cpu-smoke --out results/gpu_smoke

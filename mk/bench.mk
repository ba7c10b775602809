# asv benchmarks (issue 8).  Both run against the current .venv (the project's
# editable build and what is installed there), offline: see asv_benchmarks/asv.conf.json.
#   make bench                      full sizes, results kept in asv_benchmarks/results,
#                                   dashboard in asv_benchmarks/html, ratio table printed
#   make bench BENCH_ARGS='-b io'   only some benchmarks (any `asv run` options)
#   make bench-quick                asv check + one quick pass of every benchmark, nothing saved

ASV_ENV     = ASV_PYTHONPATH=$(CURDIR)
ASV         = cd asv_benchmarks && $(ASV_ENV) $(abspath $(BIN))/asv
ASV_QUICK   = cd asv_benchmarks && $(ASV_ENV) SPARSEKIT_BENCH_QUICK=1 $(abspath $(BIN))/asv
BENCH_ARGS ?=

bench: $(STAMP)
	$(ASV) machine --yes
	$(ASV) run --python=same --set-commit-hash=HEAD --show-stderr $(BENCH_ARGS) || \
	  echo "bench: some benchmarks failed (see above); publishing what was measured"
	$(ASV) publish
	$(BIN)/python scripts/asv_offline.py asv_benchmarks/html
	$(BIN)/python scripts/bench_table.py --markdown asv_benchmarks/results/bench_table.md
	@echo "dashboard: asv_benchmarks/html/index.html (serve it: cd asv_benchmarks && ../$(BIN)/asv preview)"

bench-quick: $(STAMP)
	$(ASV_QUICK) check --python=same
	$(ASV_QUICK) run --python=same --quick --dry-run --show-stderr $(BENCH_ARGS)

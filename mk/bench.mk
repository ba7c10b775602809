# asv benchmarks (issue 8).  Both run against the current .venv (the project's
# editable build and what is installed there), offline: see asv_benchmarks/asv.conf.json.
#   make bench                      full sizes, results kept in asv_benchmarks/results,
#                                   dashboard in asv_benchmarks/html, ratio table printed
#   make bench BENCH_ARGS='-b io'   only some benchmarks (any `asv run` options)
#   make bench-quick                asv check + one quick pass of every benchmark, nothing saved
#   make dashboard                  the quick pass for real: results kept, dashboard and the
#                                   comparison page (sparsekit.html) published; prints how to serve
#   make claims                     re-measure the README's headline ratios here (about 10 min),
#                                   beside the documented ones; flags moves over 30%
#
# Results accumulate: every `make bench` / `make dashboard` adds this commit's results to
# asv_benchmarks/results/<machine>/ (ignored by git, kept by `make clean`; `make clean-results`
# drops them), so the graphs show the history of every commit measured on this machine.
# To keep them across clones, copy that folder (or commit it on a branch of its own).

ASV_ENV     = ASV_PYTHONPATH=$(CURDIR)
ASV         = cd asv_benchmarks && $(ASV_ENV) $(abspath $(BIN))/asv
ASV_QUICK   = cd asv_benchmarks && $(ASV_ENV) SPARSEKIT_BENCH_QUICK=1 $(abspath $(BIN))/asv
BENCH_ARGS ?=

.PHONY: dashboard claims clean-results

BENCH_HTML = asv_benchmarks/html
SERVE      = $(BIN)/python -m http.server 8080 --bind 127.0.0.1 --directory $(BENCH_HTML)

bench: $(STAMP)
	$(ASV) machine --yes
	$(ASV) run --python=same --set-commit-hash=HEAD --show-stderr $(BENCH_ARGS) || \
	  echo "bench: some benchmarks failed (see above); publishing what was measured"
	$(ASV) publish
	$(BIN)/python scripts/asv_offline.py asv_benchmarks/html
	$(BIN)/python scripts/bench_page.py $(BENCH_HTML)
	$(BIN)/python scripts/bench_table.py --markdown asv_benchmarks/results/bench_table.md
	@echo "dashboard: $(BENCH_HTML) (serve it: $(SERVE); then open http://127.0.0.1:8080/sparsekit.html)"

bench-quick: $(STAMP)
	$(ASV_QUICK) check --python=same
	$(ASV_QUICK) run --python=same --quick --dry-run --show-stderr $(BENCH_ARGS)

## the quick suite measured and kept (about 2-4 minutes on 2 cores), published with its comparison page
dashboard: $(STAMP)
	$(ASV) machine --yes
	$(ASV_QUICK) run --python=same --quick --set-commit-hash=HEAD --show-stderr $(BENCH_ARGS) || \
	  echo "dashboard: some benchmarks failed (see above); publishing what was measured"
	$(ASV) publish
	$(BIN)/python scripts/asv_offline.py $(BENCH_HTML)
	$(BIN)/python scripts/bench_page.py $(BENCH_HTML)
	@echo "dashboard: $(BENCH_HTML)/index.html and the comparison page $(BENCH_HTML)/sparsekit.html"
	@echo "serve it:  $(SERVE)"
	@echo "then open: http://127.0.0.1:8080/sparsekit.html"

## the README's headline ratios re-measured on this machine, beside the documented ones
claims: $(STAMP)
	$(BIN)/python scripts/claims.py measure --json results/claims.json

clean-results:
	rm -rf asv_benchmarks/results

# The distributed backend (issues 11 and 22): PETSc/SLEPc under MPI.
#   make install-petsc   Debian's petsc-dev/slepc-dev + petsc4py/slepc4py/mpi4py into .venv
#   make test-mpi        the MPI tests (mpiexec -n 2 under pytest), the file readers' serial
#                        tests and the backend's doctests
#   make mpi-scaling     the figures of docs/mpi.md "Scaling": reading by rows, CG + GAMG,
#                        on 1 and 2 ranks (SCALING_M=1000: a 10^6-row Poisson matrix in
#                        SCALING_DIR, written once); a few minutes
.PHONY: install-petsc test-mpi mpi-scaling

SCALING_M   ?= 1000
SCALING_DIR ?= /tmp/sparsekit-scaling
MPIRUN      ?= mpiexec $(if $(filter 0,$(shell id -u)),--allow-run-as-root) --oversubscribe

install-petsc: $(STAMP)
	bash scripts/install-petsc.sh $(BIN)/python

test-mpi: install-petsc
	$(BIN)/python -m pytest tests/test_petsc.py tests/test_rowread.py tests/test_petscbin.py \
		sparsekit/backends/petsc_/ sparsekit/_rowread.py sparsekit/_petscbin.py

mpi-scaling: install-petsc
	mkdir -p $(SCALING_DIR)
	test -f $(SCALING_DIR)/poisson$(SCALING_M).petsc || \
		$(BIN)/python tests/mpi/scaling.py files $(SCALING_M) $(SCALING_DIR)
	for n in 1 2; do \
		for f in mtx npz petsc; do \
			$(MPIRUN) -n $$n $(BIN)/python tests/mpi/scaling.py read \
				$(SCALING_DIR)/poisson$(SCALING_M).$$f new 0 0; \
		done; \
		$(MPIRUN) -n $$n $(BIN)/python tests/mpi/scaling.py read \
			$(SCALING_DIR)/poisson$(SCALING_M).mtx old 0 0; \
		$(MPIRUN) -n $$n $(BIN)/python tests/mpi/scaling.py read \
			$(SCALING_DIR)/poisson$(SCALING_M).petsc new 0 3; \
		$(MPIRUN) -n $$n $(BIN)/python tests/mpi/scaling.py weak 512 3; \
	done

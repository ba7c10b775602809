# The distributed backend (issue 11): PETSc/SLEPc under MPI.
#   make install-petsc   Debian's petsc-dev/slepc-dev + petsc4py/slepc4py/mpi4py into .venv
#   make test-mpi        the MPI tests (mpiexec -n 2 under pytest) and the backend's doctests
.PHONY: install-petsc test-mpi

install-petsc: $(STAMP)
	bash scripts/install-petsc.sh $(BIN)/python

test-mpi: install-petsc
	$(BIN)/python -m pytest tests/test_petsc.py sparsekit/backends/petsc_/

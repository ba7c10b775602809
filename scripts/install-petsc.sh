#!/usr/bin/env bash
# Install what sparsekit's distributed backend (backend="petsc") needs:
#   * Debian's PETSc and SLEPc (petsc-dev, slepc-dev: Open MPI, hypre, MUMPS,
#     SuperLU_dist come with them) and Open MPI's launcher (openmpi-bin);
#   * mpi4py, petsc4py and slepc4py built against them, into ONE Python
#     environment (there are no binary wheels of petsc4py/slepc4py on PyPI).
#
#   bash scripts/install-petsc.sh [PYTHON]        # default: .venv/bin/python
#
# PYTHON is the interpreter of a virtual environment; when it does not exist
# yet, a venv is created at its place (so CI can run this before `make test`).
# Idempotent: when everything already imports and mpiexec is there, it says so
# and exits 0 in a second or two.  Needs root (or sudo) for apt-get.
#
# Measured on Debian 12, Python 3.11, 2 shared cores (see docs/mpi.md): apt
# about 1 minute, then petsc4py + slepc4py compile with CFLAGS="-O1 -g0" (only
# the thin Cython wrappers; PETSc itself is Debian's optimised library); a new
# environment on the same machine takes about 1.5 minutes with pip's wheel
# cache, and a rerun on an installed one about 2 s.
#
# Knobs (environment): PETSC_DIR, SLEPC_DIR (default: Debian's, found under
# /usr/lib/petscdir and /usr/lib/slepcdir), PETSC4PY_VERSION, SLEPC4PY_VERSION
# (default: the version of the installed library, which they must match).
set -euo pipefail

PY=${1:-.venv/bin/python}
say() { printf 'install-petsc: %s\n' "$*"; }

already_installed() {
    [ -x "$PY" ] || return 1
    command -v mpiexec >/dev/null 2>&1 || return 1
    "$PY" - <<'EOF' >/dev/null 2>&1
import mpi4py, petsc4py, slepc4py
petsc4py.init([]); slepc4py.init([])
from petsc4py import PETSc
from slepc4py import SLEPc
assert PETSc.COMM_WORLD.getSize() >= 1
EOF
}

if already_installed; then
    say "already installed in $PY: $("$PY" -c 'import petsc4py, slepc4py, mpi4py; print("petsc4py", petsc4py.__version__, "slepc4py", slepc4py.__version__, "mpi4py", mpi4py.__version__)')"
    exit 0
fi

# --- 1. the system libraries -------------------------------------------------
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
# libopenblas0-serial: PETSc's dense kernels (LU fronts, GAMG's coarse grid) otherwise
# run on Debian's reference BLAS; the serial build does not fight the MPI ranks for cores.
APT_PKGS="petsc-dev slepc-dev openmpi-bin libopenblas0-serial"
missing=""
for p in $APT_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "apt-get install:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # other jobs may hold the apt locks for a while: wait for them (15 min at most)
    LOCK="-o DPkg::Lock::Timeout=900"
    for try in 1 2 3; do
        $SUDO apt-get $LOCK update -q && break
        say "apt-get update failed (try $try); retrying in 20 s"
        sleep 20
    done
    # shellcheck disable=SC2086
    $SUDO apt-get $LOCK install -y -q --no-install-recommends $missing
else
    say "system packages present: $APT_PKGS"
fi

# Debian's default real (double) builds; /usr/lib/petsc is the alternatives link.
if [ -z "${PETSC_DIR:-}" ]; then
    PETSC_DIR=$(readlink -f /usr/lib/petsc 2>/dev/null || true)
    if [ ! -f "$PETSC_DIR/include/petscversion.h" ]; then
        PETSC_DIR=$(ls -d /usr/lib/petscdir/petsc*/*-real 2>/dev/null | sort -V | tail -n1)
    fi
fi
if [ -z "${SLEPC_DIR:-}" ]; then
    SLEPC_DIR=$(readlink -f /usr/lib/slepc 2>/dev/null || true)
    if [ ! -f "$SLEPC_DIR/include/slepcversion.h" ]; then
        SLEPC_DIR=$(ls -d /usr/lib/slepcdir/slepc*/*-real 2>/dev/null | sort -V | tail -n1)
    fi
fi
for d in "$PETSC_DIR/include/petscversion.h" "$SLEPC_DIR/include/slepcversion.h"; do
    [ -f "$d" ] || { say "cannot find $d (set PETSC_DIR / SLEPC_DIR)"; exit 1; }
done
export PETSC_DIR SLEPC_DIR PETSC_ARCH=""

version_of() {  # version_of HEADER PREFIX -> 3.18.5
    local h=$1 p=$2
    local ma mi sub
    ma=$(awk -v k="${p}_VERSION_MAJOR" '$2 == k {print $3}' "$h")
    mi=$(awk -v k="${p}_VERSION_MINOR" '$2 == k {print $3}' "$h")
    sub=$(awk -v k="${p}_VERSION_SUBMINOR" '$2 == k {print $3}' "$h")
    echo "$ma.$mi.$sub"
}
PETSC4PY_VERSION=${PETSC4PY_VERSION:-$(version_of "$PETSC_DIR/include/petscversion.h" PETSC)}
SLEPC4PY_VERSION=${SLEPC4PY_VERSION:-$(version_of "$SLEPC_DIR/include/slepcversion.h" SLEPC)}
say "PETSC_DIR=$PETSC_DIR (petsc4py==$PETSC4PY_VERSION)"
say "SLEPC_DIR=$SLEPC_DIR (slepc4py==$SLEPC4PY_VERSION)"

# --- 2. the Python environment -------------------------------------------------
if [ ! -x "$PY" ]; then
    envdir=$(dirname "$(dirname "$PY")")
    say "creating a virtual environment at $envdir"
    "${PYTHON:-python3}" -m venv "$envdir"
    "$PY" -m pip install -q --upgrade pip
fi

# petsc4py 3.18's setup.py breaks on setuptools >= 70 ("'list' object has no
# attribute 'startswith'"); numpy must be present since the build is not isolated.
say "pip install 'setuptools<70' wheel numpy into $PY"
"$PY" -m pip install -q 'setuptools<70' wheel numpy

export CC=${CC:-mpicc}
export CFLAGS="${CFLAGS:--O1 -g0}"
# mpi4py's binary wheel loads the system MPI at run time (checked: 4.1.2 with
# Debian's Open MPI 4.1.4, beside petsc4py); build from source against mpicc
# only where the wheel cannot use the MPI found here.
say "pip install mpi4py (binary wheel, uses the system MPI)"
"$PY" -m pip install -q mpi4py
if ! "$PY" -c "from mpi4py import MPI; MPI.Get_library_version()" >/dev/null 2>&1; then
    say "the mpi4py wheel cannot use this MPI: building it against $(command -v mpicc)"
    "$PY" -m pip install -q --force-reinstall --no-deps --no-binary=mpi4py mpi4py
fi
say "building petsc4py==$PETSC4PY_VERSION"
"$PY" -m pip install -q --no-build-isolation "petsc4py==$PETSC4PY_VERSION"
say "building slepc4py==$SLEPC4PY_VERSION"
"$PY" -m pip install -q --no-build-isolation "slepc4py==$SLEPC4PY_VERSION"

if already_installed; then
    say "done: $("$PY" -c 'import petsc4py, slepc4py, mpi4py; print("petsc4py", petsc4py.__version__, "slepc4py", slepc4py.__version__, "mpi4py", mpi4py.__version__)')"
else
    say "installed, but the import check failed; run: $PY -c 'from petsc4py import PETSc'"
    exit 1
fi

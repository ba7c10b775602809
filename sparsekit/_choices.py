"""Every string vocabulary a user may pass, in one place: name -> meaning.

This module is the bottom floor of sparsekit (it imports nothing of
sparsekit's): the builders, ``linalg``, the backends and the command line all
read their choices from here, so a name accepted by the CPU builders is
accepted by the GPU ones and offered by the CLI, and a new name is added once.

Registries of *methods* (``sk.solve``'s and ``sk.eigsh``'s ``method=`` and
``precond=``) are not here: they belong to whoever runs them (``linalg`` for
the CPU, each backend module for its hardware), and
:mod:`sparsekit.backends._registry` says which backend accepts what.

Examples
--------
>>> from sparsekit._choices import LAPLACIAN_KINDS, symmetrize_mode
>>> sorted(LAPLACIAN_KINDS)
['combinatorial', 'normalized', 'random_walk', 'signless']
>>> symmetrize_mode(True), symmetrize_mode(False)
('sum', None)
"""

from __future__ import annotations

__all__ = [
    "FORMATS",
    "LAPLACIAN_KINDS",
    "NONNEGATIVE_KINDS",
    "SYMMETRIZE",
    "BOUNDARY_CONDITIONS",
    "WEIGHTINGS",
    "WHICH",
    "EIGSH_CODES",
    "EIGS_WHICH",
    "EIGS_CODES",
    "SVDS_WHICH",
    "BACKENDS",
    "BUILDER_BACKENDS",
    "symmetrize_mode",
]

#: ``format=`` of every builder -> the scipy sparse array class it returns.
FORMATS = {"csr": "csr_array", "csc": "csc_array", "coo": "coo_array"}

#: ``kind=`` of :func:`sparsekit.laplacian` -> the matrix it builds.
LAPLACIAN_KINDS = {
    "combinatorial": "L = D - W",
    "normalized": "L = I - D^-1/2 W D^-1/2 (D^+ for isolated nodes)",
    "random_walk": "L = I - D^-1 W (D^+ for isolated nodes)",
    "signless": "Q = D + W",
}
#: Laplacian kinds that divide by degrees (a float dtype is needed).
NONNEGATIVE_KINDS = frozenset({"normalized", "random_walk"})

#: ``symmetrize=`` of the graph builders -> how W and Wᵀ are combined for directed input.
SYMMETRIZE = {
    "sum": "W + W^T (scipy.sparse.csgraph.laplacian(symmetrized=True))",
    "max": "maximum(W, W^T)",
    "mean": "(W + W^T) / 2",
}

#: ``bc=`` of :func:`sparsekit.poisson`.
BOUNDARY_CONDITIONS = {
    "dirichlet": "u = 0 on the boundary (ghost nodes one spacing outside)",
    "neumann": "du/dn = 0 (cell-centred: boundary rows have zero sum)",
}

#: ``weighting=`` of :func:`sparsekit.cooccurrence`.
WEIGHTINGS = {"count": "each pair counts 1", "harmonic": "a pair at distance d counts 1/d"}

#: ``which=`` of the eigensolvers (sparsekit's words).
WHICH = {
    "smallest": "the k algebraically smallest eigenvalues",
    "largest": "the k algebraically largest eigenvalues",
    "nearest": "the k eigenvalues nearest to sigma",
}

#: SciPy's ``which`` codes of ``eigsh``, accepted beside :data:`WHICH` with SciPy's meaning.
#: With ``sigma`` they rank ``1 / (λ − σ)`` instead of ``λ`` (SciPy's shift-invert mode):
#: ``'LM'`` is then :data:`WHICH`'s ``"nearest"``.
EIGSH_CODES = {
    "LM": "largest magnitude |λ|",
    "SM": "smallest magnitude |λ|",
    "LA": "largest algebraic (sparsekit's 'largest')",
    "SA": "smallest algebraic (sparsekit's 'smallest')",
    "BE": "both ends: k // 2 smallest and k - k // 2 largest algebraic",
}

#: ``which=`` of ``sk.eigs`` (nonsymmetric, complex eigenvalues) in sparsekit's words.
EIGS_WHICH = {
    "smallest": "the k eigenvalues of smallest real part (SciPy's 'SR')",
    "largest": "the k eigenvalues of largest real part (SciPy's 'LR')",
    "nearest": "the k eigenvalues nearest to sigma (SciPy's 'LM' with sigma)",
}

#: SciPy's ``which`` codes of ``eigs``, accepted beside :data:`EIGS_WHICH`.  ``LI``/``SI``
#: rank ``|Im λ|`` for a real matrix (its eigenvalues come in conjugate pairs) and
#: ``Im λ`` for a complex one, as ARPACK does; with ``sigma`` every code ranks ``1 / (λ − σ)``.
EIGS_CODES = {
    "LM": "largest magnitude |λ|",
    "SM": "smallest magnitude |λ|",
    "LR": "largest real part",
    "SR": "smallest real part",
    "LI": "largest imaginary part (|Im λ| for a real matrix)",
    "SI": "smallest imaginary part (|Im λ| for a real matrix)",
}

#: ``which=`` of ``sk.svds``: sparsekit's words and SciPy's codes.
SVDS_WHICH = {
    "largest": "the k largest singular values",
    "smallest": "the k smallest singular values",
    "LM": "SciPy's code for 'largest'",
    "SM": "SciPy's code for 'smallest'",
}

#: ``backend=`` of ``sk.solve`` and ``sk.eigsh``.
BACKENDS = {
    "auto": "the backend of the input (CuPy arrays -> cupy), else scipy",
    "scipy": "CPU: scipy.sparse.linalg, pyamg (the reference)",
    "cupy": "GPU: cupy and cupyx.scipy.sparse.linalg",
    "petsc": "MPI: PETSc KSP/PC and SLEPc EPS through petsc4py/slepc4py",
}

#: ``backend=`` of the builders (PETSc builds nothing: distribute a built matrix).
BUILDER_BACKENDS = {
    "auto": "cupy for CuPy input, else scipy",
    "scipy": "CPU",
    "cupy": "GPU",
}


def symmetrize_mode(symmetrize) -> str | None:
    """Resolve ``symmetrize=``: ``False``/``None`` -> None, ``True`` -> ``"sum"``, else a mode.

    Raises :class:`~sparsekit.UnknownMethodError` for a name not in :data:`SYMMETRIZE`.
    """
    if symmetrize is False or symmetrize is None:
        return None
    if symmetrize is True:
        return "sum"
    from ._validate import check_choice  # _validate sits on the same floor

    return check_choice(symmetrize, SYMMETRIZE, "symmetrize")

"""The implementation of ``sparsekit.dense`` (its face is :mod:`sparsekit.linalg.dense`).

``_common`` holds the memory guard and the checks every dense function shares;
``_solve`` the solves (``solve``, ``lstsq``, ``inv``, ``pinv``); ``_decomp`` the
factorizations (``cholesky``, ``qr``, ``svd``); ``_measure`` the numbers a
matrix is asked for (``det``, ``slogdet``, ``matrix_rank``, ``cond``).
"""

__all__: list[str] = []

"""Where the arithmetic runs: scipy (CPU, the reference), cupy (GPU), petsc (MPI).

Backend modules never import one another; ``sparsekit.linalg`` dispatches to
them once, by name.
"""

__all__: list[str] = []

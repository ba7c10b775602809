import sparsekit


def test_public_names_are_pinned():
    assert set(sparsekit.__all__) == {
        "laplacian", "adjacency", "poisson", "fem", "cooccurrence", "document_cooccurrence",
        "ppmi", "solve", "plan", "factorize", "preconditioner", "eigsh", "eigs", "svds", "dense",
        "condest", "pca", "null_space", "matrix_rank", "CondestResult", "PCAResult",
        "NullSpaceResult", "progress", "ProgressEvent",
        "clear_cache", "cache_info", "set_cache_limit", "spectral", "io", "datasets",
        "SolveResult", "EigenResult", "Plan", "Factorization", "SparsekitError", "ShapeError",
        "NotSquareError", "InputValueError", "NotSymmetricError", "NotSPDError",
        "SingularMatrixError", "InconsistentSystemError", "DisconnectedGraphError",
        "MatrixMarketError", "MissingDependencyError", "UnknownMethodError",
        "DenseTooLargeError", "InsufficientMemoryError", "BackendError", "DataNotFoundError",
        "NoConvergence",
        "ConvergenceWarning", "IllConditionedWarning",
    }


def test_every_public_name_exists():
    for name in sparsekit.__all__:
        assert hasattr(sparsekit, name), name

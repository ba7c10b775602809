"""Point the dataset registry at the shared SuiteSparse matrices beside the checkout."""

import os
from pathlib import Path

_SHARED = Path(__file__).resolve().parent.parent / "shared" / "datasets" / "mtx"
if "SPARSEKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["SPARSEKIT_DATA"] = str(_SHARED)

"""What ``import sparsekit`` costs, beside ``import scipy.sparse`` (issue 21).

asv's ``timeraw_`` runs the code in a fresh interpreter, so nothing is cached.  The face
imports its modules on first use: ``import sparsekit`` alone loads no numpy or SciPy, and
``sparsekit-solve`` is the cost of the first ``sk.solve`` reference (linalg's imports).
"""

CODE = {
    "sparsekit": "import sparsekit",
    "sparsekit-solve": "import sparsekit; sparsekit.solve",
    "scipy.sparse": "import scipy.sparse",
}


class Import:
    params = [list(CODE)]
    param_names = ["method"]
    repeat = 5
    number = 1

    def timeraw_import(self, method):
        return CODE[method]

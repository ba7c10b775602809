"""The command line's private parts; :mod:`sparsekit.cli` is its face.

``_output``   what a command prints: rich tables on stdout, one JSON object
              with ``--json``, warnings and progress on stderr, MPI rank 0 only.
``_files``    inputs (a file or a dataset name; graphs from adjacency files or
              edge lists, parsed by ``sk.io.read_edges``) and atomic outputs
              (``--force``, output == input refused).
``_app``      the click group, the options every command shares, and the
              mapping of results and errors to exit codes 0/1/2/3/130/143
              (SIGTERM cleans up as Ctrl-C does).
``_status``   the status line: the stage the library reports through
              ``sparsekit._progress`` and the elapsed time, on a terminal only.
``_plots``    every picture (spy, residual history, spectrum, embedding), with
              matplotlib checked before any work.
``_distributed`` ``--backend petsc`` under mpiexec: every rank reads and writes
              its own rows.
The remaining modules hold one command (or command group) each.  Choices the
options offer are read from the library (``sparsekit._choices`` and the method
registries), never restated here.  Only :mod:`sparsekit.cli` imports this package.
"""

"""Grading a folder of submissions: local pool or Dask, cache, gradebook.

- :mod:`.names`: which entries are submissions, and a unique name for each;
- :mod:`.job`: one submission graded in its own process (the unit of work everywhere);
- :mod:`.cache`: unchanged submissions are not regraded;
- :mod:`.run`: :func:`run_batch` (local pool, progress, gradebook and reports);
- :mod:`.cluster`: the same jobs on a Dask distributed cluster;
- :mod:`.cli`: the ``batch`` subcommand; :mod:`.bench`: ``make bench-batch``.
"""

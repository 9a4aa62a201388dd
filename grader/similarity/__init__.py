"""Similar submissions across a class, for a person to review; never a grade.

``python -m grader similarity DIR`` (:mod:`.cli`) and the step of ``grader batch``. The
pipeline, one small module per stage, is listed in :mod:`.analysis`; the benchmark is
:mod:`.bench` (``make bench-similarity``).
"""

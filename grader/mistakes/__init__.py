"""Named mistakes: a failed check's output recognised as a known bug, and said in words.

:mod:`.diagnose` (shipped with the grader) compares a failed check's outputs with stored
signatures; :mod:`.mutants` (the table of known mistakes) and :mod:`.generate` (which runs
them on every check to make the signatures) quote solution lines, so they stay out of the
Gradescope bundle.
"""

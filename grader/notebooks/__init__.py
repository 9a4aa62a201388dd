"""Notebooks: staged, re-executed headless in a confined kernel, and turned into checks.

The stages, in the order a grade runs them:

- :mod:`.rubric`: which notebooks are graded, their points, timeouts and budgets;
- :mod:`.staging`: the kernel's import root (provided utilities + the submission);
- :mod:`.release`: the release copies, locked cells, and each submitted notebook rebuilt
  from its release;
- :mod:`.kernel`: the confined kernels, one per notebook, forked from a template
  (:mod:`grader.sandbox.nb_kernel`), and their end;
- :mod:`.run`: execution with nbclient, per-cell replies, figures, budgets;
- :mod:`.integrity`: the probe between cells (tampering with error handling);
- :mod:`.scoring`: one :class:`~grader.result.CheckResult` per notebook, from its locked
  checks;
- :mod:`.grading`: :func:`grader.api.grade` plus the notebook checks.
"""

from .grading import grade_with_notebooks, has_notebooks
from .kernel import kill_process_tree
from .release import RELEASE_DIR, load_release, rebuild
from .rubric import RUBRIC, NotebookSpec
from .run import run_notebook, run_notebooks
from .scoring import notebook_checks, to_check
from .staging import MAX_NOTEBOOK_BYTES, find_notebook, stage

__all__ = [
           "MAX_NOTEBOOK_BYTES",
           "RELEASE_DIR",
           "RUBRIC",
           "NotebookSpec",
           "find_notebook",
           "grade_with_notebooks",
           "has_notebooks",
           "kill_process_tree",
           "load_release",
           "notebook_checks",
           "rebuild",
           "run_notebook",
           "run_notebooks",
           "stage",
           "to_check",
]

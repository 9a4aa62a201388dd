"""Notebooks: staged, re-executed headless in a confined kernel, and turned into checks.

The stages, in the order a grade runs them:

- :mod:`.rubric`: which notebooks are graded, their points, timeouts and budgets;
- :mod:`.staging`: the kernel's import root (provided utilities + the submission);
- :mod:`.kernel`: the confined kernels (launched by :mod:`grader.sandbox.nb_kernel`), their
  reset between notebooks and their end;
- :mod:`.run`: execution with nbclient, per-cell errors, figures, budgets;
- :mod:`.scoring`: one :class:`~grader.result.CheckResult` per notebook;
- :mod:`.grading`: :func:`grader.api.grade` plus the notebook checks.
"""

from .grading import grade_with_notebooks, has_notebooks
from .kernel import kill_process_tree
from .rubric import RUBRIC, NotebookSpec
from .run import run_notebook, run_notebooks
from .scoring import notebook_checks, to_check
from .staging import MAX_NOTEBOOK_BYTES, find_notebook, stage

__all__ = ["MAX_NOTEBOOK_BYTES", "RUBRIC", "NotebookSpec", "find_notebook",
           "grade_with_notebooks", "has_notebooks", "kill_process_tree", "notebook_checks",
           "run_notebook", "run_notebooks", "stage", "to_check"]

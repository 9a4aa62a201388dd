"""Turn a solution notebook into the student notebook (the release the grader locks to).

Three passes, in order: clear what running the notebook left behind (outputs, execution
counts, timing metadata), replace the solution regions of code cells, then mark every cell
for grading (:func:`mark_cells`). Markdown is copied unchanged. Solution regions in a cell
use the same ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers as the Python files; the
stub's error names the cell's ``task`` metadata (``cell.metadata["task"]``) or, failing
that, the notebook and cell.

Marking, as nbgrader does it: each cell gets ``metadata["grader"]`` with its ``id`` (the
cell's nbformat id, which Jupyter keeps when the student saves) and a ``role``:

- ``"student"``: a cell the student writes in (it held a solution region, or the solution
  notebook gives it a ``task``); at grading, its source comes from the submission;
- ``"locked"``: everything else; ``editable`` and ``deletable`` are set to false (Jupyter
  honours both), and at grading the cell is restored from this release, whatever the
  submission holds. A locked code cell that calls the student's functions is a graded
  check: ``"check": true`` and ``"functions"``, the ``module.function`` names it exercises
  (found in its source: ``conv_layers.conv_forward_naive(...)``, ``update_rule="adam"``),
  which the grader links to the ``.py`` checks of those functions.
"""

import copy
import re

import nbformat

from .markers import find_regions, strip_cell_solutions

# Metadata a kernel or a front end writes while running; none of it belongs in a handout.
_VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")
STUDENT_MODULES = ("layers", "conv_layers", "layer_utils", "cnn", "optim")
_CALL = re.compile(r"(?<![\w.])(" + "|".join(STUDENT_MODULES) + r")\.([A-Za-z_]\w*)")
_RULE = re.compile(r"""update_rule\s*=\s*["'](\w+)["']""")


def clear_outputs(nb):
    """Remove outputs, execution counts and run-time metadata, in place."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    for key in list(nb.metadata):
        if key not in _KEPT_NOTEBOOK_METADATA:
            del nb.metadata[key]
    # The interpreter version in language_info differs between machines.
    if "language_info" in nb.metadata:
        nb.metadata.language_info = {"name": nb.metadata.language_info.get("name", "python")}


def strip_solution_cells(nb, name):
    """Replace the solution regions of every code cell, in place.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    name : str
        Notebook file name, for error messages and default stub names.

    Returns
    -------
    list of int
        Indices of the cells that held a solution region.
    """
    changed = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{name} cell {index}"
        if not find_regions(cell.source, where):
            continue
        task = cell.metadata.get("task", where)
        cell.source = strip_cell_solutions(cell.source, where, task)
        changed.append(index)
    return changed


def functions_called(source):
    """The student functions a cell exercises, as sorted ``module.function`` names.

    ``conv_layers.conv_forward_naive(...)`` gives ``conv_layers.conv_forward_naive``; a
    Solver given ``update_rule="adam"`` runs the student's ``optim.adam``.
    """
    found = {f"{m}.{f}" for m, f in _CALL.findall(source)}
    found |= {f"optim.{rule}" for rule in _RULE.findall(source)}
    return sorted(found)


def mark_cells(nb, student_cells=()):
    """Give every cell its grading metadata (see the module docstring), in place.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    student_cells : iterable of int
        Indices of the cells the student writes in (besides those with a ``task``).
    """
    student_cells = set(student_cells)
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata
        for key in ("grader", "editable", "deletable"):
            meta.pop(key, None)
        if index in student_cells or "task" in meta:
            meta["grader"] = {"id": cell.id, "role": "student"}
            continue
        grader = {"id": cell.id, "role": "locked"}
        functions = functions_called(cell.source) if cell.cell_type == "code" else []
        if functions:
            grader.update(check=True, functions=functions)
        meta["grader"] = grader
        meta["editable"] = False
        meta["deletable"] = False


def student_notebook(nb, name):
    """Return the student copy (the release) of a solution notebook.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The solution notebook; not modified.
    name : str
        Its file name, for messages.

    Returns
    -------
    nbformat.NotebookNode
        Validated nbformat v4, every cell marked for grading.
    """
    student = copy.deepcopy(nb)
    clear_outputs(student)
    changed = strip_solution_cells(student, name)
    mark_cells(student, changed)
    nbformat.validate(student)
    return student


def dumps(nb):
    """Serialise a notebook deterministically (sorted keys, one trailing newline)."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"

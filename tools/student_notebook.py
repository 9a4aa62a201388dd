"""Turn a solution notebook into the student notebook.

Two passes, in order: clear what running the notebook left behind (outputs, execution
counts, timing metadata), then replace the solution regions of code cells. Markdown is
copied unchanged. Solution regions in a cell use the same ``### BEGIN SOLUTION`` /
``### END SOLUTION`` markers as the Python files; the stub's error names the cell's
``task`` metadata (``cell.metadata["task"]``) or, failing that, the notebook and cell.
"""

import copy

import nbformat

from .markers import find_regions, strip_cell_solutions

# Metadata a kernel or a front end writes while running; none of it belongs in a handout.
_VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


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
    int
        How many cells held a solution region.
    """
    changed = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{name} cell {index}"
        if not find_regions(cell.source, where):
            continue
        task = cell.metadata.get("task", where)
        cell.source = strip_cell_solutions(cell.source, where, task)
        changed += 1
    return changed


def student_notebook(nb, name):
    """Return the student copy of a solution notebook.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The solution notebook; not modified.
    name : str
        Its file name, for messages.

    Returns
    -------
    nbformat.NotebookNode
        Validated nbformat v4.
    """
    student = copy.deepcopy(nb)
    clear_outputs(student)
    strip_solution_cells(student, name)
    nbformat.validate(student)
    return student


def dumps(nb):
    """Serialise a notebook deterministically (sorted keys, one trailing newline)."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"

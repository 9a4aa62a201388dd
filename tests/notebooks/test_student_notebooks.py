"""Student notebooks: valid, clean, and stopping at the first function left to write."""

import re

import nbformat
import pytest

from tools.make_student import ROOT, SOLUTION_NOTEBOOKS, STUDENT_NOTEBOOKS

SOLUTIONS = ROOT / SOLUTION_NOTEBOOKS
STUDENT = ROOT / STUDENT_NOTEBOOKS
NOTEBOOK_NAMES = ["ConvolutionalNetworks", "SpatialBatchNorm", "CNN"]

# The first function each notebook calls that a student writes, as the stub names it.
FIRST_UNIMPLEMENTED = {
    "ConvolutionalNetworks": "conv_forward_naive",
    "SpatialBatchNorm": "spatial_batchnorm_forward",
    "CNN": "ThreeLayerConvNet.__init__",
}


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_student_notebook_is_valid_and_clean(name):
    nb = nbformat.read(STUDENT / f"{name}.ipynb", as_version=4)
    assert nb.nbformat == 4
    nbformat.validate(nb)
    solution = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
    assert len(nb.cells) == len(solution.cells)
    for cell in nb.cells:
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_solution_cells_become_stubs():
    nb = nbformat.read(STUDENT / "CNN.ipynb", as_version=4)
    stubs = [c for c in nb.cells if "raise NotImplementedError(" in c.source]
    assert len(stubs) == 1
    assert "# YOUR CODE HERE" in stubs[0].source
    assert "best_model = None" in stubs[0].source
    assert "Solver(" not in stubs[0].source


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_student_notebook_stops_at_first_unimplemented_function(name, run_notebook):
    path = STUDENT / f"{name}.ipynb"
    run = run_notebook(path, "student")
    function = FIRST_UNIMPLEMENTED[name]
    assert run.error is not None, f"{name}.ipynb ran to the end against the skeleton"
    assert run.error.ename == "NotImplementedError"
    assert f"{function}: not implemented yet" in run.error.evalue
    # It stops at the first cell that calls student code, not later.
    short = function.split(".")[0]
    first_use = next(
        i for i, c in enumerate(run.nb.cells)
        if c.cell_type == "code" and re.search(rf"\b{re.escape(short)}\b", c.source)
    )
    assert run.error_cell() == first_use
    print(f"{name}.ipynb stopped at cell {first_use} in {run.seconds:.1f} s")


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_a_finished_notebook_shows_every_locked_cell_as_handed_out(name):
    """The solution notebook (a finished student's) rebuilt against the release: every
    locked cell intact, every student cell taken from it, nothing added."""
    from grader.notebooks import load_release, rebuild

    release, cells = load_release(name, STUDENT)
    solution = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
    _, merge = rebuild(solution, release, cells)
    assert set(merge.state.values()) <= {"intact", "submitted"}, merge.state
    assert not merge.added and not merge.duplicates
    assert any(c.check for c in cells)

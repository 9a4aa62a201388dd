"""Every solution notebook runs top to bottom against the reference in small-data mode."""

import pytest

from tools.make_student import ROOT, SOLUTION_NOTEBOOKS

SOLUTIONS = ROOT / SOLUTION_NOTEBOOKS
NOTEBOOK_NAMES = ["ConvolutionalNetworks", "SpatialBatchNorm", "CNN"]

# Numbers the published notebooks show for a correct solution (see ASSIGNMENT_FACTS.md).
PUBLISHED = {
    "ConvolutionalNetworks": [
        "conv forward vs table: 2.2121e-08",
        "max pool forward vs table: 4.1667e-08",
    ],
    "SpatialBatchNorm": [],
    "CNN": ["initial loss, no regularisation: 2.3026"],
}


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_solution_notebook_runs_against_reference(name, run_notebook):
    run = run_notebook(SOLUTIONS / f"{name}.ipynb", "reference")
    assert run.error is None, f"{name}.ipynb stopped with:\n{run.error}"
    text = run.outputs_text()
    assert "implementation: assignment.reference" in text
    assert "small-data mode: True" in text
    # Every printed check must pass; "TOO LARGE" is what report() prints on a miss.
    assert "TOO LARGE" not in text, text
    for expected in PUBLISHED[name]:
        assert expected in text
    print(f"{name}.ipynb executed in {run.seconds:.1f} s")


def test_solution_notebooks_present():
    assert sorted(p.stem for p in SOLUTIONS.glob("*.ipynb")) == sorted(NOTEBOOK_NAMES)

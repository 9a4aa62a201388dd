"""Shared fixtures: where the notebooks are and how to run them (tools.run_notebooks)."""

import pytest

from tools.run_notebooks import KernelMissing, execute


@pytest.fixture
def run_notebook():
    """``run_notebook(path, impl)`` -> :class:`tools.run_notebooks.Executed`, small-data mode."""

    def run(path, impl):
        try:
            return execute(path, impl, small=True)
        except KernelMissing as exc:
            pytest.fail(str(exc))

    return run

"""The student's ``make check`` (``python -m tools.run_notebooks``): what its console shows."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _notebook(path, *sources):
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def _check(*notebooks):
    """Run the check as ``make check`` does; its whole console output, as lines."""
    proc = subprocess.run([sys.executable, "-m", "tools.run_notebooks", *map(str, notebooks)],
                          cwd=ROOT, check=False, capture_output=True, text=True, timeout=120)
    return proc.returncode, (proc.stdout + proc.stderr).splitlines()


@pytest.mark.notebook
def test_check_prints_one_line_per_notebook_and_nothing_from_the_kernel(tmp_path):
    """A clean notebook and a failing one: an ``ok`` line, a ``STOPPED`` line naming the
    cell and the exception, and nothing else: no kernel warnings (over Jupyter's default TCP
    transport the kernel warns "running over TCP without encryption" at every start, and a
    kernel left running warns "Parent appears to have exited")."""
    good = _notebook(tmp_path / "good.ipynb", "print('to the notebook')")
    bad = _notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('the real error')")
    code, lines = _check(good, bad)
    assert code == 1
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"ok      {good}")
    assert lines[1].startswith(f"STOPPED {bad} at cell 1: ValueError: the real error")


@pytest.mark.notebook
def test_a_kernel_that_dies_is_reported_in_one_line(tmp_path):
    """Quiet must not mean hidden: a kernel that exits mid-run stops that notebook with a
    reason, the next notebook still runs, and the check fails."""
    dead = _notebook(tmp_path / "dead.ipynb", "import os\nos._exit(3)")
    good = _notebook(tmp_path / "good.ipynb", "x = 1")
    code, lines = _check(dead, good)
    assert code == 1
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"STOPPED {dead}: the Python kernel died")
    assert lines[1].startswith(f"ok      {good}")


@pytest.mark.notebook
def test_the_kernels_own_stderr_stays_out_of_the_console(tmp_path):
    """What the kernel process writes to its stderr (pyzmq's teardown tracebacks, C
    libraries) is not a cell's output and not the student's business: one line still."""
    chatty = _notebook(tmp_path / "chatty.ipynb",
                       "import os\nos.write(2, b'Traceback (most recent call last):\\n')",
                       "x = 1")
    code, lines = _check(chatty)
    assert code == 0
    assert len(lines) == 1 and lines[0].startswith(f"ok      {chatty}"), lines


@pytest.mark.notebook
def test_a_dead_kernels_last_words_are_on_its_line(tmp_path):
    dead = _notebook(tmp_path / "dead.ipynb",
                     "import os\nos.write(2, b'Fatal Python error: Segmentation fault\\n\\n')\n"
                     "os._exit(3)")
    code, lines = _check(dead)
    assert code == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"STOPPED {dead}: the Python kernel died")
    assert "its last words: Fatal Python error: Segmentation fault" in lines[0]


def test_channel_teardown_records_are_dropped_and_others_kept():
    """The filter on asyncio's logger drops pyzmq's cancelled-callback reports only."""
    import logging

    from tools.run_notebooks import _ChannelTeardown

    def record(msg):
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, None)

    keep = _ChannelTeardown().filter
    assert not keep(record("Exception in callback ZMQStream._run_callback.<locals>."
                           "_log_error(<Task cancelled>) at zmqstream.py:583"))
    assert keep(record("Task was destroyed but it is pending!"))

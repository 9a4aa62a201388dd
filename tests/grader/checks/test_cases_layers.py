"""Judges of ``grader/checks/cases_layers.py`` on hand-made outputs (no sandbox needed)."""

import numpy as np

from grader.checks import case_by_id
from grader.checks.cases_layers import KEEP_PS


def _dropout_outputs(x, scale):
    """Train-mode outputs that keep exactly a share p of x (spread evenly), times ``scale(p)``."""
    outs = {}
    for p in KEEP_PS:
        keep = np.zeros(x.size, dtype=bool)
        keep[np.round(np.arange(0, x.size, 1 / p)).astype(int)[: int(round(p * x.size))]] = True
        outs[f"out_p{p}"] = np.where(keep.reshape(x.shape), x * scale(p), 0.0)
    return outs


def test_not_inverted_dropout_shows_the_error_of_the_values_that_failed():
    case = case_by_id("dropout_forward.train")
    x = case.make_inputs()["x"]
    parts = case.judge(_dropout_outputs(x, lambda p: 1.0), case.make_inputs())
    assert parts and all(not part.passed for part in parts)
    for part in parts:  # the kept fraction is right: the shown error is the values' one
        assert part.error > part.threshold, part
        assert "inverted" in part.message


def test_inverted_dropout_passes_with_the_fraction_shown():
    case = case_by_id("dropout_forward.train")
    x = case.make_inputs()["x"]
    parts = case.judge(_dropout_outputs(x, lambda p: 1 / p), case.make_inputs())
    assert all(part.passed for part in parts), parts
    assert all(part.error <= part.threshold == 0.05 for part in parts)

"""The benchmark's plumbing on tiny shapes (its numbers are not tested: ``make bench``)."""

import numpy as np
import pytest

from assignment.fast_layers import bench
from assignment.reference import conv_layers as ref

NAIVE = (ref.conv_forward_naive, ref.conv_backward_naive, ref.max_pool_forward_naive,
         ref.max_pool_backward_naive)


def test_bench_rows_table_and_targets_on_tiny_shapes():
    rows = bench.conv_rows(None, NAIVE, "layer conv tiny", (4, 2, 6, 6), (3, 2, 3, 3), 1, 1,
                           np.float64, repeats=1, naive_n=2)
    rows += bench.pool_rows(None, NAIVE, "seeds pool tiny", (2, 2, 4, 4), 2, 2, np.float32,
                            repeats=1)
    assert [(r[2], "naive" in r[3]) for r in rows] == [
        ("forward", True), ("backward", True), ("forward", True), ("backward", True)
    ]
    table = bench.format_table(rows, {"float64": 50.0, "float32": 100.0})
    assert "layer conv tiny" in table and " est" in table  # naive scaled from 2 of 4 samples
    # Without PyTorch the only targets that apply need it, so none is claimed met or missed.
    assert bench.target_lines(rows, {"float64": 50.0, "float32": 100.0}) == []


def test_bench_train_step_rows_on_a_tiny_batch():
    """One Adam step of the reference ConvNet against PyTorch's, as rows the table takes."""
    assert bench.train_rows(None, (10,), repeats=1) == []  # no PyTorch: no rows
    torch = pytest.importorskip("torch")
    rows = bench.train_rows(torch, (10,), repeats=1, batch=2)
    assert [(r[0], r[1], r[2], sorted(r[3])) for r in rows] == [
        ("train step hidden 10", "float32", "step", ["fast", "torch"])
    ]
    assert "train step hidden 10" in bench.format_table(rows, {"float32": 100.0})
    assert [line.split()[0] for line in bench.target_lines(rows, {"float32": 100.0})] in (
        ["met"], ["MISSED"]
    )

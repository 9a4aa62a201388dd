"""Numerical gradient helpers against functions with known derivatives."""

import numpy as np

from assignment.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)
from assignment.vis_utils import visualize_grid


def test_rel_error_definition():
    assert rel_error(np.array([1.0]), np.array([1.0])) == 0.0
    assert abs(rel_error(np.array([1.0]), np.array([3.0])) - 0.5) < 1e-15
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_numerical_gradient_of_sum_of_cubes():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = eval_numerical_gradient(lambda v: np.sum(v**3), x, verbose=False)
    assert rel_error(grad, 3 * x**2) < 1e-8
    assert np.array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # restored


def test_numerical_gradient_array_of_elementwise_square():
    rng = np.random.default_rng(0)
    x, df = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    grad = eval_numerical_gradient_array(lambda v: v**2, x, df)
    assert rel_error(grad, 2 * x * df) < 1e-8


def test_grad_check_sparse_reports_small_errors_for_a_correct_gradient(capsys):
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    errors = grad_check_sparse(lambda v: np.sum(np.sin(v)), x, np.cos(x), num_checks=5, seed=1)
    assert len(errors) == 5 and max(errors) < 1e-8
    assert "relative error" in capsys.readouterr().out


def test_visualize_grid_layout():
    rng = np.random.default_rng(0)
    grid = visualize_grid(rng.standard_normal((5, 4, 3, 3)), ubound=255.0, padding=1)
    assert grid.shape == (3 * 5 - 1, 3 * 4 - 1, 3)
    assert grid.min() >= 0 and grid.max() <= 255.0

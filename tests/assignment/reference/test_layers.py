"""Reference fully connected layers, normalisation, dropout and losses."""

import numpy as np
import pytest

from assignment.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    rel_error,
)
from assignment.reference import layers as L


def test_affine_backward_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 2, 3))
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(5)
    dout = rng.standard_normal((10, 5))
    _, cache = L.affine_forward(x, w, b)
    dx, dw, db = L.affine_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: L.affine_forward(v, w, b)[0], x, dout)) < 1e-8
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: L.affine_forward(x, v, b)[0], w, dout)) < 1e-8
    assert rel_error(db, eval_numerical_gradient_array(lambda v: L.affine_forward(x, w, v)[0], b, dout)) < 1e-8


def test_relu_backward_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 10))
    dout = rng.standard_normal((10, 10))
    _, cache = L.relu_forward(x)
    dx = L.relu_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: L.relu_forward(v)[0], x, dout)) < 1e-8


def test_batchnorm_backward_matches_numerical_gradient():
    rng = np.random.default_rng(2)
    N, D = 4, 5
    x = 5 * rng.standard_normal((N, D)) + 12
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))

    def fwd(x_, g_, b_):
        return L.batchnorm_forward(x_, g_, b_, {"mode": "train"})[0]

    _, cache = L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout)) < 1e-7
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout)) < 1e-8
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout)) < 1e-8


def test_batchnorm_writes_running_averages_back():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 3)) * 2 + 5
    bn_param = {"mode": "train", "momentum": 0.9}
    L.batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(axis=0))


def test_batchnorm_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        L.batchnorm_forward(np.zeros((2, 2)), np.ones(2), np.zeros(2), {"mode": "eval"})


@pytest.mark.parametrize("p", [0.25, 0.4, 0.7])
def test_dropout_keeps_fraction_p_and_preserves_the_mean(p):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((500, 500)) + 10
    out, _ = L.dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
    assert abs((out != 0).mean() - p) < 0.01
    assert abs(out.mean() - x.mean()) < 0.05 * x.mean()  # inverted: scaled by 1/p
    out_test, _ = L.dropout_forward(x, {"mode": "test", "p": p})
    assert np.array_equal(out_test, x)


def test_dropout_seed_is_deterministic_and_backward_matches_numerical_gradient():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((10, 10)) + 10
    dout = rng.standard_normal((10, 10))
    param = {"mode": "train", "p": 0.2, "seed": 123}
    out1, cache = L.dropout_forward(x, param)
    out2, _ = L.dropout_forward(x, param)
    assert np.array_equal(out1, out2)
    dx = L.dropout_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: L.dropout_forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-8


@pytest.mark.parametrize("loss_fn, expected", [(L.svm_loss, 9.0), (L.softmax_loss, np.log(10))])
def test_losses_at_chance_and_their_gradients(loss_fn, expected):
    rng = np.random.default_rng(6)
    N, C = 50, 10
    x = 0.001 * rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    loss, dx = loss_fn(x, y)
    assert abs(loss - expected) < 0.02
    dx_num = eval_numerical_gradient(lambda v: loss_fn(v, y)[0], x, verbose=False)
    assert rel_error(dx, dx_num) < 1e-7


def test_softmax_is_stable_on_huge_scores():
    x = np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]])
    loss, dx = L.softmax_loss(x, np.array([0, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    assert loss < 1e-12

"""Reference ThreeLayerConvNet: initial loss, regularisation, gradients."""

import numpy as np

from assignment.gradient_check import eval_numerical_gradient, rel_error
from assignment.reference.cnn import ThreeLayerConvNet


def test_initial_loss_is_chance_and_grows_with_regularisation():
    np.random.seed(231)  # the model initialises from numpy's global generator (CS231n API)
    model = ThreeLayerConvNet()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3, 32, 32))
    y = rng.integers(10, size=50)
    loss, _ = model.loss(X, y)
    assert abs(loss - np.log(10)) < 0.01
    model.reg = 0.5
    loss_reg, _ = model.loss(X, y)
    assert loss_reg > loss + 1e-3


def test_scores_shape_without_labels():
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, hidden_dim=4, num_classes=5)
    scores = model.loss(np.zeros((3, 3, 8, 8), dtype=np.float32))
    assert scores.shape == (3, 5)


def test_gradients_match_numerical_gradients():
    rng = np.random.default_rng(1)
    np.random.seed(1)
    N, input_dim, num_classes = 2, (3, 10, 10), 10
    X = rng.standard_normal((N, *input_dim))
    y = rng.integers(num_classes, size=N)
    model = ThreeLayerConvNet(
        num_filters=3, filter_size=3, input_dim=input_dim, hidden_dim=7,
        weight_scale=1e-1, reg=0.3, dtype=np.float64,
    )
    loss, grads = model.loss(X, y)
    for name in sorted(model.params):
        f = lambda _: model.loss(X, y)[0]  # noqa: E731
        num = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-6)
        # ASSIGNMENT_FACTS: W errors up to ~1e-2 are accepted because of ReLU kinks; ours are far lower.
        assert rel_error(num, grads[name]) < 1e-4, name


def test_regularisation_term_is_half_reg_sum_of_squares():
    rng = np.random.default_rng(2)
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, hidden_dim=4, dtype=np.float64)
    X, y = rng.standard_normal((2, 3, 8, 8)), np.array([1, 2])
    model.reg = 0.0
    base, _ = model.loss(X, y)
    model.reg = 0.7
    reg_loss, _ = model.loss(X, y)
    expected = 0.5 * 0.7 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2", "W3"))
    assert abs((reg_loss - base) - expected) < 1e-12

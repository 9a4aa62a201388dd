"""Reference update rules: the published expected values' behaviour, checked from the maths."""

import numpy as np
import pytest

from assignment.reference import optim


def _wd(N=4, D=5):
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    return w, dw


def test_sgd_default_learning_rate():
    w, dw = _wd()
    next_w, config = optim.sgd(w, dw)
    np.testing.assert_allclose(next_w, w - 1e-2 * dw)
    assert config["learning_rate"] == 1e-2


def test_momentum_accumulates_velocity():
    w, dw = _wd()
    config = {"learning_rate": 1e-3}
    w1, config = optim.sgd_momentum(w, dw, config)
    w2, config = optim.sgd_momentum(w1, dw, config)
    v1 = -1e-3 * dw
    v2 = 0.9 * v1 - 1e-3 * dw
    np.testing.assert_allclose(w2, w + v1 + v2)
    np.testing.assert_allclose(config["velocity"], v2)


def test_nesterov_first_step_equals_lookahead_formula():
    w, dw = _wd()
    w1, config = optim.sgd_nesterov_momentum(w, dw, {"learning_rate": 0.1})
    v = -0.1 * dw
    np.testing.assert_allclose(w1, w + 1.9 * v)


def test_rmsprop_two_steps():
    w, dw = _wd()
    config = {"learning_rate": 1e-2}
    w1, config = optim.rmsprop(w, dw, config)
    cache = 0.01 * dw**2
    np.testing.assert_allclose(w1, w - 1e-2 * dw / (np.sqrt(cache) + 1e-8))
    w2, config = optim.rmsprop(w1, dw, config)
    cache = 0.99 * cache + 0.01 * dw**2
    np.testing.assert_allclose(w2, w1 - 1e-2 * dw / (np.sqrt(cache) + 1e-8))


def test_adam_bias_correction_makes_first_step_sign_like():
    w, dw = _wd()
    w1, config = optim.adam(w, dw, {"learning_rate": 1e-2})
    assert config["t"] == 1
    # With bias correction the first step is lr * dw / |dw| (up to epsilon).
    np.testing.assert_allclose(w1, w - 1e-2 * np.sign(dw), atol=1e-7)
    _, config = optim.adam(w1, dw, config)
    assert config["t"] == 2


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "sgd_nesterov_momentum", "rmsprop", "adam"])
def test_rules_minimise_a_quadratic(rule):
    w = np.array([3.0, -2.0])
    config = {"learning_rate": 0.05}
    fn = getattr(optim, rule)
    for _ in range(500):
        w, config = fn(w, 2 * w, config)
    assert np.all(np.abs(w) < 0.1)


def _textbook_adam(w, dw, m, v, t, lr, b1, b2, eps):
    """Adam as the papers write it: bias-corrected moments, then the step."""
    t += 1
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw**2
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t


def test_adam_matches_the_textbook_form_over_steps():
    """The folded bias correction is the same update as m_hat / (sqrt(v_hat) + eps), from a
    mid-training state (t = 5, as in the notebook's check) and with a large epsilon, where
    folding it wrongly would show."""
    rng = np.random.default_rng(3)
    w, m, v = rng.standard_normal((3, 4, 5))
    v = np.abs(v)
    settings = {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-3}
    config = dict(settings, m=m.copy(), v=v.copy(), t=5)
    ww, mm, vv, t = w, m, v, 5
    for _ in range(4):
        dw = rng.standard_normal(w.shape)
        w, config = optim.adam(w, dw, config)
        ww, mm, vv, t = _textbook_adam(ww, dw, mm, vv, t, *settings.values())
        np.testing.assert_allclose(w, ww, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(config["m"], mm, rtol=1e-12)
    np.testing.assert_allclose(config["v"], vv, rtol=1e-12)
    assert config["t"] == t == 9


def test_adam_keeps_float32_end_to_end():
    """No float64 temporaries for float32 weights: the ConvNet trains in float32."""
    rng = np.random.default_rng(4)
    w = rng.standard_normal((6, 7)).astype(np.float32)
    config = {}
    for _ in range(3):
        w, config = optim.adam(w, rng.standard_normal((6, 7)).astype(np.float32), config)
    assert w.dtype == config["m"].dtype == config["v"].dtype == np.float32

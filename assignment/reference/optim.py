"""First-order update rules.

Every rule has the signature ``rule(w, dw, config) -> (next_w, config)``:

- ``w``: ndarray, the current weights; ``dw``: ndarray of the same shape, the gradient of
  the loss with respect to ``w``;
- ``config``: dict of hyperparameters and state (moving averages...), filled with the
  defaults below when ``None`` or when a key is absent, and returned so the caller can
  pass it back at the next step.
"""

import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent.

    config: ``learning_rate`` (default 1e-2).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w = None
    ### BEGIN SOLUTION
    next_w = w - config["learning_rate"] * dw
    ### END SOLUTION
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum.

    config: ``learning_rate`` (1e-2), ``momentum`` (0.9), ``velocity`` (zeros like w).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = None
    ### BEGIN SOLUTION
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    ### END SOLUTION
    config["velocity"] = v
    return next_w, config


def sgd_nesterov_momentum(w, dw, config=None):
    """Stochastic gradient descent with Nesterov momentum (the CS231n formulation).

    config: ``learning_rate`` (1e-2), ``momentum`` (0.9), ``velocity`` (zeros like w).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = None
    ### BEGIN SOLUTION
    mu = config["momentum"]
    v_prev = v
    v = mu * v - config["learning_rate"] * dw
    next_w = w - mu * v_prev + (1 + mu) * v
    ### END SOLUTION
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: per-parameter step sizes from a moving average of squared gradients.

    config: ``learning_rate`` (1e-2), ``decay_rate`` (0.99), ``epsilon`` (1e-8),
    ``cache`` (zeros like w).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    next_w = None
    ### BEGIN SOLUTION
    dr = config["decay_rate"]
    config["cache"] = dr * config["cache"] + (1 - dr) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    ### END SOLUTION
    return next_w, config


def adam(w, dw, config=None):
    """Adam: moving averages of the gradient and its square, with bias correction.

    config: ``learning_rate`` (1e-3), ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon``
    (1e-8), ``m`` and ``v`` (zeros like w), ``t`` (0; incremented before it is used).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    next_w = None
    ### BEGIN SOLUTION
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    # The moving averages are updated in place: no new arrays the size of w.
    m, v = config["m"], config["v"]
    m *= b1
    m += (1 - b1) * dw
    v *= b2
    v += (1 - b2) * dw * dw
    # The bias corrections m / (1 - b1**t) and v / (1 - b2**t), folded into two scalars:
    # the same step as lr * m_hat / (sqrt(v_hat) + eps), with fewer passes over w.
    correction = (1 - b2**t) ** 0.5
    step_size = config["learning_rate"] * correction / (1 - b1**t)
    next_w = w - step_size * m / (np.sqrt(v) + config["epsilon"] * correction)
    ### END SOLUTION
    return next_w, config

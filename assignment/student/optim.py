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
    # YOUR CODE HERE
    raise NotImplementedError("sgd: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("sgd_momentum: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("sgd_nesterov_momentum: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("rmsprop: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("adam: not implemented yet")
    return next_w, config

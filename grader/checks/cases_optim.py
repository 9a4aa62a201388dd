"""Checks of ``optim.py``: each update rule over several steps, weights and state.

Each case runs the rule for :data:`STEPS` steps with explicit hyperparameters, feeding the
returned config back in (as the Solver does), and compares every intermediate weight and
the final state; one more step with ``config=None`` checks the CS231n defaults.
"""

import numpy as np

from .case import Case, pair, seeded

STEPS = 5
F64 = 1e-6
RULES = {
    "sgd": ({"learning_rate": 0.05}, ()),
    "sgd_momentum": ({"learning_rate": 0.05, "momentum": 0.8}, ("velocity",)),
    "sgd_nesterov_momentum": ({"learning_rate": 0.05, "momentum": 0.8}, ("velocity",)),
    "rmsprop": ({"learning_rate": 0.01, "decay_rate": 0.95, "epsilon": 1e-8}, ("cache",)),
    "adam": ({"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-8},
             ("m", "v", "t")),
}
POINTS = {"sgd": 1, "sgd_momentum": 2, "sgd_nesterov_momentum": 2, "rmsprop": 2, "adam": 3}


def _inputs(seed):
    r = seeded(seed)
    return {"w": r.standard_normal((4, 5)), "dws": r.standard_normal((STEPS, 4, 5))}


def _runner(rule, config, state):
    def run(mods, i):
        fn = getattr(mods.optim, rule)
        w, cfg, ws = i["w"], dict(config), []
        for k in range(STEPS):
            w, cfg = pair(fn(w, i["dws"][k], cfg), rule)
            if not isinstance(cfg, dict):
                raise TypeError(f"{rule} should return (next_w, config dict)")
            ws.append(w)
        out = {"w": np.stack([np.asarray(x, dtype=np.float64) for x in ws])}
        for key in state:
            out[key] = cfg.get(key)
        first, _ = pair(fn(i["w"], i["dws"][0], None), rule)
        out["w_default"] = first
        return out
    return run


def _case(k, rule):
    config, state = RULES[rule]
    outputs = ("w",) + state + ("w_default",)
    split = {"w": 2, **{s: 1 for s in state}, "w_default": 1}
    return Case(f"{rule}.steps", f"{rule}: {STEPS} steps and default config", f"optim.{rule}",
                POINTS[rule], lambda: _inputs(70 + k), _runner(rule, config, state), outputs,
                F64, split=split, visibility="public" if rule in ("sgd_momentum", "rmsprop",
                                                                   "adam") else "hidden",
                describe=f"w (4,5), {STEPS} seeded gradients, config {config}",
                missing={s: f"{rule} did not store config['{s}'], the state the next step "
                         "needs" for s in state})


CASES = [_case(k, rule) for k, rule in enumerate(RULES)]

"""The training check's driver: one epoch of the notebook's recipe with the provided Solver.

Runs where the student's code runs: in the sandbox worker, where it is copied as
``submission/_grader_training.py`` (:mod:`grader.sandbox.scratch`) and called like a student
function, or in the grader's own process on trusted modules (the reference, its mutants).
It imports only numpy and the provided Solver, and holds no expected value: the grader
judges the weights it returns with its own forward pass (:mod:`grader.checks.training`),
so what the student's code does to this module can change how training goes, never how it
is scored.
"""

import time

import numpy as np


def train(cnn, optim, X, y, X_val, y_val, recipe, probe=None):
    """Train ``cnn.ThreeLayerConvNet`` with ``optim``'s update rule for one epoch.

    Parameters
    ----------
    cnn, optim : module
        The student's modules (or the reference's).
    X : ndarray of shape (N, 3, 32, 32)
    y : ndarray of shape (N,)
    X_val, y_val : ndarray
        Validation split (the Solver keeps the parameters that score best on it).
    recipe : dict
        ``model`` (keyword arguments of the model), ``solver`` (of the Solver), ``seed``.
    probe : ndarray of shape (n,), optional
        Indices of training images whose accuracy, as the student's own model scores them,
        is logged every ``recipe["log_every"]`` iterations (for the report's curve only).

    Returns
    -------
    params : dict of str to ndarray
        The parameters the Solver ends with.
    log : dict of str to ndarray
        ``loss`` per iteration, ``acc_iter`` and ``acc`` (the logged accuracies, as the
        student's model scores them) and ``seconds`` (the training time).
    """
    from assignment.solver import Solver

    log_every = int(recipe.get("log_every", 2))
    probe_X = X[probe] if probe is not None else X[:50]
    probe_y = y[probe] if probe is not None else y[:50]
    iters, accs = [], []

    def log_accuracy(model, t):
        scores = np.asarray(model.loss(probe_X), dtype=np.float64)
        iters.append(t)
        accs.append(float(np.mean(np.argmax(scores, axis=1) == probe_y)))

    class LoggingSolver(Solver):
        """The provided Solver, logging the student's accuracy on a few images as it goes."""

        def _step(self):
            super()._step()
            t = len(self.loss_history)
            if t % log_every == 0:
                log_accuracy(self.model, t)

    np.random.seed(int(recipe["seed"]))
    model = cnn.ThreeLayerConvNet(**recipe["model"])
    start = time.perf_counter()
    log_accuracy(model, 0)
    solver = LoggingSolver(model, {"X_train": X, "y_train": y, "X_val": X_val, "y_val": y_val},
                           optim_module=optim, verbose=False, seed=int(recipe["seed"]),
                           **recipe["solver"])
    solver.train()
    seconds = time.perf_counter() - start
    params = {k: np.asarray(v) for k, v in dict(model.params).items()}
    log = {"loss": np.asarray(solver.loss_history, dtype=np.float64),
           "acc_iter": np.asarray(iters, dtype=np.float64),
           "acc": np.asarray(accs, dtype=np.float64), "seconds": seconds}
    return params, log


class GraderAdam:
    """An Adam update the grader trusts (CS231n's defaults), standing in for the student's
    when theirs is charged in its own checks: the network is then judged on its own."""

    __name__ = "grader's Adam"

    @staticmethod
    def adam(w, dw, config=None):
        c = dict(config or {})
        lr, beta1, beta2 = c.get("learning_rate", 1e-3), c.get("beta1", 0.9), c.get("beta2", 0.999)
        step = c.get("t", 0) + 1
        first = beta1 * c.get("m", 0.0) + (1.0 - beta1) * dw
        second = beta2 * c.get("v", 0.0) + (1.0 - beta2) * np.square(dw)
        scale = lr * np.sqrt(1.0 - beta2 ** step) / (1.0 - beta1 ** step)
        c.update(t=step, m=first, v=second)
        return w - scale * first / (np.sqrt(second) + c.get("epsilon", 1e-8)), c


def run(X, y, X_val, y_val, recipe, probe, optimiser="student"):
    """The worker's entry point: :func:`train` on the submission's ``cnn`` with its own
    ``optim`` (``optimiser="student"``) or with :class:`GraderAdam` (``"grader"``: the
    student's optim is then never imported)."""
    from . import cnn

    if optimiser == "student":
        from . import optim
    else:
        optim = GraderAdam
    return train(cnn, optim, X, y, X_val, y_val, recipe, probe)

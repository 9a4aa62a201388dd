"""Minibatch training of a classification model (provided to students complete).

A model exposes ``params`` (dict of name -> ndarray) and ``loss(X, y=None)`` returning
scores when ``y`` is None and ``(loss, grads)`` otherwise. The Solver runs an update rule
on every parameter, records histories and keeps the best parameters on validation.
"""

import importlib
import os
import pickle

import numpy as np

_KNOWN_KWARGS = {
    "update_rule",
    "optim_config",
    "lr_decay",
    "batch_size",
    "num_epochs",
    "num_train_samples",
    "num_val_samples",
    "checkpoint_name",
    "print_every",
    "verbose",
    "optim_module",
    "seed",
}


def _sibling_optim_module(model):
    """The ``optim`` module beside the model's own module (reference, student or submission)."""
    package = type(model).__module__.rpartition(".")[0]
    candidates = [f"{package}.optim"] if package else []
    candidates.append(f"assignment.{os.environ.get('ASSIGNMENT_IMPL', 'student')}.optim")
    for name in candidates:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(f"no optim module found among {candidates}")


class Solver:
    """Train a model with minibatch updates and track loss and accuracy.

    Parameters
    ----------
    model : object
        Has ``params`` and ``loss(X, y=None)`` as described in the module docstring.
    data : dict
        ``X_train`` (N_train, ...), ``y_train`` (N_train,), ``X_val`` (N_val, ...),
        ``y_val`` (N_val,).
    update_rule : str or callable
        Name of a rule in the model's sibling ``optim`` module (``'sgd'``, ``'adam'``...)
        or the rule itself, ``rule(w, dw, config) -> (next_w, config)``. Default ``'sgd'``.
    optim_config : dict
        Hyperparameters given to the update rule (each parameter gets its own copy).
    lr_decay : float
        Learning-rate multiplier applied after every epoch. Default 1.0.
    batch_size : int
        Default 100.
    num_epochs : int
        Default 10.
    num_train_samples : int or None
        Training examples used to measure training accuracy (default 1000; None: all).
    num_val_samples : int or None
        Validation examples used to measure validation accuracy (default None: all).
    checkpoint_name : str or None
        When set, a checkpoint ``{name}_epoch_{e}.pkl`` is written after every epoch.
    print_every : int
        Iterations between loss prints when verbose. Default 10.
    verbose : bool
        Default True.
    optim_module : module, optional
        Where string update rules are looked up (default: the model's sibling ``optim``).
    seed : int, optional
        Seeds minibatch sampling through a local generator.

    Raises
    ------
    ValueError
        On an unknown keyword argument or an update rule that does not exist.
    """

    def __init__(self, model, data, **kwargs):
        unknown = sorted(set(kwargs) - _KNOWN_KWARGS)
        if unknown:
            raise ValueError(f"Unrecognized arguments {', '.join(unknown)}")
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]

        self.update_rule = kwargs.get("update_rule", "sgd")
        self.optim_config = kwargs.get("optim_config", {})
        self.lr_decay = kwargs.get("lr_decay", 1.0)
        self.batch_size = kwargs.get("batch_size", 100)
        self.num_epochs = kwargs.get("num_epochs", 10)
        self.num_train_samples = kwargs.get("num_train_samples", 1000)
        self.num_val_samples = kwargs.get("num_val_samples", None)
        self.checkpoint_name = kwargs.get("checkpoint_name", None)
        self.print_every = kwargs.get("print_every", 10)
        self.verbose = kwargs.get("verbose", True)
        self.rng = np.random.default_rng(kwargs.get("seed"))

        if isinstance(self.update_rule, str):
            module = kwargs.get("optim_module") or _sibling_optim_module(model)
            rule = getattr(module, self.update_rule, None)
            if not callable(rule):
                raise ValueError(
                    f'Invalid update_rule "{self.update_rule}": {module.__name__} has no such rule'
                )
            self.update_rule = rule
        elif not callable(self.update_rule):
            raise ValueError(f"update_rule must be a name or a callable, got {self.update_rule!r}")
        self._reset()

    def _reset(self):
        """Clear the bookkeeping; called by the constructor."""
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self):
        """One minibatch gradient update of every parameter."""
        num_train = self.X_train.shape[0]
        batch = self.rng.choice(num_train, self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch], self.y_train[batch])
        self.loss_history.append(float(loss))
        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def _save_checkpoint(self):
        """Write the model and histories to ``{checkpoint_name}_epoch_{epoch}.pkl``."""
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.pkl"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        with open(filename, "wb") as f:
            pickle.dump(checkpoint, f)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Fraction of correctly classified examples.

        Parameters
        ----------
        X : ndarray of shape (N, ...)
        y : ndarray of shape (N,)
        num_samples : int, optional
            Evaluate on a random subset of this size.
        batch_size : int
            Examples per forward pass.

        Returns
        -------
        float
        """
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self.rng.choice(N, num_samples)
            X, y, N = X[mask], y[mask], num_samples
        y_pred = []
        for start in range(0, N, batch_size):
            scores = self.model.loss(X[start : start + batch_size])
            y_pred.append(np.argmax(scores, axis=1))
        return float(np.mean(np.hstack(y_pred) == y))

    def train(self):
        """Run the optimisation; ``model.params`` ends as the best validation parameters."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for config in self.optim_configs.values():
                    if "learning_rate" in config:
                        config["learning_rate"] *= self.lr_decay

            if t == 0 or t == num_iterations - 1 or epoch_end:
                train_acc = self.check_accuracy(
                    self.X_train, self.y_train, num_samples=self.num_train_samples
                )
                val_acc = self.check_accuracy(
                    self.X_val, self.y_val, num_samples=self.num_val_samples
                )
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                self._save_checkpoint()
                if self.verbose:
                    print(
                        f"(Epoch {self.epoch} / {self.num_epochs}) "
                        f"train acc: {train_acc:f}; val_acc: {val_acc:f}"
                    )
                if val_acc > self.best_val_acc:
                    self.best_val_acc = val_acc
                    self.best_params = {k: v.copy() for k, v in self.model.params.items()}

        self.model.params = self.best_params

"""The training target, judged by the grader: one epoch of the notebook's recipe.

``CNN.ipynb`` trains the student's ``ThreeLayerConvNet`` for one epoch with the provided
``Solver`` and Adam (the seeds' target: more than 40% training accuracy on CIFAR-10), but
there the student's kernel prints the number. This hidden check trains the same way where
it can be trusted to be bounded and judged apart from the student:

- **where**: in the sandbox worker (the driver, :mod:`grader.checks.training_driver`, runs
  the provided Solver on the submission's ``cnn`` and ``optim``); the images travel through
  the protocol as plain arrays (no data path is opened to the worker);
- **recipe** (:data:`RECIPE`): the notebook's small-data one, with a fixed seed: weight
  scale 1e-3, 100 hidden units, reg 1e-3, batches of 50, Adam at 1e-3, one epoch over the
  first 500 training images (10 iterations), the Solver keeping the parameters that score
  best on the next 100;
- **data** (:func:`load_data`): CIFAR-10 (``data_batch_1``) when the grader has it, else
  the offline fallback of ``assignment.data_utils`` (Fashion-MNIST, else scikit-learn's
  digits), mean-subtracted like ``get_CIFAR10_data``; only a dataset with a stored
  threshold for exactly these images (their SHA-256) is used;
- **verdict**: the grader computes the training accuracy itself (on the first 250
  training images), with its own forward pass (:func:`trusted_scores`) on the weights the
  Solver ended with, and compares it with
  the stored threshold (:data:`REFERENCE_FILE`, written by
  ``python -m grader.checks.training_calibrate``: the reference trained with the recipe's
  seed and ten other seeds on the same images; threshold = mean - 5 standard deviations of
  those runs, so a correct implementation whose random draws differ from the reference's
  still passes, while a network that does not learn stays far below).

Two verdicts, one mistake charged once (:func:`check_training`): the network
(:data:`CHECK_ID`, 3 points) and the student's Adam training it (:data:`ADAM_ID`, 1 point);
when the run with the student's Adam fails, the network is trained again with the grader's
Adam, so a wrong optimiser costs the optimiser, and a wrong network the network.

The student's loss and accuracy curves (as the student's own code reports them, for the
eye only) and the reference's go into ``details["curves"]`` for the HTML report.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from ..result import CheckResult
from ..sandbox import StudentError
from ..sandbox.protocol import clean_text
from . import training_driver
from .evaluate import charged as charged_checks
from .trusted_net import trusted_scores

CHECK_ID = "three_layer_convnet.train"
FUNCTION = "cnn.ThreeLayerConvNet"
POINTS = 3.0
ADAM_ID = "adam.train"
ADAM = "optim.adam"
ADAM_POINTS = 1.0
REFERENCE_FILE = Path(__file__).resolve().parents[1] / "golden" / "expected" / "training.json"
RECIPE = {
    "n_train": 500, "n_val": 100, "n_eval": 250, "seed": 231, "log_every": 2,
    "model": {"weight_scale": 1e-3, "hidden_dim": 100, "reg": 1e-3},
    "solver": {"num_epochs": 1, "batch_size": 50, "update_rule": "adam",
               "optim_config": {"learning_rate": 1e-3}, "num_train_samples": 100,
               "print_every": 1000},
}
PROBE = 50  # images whose accuracy the curve logs (the first ones of the training split)
CALL_TIMEOUT = 30.0  # seconds for the whole training call in the worker
BUDGET = 40.0
STATUS_OF_KIND = {"timeout": "timeout", "missing": "missing", "not_implemented": "failed"}


def recipe_hash() -> str:
    return hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:16]


def _fingerprint(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _cifar_dir() -> Path:
    from assignment import data_utils

    return Path(os.environ.get("CIFAR10_DIR") or data_utils.DEFAULT_CIFAR10_DIR)


def _raw(name: str):
    """``(X (N, 32, 32, 3), y)`` of the first training images of one dataset, or None."""
    from assignment import data_utils

    n = RECIPE["n_train"] + RECIPE["n_val"]
    try:
        if name == "CIFAR-10":
            batch = _cifar_dir() / "data_batch_1"
            if not batch.is_file():
                return None
            import pickle

            with open(batch, "rb") as f:  # the grader's own copy of the data set
                raw = pickle.load(f, encoding="latin1")
            X = np.asarray(raw["data"][:n]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            return X.astype(np.float64), np.asarray(raw["labels"][:n], dtype=np.int64)
        if name == "Fashion-MNIST":
            root = Path(os.environ.get("FASHION_MNIST_DIR") or data_utils.FASHION_MNIST_DIR)
            if not (root / "train-images-idx3-ubyte.gz").is_file():
                return None
            X, y, _, _ = data_utils.load_fashion_mnist(root, max_train=n, max_test=1)
            return X[:n], y[:n]
        X, y, _, _ = data_utils.load_digits_as_cifar()
        return X[:n], y[:n]
    except (OSError, ValueError, ImportError, KeyError, EOFError):
        return None


DATASETS = ("CIFAR-10", "Fashion-MNIST", "digits")


def prepare(name: str):
    """The recipe's splits of one dataset: a dict, or None when it is not on this machine."""
    raw = _raw(name)
    if raw is None or len(raw[0]) < RECIPE["n_train"] + RECIPE["n_val"]:
        return None
    X, y = raw
    X = X.transpose(0, 3, 1, 2).astype(np.float64)
    n = RECIPE["n_train"]
    mean = X[:n].mean(axis=0)
    X = np.ascontiguousarray((X - mean).astype(np.float32))
    y = np.ascontiguousarray(y.astype(np.int64))
    return {"dataset": name, "X": X[:n], "y": y[:n], "X_val": X[n:], "y_val": y[n:],
            "probe": np.arange(PROBE, dtype=np.int64), "fingerprint": _fingerprint(X, y)}


def stored() -> dict:
    """The stored thresholds (``grader/golden/expected/training.json``, hashed
    into the grader's fingerprint like the other stored outputs); empty when absent."""
    try:
        data = json.loads(REFERENCE_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=1)
def load_data():
    """The first dataset of :data:`DATASETS` that is here and has a stored threshold for
    exactly these images: ``(data, reference entry)``, or ``(None, why)``."""
    table = stored()
    if table.get("recipe") != recipe_hash():
        return None, "the stored thresholds are for another recipe: run `make calibrate`"
    for name in DATASETS:
        entry = (table.get("datasets") or {}).get(name)
        if not entry:
            continue
        data = prepare(name)
        if data is not None and data["fingerprint"] == entry.get("fingerprint"):
            return data, entry
    return None, ("no dataset with a stored threshold is available here (CIFAR-10, "
                  "Fashion-MNIST or scikit-learn's digits)")


def accuracy(params, X, y) -> float:
    """The grader's training accuracy of ``params``: on the first ``n_eval`` images."""
    X, y = X[:RECIPE["n_eval"]], y[:RECIPE["n_eval"]]
    scores = trusted_scores(params, X, dtype=np.float32)
    if scores.shape != (len(y), 10) or not np.all(np.isfinite(scores)):
        raise ValueError(f"the weights give scores of shape {scores.shape}"
                         + ("" if np.all(np.isfinite(scores)) else " with NaN or inf"))
    return float(np.mean(np.argmax(scores, axis=1) == y))


def run_training(mods, data, optimiser="student"):
    """Train with the recipe: in the worker when ``mods`` is the sandbox proxy, else here
    (``optimiser``: the student's ``optim`` or the grader's Adam)."""
    args = (data["X"], data["y"], data["X_val"], data["y_val"], _recipe_for_driver(),
            data["probe"])
    sb = getattr(mods, "sandbox", None)
    if sb is None:
        optim = mods.optim if optimiser == "student" else training_driver.GraderAdam
        return training_driver.train(mods.cnn, optim, *args)
    for attempt in (1, 2):
        used = sb.proc is not None and sb.served > 0
        try:
            return sb.call("_grader_training.run", *args, optimiser=optimiser,
                           _timeout=CALL_TIMEOUT, _seed=RECIPE["seed"])
        except StudentError as exc:
            # a worker that earlier calls left dying or stuck: once more, in a fresh one
            if attempt == 2 or not used or exc.kind not in ("crash", "timeout"):
                raise


def _recipe_for_driver() -> dict:
    return {k: v for k, v in RECIPE.items() if k in ("seed", "log_every", "model", "solver")}


def _series(values, limit=2000) -> list:
    """A finite float list for the report (anything else dropped)."""
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()[:limit]
    except (TypeError, ValueError):
        return []
    return [round(float(v), 6) if np.isfinite(v) else None for v in arr]


def _curves(log, entry) -> dict:
    log = log if isinstance(log, dict) else {}
    ref = entry.get("curve") or {}
    return {"student": {"loss": _series(log.get("loss", [])),
                        "acc_iter": _series(log.get("acc_iter", [])),
                        "acc": _series(log.get("acc", []))},
            "reference": {"loss": _series(ref.get("loss", [])),
                          "acc_iter": _series(ref.get("acc_iter", [])),
                          "acc": _series(ref.get("acc", []))},
            "accuracy_note": f"accuracy on {PROBE} training images, as each model scores "
                             "them"}


class _Run:
    """One training run: its verdict, or why there is none."""

    def __init__(self, optimiser):
        self.optimiser, self.acc, self.log, self.error, self.kind = optimiser, None, {}, "", ""

    @property
    def passed(self):
        return self.acc is not None and self.acc >= self.threshold


def _train(student, data, optimiser, threshold) -> _Run:
    run = _Run(optimiser)
    run.threshold = threshold
    try:
        params, run.log = run_training(student, data, optimiser)
    except StudentError as exc:
        run.error, run.kind = f"training failed: {exc.message}", exc.kind
        return run
    except (TypeError, ValueError) as exc:
        run.error, run.kind = f"training returned something unusable: {exc}", "failed"
        return run
    try:
        run.acc = accuracy(params, data["X"], data["y"])
    except (ValueError, KeyError, TypeError) as exc:
        run.error, run.kind = f"the trained parameters do not fit the network: {exc}", "failed"
    return run


def check_training(student, prior=None) -> list[CheckResult]:
    """The training checks against ``student`` (the sandbox proxy), given the checks graded
    before (``prior``, by id): :data:`CHECK_ID` (the network) and :data:`ADAM_ID` (the
    student's Adam training it).

    One mistake, one charge: the network is trained with the student's Adam; when that run
    fails, again with the grader's Adam. The network earns its points when either run
    reaches the threshold (or when ``three_layer_convnet.loss`` found it right given
    building blocks charged in their own checks); the student's Adam earns its point when
    its own run does, and keeps it when the network cannot train at all (it is judged by its
    own checks then). A student ``optim`` that does not import is never imported here.
    """
    start = time.perf_counter()
    data, entry = load_data()
    net = dict(id=CHECK_ID, name="ThreeLayerConvNet trains one epoch with the Solver to the "
               "training target", max_score=POINTS, visibility="hidden", group="cnn",
               functions=[FUNCTION])
    opt = dict(id=ADAM_ID, name="your Adam trains the network with the Solver",
               max_score=ADAM_POINTS, visibility="hidden", group="optim", functions=[ADAM])

    def result(base, fn, score, status, feedback, details, error=None, threshold=None):
        details = dict(details, function=fn,
                       by_function={fn: {"score": score, "max_score": base["max_score"]}})
        return CheckResult(score=score, status=status, feedback=clean_text(feedback, 1000),
                           seconds=round(time.perf_counter() - start, 3), details=details,
                           error=error, threshold=threshold, **base)

    if data is None:
        why = f"the training check could not run: {entry}"
        return [result(net, FUNCTION, 0.0, "error", why, {}),
                result(opt, ADAM, 0.0, "error", why, {})]
    threshold = float(entry["threshold"])
    details = {"dataset": data["dataset"], "threshold": threshold,
               "reference_accuracy": entry.get("accuracy")}
    sb = getattr(student, "sandbox", None)
    broken = _optim_problem(sb)
    if sb is not None:
        sb.check_deadline = time.monotonic() + BUDGET
    try:
        own = None if broken else _train(student, data, "student", threshold)
        grader = None if own is not None and own.passed else _train(student, data, "grader",
                                                                      threshold)
    finally:
        if sb is not None:
            sb.check_deadline = None
    shown = own if own is not None and own.acc is not None else grader
    curves = {}
    if shown is not None and shown.acc is not None:
        details.update(accuracy=round(shown.acc, 4),
                       train_seconds=round(float(shown.log.get("seconds", 0.0)), 3),
                       optimiser=shown.optimiser)
        curves = {"curves": _curves(shown.log, entry)}  # drawn once, with the network
    recipe = (f"one epoch ({RECIPE['n_train']} {data['dataset']} images, Adam 1e-3, batch 50, "
              f"seed {RECIPE['seed']}); the grader measures the training accuracy on the "
              f"first {RECIPE['n_eval']} images with the weights it ends with (needed: "
              f"{threshold:.2f}; the reference reaches {float(entry.get('accuracy', 0)):.3f})")

    def said(run):
        if run.acc is None:
            return run.error
        who = "your Adam" if run.optimiser == "student" else "the grader's Adam"
        return f"with {who}: accuracy {run.acc:.3f}"

    measured = {}
    if shown is not None and shown.acc is not None:
        measured = dict(error=round(1 - shown.acc, 4), threshold=round(1 - threshold, 4))
    runs = [r for r in (own, grader) if r is not None]
    lead = (prior or {}).get("three_layer_convnet.loss")
    rescued = lead is not None and (lead.details or {}).get("rescued") and \
        lead.score >= lead.max_score - 1e-9
    if any(r.passed for r in runs):
        net_result = result(net, FUNCTION, POINTS, "passed", f"{recipe}: "
                            + "; ".join(said(r) for r in runs), {**details, **curves},
                            **measured)
    elif rescued:
        net_result = result(net, FUNCTION, POINTS, "passed", "not charged here: "
                            "three_layer_convnet.loss found the network right given your "
                            "building blocks, which are charged in their own checks ("
                            + "; ".join(said(r) for r in runs) + ")", {**details, **curves},
                            **measured)
    else:
        kinds = {r.kind for r in runs if r.acc is None}
        status = "timeout" if kinds == {"timeout"} else "error" if runs and all(
            r.acc is None for r in runs) else "failed"
        net_result = result(net, FUNCTION, 0.0, status, f"{recipe}: " + "; ".join(
            said(r) for r in runs) + ": check the gradients of the network",
                            {**details, **curves}, **measured)
    if broken:
        kind, message = broken
        status = "missing" if kind == "missing" else "error"
        adam_result = result(opt, ADAM, 0.0, status, message, details)
    elif own is not None and own.passed:
        adam_result = result(opt, ADAM, ADAM_POINTS, "passed", f"{recipe}: {said(own)}",
                             details, **measured)
    elif grader is not None and grader.passed:
        adam_result = result(opt, ADAM, 0.0, "failed" if own.acc is not None else "error",
                             f"{recipe}: {said(own)}, but {said(grader)}: your adam does not "
                             "train the network", details, **measured)
    else:  # the network does not train: adam is judged by its own checks only
        charged = charged_checks(prior, ADAM)
        keep = not charged
        adam_result = result(opt, ADAM, ADAM_POINTS if keep else 0.0,
                             "passed" if keep else "failed",
                             "not judged here: the network does not train with any Adam ("
                             + "; ".join(said(r) for r in runs) + ")" + (
                                 "" if keep else f"; adam lost points in {', '.join(charged)}"),
                             details)
    return [net_result, adam_result]


def _optim_problem(sb):
    """``(kind, message)`` when the student's optim cannot be imported, else None."""
    if sb is None:
        return None
    if "optim" not in sb.files:
        return "missing", "optim.py is missing from the submission"
    try:
        sb.ensure_imported("optim")
    except StudentError as exc:
        return exc.kind, exc.message
    return None

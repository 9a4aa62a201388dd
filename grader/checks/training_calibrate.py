"""Store the training check's thresholds from the reference (``make calibrate``).

``python -m grader.checks.training_calibrate [--seeds 10]`` trains the reference
``ThreeLayerConvNet`` with the check's recipe (:data:`grader.checks.training.RECIPE`) on
every dataset available here (CIFAR-10 when ``CIFAR10_DIR`` or
``assignment/datasets/cifar-10-batches-py`` holds it, Fashion-MNIST, scikit-learn's
digits): once with the recipe's seed (the reference's accuracy and curves, shown next to
the student's) and with ``--seeds`` other seeds (the run-to-run noise of a correct
implementation whose random draws differ). The threshold is the mean of those runs minus
five standard deviations, rounded down to 0.01; each entry records the images' SHA-256, so
the grader only uses a threshold on exactly the images it was set on. Entries of datasets
absent here are kept.

Imports ``assignment.reference``: not shipped in the Gradescope bundle.
"""

import argparse
import json
import sys

import numpy as np
from threadpoolctl import threadpool_limits

from . import training


def reference_entry(cnn, optim, data, seeds=10):
    """Calibrate one dataset with trusted modules (see the module docstring): the stored
    entry and the reference's training time (printed, not stored: it varies)."""
    def run(seed):
        recipe = dict(training._recipe_for_driver(), seed=seed)
        return training.training_driver.train(cnn, optim, data["X"], data["y"], data["X_val"],
                                              data["y_val"], recipe, data["probe"])

    params, log = run(training.RECIPE["seed"])
    fixed = training.accuracy(params, data["X"], data["y"])
    runs = [training.accuracy(run(training.RECIPE["seed"] + 1000 * s)[0], data["X"],
                              data["y"]) for s in range(1, seeds + 1)]
    mean, std = float(np.mean(runs)), float(np.std(runs, ddof=1))
    threshold = float(np.floor((mean - 5 * std) * 100) / 100)
    curve = {k: training._series(log[k]) for k in ("loss", "acc_iter", "acc")}
    return {"fingerprint": data["fingerprint"], "accuracy": round(fixed, 4),
            "runs": [round(r, 4) for r in runs], "mean": round(mean, 4), "std": round(std, 4),
            "threshold": threshold, "margin_in_std": round((fixed - threshold) / std, 2),
            "curve": curve}, float(log["seconds"])


def calibrate(seeds: int = 10, names=training.DATASETS) -> dict:
    from assignment.reference import cnn, optim

    table = training.stored()
    if table.get("recipe") != training.recipe_hash():
        table = {}
    table["recipe"] = training.recipe_hash()
    datasets = dict(table.get("datasets") or {})
    with threadpool_limits(1):  # as in the worker
        for name in names:
            data = training.prepare(name)
            if data is None:
                print(f"{name}: not on this machine (entry kept: {name in datasets})")
                continue
            entry, seconds = reference_entry(cnn, optim, data, seeds)
            datasets[name] = entry
            print(f"{name}: reference {entry['accuracy']:.3f} in {seconds:.2f} s; "
                  f"{seeds} other seeds {entry['mean']:.3f} +- {entry['std']:.3f} "
                  f"(min {min(entry['runs']):.3f}); threshold {entry['threshold']:.2f} "
                  f"({entry['margin_in_std']:.1f} std below the reference)")
    table["datasets"] = datasets
    training.load_data.cache_clear()
    return table


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader.checks.training_calibrate",
                                description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    a = p.parse_args(argv)
    table = calibrate(a.seeds)
    training.REFERENCE_FILE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {training.REFERENCE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The hidden training checks: the reference passes with margin, a network that does not
learn and an Adam that does not train fail (each charged once), and the threshold is the one
stored for exactly the images used."""

import numpy as np
import pytest

from grader.checks import training
from grader.reports import curves
from grader.result import Result
from grader.samples import reference_sources
from grader.sandbox import Sandbox, StudentModules


def mutated(module, old, new):
    files = reference_sources()
    assert files[module].count(old) == 1, old
    files[module] = files[module].replace(old, new)
    return files


BROKEN = {
    # the softmax gradient with the wrong sign: every step climbs the loss
    "backward": mutated("cnn", "loss, dscores = softmax_loss(scores, y)",
                        "loss, dscores = softmax_loss(scores, y)\n        dscores = -dscores"),
    # Adam that returns the weights it was given
    "no update": mutated(
        "optim", 'next_w = w - step_size * m / (np.sqrt(v) + config["epsilon"] * correction)',
        "next_w = w"),
    # a model whose scores do not depend on the image
    "ignores input": mutated("cnn", '        W1, b1 = self.params["W1"], self.params["b1"]\n',
                             '        W1, b1 = self.params["W1"], self.params["b1"]\n'
                             '        X = np.zeros_like(X)\n'),
}


def run_check(files):
    """``(network result, adam result)``."""
    with Sandbox({k: v.encode() for k, v in files.items()}) as sb:
        net, adam = training.check_training(StudentModules(sb))
    assert (net.id, adam.id) == (training.CHECK_ID, training.ADAM_ID)
    return net, adam


@pytest.fixture(scope="module")
def reference_result():
    net, adam = run_check(reference_sources())
    assert adam.status == "passed" and adam.score == training.ADAM_POINTS, adam.feedback
    return net


def test_stored_threshold_is_for_this_recipe_and_these_images():
    table = training.stored()
    assert table["recipe"] == training.recipe_hash(), "run `make calibrate`"
    data, entry = training.load_data()
    assert data is not None, entry
    assert entry["fingerprint"] == data["fingerprint"]
    # the threshold sits well below every calibration run and far above chance
    assert entry["threshold"] <= min(entry["runs"]) - 2 * entry["std"]
    assert entry["threshold"] >= 0.3


def test_reference_passes_with_margin(reference_result):
    r = reference_result
    data, entry = training.load_data()
    assert r.status == "passed" and r.score == training.POINTS, r.feedback
    assert r.details["optimiser"] == "student"
    assert r.details["accuracy"] == pytest.approx(entry["accuracy"], abs=0.02)
    assert r.details["accuracy"] - r.details["threshold"] >= 0.08
    assert r.details["train_seconds"] < training.CALL_TIMEOUT / 3
    assert r.visibility == "hidden" and r.functions == ["cnn.ThreeLayerConvNet"]
    student = r.details["curves"]["student"]
    assert len(student["loss"]) == training.RECIPE["n_train"] // 50
    assert student["acc_iter"][0] == 0 and len(student["acc"]) == len(student["acc_iter"])


@pytest.mark.parametrize("bug", ["backward", "ignores input"])
def test_networks_that_do_not_learn_fail(bug, reference_result):
    net, adam = run_check(BROKEN[bug])
    assert net.status == "failed" and net.score == 0, net.feedback
    assert net.details["accuracy"] < net.details["threshold"] - 0.15, net.details
    assert "check the gradients" in net.feedback
    # no Adam can train it: the student's is judged by its own checks (none failed here)
    assert adam.score == training.ADAM_POINTS and "not judged here" in adam.feedback


def test_an_adam_that_does_not_update_fails_and_only_it(reference_result):
    net, adam = run_check(BROKEN["no update"])
    assert adam.status == "failed" and adam.score == 0, adam.feedback
    assert "does not train the network" in adam.feedback
    assert net.status == "passed" and net.score == training.POINTS, net.feedback
    assert "the grader's Adam" in net.feedback and net.details["optimiser"] == "student"


def test_a_broken_optim_is_never_imported_and_costs_only_adam():
    files = reference_sources()
    files["optim"] = "import time\nwhile True:\n    time.sleep(1)\n"  # hangs when imported
    with Sandbox({k: v.encode() for k, v in files.items()}, timeout=2) as sb:
        sb.ensure_imported("cnn")
        try:
            sb.ensure_imported("optim")
        except Exception:  # noqa: BLE001 -- marked broken, as api.grade does first
            pass
        net, adam = training.check_training(StudentModules(sb))
    assert net.status == "passed", net.feedback
    assert adam.score == 0 and adam.status == "error", adam.feedback


def test_an_unfinished_network_fails_with_its_error():
    files = reference_sources()
    files["cnn"] = files["cnn"].replace("class ThreeLayerConvNet", "class Renamed")
    net, adam = run_check(files)
    assert net.score == 0 and net.status == "error", net.feedback
    assert "ThreeLayerConvNet" in net.feedback


def test_trusted_forward_matches_the_reference_model():
    from assignment.reference import cnn

    np.random.seed(0)
    model = cnn.ThreeLayerConvNet(weight_scale=1e-2, hidden_dim=20)
    X = np.random.default_rng(1).standard_normal((7, 3, 32, 32)).astype(np.float32)
    ours = training.trusted_scores(model.params, X, dtype=np.float32)
    np.testing.assert_allclose(ours, model.loss(X), rtol=1e-4, atol=1e-5)
    with pytest.raises((ValueError, KeyError)):
        training.trusted_scores({"W1": np.zeros((2, 3, 4, 4))}, X, dtype=np.float32)


def test_curves_are_drawn_and_escaped(reference_result):
    page = curves.section(Result("s", "0" * 64, "0.1.0", [reference_result]))
    assert page.count("<svg") == 2 and "polyline" in page
    evil = reference_result.details["curves"] | {"accuracy_note": "<script>x</script>"}
    evil["student"] = {"loss": [1.0, float("nan"), "<b>", 2.0], "acc_iter": [0], "acc": [1e400]}
    html = curves.charts(evil)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


def test_calibration_is_not_shipped_to_gradescope():
    from tools.make_autograder import bundle_files

    names = bundle_files()
    assert "grader/checks/training_driver.py" in names and "grader/checks/training.py" in names
    assert "grader/checks/training_calibrate.py" not in names
    assert "notebooks/student/ConvolutionalNetworks.ipynb" in names

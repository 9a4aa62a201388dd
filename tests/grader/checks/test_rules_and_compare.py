"""Rule breaking (naive layers without the fast layers), the twin input, the 2 s comparison,
and messages that say what is missing."""

import time

import numpy as np
import pytest

from grader import compare
from grader.api import grade
from grader.checks.routing import NAIVE_RULE, RULE_MARK
from grader.sandbox import Sandbox, StudentError

FWD_ALLOC = "    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))\n"


def _files(make_submission, **replace):
    folder = make_submission(replace=replace)
    return {p.stem: p.read_bytes() for p in folder.glob("*.py")}


def test_the_naive_worker_has_no_fast_layer_code(make_submission):
    with Sandbox(_files(make_submission), fast_layers=False) as sb:
        fast = sb.scratch / "assignment" / "fast_layers"
        assert not list(fast.glob("*.so"))
        assert "im2col" not in (fast / "layers.py").read_text()
        # the skeleton's own import of the output-size rule still works
        out, _ = sb.call("conv_layers.conv_forward_naive", np.ones((1, 1, 4, 4)),
                         np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 1, "pad": 0})
        assert out.shape == (1, 1, 2, 2)


@pytest.mark.parametrize("attack", [
    ("from assignment.fast_layers import conv_forward_fast\n"
     "    return conv_forward_fast(x, w, b, conv_param)[0], (x, w, b, conv_param)\n"),
    ("import importlib, assignment.fast_layers as f\n    importlib.reload(f)\n"
     "    return f.conv_forward_fast(x, w, b, conv_param)[0], (x, w, b, conv_param)\n"),
    ("from assignment.fast_layers.im2col_cython import im2col_cython\n"
     "    im2col_cython(x, 3, 3, 1, 1)\n"),
    "from assignment.fast_layers import _numpy_backend as nb\n    nb.im2col(x)\n",
])
def test_a_naive_layer_cannot_reach_the_fast_layers(make_submission, attack):
    files = _files(make_submission, conv_layers=[(FWD_ALLOC, "    " + attack + FWD_ALLOC)])
    with Sandbox(files, fast_layers=False) as sb, pytest.raises(StudentError) as info:
        sb.call("conv_layers.conv_forward_naive", np.ones((1, 1, 4, 4)),
                np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 1, "pad": 0})
    assert RULE_MARK in info.value.message


def test_rule_breaking_scores_zero_and_quotes_the_rule(make_submission):
    cheat = ("    from assignment.fast_layers import conv_forward_fast\n"
             "    return conv_forward_fast(x, w, b, conv_param)[0], (x, w, b, conv_param)\n")
    r = grade(make_submission(replace={"conv_layers": [(FWD_ALLOC, cheat)]}), compare=False)
    by_id = {c.id: c for c in r.checks}
    fwd = [c for i, c in by_id.items() if i.startswith("conv_forward_naive.")]
    assert fwd and all(c.score == 0 for c in fwd)
    assert NAIVE_RULE in by_id["conv_forward_naive.public"].feedback
    # the backward pass is judged on the documented cache: not charged for the forward's rule
    assert by_id["conv_backward_naive.public"].score == by_id["conv_backward_naive.public"].max_score
    # the sandwich layers and the network legitimately use the fast layers: untouched
    assert by_id["conv_relu_pool.public"].status == "passed"


def test_missing_running_mean_is_named(make_submission):
    r = grade(make_submission(replace={"layers": [(
        '    bn_param["running_mean"] = running_mean\n', "")]}), compare=False)
    c = next(c for c in r.checks if c.id == "batchnorm_forward.train")
    assert "train mode did not store running_mean in bn_param" in c.feedback
    assert c.score == pytest.approx(2.5)  # out and running_var keep their shares
    assert "not implemented" not in c.feedback


def test_the_error_column_shows_a_failing_part(make_submission):
    r = grade(make_submission(replace={"layers": [("dx = dout * (x > 0)", "dx = 2 * dout")]}),
              compare=False)
    c = next(c for c in r.checks if c.id == "relu.public")
    assert c.status == "failed" and c.error > c.threshold  # dx's error, not out's 0.0


# ------------------------------------------------------------------------- naive vs fast
SLOW = ("    import time\n    t = time.monotonic()\n    while time.monotonic() - t < 30:\n"
        "        pass\n")


def test_the_comparison_takes_at_most_two_seconds_when_the_naive_conv_is_slow(make_submission):
    files = _files(make_submission, conv_layers=[(FWD_ALLOC, SLOW + FWD_ALLOC)])
    with Sandbox(files) as sb:
        sb.start()
        start = time.monotonic()
        report = compare.naive_vs_fast(sb)
        took = time.monotonic() - start
    assert took < compare.BUDGET + 0.5, took
    assert report["conv"]["error"].startswith("skipped"), report["conv"]
    assert "forward_speedup" in report["pool"]  # the cheap layer was still timed


def test_the_comparison_of_the_reference_fits_the_budget(reference_dir):
    files = {p.stem: p.read_bytes() for p in reference_dir.glob("*.py")}
    with Sandbox(files) as sb:
        sb.start()
        report = compare.naive_vs_fast(sb)
    assert report["seconds"] < compare.BUDGET
    for layer in ("conv", "pool"):
        assert report[layer]["forward_error"] < 1e-9, report[layer]

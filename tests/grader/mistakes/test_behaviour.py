"""The behavioural recognisers: their models, their rules, and silence on right answers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from grader.checks import all_cases
from grader.golden import store as golden
from grader.mistakes import diagnose as mistakes
from grader.mistakes import models
from grader.mistakes.behaviour import recognise
from grader.mistakes.errors import explain, kind_of_exception
from grader.mistakes.kinds import SENTENCES

CASES = all_cases()


@pytest.fixture(scope="module")
def expected():
    return golden.load()[0]


def _cases(prefix, where=lambda i: True):
    found = [c for c in CASES if c.id.startswith(prefix + ".") and where(c.make_inputs())]
    assert found, f"no {prefix} check with that geometry"
    return found


def _conv_geometry(i):
    return i["conv_param"]["stride"], i["conv_param"]["pad"]


# ------------------------------------------------------------------------- the models
def test_models_reproduce_the_stored_answers(expected):
    """With the right parameters every model gives the reference's output, so a mismatch
    under a mistake's parameters can only come from the mistake."""
    for case in _cases("conv_forward_naive"):
        i = case.make_inputs()
        s, p = _conv_geometry(i)
        out = models.conv_forward(i["x"], i["w"], i["b"], s, s, p)
        assert np.allclose(out, expected[case.id]["out"], rtol=1e-5, atol=1e-6), case.id
    for case in _cases("conv_backward_naive"):
        i = case.make_inputs()
        s, p = _conv_geometry(i)
        H, W = i["x"].shape[2:]
        dxp, dw, db = models.conv_backward(i["x"], i["w"], i["dout"], s, s, p)
        for name, got in (("dx", dxp[:, :, p:p + H, p:p + W]), ("dw", dw), ("db", db)):
            assert np.allclose(got, expected[case.id][name], rtol=1e-5, atol=1e-5), case.id
    for prefix in ("max_pool_forward_naive", "max_pool_backward_naive"):
        for case in _cases(prefix):
            i = case.make_inputs()
            pp = i["pool_param"]
            k = (pp["pool_height"], pp["pool_width"], pp["stride"], pp["stride"])
            got = models.pool_forward(i["x"], *k) if "forward" in prefix else \
                models.pool_backward(i["x"], i["dout"], *k)
            name = "out" if "forward" in prefix else "dx"
            assert np.allclose(got, expected[case.id][name], rtol=1e-5, atol=1e-6), case.id


def test_pool_routes_differ_only_where_windows_overlap():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((1, 1, 4, 4)), rng.standard_normal((1, 1, 2, 2))
    tiling = [models.pool_backward(x, dout, 2, 2, 2, 2, r)
              for r in ("argmax", "argmax_assign", "mask_assign")]
    assert all(np.array_equal(tiling[0], t) for t in tiling)
    x, dout = rng.standard_normal((1, 1, 5, 5)), rng.standard_normal((1, 1, 2, 2))
    x[0, 0, 2, 2] = 10.0  # the maximum of all four 3x3 windows (stride 2)
    add, put = (models.pool_backward(x, dout, 3, 3, 2, 2, r) for r in ("argmax", "mask_assign"))
    assert add[0, 0, 2, 2] == pytest.approx(dout.sum()) and add.sum() == pytest.approx(dout.sum())
    assert put[0, 0, 2, 2] == pytest.approx(dout[0, 0, 1, 1])  # the last window wins


# ------------------------------------------------------------------------- recognisers
def test_right_answers_are_never_named(expected):
    for case in CASES:
        if expected.get(case.id):
            outs = {k: v for k, v in expected[case.id].items() if not k.startswith("twin:")}
            assert recognise(case.id, outs) is None, case.id
            assert mistakes.diagnose(case.id, outs) is None, case.id


def test_height_for_width_named_from_an_output_shape(expected):
    case = _cases("conv_forward_naive", lambda i: i["w"].shape[2] != i["w"].shape[3])[0]
    i = case.make_inputs()
    s, p = _conv_geometry(i)
    kh = i["w"].shape[2]
    H = i["x"].shape[2]
    rows = models.out_size(H, kh, s, p)
    out = np.zeros(expected[case.id]["out"].shape[:2] + (rows, rows))  # H used for W
    if out.shape != expected[case.id]["out"].shape:
        assert recognise(case.id, {"out": out}) == "height_for_width"
    assert recognise(case.id, {"out": np.zeros_like(expected[case.id]["out"])}) is None


def test_negative_crop_named_only_at_pad_0(expected):
    for case in _cases("conv_backward_naive"):
        i = case.make_inputs()
        outs = dict(expected[case.id])
        outs["dx"] = np.zeros(i["x"].shape[:2] + (0, 0))
        kind = recognise(case.id, outs)
        assert kind == ("dx_negative_crop" if _conv_geometry(i)[1] == 0 else None), case.id


@pytest.mark.parametrize("route, kind", [("whole", "pool_grad_whole_window"),
                                         ("mask_assign", "pool_grad_overwritten"),
                                         ("average", "pool_grad_average")])
def test_pool_gradient_routes_are_named(route, kind):
    overlapping = _cases("max_pool_backward_naive",
                         lambda i: i["pool_param"]["stride"] < i["pool_param"]["pool_height"])
    for case in overlapping:
        i = case.make_inputs()
        pp = i["pool_param"]
        dx = models.pool_backward(i["x"], i["dout"], pp["pool_height"], pp["pool_width"],
                                  pp["stride"], pp["stride"], route)
        assert recognise(case.id, {"dx": dx}) == kind, case.id
        assert recognise(case.id, {"dx": dx + 0.5}) is None, case.id  # something else


def test_dropout_shared_mask_is_named():
    train = next(c for c in CASES if c.id == "dropout_forward.train")
    x = train.make_inputs()["x"]
    rng = np.random.default_rng(1)
    outs = {}
    for key in ("out_p0.25", "out_p0.4", "out_p0.7"):
        p = float(key[5:])
        outs[key] = x * ((rng.random(x.shape[1]) < p) / p)  # one row of mask for all
    assert recognise(train.id, outs) == "dropout_one_mask"
    fresh = {k: x * ((rng.random(x.shape) < float(k[5:])) / float(k[5:])) for k in outs}
    assert recognise(train.id, fresh) is None


# ------------------------------------------------------------------------- exceptions
@dataclass
class Raised:
    """Stands in for an output a call did not produce (as grader.checks' Failed)."""

    kind: str
    message: str
    function: str = ""


def test_exceptions_read_with_the_geometry():
    rect = _cases("conv_forward_naive", lambda i: i["w"].shape[2] != i["w"].shape[3])[0]
    square = _cases("conv_forward_naive", lambda i: i["w"].shape[2] == i["w"].shape[3])[0]
    kh, kw = rect.make_inputs()["w"].shape[2:]
    msg = (f"ValueError: operands could not be broadcast together with shapes (2,3,{kh},{kh}) "
           f"(3,{kh},{kw})  (conv_layers.py, line 30, in conv_forward_naive)")
    assert kind_of_exception(msg, rect.id) == "height_for_width"
    assert kind_of_exception(msg, square.id) is None

    pad0 = _cases("conv_backward_naive", lambda i: i["conv_param"]["pad"] == 0
                  and i["conv_param"]["stride"] > 1)[0]
    padded = _cases("conv_backward_naive", lambda i: i["conv_param"]["pad"] > 0)[0]
    crop = ("ValueError: could not broadcast input array from shape (3,0,0) into shape "
            "(3,9,12) (conv_layers.py, line 83, in conv_backward_naive)")
    assert kind_of_exception(crop, pad0.id) == "dx_negative_crop"
    assert kind_of_exception(crop, padded.id) is None
    twice = ("ValueError: operands could not be broadcast together with shapes (3,3,3) "
             "(3,3,0) (3,3,3)  (conv_layers.py, line 82, in conv_backward_naive)")
    assert kind_of_exception(twice, pad0.id) == "stride_backward"
    assert kind_of_exception(twice.replace("conv_backward_naive)", "conv_forward_naive)"),
                             pad0.id) is None  # the forward raised: not a backward mistake

    pool = _cases("max_pool_backward_naive", lambda i: i["pool_param"]["stride"] > 1)[0]
    empty = "ValueError: attempt to get argmax of an empty sequence (conv_layers.py, line 9, " \
        "in max_pool_backward_naive)"
    assert kind_of_exception(empty, pool.id) == "stride_backward"
    assert kind_of_exception("IndexError: index 9 is out of bounds", pool.id) is None
    assert kind_of_exception(empty, "no.such.check") is None


def test_diagnose_reads_the_message_of_a_call_that_raised():
    case = _cases("conv_forward_naive", lambda i: i["w"].shape[2] != i["w"].shape[3])[0]
    kh, kw = case.make_inputs()["w"].shape[2:]
    broadcast = Raised("exception", f"ValueError: operands could not be broadcast together "
                       f"with shapes (2,3,{kh},{kh}) (3,{kh},{kw})  (conv_layers.py, line 30, "
                       f"in conv_forward_naive)")
    assert mistakes.diagnose(case.id, {"out": broadcast}) == SENTENCES["height_for_width"]
    removed = Raised("exception", "AttributeError: module 'numpy' has no attribute 'float'.")
    assert mistakes.diagnose(case.id, {"out": removed}) is None  # named in the failure text
    timeout = Raised("timeout", broadcast.message)  # only exceptions are read
    assert mistakes.diagnose(case.id, {"out": timeout}) is None
    assert explain(broadcast.message, case.id) == f" ({SENTENCES['height_for_width']})"


def test_every_kind_has_a_sentence_that_says_what_and_how():
    for kind, text in SENTENCES.items():
        assert text.startswith("This looks like"), kind
        assert ":" in text, kind  # what it looks like: how to fix it
    assert len(set(SENTENCES.values())) == len(SENTENCES)

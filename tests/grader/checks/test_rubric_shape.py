"""The rubric as data: every student function judged, weights by geometry class, descriptions.

These read the declared cases (no grading): which functions each check judges, what share of a
function's points each class of inputs holds, and whether each description names the inputs.
"""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from grader.checks import all_cases
from grader.checks.case import twin_inputs

STUDENT = Path(__file__).resolve().parents[3] / "assignment" / "student"
CHECKS_DIR = Path(__file__).resolve().parents[3] / "grader" / "checks"


def _public_functions():
    """``module.name`` of every public function and class of the student modules."""
    found = set()
    for path in sorted(STUDENT.glob("*.py")):
        if path.stem == "__init__":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                found.add(f"{path.stem}.{node.name}")
    return found


def _free_form_functions():
    """Functions declared by the free-form checks' ``@pytest.mark.check(function=...)``."""
    text = "".join(p.read_text() for p in CHECKS_DIR.glob("test_*.py"))
    return set(re.findall(r"function=\"([\w.]+)\"", text))


def test_every_student_function_is_judged_by_a_check():
    judged = {fn for c in all_cases() for fn in c.functions} | _free_form_functions()
    functions = _public_functions()
    assert len(functions) > 20  # the enumeration itself works
    assert functions - judged == set()
    assert "layers.relu_backward" in judged  # once the declared function of no check


def test_a_check_declares_each_function_it_judges():
    by_id = {c.id: c for c in all_cases()}
    assert by_id["affine.public"].functions == ("layers.affine_forward", "layers.affine_backward")
    assert by_id["relu.public"].functions == ("layers.relu_forward", "layers.relu_backward")
    # each function of a forward+backward check has its own share of the points
    assert by_id["affine.public"].function_points() == pytest.approx(
        {"layers.affine_forward": 0.75, "layers.affine_backward": 2.25})
    for case in all_cases():
        assert sum(case.function_points().values()) == pytest.approx(case.points), case.id


# ------------------------------------------------------------------------- weights
def _classes(inputs):
    """The common geometry classes (pad 0, stride > 1, non-square, N = 1) of a case's inputs."""
    x = inputs.get("x")
    if not isinstance(x, np.ndarray):
        return set()
    found = {"N=1"} if x.shape[0] == 1 else set()
    if x.ndim == 4:
        conv, pool, w = inputs.get("conv_param"), inputs.get("pool_param"), inputs.get("w")
        if x.shape[2] != x.shape[3]:
            found.add("non-square")
        if conv is not None:
            found |= {"pad 0"} if conv["pad"] == 0 else set()
            found |= {"stride > 1"} if conv["stride"] > 1 else set()
            if w is not None and w.shape[2] != w.shape[3]:
                found.add("non-square")
        if pool is not None:
            found |= {"stride > 1"} if pool["stride"] > 1 else set()
            if pool["pool_height"] != pool["pool_width"]:
                found.add("non-square")
    return found


GEOMETRY_FUNCTIONS = ("conv_layers.conv_forward_naive", "conv_layers.conv_backward_naive",
                      "conv_layers.max_pool_forward_naive",
                      "conv_layers.max_pool_backward_naive", "layers.affine_forward",
                      "layers.affine_backward")


@pytest.mark.parametrize("function", GEOMETRY_FUNCTIONS)
def test_a_whole_geometry_class_holds_a_quarter_of_the_function_points(function):
    """A function wrong for every input of one class loses at least a quarter of its points
    (counting the free-form batch check of conv_forward_naive among its points)."""
    total, per_class = 0.0, {}
    for case in all_cases():
        pts = case.function_points().get(function, 0.0)
        if not pts:
            continue
        total += pts
        for cls in _classes(case.make_inputs()):
            per_class[cls] = per_class.get(cls, 0.0) + pts
    total += 1.0 if function == "conv_layers.conv_forward_naive" else 0.0  # .batch
    assert per_class, function
    for cls, pts in per_class.items():
        assert pts >= 0.25 * total, (function, cls, pts, total)


def test_conv_and_pool_cover_every_common_class():
    want = {"conv_layers.conv_forward_naive": {"pad 0", "stride > 1", "non-square", "N=1"},
            "conv_layers.conv_backward_naive": {"pad 0", "stride > 1", "non-square", "N=1"},
            "conv_layers.max_pool_forward_naive": {"stride > 1", "non-square", "N=1"},
            "conv_layers.max_pool_backward_naive": {"stride > 1", "non-square", "N=1"}}
    for fn, classes in want.items():
        seen = set().union(*(_classes(c.make_inputs()) for c in all_cases()
                             if fn in c.functions))
        assert classes <= seen, (fn, classes - seen)


# ------------------------------------------------------------------------- descriptions
def _shape(a):
    return "(" + ",".join(str(n) for n in a.shape) + ")"


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.id)
def test_every_description_names_shapes_stride_and_pad(case):
    i, text = case.make_inputs(), case.describe
    for key in ("x", "X", "w"):
        if isinstance(i.get(key), np.ndarray):
            shape = _shape(i[key])
            assert shape in text.replace(" ", "") or shape[1:-1] in text, (key, shape, text)
    if "conv_param" in i:
        assert f"stride {i['conv_param']['stride']}" in text, text
        assert f"pad {i['conv_param']['pad']}" in text, text
    if "pool_param" in i:
        p = i["pool_param"]
        assert f"{p['pool_height']}x{p['pool_width']}" in text and f"stride {p['stride']}" in text
    if case.module in ("layer_utils", "cnn") and "conv" in case.id + case.name.lower():
        assert "stride" in text and "pad" in text, text


def test_the_hidden_case_that_breaks_on_pad_0_says_pad_0():
    case = next(c for c in all_cases() if c.id == "conv_forward_naive.stride3_pad0")
    assert "pad 0" in case.describe


def test_twin_inputs_keep_shapes_and_change_values():
    for case in all_cases():
        if not case.twinned:
            continue
        a, b = case.make_inputs(), twin_inputs(case)
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(a[k], np.ndarray):
                assert a[k].shape == b[k].shape and a[k].dtype == b[k].dtype
                if a[k].dtype.kind == "f":
                    assert not np.allclose(a[k], b[k]), (case.id, k)
                else:
                    assert np.array_equal(a[k], b[k])
    assert any(c.twinned for c in all_cases() if c.id == "conv_forward_naive.public")

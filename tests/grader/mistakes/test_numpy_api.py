"""Removed numpy APIs: each one really fails in the pinned numpy and is named with its fix."""

from __future__ import annotations

import numpy as np
import pytest

from grader.mistakes import numpy_api
from grader.sandbox.protocol import clean_text

# The code a student writes for each removal of REMOVED_BEHAVIOUR, run on the installed numpy.
BEHAVIOUR_TRIGGERS = {
    "np.reshape(a, newshape=...)": lambda: np.reshape(np.zeros(4), newshape=(2, 2)),
    "int() or float() of an array": lambda: int(np.array([1.5])),
    "np.array(a, copy=False)": lambda: np.array(np.zeros(3, np.float32), np.float64,
                                                copy=False),
    "np.sum of a generator": lambda: np.sum(i for i in range(3)),
    "subtracting boolean arrays": lambda: np.array([True]) - np.array([False]),
    "np.nonzero of a 0-d array": lambda: np.nonzero(np.array(1)),
}


def _as_worker_reports(fn):
    """The exception text as the sandbox worker formats it: ``{type}: {message}``."""
    with pytest.raises(Exception) as info:
        fn()
    exc = info.value
    return f"{type(exc).__name__}: {str(exc)[:300]} (layers.py, line 12)"


@pytest.mark.parametrize("name", sorted(numpy_api.REMOVED_ATTRIBUTES))
def test_removed_module_attribute_is_named(name):
    message = _as_worker_reports(lambda: getattr(np, name))
    sentence = numpy_api.explain(message)
    assert sentence.startswith(f"np.{name} no longer exists in numpy {np.__version__}")
    assert numpy_api.REMOVED_ATTRIBUTES[name] in sentence


@pytest.mark.parametrize("name", sorted(numpy_api.REMOVED_METHODS))
def test_removed_array_method_is_named(name):
    message = _as_worker_reports(lambda: getattr(np.zeros(3), name)())
    sentence = numpy_api.explain(message)
    assert sentence.startswith(f"ndarray.{name}() no longer exists")
    assert numpy_api.REMOVED_METHODS[name] in sentence


def test_every_behaviour_entry_has_a_trigger():
    assert {api for _, api, _ in numpy_api.REMOVED_BEHAVIOUR} == set(BEHAVIOUR_TRIGGERS)


@pytest.mark.parametrize("api", sorted(BEHAVIOUR_TRIGGERS))
def test_removed_behaviour_is_named(api):
    message = _as_worker_reports(BEHAVIOUR_TRIGGERS[api])
    replacement = next(r for _, a, r in numpy_api.REMOVED_BEHAVIOUR if a == api)
    assert numpy_api.explain(message) == numpy_api._sentence(api, replacement)


def test_apis_that_still_exist_are_not_named():
    """np.bool and np.long came back in numpy 2; row_stack is only deprecated here."""
    for name in ("bool", "long", "row_stack", "prod", "float64"):
        assert hasattr(np, name)
        assert numpy_api.explain(f"AttributeError: module 'numpy' has no attribute "
                                 f"'{name}'") == ""
    for other in ("IndexError: index 5 is out of bounds for axis 0 with size 5",
                  "AttributeError: module 'numpy' has no attribute 'conv2d'",
                  "TypeError: reshape() got an unexpected keyword argument 'order2'", ""):
        assert numpy_api.explain(other) == ""
    assert numpy_api.hint("ValueError: nothing numpy removed") == ""


def test_the_sentence_survives_the_feedback_cleaner():
    message = _as_worker_reports(lambda: np.float)
    hint = numpy_api.hint(message)
    assert hint.startswith(" (np.float no longer exists") and hint.endswith("instead.)")
    assert clean_text(message + hint, 1000).endswith(hint)

"""Exceptions from numpy APIs that the pinned numpy removed, named with their replacement.

Code written against an older numpy (``np.int``, ``np.float``, ``np.reshape(a,
newshape=...)``, ``int()`` of a one-element array...) raises in the numpy that the handout and
the grader both install (``constraints.txt``). The worker reports the exception as
``"{type}: {message}"``; :func:`explain` reads that text in the trusted parent and returns one
sentence naming the removed API and what to write instead, or ``""``.

Every entry of the tables is checked against the installed numpy by
``tests/grader/mistakes/test_numpy_api.py``: each must really raise, and raise the text that
is recognised here.
"""

from __future__ import annotations

import re

import numpy as np

# module attributes that are gone: name -> what to write instead
REMOVED_ATTRIBUTES = {
    "int": "int (or np.int64)",
    "float": "float (or np.float64)",
    "complex": "complex (or np.complex128)",
    "object": "object",
    "str": "str",
    "unicode": "str",
    "float_": "np.float64",
    "complex_": "np.complex128",
    "string_": "np.bytes_",
    "unicode_": "np.str_",
    "int0": "np.intp",
    "uint0": "np.uintp",
    "bool8": "np.bool_",
    "product": "np.prod",
    "cumproduct": "np.cumprod",
    "alltrue": "np.all",
    "sometrue": "np.any",
    "asscalar": "a.item()",
    "NaN": "np.nan",
    "NAN": "np.nan",
    "Inf": "np.inf",
    "Infinity": "np.inf",
    "infty": "np.inf",
    "PINF": "np.inf",
    "NINF": "-np.inf",
    "in1d": "np.isin",
    "trapz": "np.trapezoid",
    "msort": "np.sort(a, axis=0)",
    "round_": "np.round",
    "asfarray": "np.asarray(a, dtype=float)",
    "mat": "np.asmatrix (or better a plain array)",
    "cast": "np.asarray(a, dtype=...)",
    "rank": "np.ndim",
    "alen": "len(a)",
    "find_common_type": "np.result_type",
}
# ndarray methods that are gone: name -> what to write instead
REMOVED_METHODS = {
    "ptp": "np.ptp(a, ...)",
    "itemset": "a[index] = value",
    "newbyteorder": "a.view(a.dtype.newbyteorder())",
    "tostring": "a.tobytes()",
}
# other removals, recognised by the text numpy raises: (pattern, API, replacement)
REMOVED_BEHAVIOUR = (
    (r"unexpected keyword argument 'newshape'", "np.reshape(a, newshape=...)",
     "np.reshape(a, shape) or a.reshape(shape)"),
    (r"only (0-dimensional|length-1|size-1) arrays can be converted to Python scalars",
     "int() or float() of an array", "a.item() (or index the one element, a[0])"),
    (r"Unable to avoid copy while creating an array", "np.array(a, copy=False)",
     "np.asarray(a)"),
    (r"Calling np\.sum\(generator\)", "np.sum of a generator",
     "the builtin sum(...) or np.sum of a list"),
    (r"numpy boolean subtract", "subtracting boolean arrays",
     "a ^ b, or convert them first with a.astype(int)"),
    (r"Calling nonzero on 0d arrays", "np.nonzero of a 0-d array",
     "np.nonzero(np.atleast_1d(a))"),
)

_MODULE_ATTR = re.compile(r"module 'numpy' has no attribute '(\w+)'")
_REMOVED_ATTR = re.compile(r"`np\.(\w+)` was removed in the NumPy")
_METHOD = re.compile(r"'numpy\.ndarray' object has no attribute '(\w+)'")


def _sentence(api, replacement):
    return (f"{api} no longer exists in numpy {np.__version__} (the version the handout and "
            f"the grader both install): write {replacement} instead.")


def explain(message):
    """One sentence naming the removed numpy API in an exception's text, else ``""``.

    Parameters
    ----------
    message : str
        The failure as the worker reported it (``"AttributeError: module 'numpy' has no
        attribute 'int'..."``).
    """
    text = str(message)
    for pattern in (_REMOVED_ATTR, _MODULE_ATTR):
        m = pattern.search(text)
        if m and m[1] in REMOVED_ATTRIBUTES:
            return _sentence(f"np.{m[1]}", REMOVED_ATTRIBUTES[m[1]])
    m = _METHOD.search(text)
    if m and m[1] in REMOVED_METHODS:
        return _sentence(f"ndarray.{m[1]}()", REMOVED_METHODS[m[1]])
    for pattern, api, replacement in REMOVED_BEHAVIOUR:
        if re.search(pattern, text):
            return _sentence(api, replacement)
    return ""


def hint(message):
    """``explain`` as a suffix for feedback: ``" (sentence)"`` or ``""``."""
    found = explain(message)
    return f" ({found})" if found else ""

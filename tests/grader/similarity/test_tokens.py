"""Normalisation: what a disguise changes must not change the tokens."""

from grader.similarity.tokens import MODULE_UNIT, split_units

ORIGINAL = '''
import numpy as np


def conv(x, w, stride):
    """Docstring students rewrite."""
    N, H = x.shape
    out = np.zeros((N, H))
    for n in range(N):
        for i in range(H):
            out[n, i] = np.sum(x[n, i * stride] * w[i], axis=0) + 'stride'
    return out


def other(y):
    return y * 2
'''

DISGUISED = '''
import numpy as np


def other(value):
    # moved up, renamed
    return value * 2



def conv(inp, weights, s):
    N_items, height = inp.shape   # unpack
    print("debugging", N_items,
          height)
    result = np.zeros((N_items,
                       height))
    for row in range(0, height):          # loops swapped
        for item in range(N_items):
            result[item, row] = np.sum(inp[item, row * s] * weights[row], axis=0) + "stride"
    return result
'''


def units(text):
    return {u.name: u for u in split_units(text, "m")}


def test_renaming_comments_whitespace_prints_order_and_loop_swaps_change_nothing():
    a, b = units(ORIGINAL), units(DISGUISED)
    assert a["conv"].tokens == b["conv"].tokens
    assert a["other"].tokens == b["other"].tokens


def test_docstrings_and_comments_are_dropped():
    toks = units(ORIGINAL)["conv"].tokens
    assert "S" not in toks and not any("Docstring" in t for t in toks)


def test_what_cannot_be_renamed_is_kept():
    toks = units(ORIGINAL)["conv"].tokens
    for kept in ("np", "zeros", "sum", "axis", "shape", "range", "'stride'"):
        assert kept in toks
    assert "x" not in toks and "out" not in toks  # locals became V
    assert units(ORIGINAL.replace("np.sum", "np.max"))["conv"].tokens != toks


def test_range_start_zero_is_the_same_range():
    a = units("def f(n):\n    for i in range(0, n):\n        pass\n")["f"].tokens
    b = units("def f(n):\n    for i in range(n):\n        pass\n")["f"].tokens
    assert a == b


def test_units_are_functions_methods_and_the_module_top():
    text = "import os\n\nclass Net:\n    def __init__(self):\n        self.a = 1\n\n" \
           "    def loss(self, X):\n        def inner():\n            return X\n" \
           "        return inner()\n\n\ndef free():\n    return 1\n"
    got = units(text)
    assert set(got) == {MODULE_UNIT, "Net.__init__", "Net.loss", "free"}
    assert "inner" not in got  # a nested function belongs to its parent
    loss = got["Net.loss"]
    assert (loss.first_line, loss.last_line) == (7, 10)


def test_one_line_functions_and_decorators():
    got = units("@staticmethod\ndef f(x): return x\n\ndef g():\n    return 2\n")
    assert {"f", "g"} <= set(got)


def test_a_broken_file_keeps_what_tokenizes_and_never_raises():
    got = units("def f(x):\n    return (x +\n")
    assert got["f"].tokens[:3] == ["def", "V", "("]
    assert units("def f(:\n\x00\x01 '''") is not None
    assert split_units("", "m") == []


def test_lines_point_at_the_source():
    u = units(ORIGINAL)["conv"]
    assert len(u.lines) == len(u.tokens)
    src = ORIGINAL.splitlines()
    assert src[u.first_line - 1].startswith("def conv")
    assert "return out" in src[u.last_line - 1]

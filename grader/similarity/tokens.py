"""Stage 1: source text -> one normalised token stream per function.

Normalisation is what makes a disguised copy look like its source:

- comments, blank lines, line breaks inside brackets and docstrings are dropped;
- statement-level ``print(...)`` calls are dropped (students add them to look different);
- every local name (variables, parameters, helper functions) becomes ``V``, so renaming does
  nothing, and neither does swapping two nested loops (``for V in range(V):`` twice);
- what a student cannot rename stays: keywords, builtins, ``np``, attribute names
  (``.reshape``, ``.shape``) and keyword-argument names (``axis=``);
- numbers are written in one form (``1.`` == ``1.0``); strings keep their value when short
  (``'stride'`` == ``"stride"``), longer ones become ``S``.

The split is by function (``Class.method`` for methods; a function nested in another one
belongs to it), so reordering functions changes nothing either. Module-level code is a unit
named ``<module>``.

Only :mod:`tokenize` is used: student source is never compiled or parsed into an AST in the
grader's process (a hostile file must not cost the parser's memory or time), and tokenizing
is linear in the file's size. A file that does not tokenize to the end (unbalanced brackets,
bad indentation) keeps the tokens read up to the fault.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import tokenize
from dataclasses import dataclass

KEEP_NAMES = frozenset(dir(builtins)) | {"np", "numpy", "self", "cls"}
MAX_STRING_VALUE = 24  # longer string literals become "S"
MODULE_UNIT = "<module>"


@dataclass
class Unit:
    """The normalised code of one function (or of a module's top level).

    Attributes
    ----------
    module : str
        Module name (``"conv_layers"``).
    name : str
        Qualified function name (``"ThreeLayerConvNet.loss"``) or ``"<module>"``.
    tokens : list of str
        Normalised tokens, length T.
    lines : list of int
        Source line (1-based) of each token, length T.
    first_line, last_line : int
        Lines of the unit in its file (inclusive), for the side-by-side view.
    """

    module: str
    name: str
    tokens: list[str]
    lines: list[int]
    first_line: int
    last_line: int

    @property
    def key(self):
        """``"module.name"``: how reports refer to the unit."""
        return f"{self.module}.{self.name}"


def _raw_tokens(text):
    """``tokenize`` tokens of ``text``, stopping quietly at the first tokenizer error."""
    out = []
    try:
        out.extend(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        pass
    return out


def _number(text):
    try:
        value = ast.literal_eval(text.replace("_", ""))
    except (ValueError, SyntaxError, MemoryError):
        return text
    return repr(value)


def _string(text):
    if len(text) > MAX_STRING_VALUE + 8 or text[:1] in "fFbB" or text[:2].lower() in ("rf", "fr"):
        return "S"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError):
        return "S"
    return repr(value) if isinstance(value, str) and len(value) <= MAX_STRING_VALUE else "S"


_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_STATEMENT_START = {"NEWLINE", "INDENT", "DEDENT", None}


def _significant(raw):
    """Drop comments, docstrings and print statements; ``(type, text, line)`` triples."""
    toks = [(tokenize.tok_name[t.type], t.string, t.start[0]) for t in raw if t.type not in _SKIP]
    out, i = [], 0
    while i < len(toks):
        kind, text, line = toks[i]
        prev = out[-1][0] if out else None
        at_start = prev in _STATEMENT_START
        nxt = toks[i + 1] if i + 1 < len(toks) else ("NEWLINE", "", line)
        if at_start and kind == "STRING" and nxt[0] == "NEWLINE":
            i += 2  # docstring or bare string statement
            continue
        if at_start and kind == "NAME" and text == "print" and nxt[1] == "(":
            depth = 0
            while i < len(toks):  # skip to the end of the statement
                k, t, _ = toks[i]
                i += 1
                if k == "OP":
                    depth += t in _OPEN
                    depth -= t in _CLOSE
                elif k == "NEWLINE" and depth <= 0:
                    break
            continue
        out.append(toks[i])
        i += 1
    return out


def _range_start(toks, j):
    """Whether token j is the ``0`` or the ``,`` of ``range(0, ...``."""
    texts = [toks[i][1] if 0 <= i < len(toks) else "" for i in range(j - 3, j + 2)]
    return (texts[1:4] == ["range", "(", "0"] and texts[4] == ",") or \
        (texts[0:4] == ["range", "(", "0", ","])


def _normalise(toks):
    """Map ``(type, text, line)`` triples to normalised token strings.

    ``range(0, n)`` is written ``range(n)``: the start is dropped, keeping one token per
    input token so that lines stay aligned (the dropped ones become empty strings, removed
    by :func:`split_units`).
    """
    out, depth = [], 0
    for j, (kind, text, _) in enumerate(toks):
        if _range_start(toks, j):
            out.append("")
            continue
        if kind == "NAME":
            prev = toks[j - 1][1] if j else ""
            nxt = toks[j + 1][1] if j + 1 < len(toks) else ""
            if (keyword.iskeyword(text) or text in KEEP_NAMES or prev == "."
                    or (depth > 0 and nxt == "=" and prev in ("(", ","))):
                out.append(text)
            else:
                out.append("V")
        elif kind == "OP":
            depth += text in _OPEN
            depth = max(0, depth - (text in _CLOSE))
            out.append(";" if text == ";" else text)
        elif kind == "NUMBER":
            out.append(_number(text))
        elif kind == "STRING":
            out.append(_string(text))
        elif kind == "NEWLINE":
            out.append(";")
        elif kind == "INDENT":
            out.append("{")
        elif kind == "DEDENT":
            out.append("}")
        else:  # FSTRING_* on newer Pythons, ERRORTOKEN
            out.append("S" if kind.startswith("FSTRING") else text)
    return out


def split_units(text, module):
    """Split a source file into normalised units, one per top-level function or method.

    Parameters
    ----------
    text : str
        Python source (never executed or compiled).
    module : str
        Module name recorded on every unit.

    Returns
    -------
    list of Unit
        In file order; the module's top level (imports, constants, class headers) is one
        unit named ``"<module>"`` when it holds any token.
    """
    toks = _significant(_raw_tokens(text))
    norm = _normalise(toks)
    units, top = [], ([], [])
    indent = 0
    cls = []  # (name, indent) of enclosing classes
    i = 0
    while i < len(toks):
        kind, text_, line = toks[i]
        if kind == "INDENT":
            indent += 1
        elif kind == "DEDENT":
            indent -= 1
            while cls and cls[-1][1] >= indent:
                cls.pop()
        at_start = i == 0 or toks[i - 1][0] in ("NEWLINE", "INDENT", "DEDENT")
        if at_start and kind == "NAME" and text_ == "class" and i + 1 < len(toks):
            cls.append((toks[i + 1][1], indent))
        if at_start and kind == "OP" and text_ == "@" or (
                at_start and kind == "NAME" and text_ in ("def", "async")):
            j, name = i, None
            while j < len(toks) and name is None:  # find "def NAME" past decorators
                if toks[j][1] == "def" and j + 1 < len(toks):
                    name = toks[j + 1][1]
                j += 1
            # the body ends where the indentation returns to this level
            level, j, past_def, seen_body = indent, i, False, False
            while j < len(toks):
                k, t, _ = toks[j]
                past_def = past_def or t == "def"
                if k == "INDENT":
                    level += 1
                    seen_body = True
                elif k == "DEDENT":
                    level -= 1
                    if seen_body and level == indent:
                        j += 1
                        break
                elif (k == "NEWLINE" and past_def and not seen_body
                      and (j + 1 >= len(toks) or toks[j + 1][0] != "INDENT")):
                    j += 1  # one-line function: def f(x): return x
                    break
                j += 1
            qual = ".".join([c for c, _ in cls] + [name or "?"])
            keep = [k for k in range(i, j) if norm[k]]
            lines = [toks[k][2] for k in keep] or [line]
            body = [toks[k][2] for k in keep if toks[k][0] not in ("DEDENT", "NEWLINE")]
            units.append(Unit(module, qual, [norm[k] for k in keep], lines[:len(keep)],
                              lines[0], max(body or lines)))
            # DEDENTs consumed inside the unit close the classes they end
            for t in toks[i:j]:
                if t[0] == "INDENT":
                    indent += 1
                elif t[0] == "DEDENT":
                    indent -= 1
            while cls and cls[-1][1] >= indent:
                cls.pop()
            i = j
            continue
        if norm[i]:
            top[0].append(norm[i])
            top[1].append(line)
        i += 1
    if any(t not in (";", "{", "}") for t in top[0]):
        units.insert(0, Unit(module, MODULE_UNIT, top[0], top[1], top[1][0], top[1][-1]))
    return units

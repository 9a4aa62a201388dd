"""Replace ``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions with student stubs.

A region is the lines between a BEGIN marker and the next END marker, both included. It
becomes two lines at the BEGIN marker's indentation::

    # YOUR CODE HERE
    raise NotImplementedError("conv_forward_naive: not implemented yet")

so an unfinished function fails at its first call with its own name, instead of returning
``None`` and failing somewhere downstream. Everything outside the regions is copied line
for line (lines end in ``\n``). Malformed markers are a :class:`MarkerError` naming the
file and line, because a region that silently fails to close would leak the rest of the
solution file into the handout.
"""

import ast
import json
import re

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB_COMMENT = "# YOUR CODE HERE"

# Any comment line that mentions a marker word counts as a marker attempt, so a typo such
# as "## BEGIN SOLUTION" or "### END SOLUTIONS" is reported instead of being copied through.
_MARKER_RE = re.compile(r"^(?P<indent>[ \t]*)#+\s*(?P<kind>BEGIN|END)\s+SOLUTION")


class MarkerError(ValueError):
    """A solution marker is unbalanced, nested, malformed or outside a function."""

    def __init__(self, path, lineno, message):
        self.path = path
        self.lineno = lineno
        super().__init__(f"{path}:{lineno}: {message}")


def stub_lines(indent, name):
    """The two lines that replace one region.

    Parameters
    ----------
    indent : str
        Leading whitespace of the BEGIN marker.
    name : str
        Function or ``Class.method`` name shown in the error.

    Returns
    -------
    list of str
        Lines without trailing newlines.
    """
    # json.dumps gives a double-quoted literal that stays valid Python whatever the name holds.
    message = json.dumps(f"{name}: not implemented yet")
    return [f"{indent}{STUB_COMMENT}", f"{indent}raise NotImplementedError({message})"]


def find_regions(text, path):
    """Locate the solution regions of a source file.

    Parameters
    ----------
    text : str
        Source text.
    path : str
        Shown in error messages.

    Returns
    -------
    list of tuple (int, int, str)
        ``(begin_line, end_line, indent)`` per region, 1-based and inclusive, in order.

    Raises
    ------
    MarkerError
        On a marker with trailing text, a BEGIN inside an open region, an END without a
        BEGIN, an END indented differently from its BEGIN, or a BEGIN never closed.
    """
    regions = []
    open_at = None  # (line number, indent) of the BEGIN of the open region
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _MARKER_RE.match(line)
        if m is None:
            continue
        kind, indent = m["kind"], m["indent"]
        expected = BEGIN if kind == "BEGIN" else END
        if line.strip() != expected:
            raise MarkerError(
                path, lineno, f"malformed marker {line.strip()!r}: write {expected!r}"
            )
        if kind == "BEGIN":
            if open_at is not None:
                raise MarkerError(
                    path, lineno, f"nested {BEGIN!r}: the region opened at line {open_at[0]} "
                    "is not closed yet"
                )
            open_at = (lineno, indent)
        else:
            if open_at is None:
                raise MarkerError(path, lineno, f"{END!r} without a matching {BEGIN!r}")
            if indent != open_at[1]:
                raise MarkerError(
                    path, lineno, f"{END!r} is indented differently from its {BEGIN!r} "
                    f"at line {open_at[0]}"
                )
            regions.append((open_at[0], lineno, open_at[1]))
            open_at = None
    if open_at is not None:
        raise MarkerError(path, open_at[0], f"{BEGIN!r} is never closed by {END!r}")
    return regions


def _function_spans(text, path):
    """``(first_line, last_line, qualified_name)`` of every function, outermost first."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise MarkerError(path, exc.lineno or 0, f"not valid Python: {exc.msg}") from exc
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def enclosing_function(spans, lineno):
    """Qualified name of the innermost function whose body holds ``lineno``, or None."""
    best = None
    for first, last, name in spans:
        if first < lineno <= last and (best is None or first >= best[0]):
            best = (first, name)
    return None if best is None else best[1]


def strip_solutions(text: str, path: str) -> str:
    """Return ``text`` with every solution region replaced by a ``YOUR CODE HERE`` stub.

    Parameters
    ----------
    text : str
        Python source containing ``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions.
    path : str
        File name used in error messages (need not exist).

    Returns
    -------
    str
        The student version; identical to ``text`` outside the regions, including the
        presence or absence of a final newline.

    Raises
    ------
    MarkerError
        When markers are malformed (see :func:`find_regions`) or a region is not inside a
        function (a module-level stub would break every import of the file).
    """
    regions = find_regions(text, path)
    if not regions:
        return text
    spans = _function_spans(text, path)
    stubs = []
    for begin, _, indent in regions:
        name = enclosing_function(spans, begin)
        if name is None:
            raise MarkerError(path, begin, "solution region outside any function")
        stubs.append(stub_lines(indent, name))
    return _replace_regions(text, regions, stubs)


def strip_cell_solutions(source, where, name):
    """Replace the solution regions of one notebook code cell.

    Cells run at the top level, so there is no enclosing function to name: the caller
    says what the stub's error calls the missing work.

    Parameters
    ----------
    source : str
        Cell source.
    where : str
        Shown in error messages, e.g. ``"CNN.ipynb cell 12"``.
    name : str
        Used in the ``NotImplementedError`` message.

    Returns
    -------
    str
    """
    regions = find_regions(source, where)
    return _replace_regions(source, regions, [stub_lines(r[2], name) for r in regions])


def _replace_regions(text, regions, stubs):
    """Copy ``text`` with ``regions[i]`` (markers included) replaced by ``stubs[i]``."""
    lines = text.splitlines()
    out = []
    cursor = 0  # index of the next source line to copy
    for (begin, end, _), stub in zip(regions, stubs, strict=True):
        out.extend(lines[cursor : begin - 1])
        out.extend(stub)
        cursor = end
    out.extend(lines[cursor:])
    result = "\n".join(out)
    return result + "\n" if text.endswith("\n") else result


def solution_lines(text, path):
    """The lines strictly inside the solution regions of ``text``.

    Parameters
    ----------
    text : str
    path : str
        Shown in error messages.

    Returns
    -------
    list of str
        Raw lines (markers excluded), in file order.
    """
    lines = text.splitlines()
    found = []
    for begin, end, _ in find_regions(text, path):
        found.extend(lines[begin : end - 1])
    return found

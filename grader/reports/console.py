"""The console table: one row per student function, grouped by file, with subtotals.

Each row gives the function's points, status, how many of its checks passed, and the error
against the limit of the first failing check (or, when all passed, of the check closest to
its limit); the first failing check's feedback follows, wrapped under the row, never cut.
``checks=True`` lists every check under its function too (the instructor's view).
"""

from __future__ import annotations

import shutil
import textwrap

from .grouping import failing_error, group

INDENT = " " * 4
MAX_WRAP = 100  # feedback wider than this is hard to read, whatever the terminal


def _num(x):
    return f"{x:g}" if float(x) != int(x) else str(int(x))


def _err(error, threshold):
    if error is None:
        return ""
    return f"{error:.1e}" + (f" / {threshold:.2g}" if threshold is not None else "")


def _wrap(text, width, indent=INDENT):
    """``text`` as lines of at most ``width`` columns, each starting with ``indent``."""
    text = " ".join(str(text).split())
    return textwrap.wrap(text, width=max(40, width), initial_indent=indent,
                         subsequent_indent=indent + "  ", break_long_words=False,
                         break_on_hyphens=False)


def _table(rows):
    """Left-aligned columns (the last one free), as lines."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(r, widths)), r[-1]]).rstrip()
            for r in rows]


def render(result, width=None, show_hidden=True, checks=False):
    """The table, the notes and the total as text.

    Parameters
    ----------
    result : Result
    width : int, optional
        Line width for wrapped feedback (the terminal's by default, at most 100).
    show_hidden : bool
        Include hidden checks (instructor view); otherwise they are summed as one line.
    checks : bool
        Also list every check under its function.
    """
    width = min(width or shutil.get_terminal_size((100, 20)).columns, MAX_WRAP)
    shown = [c for c in result.checks if show_hidden or c.visibility != "hidden"]
    hidden = [c for c in result.checks if c not in shown]
    # (columns, lines printed under the row, the file heading printed above it)
    entries = [(("points", "status", "checks", "error / limit", "function"), [], None)]
    for file in group(shown):
        heading = f"{file.title}  {_num(file.score)}/{_num(file.max_score)}"
        for row in file.rows:
            under = []
            if checks:
                for c in row.checks:
                    tag = " (h)" if c.visibility == "hidden" else ""
                    under.append(f"{INDENT}{_num(c.score)}/{_num(c.max_score)} {c.status:7} "
                                 f"{_err(*failing_error(c)):17} {c.id}{tag}")
            first = row.first_failure
            if first is not None and first.feedback:
                tag = " (h)" if first.visibility == "hidden" else ""
                under += _wrap(f"{first.id}{tag}: {first.feedback}", width)
            entries.append(((f"  {_num(row.score)}/{_num(row.max_score)}", row.status,
                             f"{row.passed}/{len(row.checks)}", _err(*row.error()),
                             row.label + (" (h)" if row.hidden else "")), under, heading))
            heading = None
    table = _table([columns for columns, _, _ in entries])
    lines = [table[0], "-" * min(width, max(len(x) for x in table))]
    for line, (_, under, heading) in zip(table[1:], entries[1:]):
        if heading:
            lines += ["", heading] if len(lines) > 2 else [heading]
        lines += [line, *under]
    if hidden:
        score, max_score = sum(c.score for c in hidden), sum(c.max_score for c in hidden)
        lines += ["", f"{_num(score)}/{_num(max_score)}  hidden checks ({len(hidden)})"]
    lines += notes(result, width)
    lines.append(f"total: {_num(result.score)}/{_num(result.max_score)}  "
                 f"({result.submission}, {result.seconds:.1f} s)")
    nvf = result.extra.get("naive_vs_fast") or {}
    for layer in ("conv", "pool"):
        d = nvf.get(layer)
        if d and "error" not in d:
            lines.append(f"naive vs fast {layer}: forward error {d['forward_error']:.1e}, "
                         f"dx error {d['backward_dx_error']:.1e}, speed-up forward "
                         f"{d['forward_speedup']}x, backward {d['backward_speedup']}x")
        elif d:
            lines.append(f"naive vs fast {layer}: {d['error']}")
    return "\n".join(lines)


def notes(result, width):
    """Lines about the submission itself: which files were graded, sandbox warnings."""
    lines = []
    taken = result.extra.get("layout")
    if taken:
        lines += _wrap(f"note: {taken}", width, indent="")
    sandbox = result.environment.get("sandbox", {})
    hiding = {"landlock", "private_view"} & set(sandbox.get("layers") or ())
    if sandbox and not sandbox.get("landlock_abi") and not hiding:
        lines += _wrap("warning: neither Landlock nor a private mount namespace is available "
                       "here, so the sandbox could not hide files (such as the expected "
                       "outputs) from the submission", width, indent="")
    return lines


def summary(result):
    """One line: name, score, and counts by status."""
    counts = {}
    for c in result.checks:
        counts[c.status] = counts.get(c.status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return f"{result.submission}: {_num(result.score)}/{_num(result.max_score)} ({parts})"

"""The console table: one row per check (points, status, error vs threshold, feedback)."""

from __future__ import annotations

import shutil


def _num(x):
    return f"{x:g}" if float(x) != int(x) else str(int(x))


def render(result, width=None, show_hidden=True):
    """The table and the total as text.

    Parameters
    ----------
    result : Result
    width : int, optional
        Line width (the terminal's by default, at least 100).
    show_hidden : bool
        Include hidden checks (instructor view); otherwise they are summed as one row.
    """
    width = width or max(100, shutil.get_terminal_size((120, 20)).columns)
    rows = [("points", "status", "error / limit", "check", "feedback")]
    hidden_score = hidden_max = 0.0
    for c in result.checks:
        if c.visibility == "hidden" and not show_hidden:
            hidden_score += c.score
            hidden_max += c.max_score
            continue
        err = "" if c.error is None else f"{c.error:.1e}" + (
            f" / {c.threshold:.2g}" if c.threshold is not None else "")
        rows.append((f"{_num(c.score)}/{_num(c.max_score)}", c.status, err,
                     c.id + (" (h)" if c.visibility == "hidden" else ""),
                     c.feedback.replace("\n", " ")))
    if hidden_max:
        rows.append((f"{_num(hidden_score)}/{_num(hidden_max)}", "", "", "hidden checks", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for r in rows:
        head = "  ".join(r[i].ljust(widths[i]) for i in range(4))
        room = max(20, width - len(head) - 2)
        fb = r[4] if len(r[4]) <= room else r[4][: room - 3] + "..."
        lines.append(f"{head}  {fb}".rstrip())
    lines.insert(1, "-" * min(width, max(len(x) for x in lines)))
    sandbox = result.environment.get("sandbox", {})
    hiding = {"landlock", "private_view"} & set(sandbox.get("layers") or ())
    if sandbox and not sandbox.get("landlock_abi") and not hiding:
        lines.append("warning: neither Landlock nor a private mount namespace is available "
                     "here, so the sandbox could not hide files (such as the expected "
                     "outputs) from the submission")
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


def summary(result):
    """One line: name, score, and counts by status."""
    counts = {}
    for c in result.checks:
        counts[c.status] = counts.get(c.status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return f"{result.submission}: {_num(result.score)}/{_num(result.max_score)} ({parts})"

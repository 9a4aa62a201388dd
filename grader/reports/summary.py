"""Summary HTML page for a batch: score histogram, pass rate per check, speed-ups.

Plots are drawn with matplotlib (Agg backend, no display) and embedded as PNG data URIs,
so the page is one file that can be mailed or published as is.
"""

from __future__ import annotations

import base64
import io
import statistics
from pathlib import Path

from grader.reports.csv import GradebookRow
from grader.reports.html import CSS, escape, fmt


def _png(fig) -> str:
    """A matplotlib figure as a data URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def score_histogram(scores: list[float], max_score: float) -> str:
    """Histogram of total scores, as a PNG data URI."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    bins = min(20, max(5, len(scores)))
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#4a7fb5", edgecolor="white")
    ax.set_xlabel(f"total score (out of {max_score:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Score distribution")
    return _png(fig)


def pass_rates(rows: list[GradebookRow]) -> dict[str, float]:
    """Fraction of graded students passing each check, in rubric order."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        for check in row.result.checks if row.result else []:
            passed, total = counts.setdefault(check.id, [0, 0])
            counts[check.id] = [passed + (check.status == "passed"), total + 1]
    return {cid: p / t for cid, (p, t) in counts.items() if t}


def pass_rate_plot(rates: dict[str, float]) -> str:
    """Horizontal bars, one per check, as a PNG data URI."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(rates) + 1))
    names = list(rates)[::-1]
    ax.barh(names, [100 * rates[n] for n in names], color="#5a9e5a")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded students passing")
    ax.set_title("Pass rate per check")
    ax.tick_params(axis="y", labelsize=7)
    return _png(fig)


def speedups(rows: list[GradebookRow]) -> dict[str, list[float]]:
    """Naive-vs-fast speed-ups per layer, from ``Result.extra['naive_vs_fast']``.

    Each layer entry is a dict; every numeric value whose key mentions ``speed`` is taken,
    labelled ``"<layer> <key>"`` (e.g. ``conv forward``).
    """
    out: dict[str, list[float]] = {}
    for row in rows:
        section = row.result.extra.get("naive_vs_fast") if row.result else None
        if not isinstance(section, dict):
            continue
        for layer, stats in section.items():
            if not isinstance(stats, dict):
                continue
            for key, value in stats.items():
                if "speed" in key and isinstance(value, (int, float)) and value > 0:
                    label = f"{layer} {key.replace('_speedup', '').replace('speedup', '')}"
                    out.setdefault(label.strip(), []).append(float(value))
    return out


def speedup_plot(data: dict[str, list[float]]) -> str:
    """Box plot of speed-ups per layer (log scale), as a PNG data URI."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.boxplot(list(data.values()), tick_labels=list(data), orientation="horizontal")
    ax.set_xscale("log")
    ax.set_xlabel("fast / naive speed-up (x)")
    ax.set_title("Naive vs fast layers")
    return _png(fig)


def render(rows: list[GradebookRow], *, title: str = "Batch grading summary") -> str:
    """The summary page for a batch as a self-contained HTML document.

    Parameters
    ----------
    rows : list of GradebookRow
        One per submission, graded or not.
    title : str, optional

    Returns
    -------
    str
    """
    graded = [r for r in rows if r.result is not None]
    failed = sorted((r for r in rows if r.result is None), key=lambda r: r.student)
    parts = [f"<h1>{escape(title)}</h1>"]
    parts.append(
        f"<p>{len(rows)} submissions: {len(graded)} graded, {len(failed)} not graded.</p>"
    )
    if graded:
        scores = [r.result.score for r in graded]
        max_score = max(r.result.max_score for r in graded)
        parts.append(
            "<table><tr><th>mean</th><th>median</th><th>min</th><th>max</th><th>out of</th>"
            f'</tr><tr><td class="num">{statistics.mean(scores):.2f}</td>'
            f'<td class="num">{fmt(statistics.median(scores))}</td>'
            f'<td class="num">{fmt(min(scores))}</td><td class="num">{fmt(max(scores))}</td>'
            f'<td class="num">{fmt(max_score)}</td></tr></table>'
        )
        parts.append(f'<h2>Scores</h2><img alt="score histogram" src="'
                     f'{score_histogram(scores, max_score)}">')
        rates = pass_rates(graded)
        if rates:
            parts.append(f'<h2>Pass rate per check</h2><img alt="pass rates" src="'
                         f'{pass_rate_plot(rates)}">')
        speed = speedups(graded)
        if speed:
            rows_html = "".join(
                f"<tr><th>{escape(k)}</th><td class=\"num\">{statistics.median(v):.1f}x</td>"
                f'<td class="num">{len(v)}</td></tr>'
                for k, v in speed.items()
            )
            parts.append(
                f'<h2>Naive vs fast</h2><img alt="speed-ups" src="{speedup_plot(speed)}">'
                f"<table><tr><th>layer</th><th>median speed-up</th><th>n</th></tr>"
                f"{rows_html}</table>"
            )
    if failed:
        items = "".join(f"<tr><td>{escape(r.student)}</td><td>{escape(r.reason)}</td></tr>"
                        for r in failed)
        parts.append(f"<h2>Not graded</h2><table><tr><th>student</th><th>reason</th></tr>"
                     f"{items}</table>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def write(rows: list[GradebookRow], path) -> Path:
    """Write :func:`render` of ``rows`` to ``path`` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(rows), encoding="utf-8")
    return path

"""Training curves for the HTML report: the student's loss and accuracy next to the reference's.

A check that trained a model (:mod:`grader.checks.training`) leaves
``details["curves"] = {"student": {...}, "reference": {...}, "accuracy_note": str}``, each
side holding ``loss`` (per iteration), ``acc_iter`` and ``acc`` (accuracy at those
iterations). :func:`section` draws them as two inline SVG charts (no image library, no
external resource). Every value came from a submission's run: only finite numbers are
drawn (at most :data:`MAX_POINTS` per series) and every text is escaped.
"""

from __future__ import annotations

import html
import math

MAX_POINTS = 2000
WIDTH, HEIGHT, PAD = 420, 240, 44  # the plot; the legend takes LEGEND more to the right
LEGEND = 90
STYLE = {"student": ("#1f6fb4", ""), "reference": ("#888888", "6 4")}


def _numbers(values) -> list[float | None]:
    out = []
    for v in list(values)[:MAX_POINTS] if isinstance(values, (list, tuple)) else []:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        out.append(float(v) if ok else None)
    return out


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _chart(title: str, series: dict, ylabel: str) -> str:
    """One SVG line chart; ``series`` maps a name to ``(xs, ys)``."""
    points = [(x, y) for xs, ys in series.values() for x, y in zip(xs, ys)
              if x is not None and y is not None]
    if not points:
        return ""
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

    def sx(x):
        return PAD + (x - x0) / (x1 - x0) * (WIDTH - PAD - 10)

    def sy(y):
        return HEIGHT - PAD + 10 - (y - y0) / (y1 - y0) * (HEIGHT - PAD - 10)

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH + LEGEND}" '
              f'height="{HEIGHT}" '
              f'role="img" aria-label="{html.escape(title)}">'),
             (f'<text x="{WIDTH / 2}" y="14" text-anchor="middle" font-size="13">'
              f"{html.escape(title)}</text>"),
             (f'<line x1="{PAD}" y1="{sy(y0):.1f}" x2="{WIDTH - 10}" y2="{sy(y0):.1f}" '
              'stroke="#444"/>'),
             f'<line x1="{PAD}" y1="{sy(y0):.1f}" x2="{PAD}" y2="{sy(y1):.1f}" stroke="#444"/>']
    for v in (y0, y1):
        parts.append(f'<text x="{PAD - 4}" y="{sy(v) + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{_fmt(v)}</text>')
    for v in (x0, x1):
        parts.append(f'<text x="{sx(v):.1f}" y="{sy(y0) + 14:.1f}" text-anchor="middle" '
                     f'font-size="10">{_fmt(v)}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 4}" text-anchor="middle" '
                 'font-size="11">iteration</text>')
    parts.append(f'<text x="12" y="{HEIGHT / 2}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 12 {HEIGHT / 2})">{html.escape(ylabel)}</text>')
    for row, (name, (xs, ys)) in enumerate(series.items()):
        color, dash = STYLE.get(name, ("#000", ""))
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys)
                       if x is not None and y is not None)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        if pts:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dashes} '
                         f'points="{pts}"/>')
        ly = 28 + 14 * row
        parts.append(f'<line x1="{WIDTH}" y1="{ly}" x2="{WIDTH + 22}" y2="{ly}" '
                     f'stroke="{color}" stroke-width="2"{dashes}/>'
                     f'<text x="{WIDTH + 26}" y="{ly + 4}" font-size="11">'
                     f"{html.escape('yours' if name == 'student' else name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def charts(curves: dict) -> str:
    """The loss and accuracy charts of one check's ``details["curves"]`` (HTML)."""
    if not isinstance(curves, dict):
        return ""
    loss, acc = {}, {}
    for name in ("student", "reference"):
        side = curves.get(name)
        if not isinstance(side, dict):
            continue
        ys = _numbers(side.get("loss"))
        loss[name] = (list(range(1, len(ys) + 1)), ys)
        acc[name] = (_numbers(side.get("acc_iter")), _numbers(side.get("acc")))
    note = curves.get("accuracy_note")
    return (_chart("training loss", loss, "loss")
            + _chart("accuracy", acc, "accuracy")
            + (f"<p class=\"meta\">{html.escape(str(note)[:300])}</p>" if note else ""))


def section(result) -> str:
    """An HTML section with the curves of every check of ``result`` that has some."""
    blocks = []
    for check in result.checks:
        details = check.details if isinstance(check.details, dict) else {}
        body = charts(details.get("curves"))
        if body:
            blocks.append(f"<h3>{html.escape(check.name)}</h3><div class=\"curves\">{body}"
                          "</div>")
    if not blocks:
        return ""
    return ("<section><h2>Training curves: yours and the reference's</h2>"
            + "".join(blocks) + "</section>")

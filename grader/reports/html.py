"""Per-student HTML report: one self-contained page, figures embedded as data URIs.

Everything that came from a submission (feedback, names, notebook errors, figures) is
untrusted: text is escaped with :func:`html.escape`, and a figure is embedded only when it
decodes as a PNG, so no submission can inject markup or scripts into the page.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from pathlib import Path

from grader.result import CheckResult, Result

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
MAX_FIGURES_PER_CHECK = 12

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
h1{margin-bottom:.2em} .meta{color:#666;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.status{font-weight:bold;border-radius:3px;padding:0 .4em}
.passed{background:#d4f4d4;color:#146c14} .failed{background:#fde0e0;color:#a01010}
.error,.timeout{background:#fff0c8;color:#7a5200} .missing{background:#e8e8e8;color:#555}
.total{font-size:1.4em} .hidden-tag{color:#888;font-size:.8em}
figure{display:inline-block;margin:.5em;border:1px solid #ddd;padding:.3em}
figure img{max-width:32em} figcaption{font-size:.8em;color:#666}
pre{background:#f7f7f7;padding:.5em;white-space:pre-wrap;overflow-wrap:anywhere}
"""


def escape(value) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(x) -> str:
    """Format a number compactly (scores as 2.5, errors as 1.2e-09)."""
    if x is None:
        return ""
    if isinstance(x, float) and (x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6)):
        return f"{x:.2e}"
    return f"{x:g}" if isinstance(x, (int, float)) else escape(x)


def png_data_uri(data) -> str | None:
    """Return a ``data:image/png;base64,...`` URI, or None when ``data`` is not a PNG.

    Parameters
    ----------
    data : str or bytes
        Base64 text (as nbformat stores ``image/png`` outputs) or raw PNG bytes.
    """
    if isinstance(data, bytes) and data.startswith(_PNG_MAGIC):
        raw = data
    else:
        text = "".join(data.split()) if isinstance(data, str) else ""
        if not text or not _B64.match(text):
            return None
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
    if not raw.startswith(_PNG_MAGIC):
        return None
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def _figures_html(check: CheckResult) -> str:
    """The figures a notebook check kept (``details['figures']``), as ``<figure>`` tags."""
    parts = []
    for fig in list(check.details.get("figures") or [])[:MAX_FIGURES_PER_CHECK]:
        if not isinstance(fig, dict):
            continue
        uri = png_data_uri(fig.get("png", ""))
        if uri is None:
            continue
        caption = f"cell {escape(fig.get('cell', '?'))}"
        parts.append(
            f'<figure><img src="{uri}" alt="figure from {caption}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    return "\n".join(parts)


def _cell_errors_html(check: CheckResult) -> str:
    """Per-cell notebook errors (``details['cell_errors']``) as a list."""
    errors = check.details.get("cell_errors") or []
    if not errors:
        return ""
    items = "".join(
        f"<li>cell {escape(err.get('cell'))}: <code>{escape(err.get('ename'))}</code> "
        f"{escape(err.get('evalue'))}</li>"
        for err in errors
        if isinstance(err, dict)
    )
    return f"<ul>{items}</ul>"


def _check_row(check: CheckResult) -> str:
    err = fmt(check.error)
    thr = fmt(check.threshold)
    measured = f"{err} / {thr}" if err or thr else ""
    hidden = ' <span class="hidden-tag">(hidden)</span>' if check.visibility == "hidden" else ""
    status = escape(check.status)
    return (
        f"<tr><td><code>{escape(check.id)}</code></td><td>{escape(check.name)}{hidden}</td>"
        f'<td class="num">{fmt(check.score)} / {fmt(check.max_score)}</td>'
        f'<td><span class="status {status}">{status}</span></td>'
        f'<td class="num">{measured}</td><td>{escape(check.feedback)}{_cell_errors_html(check)}'
        f"</td></tr>"
    )


def _groups(checks: list[CheckResult]) -> dict[str, list[CheckResult]]:
    groups: dict[str, list[CheckResult]] = {}
    for check in checks:
        groups.setdefault(check.group or "other", []).append(check)
    return groups


def _naive_vs_fast_html(section) -> str:
    """``Result.extra['naive_vs_fast']``: one row per layer of numbers; text entries (such as
    the benchmark shapes) become a caption."""
    if not isinstance(section, dict) or not section:
        return ""
    rows, notes = {}, []
    for name, value in section.items():
        numeric = isinstance(value, dict) and any(
            isinstance(v, (int, float)) for v in value.values())
        if numeric:
            rows[name] = value
        elif isinstance(value, dict):
            notes += [f"{k}: {v}" for k, v in value.items()]
        else:
            notes.append(f"{name}: {value}")
    keys: list[str] = []
    for v in rows.values():
        keys += [k for k in v if k not in keys]
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    body = "".join(
        f"<tr><th>{escape(name)}</th>"
        + "".join(f'<td class="num">{fmt(v.get(k))}</td>' for k in keys)
        + "</tr>"
        for name, v in rows.items()
    )
    caption = f"<caption>{escape('; '.join(notes))}</caption>" if notes else ""
    table = f"<table>{caption}<tr><th>layer</th>{head}</tr>{body}</table>" if rows else ""
    return f"<section><h2>Naive vs fast layers</h2>{table}</section>"


def render(result: Result, *, title: str | None = None) -> str:
    """Render one result as a complete, self-contained HTML document.

    Parameters
    ----------
    result : Result
        The grade of one submission.
    title : str, optional
        Page title; defaults to the submission name.

    Returns
    -------
    str
        The HTML text (UTF-8, no external resources).
    """
    title = title or f"Grade report: {result.submission}"
    sections = []
    for group, checks in _groups(result.checks).items():
        score = sum(c.score for c in checks)
        max_score = sum(c.max_score for c in checks)
        rows = "\n".join(_check_row(c) for c in checks)
        figures = "\n".join(f for f in (_figures_html(c) for c in checks) if f)
        sections.append(
            f"<section><h2>{escape(group)} <small>{fmt(score)} / {fmt(max_score)}</small></h2>"
            "<table><tr><th>check</th><th>name</th><th>points</th><th>status</th>"
            f"<th>error / threshold</th><th>feedback</th></tr>\n{rows}\n</table>"
            + (f'<div class="figures">{figures}</div>' if figures else "")
            + "</section>"
        )
    extra = _naive_vs_fast_html(result.extra.get("naive_vs_fast"))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n"
        f'<p class="total">Total: <strong>{fmt(result.score)} / {fmt(result.max_score)}'
        "</strong></p>\n"
        f'<p class="meta">submission hash <code>{escape(result.submission_hash[:16])}</code> · '
        f"grader {escape(result.grader_version)} · graded in {result.seconds:.1f} s</p>\n"
        + "\n".join(sections)
        + extra
        + "\n</body></html>\n"
    )


def write(result: Result, path) -> Path:
    """Write :func:`render` of ``result`` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result), encoding="utf-8")
    return path

"""Per-student HTML report: one self-contained page, figures embedded as data URIs.

Laid out like the console table (:mod:`.grouping`): the total, per-file subtotals, then one
block per student function with its checks folded under it.

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

from . import curves
from .grouping import FileGroup, FunctionRow, failing_error, group

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
MAX_FIGURES_PER_CHECK = 12

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;padding:0 1.5em;color:#222;
  max-width:72em;line-height:1.4}
h1{margin-bottom:.2em;overflow-wrap:anywhere} h2{margin:1.4em 0 .4em}
h2 small{font-weight:normal;color:#555}
.meta,.note{color:#666;font-size:.9em} .note{color:#444}
table{border-collapse:collapse;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{overflow-wrap:anywhere}
.status{font-weight:bold;border-radius:3px;padding:0 .4em;white-space:nowrap}
.passed{background:#d4f4d4;color:#146c14} .failed{background:#fde0e0;color:#a01010}
.error,.timeout{background:#fff0c8;color:#7a5200} .missing{background:#e8e8e8;color:#555}
.total{font-size:1.5em;margin:.3em 0} .hidden-tag{color:#888;font-size:.85em}
.bar{display:inline-block;width:10em;height:.7em;background:#eee;border-radius:3px;
  vertical-align:middle;overflow:hidden} .bar span{display:block;height:100%;background:#4a9a4a}
.fn{border:1px solid #ddd;border-left:4px solid #4a9a4a;border-radius:3px;margin:.4em 0;
  padding:.35em .7em} .fn.bad{border-left-color:#c03030}
.fn-head{display:flex;flex-wrap:wrap;gap:.3em 1.2em;align-items:baseline;cursor:pointer}
.fn-name{font-weight:bold;font-size:1.05em} .fn-head .num{font-variant-numeric:tabular-nums}
.more{margin-left:auto;color:#335;font-size:.85em;text-decoration:underline dotted}
details[open] .more{color:#999}
.feedback{margin:.4em 0 .2em;overflow-wrap:anywhere}
table.checks{width:100%} table.checks td.fb{border-top:none;color:#333;overflow-wrap:anywhere}
figure{display:inline-block;margin:.5em;border:1px solid #ddd;padding:.3em;max-width:100%}
figure img{max-width:100%;height:auto} figcaption{font-size:.8em;color:#666}
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


def _measured(error, threshold) -> str:
    err, thr = fmt(error), fmt(threshold)
    return f"{err} / {thr}" if err or thr else ""


def _status(status: str) -> str:
    return f'<span class="status {escape(status)}">{escape(status)}</span>'


def _bar(score, max_score) -> str:
    share = 0 if not max_score else max(0.0, min(1.0, score / max_score))
    return f'<span class="bar" title="{100 * share:.0f}%"><span style="width:' \
           f'{100 * share:.1f}%"></span></span>'


def _hidden_tag(check: CheckResult) -> str:
    return ' <span class="hidden-tag">(hidden)</span>' if check.visibility == "hidden" else ""


def _checks_table(row: FunctionRow) -> str:
    """Every check of a function: a line of numbers, then its feedback across the table."""
    body = []
    for c in row.checks:
        body.append(
            f"<tr><td><code>{escape(c.id)}</code> {escape(c.name)}{_hidden_tag(c)}</td>"
            f'<td class="num">{fmt(c.score)} / {fmt(c.max_score)}</td><td>{_status(c.status)}'
            f'</td><td class="num">{_measured(*failing_error(c))}</td></tr>')
        text = escape(c.feedback) + _cell_errors_html(c)
        if text:
            body.append(f'<tr><td class="fb" colspan="4">{text}</td></tr>')
    return ('<table class="checks"><tr><th>check</th><th>points</th><th>status</th>'
            f"<th>error / threshold</th></tr>{''.join(body)}</table>")


def _function_html(row: FunctionRow) -> str:
    """One student function: its line (which opens its checks, folded in a ``<details>``),
    then the first failing check's feedback and the figures its checks kept."""
    first = row.first_failure
    error = _measured(*row.error())
    count = f"{len(row.checks)} check{'s' if len(row.checks) != 1 else ''}"
    head = (
        f'<summary class="fn-head">{_status(row.status)}'
        f'<code class="fn-name">{escape(row.label)}</code>'
        f'<span class="num">{fmt(row.score)} / {fmt(row.max_score)} points</span>'
        f"<span>{row.passed} of {count} passed</span>"
        + (f'<span class="num">error / threshold {error}</span>' if error else "")
        + ('<span class="hidden-tag">(hidden)</span>' if row.hidden else "")
        + '<span class="more">details</span></summary>')
    feedback = ""
    if first is not None and first.feedback:
        feedback = (f'<p class="feedback"><code>{escape(first.id)}</code>{_hidden_tag(first)}: '
                    f"{escape(first.feedback)}</p>")
    figures = "\n".join(f for f in (_figures_html(c) for c in row.checks) if f)
    figures = f'<div class="figures">{figures}</div>' if figures else ""
    state = "ok" if first is None else "bad"
    return (f'<div class="fn {state}"><details>{head}{_checks_table(row)}</details>'
            f"{feedback}{figures}</div>")


def _file_html(file: FileGroup) -> str:
    rows = "\n".join(_function_html(r) for r in file.rows)
    return (f'<section id="{escape(_anchor(file))}"><h2>{escape(file.title)} <small>'
            f"{fmt(file.score)} / {fmt(file.max_score)}</small></h2>\n{rows}</section>")


def _anchor(file: FileGroup) -> str:
    return "file-" + re.sub(r"[^A-Za-z0-9_-]", "-", file.name)


def _overview_html(files: list[FileGroup]) -> str:
    """Per-file subtotals, each linking to its section."""
    rows = "".join(
        f'<tr><td><a href="#{escape(_anchor(f))}">{escape(f.title)}</a></td>'
        f'<td class="num">{fmt(f.score)} / {fmt(f.max_score)}</td>'
        f"<td>{_bar(f.score, f.max_score)}</td></tr>"
        for f in files)
    return ('<table class="files"><tr><th>file</th><th>points</th><th></th></tr>'
            f"{rows}</table>")


def _header_html(result: Result, title: str) -> str:
    total = f"{fmt(result.score)} / {fmt(result.max_score)}"
    return (f"<h1>{escape(title)}</h1>\n<p class=\"total\">Total: <strong>{total}</strong> "
            f"{_bar(result.score, result.max_score)}</p>\n<p class=\"meta\">submission hash "
            f"<code>{escape(result.submission_hash[:16])}</code> · grader "
            f"{escape(result.grader_version)} · graded in {result.seconds:.1f} s</p>")


def _notes_html(result: Result) -> str:
    layout = result.extra.get("layout")
    return f'<p class="note">{escape(layout)}</p>' if layout else ""


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

    The total and per-file subtotals first; then, file by file, one block per student
    function (points, status, the first failing check's feedback, figures), each check's
    own line and feedback folded under it (``<details>``).

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
    files = group(result.checks)
    body = [
        _header_html(result, title),
        _notes_html(result),
        _overview_html(files),
        *(_file_html(f) for f in files),
        _naive_vs_fast_html(result.extra.get("naive_vs_fast")),
        curves.section(result),  # training curves (grader/reports/curves.py)
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body></html>\n"
    )


def write(result: Result, path) -> Path:
    """Write :func:`render` of ``result`` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result), encoding="utf-8")
    return path

"""Stage 5b: ``similarity.html``, one self-contained page for the person who reviews.

No scripts and no external resources (it opens offline, in a mail client, in a headless
browser); every text from a submission is escaped. Sections: the notice, the numbers, a
histogram of pair scores (inline SVG), clusters, the ranked pairs, and a side-by-side
view of the top pairs' matching functions with the matching lines highlighted.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from .analysis import Analysis
from .matches import best_counterpart, doc_hashes, matching_lines
from .report import NOTICE, functions_text, listed_pairs, summary

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
.notice{background:#fff7d6;border:1px solid #e0c050;padding:.8em 1em;border-radius:4px}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2}
tr.flag td{background:#ffe9e6}
.num{text-align:right;font-variant-numeric:tabular-nums}
.side{width:100%;table-layout:fixed}
.side td{width:50%;padding:0}
pre{margin:0;font-size:12px;line-height:1.35;overflow-x:auto}
pre span{display:block;white-space:pre}
pre span.hit{background:#ffd9a0}
.ln{color:#999;display:inline-block;width:3.5em}
details{margin:.4em 0 1em 0}
summary{cursor:pointer;font-weight:600}
"""
MAX_ROWS = 300  # rows of the ranked table; the CSV has them all


def _histogram_svg(analysis: Analysis, width=560, height=170):
    """Bars of pair counts per score bin (log height, so that rare high scores show)."""
    counts = [int(c) for c in analysis.histogram]
    nb = len(counts)
    left, bottom, top = 40, 30, 10
    bw = (width - left - 10) / nb
    peak = math.log1p(max(counts) or 1)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              'role="img" aria-label="histogram of pair scores">')]
    for i, c in enumerate(counts):
        h = (height - bottom - top) * math.log1p(c) / peak if c else 0
        x, y = left + i * bw, height - bottom - h
        lo = i / nb
        colour = "#d9534f" if lo >= analysis.config.threshold else "#5b8def"
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{lo:.2f}-{lo + 1 / nb:.2f}: {c} pairs</title>'
                     f'</rect>')
        if c:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{y - 2:.1f}" font-size="9" '
                         f'text-anchor="middle">{c}</text>')
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + t * nb * bw
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" font-size="10" '
                     f'text-anchor="middle">{t:g}</text>')
    tx = left + analysis.config.threshold * nb * bw
    parts.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{height - bottom}" '
                 'stroke="#d9534f" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{left + (width - left) / 2:.1f}" y="{height - 4}" font-size="11" '
                 'text-anchor="middle">pair score (log-scaled bar height; dashed line: '
                 'threshold)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _code(doc, unit, hits):
    """The unit's code and comment lines (no docstring, no blank lines), matches highlighted."""
    text = doc.files.get(unit.module, "")
    lines = text.splitlines()
    code = {ln for tok, ln in zip(unit.tokens, unit.lines) if tok not in ("{", "}", ";")}
    out = []
    for no in range(unit.first_line, min(unit.last_line, len(lines)) + 1):
        if no not in code and not lines[no - 1].lstrip().startswith("#"):
            continue
        cls = ' class="hit"' if no in hits else ""
        out.append(f'<span{cls}><span class="ln">{no}</span>{escape(lines[no - 1])}</span>')
    return f"<pre>{''.join(out)}</pre>"


def _side_by_side(analysis: Analysis, rank, pair):
    index, k = analysis.index, analysis.config.k
    da, db = index.docs[pair.a], index.docs[pair.b]
    ha, hb = doc_hashes(index, pair.a), doc_hashes(index, pair.b)
    out = [(f'<h3 id="pair-{rank}">#{rank}: {escape(da.name)} ~ {escape(db.name)} '
            f"(score {pair.score:.2f})</h3>"),
           (f"<table><tr><th>function</th><th>fingerprints in {escape(da.name)}</th>"
            f"<th>found in {escape(db.name)}</th><th>fingerprints in {escape(db.name)}</th>"
            f"<th>found in {escape(da.name)}</th></tr>")]
    by_name: dict[str, dict] = {}
    for f in pair.functions:
        by_name.setdefault(f.name, {})[f.side] = f
    for name, sides in by_name.items():
        cells = []
        for side in ("a", "b"):
            f = sides.get(side)
            cells.append(f'<td class="num">{f.size}</td><td class="num">{100 * f.overlap:.0f}%'
                         "</td>" if f else "<td></td><td></td>")
        out.append(f"<tr><td>{escape(name)}</td>{''.join(cells)}</tr>")
    out.append("</table>")
    shown = 0
    for f in pair.functions:
        if f.side != "a" or f.shared < 2:
            continue
        other = best_counterpart(index, f.unit, pair.b)
        if other is None:
            continue
        ua, ub = index.units[f.unit], index.units[other]
        left = _code(da, ua, matching_lines(index, f.unit, hb, k))
        right = _code(db, ub, matching_lines(index, other, ha, k))
        out.append(f"<details{' open' if shown < 2 else ''}><summary>{escape(ua.key)} ~ "
                   f"{escape(ub.key)} ({100 * f.overlap:.0f}% of its fingerprints)</summary>"
                   f'<table class="side"><tr><th>{escape(da.name)}</th>'
                   f"<th>{escape(db.name)}</th></tr><tr><td>{left}</td><td>{right}</td></tr>"
                   "</table></details>")
        shown += 1
    return "\n".join(out)


def render(analysis: Analysis):
    """The whole page as a string."""
    s = summary(analysis)
    c = analysis.config
    docs = analysis.index.docs
    listed = listed_pairs(analysis)
    detail = {id(p) for p in listed[: c.max_pairs]}
    rows = []
    for rank, p in enumerate(listed[:MAX_ROWS], start=1):
        link = (f'<a href="#pair-{rank}">{rank}</a>' if id(p) in detail else str(rank))
        funcs = escape(functions_text(p, limit=3))
        cls = ' class="flag"' if p.score >= c.threshold else ""
        rows.append(f"<tr{cls}><td>{link}</td><td>{escape(docs[p.a].name)}</td>"
                    f"<td>{escape(docs[p.b].name)}</td><td class=\"num\">{p.score:.2f}</td>"
                    f'<td class="num">{p.shared}</td><td>{funcs}</td></tr>')
    clusters = "".join(f"<li>{len(g)} submissions: {escape(', '.join(g))}</li>"
                       for g in s["clusters"]) or "<li>none</li>"
    unreadable = "".join(f"<li>{escape(n)}: {escape(r)}</li>"
                         for n, r in sorted(s["unreadable"].items()))
    sides = "\n".join(_side_by_side(analysis, rank, p)
                      for rank, p in enumerate(listed[: c.max_pairs], start=1))
    ig = s["ignored_fingerprints"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similarity report</title>
<style>{CSS}</style></head><body>
<h1>Similarity report</h1>
<p class="notice"><strong>Evidence for review, not a verdict.</strong> {escape(NOTICE)}</p>
<h2>Summary</h2>
<ul>
<li>{s['submissions']} submissions compared with each other{', with the reference solution'
    if s['reference'] else ''}{f", and with {s['archived']} archived submissions"
    if s['archived'] else ''}; {s['pairs_compared']} pairs.</li>
<li>{s['flagged']} pairs score at or above the threshold {c.threshold:g}.</li>
<li>Compared: the code students wrote, per function, with names, comments, blank lines,
debugging prints and function order ignored. Ignored: {ig['handed_out']} fingerprints of
the handed-out skeleton and provided code, and {ig['common']} fingerprints found in more
than {ig['common_above_documents']} submissions (what most of the class writes alike).</li>
<li>Score: the weighted share of distinctive code two submissions hold in common (0 to 1);
code that several students wrote alike weighs less than code only these two share.</li>
</ul>
{'<p>Not compared (unreadable):</p><ul>' + unreadable + '</ul>' if unreadable else ''}
<h2>Pair scores</h2>
{_histogram_svg(analysis)}
<h2>Clusters (three or more linked at {c.cluster_threshold:g})</h2>
<ul>{clusters}</ul>
<h2>Pairs, highest first</h2>
<table><tr><th>#</th><th>a</th><th>b</th><th>score</th><th>shared fingerprints</th>
<th>functions (share of one side's function found in the other)</th></tr>
{''.join(rows) or '<tr><td colspan="6">no pair shares distinctive code</td></tr>'}
</table>
<h2>Side by side (top {min(len(listed), c.max_pairs)} pairs)</h2>
{sides}
</body></html>
"""


def write(analysis: Analysis, path):
    """Write ``similarity.html``; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(analysis), encoding="utf-8")
    return path

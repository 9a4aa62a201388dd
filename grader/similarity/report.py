"""Stage 5a: the machine-readable reports (CSV, JSON) and the console summary.

Every output says what the numbers are: evidence for a person to review, never a verdict,
and never an input to a grade.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .analysis import Analysis

NOTICE = ("Similarity is evidence for a person to review, never a verdict: shared code can "
          "have innocent causes (allowed collaboration, a common tutorial, the natural form "
          "of a naive loop). Grades are never changed by this report.")
CSV_FIELDS = ["rank", "student_a", "student_b", "kind_b", "score", "flagged",
              "shared_fingerprints", "fingerprints_a", "fingerprints_b", "largest_function",
              "functions"]


def listed_pairs(analysis: Analysis):
    """Pairs that go into the CSV and JSON: those above ``list_floor`` or flagged."""
    floor = min(analysis.config.list_floor, analysis.config.threshold)
    return [p for p in analysis.pairs if p.score >= floor]


def functions_text(pair, limit=4):
    """``"conv_layers.conv_forward_naive 100%; ..."`` from side a's view, then b's."""
    seen, out = set(), []
    for f in pair.functions:
        if f.name in seen or f.size < 2:
            continue
        seen.add(f.name)
        out.append(f"{f.name} {100 * f.overlap:.0f}%")
        if len(out) == limit:
            break
    return "; ".join(out)


def pair_record(analysis: Analysis, rank, pair):
    """One pair as a plain ``dict`` (the CSV row and the JSON entry)."""
    docs = analysis.index.docs
    return {
        "rank": rank,
        "student_a": docs[pair.a].name,
        "student_b": docs[pair.b].name,
        "kind_b": docs[pair.b].kind,
        "score": round(pair.score, 4),
        "flagged": pair.score >= analysis.config.threshold,
        "shared_fingerprints": pair.shared,
        "fingerprints_a": pair.size_a,
        "fingerprints_b": pair.size_b,
        "largest_function": round(pair.function, 4),
        "functions": functions_text(pair),
    }


def write_csv(analysis: Analysis, path):
    """``similarity.csv``: one row per listed pair, highest score first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        w.writeheader()
        for rank, pair in enumerate(listed_pairs(analysis), start=1):
            w.writerow(pair_record(analysis, rank, pair))
    return path


def summary(analysis: Analysis):
    """Counts for the JSON report and the console."""
    docs = analysis.index.docs
    subs = [d for d in docs if d.kind == "submission"]
    return {
        "submissions": len(subs),
        "unreadable": {d.name: d.error for d in subs if d.error},
        "archived": sum(d.kind == "archive" for d in docs),
        "reference": any(d.kind == "reference" for d in docs),
        "pairs_compared": int(analysis.histogram.sum()),
        "flagged": len(analysis.flagged),
        "clusters": [[docs[i].name for i in g] for g in analysis.clusters],
        "ignored_fingerprints": {"handed_out": analysis.index.ignored_given,
                                 "common": analysis.index.ignored_common,
                                 "common_above_documents": analysis.index.common_limit},
    }


def write_json(analysis: Analysis, path):
    """``similarity.json``: settings, summary, histogram and every listed pair."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pairs = []
    for rank, pair in enumerate(listed_pairs(analysis), start=1):
        rec = pair_record(analysis, rank, pair)
        rec["functions"] = [{"side": f.side, "function": f.name, "fingerprints": f.size,
                             "found_in_other": f.shared, "overlap": round(f.overlap, 4)}
                            for f in pair.functions]
        pairs.append(rec)
    doc = {"notice": NOTICE, "config": analysis.config.to_dict(), "summary": summary(analysis),
           "histogram": {"bins": len(analysis.histogram),
                         "counts": [int(c) for c in analysis.histogram]},
           "pairs": pairs}
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def console(analysis: Analysis, out_dir=None, top=5):
    """A few lines for the terminal: counts, the top flagged pairs, where the report is."""
    s = summary(analysis)
    t = analysis.config.threshold
    lines = [(f"similarity: {s['submissions']} submissions, {s['pairs_compared']} pairs "
              f"compared, {s['flagged']} at or above {t:g} (evidence for review; grades "
              "unchanged)")]
    for p in analysis.flagged[:top]:
        lines.append(f"  {p.score:.2f}  {analysis.name(p.a)} ~ {analysis.name(p.b)}")
    if len(analysis.flagged) > top:
        lines.append(f"  ... and {len(analysis.flagged) - top} more")
    for g in s["clusters"]:
        lines.append(f"  cluster of {len(g)}: {', '.join(g)}")
    if s["unreadable"]:
        lines.append(f"  not compared (unreadable): {', '.join(sorted(s['unreadable']))}")
    if out_dir is not None:
        lines.append(f"  report: {Path(out_dir) / 'similarity.html'}")
    return "\n".join(lines)

"""The per-student HTML report, the gradebook CSV and the batch summary page."""

import base64
import csv
import io
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader import reports
from grader.reports import csv as csv_report
from grader.reports import html as html_report
from grader.reports import summary as summary_report
from grader.reports.csv import GradebookRow
from grader.result import CheckResult, Result

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quoted"'


def tiny_png():
    """A real 4x3 PNG drawn by matplotlib, base64 as nbformat stores it."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 0.75), dpi=20)
    ax.plot([0, 1], [1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


class StrictHTML(HTMLParser):
    """Fails on mismatched or unclosed tags, scripts and external resources."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.doctype, self.images = [], [], False, []

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        if tag == "script" or any(k.startswith("on") for k, _ in attrs):
            self.errors.append(f"script content: <{tag} {attrs}>")
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def assert_valid_html(text):
    p = StrictHTML()
    p.feed(text)
    p.close()
    assert p.doctype, "no <!DOCTYPE html>"
    assert not p.errors, p.errors
    assert not p.stack, f"unclosed: {p.stack}"
    assert all(src.startswith("data:image/png;base64,") for src in p.images), p.images
    return p


@pytest.fixture(scope="module")
def result():
    png = tiny_png()
    checks = [
        CheckResult("conv_forward_naive.public", "conv forward", 4, 4, "passed",
                    error=1e-9, threshold=1e-6, group="conv_layers"),
        CheckResult("conv_backward_naive.public", EVIL, 0, 4, "failed", feedback=EVIL,
                    error=0.5, threshold=1e-6, group="conv_layers"),
        CheckResult("adam.steps", "adam", 0, 2, "timeout", feedback="timed out",
                    visibility="hidden", group="optim"),
        CheckResult("notebooks.CNN", "CNN.ipynb runs clean", 0, 2, "failed",
                    feedback="1 cell raised", group="notebooks",
                    details={"figures": [{"cell": 3, "png": png},
                                         {"cell": 4, "png": "not base64 at all <b>"},
                                         {"cell": 5, "png": base64.b64encode(b"GIF89a").decode()}],
                             "cell_errors": [{"cell": 7, "ename": "NameError", "evalue": EVIL}]}),
    ]
    return Result("=alice", "ab" * 32, "0.1.0", checks, seconds=1.5,
                  extra={"naive_vs_fast": {"shapes": {"conv": "x (2, 3, 8, 8)"},
                                           "conv": {"forward_speedup": 120.0,
                                                    "backward_speedup": 300.0},
                                           "pool": {"forward_speedup": 12.0}}})


def test_html_is_valid_escaped_and_embeds_only_png(result, tmp_path):
    text = html_report.write(result, tmp_path / "r.html").read_text(encoding="utf-8")
    parsed = assert_valid_html(text)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert len(parsed.images) == 1, "only the real PNG is embedded"
    assert "Total: <strong>4 / 12</strong>" in text
    assert "NameError" in text and "forward_speedup" in text


def test_png_data_uri_rejects_non_png():
    assert html_report.png_data_uri("not base64 <b>") is None
    assert html_report.png_data_uri(base64.b64encode(b"GIF89a....").decode()) is None
    assert html_report.png_data_uri(tiny_png()).startswith("data:image/png;base64,")


def test_gradebook_one_row_per_student_and_a_reason(result, tmp_path):
    other = Result("bob", "cd" * 32, "0.1.0", [
        CheckResult("conv_forward_naive.public", "conv forward", 2, 4, "failed"),
        CheckResult("extra.check", "only bob has it", 1, 1, "passed")])
    rows = [GradebookRow("bob", other), GradebookRow("=alice", result),
            GradebookRow("carol", None, "SubmissionError: carol.zip is not a readable zip")]
    text = csv_report.write(rows, tmp_path / "g.csv").read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["student"] for r in table] == ["'=alice", "bob", "carol"]  # sorted, no formula
    alice, bob, carol = table
    assert alice["score"] == "4" and alice["max_score"] == "12" and alice["status"] == "graded"
    assert alice["conv_backward_naive.public"] == "0" and alice["extra.check"] == ""
    assert bob["extra.check"] == "1" and bob["score"] == "3"
    assert carol["status"] == "not graded" and "not a readable zip" in carol["reason"]
    assert carol["score"] == ""
    header = text.splitlines()[0].split(",")
    assert header[:4] == ["student", "status", "score", "max_score"]
    assert header[-1] == "reason"


def test_csv_writer_plugs_into_reports_write(result, tmp_path):
    reports.write(result, "csv", tmp_path / "one.csv")
    reports.write(result, "html", tmp_path / "one.html")
    assert len((tmp_path / "one.csv").read_text().splitlines()) == 2
    assert_valid_html((tmp_path / "one.html").read_text())


def test_summary_page_has_plots_and_failures(result, tmp_path):
    rows = [GradebookRow("a", result), GradebookRow("b", None, "empty <folder>")]
    text = summary_report.write(rows, tmp_path / "s.html").read_text(encoding="utf-8")
    parsed = assert_valid_html(text)
    assert len(parsed.images) == 3  # histogram, pass rates, speed-ups
    assert "empty &lt;folder&gt;" in text
    assert summary_report.speedups(rows)["conv forward"] == [120.0]
    assert summary_report.pass_rates(rows)["conv_forward_naive.public"] == 1.0


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="headless Chromium not installed "
                    "(Debian: apt-get install -y chromium)")
def test_html_report_opens_in_headless_chromium(result, tmp_path):
    page = html_report.write(result, tmp_path / "report.html")
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--window-size=1000,1200",
             "--enable-logging=stderr", "--v=0",
             f"--screenshot={shot}", page.resolve().as_uri()],
            check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    page_errors = [line for line in proc.stderr.splitlines()
                   if "CONSOLE" in line or "Failed to load resource" in line or "Uncaught" in line]
    assert not page_errors, page_errors
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000, "blank or missing screenshot"
    keep = Path(tempfile.gettempdir()) / "grader-html-report-screenshot.png"
    shutil.copyfile(shot, keep)  # for a human to look at

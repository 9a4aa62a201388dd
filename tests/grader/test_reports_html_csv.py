"""The per-student HTML report, the gradebook CSV and the batch summary page."""

import base64
import csv
import html
import io
import json
import re
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


def tiny_png(size=(1, 0.75), dpi=20):
    """A real PNG (4x3 by default) drawn by matplotlib, base64 as nbformat stores it."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=dpi)
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


def grouped_result():
    """A partial submission as the grader reports it: an unwritten function judged by four
    checks, a passed one, a long named mistake, a notebook with a figure."""
    def check(cid, function, score, max_score, status, feedback="", **kw):
        c = CheckResult(cid, f"{cid} title", score, max_score, status, feedback,
                        group=function.split(".")[0] if function else "notebooks", **kw)
        c.functions = [function] if function else []  # CheckResult.functions
        return c

    long_feedback = ("This looks like a convolution that never added the bias b, so every "
                     "output channel is off by its bias: out error 1.0e+00 > 1e-06 "
                     "[x (2,3,4,4), w (3,3,4,4), stride 2, pad 1 (x and w from linspace)] ") * 3
    long_feedback += "/home/student/" + "a_very_long_folder_name/" * 12  # no place to break
    checks = [check(f"conv_forward_naive.case_{i}", "conv_layers.conv_forward_naive", 0, 3,
                    "failed", "conv_forward_naive: not implemented (conv_layers.py, line 46)",
                    visibility="hidden" if i else "public") for i in range(4)]
    checks += [
        check("conv_backward_naive.public", "conv_layers.conv_backward_naive", 0, 4, "failed",
              long_feedback, error=1.0, threshold=1e-6),
        check("relu.public", "layers.relu_forward", 2, 2, "passed", error=0.0,
              threshold=1e-6),
        check("notebooks.CNN", None, 2, 2, "passed", "all 40 code cells ran",
              details={"figures": [{"cell": 12, "png": tiny_png(size=(6, 3), dpi=80)}]}),
    ]
    return Result("partial", "ab" * 32, "0.1.0", checks, seconds=2.0)


def test_html_groups_checks_under_their_function(tmp_path):
    text = html_report.render(grouped_result())
    parsed = assert_valid_html(text)
    assert len(parsed.images) == 1  # the notebook's figure
    assert "Total: <strong>4 / 20</strong>" in text
    # per-file subtotals: in the overview and as section headings
    for title, sub in (("conv_layers.py", "0 / 16"), ("layers.py", "2 / 2"),
                       ("notebooks", "2 / 2")):
        assert f"{title} <small>{sub}</small>" in text
        assert re.search(rf">{re.escape(title)}</a></td><td class=\"num\">{sub}<", text)
    # one block per function; the first failing check's feedback outside the fold, once
    assert text.count('class="fn ') == 4
    block = next(b for b in text.split('<div class="fn ') if "conv_forward_naive</code>" in b)
    visible = re.sub(r"<details>.*?</details>", "", block, flags=re.DOTALL)
    assert visible.count("not implemented") == 1
    assert "0 of 4 checks passed" in block
    # every check on demand, in the fold
    folded = re.search(r"<details>.*?</details>", block, flags=re.DOTALL).group(0)
    assert all(f"conv_forward_naive.case_{i}" in folded for i in range(4))


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


needs_chromium = pytest.mark.skipif(chromium() is None, reason="headless Chromium not "
                                    "installed (Debian: apt-get install -y chromium)")


def run_chromium(*args, url):
    """Headless Chromium on ``url``; its stdout, after checking the page logged no error."""
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
             "--enable-logging=stderr", "--v=0", *args, url],
            check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    page_errors = [line for line in proc.stderr.splitlines()
                   if "CONSOLE" in line or "Failed to load resource" in line or "Uncaught" in line]
    assert not page_errors, page_errors
    return proc.stdout


# Test-only: opens every fold, then measures the page into an attribute --dump-dom prints.
# (The report itself holds no script; this one goes into a copy of it.)
MEASURE = """<script>
document.querySelectorAll('details').forEach(d => d.open = true);
const root = document.documentElement, body = document.body.getBoundingClientRect().width;
const widths = s => [...document.querySelectorAll(s)].map(e => e.getBoundingClientRect().width);
const imgs = [...document.images];
document.body.dataset.measure = JSON.stringify({
  scroll: root.scrollWidth, client: root.clientWidth, body: body,
  feedback: widths('.feedback'), cells: widths('td.fb'), tables: widths('table.checks'),
  images: imgs.map(i => i.complete && i.naturalWidth > 0)});
</script>"""


def measure(page, width):
    """Layout numbers of ``page`` opened in a ``width``-pixel window, folds open."""
    probe = page.with_name(f"probe-{width}.html")
    probe.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    dom = run_chromium(f"--window-size={width},900", "--virtual-time-budget=3000",
                       "--dump-dom", url=probe.resolve().as_uri())
    raw = re.search(r'data-measure="([^"]*)"', dom).group(1)
    return json.loads(html.unescape(raw))


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("width", [1366, 1024])
def test_html_report_reads_well_at_laptop_width(tmp_path, width):
    """No horizontal scrolling, feedback across the whole block (not a narrow column), every
    figure decoded, with all checks unfolded."""
    page = html_report.write(grouped_result(), tmp_path / "report.html")
    m = measure(page, width)
    assert m["scroll"] <= m["client"] == width, m
    assert m["feedback"] and min(m["feedback"]) >= 0.9 * m["body"], m
    assert m["cells"] and min(m["cells"]) >= 0.9 * m["body"], m  # per-check feedback rows
    assert m["images"] == [True], m


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("fixture", ["result", "grouped"])
def test_html_report_screenshot_in_headless_chromium(result, fixture, tmp_path):
    """A laptop-sized screenshot: the whole window drawn, content inside it (the right edge,
    where an overflowing table would be cut, is page background), not a blank page."""
    pil = pytest.importorskip("PIL.Image")
    page = html_report.write(result if fixture == "result" else grouped_result(),
                             tmp_path / "report.html")
    shot = tmp_path / "report.png"
    run_chromium("--window-size=1280,800", f"--screenshot={shot}", url=page.resolve().as_uri())
    image = pil.open(shot).convert("RGB")
    assert image.size == (1280, 800)
    pixels = image.load()
    edge = {pixels[x, y] for x in range(1280 - 24, 1280) for y in range(800)}
    assert edge == {(255, 255, 255)}, f"content reaches the right edge: {sorted(edge)[:5]}"
    assert len(image.getcolors(1 << 20)) > 50, "blank or nearly blank screenshot"
    keep = Path(tempfile.gettempdir()) / f"grader-html-report-{fixture}.png"
    shutil.copyfile(shot, keep)  # for a human to look at

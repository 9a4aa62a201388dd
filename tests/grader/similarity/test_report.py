"""The reports: what they list, that the page is safe and opens in headless Chromium."""

import csv
import json
import shutil
import subprocess
import tempfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from grader.similarity import bench_corpus as bc
from grader.similarity import documents
from grader.similarity.cli import main, run
from grader.similarity.config import Config

EVIL = '<script>alert(1)</script>'


def write(folder, files):
    folder.mkdir(parents=True)
    for m, text in files.items():
        (folder / f"{m}.py").write_text(text)
    return folder


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """A class: three independent students, a disguised copy (zipped), a copy of the copy,
    a reference in disguise, the skeleton handed back, an unreadable zip; an archive."""
    root = tmp_path_factory.mktemp("class")
    rng = np.random.default_rng(7)
    studs = [bc.independent(f"ind{i}", rng) for i in range(3)]
    copy = bc.disguised_copy("copier", studs[0], rng, 3)
    chain = bc.disguised_copy("copier2", copy, rng, 2)
    ref = bc.disguised_copy("refcopy", bc.Student("r", bc.reference_bodies()), rng, 3)
    sub = root / "class"
    for s in studs + [chain, ref]:
        write(sub / s.name, bc.render(s))
    with zipfile.ZipFile(sub / "copier.zip", "w") as zf:
        for m, text in bc.render(copy).items():
            zf.writestr(f"copier/{m}.py", text)
    write(sub / "lazy", {m: (documents.SKELETON / f"{m}.py").read_text()
                         for m in documents.STUDENT_MODULES})
    (sub / "broken.zip").write_bytes(b"not a zip")
    # hostile code in a comment-free region must come out escaped
    evil = bc.independent("evil", rng)
    files = bc.render(evil)
    files["optim"] += f"\n\ndef {'x'}():\n    return '{EVIL}'\n"
    write(sub / "evil", files)
    archive = root / "2025"
    old = bc.disguised_copy("old", studs[1], rng, 2)
    write(archive / "alumnus", bc.render(old))
    write(archive / "alumna", bc.render(bc.independent("alumna", rng)))
    out = root / "out"
    analysis = run(documents.discover(sub), out, against=[archive], config=Config())
    return sub, archive, out, analysis


def pairs_by_name(analysis):
    return {frozenset((analysis.name(p.a), analysis.name(p.b))): p.score
            for p in analysis.pairs}


def test_copies_the_reference_and_the_archive_are_flagged(klass):
    _, _, _, a = klass
    flagged = {frozenset((a.name(p.a), a.name(p.b))) for p in a.flagged}
    assert frozenset(("ind0", "copier")) in flagged
    assert frozenset(("copier", "copier2")) in flagged
    assert frozenset(("refcopy", documents.REFERENCE_NAME)) in flagged
    assert frozenset(("ind1", "2025/alumnus")) in flagged
    independent = [frozenset(p) for p in (("ind0", "ind1"), ("ind1", "ind2"), ("ind0", "ind2"))]
    assert not flagged & set(independent)
    assert not any("lazy" in pair for pair in flagged)  # the skeleton is no one's code
    names = pairs_by_name(a)
    assert frozenset(("2025/alumnus", "2025/alumna")) not in names  # a term with itself
    assert [a.name(i) for i in a.clusters[0]] == ["copier", "copier2", "ind0"]


def test_csv_and_json(klass):
    _, _, out, a = klass
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert rows and float(rows[0]["score"]) >= float(rows[-1]["score"])
    assert rows[0]["flagged"] == "True" and rows[0]["functions"]
    doc = json.loads((out / "similarity.json").read_text())
    assert "never a verdict" in doc["notice"] and "Grades are never changed" in doc["notice"]
    assert doc["config"]["threshold"] == Config().threshold
    s = doc["summary"]
    assert s["submissions"] == 9 and list(s["unreadable"]) == ["broken"]
    assert s["flagged"] == len(a.flagged) and s["clusters"]
    assert sum(doc["histogram"]["counts"]) == s["pairs_compared"]
    assert doc["pairs"][0]["functions"][0]["overlap"] > 0.5


class Strict(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "line", "rect", "path"})

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        if tag == "script" or any(k.startswith("on") for k, _ in attrs):
            self.errors.append(tag)
        if any(k in ("src", "href") and v and "://" in v for k, v in attrs):
            self.errors.append(f"external {attrs}")
        self.ids.update(v for k, v in attrs if k == "id")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"</{tag}>")


def test_html_is_well_formed_escaped_and_says_it_is_no_verdict(klass):
    _, _, out, _ = klass
    text = (out / "similarity.html").read_text()
    p = Strict()
    p.feed(text)
    assert not p.errors and not p.stack
    assert EVIL not in text
    assert "not a verdict" in text and "Grades are never changed" in text
    assert "<svg" in text and 'class="hit"' in text  # histogram, highlighted lines
    assert "pair-1" in p.ids and 'href="#pair-1"' in text


def test_cli_writes_the_three_files_and_prints_a_summary(klass, tmp_path, capsys):
    sub, archive, _, _ = klass
    assert main([str(sub), "--out", str(tmp_path / "o"), "--against", str(archive),
                 "--threshold", "0.9"]) == 0
    printed = capsys.readouterr().out
    assert "evidence for review; grades unchanged" in printed and "at or above 0.9" in printed
    assert sorted(f.name for f in (tmp_path / "o").iterdir()) == [
        "similarity.csv", "similarity.html", "similarity.json"]
    assert main([str(tmp_path / "missing")]) == 2


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="headless Chromium not installed "
                    "(Debian: apt-get install -y chromium)")
def test_html_report_opens_in_headless_chromium(klass, tmp_path):
    _, _, out, _ = klass
    shot = tmp_path / "similarity.png"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,1600",
             "--enable-logging=stderr", "--v=0", f"--screenshot={shot}",
             (out / "similarity.html").resolve().as_uri()],
            check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    errors = [ln for ln in proc.stderr.splitlines()
              if "CONSOLE" in ln or "Failed to load resource" in ln or "Uncaught" in ln]
    assert not errors, errors
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000, "blank or missing screenshot"
    shutil.copyfile(shot, Path(tempfile.gettempdir()) / "grader-similarity-screenshot.png")

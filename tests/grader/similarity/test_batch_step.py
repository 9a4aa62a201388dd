"""The similarity step of ``grader batch``: on by default, next to the gradebook."""

import csv
import textwrap

import numpy as np
import pytest

from grader.batch.cli import main as batch_main
from grader.similarity import bench_corpus as bc

FAKE = textwrap.dedent('''
    from pathlib import Path

    from grader.result import CheckResult, Result

    def grade(path, **options):
        return Result(Path(path).stem, "0" * 64, "0.1.0",
                      [CheckResult("a", "a", 1, 1, "passed")])
''')


@pytest.fixture
def klass(tmp_path, monkeypatch):
    mod = tmp_path / "fakegrade"
    mod.mkdir()
    (mod / "fake_sim_grade.py").write_text(FAKE)
    monkeypatch.setenv("PYTHONPATH", str(mod))
    rng = np.random.default_rng(3)
    one, two = bc.independent("one", rng), bc.independent("two", rng)
    subs = tmp_path / "subs"
    for s in (one, two, bc.disguised_copy("copy", one, rng, 3)):
        (subs / s.name).mkdir(parents=True)
        for m, text in bc.render(s).items():
            (subs / s.name / f"{m}.py").write_text(text)
    (subs / "notes.txt").write_text("not a submission")
    return subs, ["--jobs", "1", "--no-progress", "--grade-func", "fake_sim_grade:grade"]


def test_batch_writes_the_similarity_report_next_to_the_gradebook(klass, capsys):
    subs, opts = klass
    assert batch_main([str(subs), *opts]) == 0
    printed = capsys.readouterr().out
    assert "similarity: 4 submissions" in printed and "copy ~ one" in printed
    out = subs / "_grades"
    for f in ("gradebook.csv", "similarity.html", "similarity.csv", "similarity.json"):
        assert (out / f).is_file(), f
    grades = (out / "gradebook.csv").read_text()
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {"copy", "one"}
    assert "similar" not in grades.lower()  # the gradebook knows nothing of it


def test_no_similarity_skips_it_and_the_threshold_is_an_option(klass, capsys):
    subs, opts = klass
    assert batch_main([str(subs), *opts, "--no-similarity"]) == 0
    assert "similarity:" not in capsys.readouterr().out
    assert not (subs / "_grades" / "similarity.html").exists()
    assert batch_main([str(subs), *opts, "--similarity-threshold", "0.99"]) == 0
    assert "at or above 0.99" in capsys.readouterr().out

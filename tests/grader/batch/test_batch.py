"""Batch grading: a gradebook row for every submission, a cache, and the Dask path."""

import csv
import io
import json
import textwrap
import zipfile

import pytest

from grader.batch.cache import cache_key
from grader.batch.cli import main as batch_main
from grader.batch.run import run_batch
from grader.samples import make_samples

FAKE = textwrap.dedent('''
    """A stand-in grade function: behaviour chosen by the submission's name."""
    import time
    from pathlib import Path

    from grader.result import CheckResult, Result
    from grader.submission import SubmissionError

    def grade(path, **options):
        name = Path(path).stem
        if name.startswith("crash"):
            raise RuntimeError("the grader fell over")
        if name.startswith("hang"):
            time.sleep(120)
        if name.startswith("invalid"):
            raise SubmissionError(f"{name} is not a submission")
        text = "".join(p.read_text() for p in sorted(Path(path).glob("*.py")))
        score = float(len(text) % 3)
        return Result(name, "0" * 64, "0.1.0", [
            CheckResult("a", "a", score, 2, "passed" if score == 2 else "failed"),
            CheckResult("b", "b", 1, 1, "passed")])
''')


def rows_of(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def fake_grade(tmp_path, monkeypatch):
    """Install the fake grade module on the subprocesses' path; returns its spec."""
    mod = tmp_path / "fakegrade"
    mod.mkdir()
    (mod / "fake_grade_mod.py").write_text(FAKE)
    monkeypatch.setenv("PYTHONPATH", str(mod))
    return "fake_grade_mod:grade"


def make_dir(folder, **files):
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def samples_and_broken(tmp_path_factory):
    """The built-in samples (modules and notebooks), the complete one also zipped with its
    CNN notebook left out, a corrupt zip, an empty folder, a stray file."""
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    paths = make_samples(subs)
    with zipfile.ZipFile(subs / "zipped.zip", "w") as zf:
        for f in sorted(paths["complete"].iterdir()):
            if f.name != "CNN.ipynb":
                zf.write(f, f"zipped/{f.name}")
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (subs / "empty").mkdir()
    (subs / "notes.txt").write_text("not a submission")
    return subs


@pytest.mark.slow
def test_batch_of_samples_and_broken_gives_a_complete_gradebook(samples_and_broken, tmp_path):
    out = tmp_path / "out"
    rows = run_batch(samples_and_broken, out, jobs=2, progress=False)
    table = {r["student"]: r for r in rows_of(out / "gradebook.csv")}
    assert sorted(table) == ["buggy", "complete", "corrupt", "empty", "notes.txt", "partial",
                             "zipped"]
    def notebook_points(student):
        return {k[len("notebooks."):]: v for k, v in table[student].items()
                if k.startswith("notebooks.")}

    complete = table["complete"]
    assert notebook_points("complete") == {"ConvolutionalNetworks": "2", "CNN": "2",
                                           "SpatialBatchNorm": "2"}
    assert float(complete["score"]) == float(complete["max_score"]) == 112
    # the zip is the complete submission without CNN.ipynb: only that notebook's points go
    assert notebook_points("zipped") == {"ConvolutionalNetworks": "2", "CNN": "0",
                                         "SpatialBatchNorm": "2"}
    assert float(table["zipped"]["score"]) == float(complete["score"]) - 2
    # the handed-out notebooks: only the checks of the finished functions earn (dropout and
    # the sandwich layers in ConvolutionalNetworks), each stops at what is left to write
    partial_points = notebook_points("partial")
    assert partial_points["SpatialBatchNorm"] == partial_points["CNN"] == "0"
    assert 0 < float(partial_points["ConvolutionalNetworks"]) < 1
    partial = json.loads((out / "students" / "partial.json").read_text())
    feedback = {c["id"]: c["feedback"] for c in partial["checks"]}
    assert "conv_forward_naive: not implemented yet" in feedback["notebooks.ConvolutionalNetworks"]
    assert "ThreeLayerConvNet.__init__: not implemented yet" in feedback["notebooks.CNN"]
    # the buggy notebooks run clean, but the checks of the functions with a mistake earn
    # nothing: the missing bias shows in them
    buggy_points = notebook_points("buggy")
    assert buggy_points["SpatialBatchNorm"] == buggy_points["CNN"] == "2"
    assert float(buggy_points["ConvolutionalNetworks"]) < 2
    buggy = json.loads((out / "students" / "buggy.json").read_text())
    feedback = {c["id"]: c["feedback"] for c in buggy["checks"]}
    assert "conv forward vs table" in feedback["notebooks.ConvolutionalNetworks"]
    assert "TOO LARGE" in feedback["notebooks.ConvolutionalNetworks"]
    assert float(table["buggy"]["score"]) < float(table["complete"]["score"])
    assert float(table["partial"]["score"]) < float(table["buggy"]["score"])
    for broken, words in (("corrupt", "zip"), ("empty", "empty"), ("notes.txt", "folder")):
        assert table[broken]["status"] == "not graded"
        assert words in table[broken]["reason"]
    for name in ("buggy", "complete", "partial", "zipped"):
        data = json.loads((out / "students" / f"{name}.json").read_text())
        assert data["score"] == float(table[name]["score"])
        assert (out / "students" / f"{name}.html").read_text().startswith("<!DOCTYPE html>")
    assert "<img" in (out / "summary.html").read_text()
    assert len(rows) == 7


@pytest.mark.slow
def test_dask_cluster_gives_the_same_gradebook(samples_and_broken, tmp_path):
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask.distributed is not installed: pip install -e '.[scale]'")
    local = tmp_path / "local"
    run_batch(samples_and_broken, local, jobs=2, progress=False)
    # processes=True: the tasks cross a process boundary (pickled), as on a real cluster
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster:
        remote = tmp_path / "dask"
        run_batch(samples_and_broken, remote, scheduler=cluster.scheduler_address,
                        progress=False)
    assert (remote / "gradebook.csv").read_text() == (local / "gradebook.csv").read_text()


def test_one_failure_never_stops_the_batch(tmp_path, fake_grade):
    subs = tmp_path / "subs"
    for name in ("ok1", "crash", "hang", "invalid", "ok2"):
        make_dir(subs / name, **{"layers.py": f"# {name}\n"})
    out = tmp_path / "out"
    rows = run_batch(subs, out, jobs=3, timeout=5, grade_func=fake_grade, progress=False)
    by = {r.student: r for r in rows}
    assert sorted(by) == ["crash", "hang", "invalid", "ok1", "ok2"]
    assert by["ok1"].graded and by["ok2"].graded
    assert "RuntimeError: the grader fell over" in by["crash"].reason
    assert "timed out after 5 s" in by["hang"].reason
    assert "SubmissionError" in by["invalid"].reason
    assert len(rows_of(out / "gradebook.csv")) == 5
    cache = json.loads((out / "cache.json").read_text())
    # refusals of the input are cached; crashes and timeouts are retried next time
    assert sorted(cache) == ["invalid", "ok1", "ok2"]


def test_rerun_skips_unchanged_submissions(tmp_path, fake_grade, capsys):
    subs = tmp_path / "subs"
    for name in ("alice", "bob", "carol"):
        make_dir(subs / name, **{"layers.py": f"# {name}\n"})
    out = tmp_path / "out"
    first = run_batch(subs, out, jobs=2, grade_func=fake_grade)
    capsys.readouterr()
    (subs / "bob" / "layers.py").write_text("# bob, edited after the deadline\n")
    second = run_batch(subs, out, jobs=2, grade_func=fake_grade)
    progress = capsys.readouterr().err
    assert progress.count(": cached") == 2 and "bob: ok" in progress
    assert [r.student for r in second] == [r.student for r in first]
    assert second[0].result.to_dict() == first[0].result.to_dict()
    gradebook = (out / "gradebook.csv").read_text()
    run_batch(subs, out, jobs=2, grade_func=fake_grade, progress=False)
    assert (out / "gradebook.csv").read_text() == gradebook


def test_cache_key_changes_with_grader_version_and_options(monkeypatch):
    key = cache_key("abc", {})
    assert cache_key("abc", {"compare": False}) != key
    monkeypatch.setattr("grader.__version__", "9.9.9")
    assert cache_key("abc", {}) != key


def test_cache_key_changes_with_the_graders_code_or_stored_outputs(monkeypatch):
    """`make expected` or an edited check must regrade, even at the same version."""
    key = cache_key("abc", {})
    monkeypatch.setattr("grader.api.grader_fingerprint", lambda: "0" * 64)
    assert cache_key("abc", {}) != key


def test_fingerprint_covers_the_checks_and_the_expected_outputs(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    import grader.api as api

    root = Path(api.__file__).resolve().parent
    copy = tmp_path / "grader"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(api, "__file__", str(copy / "api.py"))
    base = api.grader_fingerprint()
    assert base == api.grader_fingerprint()
    for rel in ("checks/cases_conv.py", "golden/expected/manifest.json",
                "golden/expected/mistakes/signatures.json"):
        path = copy / rel
        data = path.read_bytes()
        path.write_bytes(data + b"\n")
        assert api.grader_fingerprint() != base, rel
        path.write_bytes(data)
    assert api.grader_fingerprint() == base


def test_cli_entry_point(tmp_path, fake_grade, capsys):
    subs = tmp_path / "subs"
    make_dir(subs / "alice", **{"layers.py": "x = 1\n"})
    argv = [str(subs), "--jobs", "1", "--no-progress", "--grade-func", fake_grade]
    assert batch_main(argv) == 0
    assert "1/1 submissions graded" in capsys.readouterr().out
    assert (subs / "_grades" / "gradebook.csv").is_file()
    assert batch_main([str(tmp_path / "missing")]) == 2


def test_colliding_names_get_their_own_rows_reports_and_cache(tmp_path, fake_grade):
    subs = tmp_path / "subs"
    make_dir(subs / "alice", **{"layers.py": "# alice, the folder\n"})
    with zipfile.ZipFile(subs / "alice.zip", "w") as z:
        z.writestr("layers.py", "# alice, the zip\n")
    make_dir(subs / "bo b", **{"layers.py": "# bo b\n"})
    make_dir(subs / "bo_b", **{"layers.py": "# bo_b\n"})
    out = tmp_path / "out"
    rows = run_batch(subs, out, jobs=2, grade_func=fake_grade, progress=False)
    names = [r.student for r in rows]
    assert names == ["alice", "alice.zip", "bo b", "bo_b-2"]
    reports = sorted(p.name for p in (out / "students").glob("*.json"))
    assert reports == sorted(["alice.json", "alice.zip.json", "bo_b.json", "bo_b-2.json"])
    cache = json.loads((out / "cache.json").read_text())
    assert sorted(cache) == ["alice", "alice.zip", "bo b", "bo_b"]
    assert {k: v["student"] for k, v in cache.items()}["bo_b"] == "bo_b-2"
    again = run_batch(subs, out, jobs=2, grade_func=fake_grade, progress=False)
    assert [r.result.to_dict() for r in again] == [r.result.to_dict() for r in rows]

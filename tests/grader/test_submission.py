"""Bad input is refused with a clear message (exit status 2), good layouts are accepted."""

import os
import stat
import zipfile

import pytest

from grader.cli import main
from grader.submission import MAX_FILE_BYTES, SubmissionError, load

GOOD = "def affine_forward(x, w, b):\n    return None, None\n"


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(name, data)
    return path


def test_folder_top_level_and_one_subfolder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "layers.py").write_text(GOOD)
    (tmp_path / "a" / "notes.ipynb").write_text("{}")
    sub = load(tmp_path)
    assert set(sub.files) == {"layers"} and "a/notes.ipynb" in sub.ignored
    assert len(sub.sha256) == 64


def test_zip_with_one_folder(tmp_path):
    z = _zip(tmp_path / "s.zip", {"hw/layers.py": GOOD, "hw/cnn.py": GOOD,
                                  "__MACOSX/hw/._layers.py": b"\x00\x01"})
    assert set(load(z).files) == {"layers", "cnn"}


def test_hash_depends_on_content_only(tmp_path):
    a = _zip(tmp_path / "a.zip", {"layers.py": GOOD})
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "layers.py").write_text(GOOD)
    assert load(a).sha256 == load(tmp_path / "d").sha256


def _symlink_zip(path):
    info = zipfile.ZipInfo("layers.py")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip(path, {"layers.py": info})


BAD = {
    "corrupt zip": (lambda p: p.joinpath("s.zip").write_bytes(b"PK\x03\x04garbage") and
                    p / "s.zip", "not a readable zip"),
    "zip slip": (lambda p: _zip(p / "s.zip", {"../layers.py": GOOD}), "outside the folder"),
    "absolute path": (lambda p: _zip(p / "s.zip", {"/tmp/layers.py": GOOD}), "outside"),
    "zip symlink": (lambda p: _symlink_zip(p / "s.zip"), "symbolic link"),
    "empty zip": (lambda p: _zip(p / "s.zip", {}), "empty"),
    "nested zip": (lambda p: _zip(p / "s.zip", {"inner.zip": b"PK..."}), "zip inside"),
    "no student files": (lambda p: _zip(p / "s.zip", {"README.md": "hi"}), "none of the"),
    "binary py": (lambda p: _zip(p / "s.zip", {"layers.py": b"\x7fELF\x00\x00"}), "binary"),
    "latin-1 py": (lambda p: _zip(p / "s.zip", {"layers.py": "x = 'caf\xe9'\n".encode(
        "latin-1")}), "not UTF-8"),
    "too large": (lambda p: _zip(p / "s.zip", {"layers.py": "#" * (MAX_FILE_BYTES + 10)}),
                  "limit"),
    "several candidates": (lambda p: _zip(p / "s.zip", {"a/layers.py": GOOD,
                                                        "b/layers.py": GOOD}), "several"),
    "missing path": (lambda p: p / "nope", "does not exist"),
    "not a zip": (lambda p: p.joinpath("s.txt").write_text("x") and p / "s.txt", "neither"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_a_reason(case, tmp_path, capsys):
    make, words = BAD[case]
    path = make(tmp_path)
    with pytest.raises(SubmissionError, match=words):
        load(path)
    assert main(["grade", str(path)]) == 2
    assert words.split()[0] in capsys.readouterr().err


def test_utf8_with_byte_order_mark_is_accepted(tmp_path):
    """Python itself imports a file that starts with a UTF-8 BOM; so must the grader."""
    (tmp_path / "layers.py").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert "layers" in load(tmp_path).files


def test_symlinked_file_in_folder_is_refused(tmp_path):
    (tmp_path / "target.py").write_text(GOOD)
    os.symlink(tmp_path / "target.py", tmp_path / "layers.py")
    with pytest.raises(SubmissionError, match="symbolic link"):
        load(tmp_path)


def test_nothing_is_extracted(tmp_path):
    _zip(tmp_path / "s.zip", {"../escaped.py": GOOD})
    with pytest.raises(SubmissionError):
        load(tmp_path / "s.zip")
    assert not (tmp_path.parent / "escaped.py").exists()


def test_a_syntax_error_costs_only_its_modules_checks(reference_dir, tmp_path):
    """Like a missing file: the broken module's checks fail with the line, the rest is
    graded (the source is compiled in the sandbox, never in the grader)."""
    import shutil

    from grader.api import grade

    sub = tmp_path / "sub"
    shutil.copytree(reference_dir, sub)
    (sub / "optim.py").write_text("def sgd(w, dw, config=None:\n    pass\n")
    assert "optim" in load(sub).files
    r = grade(sub, compare=False)
    optim = [c for c in r.checks if c.group == "optim"]
    assert optim and all(c.score == 0 and c.status == "error" for c in optim)
    assert all("SyntaxError" in c.feedback and "line 1" in c.feedback for c in optim), \
        [c.feedback for c in optim]
    others = [c for c in r.checks if c.group != "optim"]
    assert all(c.status == "passed" for c in others), [c.id for c in others if
                                                        c.status != "passed"]


def _handout_zip(path, top="cnn-assignment/", extra=None):
    """A zip of the whole handout folder, as a student who skipped `make submission` sends
    it: the student files filled in under assignment/student/, the notebooks under
    notebooks/, and every provided file (the fast layers hold a layers.py of their own)."""
    from tools.make_handout import handout_files

    files = dict(handout_files())
    for module in ("layers", "conv_layers", "layer_utils", "cnn", "optim"):
        files[f"assignment/student/{module}.py"] = f"# {module}: my work\n" + GOOD
    files.update(extra or {})
    return _zip(path, {f"{top}{name}": data for name, data in files.items()})


@pytest.mark.parametrize("top", ["cnn-assignment/", ""])
def test_zip_of_the_handout_folder_is_graded_from_its_layout(tmp_path, top):
    from grader.notebooks.grading import _notebook_sources

    sub = load(_handout_zip(tmp_path / "hw.zip", top))
    assert sorted(sub.files) == ["cnn", "conv_layers", "layer_utils", "layers", "optim"]
    assert sub.files["layers"].startswith(b"# layers: my work")  # not fast_layers/layers.py
    assert sub.taken["layers.py"] == f"{top}assignment/student/layers.py"
    assert sub.notebooks["CNN.ipynb"] == f"{top}notebooks/CNN.ipynb"
    assert "handout" in sub.note and f"{top}assignment/student/" in sub.note
    assert f"{top}assignment/fast_layers/layers.py" in sub.ignored
    names = {"ConvolutionalNetworks.ipynb", "SpatialBatchNorm.ipynb", "CNN.ipynb"}
    assert set(_notebook_sources(tmp_path / "hw.zip", [n[:-6] for n in names])) == names


def test_handout_folder_on_disk_skips_its_venv_and_data(tmp_path):
    """The folder a student worked in, with its virtual environment and CIFAR-10."""
    with zipfile.ZipFile(_handout_zip(tmp_path / "hw.zip")) as zf:
        zf.extractall(tmp_path / "hw")
    top = tmp_path / "hw" / "cnn-assignment"
    for junk in (".venv/lib/python3.11/site-packages/layers.py",
                 "assignment/datasets/cifar-10-batches-py/data_batch_1"):
        (top / junk).parent.mkdir(parents=True, exist_ok=True)
        (top / junk).write_bytes(b"\0" * 1000)
    sub = load(tmp_path / "hw")
    assert sub.taken["cnn.py"] == "cnn-assignment/assignment/student/cnn.py"
    assert not [f for f in sub.ignored if ".venv" in f or "datasets" in f]


def test_handout_zip_grades_and_the_report_says_which_files(tmp_path, reference_dir):
    """Through the command line, as a TA would run it: graded, and the JSON and console say
    where the files were taken from."""
    import json

    from tools.make_handout import TOP

    sources = {f"assignment/student/{p.name}": p.read_text()
               for p in sorted(reference_dir.glob("*.py"))}
    path = _handout_zip(tmp_path / "hw.zip", f"{TOP}/", sources)
    out = tmp_path / "r.json"
    assert main(["grade", str(path), "--no-compare", "--no-notebooks", "-k", "relu",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["score"] == report["max_score"] > 0
    assert report["extra"]["files"]["layers.py"] == f"{TOP}/assignment/student/layers.py"
    assert f"handout's layout at {TOP}/" in report["extra"]["layout"]


def test_refusal_says_where_the_files_were_and_how_to_hand_in(tmp_path):
    path = _zip(tmp_path / "s.zip", {"a/b/c/layers.py": GOOD, "a/b/c/cnn.py": GOOD})
    with pytest.raises(SubmissionError) as err:
        load(path)
    assert "found cnn.py, layers.py in a/b/c/" in str(err.value)
    assert "make submission" in str(err.value)


def test_provided_fast_layers_are_not_a_candidate(tmp_path):
    """A zip of assignment/'s contents: student/layers.py is the work, fast_layers/layers.py
    the provided fast layers (not "several candidate submissions")."""
    path = _zip(tmp_path / "s.zip", {"student/layers.py": GOOD, "fast_layers/layers.py": "x",
                                     "fast_layers/__init__.py": ""})
    sub = load(path)
    assert sub.taken == {"layers.py": "student/layers.py"} and sub.note


def test_the_same_files_in_two_layouts_are_refused(tmp_path):
    path = _zip(tmp_path / "s.zip", {"hw/layers.py": GOOD,
                                     "hw/assignment/student/layers.py": GOOD})
    with pytest.raises(SubmissionError, match="several candidate submissions"):
        load(path)


def test_two_entries_of_the_same_name_are_refused(tmp_path, capsys):
    """zipfile keeps both (``zip -g`` and appending tools write such archives); grading
    the last one silently would grade a file the student may not have meant."""
    import warnings

    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        zf.writestr("layers.py", GOOD)
        zf.writestr("conv_layers.py", "def conv_forward_naive(): pass\n")
        zf.writestr("conv_layers.py", GOOD)
    with pytest.raises(SubmissionError, match="two entries named conv_layers.py"):
        load(path)
    assert main(["grade", str(path)]) == 2
    assert "two entries named conv_layers.py" in capsys.readouterr().err

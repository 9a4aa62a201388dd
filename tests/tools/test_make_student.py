"""tools.make_student: the committed student files are exactly what regeneration gives."""

import ast
import importlib
import shutil
from pathlib import Path

import pytest

from tools import make_student
from tools.markers import find_regions

ROOT = make_student.ROOT
REFERENCE_FILES = sorted(
    p for p in (ROOT / "assignment" / "reference").glob("*.py") if p.name != "__init__.py"
)


def test_committed_student_files_are_up_to_date():
    stale = make_student.stale_files(ROOT)
    assert stale == [], f"stale generated files {stale}: run `make student`"


def test_check_flag_reports_stale_and_leftover_files(tmp_path, capsys):
    for folder in ("assignment/reference", "notebooks/solutions"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    assert make_student.main(["--root", str(tmp_path), "--check"]) == 1
    assert make_student.main(["--root", str(tmp_path)]) == 0
    assert make_student.main(["--root", str(tmp_path), "--check"]) == 0
    leftover = tmp_path / "assignment" / "student" / "old_module.py"
    leftover.write_text("x = 1\n")
    assert make_student.main(["--root", str(tmp_path), "--check"]) == 1
    assert "old_module.py" in capsys.readouterr().out
    make_student.main(["--root", str(tmp_path)])
    assert not leftover.exists()


def test_malformed_reference_exits_2_naming_file_and_line(tmp_path, capsys):
    ref = tmp_path / "assignment" / "reference"
    ref.mkdir(parents=True)
    (ref / "bad.py").write_text("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    assert make_student.main(["--root", str(tmp_path)]) == 2
    assert "assignment/reference/bad.py:2:" in capsys.readouterr().err


def _functions(path):
    """Qualified name -> (signature dump, docstring) of every function in a file."""
    found = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef):
                found[prefix + child.name] = (ast.dump(child.args), ast.get_docstring(child))

    visit(ast.parse(path.read_text()), "")
    return found


@pytest.mark.parametrize("ref", REFERENCE_FILES, ids=lambda p: p.name)
def test_skeleton_keeps_signatures_docstrings_and_imports(ref):
    student = ROOT / "assignment" / "student" / ref.name
    assert _functions(student) == _functions(ref)
    ref_tree, student_tree = ast.parse(ref.read_text()), ast.parse(student.read_text())
    imports = (ast.Import, ast.ImportFrom)
    assert [ast.dump(n) for n in ref_tree.body if isinstance(n, imports)] == [
        ast.dump(n) for n in student_tree.body if isinstance(n, imports)
    ]
    assert ast.get_docstring(student_tree) == ast.get_docstring(ref_tree)


@pytest.mark.parametrize("ref", REFERENCE_FILES, ids=lambda p: p.name)
def test_every_region_becomes_a_stub_and_no_solution_survives(ref):
    text = ref.read_text()
    student = (ROOT / "assignment" / "student" / ref.name).read_text()
    assert "BEGIN SOLUTION" not in student and "END SOLUTION" not in student
    n_regions = len(find_regions(text, str(ref)))
    assert student.count("# YOUR CODE HERE\n") == n_regions
    assert student.count("raise NotImplementedError(") == n_regions + text.count(
        "raise NotImplementedError("
    )


def test_student_package_imports_and_stubs_name_their_function():
    conv = importlib.import_module("assignment.student.conv_layers")
    cnn = importlib.import_module("assignment.student.cnn")
    with pytest.raises(NotImplementedError, match="max_pool_forward_naive"):
        conv.max_pool_forward_naive(None, {})
    with pytest.raises(NotImplementedError, match=r"ThreeLayerConvNet\.__init__"):
        cnn.ThreeLayerConvNet()


def test_student_folder_has_no_reference_imports():
    for path in Path(ROOT / "assignment" / "student").glob("*.py"):
        assert "assignment.reference" not in path.read_text(), path


def test_release_notebooks_mark_locked_checks_and_student_cells():
    """Every cell of a release notebook carries its grading metadata: the student's own
    cells (a solution region or a ``task``) are editable, every other cell is locked, and a
    locked code cell calling the student's functions is a check naming them."""
    import nbformat

    roles = {}
    for path in sorted((ROOT / "notebooks" / "student").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        ids = [c.metadata["grader"]["id"] for c in nb.cells]
        assert ids == [c.id for c in nb.cells] and len(set(ids)) == len(ids), path.name
        for cell in nb.cells:
            meta = cell.metadata["grader"]
            roles.setdefault(path.stem, []).append(meta["role"][0])
            if meta["role"] == "locked":
                assert cell.metadata["editable"] is False
                assert cell.metadata["deletable"] is False
            else:
                assert "editable" not in cell.metadata and "task" in cell.metadata
            if meta.get("check"):
                assert cell.cell_type == "code" and meta["functions"], cell.source[:60]
    cnn = nbformat.read(ROOT / "notebooks" / "student" / "CNN.ipynb", as_version=4)
    mine = [c for c in cnn.cells if c.metadata["grader"]["role"] == "student"]
    assert [c.cell_type for c in mine] == ["code", "markdown"]
    assert "best_model = None" in mine[0].source
    assert set(roles["ConvolutionalNetworks"]) == set(roles["SpatialBatchNorm"]) == {"l"}
    checks = {c.metadata["grader"]["id"]: c.metadata["grader"]["functions"]
              for c in cnn.cells if c.metadata["grader"].get("check")}
    assert checks["cell-12"] == ["cnn.ThreeLayerConvNet", "optim.adam"]


def test_functions_called_reads_modules_and_update_rules():
    from tools.student_notebook import functions_called

    src = ("out, _ = conv_layers.conv_forward_naive(x, w, b, p)\n"
           "model = cnn.ThreeLayerConvNet()\nSolver(model, data, update_rule='sgd_momentum')\n"
           "from assignment.implementation import layers\nnp.layers.x  # not a module of ours")
    assert functions_called(src) == ["cnn.ThreeLayerConvNet",
                                     "conv_layers.conv_forward_naive", "optim.sgd_momentum"]

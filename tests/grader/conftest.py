"""Fixtures of the grader's self-tests: submissions built from the reference."""

from pathlib import Path

import pytest

from grader.samples import mutate, reference_sources, skeleton

MODULES = ("layers", "conv_layers", "layer_utils", "cnn", "optim")


def write_submission(folder, files):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / f"{name}.py").write_bytes(data)
    return folder


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory):
    """A copy of the reference as a submission folder."""
    return write_submission(tmp_path_factory.mktemp("reference"), reference_sources())


@pytest.fixture(scope="session")
def skeleton_dir(tmp_path_factory):
    """Every solution region replaced by ``raise NotImplementedError``."""
    src = {m: skeleton(s) for m, s in reference_sources().items()}
    return write_submission(tmp_path_factory.mktemp("skeleton"), src)


@pytest.fixture
def make_submission(tmp_path):
    """``make_submission(layers=..., drop=("cnn",))``: the reference with some files changed."""
    def make(drop=(), replace=None, **sources):
        files = reference_sources()
        for m in drop:
            files.pop(m)
        for m, edits in (replace or {}).items():
            files[m] = mutate(files[m], edits)
        files.update(sources)
        return write_submission(tmp_path / "sub", files)
    return make

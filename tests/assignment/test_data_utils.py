"""Data loading: the real CIFAR-10 format, the named fallbacks, small-data mode."""

import pickle

import numpy as np
import pytest

from assignment import data_utils


def _write_fake_cifar(root, per_batch=20):
    """Files in CIFAR-10's python-batch format (pickled dicts of uint8 rows and labels)."""
    rng = np.random.default_rng(0)
    root.mkdir()
    names = [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        batch = {
            "data": rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8),
            "labels": [int(v) for v in rng.integers(0, 10, size=per_batch)],
            "batch_label": name,
        }
        batch["data"][:, 0] = i  # first red pixel tags the batch
        with open(root / name, "wb") as f:
            pickle.dump(batch, f)
    return root


def test_loads_real_cifar_format_and_names_it(tmp_path, monkeypatch, capsys):
    root = _write_fake_cifar(tmp_path / "cifar-10-batches-py")
    monkeypatch.setenv("CIFAR10_DIR", str(root))
    monkeypatch.delenv("ASSIGNMENT_SMALL_DATA", raising=False)
    data = data_utils.get_CIFAR10_data(num_training=70, num_validation=10, num_test=5, subtract_mean=False)
    assert "Dataset: CIFAR-10:" in capsys.readouterr().out
    assert data["dataset"] == "CIFAR-10"
    assert data["X_train"].shape == (70, 3, 32, 32) and data["X_val"].shape == (10, 3, 32, 32)
    assert data["X_test"].shape == (5, 3, 32, 32)
    # Channels first, rows in order: example 20 comes from batch 2 (tag 1 in its first red pixel).
    assert data["X_train"][20, 0, 0, 0] == 1.0 and data["X_test"][0, 0, 0, 0] == 5.0


def test_mean_image_of_training_split_is_subtracted(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_DIR", str(_write_fake_cifar(tmp_path / "c")))
    data = data_utils.get_CIFAR10_data(num_training=60, num_validation=10, num_test=5, verbose=False)
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-9)


def test_falls_back_to_digits_and_says_so(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "absent"))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "absent"))
    data = data_utils.get_CIFAR10_data()
    out = capsys.readouterr().out
    assert "Dataset: digits (CIFAR-10 not found" in out
    assert data["dataset"] == "digits"
    n_train, n_val = len(data["X_train"]), len(data["X_val"])
    assert n_train + n_val == 1497 and n_val == 299
    assert data["X_train"].shape[1:] == (3, 32, 32)
    assert set(np.unique(data["y_train"])) == set(range(10))


def test_fashion_mnist_when_installed(monkeypatch, capsys):
    if not (data_utils.FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
    monkeypatch.setenv("CIFAR10_DIR", "/nonexistent")
    monkeypatch.setenv("ASSIGNMENT_SMALL_DATA", "1")
    data = data_utils.get_CIFAR10_data()
    assert "Dataset: Fashion-MNIST" in capsys.readouterr().out
    assert data["X_train"].shape == (500, 3, 32, 32) and len(data["X_val"]) == 100


def test_small_data_mode_caps_splits(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_DIR", str(_write_fake_cifar(tmp_path / "c", per_batch=150)))
    monkeypatch.setenv("ASSIGNMENT_SMALL_DATA", "1")
    data = data_utils.get_CIFAR10_data(verbose=False)
    assert len(data["X_train"]) == 500 and len(data["X_val"]) == 100 and len(data["X_test"]) == 100


def test_sample_photos_for_the_filter_demo():
    imgs = data_utils.load_sample_images(size=64)
    assert imgs.shape == (2, 3, 64, 64)
    assert 0 <= imgs.min() and imgs.max() <= 255 and imgs.std() > 10


def _write_idx(path, images=None, labels=None):
    """An IDX file (gzip) as Fashion-MNIST ships them: magic, counts, then uint8 data."""
    import gzip

    if images is not None:
        n, rows, cols = images.shape
        head = b"\x00\x00\x08\x03" + b"".join(v.to_bytes(4, "big") for v in (n, rows, cols))
        body = images.astype(np.uint8).tobytes()
    else:
        head, body = b"\x00\x00\x08\x01" + len(labels).to_bytes(4, "big"), bytes(labels)
    with gzip.open(path, "wb") as f:
        f.write(head + body)
    return path


def test_idx_reader_reads_only_the_first_images(tmp_path):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=7)]
    img = _write_idx(tmp_path / "i.gz", images=images)
    lab = _write_idx(tmp_path / "l.gz", labels=labels)
    assert np.array_equal(data_utils._read_idx_images(img), images)
    assert np.array_equal(data_utils._read_idx_images(img, 3), images[:3])
    assert np.array_equal(data_utils._read_idx_images(img, 99), images)
    assert data_utils._read_idx_labels(lab, 4).tolist() == labels[:4]
    assert data_utils._read_idx_labels(lab).dtype == np.int64


def test_idx_reader_refuses_a_truncated_file(tmp_path):
    import gzip

    path = tmp_path / "t.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
                + bytes(28 * 28 * 2))
    with pytest.raises(ValueError, match="truncated"):
        data_utils._read_idx_images(path)
    assert data_utils._read_idx_images(path, 2).shape == (2, 28, 28)


def test_fashion_mnist_loader_on_files_in_its_format(tmp_path, monkeypatch, capsys):
    """The Fashion-MNIST path, whether or not Debian's package is installed here."""
    rng = np.random.default_rng(4)
    root = tmp_path / "fm"
    root.mkdir()
    for split, n in (("train", 30), ("t10k", 10)):
        _write_idx(root / f"{split}-images-idx3-ubyte.gz",
                   images=rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8))
        _write_idx(root / f"{split}-labels-idx1-ubyte.gz",
                   labels=[int(v) for v in rng.integers(0, 10, size=n)])
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "absent"))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(root))
    data = data_utils.get_CIFAR10_data(num_training=20, num_validation=5, num_test=10)
    assert "Dataset: Fashion-MNIST" in capsys.readouterr().out
    assert data["X_train"].shape == (20, 3, 32, 32) and data["X_test"].shape == (10, 3, 32, 32)
    assert data["dataset"] == "Fashion-MNIST"

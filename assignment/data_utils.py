"""Load the image data the notebooks train on, offline.

CIFAR-10 is used when its python batches are on disk. Where it is not (our machines cannot
download it), a real image dataset that installs from a package registry stands in, and a
line says which one was loaded: Fashion-MNIST from Debian's ``dataset-fashion-mnist``
package, else scikit-learn's bundled 8x8 digits. Never a silent substitution.

Where CIFAR-10 is looked for: the folder named by the environment variable ``CIFAR10_DIR``,
else ``assignment/datasets/cifar-10-batches-py`` inside this project.
Set ``ASSIGNMENT_SMALL_DATA=1`` to cap every split at a few hundred images (tests, CI).
"""

import gzip
import os
import pickle
from pathlib import Path

import numpy as np

DEFAULT_CIFAR10_DIR = Path(__file__).parent / "datasets" / "cifar-10-batches-py"
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
SMALL_DATA_CAPS = (500, 100, 100)  # train, validation, test in small-data mode


def small_data_mode():
    """True when ``ASSIGNMENT_SMALL_DATA`` asks for the small splits (``1``, ``true``, ``yes``)."""
    return os.environ.get("ASSIGNMENT_SMALL_DATA", "").strip().lower() in {"1", "true", "yes"}


def load_CIFAR_batch(filename):
    """Load one CIFAR-10 python batch file.

    Returns
    -------
    X : ndarray of shape (10000, 32, 32, 3), float64
    Y : ndarray of shape (10000,), int64
    """
    with open(filename, "rb") as f:
        datadict = pickle.load(f, encoding="latin1")
    X = datadict["data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64)
    Y = np.array(datadict["labels"], dtype=np.int64)
    return X, Y


def load_CIFAR10(root):
    """Load all of CIFAR-10 from its python batches.

    Returns
    -------
    Xtr : ndarray of shape (50000, 32, 32, 3)
    Ytr : ndarray of shape (50000,)
    Xte : ndarray of shape (10000, 32, 32, 3)
    Yte : ndarray of shape (10000,)
    """
    root = Path(root)
    parts = [load_CIFAR_batch(root / f"data_batch_{b}") for b in range(1, 6)]
    Xtr = np.concatenate([p[0] for p in parts])
    Ytr = np.concatenate([p[1] for p in parts])
    Xte, Yte = load_CIFAR_batch(root / "test_batch")
    return Xtr, Ytr, Xte, Yte


def _read_idx_images(path, limit=None):
    """The first ``limit`` (default: all) images of an IDX file (gzip), as ndarray of shape
    (N, rows, cols), uint8. Only what is asked for is decompressed (small-data mode reads
    600 of 60000 images)."""
    with gzip.open(path, "rb") as f:
        header = f.read(16)
        n, rows, cols = (int.from_bytes(header[i : i + 4], "big") for i in (4, 8, 12))
        n = n if limit is None else min(n, limit)
        data = f.read(n * rows * cols)
    if len(data) != n * rows * cols:
        raise ValueError(f"{path} is truncated: {len(data)} bytes of {n} images")
    return np.frombuffer(data, dtype=np.uint8).reshape(n, rows, cols)


def _read_idx_labels(path, limit=None):
    """The first ``limit`` (default: all) labels of an IDX file (gzip), as ndarray of shape
    (N,), int64."""
    with gzip.open(path, "rb") as f:
        n = int.from_bytes(f.read(8)[4:8], "big")
        n = n if limit is None else min(n, limit)
        data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{path} is truncated: {len(data)} labels of {n}")
    return np.frombuffer(data, dtype=np.uint8).astype(np.int64)


def _as_cifar_images(gray, scale):
    """Grey images (N, h, w) in [0, 255] as CIFAR-like (N, 32, 32, 3) float64.

    Each image is enlarged ``scale`` times by pixel repetition, zero-padded to 32x32 and
    repeated on three channels, so the CIFAR-10 models run on it unchanged.
    """
    big = np.kron(gray.astype(np.float64), np.ones((scale, scale)))
    pad_h, pad_w = 32 - big.shape[1], 32 - big.shape[2]
    big = np.pad(big, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    return np.repeat(big[..., None], 3, axis=3)


def load_fashion_mnist(root=FASHION_MNIST_DIR, max_train=None, max_test=None):
    """Fashion-MNIST (Debian's ``dataset-fashion-mnist``) in CIFAR-10 layout.

    Only the first ``max_train`` / ``max_test`` images are read and converted to float64
    (all of them take about 1.5 GB), so small splits stay cheap.

    Returns
    -------
    Xtr : ndarray of shape (60000, 32, 32, 3)
    Ytr : ndarray of shape (60000,)
    Xte : ndarray of shape (10000, 32, 32, 3)
    Yte : ndarray of shape (10000,)
    """
    root = Path(root)
    Xtr = _as_cifar_images(_read_idx_images(root / "train-images-idx3-ubyte.gz", max_train), 1)
    Ytr = _read_idx_labels(root / "train-labels-idx1-ubyte.gz", max_train)
    Xte = _as_cifar_images(_read_idx_images(root / "t10k-images-idx3-ubyte.gz", max_test), 1)
    Yte = _read_idx_labels(root / "t10k-labels-idx1-ubyte.gz", max_test)
    return Xtr, Ytr, Xte, Yte


def load_digits_as_cifar():
    """scikit-learn's 8x8 digits (1797 images), enlarged 4x, in CIFAR-10 layout.

    The first 1497 images form the training pool and the last 300 the test set.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = _as_cifar_images(digits.images * (255.0 / 16.0), 4)
    y = digits.target.astype(np.int64)
    return X[:1497], y[:1497], X[1497:], y[1497:]


def load_image_dataset(cifar10_dir=None, max_train=None, max_test=None):
    """Load the best dataset available, saying which.

    ``max_train`` / ``max_test`` let a loader skip converting images nobody asked for.

    Returns
    -------
    name : str
        ``"CIFAR-10"``, ``"Fashion-MNIST"`` or ``"digits"``.
    Xtr, Ytr, Xte, Yte : ndarray
        As :func:`load_CIFAR10`.
    """
    cifar = Path(cifar10_dir or os.environ.get("CIFAR10_DIR") or DEFAULT_CIFAR10_DIR)
    if (cifar / "data_batch_1").is_file():
        return ("CIFAR-10", *load_CIFAR10(cifar))
    fashion = Path(os.environ.get("FASHION_MNIST_DIR") or FASHION_MNIST_DIR)
    if (fashion / "train-images-idx3-ubyte.gz").is_file():
        return ("Fashion-MNIST", *load_fashion_mnist(fashion, max_train, max_test))
    try:
        return ("digits", *load_digits_as_cifar())
    except ImportError as exc:
        raise FileNotFoundError(
            f"No image data: CIFAR-10 is not in {cifar} (set CIFAR10_DIR), Fashion-MNIST is "
            f"not in {fashion} (apt-get install dataset-fashion-mnist) and scikit-learn is "
            "not installed (pip install scikit-learn)."
        ) from exc


def get_CIFAR10_data(
    num_training=49000, num_validation=1000, num_test=1000, subtract_mean=True, verbose=True
):
    """Train/validation/test splits, channels first, ready for the classifiers.

    Loads CIFAR-10 when present, else the fallback named in the module docstring, and
    prints one line naming the dataset used and the split sizes. The validation set is
    taken right after the training examples; the mean training image is subtracted.

    Parameters
    ----------
    num_training, num_validation, num_test : int
        Requested split sizes; capped by the dataset's size and by small-data mode.
    subtract_mean : bool
    verbose : bool
        Print the line naming the dataset (keep it on in notebooks).

    Returns
    -------
    data : dict
        ``X_train`` (N_train, 3, 32, 32), ``y_train`` (N_train,), ``X_val``, ``y_val``,
        ``X_test``, ``y_test`` likewise, and ``dataset`` (the name actually used).
    """
    if small_data_mode():
        caps = SMALL_DATA_CAPS
        num_training = min(num_training, caps[0])
        num_validation = min(num_validation, caps[1])
        num_test = min(num_test, caps[2])
    name, Xtr, Ytr, Xte, Yte = load_image_dataset(
        max_train=num_training + num_validation, max_test=num_test
    )
    if num_training + num_validation > len(Xtr):
        # A smaller pool: keep up to a fifth of it for validation, train on the rest.
        num_validation = min(num_validation, len(Xtr) // 5)
        num_training = min(num_training, len(Xtr) - num_validation)
    num_test = min(num_test, len(Xte))

    X_train, y_train = Xtr[:num_training], Ytr[:num_training]
    X_val = Xtr[num_training : num_training + num_validation]
    y_val = Ytr[num_training : num_training + num_validation]
    X_test, y_test = Xte[:num_test], Yte[:num_test]
    if subtract_mean:
        mean_image = X_train.mean(axis=0)
        X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image

    if verbose:
        note = "" if name == "CIFAR-10" else " (CIFAR-10 not found; set CIFAR10_DIR to use it)"
        mode = ", small-data mode" if small_data_mode() else ""
        print(
            f"Dataset: {name}{note}: {num_training} train, {num_validation} val, "
            f"{num_test} test{mode}"
        )
    return {
        "X_train": np.ascontiguousarray(X_train.transpose(0, 3, 1, 2)),
        "y_train": y_train,
        "X_val": np.ascontiguousarray(X_val.transpose(0, 3, 1, 2)),
        "y_val": y_val,
        "X_test": np.ascontiguousarray(X_test.transpose(0, 3, 1, 2)),
        "y_test": y_test,
        "dataset": name,
    }


def load_sample_images(size=200):
    """Two photos that ship with matplotlib, for the image-filter demo.

    Parameters
    ----------
    size : int
        Each photo is centre-cropped to a square and resized to (size, size).

    Returns
    -------
    images : ndarray of shape (2, 3, size, size), float64 in [0, 255]
        Grace Hopper's portrait and a photo of a wrapped present, channels first.
    """
    import matplotlib.cbook as cbook
    import matplotlib.pyplot as plt

    out = []
    for name in ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png"):
        with cbook.get_sample_data(name) as f:
            img = plt.imread(f, format=name.rsplit(".", 1)[1]).astype(np.float64)
        if img.max() <= 1.0:
            img = img * 255.0
        img = img[..., :3]
        side = min(img.shape[:2])
        top, left = (img.shape[0] - side) // 2, (img.shape[1] - side) // 2
        img = img[top : top + side, left : left + side]
        # Nearest-neighbour resize: no imaging library needed beyond matplotlib.
        idx = (np.arange(size) * side / size).astype(int)
        out.append(img[idx][:, idx].transpose(2, 0, 1))
    return np.stack(out)

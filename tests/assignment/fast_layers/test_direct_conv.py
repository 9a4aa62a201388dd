"""The direct stride-1 convolution kernels against the naive reference.

Stride-1 layers whose pad is smaller than the filter run on ``direct_conv`` and
``direct_conv_dw`` (no im2col, no GEMM) on CPUs with AVX-512; every other geometry, and
every layer elsewhere, keeps im2col + GEMM (tested in test_fast_conv.py).
"""

import types

import numpy as np
import pytest

from assignment.fast_layers import layers, layers_for
from assignment.reference.conv_layers import conv_backward_naive, conv_forward_naive

pytestmark = pytest.mark.cython


@pytest.fixture(scope="module")
def kernels():
    from assignment.fast_layers import _backend

    try:
        module, _ = _backend.load_kernels("cython")
    except ImportError as exc:
        pytest.skip(f"compiled fast layers not built (run `make build`): {exc}")
    if not module.DIRECT:
        pytest.skip("no direct kernels here (they need AVX-512 and GCC or clang): the layers "
                    "use im2col + GEMM")
    return module


@pytest.fixture(scope="module")
def fast(kernels):
    return layers_for("cython")


def _scaled_error(got, want):
    want = np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want)) / (np.max(np.abs(want)) + 1e-12))


def rel_error(x, y):
    """The assignment's published metric: max of |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _inputs(seed, N, C, H, W, F, HH, WW, pad, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    dout = rng.standard_normal((N, F, H + 2 * pad - HH + 1, W + 2 * pad - WW + 1)).astype(dtype)
    return x, w, b, {"stride": 1, "pad": pad}, dout


# (N, C, H, W, F, HH, WW, pad): pads 0-2, non-square inputs and filters, N = 1, C = 1 and 3,
# filter counts that are not a multiple of the kernels' block of 4, output widths below,
# at and past one tile of columns (32 floats, 16 doubles), odd output heights, and the
# ConvNet's first layer (3 channels, 32 7x7 filters, pad 3), enough filters (66) for the
# wider filter-gradient kernel in both dtypes, and more channels (37) than one pass of the
# forward kernel (16).
GEOMETRIES = [
    (1, 1, 5, 7, 1, 3, 2, 0),
    (2, 3, 9, 6, 5, 2, 3, 1),
    (1, 3, 7, 40, 6, 3, 3, 1),
    (3, 1, 11, 17, 3, 5, 3, 2),
    (2, 4, 6, 33, 4, 1, 1, 0),
    (1, 2, 4, 4, 7, 4, 4, 2),
    (2, 3, 32, 32, 32, 7, 7, 3),
    (1, 5, 13, 16, 9, 3, 5, 1),
    (2, 2, 6, 35, 66, 3, 3, 1),
    (2, 37, 7, 9, 5, 3, 2, 1),
]
IDS = ["x".join(map(str, g)) for g in GEOMETRIES]


def test_direct_path_is_taken_for_these_geometries(kernels):
    for N, C, H, W, F, HH, WW, pad in GEOMETRIES:
        assert layers._use_direct(kernels, 1, pad, HH, WW)
    # Stride 2, or a pad as large as the filter, keep im2col + GEMM.
    assert not layers._use_direct(kernels, 2, 1, 3, 3)
    assert not layers._use_direct(kernels, 1, 2, 2, 3)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_direct_conv_float64_matches_naive(fast, geometry):
    x, w, b, conv_param, dout = _inputs(sum(geometry), *geometry, np.float64)
    out, cache = fast.conv_forward_fast(x, w, b, conv_param)
    want, cache_n = conv_forward_naive(x, w, b, conv_param)
    assert out.dtype == np.float64 and out.shape == want.shape
    assert _scaled_error(out, want) < 1e-12
    grads = fast.conv_backward_fast(dout, cache)
    for name, got, expected in zip(("dx", "dw", "db"), grads,
                                   conv_backward_naive(dout, cache_n)):
        assert got.dtype == np.float64 and got.shape == expected.shape, name
        assert _scaled_error(got, expected) < 1e-12, name


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_direct_conv_float32_matches_naive(fast, geometry):
    """float32 in, float32 out, within the notebooks' 1e-5 of the float64 reference."""
    x, w, b, conv_param, dout = _inputs(7 + sum(geometry), *geometry, np.float32)
    out, cache = fast.conv_forward_fast(x, w, b, conv_param)
    as64 = [a.astype(np.float64) for a in (x, w, b)]
    want, cache_n = conv_forward_naive(*as64, conv_param)
    assert out.dtype == np.float32
    assert _scaled_error(out, want) < 1e-5
    grads = fast.conv_backward_fast(dout, cache)
    for name, got, expected in zip(("dx", "dw", "db"), grads,
                                   conv_backward_naive(dout.astype(np.float64), cache_n)):
        assert got.dtype == np.float32, name
        assert _scaled_error(got, expected) < 1e-5, name


def test_notebook_check_on_the_convnet_layer_float32(fast):
    """The notebook's fast-vs-naive relative error, float32 against the float32 naive layer."""
    x, w, b, conv_param, dout = _inputs(3, 2, 3, 32, 32, 32, 7, 7, 3, np.float32)
    out, cache = fast.conv_forward_fast(x, w, b, conv_param)
    want, cache_n = conv_forward_naive(x, w, b, conv_param)
    assert _scaled_error(out, want) < 1e-5
    dx, dw, db = fast.conv_backward_fast(dout, cache)
    dx_n, dw_n, db_n = conv_backward_naive(dout, cache_n)
    assert rel_error(db, db_n) < 1e-5
    assert _scaled_error(dx, dx_n) < 1e-5 and _scaled_error(dw, dw_n) < 1e-5


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_direct_dw_does_not_depend_on_worker_count(fast, workers, monkeypatch):
    """Chunks of samples are shared out over worker threads; dw is summed chunk by chunk
    in order, so 1, 2 or 3 workers give the very same bits, and dx as well."""
    args = _inputs(11, 11, 3, 9, 10, 5, 3, 3, 1, np.float32)
    monkeypatch.setattr(layers, "DIRECT_SPLIT_MIN_FLOPS", 0)
    monkeypatch.setattr(layers, "_direct_workers", lambda flops, n_chunks: 1)
    _, cache = fast.conv_forward_fast(*args[:4])
    one = fast.conv_backward_fast(args[4], cache)
    monkeypatch.setattr(layers, "_direct_workers", lambda flops, n_chunks: workers)
    _, cache = fast.conv_forward_fast(*args[:4])
    for got, want in zip(fast.conv_backward_fast(args[4], cache), one):
        np.testing.assert_array_equal(got, want)


def test_direct_split_really_uses_worker_threads(kernels, monkeypatch):
    """Guard for the test above: with two workers, a second thread runs kernels (the first
    two chunks each wait until the other is held, so one thread cannot take them all)."""
    import itertools
    import threading

    seen = set()
    barrier = threading.Barrier(2, timeout=10)
    calls = itertools.count()

    class Spy:
        def __getattr__(self, name):
            target = getattr(kernels, name)
            if name != "direct_conv":
                return target

            def call(*args):
                seen.add(threading.get_ident())
                if next(calls) < 2:
                    barrier.wait()
                return target(*args)
            return call

    monkeypatch.setattr(layers, "_direct_workers", lambda flops, n_chunks: 2)
    args = _inputs(12, 8, 3, 9, 10, 5, 3, 3, 1, np.float64)
    out, _ = layers.conv_forward(Spy(), *args[:4])
    assert len(seen) == 2
    np.testing.assert_allclose(out, conv_forward_naive(*args[:4])[0], rtol=0, atol=1e-12)


def test_pad_as_large_as_the_filter_falls_back_to_gemm(fast):
    args = _inputs(13, 2, 3, 6, 7, 4, 2, 3, 2, np.float64)
    out, cache = fast.conv_forward_fast(*args[:4])
    want, cache_n = conv_forward_naive(*args[:4])
    assert _scaled_error(out, want) < 1e-12
    for got, expected in zip(fast.conv_backward_fast(args[4], cache),
                             conv_backward_naive(args[4], cache_n)):
        assert _scaled_error(got, expected) < 1e-12


def test_kernels_refuse_buffers_that_do_not_match(kernels):
    x = np.zeros((2, 3, 8, 8), dtype=np.float32)
    wt = np.zeros((1, 3 * 3 * 3, kernels.FILTER_BLOCK), dtype=np.float32)
    bias = np.zeros(kernels.FILTER_BLOCK, dtype=np.float32)
    rows, row_len, H_out, W_out, row_out = kernels.direct_geometry(4, 8, 8, 3, 3, 1, 1)
    work = np.zeros(3 * rows * row_len + 4 * H_out * row_out, dtype=np.float32)
    out = np.zeros((2, 4, H_out, W_out), dtype=np.float32)
    kernels.direct_conv(x, wt, bias, 3, 3, 1, 1, out, work, 0, 2)  # fits
    with pytest.raises(ValueError):
        kernels.direct_conv(x, wt, bias, 3, 3, 1, 1, out[:, :, :-1], work, 0, 2)
    with pytest.raises(ValueError):
        kernels.direct_conv(x, wt, bias, 3, 3, 1, 1, out, work[:10], 0, 2)
    with pytest.raises(ValueError):
        kernels.direct_conv(x, wt, bias, 3, 3, 1, 1, out, work, 1, 3)  # past the batch
    with pytest.raises(ValueError):
        kernels.direct_conv(x, wt[:, :-1], bias, 3, 3, 1, 1, out, work, 0, 2)
    Fp = kernels.dw_filter_block(4, 4)
    assert Fp % 4 == 0 and Fp >= 4
    part = np.zeros((3 * 3 * 4, Fp), dtype=np.float32)
    dout = np.zeros((2, 4, H_out, W_out), dtype=np.float32)
    work = np.zeros(3 * rows * row_len + H_out * W_out * Fp + 16, dtype=np.float32)
    kernels.direct_conv_dw(x, dout, 3, 3, 1, 1, part, work, 0, 2)  # fits
    with pytest.raises(ValueError):
        kernels.direct_conv_dw(x, dout, 3, 3, 1, 1, part[:-1], work, 0, 2)
    with pytest.raises(ValueError):
        kernels.direct_conv_dw(x, dout, 3, 3, 1, 1, part[:, :4], work, 0, 2)
    with pytest.raises(ValueError):
        kernels.direct_conv_dw(x, dout, 3, 3, 1, 1, part, work[:100], 0, 2)


def test_numpy_backend_has_no_direct_kernels():
    """The pure-numpy fallback keeps im2col + GEMM for every geometry."""
    numpy_layers = layers_for("numpy")
    from assignment.fast_layers import _backend

    kernels, _ = _backend.load_kernels("numpy")
    assert not layers._use_direct(kernels, 1, 1, 3, 3)
    # Nor does the compiled module on a CPU without AVX-512 (it says DIRECT = 0).
    assert not layers._use_direct(types.SimpleNamespace(DIRECT=0), 1, 1, 3, 3)
    args = _inputs(14, 2, 3, 7, 9, 4, 3, 3, 1, np.float64)
    out, _ = numpy_layers.conv_forward_fast(*args[:4])
    assert _scaled_error(out, conv_forward_naive(*args[:4])[0]) < 1e-12


def test_direct_conv_accepts_read_only_and_strided_inputs(fast):
    """Arrays from np.load(mmap_mode='r') or a sandbox's buffers are read-only; views may be
    non-contiguous. Neither is written to."""
    x, w, b, conv_param, dout = _inputs(15, 2, 3, 8, 9, 5, 3, 3, 1, np.float64)
    x_view = np.asfortranarray(x)
    dout_view = dout[:, ::-1][:, ::-1]
    for a in (x_view, w, b, dout_view):
        a.setflags(write=False)
    out, cache = fast.conv_forward_fast(x_view, w, b, conv_param)
    want, cache_n = conv_forward_naive(x, w, b, conv_param)
    assert _scaled_error(out, want) < 1e-12
    for got, expected in zip(fast.conv_backward_fast(dout_view, cache),
                             conv_backward_naive(dout, cache_n)):
        assert _scaled_error(got, expected) < 1e-12
    np.testing.assert_array_equal(x_view, x)

"""Fast convolution equals the naive reference over many geometries, on both backends."""

import numpy as np
import pytest

from assignment.reference.conv_layers import conv_backward_naive, conv_forward_naive


def rel_error(x, y):
    """The assignment's published metric: max of |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))

# (N, C, H, W, F, HH, WW, stride, pad): strides 1-3, pads 0-2, non-square inputs and
# filters, N = 1, 1x1 filters and filters as large as the padded input.
GEOMETRIES = [
    (2, 3, 5, 5, 4, 3, 3, 1, 1),
    (1, 2, 7, 9, 3, 3, 3, 2, 1),
    (2, 3, 8, 6, 2, 2, 4, 2, 0),
    (1, 1, 7, 10, 2, 1, 4, 3, 0),
    (3, 2, 6, 9, 3, 4, 1, 1, 2),
    (2, 4, 9, 5, 3, 5, 3, 2, 2),
    (1, 3, 4, 4, 2, 8, 8, 1, 2),
    (2, 2, 10, 9, 2, 3, 5, 3, 1),
    (1, 5, 3, 8, 3, 3, 2, 1, 0),
    (2, 1, 1, 1, 2, 1, 1, 1, 0),
]


def _run_both(fast, x, w, b, conv_param, dout):
    expected_out, cache_n = conv_forward_naive(x, w, b, conv_param)
    out, cache = fast.conv_forward_fast(x, w, b, conv_param)
    return out, fast.conv_backward_fast(dout, cache), expected_out, conv_backward_naive(
        dout, cache_n
    )


def _inputs(rng, N, C, H, W, F, HH, WW, stride, pad, dtype=np.float64):
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    dout = rng.standard_normal((N, F, H_out, W_out)).astype(dtype)
    return x, w, b, {"stride": stride, "pad": pad}, dout


def _assert_matches(fast, args, tol=1e-10):
    x = args[0]
    x_before = x.copy()
    out, grads, expected_out, expected_grads = _run_both(fast, *args)
    assert out.shape == expected_out.shape
    assert rel_error(out, expected_out) <= tol
    for name, got, want in zip(("dx", "dw", "db"), grads, expected_grads):
        assert got.shape == want.shape, name
        assert rel_error(got, want) <= tol, name
    np.testing.assert_array_equal(x, x_before)  # the layers never write to their inputs


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
def test_conv_matches_naive_float64(fast, geometry):
    rng = np.random.default_rng(sum(geometry))
    _assert_matches(fast, _inputs(rng, *geometry))


def _random_geometries(count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        HH, WW = rng.integers(1, 6, size=2)
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        # Pick the output size, then the input size that fits it exactly.
        H_out, W_out = rng.integers(1, 6, size=2)
        H = max(1, (H_out - 1) * stride + HH - 2 * pad)
        W = max(1, (W_out - 1) * stride + WW - 2 * pad)
        if (H + 2 * pad - HH) % stride or (W + 2 * pad - WW) % stride:
            H, W = (H_out - 1) * stride + HH, (W_out - 1) * stride + WW
            pad = 0
        yield (
            int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(H), int(W),
            int(rng.integers(1, 5)), int(HH), int(WW), stride, pad,
        )


def test_conv_random_sweep_matches_naive(fast):
    """30 random geometries: an out-of-bounds write would crash or corrupt the result."""
    rng = np.random.default_rng(231)
    for geometry in _random_geometries(30, seed=2017):
        _assert_matches(fast, _inputs(rng, *geometry))


@pytest.mark.parametrize("geometry", GEOMETRIES[:5], ids=lambda g: "x".join(map(str, g)))
def test_conv_float32_keeps_dtype(fast, geometry):
    rng = np.random.default_rng(7 + sum(geometry))
    x, w, b, conv_param, dout = _inputs(rng, *geometry, dtype=np.float32)
    out, grads, expected_out, expected_grads = _run_both(
        fast, x, w, b, conv_param, dout
    )
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    for got, want in zip((out, *grads), (expected_out, *expected_grads)):
        scale = np.max(np.abs(want)) + 1e-12
        assert np.max(np.abs(got - want)) / scale < 1e-5


def test_conv_published_forward_values(fast):
    """The notebook's conv forward check (values from the published correct_out)."""
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = fast.conv_forward_fast(x, w, b, {"stride": 2, "pad": 1})
    correct_n0_f0 = np.array([[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]])
    correct_n1_f2 = np.array([[2.36270298, 2.36904306], [2.38090835, 2.38247847]])
    assert rel_error(out[0, 0], correct_n0_f0) < 1e-7
    assert rel_error(out[1, 2], correct_n1_f2) < 1e-7


def test_conv_seed_shape_and_noncontiguous_inputs(fast):
    """The notebooks' fast-vs-naive shape (forward only: the naive backward is slow), with
    non-contiguous views as inputs."""
    rng = np.random.default_rng(31)
    x = rng.standard_normal((31, 31, 3, 20)).transpose(3, 2, 0, 1)  # (20, 3, 31, 31) view
    w = rng.standard_normal((25, 3, 3, 3))[:, :, ::-1]
    b = rng.standard_normal(25)
    conv_param = {"stride": 2, "pad": 1}
    out, _ = fast.conv_forward_fast(x, w, b, conv_param)
    expected, _ = conv_forward_naive(x, w, b, conv_param)
    assert rel_error(out, expected) <= 1e-10


@pytest.mark.parametrize(
    "H, W, HH, WW, stride, pad",
    [(6, 6, 3, 3, 2, 0), (6, 5, 2, 2, 3, 0), (4, 4, 7, 3, 1, 1), (5, 5, 3, 3, 0, 1),
     (5, 5, 3, 3, 1, -1)],
)
def test_conv_bad_geometry_raises_like_naive(fast, H, W, HH, WW, stride, pad):
    x, w, b = np.zeros((1, 1, H, W)), np.zeros((1, 1, HH, WW)), np.zeros(1)
    conv_param = {"stride": stride, "pad": pad}
    with pytest.raises(ValueError) as naive_error:
        conv_forward_naive(x, w, b, conv_param)
    with pytest.raises(ValueError) as fast_error:
        fast.conv_forward_fast(x, w, b, conv_param)
    assert str(fast_error.value) == str(naive_error.value)


def test_outputs_never_alias_reused_scratch(fast):
    """Scratch buffers are reused across calls; the arrays handed back never are."""
    rng = np.random.default_rng(44)
    args_a = _inputs(rng, 3, 2, 9, 9, 3, 3, 3, 1, 1)
    args_b = _inputs(rng, 3, 2, 9, 9, 3, 3, 3, 1, 1)
    out_a, cache_a = fast.conv_forward_fast(*args_a[:4])
    grads_a = fast.conv_backward_fast(args_a[4], cache_a)
    kept = [a.copy() for a in (out_a, *grads_a)]
    out_b, cache_b = fast.conv_forward_fast(*args_b[:4])
    fast.conv_backward_fast(args_b[4], cache_b)
    for before, after in zip(kept, (out_a, *grads_a)):
        np.testing.assert_array_equal(before, after)


def test_blas_thread_count_is_restored(fast):
    """Small GEMMs run on one BLAS thread; the caller's setting must come back."""
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info()
                if p["user_api"] == "blas"]

    before = blas_threads()
    rng = np.random.default_rng(45)
    x, w, b, conv_param, dout = _inputs(rng, 4, 3, 15, 15, 5, 3, 3, 2, 1)
    _, cache = fast.conv_forward_fast(x, w, b, conv_param)
    fast.conv_backward_fast(dout, cache)
    assert blas_threads() == before


def test_conv_accepts_read_only_inputs(fast):
    """Arrays from np.load(mmap_mode='r') or a sandbox's decoded buffers are read-only."""
    rng = np.random.default_rng(46)
    args = _inputs(rng, 2, 3, 7, 7, 4, 3, 3, 2, 1)
    for a in (*args[:3], args[4]):
        a.setflags(write=False)
    _assert_matches(fast, args)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_conv_split_over_worker_threads_matches_naive(fast, workers, monkeypatch):
    """Samples are split over worker threads (one BLAS thread each); any worker count gives
    the naive result, and dw (summed over workers) is the same whatever the count."""
    import contextlib

    from assignment.fast_layers import layers

    @contextlib.contextmanager
    def pretend_blas_threads():
        yield workers

    monkeypatch.setattr(layers, "single_threaded_blas", pretend_blas_threads)
    monkeypatch.setattr(layers, "SPLIT_MIN_FLOPS", 0)  # split even this small layer
    rng = np.random.default_rng(47)
    # 16 channels of 12x12: one sample per chunk, so 7 chunks to share out.
    _assert_matches(fast, _inputs(rng, 7, 16, 12, 12, 3, 3, 3, 1, 1))


def test_conv_split_really_uses_worker_threads(monkeypatch):
    """Guard for the test above: with the threshold lowered, a second thread does work."""
    import contextlib
    import threading

    from assignment.fast_layers import _numpy_backend, layers

    @contextlib.contextmanager
    def pretend_blas_threads():
        yield 2

    seen = set()

    class SpyKernels:
        def __getattr__(self, name):
            kernel = getattr(_numpy_backend, name)  # AttributeError as the module would

            def call(*args):
                seen.add(threading.get_ident())
                return kernel(*args)
            return call

    monkeypatch.setattr(layers, "single_threaded_blas", pretend_blas_threads)
    monkeypatch.setattr(layers, "SPLIT_MIN_FLOPS", 0)
    x, w, b, conv_param, _ = _inputs(np.random.default_rng(48), 7, 16, 12, 12, 3, 3, 3, 1, 1)
    layers.conv_forward(SpyKernels(), x, w, b, conv_param)
    assert len(seen) == 2


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_small_layer_split_over_worker_threads_matches_naive(fast, workers, monkeypatch):
    """Small layers (several samples per chunk: sample-major columns, bias and db folded into
    the GEMMs) share their chunks out over threads; any worker count gives the naive result
    and the very same dw and db, since the chunks' parts are summed in chunk order."""
    import contextlib

    from assignment.fast_layers import layers

    @contextlib.contextmanager
    def pretend_blas_threads():
        yield workers

    monkeypatch.setattr(layers, "single_threaded_blas", pretend_blas_threads)
    monkeypatch.setattr(layers, "SPLIT_MIN_FLOPS", 0)
    monkeypatch.setattr(layers, "COLS_BUDGET_BYTES", 10000)  # 2 samples per chunk
    monkeypatch.setattr(layers, "BACKWARD_COLS_BUDGET_BYTES", 20000)  # 4 per chunk
    rng = np.random.default_rng(49)
    args = _inputs(rng, 11, 3, 9, 7, 4, 3, 3, 2, 1)
    _assert_matches(fast, args)
    monkeypatch.setattr(layers, "single_threaded_blas", contextlib.nullcontext)  # 1 worker
    _, cache = fast.conv_forward_fast(*args[:4])
    _, dw_one, db_one = fast.conv_backward_fast(args[4], cache)
    monkeypatch.setattr(layers, "single_threaded_blas", pretend_blas_threads)
    _, dw, db = fast.conv_backward_fast(args[4], cache)
    np.testing.assert_array_equal(dw, dw_one)
    np.testing.assert_array_equal(db, db_one)


def test_run_chunks_shares_chunks_between_threads_and_keeps_order():
    """Both workers take chunks (each chunk here waits for the other thread to hold one), and
    results come back in chunk order."""
    import threading

    from assignment.fast_layers._blas import run_chunks

    barrier = threading.Barrier(2, timeout=10)
    threads = set()

    def task(i):
        threads.add(threading.get_ident())
        if i < 2:
            barrier.wait()  # chunks 0 and 1 can only finish on two threads at once
        return i * i

    assert run_chunks(task, 7, 2) == [i * i for i in range(7)]
    assert len(threads) == 2
    assert run_chunks(task, 0, 2) == []


def test_kernels_take_strided_column_rows(fast):
    """The small-layer path hands the kernels a (K, B, HWo) view of a (B, K + 1, HWo)
    buffer: rows apart by (K + 1) * HWo between samples, HWo within one."""
    from assignment.fast_layers import _backend

    kernels, _ = _backend.load_kernels(fast.backend)
    rng = np.random.default_rng(50)
    x = rng.standard_normal((3, 2, 7, 6))
    HH, WW, stride, pad = 3, 2, 2, 1
    H_out, W_out = (7 + 2 * pad - HH) // stride + 1, (6 + 2 * pad - WW) // stride + 1
    K, HWo = 2 * HH * WW, H_out * W_out
    dense = np.zeros((K, 3, HWo))
    kernels.im2col(x, 0, HH, WW, stride, pad, dense)
    buf = np.full((3, K + 1, HWo), 7.0)
    kernels.im2col(x, 0, HH, WW, stride, pad, buf[:, :K].transpose(1, 0, 2))
    np.testing.assert_array_equal(buf[:, :K].transpose(1, 0, 2), dense)
    np.testing.assert_array_equal(buf[:, K], 7.0)  # the extra row is left alone
    dx_dense, dx_view = np.zeros_like(x), np.zeros_like(x)
    kernels.col2im(dense, 0, HH, WW, stride, pad, dx_dense)
    kernels.col2im(buf[:, :K].transpose(1, 0, 2), 0, HH, WW, stride, pad, dx_view)
    np.testing.assert_array_equal(dx_view, dx_dense)
    if fast.backend == "cython":
        with pytest.raises(ValueError, match="contiguous"):
            kernels.im2col(x, 0, HH, WW, stride, pad, np.zeros((K, 3, 2 * HWo))[:, :, ::2])

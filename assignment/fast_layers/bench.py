"""Benchmark the fast layers against the naive loops, PyTorch CPU and numpy's GEMM peak.

Run ``make bench`` or ``python -m assignment.fast_layers.bench [--repeats R] [--quick]``.

Everything is measured in one run, side by side, as medians of repeats. The rivals of one
workload are interleaved (fast, torch, fast, torch, ...) so load from other processes hits
all of them alike, with a short pause between timed blocks: OpenBLAS and OpenMP threads
spin after a call and would otherwise slow whatever runs next. PyTorch gets the same
thread count as numpy's BLAS. "% peak" is the layer's GEMM FLOPs per second over the
GFLOP/s of a large square matmul in the same dtype, measured in this run (best of repeats).

The naive loops take seconds on the seeds' shape, so they run only ``NAIVE_REPEATS`` times
there (median; one run swung between 1.9 and 6 s under load); on the realistic layer they
would take minutes, so they run on a one-sample slice and the column says "est." (naive
time is linear in N: its loops run per sample).

The "train step" rows time what a student waits for in ``CNN.ipynb``: one Adam step of the
reference ``ThreeLayerConvNet`` (float32, batch 50, 32 7x7 filters, the notebook's
``reg=1e-3``; loss, gradients and the update of every parameter) against the same network
in PyTorch (``nn.Conv2d``, ``F.cross_entropy`` plus the same L2 term on the three weight
matrices, ``torch.optim.Adam``), interleaved like every other row.
"""

import argparse
import os
import time

import numpy as np

from . import BACKEND, conv_backward_fast, conv_forward_fast
from . import max_pool_backward_fast, max_pool_forward_fast
from ._backend import load_kernels

PAUSE_S = 0.02
NAIVE_REPEATS = 3
REG = 1e-3  # the training step's L2 strength, CNN.ipynb's


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    return counts[0] if counts else None


def _time_once(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median_time(fn, repeats=NAIVE_REPEATS):
    return float(np.median([_time_once(fn) for _ in range(repeats)]))


def timed_medians(fns, repeats):
    """Median seconds of each callable in ``fns`` (a dict), runs interleaved; one warm-up."""
    times = {name: [] for name in fns}
    for name, fn in fns.items():
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(PAUSE_S)
            times[name].append(_time_once(fn))
    return {name: float(np.median(ts)) for name, ts in times.items()}


def gemm_peak(dtype, repeats, n=2048):
    """GFLOP/s of an ``n x n`` matmul in ``dtype``: the best of repeats, since a peak is what
    the machine can do (a median would let other jobs' load shrink the yardstick)."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = min(_time_once(lambda: np.matmul(a, b, out=out)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def conv_rows(torch, naive, name, shape_x, shape_w, stride, pad, dtype, repeats, naive_n):
    """Rows (forward and backward) of one conv workload; naive timed on ``naive_n`` samples."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape_x).astype(dtype)
    w = rng.standard_normal(shape_w).astype(dtype)
    b = rng.standard_normal(shape_w[0]).astype(dtype)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward_fast(x, w, b, param)
    dout = rng.standard_normal(out.shape).astype(dtype)
    N, F = shape_x[0], shape_w[0]
    flops = 2.0 * N * F * np.prod(shape_w[1:]) * out.shape[2] * out.shape[3]
    fwd = {"fast": lambda: conv_forward_fast(x, w, b, param)}
    bwd = {"fast": lambda: conv_backward_fast(dout, cache)}
    if torch is not None:
        tx, tw, tb, td = (torch.from_numpy(a) for a in (x, w, b, dout))
        tconv = torch.nn.functional.conv2d

        def t_fwd():
            with torch.no_grad():
                tconv(tx, tw, tb, stride, pad)

        def t_bwd():
            # The kernel autograd would call, without graph bookkeeping.
            torch.ops.aten.convolution_backward(
                td, tx, tw, [F], [stride] * 2, [pad] * 2, [1, 1], False, [0, 0], 1,
                [True, True, True],
            )

        fwd["torch"], bwd["torch"] = t_fwd, t_bwd
    rows = []
    for pass_name, fns, pass_flops, naive_fn in (
        ("forward", fwd, flops, naive and naive[0]),
        ("backward", bwd, 2 * flops, naive and naive[1]),
    ):
        t = timed_medians(fns, repeats)
        if naive_fn is not None:
            xs, ds = x[:naive_n], dout[:naive_n]
            if pass_name == "forward":
                t["naive"] = _median_time(lambda: naive_fn(xs, w, b, param)) * N / naive_n
            else:
                t["naive"] = _median_time(lambda: naive_fn(ds, (xs, w, b, param))) * N / naive_n
        rows.append((name, np.dtype(dtype).name, pass_name, t, pass_flops, naive_n < N))
    return rows


def pool_rows(torch, naive, name, shape_x, pool, stride, dtype, repeats):
    """Rows (forward and backward) of one max-pool workload."""
    x = np.random.default_rng(2).standard_normal(shape_x).astype(dtype)
    param = {"pool_height": pool, "pool_width": pool, "stride": stride}
    out, cache = max_pool_forward_fast(x, param)
    dout = np.random.default_rng(3).standard_normal(out.shape).astype(dtype)
    fwd = {"fast": lambda: max_pool_forward_fast(x, param)}
    bwd = {"fast": lambda: max_pool_backward_fast(dout, cache)}
    if torch is not None:
        tx, td = torch.from_numpy(x), torch.from_numpy(dout)
        _, tidx = torch.nn.functional.max_pool2d(tx, pool, stride, return_indices=True)

        def t_fwd():
            # With indices, as training needs them (our forward keeps its argmax too).
            with torch.no_grad():
                torch.nn.functional.max_pool2d(tx, pool, stride, return_indices=True)

        def t_bwd():
            torch.ops.aten.max_pool2d_with_indices_backward(
                td, tx, [pool] * 2, [stride] * 2, [0, 0], [1, 1], False, tidx
            )

        fwd["torch"], bwd["torch"] = t_fwd, t_bwd
    rows = []
    for pass_name, fns in (("forward", fwd), ("backward", bwd)):
        t = timed_medians(fns, repeats)
        if naive is not None:
            if pass_name == "forward":
                t["naive"] = _median_time(lambda: naive[2](x, param))
            else:
                t["naive"] = _median_time(lambda: naive[3](dout, (x, param)))
        rows.append((name, np.dtype(dtype).name, pass_name, t, None, False))
    return rows


def train_rows(torch, hidden_dims, repeats, batch=50):
    """Rows of one training step (loss, backward, Adam update) per hidden size, ours and
    PyTorch's; empty without the reference (the handout) or without PyTorch."""
    try:  # developer tool only: the handout ships without the reference
        from assignment.reference import optim
        from assignment.reference.cnn import ThreeLayerConvNet
    except ImportError:
        return []
    if torch is None:
        return []
    rng = np.random.default_rng(4)
    X = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)
    rows = []
    for hidden in hidden_dims:
        np.random.seed(0)  # the model draws its weights from the global RNG
        model = ThreeLayerConvNet(hidden_dim=hidden, reg=REG, dtype=np.float32)
        configs = {name: {"learning_rate": 1e-3} for name in model.params}

        def ours(model=model, configs=configs):
            _, grads = model.loss(X, y)
            for name, w in model.params.items():
                model.params[name], configs[name] = optim.adam(w, grads[name], configs[name])

        nn = torch.nn
        net = nn.Sequential(
            nn.Conv2d(3, 32, 7, padding=3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * 16 * 16, hidden), nn.ReLU(), nn.Linear(hidden, 10),
        )
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)

        weights = [net[0].weight, net[4].weight, net[6].weight]

        def theirs(net=net, opt=opt, tX=tX, ty=ty, weights=weights):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(tX), ty)
            # The reference's 0.5 * reg * sum(W**2) over the weights, not the biases.
            loss = loss + 0.5 * REG * sum((w * w).sum() for w in weights)
            loss.backward()
            opt.step()

        t = timed_medians({"fast": ours, "torch": theirs}, repeats)
        rows.append((f"train step hidden {hidden}", "float32", "step", t, None, False))
    return rows


def format_table(rows, peaks):
    head = (
        f"{'workload':<30}{'dtype':<8}{'pass':<9}{'fast ms':>9}{'naive ms':>14}"
        f"{'torch ms':>10}{'x naive':>10}{'/torch':>8}{'fast %pk':>9}{'torch %pk':>10}"
    )
    lines = [head, "-" * len(head)]
    for name, dtype, pass_name, t, flops, estimated in rows:
        fast, naive, tor = t["fast"], t.get("naive"), t.get("torch")

        def ms(v, est=False):
            return "-" if v is None else f"{v * 1e3:.2f}" + (" est" if est else "")

        def pct(v):
            return "-" if v is None or flops is None else f"{flops / v / 1e9 / peaks[dtype]:.0%}"

        lines.append(
            f"{name:<30}{dtype:<8}{pass_name:<9}{ms(fast):>9}{ms(naive, estimated):>14}"
            f"{ms(tor):>10}{'-' if naive is None else f'{naive / fast:.0f}x':>10}"
            f"{'-' if tor is None else f'{fast / tor:.2f}':>8}{pct(fast):>9}{pct(tor):>10}"
        )
    return "\n".join(lines)


def target_lines(rows, peaks):
    """The issue's targets, each marked met or missed from this run's numbers."""
    lines = []
    for name, dtype, pass_name, t, flops, _ in rows:
        fast, naive, tor = t["fast"], t.get("naive"), t.get("torch")
        checks = []
        if name.startswith("layer") and tor is not None:
            ratio_max, peak_min = (0.8, 0.65) if dtype == "float64" else (1.2, 0.60)
            checks.append((f"<= {ratio_max}x torch", fast / tor <= ratio_max))
            checks.append((f">= {peak_min:.0%} of peak", flops / fast / 1e9 / peaks[dtype]
                           >= peak_min))
        if name.startswith("seeds conv") and naive is not None:
            checks.append((">= 1000x naive", naive / fast >= 1000))
        if "pool" in name and tor is not None:
            limit = 1.0 if pass_name == "forward" else 2.0
            checks.append((f"<= {limit}x torch", fast / tor <= limit))
        if name.startswith("train step") and tor is not None:
            checks.append(("<= 1.0x torch", fast / tor <= 1.0))
        for label, ok in checks:
            lines.append(f"  {'met   ' if ok else 'MISSED'} {name} {dtype} {pass_name}: {label}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--quick", action="store_true", help="skip the naive loops")
    args = parser.parse_args(argv)
    torch = _torch()
    threads = _blas_threads()
    if torch is not None and threads:
        torch.set_num_threads(threads)
    naive = None
    if not args.quick:
        try:  # developer tool only: the handout ships without the reference
            from assignment.reference import conv_layers as ref

            naive = (ref.conv_forward_naive, ref.conv_backward_naive,
                     ref.max_pool_forward_naive, ref.max_pool_backward_naive)
        except ImportError:
            print("assignment.reference not found: no naive column")
    print("load average (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    kernels, _ = load_kernels(BACKEND)
    direct = getattr(kernels, "ISA", "none")
    print(f"fast-layer backend: {BACKEND} (direct conv kernels: {direct}); "
          f"BLAS threads: {threads}; "
          f"torch: {torch.__version__ if torch else 'not installed'}"
          + (f" ({torch.get_num_threads()} threads)" if torch else ""))
    dtypes = (("float64", np.float64), ("float32", np.float32))
    peaks = {name: gemm_peak(dt, args.repeats) for name, dt in dtypes}
    rows = []
    for dtype in (np.float64, np.float32):
        rows += conv_rows(torch, naive, "seeds conv 100x3x31x31 s2", (100, 3, 31, 31),
                          (25, 3, 3, 3), 2, 1, dtype, args.repeats, naive_n=100)
        rows += conv_rows(torch, naive, "layer conv 50x64x32x32 s1", (50, 64, 32, 32),
                          (64, 64, 3, 3), 1, 1, dtype, args.repeats, naive_n=1)
        rows += pool_rows(torch, naive, "seeds pool 100x3x32x32 2/2", (100, 3, 32, 32),
                          2, 2, dtype, args.repeats)
        rows += pool_rows(torch, naive, "overlap pool 100x3x33x33 3/2", (100, 3, 33, 33),
                          3, 2, dtype, args.repeats)
    rows += train_rows(torch, (100, 500), 3 * args.repeats)
    # The peak is measured again at the end and the better one kept: a burst of load from
    # other jobs during one measurement would otherwise inflate every "% peak".
    peaks = {name: max(peaks[name], gemm_peak(dt, args.repeats)) for name, dt in dtypes}
    print("numpy GEMM peak (2048^3 matmul, best of repeats at start and end): "
          + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peaks.items()))
    print(format_table(rows, peaks))
    print("targets of the issue (this run; see the load averages for how quiet it was):")
    print("\n".join(target_lines(rows, peaks)))
    print("load average (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    print("'est': naive timed on a 1-sample slice, scaled by N. '/torch': fast time over "
          "PyTorch's (< 1 is faster). '%pk': GEMM FLOPs/s over the GEMM peak above.")


if __name__ == "__main__":
    main()

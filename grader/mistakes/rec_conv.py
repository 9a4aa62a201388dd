"""Recognisers for convolution and max pooling: geometry mix-ups, cropping, routing.

Each predicts the student's output under one mistake from the check's own inputs
(:mod:`.models`) and names it only when the output matches and differs from the answer.
"""

from __future__ import annotations

import itertools

from . import models
from .behaviour import register


def _geometry(ctx):
    """``(x, w or None, stride, pad, kh, kw)`` of a conv or pool check."""
    i = ctx.inputs
    if "conv_param" in i:
        w = i["w"]
        return i["x"], w, i["conv_param"]["stride"], i["conv_param"]["pad"], *w.shape[2:]
    pp = i["pool_param"]
    return i["x"], None, pp["stride"], 0, pp["pool_height"], pp["pool_width"]


def mixed_sizes(H, W, kh, kw, stride, pad):
    """Output sizes ``(rows, cols)`` a formula gives with a height and a width mixed up."""
    right = (models.out_size(H, kh, stride, pad), models.out_size(W, kw, stride, pad))
    sizes = {(models.out_size(a, k, stride, pad), models.out_size(c, q, stride, pad))
             for a, c in itertools.product((H, W), repeat=2)
             for k, q in itertools.product((kh, kw), repeat=2)}
    sizes.discard(right)
    return {s for s in sizes if min(s) > 0}


def mixed_windows(kh, kw):
    return {(kh, kh), (kw, kw), (kw, kh)} - {(kh, kw)}


def _shape_mixed(ctx, name, x, stride, pad, kh, kw):
    got = ctx.out(name)
    want = ctx.expected.get(name)
    if got is None or want is None or got.shape == want.shape or got.ndim != 4:
        return False
    return got.shape[:2] == want.shape[:2] and \
        tuple(got.shape[2:]) in mixed_sizes(*x.shape[2:], kh, kw, stride, pad)


@register("conv_forward_naive")
def conv_forward(ctx):
    x, _, stride, pad, kh, kw = _geometry(ctx)
    if _shape_mixed(ctx, "out", x, stride, pad, kh, kw):
        return "height_for_width"
    return None


@register("conv_backward_naive")
def conv_backward(ctx):
    x, w, stride, pad, kh, kw = _geometry(ctx)
    dx = ctx.out("dx")
    if pad == 0 and dx is not None and dx.ndim == 4 and 0 in dx.shape[2:]:
        return "dx_negative_crop"
    dout = ctx.inputs["dout"]
    H, W = x.shape[2:]

    def cropped(dxp):
        return dxp[:, :, pad:pad + H, pad:pad + W]

    if stride > 1:
        dxp, dw, _ = models.conv_backward(x, w, dout, 1, 1, pad)
        one = {"dx": cropped(dxp), "dw": dw}
        if all(ctx.explained(k, v) for k, v in one.items()) and \
                any(ctx.agrees(k, v) for k, v in one.items()):
            return "stride_backward"
    for rows, cols in mixed_sizes(H, W, kh, kw, stride, pad):
        if rows > dout.shape[2] or cols > dout.shape[3]:
            continue  # such a loop reads past dout and raises instead
        part = dout[:, :, :rows, :cols]
        dxp, dw, db = models.conv_backward(x, w, part, stride, stride, pad)
        guess = {"dx": cropped(dxp), "dw": dw, "db": db}
        if all(ctx.explained(k, v) for k, v in guess.items()) and \
                any(ctx.agrees(k, v) for k, v in guess.items()):
            return "height_for_width"
    return None


@register("max_pool_forward_naive")
def pool_forward(ctx):
    x, _, stride, _, kh, kw = _geometry(ctx)
    if _shape_mixed(ctx, "out", x, stride, 0, kh, kw):
        return "height_for_width"
    want = ctx.expected.get("out")
    if want is None:
        return None
    for a, b in mixed_windows(kh, kw):
        if ctx.agrees("out", models.pool_forward(x, a, b, stride, stride, *want.shape[2:])):
            return "height_for_width"
    return None


ROUTE_KINDS = {"whole": "pool_grad_whole_window", "whole_assign": "pool_grad_whole_window",
               "average": "pool_grad_average", "mask_assign": "pool_grad_overwritten",
               "argmax_assign": "pool_grad_overwritten"}


@register("max_pool_backward_naive")
def pool_backward(ctx):
    x, _, stride, _, kh, kw = _geometry(ctx)
    dout = ctx.inputs["dout"]
    for route, kind in ROUTE_KINDS.items():
        if ctx.agrees("dx", models.pool_backward(x, dout, kh, kw, stride, stride, route)):
            return kind
    if stride > 1 and any(ctx.agrees("dx", models.pool_backward(x, dout, kh, kw, a, a,
                                                                place=b))
                          for a, b in ((1, None), (1, stride), (stride, 1))):
        return "stride_backward"  # windows read or gradients written without the stride
    for a, b in mixed_windows(kh, kw):
        if ctx.agrees("dx", models.pool_backward(x, dout, a, b, stride, stride)):
            return "height_for_width"
    return None

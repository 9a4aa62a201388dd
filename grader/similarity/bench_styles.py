"""Independent solutions for the benchmark corpus, written in different styles.

``STYLES[region]`` lists the ways a student may fill one solution region of the handout;
a region is ``"function"`` or ``"function#2"`` for a function's second region. Each style
is a template with choice points ``«a¦b¦c»``: a student picks one style per region and one
alternative per choice point, so two independent students share the natural shape of a
solution (the nested loops of a naive conv) without sharing their code. ``BUGS`` holds the
classic mistakes, one of which a buggy student makes in some regions. Regions missing here
are filled from the reference: the one-liners everybody writes alike (``np.maximum``).

Templates are indented with four spaces relative to the region; they are never executed,
only compared, but are valid Python.
"""

from __future__ import annotations

from .bench_styles_net import NET_STYLES

_PAD = ("np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), «mode='constant'¦'constant'"
        "¦mode=\"constant\", constant_values=0»)")
_HOUT = ("«1 + (H + 2 * pad - HH) // stride¦(H - HH + 2 * pad) // stride + 1"
         "¦int((H + 2 * pad - HH) / stride) + 1»")
_WOUT = ("«1 + (W + 2 * pad - WW) // stride¦(W - WW + 2 * pad) // stride + 1"
         "¦int((W + 2 * pad - WW) / stride) + 1»")
_CONV_HEAD = """\
N, C, H, W = x.shape
F, «_¦C¦Cw», HH, WW = w.shape
«stride, pad = conv_param['stride'], conv_param['pad']¦stride = conv_param['stride']
pad = conv_param['pad']¦pad = conv_param.get('pad', 0)
stride = conv_param.get('stride', 1)»
H_out = """ + _HOUT + "\nW_out = " + _WOUT + "\n"

CONV_STYLES = {
    "conv_forward_naive": [
        _CONV_HEAD + "x_pad = " + _PAD + """
out = np.zeros((N, F, H_out, W_out))
for n in range(N):
    for f in range(F):
        for i in range(H_out):
            for j in range(W_out):
                «window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                out[n, f, i, j] = np.sum(window * w[f]) + b[f]¦h0 = i * stride
                w0 = j * stride
                out[n, f, i, j] = (x_pad[n, :, h0:h0 + HH, w0:w0 + WW] * w[f, :, :, :]).sum() + b[f]»
""",
        _CONV_HEAD + """x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
x_pad[:, :, pad:pad + H, pad:pad + W] = x
out = np.zeros((N, F, H_out, W_out))
for i in range(H_out):
    for j in range(W_out):
        patch = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
        «out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))¦out[:, :, i, j] = np.einsum('nchw,fchw->nf', patch, w)»
«out += b[None, :, None, None]¦out = out + b.reshape(1, F, 1, 1)»
""",
        _CONV_HEAD + "xp = " + _PAD + """
cols = np.zeros((N, H_out * W_out, C * HH * WW))
for i in range(H_out):
    for j in range(W_out):
        cols[:, i * W_out + j, :] = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW].reshape(N, -1)
res = cols @ w.reshape(F, -1).T + b
out = res.transpose(0, 2, 1).reshape(N, F, H_out, W_out)
""",
        _CONV_HEAD + "xp = " + _PAD + """
sN, sC, sH, sW = xp.strides
windows = np.lib.stride_tricks.as_strided(
    xp, shape=(N, C, H_out, W_out, HH, WW),
    strides=(sN, sC, sH * stride, sW * stride, sH, sW))
out = np.einsum('nchwij,fcij->nfhw', windows, w«¦, optimize=True») + b[:, None, None]
""",
        _CONV_HEAD + "x_padded = " + _PAD + """
out = np.zeros((N, F, H_out, W_out))
for n in range(N):
    for i in range(H_out):
        for j in range(W_out):
            region = x_padded[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            for f in range(F):
                out[n, f, i, j] = «np.sum(region * w[f]) + b[f]¦(region * w[f]).sum() + b[f]»
""",
    ],
    "conv_backward_naive": [
        """x, w, b, conv_param = cache
N, C, H, W = x.shape
F, _, HH, WW = w.shape
stride, pad = conv_param['stride'], conv_param['pad']
_, _, H_out, W_out = dout.shape
x_pad = """ + _PAD + """
dx_pad = np.zeros_like(x_pad)
dw = np.zeros_like(w)
db = «np.sum(dout, axis=(0, 2, 3))¦dout.sum(axis=(0, 2, 3))»
for n in range(N):
    for f in range(F):
        for i in range(H_out):
            for j in range(W_out):
                hs = i * stride
                ws = j * stride
                dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
dx = «dx_pad[:, :, pad:pad + H, pad:pad + W]¦dx_pad[:, :, pad:-pad, pad:-pad] if pad else dx_pad»
""",
        """x, w, b, conv_param = cache
stride = conv_param['stride']
pad = conv_param['pad']
N, C, H, W = x.shape
F, C, HH, WW = w.shape
N, F, H_out, W_out = dout.shape
xp = """ + _PAD + """
dxp = np.zeros(xp.shape)
dw = np.zeros(w.shape)
db = np.zeros(F)
for f in range(F):
    db[f] = dout[:, f].sum()
for i in range(H_out):
    for j in range(W_out):
        patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
        g = dout[:, :, i, j]
        «dw += np.einsum('nf,nchw->fchw', g, patch)
        dxp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += np.einsum('nf,fchw->nchw', g, w)¦dw += np.tensordot(g, patch, axes=(0, 0))
        dxp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += np.tensordot(g, w, axes=(1, 0))»
dx = dxp[:, :, pad:pad + H, pad:pad + W]
""",
        """x, w, b, conv_param = cache
N, C, H, W = x.shape
F, _, HH, WW = w.shape
s, p = conv_param['stride'], conv_param['pad']
H_out = 1 + (H + 2 * p - HH) // s
W_out = 1 + (W + 2 * p - WW) // s
xp = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)])
dxp = np.zeros_like(xp)
cols = np.zeros((N, H_out * W_out, C * HH * WW))
for i in range(H_out):
    for j in range(W_out):
        cols[:, i * W_out + j, :] = xp[:, :, i * s:i * s + HH, j * s:j * s + WW].reshape(N, -1)
d2 = dout.reshape(N, F, -1).transpose(0, 2, 1)
db = d2.sum(axis=(0, 1))
dw = np.einsum('npf,npk->fk', d2, cols).reshape(w.shape)
dcols = d2 @ w.reshape(F, -1)
for i in range(H_out):
    for j in range(W_out):
        dxp[:, :, i * s:i * s + HH, j * s:j * s + WW] += dcols[:, i * W_out + j, :].reshape(N, C, HH, WW)
dx = dxp[:, :, p:p + H, p:p + W]
""",
    ],
    "max_pool_forward_naive": [
        """N, C, H, W = x.shape
ph = pool_param['pool_height']
pw = pool_param['pool_width']
stride = pool_param['stride']
H_out = «1 + (H - ph) // stride¦(H - ph) // stride + 1»
W_out = «1 + (W - pw) // stride¦(W - pw) // stride + 1»
out = np.zeros((N, C, H_out, W_out))
for n in range(N):
    for c in range(C):
        for i in range(H_out):
            for j in range(W_out):
                out[n, c, i, j] = «np.max(x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw])¦x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw].max()»
""",
        """N, C, H, W = x.shape
HP, WP, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
Ho = (H - HP) // S + 1
Wo = (W - WP) // S + 1
out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
for r in range(Ho):
    for q in range(Wo):
        out[:, :, r, q] = np.max(x[:, :, r * S:r * S + HP, q * S:q * S + WP], axis=(2, 3))
""",
        """N, C, H, W = x.shape
ph, pw, st = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
Ho = 1 + (H - ph) // st
Wo = 1 + (W - pw) // st
sn, sc, sh, sw = x.strides
view = np.lib.stride_tricks.as_strided(x, (N, C, Ho, Wo, ph, pw), (sn, sc, sh * st, sw * st, sh, sw))
out = view.max(axis=(4, 5))
""",
    ],
    "max_pool_backward_naive": [
        """x, pool_param = cache
N, C, H, W = x.shape
ph = pool_param['pool_height']
pw = pool_param['pool_width']
stride = pool_param['stride']
H_out = 1 + (H - ph) // stride
W_out = 1 + (W - pw) // stride
dx = np.zeros_like(x)
for n in range(N):
    for c in range(C):
        for i in range(H_out):
            for j in range(W_out):
                win = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                «idx = np.unravel_index(np.argmax(win), win.shape)
                dx[n, c, i * stride + idx[0], j * stride + idx[1]] += dout[n, c, i, j]¦k = np.argmax(win)
                dx[n, c, i * stride + k // pw, j * stride + k % pw] += dout[n, c, i, j]»
""",
        """x, pool_param = cache
N, C, H, W = x.shape
HP, WP, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
Ho, Wo = dout.shape[2], dout.shape[3]
dx = np.zeros(x.shape)
for r in range(Ho):
    for q in range(Wo):
        patch = x[:, :, r * S:r * S + HP, q * S:q * S + WP]
        m = patch.max(axis=(2, 3), keepdims=True)
        mask = (patch == m)
        dx[:, :, r * S:r * S + HP, q * S:q * S + WP] += mask * dout[:, :, r, q][:, :, None, None]
""",
    ],
    "spatial_batchnorm_forward": [
        """N, C, H, W = x.shape
x2 = «x.transpose(0, 2, 3, 1).reshape(-1, C)¦np.moveaxis(x, 1, -1).reshape(N * H * W, C)»
y2, cache = batchnorm_forward(x2, gamma, beta, bn_param)
out = «y2.reshape(N, H, W, C).transpose(0, 3, 1, 2)¦np.moveaxis(y2.reshape(N, H, W, C), -1, 1)»
""",
        """N, C, H, W = x.shape
x_t = np.swapaxes(x, 0, 1).reshape(C, -1).T
o, cache = batchnorm_forward(x_t, gamma, beta, bn_param)
out = np.swapaxes(o.T.reshape(C, N, H, W), 0, 1)
""",
    ],
    "spatial_batchnorm_backward": [
        """N, C, H, W = dout.shape
d2 = «dout.transpose(0, 2, 3, 1).reshape(-1, C)¦np.moveaxis(dout, 1, -1).reshape(N * H * W, C)»
dx2, dgamma, dbeta = batchnorm_backward(d2, cache)
dx = «dx2.reshape(N, H, W, C).transpose(0, 3, 1, 2)¦np.moveaxis(dx2.reshape(N, H, W, C), -1, 1)»
""",
        """N, C, H, W = dout.shape
d_t = np.swapaxes(dout, 0, 1).reshape(C, -1).T
g, dgamma, dbeta = batchnorm_backward(d_t, cache)
dx = np.swapaxes(g.T.reshape(C, N, H, W), 0, 1)
""",
    ],
}

STYLES = {**CONV_STYLES, **NET_STYLES}

BUGS = {
    "conv_forward_naive": [(" + b[f]", ""), ("out += b[None, :, None, None]", ""),
                           (" + b\n", "\n"), ("i * stride:", "i:")],
    "conv_backward_naive": [("+= x_pad", "= x_pad"), ("dx_pad[n, :, hs:hs + HH, ws:ws + WW] +=",
                                                      "dx_pad[n, :, hs:hs + HH, ws:ws + WW] ="),
                            ("axis=(0, 2, 3)", "axis=(0, 1, 2)"), ("+= np.einsum", "= np.einsum")],
    "max_pool_backward_naive": [("+= dout", "= dout"), ("+= mask", "= mask")],
    "max_pool_forward_naive": [("i * stride:", "i:"), ("r * S:", "r:")],
    "batchnorm_forward": [("np.sqrt(var + eps)", "np.sqrt(var)"), ("(1 - momentum)", "momentum")],
    "softmax_loss": [("dx /= N", ""), ("/ N\n", "\n")],
    "svm_loss": [("+ 1.0", "+ 0.0"), ("+ 1\n", "\n")],
}

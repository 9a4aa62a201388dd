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

STYLES = {
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
    "batchnorm_forward": [
        """mean = «np.mean(x, axis=0)¦x.mean(axis=0)¦x.sum(axis=0) / N»
var = «np.var(x, axis=0)¦x.var(axis=0)¦((x - mean) ** 2).mean(axis=0)»
std = np.sqrt(var + eps)
xn = (x - mean) / std
out = gamma * xn + beta
cache = «(x, xn, mean, var, std, gamma, beta, eps)¦(xn, gamma, std)»
running_mean = momentum * running_mean + (1 - momentum) * mean
running_var = momentum * running_var + (1 - momentum) * var
""",
        """mu = np.sum(x, axis=0) / N
xmu = x - mu
sq = xmu ** 2
var = np.sum(sq, axis=0) / N
sqrtvar = np.sqrt(var + eps)
ivar = 1.0 / sqrtvar
xhat = xmu * ivar
gammax = gamma * xhat
out = gammax + beta
cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
running_mean = momentum * running_mean + (1.0 - momentum) * mu
running_var = momentum * running_var + (1.0 - momentum) * var
""",
    ],
    "batchnorm_backward": [
        """x, xn, mean, var, std, gamma, beta, eps = cache
N = x.shape[0]
dbeta = np.sum(dout, axis=0)
dgamma = np.sum(dout * xn, axis=0)
dxn = dout * gamma
dvar = np.sum(dxn * (x - mean) * -0.5 * (var + eps) ** -1.5, axis=0)
dmean = np.sum(-dxn / std, axis=0) + dvar * np.mean(-2.0 * (x - mean), axis=0)
dx = dxn / std + dvar * 2.0 * (x - mean) / N + dmean / N
""",
        """xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
N, D = dout.shape
dbeta = dout.sum(axis=0)
dgammax = dout
dgamma = np.sum(dgammax * xhat, axis=0)
dxhat = dgammax * gamma
divar = np.sum(dxhat * xmu, axis=0)
dxmu1 = dxhat * ivar
dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
dsq = 1.0 / N * np.ones((N, D)) * dvar
dxmu2 = 2 * xmu * dsq
dx1 = dxmu1 + dxmu2
dmu = -1 * np.sum(dx1, axis=0)
dx2 = 1.0 / N * np.ones((N, D)) * dmu
dx = dx1 + dx2
""",
    ],
    "svm_loss": [
        """N = x.shape[0]
correct = x[np.arange(N), y]
margins = np.maximum(0, x - correct[:, np.newaxis] + 1.0)
margins[np.arange(N), y] = 0
loss = np.sum(margins) / N
num_pos = np.sum(margins > 0, axis=1)
dx = np.zeros_like(x)
dx[margins > 0] = 1
dx[np.arange(N), y] -= num_pos
dx /= N
""",
        """N, K = x.shape
loss = 0.0
dx = np.zeros(x.shape)
for i in range(N):
    for k in range(K):
        if k == y[i]:
            continue
        m = x[i, k] - x[i, y[i]] + 1
        if m > 0:
            loss += m
            dx[i, k] += 1
            dx[i, y[i]] -= 1
loss /= N
dx /= N
""",
    ],
    "softmax_loss": [
        """N = x.shape[0]
z = x - np.max(x, axis=1, keepdims=True)
p = np.exp(z)
p /= np.sum(p, axis=1, keepdims=True)
loss = -np.sum(np.log(p[np.arange(N), y])) / N
dx = p.copy()
dx[np.arange(N), y] -= 1
dx /= N
""",
        """N = len(y)
scores = x - x.max(axis=1)[:, None]
e = np.exp(scores)
probs = e / e.sum(axis=1)[:, None]
onehot = np.zeros_like(probs)
onehot[range(N), y] = 1
loss = -(onehot * np.log(probs)).sum() / N
dx = (probs - onehot) / N
""",
    ],
    "ThreeLayerConvNet.__init__": [
        """C, H, W = input_dim
self.params['W1'] = «weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)¦np.random.normal(0, weight_scale, (num_filters, C, filter_size, filter_size))»
self.params['b1'] = np.zeros(num_filters)
self.params['W2'] = «weight_scale * np.random.randn(num_filters * (H // 2) * (W // 2), hidden_dim)¦np.random.normal(0, weight_scale, (num_filters * H * W // 4, hidden_dim))»
self.params['b2'] = np.zeros(hidden_dim)
self.params['W3'] = «weight_scale * np.random.randn(hidden_dim, num_classes)¦np.random.normal(0, weight_scale, (hidden_dim, num_classes))»
self.params['b3'] = np.zeros(num_classes)
""",
        """C, H, W = input_dim
shapes = {
    'W1': (num_filters, C, filter_size, filter_size),
    'W2': (num_filters * (H // 2) * (W // 2), hidden_dim),
    'W3': (hidden_dim, num_classes),
}
for name, shape in shapes.items():
    self.params[name] = weight_scale * np.random.randn(*shape)
self.params['b1'] = np.zeros(num_filters)
self.params['b2'] = np.zeros(hidden_dim)
self.params['b3'] = np.zeros(num_classes)
""",
    ],
    "ThreeLayerConvNet.loss": [
        """out1, c1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
out2, c2 = affine_relu_forward(out1, W2, b2)
scores, c3 = affine_forward(out2, W3, b3)
""",
        """a1, cache_a = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
a1_flat = a1.reshape(a1.shape[0], -1)
a2, cache_b = affine_relu_forward(a1_flat, W2, b2)
scores, cache_c = affine_forward(a2, W3, b3)
c1, c2, c3 = cache_a, cache_b, cache_c
""",
    ],
    "ThreeLayerConvNet.loss#2": [
        """loss, ds = softmax_loss(scores, y)
loss += 0.5 * self.reg * «(np.sum(W1 ** 2) + np.sum(W2 ** 2) + np.sum(W3 ** 2))¦sum(np.sum(Wi * Wi) for Wi in [W1, W2, W3])»
d2, dW3, db3 = affine_backward(ds, c3)
d1, dW2, db2 = affine_relu_backward(d2, c2)
dX, dW1, db1 = conv_relu_pool_backward(d1, c1)
grads['W1'] = dW1 + self.reg * W1
grads['W2'] = dW2 + self.reg * W2
grads['W3'] = dW3 + self.reg * W3
grads['b1'], grads['b2'], grads['b3'] = db1, db2, db3
""",
        """data_loss, dscores = softmax_loss(scores, y)
reg_loss = 0.0
for Wk in (W1, W2, W3):
    reg_loss += 0.5 * self.reg * np.sum(Wk * Wk)
loss = data_loss + reg_loss
dh, grads['W3'], grads['b3'] = affine_backward(dscores, c3)
dh, grads['W2'], grads['b2'] = affine_relu_backward(dh, c2)
dh, grads['W1'], grads['b1'] = conv_relu_pool_backward(dh, c1)
for k in ('W1', 'W2', 'W3'):
    grads[k] += self.reg * self.params[k]
""",
    ],
    "adam": [
        """config['t'] += 1
config['m'] = config['beta1'] * config['m'] + (1 - config['beta1']) * dw
config['v'] = config['beta2'] * config['v'] + (1 - config['beta2']) * (dw ** 2)
mt = config['m'] / (1 - config['beta1'] ** config['t'])
vt = config['v'] / (1 - config['beta2'] ** config['t'])
next_w = w - config['learning_rate'] * mt / (np.sqrt(vt) + config['epsilon'])
""",
        """lr, beta1, beta2, eps = config['learning_rate'], config['beta1'], config['beta2'], config['epsilon']
m, v, t = config['m'], config['v'], config['t'] + 1
m = beta1 * m + (1 - beta1) * dw
v = beta2 * v + (1 - beta2) * dw * dw
next_w = w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
config['m'], config['v'], config['t'] = m, v, t
""",
    ],
    "rmsprop": [
        """config['cache'] = config['decay_rate'] * config['cache'] + (1 - config['decay_rate']) * dw ** 2
next_w = w - config['learning_rate'] * dw / (np.sqrt(config['cache']) + config['epsilon'])
""",
        """cache = config['cache']
decay = config['decay_rate']
cache = decay * cache + (1 - decay) * np.square(dw)
next_w = w - config['learning_rate'] * dw / (np.sqrt(cache) + config['epsilon'])
config['cache'] = cache
""",
    ],
    "affine_backward": [
        """x, w, b = cache
x2 = x.reshape(x.shape[0], -1)
dx = dout.dot(w.T).reshape(x.shape)
dw = x2.T.dot(dout)
db = np.sum(dout, axis=0)
""",
        """x, w, b = cache
N = x.shape[0]
dx = np.reshape(dout @ w.T, x.shape)
dw = np.reshape(x, (N, -1)).T @ dout
db = dout.sum(0)
""",
    ],
}

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

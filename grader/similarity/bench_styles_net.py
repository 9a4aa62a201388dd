"""Independent solutions of the benchmark corpus: the non-convolutional regions.

Same template language as :mod:`.bench_styles` (which merges these into ``STYLES``):
batch normalisation, the losses, the three-layer network and the update rules.
"""

from __future__ import annotations

NET_STYLES = {
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

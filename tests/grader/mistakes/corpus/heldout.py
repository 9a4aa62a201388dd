"""Held-out entries: written after the recognisers were frozen, never used to tune them.

The benchmark reports them separately (``--set heldout``): the named rate here is the
honest estimate of how the diagnosis does on code it has not seen.
"""

from . import entry

CF, CB = "conv_layers.conv_forward_naive", "conv_layers.conv_backward_naive"
PF, PB = "conv_layers.max_pool_forward_naive", "conv_layers.max_pool_backward_naive"
BN = "layers.batchnorm_forward"
SF = "conv_layers.spatial_batchnorm_forward"
DF = "layers.dropout_forward"
SM = "layers.softmax_loss"
NL = "cnn.ThreeLayerConvNet.loss"

_DROP = '''
    def dropout_forward(x, dropout_param):
        p, mode = dropout_param['p'], dropout_param['mode']
        if 'seed' in dropout_param:
            np.random.seed(dropout_param['seed'])
        mask = None
'''

_NET = '''
    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']
        conv_param = {'stride': 1, 'pad': (W1.shape[2] - 1) // 2}
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
        out1, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        out2, cache2 = affine_relu_forward(out1, W2, b2)
        scores, cache3 = affine_forward(out2, W3, b3)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        dout2, dW3, db3 = affine_backward(dscores, cache3)
        dout1, dW2, db2 = affine_relu_backward(dout2, cache2)
        dX, dW1, db1 = conv_relu_pool_backward(dout1, cache1)
'''

ENTRIES = [
    # ------------------------------------------------------------------ correct
    entry("ho_conv_fwd_tensordot_loop", "correct", CF, '''
    def conv_forward_naive(x, w, b, conv_param):
        stride, pad = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        Ho = 1 + (H + 2 * pad - HH) // stride
        Wo = 1 + (W + 2 * pad - WW) // stride
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        out = np.zeros((N, F, Ho, Wo))
        for i in range(Ho):
            for j in range(Wo):
                patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
        return out, (x, w, b, conv_param)
    '''),
    entry("ho_conv_bwd_as_strided", "correct", CB, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s, p = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, kh, kw = w.shape
        _, _, Ho, Wo = dout.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))).astype(np.float64)
        st = xp.strides
        cols = np.lib.stride_tricks.as_strided(
            xp, (N, C, Ho, Wo, kh, kw), (st[0], st[1], st[2] * s, st[3] * s, st[2], st[3]))
        dw = np.einsum('nfhw,nchwij->fcij', dout, cols)
        db = dout.sum(axis=(0, 2, 3))
        dxp = np.zeros_like(xp)
        for a in range(kh):
            for c in range(kw):
                dxp[:, :, a:a + s * Ho:s, c:c + s * Wo:s] += np.einsum('nfhw,fc->nchw', dout, w[:, :, a, c])
        return dxp[:, :, p:p + H, p:p + W], dw, db
    '''),
    entry("ho_pool_fwd_loops", "correct", PF, '''
    def max_pool_forward_naive(x, pool_param):
        N, C, H, W = x.shape
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
        out = np.zeros((N, C, Ho, Wo))
        for n in range(N):
            for c in range(C):
                for i in range(Ho):
                    for j in range(Wo):
                        out[n, c, i, j] = x[n, c, i*s:i*s+ph, j*s:j*s+pw].max()
        return out, (x, pool_param)
    '''),
    entry("ho_sbn_fwd_reshape_transpose", "correct", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        N, C, H, W = x.shape
        flat = x.reshape(N, C, H * W).transpose(0, 2, 1).reshape(-1, C)
        y, cache = batchnorm_forward(flat, gamma, beta, bn_param)
        out = y.reshape(N, H * W, C).transpose(0, 2, 1).reshape(N, C, H, W)
        return out, cache
    '''),
    entry("ho_softmax_vector_lse", "correct", SM, '''
    def softmax_loss(x, y):
        n = x.shape[0]
        m = x.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))
        logp = x - lse
        loss = -logp[np.arange(n), y].sum() / n
        grad = np.exp(logp)
        grad[np.arange(n), y] -= 1
        return loss, grad / n
    '''),
    # ------------------------------------------------------------------ geometry
    entry("ho_conv_fwd_hw_vector_width", "height_for_width", CF, '''
    def conv_forward_naive(x, w, b, conv_param):
        s, p = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, C, HH, WW = w.shape
        Ho = (H + 2 * p - HH) // s + 1
        Wo = (W + 2 * p - HH) // s + 1
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        out = np.empty((N, F, Ho, Wo))
        for i in range(Ho):
            for j in range(Wo):
                win = xp[:, :, i * s:i * s + HH, j * s:j * s + WW]
                out[:, :, i, j] = np.einsum('nchw,fchw->nf', win, w) + b
        return out, (x, w, b, conv_param)
    '''),
    entry("ho_conv_fwd_window_swapped", "height_for_width", CF, '''
    def conv_forward_naive(x, w, b, conv_param):
        stride, pad = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (W + 2 * pad - WW) // stride
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
        out = np.zeros((N, F, H_out, W_out))
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        window = x_pad[n, :, i*stride:i*stride+WW, j*stride:j*stride+HH]
                        out[n, f, i, j] = np.sum(window * w[f]) + b[f]
        return out, (x, w, b, conv_param)
    '''),
    entry("ho_pool_bwd_hw_sizes", "height_for_width", PB, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        win = x[n, c, i*s:i*s+pw, j*s:j*s+ph]
                        r, q = np.unravel_index(win.argmax(), win.shape)
                        dx[n, c, i*s+r, j*s+q] += dout[n, c, i, j]
        return dx
    '''),
    # ------------------------------------------------------------------ crop, stride
    entry("ho_conv_bwd_crop_chained", "dx_negative_crop", CB, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s, p = conv_param['stride'], conv_param['pad']
        F, C, HH, WW = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        dxp = np.zeros(xp.shape)
        dw = np.zeros(w.shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                sl = (slice(None), slice(None), slice(i * s, i * s + HH), slice(j * s, j * s + WW))
                dw += np.einsum('nf,nchw->fchw', dout[:, :, i, j], xp[sl])
                dxp[sl] += np.einsum('nf,fchw->nchw', dout[:, :, i, j], w)
        dx = dxp[:, :, p:-p][:, :, :, p:-p]
        return dx, dw, dout.sum(axis=(0, 2, 3))
    '''),
    entry("ho_conv_bwd_windows_unstrided", "stride_backward", CB, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s, p = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        Ho, Wo = dout.shape[2:]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        win = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, :Ho, :Wo]
        dw = np.einsum('nfhw,nchwij->fcij', dout, win)
        db = dout.sum(axis=(0, 2, 3))
        dxp = np.zeros_like(xp)
        for i in range(Ho):
            for j in range(Wo):
                dxp[:, :, i*s:i*s+HH, j*s:j*s+WW] += np.einsum('nf,fcij->ncij', dout[:, :, i, j], w)
        return dxp[:, :, p:p+H, p:p+W], dw, db
    '''),
    entry("ho_pool_bwd_argmax_unstrided", "stride_backward", PB, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        N, C, H, W = x.shape
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = x[:, :, i:i+ph, j:j+pw].reshape(N, C, -1)
                k = win.argmax(axis=2)
                for n in range(N):
                    for c in range(C):
                        dx[n, c, i*s + k[n, c] // pw, j*s + k[n, c] % pw] += dout[n, c, i, j]
        return dx
    '''),
    # ------------------------------------------------------------------ pool routing
    entry("ho_pool_bwd_ones_window", "pool_grad_whole_window", PB, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        dx = np.zeros(x.shape)
        for n in range(N):
            for c in range(C):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        dx[n, c, i*s:i*s+ph, j*s:j*s+pw] += np.ones((ph, pw)) * dout[n, c, i, j]
        return dx
    '''),
    entry("ho_pool_bwd_where_assigned", "pool_grad_overwritten", PB, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        h0, w0 = i * s, j * s
                        win = x[n, c, h0:h0+ph, w0:w0+pw]
                        dx[n, c, h0:h0+ph, w0:w0+pw] = np.where(win == win.max(), dout[n, c, i, j], 0)
        return dx
    '''),
    # ------------------------------------------------------------------ batchnorm
    entry("ho_bn_fwd_wrong_key", "bn_running_not_stored", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        D = x.shape[1]
        running_mean = bn_param.get('running_mean', np.zeros(D))
        running_var = bn_param.get('running_var', np.zeros(D))
        cache = None
        if mode == 'train':
            mean, var = x.mean(axis=0), x.var(axis=0)
            xhat = (x - mean) / np.sqrt(var + eps)
            out = gamma * xhat + beta
            cache = (xhat, gamma, 1 / np.sqrt(var + eps))
            bn_param['mean'] = momentum * running_mean + (1 - momentum) * mean
            bn_param['var'] = momentum * running_var + (1 - momentum) * var
        else:
            out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, cache
    '''),
    entry("ho_bn_fwd_no_decay", "bn_momentum_formula", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        D = x.shape[1]
        rm = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
        rv = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
        cache = None
        if mode == 'train':
            mu = np.mean(x, axis=0)
            var = np.var(x, axis=0)
            xhat = (x - mu) / np.sqrt(var + eps)
            out = gamma * xhat + beta
            cache = (xhat, gamma, 1 / np.sqrt(var + eps))
            rm = momentum * mu + (1 - momentum) * rm
            rv = momentum * var + (1 - momentum) * rv
        elif mode == 'test':
            out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        bn_param['running_mean'], bn_param['running_var'] = rm, rv
        return out, cache
    '''),
    entry("ho_bn_fwd_test_no_beta", "bn_test_no_affine", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        D = x.shape[1]
        rm = bn_param.get('running_mean', np.zeros(D))
        rv = bn_param.get('running_var', np.zeros(D))
        cache = None
        if mode == 'train':
            mu, var = x.mean(0), x.var(0)
            xn = (x - mu) / np.sqrt(var + eps)
            out = gamma * xn + beta
            cache = (xn, gamma, 1 / np.sqrt(var + eps))
            rm = momentum * rm + (1 - momentum) * mu
            rv = momentum * rv + (1 - momentum) * var
        else:
            out = (x - rm) / np.sqrt(rv + eps) * gamma
        bn_param['running_mean'] = rm
        bn_param['running_var'] = rv
        return out, cache
    '''),
    entry("ho_bn_fwd_test_batch_mean_only", "bn_test_batch_stats", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        D = x.shape[1]
        rm = bn_param.get('running_mean', np.zeros(D))
        rv = bn_param.get('running_var', np.zeros(D))
        cache = None
        if mode == 'train':
            mu, var = x.mean(0), x.var(0)
            xn = (x - mu) / np.sqrt(var + eps)
            out = gamma * xn + beta
            cache = (xn, gamma, 1 / np.sqrt(var + eps))
            rm = momentum * rm + (1 - momentum) * mu
            rv = momentum * rv + (1 - momentum) * var
        else:
            mu, var = np.mean(x, axis=0), np.var(x, axis=0)
            out = gamma * (x - mu) / np.sqrt(var + eps) + beta
        bn_param['running_mean'] = rm
        bn_param['running_var'] = rv
        return out, cache
    '''),
    entry("ho_sbn_fwd_per_position_loop", "sbn_per_position", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        N, C, H, W = x.shape
        out = np.zeros_like(x)
        caches = []
        for h in range(H):
            for w in range(W):
                out[:, :, h, w], c = batchnorm_forward(x[:, :, h, w], gamma, beta, bn_param)
                caches.append(c)
        return out, caches
    '''),
    entry("ho_sbn_fwd_reshape_nchw", "sbn_reshape_without_transpose", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        N, C, H, W = x.shape
        x2 = np.reshape(x, (-1, C))
        y, cache = batchnorm_forward(x2, gamma, beta, bn_param)
        return np.reshape(y, x.shape), cache
    '''),
    # ------------------------------------------------------------------ dropout
    entry("ho_dropout_tiled_mask", "dropout_one_mask", DF, _DROP + '''
        if mode == 'train':
            row = np.random.rand(1, x.shape[1]) < p
            mask = np.tile(row, (x.shape[0], 1)) / p
            out = x * mask
        else:
            out = x
        return out, (dropout_param, mask)
    '''),
    entry("ho_dropout_uniform_keep_1mp", "dropout_p_is_drop", DF, _DROP + '''
        if mode == 'train':
            mask = (np.random.uniform(0, 1, x.shape) < 1 - p) / (1 - p)
            out = x * mask
        else:
            out = x
        return out, (dropout_param, mask)
    '''),
    entry("ho_dropout_bool_mask", "dropout_not_inverted", DF, _DROP + '''
        if mode == 'train':
            mask = np.random.rand(*x.shape) < p
            out = np.where(mask, x, 0)
        else:
            out = x
        return out, (dropout_param, mask)
    '''),
    # ------------------------------------------------------------------ losses
    entry("ho_softmax_no_shift_broadcast", "softmax_no_max_shift", SM, '''
    def softmax_loss(x, y):
        N = x.shape[0]
        e = np.exp(x)
        probs = e / e.sum(axis=1)[:, None]
        loss = -np.mean(np.log(probs[np.arange(N), y]))
        dx = probs
        dx[np.arange(N), y] -= 1
        return loss, dx / N
    '''),
    entry("ho_net_loss_norm_no_grad_reg", "reg_missing_grad", NL, _NET + '''
        loss += 0.5 * self.reg * (np.linalg.norm(W1) ** 2 + np.linalg.norm(W2) ** 2 + np.linalg.norm(W3) ** 2)
        grads = {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2, 'W3': dW3, 'b3': db3}
        return loss, grads
    '''),
    entry("ho_net_loss_no_reg_term", "reg_missing_loss", NL, _NET + '''
        grads = {'W1': dW1 + self.reg * W1, 'b1': db1, 'W2': dW2 + self.reg * W2, 'b2': db2,
                 'W3': dW3 + self.reg * W3, 'b3': db3}
        return loss, grads
    '''),
]

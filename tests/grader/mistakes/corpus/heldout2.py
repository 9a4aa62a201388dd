"""Second held-out batch: written after the first held-out run, recognisers frozen again."""

from . import entry

CF, CB = "conv_layers.conv_forward_naive", "conv_layers.conv_backward_naive"
PF, PB = "conv_layers.max_pool_forward_naive", "conv_layers.max_pool_backward_naive"
BN = "layers.batchnorm_forward"
DF = "layers.dropout_forward"
SM = "layers.softmax_loss"

ENTRIES = [
    entry("h2_conv_fwd_im2col_matmul", "correct", CF, '''
    def conv_forward_naive(x, w, b, conv_param):
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        S, P = conv_param['stride'], conv_param['pad']
        Ho, Wo = (H + 2 * P - HH) // S + 1, (W + 2 * P - WW) // S + 1
        xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
        cols = np.empty((C * HH * WW, N * Ho * Wo))
        k = 0
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    cols[:, k] = xp[n, :, i*S:i*S+HH, j*S:j*S+WW].ravel()
                    k += 1
        res = w.reshape(F, -1) @ cols + b[:, None]
        out = res.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
        return out, (x, w, b, conv_param)
    '''),
    entry("h2_pool_bwd_first_max_vector", "correct", PB, '''
    def max_pool_backward_naive(dout, cache):
        x, pp = cache
        N, C, H, W = x.shape
        ph, pw, s = pp['pool_height'], pp['pool_width'], pp['stride']
        dx = np.zeros_like(x, dtype=float)
        n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing='ij')
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = x[:, :, i*s:i*s+ph, j*s:j*s+pw].reshape(N, C, -1)
                k = np.argmax(win, axis=2)
                np.add.at(dx, (n_idx, c_idx, i*s + k // pw, j*s + k % pw), dout[:, :, i, j])
        return dx
    '''),
    entry("h2_conv_bwd_crop_per_channel", "dx_negative_crop", CB, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        stride, pad = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        db = np.zeros(F)
        for n in range(N):
            for f in range(F):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        r, c = i * stride, j * stride
                        dw[f] += dout[n, f, i, j] * xp[n, :, r:r+HH, c:c+WW]
                        dxp[n, :, r:r+HH, c:c+WW] += dout[n, f, i, j] * w[f]
                        db[f] += dout[n, f, i, j]
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                dx[n, c] = dxp[n, c, pad:-pad, pad:-pad]
        return dx, dw, db
    '''),
    entry("h2_pool_bwd_fancy_assign", "pool_grad_overwritten", PB, '''
    def max_pool_backward_naive(dout, cache):
        x, pp = cache
        N, C, H, W = x.shape
        ph, pw, s = pp['pool_height'], pp['pool_width'], pp['stride']
        dx = np.zeros(x.shape)
        n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing='ij')
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = x[:, :, i*s:i*s+ph, j*s:j*s+pw].reshape(N, C, -1)
                k = win.argmax(axis=2)
                dx[n_idx, c_idx, i*s + k // pw, j*s + k % pw] = dout[:, :, i, j]
        return dx
    '''),
    entry("h2_pool_fwd_window_swapped", "height_for_width", PF, '''
    def max_pool_forward_naive(x, pool_param):
        N, C, H, W = x.shape
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
        out = np.zeros((N, C, Ho, Wo))
        for i in range(Ho):
            for j in range(Wo):
                out[:, :, i, j] = x[:, :, i*s:i*s+pw, j*s:j*s+ph].max(axis=(2, 3))
        return out, (x, pool_param)
    '''),
    entry("h2_bn_fwd_param_copy", "bn_running_not_stored", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        bn_param = dict(bn_param)
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        D = x.shape[1]
        bn_param.setdefault('running_mean', np.zeros(D))
        bn_param.setdefault('running_var', np.zeros(D))
        cache = None
        if mode == 'train':
            mu, var = x.mean(axis=0), x.var(axis=0)
            xh = (x - mu) / np.sqrt(var + eps)
            out = gamma * xh + beta
            cache = (xh, gamma, 1 / np.sqrt(var + eps))
            bn_param['running_mean'] = momentum * bn_param['running_mean'] + (1 - momentum) * mu
            bn_param['running_var'] = momentum * bn_param['running_var'] + (1 - momentum) * var
        else:
            out = gamma * (x - bn_param['running_mean']) / np.sqrt(bn_param['running_var'] + eps) + beta
        return out, cache
    '''),
    entry("h2_bn_fwd_fixed_momentum", "bn_momentum_formula", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        D = x.shape[1]
        rm = bn_param.get('running_mean', np.zeros(D))
        rv = bn_param.get('running_var', np.zeros(D))
        cache = None
        if mode == 'train':
            mu, var = x.mean(axis=0), x.var(axis=0)
            xh = (x - mu) / np.sqrt(var + eps)
            out = gamma * xh + beta
            cache = (xh, gamma, 1 / np.sqrt(var + eps))
            rm = 0.9 * rm + 0.1 * mu
            rv = 0.9 * rv + 0.1 * var
        else:
            out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        bn_param['running_mean'], bn_param['running_var'] = rm, rv
        return out, cache
    '''),
    entry("h2_dropout_first_row_mask", "dropout_one_mask", DF, '''
    def dropout_forward(x, dropout_param):
        p, mode = dropout_param['p'], dropout_param['mode']
        if 'seed' in dropout_param:
            np.random.seed(dropout_param['seed'])
        mask = None
        if mode == 'train':
            mask = (np.random.rand(*x[0].shape) < p) / p
            out = x * mask
        else:
            out = x
        return out, (dropout_param, mask)
    '''),
    entry("h2_softmax_no_shift_logsum_loops", "softmax_no_max_shift", SM, '''
    def softmax_loss(x, y):
        N, C = x.shape
        loss = 0.0
        dx = np.zeros_like(x)
        for i in range(N):
            total = np.sum(np.exp(x[i]))
            loss += -x[i, y[i]] + np.log(total)
            for c in range(C):
                dx[i, c] = np.exp(x[i, c]) / total
            dx[i, y[i]] -= 1
        return loss / N, dx / N
    '''),
    entry("h2_conv_bwd_stride_twice_vector", "stride_backward", CB, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s, p = conv_param['stride'], conv_param['pad']
        F, C, HH, WW = w.shape
        N, _, H, W = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                r, c = i * s, j * s
                patch = xp[:, :, r * s:r * s + HH, c * s:c * s + WW]
                dw += np.einsum('nf,nchw->fchw', dout[:, :, i, j], patch)
                dxp[:, :, r * s:r * s + HH, c * s:c * s + WW] += np.einsum('nf,fchw->nchw', dout[:, :, i, j], w)
        return dxp[:, :, p:p+H, p:p+W], dw, dout.sum(axis=(0, 2, 3))
    '''),
]

"""Batch normalisation and spatial batch normalisation, as students write them."""

from . import entry

BN = "layers.batchnorm_forward"
SF = "conv_layers.spatial_batchnorm_forward"
SB = "conv_layers.spatial_batchnorm_backward"

ENTRIES = [
    entry("bn_fwd_std_style", "correct", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        N, D = x.shape
        running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
        running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
        out, cache = None, None
        if mode == 'train':
            sample_mean = np.mean(x, axis=0)
            sample_var = np.mean((x - sample_mean) ** 2, axis=0)
            std = np.sqrt(sample_var + eps)
            x_hat = (x - sample_mean) / std
            out = gamma * x_hat + beta
            cache = (x_hat, gamma, 1.0 / std)
            running_mean = momentum * running_mean + (1 - momentum) * sample_mean
            running_var = momentum * running_var + (1 - momentum) * sample_var
        elif mode == 'test':
            x_hat = (x - running_mean) / np.sqrt(running_var + eps)
            out = gamma * x_hat + beta
        else:
            raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
        bn_param['running_mean'] = running_mean
        bn_param['running_var'] = running_var
        return out, cache
    '''),
    # ------------------------------------------------------------------ running stats
    entry("bn_fwd_running_never_written", "bn_running_not_stored", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        N, D = x.shape
        running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
        running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
        if mode == 'train':
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            inv = 1.0 / np.sqrt(var + eps)
            xh = (x - mu) * inv
            out = gamma * xh + beta
            cache = (xh, gamma, inv)
            running_mean = momentum * running_mean + (1 - momentum) * mu
            running_var = momentum * running_var + (1 - momentum) * var
        else:
            out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
            cache = None
        return out, cache
    '''),
    entry("bn_fwd_running_stored_before_update", "bn_running_not_stored", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        D = x.shape[1]
        running_mean = bn_param.get('running_mean', np.zeros(D))
        running_var = bn_param.get('running_var', np.zeros(D))
        bn_param['running_mean'] = running_mean
        bn_param['running_var'] = running_var
        cache = None
        if mode == 'train':
            m = np.mean(x, axis=0)
            v = np.var(x, axis=0)
            xn = (x - m) / np.sqrt(v + eps)
            out = gamma * xn + beta
            cache = (xn, gamma, 1 / np.sqrt(v + eps))
            running_mean = momentum * running_mean + (1.0 - momentum) * m
            running_var = momentum * running_var + (1.0 - momentum) * v
        elif mode == 'test':
            out = gamma * ((x - running_mean) / np.sqrt(running_var + eps)) + beta
        else:
            raise ValueError(mode)
        return out, cache
    '''),
    entry("bn_fwd_momentum_swapped", "bn_momentum_formula", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        N, D = x.shape
        running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
        running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
        out, cache = None, None
        if mode == 'train':
            batch_mean = x.sum(axis=0) / N
            centered = x - batch_mean
            batch_var = (centered ** 2).sum(axis=0) / N
            istd = 1 / np.sqrt(batch_var + eps)
            xhat = centered * istd
            out = gamma * xhat + beta
            cache = (xhat, gamma, istd)
            running_mean = (1 - momentum) * running_mean + momentum * batch_mean
            running_var = (1 - momentum) * running_var + momentum * batch_var
        elif mode == 'test':
            out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        else:
            raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
        bn_param['running_mean'] = running_mean
        bn_param['running_var'] = running_var
        return out, cache
    '''),
    entry("bn_fwd_running_is_batch", "bn_momentum_formula", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        D = x.shape[1]
        out, cache = None, None
        if mode == 'train':
            mean = x.mean(0)
            var = x.var(0)
            x_norm = (x - mean) / np.sqrt(var + eps)
            out = x_norm * gamma + beta
            cache = (x_norm, gamma, 1.0 / np.sqrt(var + eps))
            bn_param['running_mean'] = mean
            bn_param['running_var'] = var
        else:
            rm = bn_param.get('running_mean', np.zeros(D))
            rv = bn_param.get('running_var', np.zeros(D))
            out = (x - rm) / np.sqrt(rv + eps) * gamma + beta
        return out, cache
    '''),
    # ------------------------------------------------------------------ test mode
    entry("bn_fwd_test_no_affine", "bn_test_no_affine", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        N, D = x.shape
        running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
        running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
        out, cache = None, None
        if mode == 'train':
            mu = np.mean(x, axis=0)
            var = np.var(x, axis=0)
            inv_std = 1 / np.sqrt(var + eps)
            x_hat = (x - mu) * inv_std
            out = gamma * x_hat + beta
            cache = (x_hat, gamma, inv_std)
            running_mean = momentum * running_mean + (1 - momentum) * mu
            running_var = momentum * running_var + (1 - momentum) * var
        elif mode == 'test':
            out = (x - running_mean) / np.sqrt(running_var + eps)
        bn_param['running_mean'] = running_mean
        bn_param['running_var'] = running_var
        return out, cache
    '''),
    entry("bn_fwd_test_forgets_shift", "bn_test_no_affine", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        N, D = x.shape
        rm = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
        rv = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
        if mode == 'train':
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            std = np.sqrt(var + eps)
            z = (x - mean) / std
            out = gamma * z + beta
            cache = (z, gamma, 1 / std)
            bn_param['running_mean'] = momentum * rm + (1 - momentum) * mean
            bn_param['running_var'] = momentum * rv + (1 - momentum) * var
        else:
            z = (x - rm) / np.sqrt(rv + eps)
            out = z
            cache = None
        return out, cache
    '''),
    entry("bn_fwd_test_batch_stats", "bn_test_batch_stats", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        N, D = x.shape
        running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
        running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
        out, cache = None, None
        if mode == 'train':
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            xhat = (x - mu) / np.sqrt(var + eps)
            out = gamma * xhat + beta
            cache = (xhat, gamma, 1 / np.sqrt(var + eps))
            running_mean = momentum * running_mean + (1 - momentum) * mu
            running_var = momentum * running_var + (1 - momentum) * var
        elif mode == 'test':
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            out = gamma * (x - mu) / np.sqrt(var + eps) + beta
        bn_param['running_mean'] = running_mean
        bn_param['running_var'] = running_var
        return out, cache
    '''),
    entry("bn_fwd_mode_only_guards_update", "bn_test_batch_stats", BN, '''
    def batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        D = x.shape[1]
        mean = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        xhat = (x - mean) / np.sqrt(var + eps)
        out = gamma * xhat + beta
        cache = (xhat, gamma, 1 / np.sqrt(var + eps))
        if mode == 'train':
            bn_param['running_mean'] = momentum * bn_param.get('running_mean', np.zeros(D)) + (1 - momentum) * mean
            bn_param['running_var'] = momentum * bn_param.get('running_var', np.zeros(D)) + (1 - momentum) * var
        return out, cache
    '''),
    # ------------------------------------------------------------------ spatial, correct
    entry("sbn_fwd_moveaxis", "correct", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        N, C, H, W = x.shape
        flat = np.moveaxis(x, 1, -1).reshape(-1, C)
        out, cache = batchnorm_forward(flat, gamma, beta, bn_param)
        out = np.moveaxis(out.reshape(N, H, W, C), -1, 1)
        return out, cache
    '''),
    entry("sbn_bwd_moveaxis", "correct", SB, '''
    def spatial_batchnorm_backward(dout, cache):
        N, C, H, W = dout.shape
        d = np.moveaxis(dout, 1, 3).reshape(-1, C)
        dx, dgamma, dbeta = batchnorm_backward(d, cache)
        dx = np.moveaxis(dx.reshape(N, H, W, C), 3, 1)
        return dx, dgamma, dbeta
    '''),
    # ------------------------------------------------------------------ no transpose
    entry("sbn_fwd_reshape_only", "sbn_reshape_without_transpose", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        N, C, H, W = x.shape
        out, cache = batchnorm_forward(x.reshape(N * H * W, C), gamma, beta, bn_param)
        out = out.reshape(N, C, H, W)
        return out, cache
    '''),
    entry("sbn_fwd_transpose_in_not_out", "sbn_reshape_without_transpose", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        N, C, H, W = x.shape
        x_t = x.transpose(0, 2, 3, 1).reshape(-1, C)
        out, cache = batchnorm_forward(x_t, gamma, beta, bn_param)
        out = out.reshape(N, C, H, W)
        return out, cache
    '''),
    entry("sbn_bwd_reshape_only", "sbn_reshape_without_transpose", SB, '''
    def spatial_batchnorm_backward(dout, cache):
        N, C, H, W = dout.shape
        dx, dgamma, dbeta = batchnorm_backward(dout.reshape(-1, C), cache)
        return dx.reshape(N, C, H, W), dgamma, dbeta
    '''),
    # ------------------------------------------------------------------ per position
    entry("sbn_fwd_per_position_manual", "sbn_per_position", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        mode = bn_param['mode']
        eps = bn_param.get('eps', 1e-5)
        momentum = bn_param.get('momentum', 0.9)
        N, C, H, W = x.shape
        running_mean = bn_param.get('running_mean', np.zeros(C))
        running_var = bn_param.get('running_var', np.zeros(C))
        g = gamma.reshape(1, C, 1, 1)
        bt = beta.reshape(1, C, 1, 1)
        cache = None
        if mode == 'train':
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            x_hat = (x - mu) / np.sqrt(var + eps)
            out = g * x_hat + bt
            cache = (x_hat, gamma, 1 / np.sqrt(var + eps))
            running_mean = momentum * running_mean + (1 - momentum) * mu.mean(axis=(1, 2))
            running_var = momentum * running_var + (1 - momentum) * var.mean(axis=(1, 2))
        else:
            out = g * (x - running_mean.reshape(1, C, 1, 1)) / np.sqrt(running_var.reshape(1, C, 1, 1) + eps) + bt
        bn_param['running_mean'] = running_mean
        bn_param['running_var'] = running_var
        return out, cache
    '''),
    entry("sbn_fwd_per_position_flatten", "sbn_per_position", SF, '''
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        N, C, H, W = x.shape
        g = np.repeat(gamma, H * W)
        b = np.repeat(beta, H * W)
        out, cache = batchnorm_forward(x.reshape(N, C * H * W), g, b, bn_param)
        return out.reshape(N, C, H, W), cache
    '''),
]

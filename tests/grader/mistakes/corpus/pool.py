"""Max pooling, forward and backward, as students write it."""

from . import entry

F = "conv_layers.max_pool_forward_naive"
B = "conv_layers.max_pool_backward_naive"

ENTRIES = [
    entry("pool_fwd_sliding_view", "correct", F, '''
    def max_pool_forward_naive(x, pool_param):
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        win = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))
        out = win[:, :, ::s, ::s].max(axis=(4, 5))
        return out, (x, pool_param)
    '''),
    entry("pool_fwd_hw_window", "height_for_width", F, '''
    def max_pool_forward_naive(x, pool_param):
        N, C, H, W = x.shape
        size = pool_param['pool_height']
        stride = pool_param['stride']
        H_out = (H - size) // stride + 1
        W_out = (W - pool_param['pool_width']) // stride + 1
        out = np.zeros((N, C, H_out, W_out))
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        out[n, c, i, j] = np.max(x[n, c, i*stride:i*stride+size, j*stride:j*stride+size])
        cache = (x, pool_param)
        return out, cache
    '''),
    entry("pool_fwd_hw_out_width", "height_for_width", F, '''
    def max_pool_forward_naive(x, pool_param):
        N, C, H, W = x.shape
        PH = pool_param["pool_height"]
        PW = pool_param["pool_width"]
        S = pool_param["stride"]
        Hp = 1 + (H - PH) // S
        Wp = 1 + (W - PH) // S
        out = np.empty((N, C, Hp, Wp))
        for i in range(Hp):
            for j in range(Wp):
                out[:, :, i, j] = np.amax(x[:, :, i*S:i*S+PH, j*S:j*S+PW], axis=(2, 3))
        return out, (x, pool_param)
    '''),
    # ------------------------------------------------------------------ backward, correct
    entry("pool_bwd_all_ties", "correct", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        _, _, Ho, Wo = dout.shape
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(Ho):
                    for j in range(Wo):
                        win = x[n, c, i*stride:i*stride+ph, j*stride:j*stride+pw]
                        mask = (win == np.max(win))
                        dx[n, c, i*stride:i*stride+ph, j*stride:j*stride+pw] += mask * dout[n, c, i, j]
        return dx
    '''),
    entry("pool_bwd_add_at_argmax", "correct", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        N, C, H, W = x.shape
        win = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
        Ho, Wo = win.shape[2:4]
        arg = win.reshape(N, C, Ho, Wo, ph * pw).argmax(axis=-1)
        r = np.arange(Ho)[None, None, :, None] * s + arg // pw
        q = np.arange(Wo)[None, None, None, :] * s + arg % pw
        n = np.arange(N)[:, None, None, None]
        c = np.arange(C)[None, :, None, None]
        dx = np.zeros(x.shape)
        np.add.at(dx, (np.broadcast_to(n, r.shape), np.broadcast_to(c, r.shape), r, q), dout)
        return dx
    '''),
    # ------------------------------------------------------------------ whole window
    entry("pool_bwd_whole_window_add", "pool_grad_whole_window", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        HH, WW, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        H_out = (H - HH) // S + 1
        W_out = (W - WW) // S + 1
        dx = np.zeros(x.shape)
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        dx[n, c, i*S:i*S+HH, j*S:j*S+WW] += dout[n, c, i, j]
        return dx
    '''),
    entry("pool_bwd_whole_window_vector", "pool_grad_whole_window", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        ph = pool_param['pool_height']
        pw = pool_param['pool_width']
        st = pool_param['stride']
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, i*st:i*st+ph, j*st:j*st+pw] += dout[:, :, i:i+1, j:j+1]
        return dx
    '''),
    # ------------------------------------------------------------------ overwritten
    entry("pool_bwd_mask_assigned", "pool_grad_overwritten", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        Hout = 1 + (H - ph) // stride
        Wout = 1 + (W - pw) // stride
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(Hout):
                    for j in range(Wout):
                        window = x[n, c, i*stride:i*stride+ph, j*stride:j*stride+pw]
                        dx[n, c, i*stride:i*stride+ph, j*stride:j*stride+pw] = (window == np.max(window)) * dout[n, c, i, j]
        return dx
    '''),
    entry("pool_bwd_argmax_assigned", "pool_grad_overwritten", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        PH, PW, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        dx = np.zeros(x.shape)
        for n in range(N):
            for c in range(C):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        region = x[n, c, i*S:i*S+PH, j*S:j*S+PW]
                        r, q = np.unravel_index(region.argmax(), region.shape)
                        dx[n, c, i*S + r, j*S + q] = dout[n, c, i, j]
        return dx
    '''),
    entry("pool_bwd_batch_mask_assigned", "pool_grad_overwritten", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw = pool_param['pool_height'], pool_param['pool_width']
        s = pool_param['stride']
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = x[:, :, i*s:i*s+ph, j*s:j*s+pw]
                m = win.max(axis=(2, 3), keepdims=True)
                dx[:, :, i*s:i*s+ph, j*s:j*s+pw] = (win == m) * dout[:, :, i, j][:, :, None, None]
        return dx
    '''),
    # ------------------------------------------------------------------ stride
    entry("pool_bwd_stride_ignored", "stride_backward", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw = pool_param['pool_height'], pool_param['pool_width']
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        window = x[n, c, i:i+ph, j:j+pw]
                        a, b = np.unravel_index(np.argmax(window), window.shape)
                        dx[n, c, i+a, j+b] += dout[n, c, i, j]
        return dx
    '''),
    entry("pool_bwd_stride_twice", "stride_backward", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        H_out = (H - ph) // stride + 1
        W_out = (W - pw) // stride + 1
        dx = np.zeros(x.shape)
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        h, w = i * stride, j * stride
                        window = x[n, c, h * stride:h * stride + ph, w * stride:w * stride + pw]
                        k = np.argmax(window)
                        dx[n, c, h + k // pw, w + k % pw] += dout[n, c, i, j]
        return dx
    '''),
    entry("pool_bwd_hw_window", "height_for_width", B, '''
    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        N, C, H, W = x.shape
        k = pool_param['pool_height']
        s = pool_param['stride']
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        patch = x[n, c, i*s:i*s+k, j*s:j*s+k]
                        idx = np.unravel_index(np.argmax(patch), patch.shape)
                        dx[n, c, i*s+idx[0], j*s+idx[1]] += dout[n, c, i, j]
        return dx
    '''),
]

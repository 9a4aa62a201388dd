"""Naive convolution, forward and backward, as students write it."""

from . import entry

F = "conv_layers.conv_forward_naive"
B = "conv_layers.conv_backward_naive"

ENTRIES = [
    # ------------------------------------------------------------------ correct
    entry("conv_fwd_sliding_einsum", "correct", F, '''
    def conv_forward_naive(x, w, b, conv_param):
        s, p = conv_param['stride'], conv_param['pad']
        xp = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)])
        win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
        win = win[:, :, ::s, ::s]
        out = np.einsum('nchwij,fcij->nfhw', win, w) + b[None, :, None, None]
        return out, (x, w, b, conv_param)
    '''),
    entry("conv_fwd_as_strided_tensordot", "correct", F, '''
    def conv_forward_naive(x, w, b, conv_param):
        stride = conv_param["stride"]
        pad = conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        Ho = (H + 2 * pad - HH) // stride + 1
        Wo = (W + 2 * pad - WW) // stride + 1
        padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
        padded[:, :, pad:pad + H, pad:pad + W] = x
        sN, sC, sH, sW = padded.strides
        cols = np.lib.stride_tricks.as_strided(
            padded, shape=(N, C, Ho, Wo, HH, WW),
            strides=(sN, sC, sH * stride, sW * stride, sH, sW))
        out = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))  # N, Ho, Wo, F
        out = out.transpose(0, 3, 1, 2) + b.reshape(1, F, 1, 1)
        cache = (x, w, b, conv_param)
        return out, cache
    '''),
    # ------------------------------------------------------------------ height for width
    entry("conv_fwd_hw_out_width", "height_for_width", F, '''
    def conv_forward_naive(x, w, b, conv_param):
        N, C, H, W = x.shape
        F, C, HH, WW = w.shape
        stride = conv_param['stride']
        pad = conv_param['pad']
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (H + 2 * pad - WW) // stride
        x_pad = np.pad(x, ((0,), (0,), (pad,), (pad,)), 'constant')
        out = np.zeros((N, F, H_out, W_out))
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        out[n, f, i, j] = np.sum(
                            x_pad[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW] * w[f]) + b[f]
        cache = (x, w, b, conv_param)
        return out, cache
    '''),
    entry("conv_fwd_hw_square_filter", "height_for_width", F, '''
    def conv_forward_naive(x, w, b, conv_param):
        N, C, H, W = x.shape
        F = w.shape[0]
        k = w.shape[2]
        S, P = conv_param['stride'], conv_param['pad']
        Hn = (H + 2 * P - k) // S + 1
        Wn = (W + 2 * P - k) // S + 1
        xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
        out = np.zeros((N, F, Hn, Wn))
        for i in range(Hn):
            for j in range(Wn):
                patch = xp[:, :, i * S:i * S + k, j * S:j * S + k]
                for f in range(F):
                    out[:, f, i, j] = np.sum(patch * w[f], axis=(1, 2, 3)) + b[f]
        return out, (x, w, b, conv_param)
    '''),
    entry("conv_fwd_hw_filter_width", "height_for_width", F, '''
    def conv_forward_naive(x, w, b, conv_param):
        stride, pad = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, fh, fw = w.shape
        out_h = int(1 + (H + 2 * pad - fh) / stride)
        out_w = int(1 + (W + 2 * pad - fh) / stride)
        x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
        out = np.zeros((N, F, out_h, out_w))
        for n in range(N):
            for f in range(F):
                for r in range(out_h):
                    for c in range(out_w):
                        region = x_padded[n, :, r * stride:r * stride + fh, c * stride:c * stride + fw]
                        out[n, f, r, c] = (region * w[f]).sum() + b[f]
        return out, (x, w, b, conv_param)
    '''),
    # ------------------------------------------------------------------ backward, correct
    entry("conv_bwd_einsum_windows", "correct", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s, p = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        win = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s]
        dw = np.einsum('nfhw,nchwij->fcij', dout, win)
        db = dout.sum(axis=(0, 2, 3))
        dxp = np.zeros(xp.shape)
        Ho, Wo = dout.shape[2:]
        for i in range(Ho):
            for j in range(Wo):
                dxp[:, :, i*s:i*s+HH, j*s:j*s+WW] += np.einsum('nf,fcij->ncij', dout[:, :, i, j], w)
        dx = dxp[:, :, p:p + H, p:p + W]
        return dx, dw, db
    '''),
    entry("conv_bwd_loops_manual_pad", "correct", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        stride = conv_param["stride"]
        pad = conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        _, _, H_out, W_out = dout.shape
        x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
        x_pad[:, :, pad:pad + H, pad:pad + W] = x
        dx_pad = np.zeros_like(x_pad)
        dw = np.zeros_like(w)
        db = np.zeros_like(b)
        for n in range(N):
            for f in range(F):
                db[f] += dout[n, f].sum()
                for i in range(H_out):
                    for j in range(W_out):
                        h0 = i * stride
                        w0 = j * stride
                        dw[f] += x_pad[n, :, h0:h0 + HH, w0:w0 + WW] * dout[n, f, i, j]
                        dx_pad[n, :, h0:h0 + HH, w0:w0 + WW] += w[f] * dout[n, f, i, j]
        dx = dx_pad[:, :, pad:H + pad, pad:W + pad]
        return dx, dw, db
    '''),
    # ------------------------------------------------------------------ negative end crop
    entry("conv_bwd_crop_loops", "dx_negative_crop", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        N, C, H, W = x.shape
        F, C, HH, WW = w.shape
        stride, pad = conv_param['stride'], conv_param['pad']
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (W + 2 * pad - WW) // stride
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
        dx_pad = np.zeros_like(x_pad)
        dw = np.zeros_like(w)
        db = np.sum(dout, axis=(0, 2, 3))
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        dw[f] += x_pad[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW] * dout[n, f, i, j]
                        dx_pad[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW] += w[f] * dout[n, f, i, j]
        dx = dx_pad[:, :, pad:-pad, pad:-pad]
        return dx, dw, db
    '''),
    entry("conv_bwd_crop_per_sample", "dx_negative_crop", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        S, P = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, k1, k2 = w.shape
        _, _, Ho, Wo = dout.shape
        dx = np.zeros_like(x)
        dw = np.zeros_like(w)
        db = np.zeros_like(b)
        for n in range(N):
            xp = np.pad(x[n], ((0, 0), (P, P), (P, P)))
            dxp = np.zeros_like(xp)
            for f in range(F):
                db[f] += np.sum(dout[n, f])
                for i in range(Ho):
                    for j in range(Wo):
                        patch = xp[:, i*S:i*S+k1, j*S:j*S+k2]
                        dw[f] += patch * dout[n, f, i, j]
                        dxp[:, i*S:i*S+k1, j*S:j*S+k2] += w[f] * dout[n, f, i, j]
            dx[n] = dxp[:, P:-P, P:-P]
        return dx, dw, db
    '''),
    entry("conv_bwd_crop_vectorised", "dx_negative_crop", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        stride, pad = conv_param['stride'], conv_param['pad']
        F, C, HH, WW = w.shape
        N, _, Hout, Wout = dout.shape
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        for i in range(Hout):
            for j in range(Wout):
                hs, ws = i * stride, j * stride
                patch = xp[:, :, hs:hs + HH, ws:ws + WW]
                g = dout[:, :, i, j]
                dw += np.tensordot(g, patch, axes=([0], [0]))
                dxp[:, :, hs:hs + HH, ws:ws + WW] += np.tensordot(g, w, axes=([1], [0]))
        db = dout.sum(axis=(0, 2, 3))
        dx = dxp[..., pad:-pad, pad:-pad]
        return dx, dw, db
    '''),
    # ------------------------------------------------------------------ stride in backward
    entry("conv_bwd_stride_ignored", "stride_backward", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        pad = conv_param['pad']
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        _, _, Hout, Wout = dout.shape
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dx_pad = np.zeros(x_pad.shape)
        dw = np.zeros(w.shape)
        db = np.zeros(F)
        for n in range(N):
            for f in range(F):
                db[f] += dout[n, f].sum()
                for i in range(Hout):
                    for j in range(Wout):
                        dw[f] += dout[n, f, i, j] * x_pad[n, :, i:i + HH, j:j + WW]
                        dx_pad[n, :, i:i + HH, j:j + WW] += dout[n, f, i, j] * w[f]
        dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
        return dx, dw, db
    '''),
    entry("conv_bwd_stride_twice", "stride_backward", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        stride = conv_param['stride']
        pad = conv_param['pad']
        N, C, H, W = x.shape
        F, C, HH, WW = w.shape
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (W + 2 * pad - WW) // stride
        xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dxpad = np.zeros_like(xpad)
        dw = np.zeros_like(w)
        db = dout.sum(axis=(0, 2, 3))
        for n in range(N):
            for f in range(F):
                for hi in range(0, H_out * stride, stride):
                    for wi in range(0, W_out * stride, stride):
                        h0, w0 = hi * stride, wi * stride
                        d = dout[n, f, hi // stride, wi // stride]
                        dw[f] += xpad[n, :, h0:h0 + HH, w0:w0 + WW] * d
                        dxpad[n, :, h0:h0 + HH, w0:w0 + WW] += w[f] * d
        dx = dxpad[:, :, pad:pad + H, pad:pad + W]
        return dx, dw, db
    '''),
    entry("conv_bwd_stride_ignored_in_dx", "stride_backward", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s = conv_param['stride']
        p = conv_param['pad']
        N, C, H, W = x.shape
        F, _, fh, fw = w.shape
        Ho, Wo = dout.shape[2], dout.shape[3]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        dx = np.zeros_like(xp)
        dw = np.zeros_like(w)
        for n in range(N):
            for f in range(F):
                for i in range(Ho):
                    for j in range(Wo):
                        dw[f] += xp[n, :, i*s:i*s+fh, j*s:j*s+fw] * dout[n, f, i, j]
                        dx[n, :, i:i+fh, j:j+fw] += w[f] * dout[n, f, i, j]
        db = np.sum(dout, axis=(0, 2, 3))
        dx = dx[:, :, p:p+H, p:p+W]
        return dx, dw, db
    '''),
    # ------------------------------------------------------------------ backward, H for W
    entry("conv_bwd_hw_out_width", "height_for_width", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        stride, pad = conv_param['stride'], conv_param['pad']
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (H + 2 * pad - WW) // stride
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        db = np.zeros_like(b)
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        hs, ws = i * stride, j * stride
                        dw[f] += xp[n, :, hs:hs+HH, ws:ws+WW] * dout[n, f, i, j]
                        dxp[n, :, hs:hs+HH, ws:ws+WW] += w[f] * dout[n, f, i, j]
                        db[f] += dout[n, f, i, j]
        dx = dxp[:, :, pad:pad+H, pad:pad+W]
        return dx, dw, db
    '''),
    entry("conv_bwd_hw_filter", "height_for_width", B, '''
    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        S, P = conv_param['stride'], conv_param['pad']
        xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        _, _, Ho, Wo = dout.shape
        for n in range(N):
            for f in range(F):
                for i in range(Ho):
                    for j in range(Wo):
                        dw[f] += xp[n, :, i*S:i*S+HH, j*S:j*S+HH] * dout[n, f, i, j]
                        dxp[n, :, i*S:i*S+HH, j*S:j*S+HH] += w[f] * dout[n, f, i, j]
        db = dout.sum(axis=(0, 2, 3))
        return dxp[:, :, P:P+H, P:P+W], dw, db
    '''),
]

"""Dropout, as students write it."""

from . import entry

D = "layers.dropout_forward"

_HEAD = '''
    def dropout_forward(x, dropout_param):
        p, mode = dropout_param['p'], dropout_param['mode']
        if 'seed' in dropout_param:
            np.random.seed(dropout_param['seed'])
        mask = None
        out = None
'''

ENTRIES = [
    entry("dropout_binomial", "correct", D, _HEAD + '''
        if mode == 'train':
            mask = np.random.binomial(1, p, size=x.shape) / p
            out = x * mask
        elif mode == 'test':
            out = x
        cache = (dropout_param, mask)
        out = out.astype(x.dtype, copy=False)
        return out, cache
    '''),
    entry("dropout_drop_with_p", "dropout_p_is_drop", D, _HEAD + '''
        if mode == 'train':
            mask = (np.random.rand(*x.shape) > p) / (1 - p)
            out = x * mask
        elif mode == 'test':
            out = x
        cache = (dropout_param, mask)
        return out, cache
    '''),
    entry("dropout_drop_binomial", "dropout_p_is_drop", D, _HEAD + '''
        if mode == 'train':
            keep = 1 - p
            mask = np.random.binomial(1, keep, size=x.shape) / keep
            out = x * mask
        else:
            out = x
        return out, (dropout_param, mask)
    '''),
    entry("dropout_drop_divide_by_p", "dropout_p_is_drop", D, _HEAD + '''
        if mode == 'train':
            mask = (np.random.random(x.shape) >= p) / p
            out = mask * x
        if mode == 'test':
            out = x
        return out, (dropout_param, mask)
    '''),
    entry("dropout_not_divided", "dropout_not_inverted", D, _HEAD + '''
        if mode == 'train':
            mask = np.random.rand(*x.shape) < p
            out = x * mask
        elif mode == 'test':
            out = x
        return out, (dropout_param, mask)
    '''),
    entry("dropout_scaled_at_test", "dropout_not_inverted", D, _HEAD + '''
        if mode == 'train':
            mask = (np.random.uniform(size=x.shape) < p).astype(x.dtype)
            out = x * mask
        elif mode == 'test':
            out = x * p
        return out, (dropout_param, mask)
    '''),
    entry("dropout_mask_per_feature", "dropout_one_mask", D, _HEAD + '''
        if mode == 'train':
            mask = (np.random.rand(x.shape[1]) < p) / p
            out = x * mask
        elif mode == 'test':
            out = x
        return out, (dropout_param, mask)
    '''),
    entry("dropout_mask_row_broadcast", "dropout_one_mask", D, _HEAD + '''
        if mode == 'train':
            mask = (np.random.rand(1, *x.shape[1:]) < p) / p
            out = x * mask
        elif mode == 'test':
            out = x
        return out, (dropout_param, mask)
    '''),
]

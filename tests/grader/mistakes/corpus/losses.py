"""Softmax loss, as students write it."""

from . import entry

S = "layers.softmax_loss"

ENTRIES = [
    entry("softmax_logsumexp_loops", "correct", S, '''
    def softmax_loss(x, y):
        N = x.shape[0]
        loss = 0.0
        dx = np.zeros_like(x)
        for i in range(N):
            z = x[i] - np.max(x[i])
            log_p = z - np.log(np.sum(np.exp(z)))
            loss -= log_p[y[i]]
            dx[i] = np.exp(log_p)
            dx[i, y[i]] -= 1
        return loss / N, dx / N
    '''),
    # The classic CS231n solution: shift by the row maximum, then log of the probabilities.
    entry("softmax_shift_then_log_probs", "correct", S, '''
    def softmax_loss(x, y):
        probs = np.exp(x - np.max(x, axis=1, keepdims=True))
        probs /= np.sum(probs, axis=1, keepdims=True)
        N = x.shape[0]
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        dx = probs.copy()
        dx[np.arange(N), y] -= 1
        dx /= N
        return loss, dx
    '''),
    entry("softmax_no_shift_vector", "softmax_no_max_shift", S, '''
    def softmax_loss(x, y):
        N = x.shape[0]
        exp_scores = np.exp(x)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        dx = probs.copy()
        dx[np.arange(N), y] -= 1
        dx /= N
        return loss, dx
    '''),
    entry("softmax_no_shift_loops", "softmax_no_max_shift", S, '''
    def softmax_loss(x, y):
        num = x.shape[0]
        loss = 0.0
        dx = np.zeros(x.shape)
        for i in range(num):
            e = np.exp(x[i])
            s = e.sum()
            loss += -np.log(e[y[i]] / s)
            dx[i] = e / s
            dx[i, y[i]] -= 1
        loss /= num
        dx /= num
        return loss, dx
    '''),
    entry("softmax_no_shift_logsumexp", "softmax_no_max_shift", S, '''
    def softmax_loss(x, y):
        N = len(y)
        log_z = np.log(np.sum(np.exp(x), axis=1, keepdims=True))
        log_p = x - log_z
        loss = -np.mean(log_p[range(N), y])
        dx = np.exp(log_p)
        dx[range(N), y] -= 1
        return loss, dx / N
    '''),
]

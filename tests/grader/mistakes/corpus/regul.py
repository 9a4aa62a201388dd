"""The three-layer network's loss with L2 regularisation, as students write it."""

from . import entry

L = "cnn.ThreeLayerConvNet.loss"

_FORWARD = '''
    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']
        filter_size = W1.shape[2]
        conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
        a1, c1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        a2, c2 = affine_relu_forward(a1, W2, b2)
        scores, c3 = affine_forward(a2, W3, b3)
        if y is None:
            return scores
        grads = {}
        data_loss, dscores = softmax_loss(scores, y)
        da2, dW3, grads['b3'] = affine_backward(dscores, c3)
        da1, dW2, grads['b2'] = affine_relu_backward(da2, c2)
        _, dW1, grads['b1'] = conv_relu_pool_backward(da1, c1)
'''

ENTRIES = [
    entry("net_loss_reg_loop", "correct", L, _FORWARD + '''
        reg_loss = 0.0
        for name, dW in (('W1', dW1), ('W2', dW2), ('W3', dW3)):
            W = self.params[name]
            reg_loss += 0.5 * self.reg * np.sum(W ** 2)
            grads[name] = dW + self.reg * W
        return data_loss + reg_loss, grads
    '''),
    entry("net_loss_reg_only_in_grads", "reg_missing_loss", L, _FORWARD + '''
        grads['W1'] = dW1 + self.reg * W1
        grads['W2'] = dW2 + self.reg * W2
        grads['W3'] = dW3 + self.reg * W3
        return data_loss, grads
    '''),
    entry("net_loss_reg_only_in_loss", "reg_missing_grad", L, _FORWARD + '''
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
        grads['W1'], grads['W2'], grads['W3'] = dW1, dW2, dW3
        return loss, grads
    '''),
    entry("net_loss_reg_grad_last_layer_only", "reg_missing_grad", L, _FORWARD + '''
        loss = data_loss
        for W in (W1, W2, W3):
            loss += 0.5 * self.reg * np.sum(np.square(W))
        grads['W1'] = dW1
        grads['W2'] = dW2
        grads['W3'] = dW3 + self.reg * W3
        return loss, grads
    '''),
    entry("net_loss_reg_loss_misses_w1", "reg_missing_loss", L, _FORWARD + '''
        loss = data_loss + 0.5 * self.reg * (np.sum(W2 ** 2) + np.sum(W3 ** 2))
        grads['W1'] = dW1 + self.reg * W1
        grads['W2'] = dW2 + self.reg * W2
        grads['W3'] = dW3 + self.reg * W3
        return loss, grads
    '''),
]

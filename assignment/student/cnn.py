"""A three-layer convolutional network for image classification."""

import numpy as np

from .layer_utils import (
    affine_relu_backward,
    affine_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from .layers import affine_backward, affine_forward, softmax_loss


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax.

    Operates on minibatches of shape (N, C, H, W). The convolution keeps the spatial size
    (stride 1, pad ``(filter_size - 1) // 2``) and the pool halves it.

    Parameters
    ----------
    input_dim : tuple of int
        ``(C, H, W)`` of one input image.
    num_filters : int
        Filters F of the convolutional layer.
    filter_size : int
        Height and width of each filter (odd, so padding keeps the size).
    hidden_dim : int
        Units of the hidden affine layer.
    num_classes : int
        Scores produced by the final affine layer.
    weight_scale : float
        Standard deviation of the normal initial weights (biases start at zero).
    reg : float
        L2 regularisation strength: the loss adds ``0.5 * reg * sum(W**2)`` for W1, W2, W3.
    dtype : numpy dtype
        Dtype of every parameter; float64 for gradient checks.

    Attributes
    ----------
    params : dict of str to ndarray
        ``W1`` (F, C, filter_size, filter_size), ``b1`` (F,),
        ``W2`` (F * H/2 * W/2, hidden_dim), ``b2`` (hidden_dim,),
        ``W3`` (hidden_dim, num_classes), ``b3`` (num_classes,).
    """

    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
    ):
        self.params = {}
        self.reg = reg
        self.dtype = dtype
        # YOUR CODE HERE
        raise NotImplementedError("ThreeLayerConvNet.__init__: not implemented yet")
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """Scores, or loss and gradients, for a minibatch.

        Parameters
        ----------
        X : ndarray of shape (N, C, H, W)
        y : ndarray of shape (N,), optional
            Labels; when given, the loss and gradients are computed.

        Returns
        -------
        scores : ndarray of shape (N, num_classes)
            When ``y`` is None.
        loss, grads : float, dict of str to ndarray
            When ``y`` is given; ``grads[k]`` has the shape of ``self.params[k]``.
        """
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]

        # Keeps the output size equal to the input size.
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        scores = None
        # YOUR CODE HERE
        raise NotImplementedError("ThreeLayerConvNet.loss: not implemented yet")

        if y is None:
            return scores

        loss, grads = 0, {}
        # YOUR CODE HERE
        raise NotImplementedError("ThreeLayerConvNet.loss: not implemented yet")
        return loss, grads

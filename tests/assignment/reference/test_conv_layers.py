"""Reference conv, pool and spatial batchnorm layers: published numbers and numerical gradients."""

import numpy as np
import pytest

from assignment.gradient_check import eval_numerical_gradient_array, rel_error
from assignment.reference.conv_layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)

# The 8-digit tables printed in the published notebook (see shared/ASSIGNMENT_FACTS.md).
PUBLISHED_CONV_OUT = np.array(
    [
        [
            [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
            [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
            [[0.50813986, 0.54309974], [0.64082444, 0.67101435]],
        ],
        [
            [[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
            [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
            [[2.36270298, 2.36904306], [2.38090835, 2.38247847]],
        ],
    ]
)
PUBLISHED_POOL_OUT = np.array(
    [
        [
            [[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
            [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
            [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]],
        ],
        [
            [[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
            [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
            [[0.32631579, 0.34105263], [0.38526316, 0.4]],
        ],
    ]
)


def test_conv_forward_matches_published_table():
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    err = rel_error(out, PUBLISHED_CONV_OUT)
    # The table has 8 significant digits; the notebook shows about 2e-8.
    assert err < 5e-8, err


def test_max_pool_forward_matches_published_table():
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    out, _ = max_pool_forward_naive(x, {"pool_width": 2, "pool_height": 2, "stride": 2})
    assert rel_error(out, PUBLISHED_POOL_OUT) < 1e-7


CONV_GEOMETRIES = [
    # (N, C, H, W), (F, HH, WW), stride, pad
    ((2, 3, 5, 5), (2, 3, 3), 1, 1),
    ((1, 2, 7, 7), (3, 3, 3), 2, 0),
    ((2, 1, 7, 10), (2, 3, 3), 3, 1),
    ((1, 2, 6, 8), (2, 2, 4), 2, 2),
    ((3, 2, 5, 6), (2, 1, 2), 1, 0),
]


@pytest.mark.parametrize("xshape, fshape, stride, pad", CONV_GEOMETRIES)
def test_conv_backward_matches_numerical_gradient(xshape, fshape, stride, pad):
    rng = np.random.default_rng(0)
    N, C, H, W = xshape
    F, HH, WW = fshape
    x = rng.standard_normal(xshape)
    w = rng.standard_normal((F, C, HH, WW))
    b = rng.standard_normal(F)
    conv_param = {"stride": stride, "pad": pad}
    out, cache = conv_forward_naive(x, w, b, conv_param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)

    dx_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(v, w, b, conv_param)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(x, v, b, conv_param)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(x, w, v, conv_param)[0], b, dout)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-7
    assert rel_error(db, db_num) < 1e-7


def test_conv_output_size_formula():
    x = np.zeros((2, 3, 7, 9))
    w = np.zeros((4, 3, 3, 5))
    out, _ = conv_forward_naive(x, w, np.zeros(4), {"stride": 2, "pad": 1})
    assert out.shape == (2, 4, 1 + (7 + 2 - 3) // 2, 1 + (9 + 2 - 5) // 2)


def test_conv_rejects_geometry_that_does_not_divide():
    x = np.zeros((1, 1, 6, 6))
    w = np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match="not divisible by 2"):
        conv_forward_naive(x, w, np.zeros(1), {"stride": 2, "pad": 0})


def test_conv_keeps_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)
    out, _ = conv_forward_naive(x, w, np.zeros(2, np.float32), {"stride": 1, "pad": 1})
    assert out.dtype == np.float32


POOL_GEOMETRIES = [
    # (N, C, H, W), (ph, pw), stride
    ((3, 2, 8, 8), (2, 2), 2),
    ((2, 2, 7, 7), (3, 3), 2),  # overlapping windows
    ((1, 3, 5, 7), (3, 2), 1),  # non-square, overlapping
    ((2, 1, 9, 6), (3, 3), 3),
]


@pytest.mark.parametrize("xshape, window, stride", POOL_GEOMETRIES)
def test_max_pool_backward_matches_numerical_gradient(xshape, window, stride):
    rng = np.random.default_rng(2)
    # Distinct values: no ties inside a window, so the gradient is well defined.
    x = rng.permutation(np.prod(xshape)).reshape(xshape) / np.prod(xshape)
    pool_param = {"pool_height": window[0], "pool_width": window[1], "stride": stride}
    out, cache = max_pool_forward_naive(x, pool_param)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward_naive(dout, cache)
    dx_num = eval_numerical_gradient_array(
        lambda v: max_pool_forward_naive(v, pool_param)[0], x, dout, h=1e-7
    )
    assert rel_error(dx, dx_num) < 1e-7


def test_max_pool_backward_accumulates_over_overlapping_windows():
    # One global maximum at the centre belongs to all four 3x3 windows at stride 1.
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1:3, 1:3] = [[0.1, 0.2], [0.3, 9.0]]
    out, cache = max_pool_forward_naive(x, {"pool_height": 3, "pool_width": 3, "stride": 1})
    dx = max_pool_backward_naive(np.ones_like(out), cache)
    assert dx[0, 0, 2, 2] == 4.0 and dx.sum() == 4.0


def test_spatial_batchnorm_train_statistics():
    rng = np.random.default_rng(3)
    N, C, H, W = 2, 3, 4, 5
    x = 4 * rng.standard_normal((N, C, H, W)) + 10
    gamma, beta = np.array([3.0, 4.0, 5.0]), np.array([6.0, 7.0, 8.0])
    out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-9)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), gamma, rtol=1e-4)


def test_spatial_batchnorm_test_mode_uses_running_averages():
    rng = np.random.default_rng(4)
    N, C, H, W = 10, 4, 11, 12
    bn_param = {"mode": "train"}
    gamma, beta = np.ones(C), np.zeros(C)
    for _ in range(50):
        spatial_batchnorm_forward(2.3 * rng.standard_normal((N, C, H, W)) + 13, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    x = 2.3 * rng.standard_normal((N, C, H, W)) + 13
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert np.all(np.abs(out.mean(axis=(0, 2, 3))) < 0.1)
    assert np.all(np.abs(out.std(axis=(0, 2, 3)) - 1) < 0.1)


def test_spatial_batchnorm_backward_matches_numerical_gradient():
    rng = np.random.default_rng(5)
    N, C, H, W = 2, 3, 4, 5
    x = 5 * rng.standard_normal((N, C, H, W)) + 12
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    dout = rng.standard_normal((N, C, H, W))

    def fwd(x_, g_, b_):
        return spatial_batchnorm_forward(x_, g_, b_, {"mode": "train"})[0]

    _, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout)) < 1e-6
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout)) < 1e-8
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout)) < 1e-8

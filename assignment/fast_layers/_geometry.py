"""The output-size rule of convolution and pooling, with the ``ValueError`` naming a misfit.

It lives with the fast layers because they ship in the handout without the reference; the
naive layers (reference and student skeleton) import it from here, so both paths refuse a
bad geometry with the same message."""


def conv_output_shape(H, W, HH, WW, stride, pad):
    """Return ``(H_out, W_out)`` of a convolution or pooling, or raise ``ValueError``.

    Parameters
    ----------
    H, W : int
        Input height and width.
    HH, WW : int
        Filter (or pooling window) height and width.
    stride, pad : int
        Step between windows and zero padding on each side.

    Raises
    ------
    ValueError
        When the stride or pad is out of range, or the windows do not tile the padded
        input exactly at that stride (the same rule and wording as the naive layers).
    """
    if stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    if pad < 0:
        raise ValueError(f"pad must be non-negative, got {pad}")
    if HH < 1 or WW < 1:
        raise ValueError(f"filter size must be positive, got {HH}x{WW}")
    for name, size, k in (("height", H, HH), ("width", W, WW)):
        span = size + 2 * pad - k
        if span < 0:
            raise ValueError(
                f"filter {name} {k} is larger than the padded input {name} {size + 2 * pad}"
            )
        if span % stride != 0:
            raise ValueError(
                f"input {name} {size} with pad {pad} does not fit filter {name} {k} "
                f"at stride {stride}: ({size} + 2*{pad} - {k}) is not divisible by {stride}"
            )
    return 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride

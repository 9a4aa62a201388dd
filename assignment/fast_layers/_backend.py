"""Choose the kernel backend of the fast layers: the compiled extension or pure numpy.

``ASSIGNMENT_FAST_BACKEND`` selects it: ``auto`` (default: compiled when built, else
numpy with one warning), ``cython`` (compiled or an ImportError saying how to build it),
``numpy`` (pure numpy, no warning: it was asked for).
"""

import importlib
import os
import warnings

ENV_VAR = "ASSIGNMENT_FAST_BACKEND"
EXTENSION = "assignment.fast_layers.im2col_cython"
BUILD_HINT = "run `make build` (or `python setup.py build_ext --inplace`) in the project folder"


class FastLayersNotCompiledWarning(RuntimeWarning):
    """The compiled fast-layer extension is missing; a slower pure-numpy path is used."""


def load_kernels(name):
    """Return ``(kernels_module, backend_name)`` for ``name`` in {'auto', 'cython', 'numpy'}.

    Raises
    ------
    ImportError
        ``name == 'cython'`` and the extension is not built (or does not load).
    ValueError
        An unknown backend name.
    """
    name = (name or "auto").strip().lower()
    if name == "numpy":
        return importlib.import_module("assignment.fast_layers._numpy_backend"), "numpy"
    if name not in ("auto", "cython"):
        raise ValueError(f"{ENV_VAR} must be 'auto', 'cython' or 'numpy', got {name!r}")
    try:
        return importlib.import_module(EXTENSION), "cython"
    except ImportError as exc:
        # A failed build, or one against another numpy, also lands here: keep its message.
        if name == "cython":
            raise ImportError(
                f"the fast-layer extension {EXTENSION} is not available ({exc}); {BUILD_HINT}"
            ) from exc
        warnings.warn(
            f"the compiled fast layers are not built ({exc}); using the pure-numpy fallback, "
            f"which is several times slower. To build them, {BUILD_HINT}.",
            FastLayersNotCompiledWarning,
            stacklevel=3,
        )
        return importlib.import_module("assignment.fast_layers._numpy_backend"), "numpy"


def selected_backend():
    """The backend named by ``ASSIGNMENT_FAST_BACKEND`` (default ``auto``), loaded."""
    return load_kernels(os.environ.get(ENV_VAR, "auto"))

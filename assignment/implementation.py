"""Choose which implementation of the assignment the notebooks (and tools) use.

The environment variable ``ASSIGNMENT_IMPL`` selects it: ``student`` (the default, the
working copy in ``assignment/student/``) or ``reference`` (the solutions, absent from the
handout; our own tests run the notebooks against it). Notebooks import everything through
this one module, so the same notebook serves both::

    from assignment.implementation import layers, conv_layers, layer_utils, cnn, optim
"""

import importlib
import os

ENV_VAR = "ASSIGNMENT_IMPL"
CHOICES = ("student", "reference")
MODULES = ("layers", "conv_layers", "layer_utils", "cnn", "optim")


def selected():
    """Name of the selected implementation package (``'student'`` or ``'reference'``).

    Raises
    ------
    ValueError
        When ``ASSIGNMENT_IMPL`` holds anything else.
    """
    name = os.environ.get(ENV_VAR, "student").strip() or "student"
    if name not in CHOICES:
        raise ValueError(f"{ENV_VAR}={name!r} is not one of {', '.join(CHOICES)}")
    return name


def load(name=None):
    """Import the five assignment modules of one implementation.

    Parameters
    ----------
    name : str, optional
        ``'student'`` or ``'reference'``; defaults to :func:`selected`.

    Returns
    -------
    dict of str to module
        Keyed by module name (``'layers'``, ``'conv_layers'``...).

    Raises
    ------
    ImportError
        Naming the package and how to fix the problem when it cannot be imported.
    """
    name = name or selected()
    package = f"assignment.{name}"
    modules = {}
    for module in MODULES:
        try:
            modules[module] = importlib.import_module(f"{package}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name in (package, f"{package}.{module}"):
                hint = (
                    "the reference solutions are not part of the student handout; "
                    f"unset {ENV_VAR}"
                    if name == "reference"
                    else "run the notebook from the folder that holds assignment/ "
                    "(or `pip install -e .` there)"
                )
                raise ImportError(f"cannot import {package}.{module}: {hint}") from exc
            raise
    return modules


IMPL = selected()
_modules = load(IMPL)
layers = _modules["layers"]
conv_layers = _modules["conv_layers"]
layer_utils = _modules["layer_utils"]
cnn = _modules["cnn"]
optim = _modules["optim"]

__all__ = ["IMPL", "layers", "conv_layers", "layer_utils", "cnn", "optim", "load", "selected"]

"""Install the assignment package and build its Cython fast layers (``pip install -e .``).

If the compiler is missing the install still succeeds: the fast layers then run through
their NumPy fallback, and ``python setup.py build_ext --inplace`` shows the compiler error.
"""

from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent


def fast_layer_extensions():
    """The Cython extensions of ``assignment.fast_layers``, one per .pyx file."""
    sources = sorted((HERE / "assignment" / "fast_layers").glob("*.pyx"))
    extensions = [
        Extension(
            f"assignment.fast_layers.{src.stem}",
            [str(src.relative_to(HERE))],
            include_dirs=[np.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=["-O3"],
            optional=True,
        )
        for src in sources
    ]
    return cythonize(extensions, language_level=3, quiet=True)


setup(
    name="cnn-assignment",
    version="0.1.0",
    description="The convolutional networks assignment",
    python_requires=">=3.11",
    packages=find_packages(include=["assignment", "assignment.*", "tools"]),
    ext_modules=fast_layer_extensions(),
    install_requires=["numpy==2.4.6", "matplotlib>=3.7", "scikit-learn>=1.3", "threadpoolctl>=3"],
    extras_require={
        "notebooks": ["jupyterlab>=4", "nbclient>=0.10", "nbformat>=5.9", "ipykernel>=6.29"],
    },
    zip_safe=False,
)

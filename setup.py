"""Build and install the assignment package and its Cython fast layers.

``pip install -e .`` compiles the im2col extension against the installed numpy 2 headers.
The metadata lives here (the course kit asks for a setup.py); pyproject.toml only declares
the build requirements.
"""

from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent


def fast_layer_extensions():
    """The Cython extensions of ``assignment.fast_layers``, one per .pyx file."""
    folder = HERE / "assignment" / "fast_layers"
    sources = sorted(folder.glob("*.pyx"))
    headers = [str(h.relative_to(HERE)) for h in sorted(folder.glob("*.h"))]
    extensions = [
        Extension(
            f"assignment.fast_layers.{src.stem}",
            [str(src.relative_to(HERE))],
            depends=headers,  # the C kernels included by the .pyx: rebuild when they change
            include_dirs=[np.get_include(), str(folder.relative_to(HERE))],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            # -Wno-psabi: GCC notes that passing 64-byte vectors changed ABI in GCC 4.6; the
            # kernels' vector helpers are always inlined, so no such call exists.
            extra_compile_args=["-O3", "-Wno-psabi"],
        )
        for src in sources
    ]
    return cythonize(extensions, language_level=3, quiet=True)


setup(
    name="cnn-assignment-grader",
    version="0.1.0",
    description="The convolutional networks assignment, its fast layers and its autograder",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["assignment", "assignment.*", "grader", "grader.*"]),
    package_data={
        "grader": [
            "golden/expected/*.npz",
            "golden/expected/*.json",
            "golden/expected/mistakes/*",
            "checks/pytest.ini",
        ]
    },
    ext_modules=fast_layer_extensions(),
    install_requires=["numpy==2.4.6", "matplotlib>=3.7", "threadpoolctl>=3"],
    extras_require={
        # copydetect: compared with grader.similarity by make bench-similarity
        "test": ["pytest>=8", "scikit-learn>=1.3", "Cython>=3.0", "jsonschema>=4",
                 "copydetect>=0.5"],
        # scipy: sparse fingerprint index of grader.similarity (the batch's similarity step)
        "scale": ["dask[distributed]>=2024.1", "scipy>=1.10"],
        "notebooks": ["nbclient>=0.10", "nbformat>=5.9", "ipykernel>=6.29"],
    },
    zip_safe=False,
)

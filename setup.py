"""Build and install the assignment package and its Cython fast layers.

``pip install -e .`` compiles the im2col extension against the installed numpy 2 headers.
The metadata lives here (the course kit asks for a setup.py); pyproject.toml only declares
the build requirements.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent


OPENMP_PROBE = """
#include <omp.h>
int main(void) { int n = 0;
#pragma omp parallel reduction(+:n)
n += 1;
return n > 0 ? 0 : 1; }
"""


def openmp_flags():
    """``-fopenmp`` when the C compiler accepts it (and links it), else ``[]`` and a warning.

    Apple's clang has no OpenMP without libomp; the extension then builds without it and
    its kernels run on one thread (the package warns at import). ``FAST_LAYERS_OPENMP=0``
    skips OpenMP on purpose.
    """
    if os.environ.get("FAST_LAYERS_OPENMP", "1") == "0":
        return []
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    if sys.platform == "win32" or not shutil.which(cc[0]):
        return []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text(OPENMP_PROBE)
        try:
            ok = subprocess.run([*cc, "-fopenmp", str(src), "-o", str(Path(tmp) / "probe")],
                                capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
    if not ok:
        print("warning: the C compiler does not accept -fopenmp; the fast layers are built "
              "without OpenMP and run on one thread", file=sys.stderr)
        return []
    return ["-fopenmp"]


def fast_layer_extensions():
    """The Cython extensions of ``assignment.fast_layers``, one per .pyx file."""
    sources = sorted((HERE / "assignment" / "fast_layers").glob("*.pyx"))
    omp = openmp_flags()
    extensions = [
        Extension(
            f"assignment.fast_layers.{src.stem}",
            [str(src.relative_to(HERE))],
            include_dirs=[np.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=["-O3", *omp],
            extra_link_args=omp,
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
            "expected/*.npz",
            "expected/*.json",
            "expected/mistakes/*",
            "checks/pytest.ini",
        ]
    },
    ext_modules=fast_layer_extensions(),
    install_requires=["numpy>=2.0", "matplotlib>=3.7", "threadpoolctl>=3"],
    extras_require={
        "test": ["pytest>=8", "scikit-learn>=1.3", "Cython>=3.0", "jsonschema>=4"],
        "scale": ["dask[distributed]>=2024.1"],
        "notebooks": ["nbclient>=0.10", "nbformat>=5.9", "ipykernel>=6.29"],
    },
    zip_safe=False,
)

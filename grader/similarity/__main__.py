"""``python -m grader.similarity DIR``: see :mod:`grader.similarity.cli`."""

import sys

from .cli import main

sys.exit(main())

"""``python -m grader.batch DIR ...``: see :mod:`grader.batch.cli`."""

import sys

from .cli import main

sys.exit(main())

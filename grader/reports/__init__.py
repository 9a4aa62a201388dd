"""Report writers: one module per format, all consuming one :class:`~grader.result.Result`.

``write(result, fmt, path)`` dispatches on ``fmt`` (``json``, ``gradescope``, ``junit``, and
``html``/``csv`` when those writers are installed); ``console.render(result)`` is the table.
"""

from importlib import import_module

FORMATS = {"json": "json_report", "gradescope": "gradescope", "junit": "junit",
           "html": "html", "csv": "csv"}


def write(result, fmt, path):
    """Write ``result`` as ``fmt`` to ``path`` (a writer module's ``write(result, path)``)."""
    module = import_module(f"{__name__}.{FORMATS[fmt]}")
    module.write(result, path)

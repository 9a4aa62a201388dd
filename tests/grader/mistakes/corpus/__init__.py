"""A corpus of whole functions written the way students write them, each labelled with the
mistake it makes (or ``correct``).

Each :class:`Entry` replaces one function (or method) of the reference with its own source;
the rest of the submission is the reference. The entries are written in different styles
(loops, vectorised, ``np.pad`` or manual padding, einsum, stride tricks), several
independent variants per kind of mistake, so that the named-mistake benchmark
(``tests/grader/mistakes/bench.py``) measures how the diagnosis does on code it was not
built from. ``kind`` is the mistake id the grader should name (``grader.mistakes.kinds``).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # a mistake id of grader.mistakes.kinds, or "correct"
    target: str  # "conv_layers.conv_backward_naive" or "cnn.ThreeLayerConvNet.loss"
    source: str

    @property
    def module(self):
        return self.target.split(".")[0]

    @property
    def function(self):
        return self.target.split(".")[-1]


def entry(id, kind, target, source):
    return Entry(id, kind, target, textwrap.dedent(source).strip("\n") + "\n")


def replace_function(module_source, entry):
    """``module_source`` with ``entry``'s function (or method) replaced by its source."""
    method = entry.target.count(".") == 2
    indent = "    " if method else ""
    m = re.search(rf"^{indent}def {re.escape(entry.function)}\(", module_source, re.M)
    if not m:
        raise ValueError(f"{entry.id}: no def {entry.function} in {entry.module}.py")
    end = len(module_source)
    for n in re.finditer(r"^([ \t]*)(def|class|@)", module_source[m.end():], re.M):
        if len(n.group(1)) <= len(indent):
            end = m.end() + n.start()
            break
    new = textwrap.indent(entry.source, indent)
    return module_source[:m.start()] + new + "\n\n" + module_source[end:].lstrip("\n")


def all_entries(which="all"):
    """``"tuning"`` (the entries the recognisers were built against), ``"heldout"`` (written
    after they were frozen, see :mod:`.heldout`) or ``"all"``."""
    from . import conv, dropout, heldout, heldout2, losses, norm, pool, regul

    tuning = [*conv.ENTRIES, *pool.ENTRIES, *norm.ENTRIES, *dropout.ENTRIES, *losses.ENTRIES,
              *regul.ENTRIES]
    held = heldout.ENTRIES + heldout2.ENTRIES
    return {"tuning": tuning, "heldout": held, "all": tuning + held}[which]

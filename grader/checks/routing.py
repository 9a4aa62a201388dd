"""The student's modules as the checks see them: the naive layers in a worker of their own.

The handout forbids calling the provided fast layers from the naive conv and pool functions.
Those four functions therefore run in a second sandbox worker whose scratch folder holds
no fast-layer code (:func:`grader.sandbox.scratch.build_scratch` with ``fast_layers=False``):
a call to ``assignment.fast_layers`` or its helpers there raises an exception quoting the
rule, and the check scores 0 (:mod:`.evaluate` looks for :data:`RULE_MARK`).

What this catches and what it cannot:

- any call, direct or indirect, of the provided fast layers or their helpers (im2col, the
  numpy backend, ``layers``) from a naive function: the code is not in the process, so no
  monkeypatching, reloading or catching of exceptions makes it run;
- it reports the rule only when the refusal reaches the grader: a naive function that
  catches the exception and computes the answer some other way is judged on that other way
  (which then earns its points honestly, or not);
- it cannot tell a vectorised or copied im2col written by the student from their own
  work: that is plagiarism, the similarity report's business (``grader/similarity``).
"""

from __future__ import annotations

from ..sandbox import StudentModules
from ..sandbox.proxy import ModuleProxy
from ..sandbox.scratch import NAIVE_RULE, RULE_MARK

NAIVE = ("conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
         "max_pool_backward_naive")

__all__ = ["NAIVE", "NAIVE_RULE", "RULE_MARK", "RoutedModules", "broke_rule"]


class _SplitModule:
    """``conv_layers`` whose naive layers go to one worker and everything else to another."""

    def __init__(self, main, naive):
        self._main, self._naive = main, naive

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._naive if name in NAIVE else self._main, name)


class RoutedModules(StudentModules):
    """:class:`~grader.sandbox.StudentModules` with ``conv_layers``'s naive functions served
    by ``naive_sandbox`` (a worker without the fast layers).

    Attributes
    ----------
    sandbox : Sandbox
        The main worker (deadlines are set on every one of :attr:`sandboxes`).
    sandboxes : tuple of Sandbox
    """

    def __init__(self, sandbox, naive_sandbox):
        super().__init__(sandbox)
        self.naive_sandbox = naive_sandbox
        self.sandboxes = (sandbox, naive_sandbox)
        self.conv_layers = _SplitModule(ModuleProxy(sandbox, "conv_layers"),
                                        ModuleProxy(naive_sandbox, "conv_layers"))


def broke_rule(message):
    """Whether a failure message is the naive-layer worker refusing a fast-layer call."""
    return RULE_MARK in (message or "")

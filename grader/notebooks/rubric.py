"""The graded notebooks: which ones, their points, timeouts and budgets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotebookSpec:
    """One graded notebook: ``points`` shared among the locked checks of its release.

    Attributes
    ----------
    name : str
        File stem, e.g. ``"ConvolutionalNetworks"`` (looked up as ``NAME.ipynb``).
    points : float
    visibility : str
        ``"public"`` or ``"hidden"``.
    cell_timeout : float
        Seconds allowed per cell.
    budget : float
        Seconds allowed for the whole notebook (kernel start included).
    """

    name: str
    points: float = 2.0
    visibility: str = "public"
    cell_timeout: float = 60.0
    budget: float = 180.0


RUBRIC = (NotebookSpec("ConvolutionalNetworks"), NotebookSpec("SpatialBatchNorm"),
          NotebookSpec("CNN"))

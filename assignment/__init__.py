"""The CS231n-style convolutional networks assignment as an installable package.

Subpackages: ``reference`` (solutions), ``student`` (generated skeletons),
``fast_layers`` (Cython im2col layers); modules ``solver``, ``gradient_check``,
``data_utils`` and ``vis_utils`` are provided to students complete.
"""

__version__ = "0.1.0"

"""The trust boundary: everything that starts, confines or talks to student processes.

A security review reads this folder and nothing else:

- :mod:`~grader.sandbox.process`: :class:`Sandbox`, the parent side of one submission's
  worker (start, deadlines, kill, restart, requests);
- :mod:`~grader.sandbox.proxy`: parent-side stand-ins for worker modules and objects;
- :mod:`~grader.sandbox.errors`: :class:`StudentError`, how every failed call surfaces;
- :mod:`~grader.sandbox.users`: the unprivileged user and the paths that must stay unreadable;
- :mod:`~grader.sandbox.scratch`: the worker's folder (provided utilities + submission only);
- :mod:`~grader.sandbox.protocol`: the wire format (JSON headers, raw arrays, never pickle);
- :mod:`~grader.sandbox.worker`: the worker itself, run inside the scratch folder;
- :mod:`~grader.sandbox.confine` and :mod:`~grader.sandbox.private_view`: what the worker and
  the notebook kernel apply to themselves (rlimits, mount namespace, Landlock, capabilities,
  seccomp);
- :mod:`~grader.sandbox.nb_kernel`: the launcher of the confined notebook kernel.

``worker``, ``protocol``, ``confine``, ``private_view`` and ``nb_kernel`` run inside student
processes and import only the standard library (and numpy); they never import this package.
"""

from .errors import StudentError
from .process import DEFAULT_LIMITS, Sandbox
from .proxy import RemoteObject, StudentModules
from .scratch import STUDENT_MODULES
from .users import secret_paths

__all__ = ["DEFAULT_LIMITS", "STUDENT_MODULES", "RemoteObject", "Sandbox", "StudentError",
           "StudentModules", "secret_paths"]

"""Parent-side stand-ins for objects and modules that live in the worker.

:class:`StudentModules` gives the checks ``student.conv_layers.conv_forward_naive(...)``;
:class:`RemoteObject` is a handle to a worker object (a model) whose attribute reads,
writes and method calls each cost one request.
"""

from . import protocol
from .scratch import STUDENT_MODULES


class RemoteObject:
    """An object living in the worker (a model): attribute reads, writes and method calls."""

    def __init__(self, sandbox, handle):
        object.__setattr__(self, "_sb", sandbox)
        object.__setattr__(self, "_handle", handle)

    def __getattr__(self, name):
        if name.startswith("__"):  # numpy and copy probe dunders: never ask the worker
            raise AttributeError(name)
        sb, h = self._sb, self._handle
        header, arrays = sb.request({"op": "getattr", "handle": h.id, "name": name}, h=h)
        if header.get("callable"):
            return lambda *a, **k: sb.call(None, *a, _method=(h, name), **k)
        return protocol.decode(header.get("value"), arrays, sb._wrap)

    def __setattr__(self, name, value):
        arrays = []
        tag = protocol.encode(value, arrays)
        self._sb.request({"op": "setattr", "handle": self._handle.id, "name": name,
                          "value": tag}, arrays, h=self._handle)



def _no_remote(obj):
    if isinstance(obj, RemoteObject):
        h = object.__getattribute__(obj, "_handle")
        return {"handle": h.id, "type": h.type}
    raise TypeError(f"cannot send a {type(obj).__name__} to the worker")


class ModuleProxy:
    """``proxy.conv_forward_naive(...)`` runs ``conv_layers.conv_forward_naive`` remotely."""

    def __init__(self, sandbox, module):
        self._sb, self._module = sandbox, module

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def remote(*args, **kwargs):
            return self._sb.call(f"{self._module}.{name}", *args, **kwargs)

        remote.__name__ = f"{self._module}.{name}"
        return remote


class StudentModules:
    """The student's five modules as attributes (``student.conv_layers`` ...)."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        for m in STUDENT_MODULES:
            setattr(self, m, ModuleProxy(sandbox, m))

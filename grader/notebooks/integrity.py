"""What a notebook's code did to the kernel's error handling, seen between two cells.

Before the first cell and after every code cell, :mod:`grader.notebooks.run` asks the
kernel for a :data:`PROBE` (a silent request whose answer travels in the reply's
``user_expressions``, so it is never an output of the notebook). The probe describes, by
object identity, everything through which code could turn a failing cell into one that
looks clean:

- IPython's custom exception handlers and ``CustomTB``, ``sys.excepthook`` and
  ``threading.excepthook``, trace and profile functions;
- every builtin (``print``, ``Exception``...);
- the kernel's event callbacks (a ``post_run_cell`` callback can clear a cell's error),
  other than IPython's, ipykernel's and matplotlib's own;
- the shell's and the kernel's methods that run cells and report errors
  (``run_cell``, ``showtraceback``, ``do_execute``...), on the class and on the instance,
  and the AST and input transformers (which could wrap every cell in ``try``);
- ``sys.stdout``/``sys.stderr`` types and the functions of numpy and of the provided
  modules the checks use (``rel_error``, the numerical gradients, the Solver);
- the functions and modules of the notebook's namespace (``report``...).

:func:`compare` turns two probes into flags: any change of the first kinds, after any cell;
a namespace function replaced by a cell that does not assign it. The probe runs inside the
student's process, so it is defence in depth, not the last word: points also need the
trusted ``.py`` checks of the functions a cell exercises (:mod:`grader.notebooks.scoring`).
"""

from __future__ import annotations

import ast
import json

MAX_PROBE_BYTES = 4 << 20
TRUSTED_CALLBACK_MODULES = ("IPython.", "ipykernel.", "matplotlib_inline.", "matplotlib.",
                            "ipywidgets.", "comm.")
PROVIDED_MODULES = ("numpy", "assignment.gradient_check", "assignment.solver",
                    "assignment.data_utils", "assignment.vis_utils", "assignment.fast_layers",
                    "assignment.implementation")

_PROBE_SOURCE = r'''
def _grader_probe():
    import builtins, json, sys
    ip = get_ipython()

    def ident(obj):
        try:
            return id(getattr(obj, "__func__", obj))
        except Exception:  # an object whose attribute lookup raises: its own id
            return id(obj)

    def code(obj):
        try:
            fn = getattr(obj, "__func__", obj)
            c = getattr(fn, "__code__", None)
        except Exception:
            fn, c = obj, None
        return [id(fn), id(c) if c is not None else 0]

    out = {}
    out["custom_exceptions"] = [repr(e)[:80] for e in tuple(ip.custom_exceptions)]
    out["hooks"] = {"CustomTB": ident(ip.CustomTB), "sys.excepthook": ident(sys.excepthook),
                    "sys.gettrace": ident(sys.gettrace()) if sys.gettrace() else 0,
                    "sys.getprofile": ident(sys.getprofile()) if sys.getprofile() else 0,
                    "sys.stdout": repr(type(sys.stdout))[:100],
                    "sys.stderr": repr(type(sys.stderr))[:100]}
    th = sys.modules.get("threading")
    if th is not None:
        out["hooks"]["threading.excepthook"] = ident(th.excepthook)
    out["builtins"] = {k: id(v) for k, v in vars(builtins).items()}
    callbacks = []
    for event, fns in dict(ip.events.callbacks).items():
        for fn in list(fns):
            mod = str(getattr(fn, "__module__", "") or "")
            callbacks.append([str(event), mod, str(getattr(fn, "__qualname__", ""))[:80],
                              ident(fn)])
    out["callbacks"] = callbacks
    methods = {}
    for obj, names in ((ip, ("run_cell", "run_cell_async", "run_code", "run_ast_nodes",
                             "showtraceback", "_showtraceback", "showsyntaxerror",
                             "CustomTB", "user_expressions", "transform_cell",
                             "should_run_async", "ex", "ev", "run_line_magic",
                             "run_cell_magic")),
                       (getattr(ip, "kernel", None), ("do_execute", "execute_request",
                                                      "dispatch_shell", "send_response"))):
        if obj is None:
            continue
        for name in names:
            methods[type(obj).__name__ + "." + name] = [
                ident(getattr(type(obj), name, None)), name in vars(obj)]
    session = getattr(getattr(ip, "kernel", None), "session", None)
    if session is not None:
        methods["Session.send"] = [ident(getattr(type(session), "send", None)),
                                   "send" in vars(session)]
    out["methods"] = methods
    out["transformers"] = [[ident(t) for t in ip.ast_transformers],
                           [ident(t) for t in ip.input_transformers_post],
                           [ident(t) for t in ip.input_transformers_cleanup],
                           ident(ip.input_transformer_manager)]
    provided = {}
    for name in MODULES:
        mod = sys.modules.get(name)
        if mod is None:
            continue
        entry = {"__module__": id(mod)}
        for k, v in list(vars(mod).items()):
            if callable(v) and not k.startswith("__"):
                entry[k] = code(v)
        provided[name] = entry
    out["provided"] = provided
    space = {}
    for k, v in list(ip.user_ns.items()):
        if k.startswith("_") or k in ("In", "Out", "exit", "quit"):
            continue
        if isinstance(v, type(sys)) or callable(v):
            space[k] = code(v)
    out["namespace"] = space
    return json.dumps(out)
'''

# One expression (``user_expressions`` takes expressions): the probe is compiled in a
# private namespace, so nothing of it is left in the notebook's.
PROBE = ("(lambda g: (exec(compile(%r, '<grader-probe>', 'exec'), g), g['_grader_probe']())"
         "[1])({'MODULES': %r, 'get_ipython': get_ipython})"
         % (_PROBE_SOURCE, PROVIDED_MODULES))


def parse(reply_content) -> tuple[dict | None, str]:
    """The probe from an ``execute_reply`` content: ``(probe, "")`` or ``(None, why)``."""
    if not isinstance(reply_content, dict) or reply_content.get("status") != "ok":
        return None, "the kernel did not answer the probe"
    expr = (reply_content.get("user_expressions") or {}).get("p")
    if not isinstance(expr, dict) or expr.get("status") != "ok":
        ename = expr.get("ename") if isinstance(expr, dict) else None
        return None, f"the probe failed in the kernel ({str(ename)[:60]})"
    text = (expr.get("data") or {}).get("text/plain")
    if not isinstance(text, str) or len(text) > MAX_PROBE_BYTES:
        return None, "the probe's answer is not usable"
    try:
        value = json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None, "the probe's answer is not usable"
    if not isinstance(value, dict):
        return None, "the probe's answer is not usable"
    return value, ""


def assigned_names(source: str) -> set[str]:
    """Names a cell binds at its top level (assignments, ``def``, ``class``, imports)."""
    names: set[str] = set()
    try:
        tree = ast.parse("\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln
                                   for ln in source.splitlines()))
    except (SyntaxError, ValueError):
        return names
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def _foreign(callbacks) -> list:
    out = []
    for entry in callbacks if isinstance(callbacks, list) else []:
        if not (isinstance(entry, list) and len(entry) == 4):
            out.append(["?", "?", "?", 0])
            continue
        if not str(entry[1]).startswith(TRUSTED_CALLBACK_MODULES):
            out.append(entry)
    return out


def _changed(before, after) -> list[str]:
    """Keys whose value changed or appeared."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if before == after else ["*"]
    return [str(k) for k, v in after.items() if k not in before or before[k] != v]


def _replaced_functions(before, after) -> list[str]:
    """``module.name`` of provided functions replaced (new names and modules are fine)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if before == after else ["*"]
    out = []
    for mod, now in after.items():
        old = before.get(mod)
        if not isinstance(old, dict) or not isinstance(now, dict):
            continue
        out += [f"{mod}.{k}" for k, v in now.items() if k in old and old[k] != v]
    return out


def compare(before: dict, after: dict, *, student_cell: bool, assigned=()) -> list[str]:
    """What changed between two probes that no honest cell changes, as sentences."""
    problems = []
    if after.get("custom_exceptions") != before.get("custom_exceptions"):
        problems.append("a custom exception handler was installed (set_custom_exc)")
    for key in _changed(before.get("hooks"), after.get("hooks")):
        problems.append(f"{key} was replaced")
    changed = _changed(before.get("builtins"), after.get("builtins"))
    if changed:
        problems.append("builtins were changed: " + ", ".join(sorted(changed)[:5]))
    new = [e for e in _foreign(after.get("callbacks")) if e not in _foreign(
        before.get("callbacks"))]
    if new:
        problems.append("a kernel event callback was registered: " + ", ".join(
            f"{e[0]} -> {e[1]}.{e[2]}" for e in new[:3]))
    for key in _changed(before.get("methods"), after.get("methods")):
        problems.append(f"{key} was replaced")
    if after.get("transformers") != before.get("transformers"):
        problems.append("a code transformer was installed (cells would be rewritten)")
    changed = _replaced_functions(before.get("provided"), after.get("provided"))
    if changed:
        problems.append("functions of numpy or of the provided modules were replaced: "
                        + ", ".join(sorted(changed)[:5]))
    if not student_cell:
        old, now = before.get("namespace") or {}, after.get("namespace") or {}
        if isinstance(old, dict) and isinstance(now, dict):
            replaced = sorted(k for k, v in old.items()
                              if k not in assigned and now.get(k, v) != v)
            if replaced:
                problems.append("names of the notebook were replaced by code the cell did "
                                "not show: " + ", ".join(replaced[:5]))
    return problems


def from_probes(nb, probes) -> list[dict]:
    """Compare each probe with the one before: ``[{cell, problems, student_cell}]`` for
    what changed (``probes``: ``[(cell index or "start", (probe, why, answered))]``)."""
    found = []
    previous = None
    for where, (probe, why, answered) in probes:
        if probe is None:
            code = None if where == "start" else _code_number(nb, where)
            if answered:  # the kernel answered, but its state broke the probe itself
                found.append({"cell": code, "problems": [why or "the probe failed"],
                              "student_cell": _is_student(nb, where)})
            break
        if previous is not None and where != "start":
            cell = nb.cells[where]
            student = _is_student(nb, where)
            problems = compare(previous, probe, student_cell=student,
                                         assigned=assigned_names(cell.source))
            if problems:
                found.append({"cell": _code_number(nb, where), "problems": problems[:5],
                              "student_cell": student})
        previous = probe
    return found


def _is_student(nb, index) -> bool:
    """Whether cell ``index`` runs the student's own code (anything but a locked cell)."""
    if not isinstance(index, int):
        return False
    meta = nb.cells[index].metadata.get("grader")
    return not isinstance(meta, dict) or meta.get("role") != "locked"


def _code_number(nb, index: int) -> int:
    return sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")

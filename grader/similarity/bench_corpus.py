"""The benchmark's corpus: independent students, and copies disguised as students do.

A student is ``{region: body}`` (a region is ``"function"`` or ``"function#2"``, a body
the region's code without indentation); :func:`render` writes it into the handout's
skeleton. Independent students pick a style per region and their own habits
(:mod:`.bench_styles`); a copy takes another student's bodies and disguises them with
some of :data:`DISGUISES`. All randomness comes from the ``numpy.random.Generator`` passed
in, so a seed gives the same corpus.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .bench_styles import BUGS, STYLES
from .documents import REFERENCE, SKELETON, STUDENT_MODULES

_STUB = re.compile(r'^([ \t]*)# YOUR CODE HERE\n\1raise NotImplementedError\("([^"]+): not '
                   r'implemented yet"\)\n', re.MULTILINE)
_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n(.*?)^\1### END SOLUTION\n",
                     re.MULTILINE | re.DOTALL)
_CHOICE = re.compile(r"«([^«»]*)»")
_NAME = re.compile(r"(?<![\w.'\"])([A-Za-z_]\w*)\b(?!\s*\()(?!=)")
_KEEP = {"np", "self", "range", "len", "sum", "max", "min", "int", "float", "abs", "print",
         "True", "False", "None", "for", "in", "if", "else", "elif", "and", "or", "not",
         "return", "continue", "while", "is", "def", "lambda", "dict", "list", "tuple"}


@dataclass
class Student:
    """One generated submission.

    Attributes
    ----------
    name : str
    bodies : dict of str to str
        Region key -> code (unindented).
    source : str or None
        Whom this one copied (a student name, or ``"(reference solution)"``).
    copied : list of str
        Regions copied (all of them for a full copy).
    disguises : list of str
        Names of the disguises applied.
    order : dict of str to list of int, optional
        A permutation of each module's top-level functions (the reordering disguise).
    """

    name: str
    bodies: dict
    source: str | None = None
    copied: list = field(default_factory=list)
    disguises: list = field(default_factory=list)
    order: dict = field(default_factory=dict)


def _dedent(text):
    lines = text.splitlines()
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    return "\n".join(ln[indent:] for ln in lines) + "\n"


def skeleton_regions():
    """``{module: [region key, ...]}`` in file order, from the handout's stubs."""
    out = {}
    for m in STUDENT_MODULES:
        seen: dict[str, int] = {}
        keys = []
        for match in _STUB.finditer((SKELETON / f"{m}.py").read_text("utf-8")):
            name = match[2]
            seen[name] = seen.get(name, 0) + 1
            keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
        out[m] = keys
    return out


def reference_bodies():
    """``{region: body}`` of the reference solution."""
    bodies = {}
    for m, keys in skeleton_regions().items():
        found = _REGION.findall((REFERENCE / f"{m}.py").read_text("utf-8"))
        for key, (_, body) in zip(keys, found):
            bodies[key] = _dedent(body)
    return bodies


def render(student: Student):
    """``{module: source text}``: the handout with the student's bodies filled in."""
    out = {}
    for m, keys in skeleton_regions().items():
        text = (SKELETON / f"{m}.py").read_text("utf-8")
        it = iter(keys)

        def fill(match, it=it):
            indent, key = match[1], next(it)
            body = student.bodies[key]
            return "".join(f"{indent}{ln}\n" if ln.strip() else "\n"
                           for ln in body.rstrip("\n").split("\n"))

        text = _STUB.sub(fill, text)
        helpers = student.bodies.get(f"<helpers:{m}>")
        if helpers:
            first_def = re.search(r"^(def |class )", text, re.MULTILINE)
            at = first_def.start() if first_def else len(text)
            text = text[:at] + helpers + "\n\n" + text[at:]
        if m in student.order:
            text = _reorder(text, student.order[m])
        out[m] = text
    return out


def _reorder(text, perm):
    """Permute the top-level functions and classes of a module (trusted source)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    nodes = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    if len(nodes) < 2:
        return text
    spans = []
    for n in nodes:
        start = min([n.lineno] + [d.lineno for d in n.decorator_list]) - 1
        spans.append((start, n.end_lineno))
    chunks = ["".join(lines[s:e]) for s, e in spans]
    perm = [p for p in perm if p < len(chunks)]
    perm += [i for i in range(len(chunks)) if i not in perm]
    head = "".join(lines[: spans[0][0]])
    tail = "".join(lines[spans[-1][1]:])
    return head + "\n\n".join(chunks[p] for p in perm) + tail


# ----------------------------------------------------------------------------- students
_HABITS = (  # (pattern, replacement): each student has about half of them
    (re.compile(r"\brange\((?!0, )"), "range(0, "),
    (re.compile(r"\b([ijrq]) \* (stride|S|s|st)\b"), r"\2 * \1"),
    (re.compile(r"np\.zeros\((\([^()]*\))\)"), r"np.zeros(\1, dtype=x.dtype)"),
    (re.compile(r"^(\s*)(\w+) \+= (.+)$", re.MULTILINE), r"\1\2 = \2 + \3"),
    (re.compile(r"\bw\[(\w+)\]"), r"w[\1, :, :, :]"),
    (re.compile(r"^(\s*)(\w+), (\w+), (\w+), (\w+) = (\w+)\.shape$", re.MULTILINE),
     r"\1\2 = \6.shape[0]\n\1\3 = \6.shape[1]\n\1\4 = \6.shape[2]\n\1\5 = \6.shape[3]"),
    (re.compile(r"\(1 - "), "(1.0 - "),
    (re.compile(r"np\.zeros_like\((\w+)\)"), r"np.zeros(\1.shape)"),
    (re.compile(r"\.transpose\(([\d, ]+)\)"), r".transpose((\1))"),
    (re.compile(r"\b(\w+) \*\* 2\b"), r"np.square(\1)"),
    (re.compile(r"/ N\b"), "/ float(N)"),
    (re.compile(r", axis=(\d)\)"), r", \1)"),
    (re.compile(r"^(.* = .*?)\b(conv_param|pool_param|bn_param)\[('\w+')\]", re.MULTILINE),
     r"\1\2.get(\3)"),
    (re.compile(r"np\.max\("), "np.amax("),
    (re.compile(r"\bnp\.sum\(([\w.]+) \* ([\w.\[\], :]+)\)"), r"np.sum(np.multiply(\1, \2))"),
)


_SIMPLE = r"(?:[A-Za-z_]\w*(?:\[[^\[\]]*\])?|\d+(?:\.\d+)?)"
_LINE_EDITS = (  # one of them on some lines: the small choices nobody makes alike
    (re.compile(rf"(?<![\w.\]])({_SIMPLE}) \* ({_SIMPLE})(?![\w\[(.])"), r"\2 * \1"),
    (re.compile(rf"(?<![\w.\]*/-])({_SIMPLE}) \+ ({_SIMPLE})(?![\w\[(*/.])"), r"\2 + \1"),
    (re.compile(r"np\.sum\((\w+)\)"), r"\1.sum()"),
    (re.compile(r"\b(\w+)\.sum\(\)"), r"np.sum(\1)"),
    (re.compile(r"\b(\w+)\.shape\[0\]"), r"len(\1)"),
    (re.compile(r"^(\s*[\w, \[\]'.]+ = )(.+)$"), r"\1(\2)"),
    (re.compile(r"\b(\w+)\[(\w+), (\w+)\]"), r"\1[\2][\3]"),
    (re.compile(r" / (\w+)$"), r" * (1.0 / \1)"),
)


def _individual(body, rng, p=0.3):
    """Small per-line choices (operand order, ``.sum()`` or ``np.sum``, brackets...)."""
    out = []
    for ln in body.split("\n"):
        if (ln.strip() and _balanced(ln) and not ln.rstrip().endswith((";", ":", ",", "("))
                and rng.random() < p):
            for k in rng.permutation(len(_LINE_EDITS)):
                pattern, repl = _LINE_EDITS[k]
                new = pattern.sub(repl, ln, count=1)
                if new != ln:
                    ln = new
                    break
        out.append(ln)
    return "\n".join(out)


def _personal(body, rng):
    """Two neighbouring simple statements swapped, as people order set-up lines freely."""
    lines = body.split("\n")
    simple = [i for i in range(len(lines) - 1)
              if re.match(r"^\w[\w, ]* = [\w.\[\]' ]+$", lines[i])
              and re.match(r"^\w[\w, ]* = [\w.\[\]' ]+$", lines[i + 1])]
    if simple and rng.random() < 0.7:
        i = simple[rng.integers(len(simple))]
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return "\n".join(lines)


def _fill_choices(template, rng):
    return _CHOICE.sub(lambda m: m[1].split("¦")[rng.integers(len(m[1].split("¦")))],
                       template)


def independent(name, rng, buggy=0.0):
    """A student who wrote every region alone.

    Parameters
    ----------
    name : str
    rng : numpy.random.Generator
    buggy : float
        Probability of one classic mistake in each region that has known mistakes.

    Returns
    -------
    Student
    """
    ref = reference_bodies()
    habits = [h for h in _HABITS if rng.random() < 0.5]
    bodies = {}
    for key, body in ref.items():
        styles = STYLES.get(key)
        if styles:
            body = _fill_choices(styles[rng.integers(len(styles))], rng)
            for pattern, repl in habits:
                body = pattern.sub(repl, body)
            body = _individual(_personal(body, rng), rng)
            bugs = [b for b in BUGS.get(key, []) if b[0] in body]
            if bugs and rng.random() < buggy:
                old, new = bugs[rng.integers(len(bugs))]
                body = body.replace(old, new, 1)
        bodies[key] = body
    return Student(name, bodies)


# ----------------------------------------------------------------------------- disguises
def _rename(st, rng):
    """Every local name gets a new one, consistently across the submission."""
    names = sorted({n for b in st.bodies.values() for n in _NAME.findall(b)} - _KEEP)
    fresh = {n: f"{n}_{rng.integers(10, 99)}" if rng.random() < 0.5 else
             f"v{rng.integers(1000, 9999)}" for n in names if not n.isupper() or len(n) > 1}
    params = _signature_names()
    for n in list(fresh):
        if n in params:
            del fresh[n]

    def sub(body):
        return _NAME.sub(lambda m: fresh.get(m[1], m[1]), body)

    st.bodies = {k: sub(b) for k, b in st.bodies.items()}


def _signature_names():
    out = set()
    for m in STUDENT_MODULES:
        tree = ast.parse((SKELETON / f"{m}.py").read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                out.update(a.arg for a in node.args.args + node.args.kwonlyargs)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    out.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return out


def _comments(st, rng):
    """Comments and blank lines sprinkled in; a trailing comment on some lines."""
    words = ["compute", "the", "output", "loop", "over", "windows", "gradient", "here",
             "update", "step", "shape", "careful", "TODO", "check", "this", "works"]
    for k, body in st.bodies.items():
        if k.startswith("<"):
            continue
        out = []
        for ln in body.split("\n"):
            indent = ln[: len(ln) - len(ln.lstrip())]
            if ln.strip() and rng.random() < 0.3 and not ln.rstrip().endswith(("(", ",")):
                out.append(f"{indent}# {' '.join(str(x) for x in rng.choice(words, 4))}")
            if ln.strip() and rng.random() < 0.2 and "#" not in ln and _balanced(ln):
                ln = f"{ln}  # {rng.choice(words)!s}"
            out.append(ln)
            if rng.random() < 0.1:
                out.append("")
        st.bodies[k] = "\n".join(out)


def _balanced(line):
    return sum(line.count(c) for c in "([{") == sum(line.count(c) for c in ")]}")


def _prints(st, rng):
    """Debugging prints between statements."""
    for k, body in st.bodies.items():
        if k.startswith("<"):
            continue
        out, depth = [], 0
        for ln in body.split("\n"):
            indent = ln[: len(ln) - len(ln.lstrip())]
            if depth == 0 and ln.strip() and not ln.lstrip().startswith(
                    ("elif", "else", "except")) and rng.random() < 0.25:
                out.append(f"{indent}print({str(rng.choice(['debug', 'here', 'shape']))!r}, "
                           f"{rng.integers(100)})")
            out.append(ln)
            depth += sum(ln.count(c) for c in "([{") - sum(ln.count(c) for c in ")]}")
        st.bodies[k] = "\n".join(out)


_FOR = re.compile(r"^(\s*)for (.+):\s*$")


def _loops(st, rng):
    """Nested loops swapped where the outer holds only the inner; ``range(0, n)``."""
    for k, body in st.bodies.items():
        lines = body.split("\n")
        for i in range(len(lines) - 2):
            a, b = _FOR.match(lines[i]), _FOR.match(lines[i + 1])
            if a and b and len(b[1]) > len(a[1]) and rng.random() < 0.7:
                rest = [ln for ln in lines[i + 2:] if ln.strip()]
                inner = [ln for ln in rest if len(ln) - len(ln.lstrip()) > len(a[1])]
                after = rest[len(inner):]
                if not after or len(after[0]) - len(after[0].lstrip()) <= len(a[1]):
                    lines[i] = f"{a[1]}for {b[2]}:"
                    lines[i + 1] = f"{b[1]}for {a[2]}:"
        body = "\n".join(lines)
        if rng.random() < 0.5:
            body = re.sub(r"\brange\((?!0, )", "range(0, ", body)
        st.bodies[k] = body


def _helpers(st, rng):
    """One or two long regions moved into helper functions called from the region."""
    long = [k for k, b in st.bodies.items() if b.count("\n") >= 5 and not k.startswith("<")
            and "." not in k]
    params = _signature_names()
    for key in rng.choice(long, size=min(2, len(long)), replace=False):
        body = st.bodies[key]
        assigned = []
        for m in re.finditer(r"^([\w, ]+?) (?:\+)?= ", body, re.MULTILINE):
            for n in m[1].split(","):
                if n.strip() and n.strip() not in assigned:
                    assigned.append(n.strip())
        used = [n for n in dict.fromkeys(_NAME.findall(body)) if n in params]
        helper = f"_{key.split('#')[0]}_part"
        ret = ", ".join(assigned) or "None"
        inner = "".join(f"    {ln}\n" for ln in body.rstrip("\n").split("\n"))
        module = next(m for m, keys in skeleton_regions().items() if key in keys)
        hk = f"<helpers:{module}>"
        st.bodies[hk] = st.bodies.get(hk, "") + (
            f"def {helper}({', '.join(used)}):\n{inner}    return {ret}\n\n\n")
        st.bodies[key] = f"{ret} = {helper}({', '.join(used)})\n"


def _reorder_disguise(st, rng):
    """Functions written in another order."""
    st.order = {m: list(rng.permutation(12)) for m in STUDENT_MODULES}


DISGUISES = {"rename": _rename, "comments": _comments, "prints": _prints, "loops": _loops,
             "helpers": _helpers, "reorder": _reorder_disguise}


def disguised_copy(name, source: Student, rng, n_disguises=3, regions=None):
    """A copy of ``source`` (all of it, or only ``regions``) with some disguises.

    Parameters
    ----------
    name : str
    source : Student
    rng : numpy.random.Generator
    n_disguises : int
        How many different disguises, drawn from :data:`DISGUISES`.
    regions : list of str, optional
        Copy only these regions into an otherwise independent student (a partial copy).

    Returns
    -------
    Student
    """
    if regions is None:
        st = Student(name, dict(source.bodies), source.name, sorted(source.bodies))
    else:
        st = independent(name, rng)
        for r in regions:
            st.bodies[r] = source.bodies[r]
        st.source, st.copied = source.name, list(regions)
    picked = rng.choice(sorted(DISGUISES), size=n_disguises, replace=False)
    order = ["helpers", "loops", "rename", "prints", "comments", "reorder"]
    for d in sorted(picked, key=order.index):
        DISGUISES[d](st, rng)
    st.disguises = sorted(picked)
    return st

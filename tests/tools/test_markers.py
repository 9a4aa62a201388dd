"""tools.markers: solution regions become stubs; malformed markers name file and line."""

import textwrap

import pytest

from tools.markers import MarkerError, find_regions, solution_lines, strip_solutions

SOURCE = textwrap.dedent(
    '''\
    import numpy as np


    def double(x):
        """Twice x."""
        out = None
        ### BEGIN SOLUTION
        out = 2 * x
        ### END SOLUTION
        return out


    class Model:
        def loss(self, X):
            if X is None:
                ### BEGIN SOLUTION
                return 0.0
                ### END SOLUTION
            return 1.0
    '''
)


def test_regions_become_stubs_at_their_indentation():
    student = strip_solutions(SOURCE, "m.py")
    assert "    # YOUR CODE HERE\n" in student
    assert '    raise NotImplementedError("double: not implemented yet")\n' in student
    assert (
        '            # YOUR CODE HERE\n'
        '            raise NotImplementedError("Model.loss: not implemented yet")\n'
    ) in student
    assert "2 * x" not in student and "return 0.0" not in student
    assert "BEGIN SOLUTION" not in student and "END SOLUTION" not in student


def test_text_outside_regions_is_kept_byte_for_byte():
    student = strip_solutions(SOURCE, "m.py")
    assert student.startswith('import numpy as np\n\n\ndef double(x):\n    """Twice x."""\n')
    assert student.endswith("\n        return 1.0\n")
    assert strip_solutions("x = 1", "m.py") == "x = 1"
    assert strip_solutions(SOURCE.rstrip("\n"), "m.py").endswith("return 1.0")


def test_stub_raises_with_the_function_name():
    namespace = {}
    exec(compile(strip_solutions(SOURCE, "m.py"), "m.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="double"):
        namespace["double"](3)
    with pytest.raises(NotImplementedError, match="Model.loss"):
        namespace["Model"]().loss(None)


def test_solution_lines_are_the_inside_of_regions():
    assert [s.strip() for s in solution_lines(SOURCE, "m.py")] == ["out = 2 * x", "return 0.0"]
    assert [(b, e) for b, e, _ in find_regions(SOURCE, "m.py")] == [(7, 9), (16, 18)]


def _body(*lines):
    return "def f():\n" + "".join(f"    {line}\n" for line in lines)


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        (_body("### BEGIN SOLUTION", "x = 1"), 2, "never closed"),
        (_body("x = 1", "### END SOLUTION"), 3, "without a matching"),
        (_body("### BEGIN SOLUTION", "### BEGIN SOLUTION", "### END SOLUTION"), 3, "nested"),
        (_body("## BEGIN SOLUTION", "### END SOLUTION"), 2, "malformed"),
        (_body("### END SOLUTIONS"), 2, "malformed"),
        (_body("### BEGIN SOLUTION", "x = 1", "  ### END SOLUTION"), 4, "indented differently"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", 1, "outside any function"),
    ],
)
def test_marker_errors_name_file_and_line(source, line, words):
    with pytest.raises(MarkerError, match=words) as info:
        strip_solutions(source, "assignment/reference/bad.py")
    assert str(info.value).startswith(f"assignment/reference/bad.py:{line}: ")
    assert info.value.lineno == line

"""Reference solutions: the one source of every answer.

The student skeletons in ``assignment/student/`` and the grader's stored expected outputs
are generated from these files; never import this package from student-facing code.
"""

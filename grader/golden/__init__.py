"""Stored correct outputs: ``expected/`` (``.npz`` + manifest), read by :mod:`.store`.

:mod:`.generate` (``make expected``) runs the reference on every check's inputs and writes
them; it is the only grader module that imports ``assignment.reference`` and is left out of
the Gradescope bundle. Grading reads the stored files only.
"""

"""Autograder for the convolutional networks assignment.

Student code runs in a sandboxed worker process; this package (the trusted parent) holds
the rubric and the stored expected outputs and never lets student code reach them.
"""

__version__ = "0.1.0"

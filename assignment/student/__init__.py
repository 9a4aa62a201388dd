"""Your implementation of the assignment: fill in every ``YOUR CODE HERE`` block.

These files were generated from the instructors' solutions with each solution replaced by
a stub that raises ``NotImplementedError``; signatures and docstrings are the contract the
grader checks, so change only the code inside the functions.
"""

"""Instructor tools: generate the student skeletons, notebooks and handout from the reference."""

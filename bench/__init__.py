"""Benchmarks that print figures: one JSON line per run, then a readable table.

Run them all with ``python -m bench`` (``make bench``) or one by name, e.g.
``python -m bench pk --patients 1000`` (``make bench-pk``). They measure; they
never assert a time, so a slow machine cannot fail the test suite.
"""

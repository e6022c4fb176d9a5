"""Clinic scheduling, pure: the problem as plain dataclasses (``model``), its
objective, an independent checker, a first-fit baseline (``greedy``), the CP-SAT
optimizer for a horizon (``cpsat``) and for one series at a time (``online``),
and seeded benchmark instances. No database, no web: see docs/scheduling.md."""

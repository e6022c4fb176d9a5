"""Clinic outcome and safety reports (issue 20): aggregates over a cohort, never a
patient's identity."""

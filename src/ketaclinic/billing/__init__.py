"""Billing (issue 23): charges from the chart, the fee schedule, superbills."""

"""Billing's use cases: charges from the chart (``charges``), the fee schedule and
identifiers (``fees``), superbills (``superbill``)."""

"""Shared plumbing: database, errors, pagination, time, logging."""

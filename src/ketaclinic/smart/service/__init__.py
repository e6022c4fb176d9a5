"""SMART's use cases: registering clients (``clients``) and giving and checking
access tokens (``tokens``)."""

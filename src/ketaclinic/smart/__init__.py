"""SMART on FHIR access (issue 22 point 3): v2 scopes, scopes on API tokens, and
SMART Backend Services (registered clients, signed JWT assertions, short-lived
access tokens) for the FHIR routes."""

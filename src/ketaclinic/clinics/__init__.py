"""Clinics: the sites a deployment serves."""

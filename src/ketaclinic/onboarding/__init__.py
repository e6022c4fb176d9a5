"""Onboarding a clinic from another system's records: a FHIR Bundle's patients,
conditions, medications and allergies (``ketaclinic import fhir``)."""

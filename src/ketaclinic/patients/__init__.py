"""The patient registry: demographics, contacts, body measurements, diagnoses,
medications and allergies."""

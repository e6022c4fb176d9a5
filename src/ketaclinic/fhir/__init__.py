"""A FHIR R4 (4.0.1) read and search server over the clinic's records (issue 22)."""

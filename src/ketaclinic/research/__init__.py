"""Research: the clinic's data de-identified (HIPAA Safe Harbor) for export."""

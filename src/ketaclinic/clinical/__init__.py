"""Pure clinical rules: no database, no HTTP, no framework imports.

Everything here is plain Python over plain data so it can be tested fast and
exhaustively. Defaults cite docs/clinical-references.md; clinic-specific values are passed
in as parameters rather than hard-coded.
"""

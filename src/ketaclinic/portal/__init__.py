"""The patient portal: patients' own accounts, sign-in, and their visit pages.

Separate from staff accounts in every way: its own tables (``patient_accounts``,
``portal_sessions``, ``portal_links``), its own cookie, its own access rule
(``Access.PATIENT`` in ``identity.routes``), and every query filtered by the signed-in
patient's id. See ``portal.deps`` for how another package adds a portal page.
"""

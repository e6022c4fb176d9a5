"""The audit trail: who read or wrote what, when, from where — append-only and
hash-chained per clinic so tampering shows."""

"""Staff accounts, roles, sessions and API tokens."""

"""Who is acting: the roles, their permissions and the rule for every route (roles), and
the caller as every domain sees them (principal). Below every domain: it imports none."""

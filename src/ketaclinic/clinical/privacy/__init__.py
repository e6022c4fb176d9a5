"""Privacy rules for research exports (pure)."""

"""A realistic, entirely synthetic demo clinic."""

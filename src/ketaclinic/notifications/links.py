"""Links in messages hold one-time tokens: no page shows one, and once a message is
done with (sent, given up, cancelled, never sendable) its row keeps only a cut copy."""

from __future__ import annotations

import re

# A path segment or query value that could be a token (12 or more URL-safe characters):
# shown as its first 4 characters. A long word of a path is cut too; no token survives.
_TOKEN = re.compile(r"(?<=[/=])([A-Za-z0-9_\-]{4})[A-Za-z0-9_\-]{8,}")


def mask(text: str) -> str:
    """Every token-like path segment or query value in ``text`` (a link, or an error
    that quotes one) cut to 4 characters and an ellipsis; a link's host is kept."""
    host = re.match(r"^[a-z]+://[^/]+", text)
    start = host.end() if host else 0
    return text[:start] + _TOKEN.sub(lambda m: m.group(1) + "…", text[start:])

"""The one hash-link rule shared by the audit trail and the stock ledger: each row's
hash covers its listed fields and the previous row's hash, so changing or removing
a row breaks every later link."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS_HASH = "0" * 64


def link_hash(fields: Mapping[str, Any], names: Iterable[str], prev_hash: str) -> str:
    payload = {name: fields.get(name) for name in names}
    payload["prev_hash"] = prev_hash
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()

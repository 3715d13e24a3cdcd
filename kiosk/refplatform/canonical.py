"""Canonical JSON: the same JSON value gives the same bytes.

platform-api.yaml: a repeated PUT is "the same content" when it is "the same JSON
value: key order and white space do not matter". Keys are sorted, separators are
compact, non-ASCII is kept as UTF-8, and a float with an integral value is written as
the integer (``1.0`` and ``1`` are the same JSON number).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def content_sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()

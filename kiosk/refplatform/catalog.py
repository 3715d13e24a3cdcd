"""The catalog the reference platform serves (platform-api.yaml, `Catalog`).

Which file: ``--catalog FILE`` when given; else the sample catalog shipped with the
kiosk (``kiosk/data/sample_catalog.json``) when it exists; else the small catalog
beside this module, which is enough to exercise every validation rule.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.refplatform.canonical import canonical_json

FALLBACK_CATALOG = Path(__file__).with_name("fallback_catalog.json")
SAMPLE_CATALOG = Path(__file__).resolve().parent.parent / "data" / "sample_catalog.json"


class CatalogError(KioskError):
    exit_code = 2


@dataclass(frozen=True)
class Catalog:
    document: dict[str, Any] = field(repr=False)
    body: bytes = field(repr=False)  # what GET /v1/catalog answers
    etag: str  # a strong validator, quoted as it appears in the ETag header
    source: Path

    @property
    def version(self) -> str:
        return str(self.document["version"])

    def item(self, code: str) -> dict[str, Any] | None:
        for item in self.document["items"]:
            if item.get("code") == code:
                return dict(item)
        return None


def default_catalog_path() -> Path:
    return SAMPLE_CATALOG if SAMPLE_CATALOG.is_file() else FALLBACK_CATALOG


def load_catalog(path: Path | None = None) -> Catalog:
    source = path if path is not None else default_catalog_path()
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {source}: {exc.strerror} / 无法读取目录文件") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"catalog {source} is not valid JSON: {exc} / 目录文件不是有效的 JSON") from None
    problem = _shape_problem(document)
    if problem:
        raise CatalogError(f"catalog {source}: {problem} / 目录文件格式错误")
    body = canonical_json(document).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Catalog(document=document, body=body, etag=etag, source=source)


def _shape_problem(document: Any) -> str | None:
    """The first way `document` breaks the spec's Catalog schema (required keys only)."""
    if not isinstance(document, dict):
        return "the top level must be an object"
    if not isinstance(document.get("version"), str):
        return "version must be a string"
    items = document.get("items")
    if not isinstance(items, list):
        return "items must be a list"
    required = ("code", "name", "department", "auth", "time_limit_days", "materials", "form", "commitment")
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            return f"items[{index}] must be an object"
        for key in required:
            if key not in item:
                return f"items[{index}] lacks {key}"
        if item["code"] in seen:
            return f"items[{index}]: duplicate code {item['code']}"
        seen.add(item["code"])
        if item["auth"] not in ("id_card", "id_card_and_face", "counter_only"):
            return f"items[{index}].auth is not one of id_card, id_card_and_face, counter_only"
        if not isinstance(item["materials"], list) or not isinstance(item["form"], list):
            return f"items[{index}]: materials and form must be lists"
        if not all(isinstance(m, dict) and "code" in m for m in item["materials"]):
            return f"items[{index}].materials: every material needs a code"
        if not all(isinstance(f, dict) and "key" in f and "type" in f for f in item["form"]):
            return f"items[{index}].form: every field needs a key and a type"
    return None

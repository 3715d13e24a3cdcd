"""The bundled sample catalog fits the platform's `Catalog` schema, and the strict
parser knows exactly the fields the schema defines (no more, so a typo is caught; no
fewer, so a valid platform catalog is never refused).

The project has no YAML or JSON-Schema library, so the rules are read from
shared/platform-api.yaml with a few regexes over its layout: the `required` lists, the
property names with their types, and the enums."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drivers.id_reader.identity import IdType
from kiosk import catalog as catalog_module
from kiosk.catalog import Auth, Delivery, FieldType, Prefill, parse_catalog, sample_catalog_bytes

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "platform-api.yaml"
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason="shared/platform-api.yaml is not beside the checkout")


@dataclass
class Schema:
    required: list[str]
    properties: dict[str, str] = field(default_factory=dict)  # name → its YAML text


def _block(text: str, start: str, indent: int) -> str:
    """The lines after `start` that are indented deeper than `indent` spaces."""
    lines = text[text.index(start) + len(start):].splitlines()[1:]
    out = []
    for line in lines:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        out.append(line)
    return "\n".join(out)


def _schema(block: str, prop_indent: int) -> Schema:
    required = re.search(r"^\s*required: \[([^\]]*)\]", block, re.M)
    props: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        m = re.match(rf"^ {{{prop_indent}}}(\w+):(.*)$", line)
        if m:
            current = m.group(1)
            props[current] = m.group(2)
        elif current and len(line) - len(line.lstrip()) > prop_indent:
            props[current] += "\n" + line
        elif line.strip():
            current = None
    return Schema([r.strip() for r in required.group(1).split(",")] if required else [], props)


def _enum(text: str) -> list[str]:
    m = re.search(r"enum: \[([^\]]*)\]", text)
    assert m, text
    return [v.strip() for v in m.group(1).split(",")]


@pytest.fixture(scope="module")
def spec() -> dict[str, Schema]:
    return load_spec()


def load_spec() -> dict[str, Schema]:
    text = SPEC.read_text(encoding="utf-8")
    schemas = text[text.index("  schemas:\n"):]
    item = _block(schemas, "    CatalogItem:", 4)
    props = _block(item, "      properties:", 6)
    return {
        "Text": _schema(_block(schemas, "    Text:", 4), 8),
        "Catalog": _schema(_block(schemas, "    Catalog:", 4), 8),
        "CatalogItem": _schema(item, 8),
        "Eligibility": _schema(_block(props, "        eligibility:", 8), 12),
        "Material": _schema(_block(props, "        materials:", 8), 14),
        "FormField": _schema(_block(props, "        form:", 8), 14),
        "Commitment": _schema(_block(props, "        commitment:", 8), 12),
        "IdType": Schema([], {"enum": _block(schemas, "    IdType:", 4)}),
    }


def _check(value: Any, schema: Schema, spec: dict[str, Schema], path: str, problems: list[str]) -> None:
    """Required keys, no keys outside the schema, JSON types, enums; recursing into
    nested objects the spec describes."""
    if not isinstance(value, dict):
        problems.append(f"{path}: not an object")
        return
    for key in schema.required:
        if key not in value:
            problems.append(f"{path}: missing {key}")
    for key, v in value.items():
        if key not in schema.properties:
            problems.append(f"{path}.{key}: not in the schema")
            continue
        _check_value(v, schema.properties[key], key, spec, f"{path}.{key}", problems)


def _check_value(v: Any, text: str, key: str, spec: dict[str, Schema], path: str, problems: list[str]) -> None:
    nested = {"eligibility": "Eligibility", "commitment": "Commitment"}
    if key in nested:
        _check(v, spec[nested[key]], spec, path, problems)
    elif "schemas/Text" in text and "type: array" not in text:
        _check(v, spec["Text"], spec, path, problems)
    elif "type: array" in text:
        if not isinstance(v, list):
            problems.append(f"{path}: not an array")
            return
        for i, entry in enumerate(v):
            at = f"{path}[{i}]"
            if key == "items" and "CatalogItem" in text:
                _check(entry, spec["CatalogItem"], spec, at, problems)
            elif key == "materials":
                _check(entry, spec["Material"], spec, at, problems)
            elif key == "form":
                _check(entry, spec["FormField"], spec, at, problems)
            elif key == "options":
                if set(entry) - {"value", "label"} or not isinstance(entry.get("value"), str):
                    problems.append(f"{at}: not an option")
                else:
                    _check(entry.get("label", {"zh": entry["value"]}), spec["Text"], spec, f"{at}.label", problems)
            elif "schemas/Text" in text:
                _check(entry, spec["Text"], spec, at, problems)
            elif "schemas/IdType" in text:
                if entry not in _enum(spec["IdType"].properties["enum"]):
                    problems.append(f"{at}: {entry!r} not an IdType")
            elif "enum:" in text:
                if entry not in _enum(text):
                    problems.append(f"{at}: {entry!r} not in {_enum(text)}")
            elif "type: string" in text and not isinstance(entry, str):
                problems.append(f"{at}: not a string")
    else:
        kinds = {"type: integer": int, "type: boolean": bool, "type: string": str}
        for marker, kind in kinds.items():
            if marker in text:
                if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
                    problems.append(f"{path}: expected {kind.__name__}")
                elif "enum:" in text and str(v) not in _enum(text):
                    problems.append(f"{path}: {v!r} not in {_enum(text)}")


def test_bundled_sample_catalog_fits_the_platform_schema(spec: dict[str, Schema]) -> None:
    data = json.loads(sample_catalog_bytes())
    problems: list[str] = []
    _check(data, spec["Catalog"], spec, "catalog", problems)
    assert problems == []
    assert len(data["rating_labels"]) == 5


def test_the_schema_checker_itself_catches_a_bad_catalog(spec: dict[str, Schema]) -> None:
    data = json.loads(sample_catalog_bytes())
    data["items"][0]["auth"] = "password"
    data["items"][0]["materials"][0]["sides"] = 3
    del data["items"][1]["commitment"]
    data["items"][2]["form"][0]["colour"] = "red"
    problems: list[str] = []
    _check(data, spec["Catalog"], spec, "catalog", problems)
    assert any("items[0].auth" in p for p in problems)
    assert any("materials[0].sides" in p for p in problems)
    assert any("items[1]: missing commitment" in p for p in problems)
    assert any("form[0].colour: not in the schema" in p for p in problems)


def test_parser_enums_match_the_spec(spec: dict[str, Schema]) -> None:
    item = spec["CatalogItem"].properties
    assert [a.value for a in Auth] == _enum(item["auth"])
    assert [d.value for d in Delivery] == _enum(item["delivery"])
    assert [t.value for t in FieldType] == _enum(spec["FormField"].properties["type"])
    assert [t.value for t in IdType] == sorted(_enum(spec["IdType"].properties["enum"]), key=[
        t.value for t in IdType].index)
    assert set(_enum(spec["IdType"].properties["enum"])) == {t.value for t in IdType}
    described = re.findall(r"\b(name|address|id_number|birth_date|gender|nation)\b",
                           spec["FormField"].properties["prefill"])
    assert set(described) == {p.value for p in Prefill}


def test_parser_accepts_exactly_the_fields_the_spec_defines(spec: dict[str, Schema]) -> None:
    """Every property the spec lists parses, and the required ones are required."""
    data = json.loads(sample_catalog_bytes())
    assert set(spec["CatalogItem"].properties) == set(catalog_module._ITEM_KEYS)
    for key in spec["CatalogItem"].required:
        broken = json.loads(json.dumps(data))
        del broken["items"][0][key]
        with pytest.raises(ValueError, match=f"missing required field '{key}'"):
            parse_catalog(broken)
    for key in spec["Material"].required:
        broken = json.loads(json.dumps(data))
        del broken["items"][1]["materials"][0][key]
        with pytest.raises(ValueError, match=f"missing required field '{key}'"):
            parse_catalog(broken)
    for key in spec["FormField"].required:
        broken = json.loads(json.dumps(data))
        del broken["items"][0]["form"][0][key]
        with pytest.raises(ValueError, match=f"missing required field '{key}'"):
            parse_catalog(broken)
    # Every optional property of a material and a form field, set, still parses.
    full = json.loads(json.dumps(data))
    full["items"][0]["materials"][0].update(deferrable=True, min_pages=1, max_pages=2, sides=2)
    full["items"][0]["form"][0].update(max_length=20, pattern=".*", prefill="name", required=True)
    assert set(full["items"][0]["materials"][0]) == set(spec["Material"].properties)
    assert set(full["items"][0]["form"][0]) | {"options"} == set(spec["FormField"].properties)
    parse_catalog(full)

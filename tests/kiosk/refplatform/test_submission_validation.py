"""A manifest that does not fit the catalog is 422 with an errors array; too big is 413."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import Terminal, changed, material, new_id, put, renewal, withdrawal


def errors_of(terminal: Terminal, body: dict[str, Any]) -> set[tuple[str, str]]:
    response = put(terminal, new_id(), body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "detail", "errors"} <= problem.keys()
    for error in problem["errors"]:
        assert set(error) == {"field", "code", "message"}
    return {(e["field"], e["code"]) for e in problem["errors"]}


def test_valid_submissions_of_each_kind_are_accepted(terminal: Terminal) -> None:
    assert put(terminal, new_id(), renewal(terminal.terminal_id)).status_code == 201
    assert put(terminal, new_id(), withdrawal(terminal.terminal_id)).status_code == 201


def test_unknown_item_is_422(terminal: Terminal) -> None:
    assert ("item_code", "unknown_item") in errors_of(terminal, renewal(terminal.terminal_id, item_code="NOPE"))


def test_counter_only_item_is_422(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id, item_code="REF-JZ-0004")
    assert ("item_code", "counter_only") in errors_of(terminal, body)


def test_unknown_material_code_is_422(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    body["materials"].append(material("x-1", "passport", b"data"))
    assert ("materials[1].code", "unknown_material") in errors_of(terminal, body)


def test_required_material_missing_and_not_deferred_is_422(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id, deferred_materials=[])
    assert ("materials", "required_material_missing") in errors_of(terminal, body)
    no_photo = renewal(terminal.terminal_id, files={})
    assert ("materials", "required_material_missing") in errors_of(terminal, no_photo)


def test_deferring_a_material_that_cannot_be_deferred_is_422(terminal: Terminal) -> None:
    body = withdrawal(terminal.terminal_id)
    body["materials"] = [m for m in body["materials"] if m["code"] != "purchase_contract"]
    body["deferred_materials"] = ["purchase_contract"]
    assert ("deferred_materials[0]", "not_deferrable") in errors_of(terminal, body)


def test_deferred_material_may_be_left_out(terminal: Terminal) -> None:
    body = withdrawal(terminal.terminal_id)
    body["materials"] = [m for m in body["materials"] if m["code"] != "bank_card"]
    body["deferred_materials"] = ["bank_card"]
    assert put(terminal, new_id(), body).status_code == 201


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("form.phone", ..., ("form.phone", "required")),
    ("form.phone", "", ("form.phone", "required")),
    ("form.phone", "12345", ("form.phone", "format")),
    ("form.agree_visit", False, ("form.agree_visit", "required")),
    ("form.agree_visit", "yes", ("form.agree_visit", "type")),
    ("form.address", "路" * 101, ("form.address", "too_long")),
    ("form.remarks", 42, ("form.remarks", "type")),
])
def test_invalid_form_field_of_renewal_is_422(terminal: Terminal, path: str, value: Any,
                                              expected: tuple[str, str]) -> None:
    assert expected in errors_of(terminal, changed(renewal(terminal.terminal_id), path, value))


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("form.amount_yuan", "lots", ("form.amount_yuan", "type")),
    ("form.bank", "boc", ("form.bank", "option")),
    ("form.purchase_date", "2026-02-30", ("form.purchase_date", "format")),
    ("form.co_owner_id", "110105194912310021", ("form.co_owner_id", "format")),
])
def test_invalid_form_field_of_withdrawal_is_422(terminal: Terminal, path: str, value: Any,
                                                 expected: tuple[str, str]) -> None:
    assert expected in errors_of(terminal, changed(withdrawal(terminal.terminal_id), path, value))


def test_form_field_against_the_catalogs_pattern_is_422(terminal: Terminal) -> None:
    body = {
        "terminal_id": terminal.terminal_id, "receipt_no": f"{terminal.terminal_id}-261123-09991",
        "item_code": "REF-SB-0001", "created_at": "2026-11-23T09:30:00+08:00",
        "applicant": {"id_type": "resident_id", "id_number": "11010519901231002X", "name": "李四",
                      "birth_date": "1990-12-31"},
        "form": {"phone": "13800138000", "start_month": "2026/12"},
        "commitment": {"version": "2026-01", "accepted_at": "2026-11-23T09:29:00+08:00"},
        "delivery": {"method": "electronic"}, "materials": [],
    }
    assert ("form.start_month", "pattern") in errors_of(terminal, body)
    assert put(terminal, new_id(), changed(body, "form.start_month", "2026-12")).status_code == 201


def test_delivery_method_not_offered_is_422(terminal: Terminal) -> None:
    body = changed(renewal(terminal.terminal_id), "delivery", {"method": "electronic"})
    assert ("delivery.method", "delivery_not_offered") in errors_of(terminal, body)


def test_express_delivery_without_an_address_is_422(terminal: Terminal) -> None:
    body = changed(renewal(terminal.terminal_id), "delivery", {"method": "express", "recipient": "张三明",
                                                               "phone": "13800138000"})
    assert ("delivery.address", "required") in errors_of(terminal, body)


def test_face_item_without_a_face_photo_is_422(terminal: Terminal) -> None:
    body = changed(withdrawal(terminal.terminal_id), "applicant.face_material_id", ...)
    assert ("applicant.face_material_id", "face_required") in errors_of(terminal, body)


def test_ineligible_id_type_and_age_are_422(terminal: Terminal) -> None:
    body = changed(withdrawal(terminal.terminal_id), "applicant.id_type", "hmt_residence")
    assert ("applicant.id_type", "not_eligible") in errors_of(terminal, body)
    child = changed(withdrawal(terminal.terminal_id), "applicant.birth_date", "2015-01-01")
    assert ("applicant.birth_date", "not_eligible") in errors_of(terminal, child)


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("created_at", "2026-11-23 09:30", ("created_at", "format")),
    ("created_at", "2026-11-23T09:30:00", ("created_at", "format")),  # no offset
    ("applicant.id_type", "passport", ("applicant.id_type", "enum")),
    ("applicant.name", ..., ("applicant.name", "required")),
    ("receipt_no", "OTHER-261123-00011", ("receipt_no", "prefix")),
    ("commitment", {"version": "2026-01"}, ("commitment.accepted_at", "required")),
    ("materials", "none", ("materials", "type")),
    ("item_code", ..., ("item_code", "required")),
])
def test_manifest_breaking_the_schema_is_422(terminal: Terminal, path: str, value: Any,
                                             expected: tuple[str, str]) -> None:
    assert expected in errors_of(terminal, changed(renewal(terminal.terminal_id), path, value))


def test_bad_material_entries_are_422(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    good = body["materials"][0]
    body["materials"] = [
        {**good, "material_id": "has/slash"},
        {**good, "material_id": "m-2", "sha256": "ABC"},
        {**good, "material_id": "m-3", "size": 0},
        {**good, "material_id": "m-4", "content_type": "text/html"},
        {**good, "material_id": "m-4"},
    ]
    found = errors_of(terminal, body)
    assert {("materials[0].material_id", "pattern"), ("materials[1].sha256", "pattern"),
            ("materials[2].size", "type"), ("materials[3].content_type", "enum"),
            ("materials[4].material_id", "duplicate")} <= found


def test_material_larger_than_64_mib_is_413_at_put(terminal: Terminal, platform: RunningPlatform) -> None:
    body = renewal(terminal.terminal_id)
    body["materials"][0]["size"] = 64 * 1024 * 1024 + 1
    response = put(terminal, new_id(), body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert platform.count_submissions() == 0
    body["materials"][0]["size"] = 64 * 1024 * 1024
    assert put(terminal, new_id(), body).status_code == 201


def test_422_messages_never_repeat_the_residents_values(terminal: Terminal) -> None:
    body = changed(renewal(terminal.terminal_id), "form.phone", "1234567")
    body["applicant"]["id_type"] = "passport"
    response = put(terminal, new_id(), body)
    assert response.status_code == 422
    assert "1234567" not in response.text
    assert "11010519491231002X" not in response.text
    assert "张三明" not in response.text

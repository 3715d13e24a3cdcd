"""A resident asks for progress by receipt or by laying their ID card on the reader."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.refplatform.cases import add_weekdays, due_date, mask_name
from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import ID_NUMBER, Terminal, deliver, new_id, put, renewal

PHOTO = b"\xff\xd8 photo bytes \xff\xd9" * 100


def delivered(terminal: Terminal, **changes: object) -> dict[str, object]:
    return deliver(terminal, renewal(terminal.terminal_id, files={"photo-1": PHOTO}, **changes), {"photo-1": PHOTO})


def test_case_by_receipt_is_masked_and_explained(terminal: Terminal, platform: RunningPlatform) -> None:
    ref = delivered(terminal)
    response = terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}")
    assert response.status_code == 200
    case = response.json()
    assert case["case_no"] == ref["case_no"]
    assert case["applicant_name_masked"] == "张*明"
    assert case["item_code"] == "REF-CJ-0003"
    assert case["item_name"] == {"zh": "残疾人证换领", "en": "Renewal of a disability certificate"}
    assert case["status"] == "received"
    assert case["status_text"] == {"zh": "已收件", "en": "Received"}
    received = dt.date.fromisoformat(case["received_at"][:10])
    assert case["due_date"] == due_date(received, 15).isoformat()
    assert case["history"][0]["status"] == "received"
    assert case["evaluated"] is False
    assert "tracking_no" not in case
    assert "张三明" not in response.text and ID_NUMBER not in response.text


def test_any_enrolled_terminal_may_ask_by_receipt(terminal: Terminal, other_terminal: Terminal) -> None:
    ref = delivered(terminal)
    assert other_terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}").status_code == 200


def test_receipt_typed_in_lower_case_or_full_width_is_found(terminal: Terminal) -> None:
    ref = delivered(terminal)
    receipt = str(ref["receipt_no"])
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in receipt.lower())
    assert terminal.client.get(f"/v1/cases/by-receipt/{receipt.lower()}").status_code == 200
    assert terminal.client.get(f"/v1/cases/by-receipt/{full_width}").status_code == 200


def test_receipt_not_yet_delivered_is_404(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    put(terminal, new_id(), body)  # PUT but never finalized: no case yet
    response = terminal.client.get(f"/v1/cases/by-receipt/{body['receipt_no']}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_staff_progress_shows_in_status_history_and_tracking_no(terminal: Terminal,
                                                                platform: RunningPlatform) -> None:
    ref = delivered(terminal, delivery={"method": "express", "recipient": "张三明", "phone": "13800138000",
                                        "address": "北京市东城区景山前街4号"})
    case_no = str(ref["case_no"])
    platform.set_case_status(case_no, "accepted", "材料齐全")
    platform.set_case_status(case_no, "approved")
    with pytest.raises(ValueError, match="tracking"):
        platform.set_case_status(case_no, "delivering")
    platform.set_case_status(case_no, "delivering", tracking_no="SF1234567890")
    case = terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}").json()
    assert case["status"] == "delivering"
    assert case["status_text"]["zh"] == "证照寄递中"
    assert case["tracking_no"] == "SF1234567890"
    assert [h["status"] for h in case["history"]] == ["received", "accepted", "approved", "delivering"]
    assert case["history"][1]["note"] == "材料齐全"


def test_search_by_id_card_lists_the_persons_cases_newest_first(terminal: Terminal,
                                                                platform: RunningPlatform) -> None:
    first = delivered(terminal)
    platform.shift_clock(dt.timedelta(minutes=5))
    second = delivered(terminal)
    response = terminal.client.post("/v1/cases/search", json={"id_type": "resident_id", "id_number": ID_NUMBER})
    assert response.status_code == 200
    assert [c["case_no"] for c in response.json()["cases"]] == [second["case_no"], first["case_no"]]
    lower_x = terminal.client.post("/v1/cases/search",
                                   json={"id_type": "resident_id", "id_number": ID_NUMBER.lower()})
    assert len(lower_x.json()["cases"]) == 2


def test_search_for_someone_else_finds_nothing(terminal: Terminal) -> None:
    delivered(terminal)
    other = terminal.client.post("/v1/cases/search", json={"id_type": "resident_id", "id_number": "110105194912310037"})
    assert other.json() == {"cases": []}
    other_type = terminal.client.post("/v1/cases/search", json={"id_type": "hmt_residence", "id_number": ID_NUMBER})
    assert other_type.json() == {"cases": []}


def test_search_with_a_bad_id_type_is_422(terminal: Terminal) -> None:
    response = terminal.client.post("/v1/cases/search", json={"id_type": "passport", "id_number": "E12345678"})
    assert response.status_code == 422


def test_purged_submission_leaves_no_id_number_or_name_in_the_database(terminal: Terminal,
                                                                      platform: RunningPlatform) -> None:
    ref = delivered(terminal)
    platform.purge_submission(str(ref["submission_id"]))
    platform.stop()  # checkpoint: everything is in the main database file
    database = (platform.data_dir / "platform.db").read_bytes()
    assert ID_NUMBER.encode() not in database
    assert "张三明".encode() not in database


@pytest.mark.parametrize(("name", "masked"), [("张三明", "张*明"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("李", "*"),
                                              ("", "")])
def test_names_are_masked_to_first_and_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_due_date_without_workdays_module_counts_monday_to_friday() -> None:
    friday = dt.date(2026, 11, 20)
    assert add_weekdays(friday, 0) == friday
    assert add_weekdays(friday, 1) == dt.date(2026, 11, 23)
    assert add_weekdays(friday, 5) == dt.date(2026, 11, 27)
    assert add_weekdays(dt.date(2026, 11, 21), 1) == dt.date(2026, 11, 23)  # from a Saturday

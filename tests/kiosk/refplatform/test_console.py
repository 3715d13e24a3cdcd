"""The staff console: who may use it, moving a case along, and residents' data as text."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx

from kiosk.refplatform.api import Request
from kiosk.refplatform.catalog import FALLBACK_CATALOG
from kiosk.refplatform.server import RunningPlatform, start_in_thread
from tests.kiosk.refplatform.builders import Terminal, deliver, renewal

PHOTO = b"photo" * 100
SCRIPT = "<script>alert(1)</script>"


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_console_lists_cases_with_masked_names(terminal: Terminal, platform: RunningPlatform,
                                               anonymous: httpx.Client) -> None:
    ref = deliver(terminal, renewal(terminal.terminal_id, files={"photo-1": PHOTO}), {"photo-1": PHOTO})
    page = anonymous.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none': no scripts
    text = page.text
    for shown in (ref["case_no"], ref["receipt_no"], "残疾人证换领", "张*明", terminal.terminal_id, "已收件"):
        assert shown in text
    assert "张三明" not in text
    assert "11010519491231002X" not in text


def test_staff_move_a_case_through_its_statuses(terminal: Terminal, platform: RunningPlatform,
                                                anonymous: httpx.Client) -> None:
    ref = deliver(terminal, renewal(terminal.terminal_id, files={"photo-1": PHOTO}), {"photo-1": PHOTO})
    case_url = f"/console/cases/{ref['case_no']}"
    csrf = csrf_of(anonymous.get(case_url).text)
    for status in ("accepted", "supplement_required", "accepted", "approved", "delivering", "delivered"):
        response = anonymous.post(f"{case_url}/status", data={"csrf": csrf, "status": status, "note": f"→ {status}",
                                                              "tracking_no": ""})
        assert response.status_code == 303, response.text
    case = terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}").json()
    assert case["status"] == "delivered"
    assert len(case["history"]) == 7
    page = anonymous.get(case_url).text
    assert "已送达" in page and "→ approved" in page


def test_mailing_without_a_tracking_number_is_refused(terminal: Terminal, anonymous: httpx.Client) -> None:
    body = renewal(terminal.terminal_id, files={"photo-1": PHOTO},
                   delivery={"method": "express", "recipient": "张三明", "phone": "13800138000", "address": "某地"})
    ref = deliver(terminal, body, {"photo-1": PHOTO})
    case_url = f"/console/cases/{ref['case_no']}"
    csrf = csrf_of(anonymous.get(case_url).text)
    refused = anonymous.post(f"{case_url}/status", data={"csrf": csrf, "status": "delivering", "tracking_no": ""})
    assert refused.status_code == 400
    mailed = anonymous.post(f"{case_url}/status", data={"csrf": csrf, "status": "delivering",
                                                        "tracking_no": "EMS1188"})
    assert mailed.status_code == 303
    assert terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}").json()["tracking_no"] == "EMS1188"


def test_form_posted_without_the_console_token_is_refused(terminal: Terminal, anonymous: httpx.Client) -> None:
    ref = deliver(terminal, renewal(terminal.terminal_id, files={"photo-1": PHOTO}), {"photo-1": PHOTO})
    response = anonymous.post(f"/console/cases/{ref['case_no']}/status", data={"status": "rejected"})
    assert response.status_code == 403
    assert terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}").json()["status"] == "received"


def test_terminals_page_shows_heartbeats_and_escapes_what_terminals_send(platform: RunningPlatform,
                                                                         anonymous: httpx.Client) -> None:
    enrolled = anonymous.post("/v1/terminals/enroll", json={
        "enrollment_code": platform.new_enrollment_code(), "hall_code": SCRIPT, "terminal_name": '"><img src=x>'})
    token = enrolled.json()["token"]
    terminal_id = enrolled.json()["terminal_id"]
    anonymous.put(f"/v1/terminals/{terminal_id}/status", headers={"Authorization": f"Bearer {token}"}, json={
        "at": "2026-11-23T10:00:00+08:00", "app_version": SCRIPT,
        "devices": [{"kind": "printer", "state": "degraded", "detail": SCRIPT}],
        "queue": {"pending": 7, "failed": 2, "oldest_pending_age_s": 999}})
    page = anonymous.get("/console/terminals").text
    assert SCRIPT not in page and "<img" not in page
    assert "&lt;script&gt;" in page
    assert ">7<" in page and ">999<" in page and "degraded" in page


def test_operator_revokes_and_restores_a_token_from_the_console(terminal: Terminal,
                                                                anonymous: httpx.Client) -> None:
    csrf = csrf_of(anonymous.get("/console/terminals").text)
    anonymous.post(f"/console/terminals/{terminal.terminal_id}/revoke", data={"csrf": csrf})
    assert terminal.client.get("/v1/catalog").status_code == 401
    anonymous.post(f"/console/terminals/{terminal.terminal_id}/restore", data={"csrf": csrf})
    assert terminal.client.get("/v1/catalog").status_code == 200


def test_console_issues_enrollment_codes(platform: RunningPlatform, anonymous: httpx.Client) -> None:
    csrf = csrf_of(anonymous.get("/console/terminals").text)
    page = anonymous.post("/console/enroll-code", data={"csrf": csrf}).text
    code = re.search(r'class="code">([A-Z0-9-]+)<', page)
    assert code
    enrolled = anonymous.post("/v1/terminals/enroll", json={"enrollment_code": code.group(1), "hall_code": "H",
                                                            "terminal_name": "n"})
    assert enrolled.status_code == 201


def test_console_refuses_other_machines_without_a_password(platform: RunningPlatform) -> None:
    console = platform.platform.console
    remote = console.handle(Request("GET", "/console", {}, client_host="10.1.2.3"))
    assert remote.status == 403
    local = console.handle(Request("GET", "/console", {}, client_host="::1"))
    assert local.status == 200


def test_console_with_a_password_asks_everyone_for_it(tmp_path: Path) -> None:
    with start_in_thread(tmp_path / "p", catalog_path=FALLBACK_CATALOG, console_password="s3cret") as running:
        assert httpx.get(running.console_url).status_code == 401
        wrong = base64.b64encode(b"staff:nope").decode()
        assert httpx.get(running.console_url, headers={"Authorization": f"Basic {wrong}"}).status_code == 401
        right = base64.b64encode(b"staff:s3cret").decode()
        assert httpx.get(running.console_url, headers={"Authorization": f"Basic {right}"}).status_code == 200
        remote = running.platform.console.handle(Request("GET", "/console", {"authorization": f"Basic {right}"},
                                                         client_host="10.1.2.3"))
        assert remote.status == 200


def test_material_downloads_as_an_attachment(terminal: Terminal, anonymous: httpx.Client) -> None:
    ref = deliver(terminal, renewal(terminal.terminal_id, files={"photo-1": PHOTO}), {"photo-1": PHOTO})
    response = anonymous.get(f"/console/materials/{ref['submission_id']}/photo-1")
    assert response.content == PHOTO
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_root_redirects_to_the_console_and_unknown_pages_are_404(anonymous: httpx.Client) -> None:
    root = anonymous.get("/")
    assert root.status_code == 303
    assert root.headers["Location"] == "/console"
    assert anonymous.get("/console/cases/NOPE").status_code == 404
    assert anonymous.get("/elsewhere").status_code == 404

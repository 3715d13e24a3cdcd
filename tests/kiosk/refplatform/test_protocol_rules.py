"""Rules for every operation: Date on every answer, problem+json errors, unknown routes."""

from __future__ import annotations

import email.utils
import logging
import socket

import httpx
import pytest

from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import Terminal, new_id, patch, put, renewal


def test_every_answer_carries_date(terminal: Terminal, anonymous: httpx.Client,
                                   platform: RunningPlatform) -> None:
    submission_id = new_id()
    etag = terminal.client.get("/v1/catalog").headers["ETag"]
    responses = [
        anonymous.post("/v1/terminals/enroll", json={"enrollment_code": "NOPE-NOPE", "hall_code": "H",
                                                      "terminal_name": "n"}),  # 404
        terminal.client.get("/v1/catalog"),  # 200
        terminal.client.get("/v1/catalog", headers={"If-None-Match": etag}),  # 304
        put(terminal, submission_id, renewal(terminal.terminal_id)),  # 201
        terminal.client.head(f"/v1/submissions/{submission_id}/materials/photo-1"),  # 200 HEAD
        patch(terminal, submission_id, "photo-1", 0, b"x"),  # 204
        patch(terminal, submission_id, "photo-1", 0, b"x"),  # 409
        anonymous.get("/v1/catalog"),  # 401
        terminal.client.get("/v1/nothing-here"),  # 404
        terminal.client.delete("/v1/catalog"),  # 405
        anonymous.get("/console"),  # console HTML
    ]
    for response in responses:
        assert "Date" in response.headers, response.request.url
        assert email.utils.parsedate_to_datetime(response.headers["Date"]) is not None


def test_date_follows_the_platforms_clock(terminal: Terminal, platform: RunningPlatform) -> None:
    import datetime as dt

    before = email.utils.parsedate_to_datetime(terminal.client.get("/v1/catalog").headers["Date"])
    platform.shift_clock(dt.timedelta(hours=2))
    after = email.utils.parsedate_to_datetime(terminal.client.get("/v1/catalog").headers["Date"])
    assert dt.timedelta(hours=1, minutes=59) < after - before < dt.timedelta(hours=2, minutes=1)


def test_unknown_route_is_404_and_wrong_method_405_as_problems(terminal: Terminal) -> None:
    missing = terminal.client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = terminal.client.delete("/v1/catalog")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET"
    assert wrong.headers["content-type"] == "application/problem+json"


def test_method_http_server_does_not_know_is_a_problem_too(platform: RunningPlatform) -> None:
    response = httpx.request("BREW", f"{platform.url}/v1/catalog")
    assert response.status_code == 501
    assert response.headers["content-type"] == "application/problem+json"
    assert "Date" in response.headers


def test_garbage_request_line_gets_a_problem_not_a_crash(platform: RunningPlatform) -> None:
    with socket.create_connection((platform.host, platform.port), timeout=5) as conn:
        conn.sendall(b"\x16\x03\x01 garbage\r\n\r\n")
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.")
    assert b" 400 " in answer.split(b"\r\n")[0]
    assert b"application/problem+json" in answer


@pytest.mark.parametrize("size", [1024 * 1024 + 1])
def test_json_body_over_1_mib_is_413(terminal: Terminal, size: int) -> None:
    response = terminal.client.put(f"/v1/submissions/{new_id()}", content=b" " * size,
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_problem_documents_follow_rfc_9457(terminal: Terminal) -> None:
    problem = terminal.client.get(f"/v1/submissions/{new_id()}").json()
    assert problem["status"] == 404
    assert problem["type"].startswith("urn:")
    assert problem["title"] and problem["detail"]


def test_stopped_platform_answers_nothing_on_kept_alive_connections(terminal: Terminal,
                                                                    platform: RunningPlatform) -> None:
    assert terminal.client.get("/v1/catalog").status_code == 200  # the connection is now pooled
    platform.stop()
    with pytest.raises(httpx.TransportError):
        terminal.client.get("/v1/catalog")


def test_platform_log_never_holds_a_residents_id_number_or_name(terminal: Terminal,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    from tests.kiosk.refplatform.builders import ID_NUMBER, NAME, changed, deliver

    photo = b"\xff\xd8 photo bytes \xff\xd9" * 100
    with caplog.at_level(logging.DEBUG, logger="kiosk.refplatform"):
        body = renewal(terminal.terminal_id)
        ref = deliver(terminal, body, {"photo-1": photo})
        put(terminal, new_id(), changed(body, "applicant.id_type", "passport"))  # 422
        put(terminal, ref["submission_id"], changed(body, "form.phone", "13900139000"))  # 409
        terminal.client.post("/v1/cases/search", json={"id_type": "resident_id", "id_number": ID_NUMBER})
        terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}")
    assert caplog.records  # the access log did record these requests
    assert ID_NUMBER not in caplog.text
    assert NAME not in caplog.text

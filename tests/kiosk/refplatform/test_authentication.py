"""Unknown, revoked and missing tokens; a terminal writing another's status."""

from __future__ import annotations

import httpx
import pytest

from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import Terminal, new_id

PROTECTED = [
    ("GET", "/v1/catalog"),
    ("PUT", f"/v1/submissions/{new_id()}"),
    ("GET", f"/v1/submissions/{new_id()}"),
    ("HEAD", f"/v1/submissions/{new_id()}/materials/m1"),
    ("PATCH", f"/v1/submissions/{new_id()}/materials/m1"),
    ("POST", f"/v1/submissions/{new_id()}/finalize"),
    ("GET", "/v1/cases/by-receipt/T0001-261123-00011"),
    ("POST", "/v1/cases/search"),
    ("PUT", f"/v1/evaluations/{new_id()}"),
    ("PUT", "/v1/terminals/T0001/status"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer"])
def test_request_without_a_valid_token_is_401_problem(anonymous: httpx.Client, method: str, path: str,
                                                      authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = anonymous.request(method, path, headers=headers, json={} if method in ("PUT", "POST") else None)
    assert response.status_code == 401
    assert "Date" in response.headers
    if method != "HEAD":
        assert response.headers["content-type"] == "application/problem+json"
        assert {"type", "title", "detail"} <= response.json().keys()


def test_revoked_token_is_401_until_the_operator_restores_it(terminal: Terminal, platform: RunningPlatform) -> None:
    assert terminal.client.get("/v1/catalog").status_code == 200
    platform.revoke_tokens(terminal.terminal_id)
    assert terminal.client.get("/v1/catalog").status_code == 401
    platform.restore_tokens(terminal.terminal_id)
    assert terminal.client.get("/v1/catalog").status_code == 200


def test_heartbeat_for_another_terminal_is_403(terminal: Terminal, other_terminal: Terminal) -> None:
    response = terminal.client.put(f"/v1/terminals/{other_terminal.terminal_id}/status", json={
        "at": "2026-11-23T10:00:00+08:00", "app_version": "0.1.0", "devices": [], "queue": {}})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
